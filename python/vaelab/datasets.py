"""Image sets stored as image files: any folder of PNG and JPEG files, and CelebA.

Such sets can be large (CelebA has 202,599 images), so a loader returns an
:class:`ImageFiles`: the list of files with their labels, read from disk only when asked,
either a chosen part as an array (:meth:`ImageFiles.read`) or batch by batch for training
(:meth:`ImageFiles.batches`, a Keras ``PyDataset``). Images come back as float32 in
[0, 1] of shape (n, height, width, channels), cropped and resized as the loader says.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from .checks import as_flag, positive_int

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")

# CelebA's aligned images are 178 x 218. The DFC VAE authors crop them to the 138 x 138
# square at column 30, row 40 before resizing (data/crop_celebA.lua in
# github.com/houxianxu/DFC-VAE); PyTorch-VAE's DFCVAE takes a centred 148 x 148 square
# (crop=148 here). The paper itself says only that the faces were cropped and resized.
DFC_CROP = (40, 30, 138)  # top row, left column, side
CELEBA_SPLITS = {"train": 0, "valid": 1, "test": 2}
_ATTRIBUTE_FILE, _PARTITION_FILE, _IMAGE_FOLDER = ("list_attr_celeba.txt",
                                                   "list_eval_partition.txt",
                                                   "img_align_celeba")


class ImageFiles:
    """Image files with their labels; the pixels stay on disk until read.

    Attributes: `files` (paths), `labels` (None; an int array of class numbers with
    `class_names`, for folders; or, for CelebA, a pandas DataFrame of +1/-1 attributes, one
    column per name, indexed by file name), `shape` (height, width, channels of the images
    as read), `crop` and `skip_unreadable` (see :func:`load_image_folder`).
    """

    def __init__(self, files, size, channels=3, crop=None, labels=None, class_names=None,
                 skip_unreadable=False):
        self.files = [Path(f) for f in files]
        self.size = _as_size(size)
        if channels not in (1, 3):
            raise ValueError(f"channels: expected 1 (gray) or 3 (colour), got {channels!r}")
        self.channels = int(channels)
        self.crop = _as_crop(crop)
        self.labels = labels
        self.class_names = class_names
        self.skip_unreadable = as_flag(skip_unreadable, "skip_unreadable")

    def __len__(self):
        return len(self.files)

    def __repr__(self):
        return (f"<ImageFiles: {len(self)} images read as {self.shape}, "
                f"labels: {_describe_labels(self.labels)}>")

    @property
    def shape(self):
        return self.size + (self.channels,)

    def read(self, indices=None):
        """``(images, labels)`` of the files at `indices` (all by default), in that order.

        `images` is float32 (k, height, width, channels) in [0, 1]; `labels` holds their
        rows of :attr:`labels` (None when there are none). A file that cannot be decoded is
        an error naming it; with `skip_unreadable` it is left out, with its label, and a
        warning gives the count.

        Example:
            >>> faces = load_celeba("celeba", split="test")  # doctest: +SKIP
            >>> images, attributes = faces.read(range(16))  # doctest: +SKIP
        """
        images, kept = self.read_kept(indices)
        return images, self._labels_at(kept)

    def read_kept(self, indices=None):
        """``(images, kept)``: the images at `indices` as :meth:`read` gives them, and the
        positions of the files they come from (all of `indices` unless `skip_unreadable`
        left some out)."""
        index = np.arange(len(self)) if indices is None else np.asarray(indices, dtype=int)
        if index.ndim != 1 or (index.size and (index.min() < -len(self)
                                               or index.max() >= len(self))):
            raise IndexError(f"indices: expected positions among the {len(self)} files")
        images, kept, failures = [], [], []
        for i in index:
            try:
                images.append(read_image(self.files[i], self.size, self.channels, self.crop))
                kept.append(i)
            except ValueError as err:
                if not self.skip_unreadable:
                    raise
                failures.append(str(err))
        if failures:
            warnings.warn(f"skipped {len(failures)} unreadable image(s) of {index.size}; "
                          f"the first: {failures[0]}", stacklevel=3)
        if not kept:
            raise ValueError(f"none of the {index.size} image(s) asked for could be read")
        return np.stack(images), np.asarray(kept)

    def batches(self, batch_size: int = 64, shuffle: bool = True, seed=None,
                with_labels: bool = False, **kwargs):
        """The images as a Keras ``PyDataset``, one batch read from disk at a time.

        Feed it to ``model.fit``. Each batch holds `batch_size` images (the last fewer),
        reshuffled every epoch when `shuffle`; with `with_labels` it is ``(images, y)``
        where y holds class numbers (folders) or the attributes as 0/1 floats (CelebA).
        Other arguments (``workers``, ``use_multiprocessing``) go to ``PyDataset``.

        Example:
            >>> model.fit(load_celeba("celeba").batches(128), epochs=5)  # doctest: +SKIP
        """
        return ImageBatches(self, batch_size, shuffle, seed, with_labels, **kwargs)

    def _labels_at(self, index):
        if self.labels is None:
            return None
        if isinstance(self.labels, pd.DataFrame):
            return self.labels.iloc[index]
        return self.labels[index]


class ImageBatches(keras.utils.PyDataset):
    """Batches of an :class:`ImageFiles`, read from disk as Keras asks for them."""

    def __init__(self, files: ImageFiles, batch_size=64, shuffle=True, seed=None,
                 with_labels=False, **kwargs):
        super().__init__(**kwargs)
        self.images = files
        self.batch_size = positive_int(batch_size, "batch_size")
        if with_labels and files.labels is None:
            raise ValueError("with_labels: these images have no labels (a folder without "
                             "class sub-folders)")
        self.with_labels = with_labels
        self.shuffle = shuffle
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(len(files)) if shuffle else np.arange(len(files))

    def __len__(self):
        return math.ceil(len(self.images) / self.batch_size)

    def __getitem__(self, i):
        if not 0 <= i < len(self):
            raise IndexError(f"batch {i} of {len(self)}")
        index = self._order[i * self.batch_size:(i + 1) * self.batch_size]
        images, labels = self.images.read(index)
        if not self.with_labels:
            return images
        if isinstance(labels, pd.DataFrame):
            return images, ((labels.to_numpy() + 1) / 2).astype(np.float32)
        return images, labels

    def on_epoch_end(self):
        if self.shuffle:
            self._order = self._rng.permutation(len(self.images))


def read_image(path, size, channels: int = 3, crop=None) -> np.ndarray:
    """One image file as float32 (height, width, channels) in [0, 1], cropped and resized.

    `size` is an int (square) or (height, width). `crop` is None (the whole image),
    ``"centre"`` (the largest centred region of the target's shape), an int (a centred
    square of that side) or (top, left, side) / (top, left, height, width) in pixels. The
    resize is bilinear with antialiasing (Pillow). A file that cannot be decoded, or a crop
    that does not fit in it, is a ``ValueError`` naming the file.

    Example:
        >>> read_image("img_align_celeba/000001.jpg", 64, crop=DFC_CROP).shape  # doctest: +SKIP
        (64, 64, 3)
    """
    from PIL import Image, UnidentifiedImageError  # Pillow comes with Matplotlib

    height, width = _as_size(size)
    path = Path(path)
    try:
        with Image.open(path) as image:
            image.load()
            image = image.convert("RGB" if channels == 3 else "L")
    except FileNotFoundError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as err:
        raise ValueError(f"{path}: cannot be decoded as an image ({err})") from err
    box = _crop_box(_as_crop(crop), image.width, image.height, width / height, path)
    # Cropped first, so that the resize filter sees no pixel outside the box.
    cropped = image if box is None else image.crop(tuple(round(b) for b in box))
    resized = cropped.resize((width, height), Image.Resampling.BILINEAR)
    pixels = np.asarray(resized, dtype=np.float32) / np.float32(255.0)
    return pixels.reshape(height, width, channels)


def load_image_folder(path, size=64, channels: int = 3, crop="centre",
                      skip_unreadable: bool = False) -> ImageFiles:
    """The PNG and JPEG files in the folder `path`, as an :class:`ImageFiles`.

    When `path` holds sub-folders of images, each sub-folder is a class: the labels are
    class numbers in the order of the sorted folder names (``class_names``), and files
    anywhere below a class folder count. Otherwise the files directly in `path` are read,
    unlabelled. Images are read as `size` (an int, or (height, width)) with `channels` 3
    (RGB) or 1 (gray), after the `crop` of :func:`read_image` (by default the largest
    centred region of that shape, so nothing is stretched). With `skip_unreadable`,
    files that cannot be decoded are left out with a warning instead of an error.

    Example:
        >>> photos = load_image_folder("my_photos", size=64)  # doctest: +SKIP
        >>> images, labels = photos.read()  # doctest: +SKIP
    """
    size, crop = _as_size(size), _as_crop(crop)  # before the folder is searched
    root = _existing_folder(path, "image folder")
    loose = _image_files(root, recursive=False)
    classes = sorted(d.name for d in root.iterdir()
                     if d.is_dir() and _image_files(d, recursive=True))
    if loose and classes:
        raise ValueError(f"{root}: holds both image files ({loose[0].name}, ...) and class "
                         f"sub-folders ({', '.join(classes[:3])}); put every image into a "
                         "class folder, or point path at a folder of images alone")
    if classes:
        files, labels = [], []
        for number, name in enumerate(classes):
            found = _image_files(root / name, recursive=True)
            files += found
            labels += [number] * len(found)
        return ImageFiles(files, size, channels, crop, np.asarray(labels, np.int32), classes,
                          skip_unreadable)
    if not loose:
        raise FileNotFoundError(f"{root}: no image files ({', '.join(IMAGE_EXTENSIONS)}) in "
                                "it or in sub-folders of it")
    return ImageFiles(loose, size, channels, crop, None, None, skip_unreadable)


def load_celeba(path, size=64, split: str = "train", crop=DFC_CROP,
                skip_unreadable: bool = False) -> ImageFiles:
    """CelebA from its own layout under `path`, as an :class:`ImageFiles`.

    `path` holds ``img_align_celeba/`` (the aligned JPEG files), ``list_attr_celeba.txt``
    (line 1 the number of images, line 2 the attribute names, then one line per file: its
    name and +1 or -1 per attribute) and ``list_eval_partition.txt`` (a file name and 0
    train, 1 validation, 2 test per line). `split` is ``"train"``, ``"valid"``, ``"test"``
    or ``"all"``. The labels are a pandas DataFrame indexed by file name with one int8
    column of +1/-1 per attribute (CelebA's 40, by name). Images are cropped with `crop` as
    in :func:`read_image`, by default the DFC VAE authors' 138 x 138 square
    (:data:`DFC_CROP`), then resized to `size`. The lists are checked against each other
    and against the folder; any disagreement is an error naming the file.

    :func:`vaelab.faces.write_celeba_layout` writes synthetic faces, a stand-in for
    CelebA, in this layout.

    Example:
        >>> faces = load_celeba("~/data/celeba", size=64, split="train")  # doctest: +SKIP
        >>> faces.labels["Smiling"].value_counts()  # doctest: +SKIP
    """
    if split != "all" and split not in CELEBA_SPLITS:
        raise ValueError(f"split: expected \"train\", \"valid\", \"test\" or \"all\", got "
                         f"{split!r}")
    size, crop = _as_size(size), _as_crop(crop)  # before the files are read
    root = _existing_folder(path, "CelebA folder")
    folder = _existing_folder(root / _IMAGE_FOLDER, "CelebA image folder "
                              f"({_IMAGE_FOLDER}/ inside {root})")
    attributes = read_celeba_attributes(root / _ATTRIBUTE_FILE)
    partition = read_celeba_partition(root / _PARTITION_FILE)
    _check_same_files(attributes.index, partition.index, root)
    _check_on_disk(attributes.index, folder)
    if split != "all":
        attributes = attributes[partition.loc[attributes.index].to_numpy()
                                == CELEBA_SPLITS[split]]
    return ImageFiles([folder / name for name in attributes.index], size, 3, crop,
                      attributes, None, skip_unreadable)


def read_celeba_attributes(path) -> pd.DataFrame:
    """CelebA's ``list_attr_celeba.txt`` as a DataFrame of int8 +1/-1, indexed by file name.

    Every malformation is a ``ValueError`` naming the file and the line.
    """
    path = Path(path)
    lines = _read_lines(path)
    if len(lines) < 2:
        raise ValueError(f"{path}: expected the number of images on line 1 and the attribute "
                         f"names on line 2, got {len(lines)} line(s)")
    try:
        count = int(lines[0])
    except ValueError:
        raise ValueError(f"{path}: line 1 should be the number of images, got "
                         f"{lines[0][:40]!r}") from None
    names = lines[1].split()
    if not names or len(set(names)) != len(names):
        raise ValueError(f"{path}: line 2 should name each attribute once, got "
                         f"{lines[1][:60]!r}")
    files, values = [], []
    for number, line in enumerate(lines[2:], start=3):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != len(names) + 1 or not set(fields[1:]) <= {"1", "-1"}:
            raise ValueError(f"{path}: line {number}: expected a file name and "
                             f"{len(names)} values of 1 or -1, got {line[:80]!r}")
        files.append(fields[0])
        values.append([int(v) for v in fields[1:]])
    if len(files) != count:
        raise ValueError(f"{path}: line 1 announces {count} images but {len(files)} are "
                         "listed")
    table = pd.DataFrame(np.asarray(values, np.int8).reshape(len(files), len(names)),
                         index=pd.Index(files, name="file"), columns=names)
    _check_unique(table.index, path)
    return table


def read_celeba_partition(path) -> pd.Series:
    """CelebA's ``list_eval_partition.txt`` as a Series of 0 (train), 1 (validation) or
    2 (test), indexed by file name; a malformed line is a ``ValueError`` naming it."""
    path = Path(path)
    files, codes = [], []
    for number, line in enumerate(_read_lines(path), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
            raise ValueError(f"{path}: line {number}: expected a file name and 0, 1 or 2, "
                             f"got {line[:80]!r}")
        files.append(fields[0])
        codes.append(int(fields[1]))
    series = pd.Series(np.asarray(codes, np.int8), index=pd.Index(files, name="file"),
                       name="partition")
    _check_unique(series.index, path)
    return series


# --- helpers ------------------------------------------------------------------------------

def _as_size(size) -> tuple:
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (size, size)
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1
                       for s in size)):
        raise ValueError(f"size: expected a positive whole number or (height, width), got "
                         f"{size!r}")
    return int(size[0]), int(size[1])


def _as_crop(crop):
    """`crop` checked: None, "centre", a side in pixels, (top, left, side) or (top, left,
    height, width), all whole numbers >= 0."""
    if crop is None or crop == "centre":
        return crop
    values = crop if isinstance(crop, (tuple, list)) else (crop,)
    if len(values) not in (1, 3, 4) or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0
            for v in values):
        raise ValueError(f"crop: expected None, \"centre\", a side in pixels or (top, left, "
                         f"side) / (top, left, height, width), got {crop!r}")
    return int(values[0]) if len(values) == 1 else tuple(int(v) for v in values)


def _crop_box(crop, width, height, aspect, path):
    """(left, top, right, bottom) of `crop` (checked by :func:`_as_crop`) in an image
    `width` x `height`, or None."""
    if crop is None:
        return None
    if crop == "centre":
        w, h = (min(width, height * aspect), min(height, width / aspect))
        return ((width - w) / 2, (height - h) / 2, (width + w) / 2, (height + h) / 2)
    if isinstance(crop, int):
        top, left, h, w = (height - crop) / 2, (width - crop) / 2, crop, crop
    else:
        top, left, h, w = (tuple(crop) + (crop[2],))[:4]
    if top < 0 or left < 0 or h < 1 or w < 1 or top + h > height or left + w > width:
        raise ValueError(f"{path}: the crop {crop!r} does not fit in this {width} x {height} "
                         "image (width x height)")
    return (left, top, left + w, top + h)


def _existing_folder(path, what) -> Path:
    folder = Path(path).expanduser()
    if not folder.exists():
        raise FileNotFoundError(f"{what} not found: {folder} does not exist")
    if not folder.is_dir():
        raise NotADirectoryError(f"{what}: {folder} is a file, expected a folder")
    return folder


def _image_files(folder: Path, recursive: bool) -> list:
    walk = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in walk if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())


def _read_lines(path: Path) -> list:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not found; CelebA's folder holds it next to "
                                f"{_IMAGE_FOLDER}/")
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not a text file ({err})") from err


def _check_unique(index: pd.Index, path):
    if index.has_duplicates:
        raise ValueError(f"{path}: lists {index[index.duplicated()][0]} more than once")


def _check_same_files(listed, partitioned, root):
    for a, b, name_a, name_b in ((listed, partitioned, _ATTRIBUTE_FILE, _PARTITION_FILE),
                                 (partitioned, listed, _PARTITION_FILE, _ATTRIBUTE_FILE)):
        extra = a.difference(b)
        if len(extra):
            raise ValueError(f"{root}: {name_a} lists {len(a)} files and {name_b} {len(b)}: "
                             f"{len(extra)} of {name_a}'s are not in {name_b} (first: "
                             f"{extra[0]})")


def _check_on_disk(listed, folder: Path):
    on_disk = pd.Index(sorted(entry.name for entry in os.scandir(folder)))
    missing = listed.difference(on_disk)
    if len(missing):
        raise FileNotFoundError(f"{folder}: {len(missing)} of the {len(listed)} files that "
                                f"{_ATTRIBUTE_FILE} lists are missing (first: {missing[0]})")
    unlisted = on_disk.difference(listed)
    if len(unlisted):
        warnings.warn(f"{folder}: {len(unlisted)} file(s) there are not listed in "
                      f"{_ATTRIBUTE_FILE} and are ignored (first: {unlisted[0]})",
                      stacklevel=3)


def _describe_labels(labels) -> str:
    if labels is None:
        return "none"
    if isinstance(labels, pd.DataFrame):
        return f"{labels.shape[1]} attributes"
    return f"{len(np.unique(labels))} classes"
