"""MNIST and Fashion-MNIST, the IDX datasets: find them on disk (or download them once),
validate them, return arrays ready for the models."""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .checks import as_flag
from .config import environment_variable

MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"

OFFICIAL = "official (yann.lecun.com/exdb/mnist, mirrored at " + MNIST_URL + ")"
KERAS_NPZ = ("Keras's mnist.npz (storage.googleapis.com/tensorflow/tf-keras-datasets/; the "
             "hash keras.datasets.mnist checks)")
UNCOMPRESSED = "the official .gz file, uncompressed"
REBUILT = ("vaelab's rebuilt training images: a PNG export of MNIST inverted back to within "
           "1 gray level of the originals (97.2% of pixels exact on the test set), in the "
           "official order; the offline copy these project machines train on")
# Every version of each MNIST file that the loader accepts, {file name: {sha256: provenance}}:
# the one place these hashes are declared. Local files are checked against all of them,
# downloads against the official ones. The sha256 of the official training images
# uncompressed is not recorded (it was not at hand offline); that file is refused unless
# verify=False, while its official .gz is accepted.
KNOWN_MNIST_FILES = {
    "train-images-idx3-ubyte.gz": {
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609": OFFICIAL,
        "8e59d4e6322d5e291f26338633ee8015e1369ee4616a784cd934bc27c2948978": REBUILT},
    "train-labels-idx1-ubyte.gz": {
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c": OFFICIAL},
    "t10k-images-idx3-ubyte.gz": {
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6": OFFICIAL},
    "t10k-labels-idx1-ubyte.gz": {
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6": OFFICIAL},
    "train-images-idx3-ubyte": {
        "374ba378bee06c633f4800ac6a495f71d1b80b0e82bf763acbfa4c7e9c379f75":
            REBUILT + ", uncompressed"},
    "train-labels-idx1-ubyte": {
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5": UNCOMPRESSED},
    "t10k-images-idx3-ubyte": {
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7": UNCOMPRESSED},
    "t10k-labels-idx1-ubyte": {
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2": UNCOMPRESSED},
    "mnist.npz": {
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1": KERAS_NPZ},
}
# sha256 of the official gzipped IDX files, the ones download_mnist fetches.
MNIST_SHA256 = {name: sha for name, known in KNOWN_MNIST_FILES.items()
                for sha, source in known.items() if source == OFFICIAL}

# Fashion-MNIST: the same four IDX file names and formats as MNIST. Keras fetches the
# official files from this mirror. Their sha256 were not published by Zalando (who list
# MD5s); these are the values that two independent downloaders check (batchup's
# fashion_mnist.py, and a script whose table also holds the MNIST sha256 above, identical
# to ours). Only the official .gz files are accepted.
FASHION_MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FASHION_OFFICIAL = "official (github.com/zalandoresearch/fashion-mnist)"
KNOWN_FASHION_MNIST_FILES = {
    "train-images-idx3-ubyte.gz": {
        "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc": FASHION_OFFICIAL},
    "train-labels-idx1-ubyte.gz": {
        "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc": FASHION_OFFICIAL},
    "t10k-images-idx3-ubyte.gz": {
        "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229": FASHION_OFFICIAL},
    "t10k-labels-idx1-ubyte.gz": {
        "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf": FASHION_OFFICIAL},
}
FASHION_MNIST_SHA256 = {name: next(iter(known))
                        for name, known in KNOWN_FASHION_MNIST_FILES.items()}
# Fashion-MNIST's ten classes, label 0 to 9.
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot")

_SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000),
}
_IMAGE_MAGIC, _LABEL_MAGIC = 2051, 2049


@dataclass(frozen=True)
class _IdxSet:
    """What differs between the IDX datasets: their name, files, download and folders."""

    name: str
    loader: str  # the public function that loads it, for messages
    known: dict  # {file name: {sha256: provenance}}
    download: Callable  # download(dest) fetches the official files into dest
    npz: str | None  # Keras's single-file copy, if there is one
    # Below VAELAB_DATA and the Keras cache the files live in this sub-folder: Fashion-MNIST's
    # files have MNIST's names, so the two cannot share a folder.
    subfolder: str = ""


# The download functions are looked up when called, so that tests can replace them.
_MNIST = _IdxSet("MNIST", "load_mnist", KNOWN_MNIST_FILES,
                 lambda dest: download_mnist(dest), "mnist.npz")
_FASHION = _IdxSet("Fashion-MNIST", "load_fashion_mnist", KNOWN_FASHION_MNIST_FILES,
                   lambda dest: download_fashion_mnist(dest), None, "fashion-mnist")


def load_mnist(path=None, download: bool = True, verify: bool = True,
               splits=("train", "test")):
    """Load MNIST as ``((x_train, y_train), (x_test, y_test))``.

    Images are float32 in [0, 1] with shape (n, 28, 28, 1); labels are uint8.
    Looks, in order, at `path`, the ``VAELAB_DATA`` environment variable and the Keras
    cache (``~/.keras/datasets``); a folder may hold the IDX files (gzipped or not) or
    ``mnist.npz``. ``VAELAB_DATA`` and ``KERAS_HOME`` are read at each call. If none has the
    data and `download` is true, the official files are downloaded into the Keras cache.

    With `verify` (the default) every file read must have the sha256 of a known version
    of it (:data:`KNOWN_MNIST_FILES`, the official files and vaelab's rebuilt training
    images); an altered file is an error naming it. `splits` names the splits to return, in
    order: one name (``"test"``) returns its ``(x, y)`` pair alone, and only that split's
    files need to be there.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_mnist("../shared/data/mnist")
        >>> x_test.shape
        (10000, 28, 28, 1)
        >>> x_test, y_test = load_mnist("../shared/data/mnist", splits="test")
    """
    return _load_idx_set(_MNIST, path, download, verify, splits)


def load_fashion_mnist(path=None, download: bool = True, verify: bool = True,
                       splits=("train", "test")):
    """Load Fashion-MNIST as ``((x_train, y_train), (x_test, y_test))``, like :func:`load_mnist`.

    Images are float32 in [0, 1] with shape (n, 28, 28, 1); labels are uint8 class numbers
    (names in :data:`FASHION_MNIST_CLASSES`). The official IDX files (gzipped) have MNIST's
    names, so they live in a folder of their own: looked for, in order, at `path`, the
    ``fashion-mnist`` folder inside ``VAELAB_DATA``, and the Keras cache's
    ``~/.keras/datasets/fashion-mnist`` (where ``keras.datasets.fashion_mnist`` puts them);
    with `download` they are downloaded there, each checked against its sha256. With
    `verify` every file read must be the official one (:data:`KNOWN_FASHION_MNIST_FILES`).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_fashion_mnist()  # doctest: +SKIP
        >>> FASHION_MNIST_CLASSES[y_test[0]]  # doctest: +SKIP
        'Ankle boot'
    """
    return _load_idx_set(_FASHION, path, download, verify, splits)


def _load_idx_set(spec: _IdxSet, path, download, verify, splits):
    wanted = check_splits(splits)
    found = _find_idx_set(spec, path, as_flag(download, "download"), as_flag(verify, "verify"),
                          wanted)
    return found[0] if isinstance(splits, str) else found


def _find_idx_set(spec: _IdxSet, path, download, verify, wanted):
    candidates = candidate_dirs(path, spec.subfolder)
    for folder in candidates:
        found = _load_from_dir(spec, folder, wanted, verify)
        if found is not None:
            return found
    looked = "\n".join(f"  - {c}: {_missing(spec, c, wanted)}" for c in candidates)
    files = "the IDX files" + (f" or {spec.npz}" if spec.npz else "")
    if path is not None:
        raise FileNotFoundError(
            f"{spec.name} not found at path={str(path)!r}: expected the IDX files of the "
            f"{' and '.join(wanted)} split(s) (e.g. t10k-images-idx3-ubyte.gz)"
            f"{' or ' + spec.npz if spec.npz else ''} there. Looked in:\n{looked}"
        )
    where = "a folder with " + files
    if spec.subfolder:
        where += f" (inside its sub-folder {spec.subfolder})"
    if not download:
        raise FileNotFoundError(
            f"{spec.name} not found. Looked in:\n{looked}\nPass path= or set VAELAB_DATA to "
            f"{where}, or call {spec.loader}(download=True)."
        )
    cache = keras_cache_dir() / spec.subfolder
    try:
        spec.download(cache)
    except OSError as err:
        raise FileNotFoundError(
            f"{spec.name} not found and the download failed ({err}). Looked in:\n{looked}\n"
            f"Pass path= or set VAELAB_DATA to {where}."
        ) from err
    return _load_from_dir(spec, cache, wanted, verify)


def verify_mnist_file(path) -> Path:
    """`path` once its sha256 is that of a known version of that MNIST file.

    Otherwise a ``ValueError`` names the file, its sha256 and the accepted ones with their
    provenance (:data:`KNOWN_MNIST_FILES`).

    Example:
        >>> verify_mnist_file("../shared/data/mnist/t10k-labels-idx1-ubyte.gz").name
        't10k-labels-idx1-ubyte.gz'
    """
    return _verify_file(path, KNOWN_MNIST_FILES)


def _verify_file(path, known_files: dict) -> Path:
    path = Path(path)
    known = known_files.get(path.name)
    if known is None:
        raise ValueError(f"{path}: no known sha256 for a file of this name; expected one of "
                         f"{sorted(known_files)}")
    actual = sha256_file(path)
    if actual not in known:
        accepted = "; ".join(f"{sha} ({source})" for sha, source in known.items())
        raise ValueError(
            f"{path}: sha256 {actual} matches no known version of {path.name} (accepted: "
            f"{accepted}). The file was altered or corrupted: replace it, or pass "
            "verify=False to load it unchecked."
        )
    return path


def download_mnist(dest, base_url: str = MNIST_URL, checksums=None) -> Path:
    """Download the four MNIST IDX files into `dest`, checking each sha256; return `dest`.

    Files already present with the right hash are kept. A file whose hash does not
    match is never left behind: it is written to a temporary name and removed.

    Example:
        >>> download_mnist("~/.keras/datasets")  # doctest: +SKIP
    """
    return download_files(dest, base_url, MNIST_SHA256 if checksums is None else checksums)


def download_fashion_mnist(dest, base_url: str = FASHION_MNIST_URL, checksums=None) -> Path:
    """Download the four Fashion-MNIST IDX files into `dest`, checking each sha256, as
    :func:`download_mnist` does for MNIST; return `dest`.

    Example:
        >>> download_fashion_mnist("~/.keras/datasets/fashion-mnist")  # doctest: +SKIP
    """
    return download_files(dest, base_url,
                          FASHION_MNIST_SHA256 if checksums is None else checksums)


def download_files(dest, base_url: str, checksums: dict) -> Path:
    """Download each file named in `checksums` from `base_url` into `dest`; return `dest`.

    A file already there with the expected sha256 is kept. A download whose sha256 differs
    is an ``OSError`` and never left behind: it goes to a temporary name, removed on failure.
    """
    dest = Path(dest).expanduser()
    dest.mkdir(parents=True, exist_ok=True)
    for name, expected in checksums.items():
        target = dest / name
        if target.exists() and sha256_file(target) == expected:
            continue
        fd, tmp = tempfile.mkstemp(dir=dest, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(base_url + name,
                                                                    timeout=60) as resp:
                out.write(resp.read())
            actual = sha256_file(tmp)
            if actual != expected:
                raise OSError(f"{name}: sha256 {actual} does not match the official {expected}")
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    return dest


def read_idx(path) -> np.ndarray:
    """Read one IDX file (gzipped or not) into a uint8 array, validating its header.

    Example:
        >>> read_idx("../shared/data/mnist/t10k-labels-idx1-ubyte.gz").shape
        (10000,)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no IDX file at {str(path)!r}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"{path}: cannot be read as an IDX file ({err}); is it corrupted?") \
            from err
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for an IDX header ({len(raw)} bytes)")
    magic = int.from_bytes(raw[:4], "big")
    if magic not in (_IMAGE_MAGIC, _LABEL_MAGIC):
        raise ValueError(
            f"{path}: bad IDX magic number {magic}; expected {_IMAGE_MAGIC} (images) "
            f"or {_LABEL_MAGIC} (labels)"
        )
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise ValueError(
            f"{path}: header announces shape {dims} ({expected} bytes) but the file has "
            f"{len(raw)} bytes; it is truncated or corrupted"
        )
    if ndim == 3 and dims[1:] != (28, 28):
        raise ValueError(f"{path}: expected 28 x 28 images, got {dims[1]} x {dims[2]}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def sha256_file(path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def candidate_dirs(path, subfolder: str = "") -> list[Path]:
    """Where to look, in order: `path` alone, else VAELAB_DATA and the Keras cache (or their
    `subfolder`)."""
    if path is not None:
        return [Path(path).expanduser()]
    dirs = []
    if environment_variable("VAELAB_DATA"):
        dirs.append(Path(environment_variable("VAELAB_DATA")).expanduser() / subfolder)
    dirs.append(keras_cache_dir() / subfolder)
    return dirs


def keras_cache_dir() -> Path:
    home = environment_variable("KERAS_HOME") or Path.home() / ".keras"
    return Path(home).expanduser() / "datasets"


def check_splits(splits) -> tuple:
    wanted = (splits,) if isinstance(splits, str) else tuple(splits)
    if not wanted or not all(isinstance(s, str) and s in _SPLITS for s in wanted):
        raise ValueError(f"splits: expected \"train\", \"test\" or both, got {splits!r}")
    return tuple(dict.fromkeys(wanted))


def _load_from_dir(spec: _IdxSet, folder: Path, wanted, verify: bool):
    if not folder.is_dir():
        return None
    idx = {split: _find_split(folder, split) for split in wanted}
    if all(v is not None for v in idx.values()):
        return tuple(_read_split(spec, folder, split, *idx[split], verify) for split in wanted)
    npz = folder / spec.npz if spec.npz else None
    if npz is not None and npz.exists():
        arrays = _read_npz(npz, verify)
        return tuple(arrays[split] for split in wanted)
    return None


def _missing(spec: _IdxSet, folder: Path, wanted) -> str:
    """What `folder` lacks to give the splits `wanted`, for the "not found" message."""
    if not folder.exists():
        return "no such folder"
    if not folder.is_dir():
        return "not a folder"
    absent = [stem + "[.gz]" for split in wanted for stem in _SPLITS[split][:2]
              if _idx_file(folder, stem) is None]
    return "missing " + ", ".join(absent) + (f" (and no {spec.npz})" if spec.npz else "")


def _find_split(folder: Path, split: str):
    found = [_idx_file(folder, stem) for stem in _SPLITS[split][:2]]
    return None if None in found else found


def _idx_file(folder: Path, stem: str):
    """`stem`.gz or `stem` in `folder`, whichever exists first; None if neither."""
    return next((folder / (stem + ext) for ext in (".gz", "") if (folder / (stem + ext)).exists()),
                None)


def _read_split(spec: _IdxSet, folder, split, images_path, labels_path, verify):
    for path in (images_path, labels_path) if verify else ():
        _verify_file(path, spec.known)
    images, labels = read_idx(images_path), read_idx(labels_path)
    n = _SPLITS[split][2]
    if images.ndim != 3 or labels.ndim != 1:
        raise ValueError(f"{folder}: {split} images must be 3-d and labels 1-d IDX arrays")
    if images.shape[0] != n or labels.shape[0] != n:
        raise ValueError(
            f"{folder}: expected {n} {split} images and labels, got {images.shape[0]} images "
            f"and {labels.shape[0]} labels"
        )
    return _to_model_arrays(images, labels, f"{folder} ({split})")


def _read_npz(npz: Path, verify: bool) -> dict:
    if verify:
        verify_mnist_file(npz)
    try:
        with np.load(npz) as data:
            arrays = {k: data[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except (KeyError, OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise ValueError(
            f"{npz}: expected an npz with x_train, y_train, x_test, y_test ({err})"
        ) from err
    out = {}
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.shape[1:] != (28, 28) or y.shape != (x.shape[0],):
            raise ValueError(
                f"{npz}: expected x_{split} of shape (n, 28, 28) and y_{split} of shape (n,), "
                f"got {x.shape} and {y.shape}"
            )
        out[split] = _to_model_arrays(x, y, str(npz))
    return out


def _to_model_arrays(images: np.ndarray, labels: np.ndarray, where: str):
    if labels.max() > 9:
        raise ValueError(f"{where}: labels must be digits 0..9, found {int(labels.max())}")
    x = (images.astype(np.float32) / np.float32(255.0))[..., np.newaxis]
    return x, labels.astype(np.uint8)
