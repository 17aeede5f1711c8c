"""CIFAR-10 from its official Python files: the archive ``cifar-10-python.tar.gz`` or the
folder ``cifar-10-batches-py`` it unpacks to (``data_batch_1`` ... ``data_batch_5``,
``test_batch``), found where MNIST is looked for and downloaded once if need be."""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
import zlib
from pathlib import Path

import numpy as np

from .checks import as_flag
from .data import candidate_dirs, check_splits, download_files, keras_cache_dir, sha256_file

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/"
CIFAR10_ARCHIVE = "cifar-10-python.tar.gz"
CIFAR10_FOLDER = "cifar-10-batches-py"
# The archive's sha256, as keras.datasets.cifar10 checks it.
CIFAR10_ARCHIVE_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
# md5 of each unpacked batch, as torchvision's CIFAR10 checks them (the CIFAR page lists
# the archive's md5, c58f30108f718f92721af3b95e74349a; no sha256 of the batches is published).
CIFAR10_BATCH_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
}
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")

_BATCHES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}
# The folders below a search place that may hold the batches: itself, the archive's own
# folder, and the one Keras 3 unpacks the archive into.
_BATCH_FOLDERS = ("", CIFAR10_FOLDER, "cifar-10-batches-py-target/" + CIFAR10_FOLDER)


def load_cifar10(path=None, download: bool = True, verify: bool = True,
                 splits=("train", "test")):
    """Load CIFAR-10 as ``((x_train, y_train), (x_test, y_test))``.

    Images are float32 in [0, 1] of shape (n, 32, 32, 3) (50,000 training images take
    600 MB); labels are uint8 class numbers, named in :data:`CIFAR10_CLASSES`. Looks, in
    order, at `path`, ``VAELAB_DATA`` and the Keras cache (``~/.keras/datasets``); in each,
    for the batches (in the folder itself, in ``cifar-10-batches-py/`` or where Keras 3
    unpacks them), then for the archive ``cifar-10-python.tar.gz``, read without unpacking.
    If none has them and `download` is true, the archive is downloaded into the Keras cache,
    its sha256 checked. With `verify`, each batch must have its official md5
    (:data:`CIFAR10_BATCH_MD5`) and the archive its sha256. `splits` works as in
    :func:`vaelab.load_mnist`.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_cifar10()  # doctest: +SKIP
        >>> x_test.shape  # doctest: +SKIP
        (10000, 32, 32, 3)
    """
    wanted = check_splits(splits)
    found = _find(path, as_flag(download, "download"), as_flag(verify, "verify"), wanted)
    return found[0] if isinstance(splits, str) else found


def read_cifar_batch(source, name: str = "") -> tuple:
    """Images (uint8, n x 32 x 32 x 3) and labels (uint8) of one official CIFAR-10 batch.

    `source` is the batch's path, or its bytes with `name` saying where they came from (for
    error messages). The batch is a pickle read with a restricted unpickler that builds
    NumPy arrays and nothing else, so a malicious file cannot run code.
    """
    where = name or str(source)
    raw = Path(source).read_bytes() if not isinstance(source, bytes) else source
    try:
        batch = _Unpickler(io.BytesIO(raw), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError) as err:
        raise ValueError(f"{where}: not a CIFAR-10 batch (a pickled dict); it cannot be "
                         f"read ({err})") from err
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise ValueError(f"{where}: expected a CIFAR-10 batch, a dict with b'data' and "
                         f"b'labels', got {type(batch).__name__}"
                         + (f" with keys {sorted(batch)}" if isinstance(batch, dict) else ""))
    data, labels = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"{where}: expected b'data' as uint8 rows of 3072 values (32 x 32 "
                         f"pixels x 3 colours), got {data.dtype} of shape {data.shape}")
    if labels.shape != (data.shape[0],):
        raise ValueError(f"{where}: {data.shape[0]} images but {labels.size} labels")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"{where}: labels must be classes 0..9, found "
                         f"{int(labels.min())}..{int(labels.max())}")
    # Each row holds the red plane, then the green, then the blue, each row-major.
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, labels.astype(np.uint8)


class _Unpickler(pickle.Unpickler):
    """Builds NumPy arrays, dtypes and Python's own containers; refuses everything else.

    (``_codecs.encode`` turns text back into bytes in pickles of protocol 2 and below.)
    """

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"),
                ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}: a CIFAR-10 batch "
                                         "holds only NumPy arrays, lists and strings")
        return super().find_class(module, name)


def _find(path, download, verify, wanted):
    candidates = candidate_dirs(path)
    for folder in candidates:
        found = _load_from(folder, wanted, verify)
        if found is not None:
            return found
    looked = "\n".join(f"  - {folder}" for folder in candidates)
    expected = (f"the batches ({', '.join(b for s in wanted for b in _BATCHES[s])}), in the "
                f"folder or in {CIFAR10_FOLDER}/, or the archive {CIFAR10_ARCHIVE}")
    if path is not None:
        raise FileNotFoundError(f"CIFAR-10 not found at path={str(path)!r}: expected "
                                f"{expected}. Looked in:\n{looked}")
    if not download:
        raise FileNotFoundError(f"CIFAR-10 not found: expected {expected}. Looked in:\n"
                                f"{looked}\nPass path= or set VAELAB_DATA, or call with "
                                "download=True.")
    cache = keras_cache_dir()
    try:
        download_files(cache, CIFAR10_URL, {CIFAR10_ARCHIVE: CIFAR10_ARCHIVE_SHA256})
    except OSError as err:
        raise FileNotFoundError(f"CIFAR-10 not found and the download failed ({err}). "
                                f"Looked in:\n{looked}") from err
    return _load_from(cache, wanted, verify)


def _load_from(folder: Path, wanted, verify):
    """The splits `wanted` from `folder` (its batches, else its archive), or None."""
    names = [b for split in wanted for b in _BATCHES[split]]
    for sub in _BATCH_FOLDERS:
        batch_dir = folder / sub
        if all((batch_dir / name).is_file() for name in names):
            reader = _folder_reader(batch_dir, verify)
            return tuple(_read_split(split, reader) for split in wanted)
    archive = folder / CIFAR10_ARCHIVE
    if archive.is_file():
        reader = _archive_reader(archive, verify)
        return tuple(_read_split(split, reader) for split in wanted)
    return None


def _read_split(split, reader):
    parts = [reader(name) for name in _BATCHES[split]]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return (images.astype(np.float32) / np.float32(255.0), labels)


def _folder_reader(batch_dir: Path, verify: bool):
    def read(name):
        path = batch_dir / name
        if verify:
            actual = hashlib.md5(path.read_bytes()).hexdigest()
            if actual != CIFAR10_BATCH_MD5[name]:
                raise ValueError(f"{path}: md5 {actual} is not that of the official {name} "
                                 f"({CIFAR10_BATCH_MD5[name]}); the file was altered or "
                                 "corrupted: replace it, or pass verify=False to load it "
                                 "unchecked.")
        return read_cifar_batch(path)
    return read


def _archive_reader(archive: Path, verify: bool):
    if verify:
        actual = sha256_file(archive)
        if actual != CIFAR10_ARCHIVE_SHA256:
            raise ValueError(f"{archive}: sha256 {actual} is not that of the official archive "
                             f"({CIFAR10_ARCHIVE_SHA256}); replace it, or pass verify=False "
                             "to load it unchecked.")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = {m.name: m for m in tar.getmembers() if m.isfile()}
            contents = {Path(name).name: tar.extractfile(member).read()
                        for name, member in members.items()
                        if Path(name).name in CIFAR10_BATCH_MD5}
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        raise ValueError(f"{archive}: cannot be read as a .tar.gz archive ({err}); is it "
                         "truncated or corrupted?") from err

    def read(name):
        if name not in contents:
            raise ValueError(f"{archive}: has no {CIFAR10_FOLDER}/{name}; expected the "
                             f"official archive with {', '.join(CIFAR10_BATCH_MD5)}")
        return read_cifar_batch(contents[name], f"{archive}:{name}")
    return read
