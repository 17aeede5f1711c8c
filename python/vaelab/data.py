"""MNIST: find it on disk (or download it once), validate it, return arrays ready for the models."""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.request
import zipfile
import zlib
from pathlib import Path

import numpy as np

MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"

# sha256 of the official gzipped IDX files.
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

_SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000),
}
_IMAGE_MAGIC, _LABEL_MAGIC = 2051, 2049


def load_mnist(path=None, download: bool = True):
    """Load MNIST as ``((x_train, y_train), (x_test, y_test))``.

    Images are float32 in [0, 1] with shape (n, 28, 28, 1); labels are uint8.
    Looks, in order, at `path`, the ``VAELAB_DATA`` environment variable and the Keras
    cache (``~/.keras/datasets``); a folder may hold the four IDX files (gzipped or
    not) or ``mnist.npz``. If none has the data and `download` is true, the official
    files are downloaded into the Keras cache and their sha256 checked.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_mnist("../shared/data/mnist")
        >>> x_test.shape
        (10000, 28, 28, 1)
    """
    candidates = _candidate_dirs(path)
    for folder in candidates:
        found = _load_from_dir(folder)
        if found is not None:
            return found
    looked = "\n".join(f"  - {c}" for c in candidates) or "  (nowhere)"
    if path is not None:
        raise FileNotFoundError(
            f"MNIST not found at path={str(path)!r}: expected the four IDX files "
            f"(e.g. t10k-images-idx3-ubyte.gz) or mnist.npz there. Looked in:\n{looked}"
        )
    if not download:
        raise FileNotFoundError(
            "MNIST not found. Looked in:\n" + looked + "\nPass path= or set VAELAB_DATA to a "
            "folder with the four IDX files or mnist.npz, or call load_mnist(download=True)."
        )
    cache = _keras_cache_dir()
    try:
        download_mnist(cache)
    except OSError as err:
        raise FileNotFoundError(
            f"MNIST not found and the download failed ({err}). Looked in:\n{looked}\n"
            "Pass path= or set VAELAB_DATA to a folder with the four IDX files or mnist.npz."
        ) from err
    return _load_from_dir(cache)


def download_mnist(dest, base_url: str = MNIST_URL, checksums=None) -> Path:
    """Download the four MNIST IDX files into `dest`, checking each sha256; return `dest`.

    Files already present with the right hash are kept. A file whose hash does not
    match is never left behind: it is written to a temporary name and removed.

    Example:
        >>> download_mnist("~/.keras/datasets")  # doctest: +SKIP
    """
    checksums = MNIST_SHA256 if checksums is None else checksums
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


def _candidate_dirs(path) -> list[Path]:
    if path is not None:
        return [Path(path).expanduser()]
    dirs = []
    if os.environ.get("VAELAB_DATA"):
        dirs.append(Path(os.environ["VAELAB_DATA"]).expanduser())
    dirs.append(_keras_cache_dir())
    return dirs


def _keras_cache_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser() / "datasets"


def _load_from_dir(folder: Path):
    if not folder.is_dir():
        return None
    idx = {split: _find_split(folder, split) for split in _SPLITS}
    if all(v is not None for v in idx.values()):
        return tuple(_read_split(folder, split, *idx[split]) for split in _SPLITS)
    npz = folder / "mnist.npz"
    if npz.exists():
        return _read_npz(npz)
    return None


def _find_split(folder: Path, split: str):
    images, labels, _ = _SPLITS[split]
    found = []
    for stem in (images, labels):
        hits = [folder / (stem + ext) for ext in (".gz", "") if (folder / (stem + ext)).exists()]
        if not hits:
            return None
        found.append(hits[0])
    return found


def _read_split(folder, split, images_path, labels_path):
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


def _read_npz(npz: Path):
    try:
        with np.load(npz) as data:
            arrays = {k: data[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except (KeyError, OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise ValueError(
            f"{npz}: expected an npz with x_train, y_train, x_test, y_test ({err})"
        ) from err
    out = []
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.shape[1:] != (28, 28) or y.shape != (x.shape[0],):
            raise ValueError(
                f"{npz}: expected x_{split} of shape (n, 28, 28) and y_{split} of shape (n,), "
                f"got {x.shape} and {y.shape}"
            )
        out.append(_to_model_arrays(x, y, str(npz)))
    return tuple(out)


def _to_model_arrays(images: np.ndarray, labels: np.ndarray, where: str):
    if labels.max() > 9:
        raise ValueError(f"{where}: labels must be digits 0..9, found {int(labels.max())}")
    x = (images.astype(np.float32) / np.float32(255.0))[..., np.newaxis]
    return x, labels.astype(np.uint8)
