"""Atomic file writing: a reader (or a crash) never sees half a file.

A write goes to a hidden temporary file beside the target, which replaces the target only
once complete. The replaced file's permissions carry over, and a symlink stays a link: the
file it points to is replaced. The temporary file is removed on any exception; one left by
a process killed mid-write (``kill -9``) is removed by the next write of the same file.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import sys
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; move it onto `path` only if the block succeeds.

    The temporary name keeps `path`'s full suffix (``.weights.h5``, ``.keras``, ``.png``)
    because Keras and Matplotlib choose the format from it. An ``OSError`` (a read-only
    folder, a full disk) names `path` and the cause.

    Example:
        >>> with atomic_path("report.md") as tmp:  # doctest: +SKIP
        ...     tmp.write_text("# Report")
    """
    path = Path(path).expanduser()
    target = writable_target(path)
    base, suffix = _split_name(target.name)
    remove_orphans(target)
    tmp = target.with_name(f".{base}.tmp-{os.getpid()}-{secrets.token_hex(4)}{suffix}")
    try:
        yield tmp
        _copy_mode(target, tmp)
        os.replace(tmp, target)
    except OSError as err:
        close_hdf5(tmp)
        raise _naming(err, path) from err
    finally:
        if os.path.lexists(tmp):
            os.remove(tmp)


def writable_target(path) -> Path:
    """The file a write to `path` replaces (a symlink's target), its folder created.

    Raises ``IsADirectoryError`` when that is a folder and ``NotADirectoryError`` when a
    folder on the way is a file, naming both.
    """
    path = Path(path).expanduser()
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if target.is_dir():
        raise IsADirectoryError(f"{path}: is a folder; expected a file name inside it")
    blocking = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise NotADirectoryError(f"{path}: cannot be written: {blocking} is a file, not a folder")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _naming(err, path) from err
    return target


def check_writable(path) -> Path:
    """Fail now, naming `path` and the cause, if a file could not be written there later.

    For work that ends with a write (training, then saving): checked before it starts.
    """
    target = writable_target(path)
    try:
        with tempfile.TemporaryFile(dir=target.parent):
            pass
    except OSError as err:
        raise _naming(err, Path(path)) from err
    return target


def remove_orphans(target: Path) -> list:
    """Remove temporary files of `target` left by writers that no longer run; return them."""
    base, suffix = _split_name(target.name)
    pattern = re.compile(rf"\.{re.escape(base)}\.tmp-(\d+)-[0-9a-f]+{re.escape(suffix)}")
    removed = []
    for entry in target.parent.iterdir():
        match = pattern.fullmatch(entry.name)
        if match and not _running(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):  # another writer swept it first
                entry.unlink()
                removed.append(entry)
    return removed


def close_hdf5(path):
    """Close what HDF5 still holds open in the file `path`, a write that failed.

    Keras leaves a weights file open when writing it fails (a full disk), and HDF5 crashes
    the process when it closes a file it cannot flush, at the latest at exit. Emptied first,
    the file has room for that last flush.
    """
    h5py = sys.modules.get("h5py")
    if h5py is None or not os.path.exists(path):  # nothing written through HDF5
        return
    name = os.fsencode(path)
    # Every kind of object but datatypes, which may be transient, outside any file.
    kinds = h5py.h5f.OBJ_ALL & ~h5py.h5f.OBJ_DATATYPE
    left_open = [obj for obj in h5py.h5f.get_obj_ids(types=kinds)
                 if obj.valid and h5py.h5f.get_name(obj) == name]
    if left_open:
        os.truncate(path, 0)
    for obj in left_open:
        while obj.valid:
            h5py.h5i.dec_ref(obj)


def write_text(path, text: str) -> Path:
    """Write `text` to `path` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _split_name(name: str):
    """``"vae.weights.h5"`` -> ``("vae", ".weights.h5")``."""
    base, dot, rest = name.partition(".")
    return (base, dot + rest) if base else (name, "")


def _copy_mode(target: Path, tmp: Path):
    if target.exists():
        os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """A killed process that its parent has not reaped yet still has its id."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc (macOS): assume it runs
        return False
    return stat_line.rpartition(")")[2].split()[0] == "Z"


def _naming(err: OSError, path: Path) -> OSError:
    """`err` with a message that names `path` (once) and the cause."""
    if str(path) in str(err):
        return err
    # h5py reports the system's reason inside a long message of its own.
    h5py_reason = re.search(r"error message = '([^']+)'", str(err))
    cause = (h5py_reason and h5py_reason.group(1)) or err.strerror or str(err) or \
        type(err).__name__
    return type(err)(err.errno, f"cannot write {path}: {cause}") if err.errno else \
        type(err)(f"cannot write {path}: {cause}")
