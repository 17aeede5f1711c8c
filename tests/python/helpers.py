"""Helpers shared by the test files: synthetic IDX/npz files and images (never real MNIST),
and a fresh interpreter on a chosen Keras backend."""

import gzip
import importlib.util
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """An IDX file's bytes: big-endian magic (0x0800 | ndim), one int32 per dim, uint8 data."""
    array = np.asarray(array, dtype=np.uint8)
    magic = (0x0800 | array.ndim) if magic is None else magic
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def write_idx(path, array, magic=None, gz=None) -> Path:
    """Write `array` as an IDX file, gzipped when the name ends in .gz (or `gz` says so)."""
    path = Path(path)
    data = idx_bytes(array, magic)
    gz = path.suffix == ".gz" if gz is None else gz
    path.write_bytes(gzip.compress(data, compresslevel=1) if gz else data)
    return path


def synthetic_images(n: int, seed: int = 0) -> np.ndarray:
    """`n` float32 (28, 28, 1) images of random bright strokes on black, a little like digits."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 28, 28), np.float32)
    for img in x:
        for _ in range(3):
            r, c = rng.integers(4, 24, size=2)
            dr, dc = rng.integers(-1, 2, size=2)
            for k in range(-6, 7):
                rr, cc = r + k * dr, c + k * (dc if dr or dc else 1)
                if 0 <= rr < 27 and 0 <= cc < 27:
                    img[rr:rr + 2, cc:cc + 2] = rng.uniform(0.6, 1.0)
    return x[..., np.newaxis]


def synthetic_mnist_npz(folder, n_train: int = 120, n_test: int = 120, label=None) -> Path:
    """Write a small mnist.npz (uint8 images, labels cycling 0..9 or all `label`) into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def split(n, seed):
        x = np.round(synthetic_images(n, seed)[..., 0] * 255).astype(np.uint8)
        y = np.full(n, label, np.uint8) if label is not None else (np.arange(n) % 10).astype(
            np.uint8)
        return x, y

    (x_train, y_train), (x_test, y_test) = split(n_train, 1), split(n_test, 2)
    np.savez(folder / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test,
             y_test=y_test)
    return folder / "mnist.npz"


CIFAR_BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def cifar_batch_bytes(number, n=4):
    """An official-format CIFAR-10 batch: a dict with byte-string keys, pickled by Python 2's
    rules (protocol 2); image k's red plane is 10 * number + k, green 100, blue 200."""
    data = np.zeros((n, 3, 32, 32), np.uint8)
    data[:, 0] = (10 * number + np.arange(n))[:, None, None]
    data[:, 1], data[:, 2] = 100, 200
    batch = {b"batch_label": f"batch {number}".encode(), b"labels": [(number + k) % 10
                                                                      for k in range(n)],
             b"data": data.reshape(n, 3072), b"filenames": [b"x.png"] * n}
    return pickle.dumps(batch, protocol=2)


def write_cifar_folder(folder):
    """Write the six CIFAR-10 batches of :func:`cifar_batch_bytes` (4 images each) into
    `folder` (created); return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, name in enumerate(CIFAR_BATCHES, start=1):
        (folder / name).write_bytes(cifar_batch_bytes(number))
    return folder


def assert_no_temp_files(folder, expected):
    """`folder` holds exactly the files `expected` (no leftover temporary files)."""
    assert sorted(p.name for p in Path(folder).iterdir()) == sorted(expected)


def run_python(args, **env):
    """Run ``python *args`` with this checkout's vaelab importable and `env` set; fail with
    its stderr unless it succeeds. Returns the finished process."""
    python_dir = str(Path(__file__).resolve().parents[2] / "python")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([python_dir] + sys.path), **env}
    run = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


# Keras 3's backends, which the ``backends`` marker names.
BACKENDS = ("tensorflow", "jax", "torch")


def backends_skip_reason(names, kwargs, backend):
    """Why a test marked ``backends(*names, reason=...)`` is skipped on `backend`, or None
    where it runs; a ValueError for a marker without names, with an unknown one or without a
    reason."""
    if not names or not set(names) <= set(BACKENDS) or set(kwargs) != {"reason"} \
            or not kwargs["reason"]:
        raise ValueError(f"expected @pytest.mark.backends(name, ..., reason=...) with names "
                         f"among {BACKENDS}, got {names} {kwargs}")
    if backend in names:
        return None
    return f"{' and '.join(names)} only, not {backend}: {kwargs['reason']}"


# A test whose interpreters run on backends it chooses itself is the same test whatever
# KERAS_BACKEND the suite runs on: it runs in TensorFlow's run (the default) only.
OWN_BACKEND = pytest.mark.backends(
    "tensorflow", reason="starts its own interpreters on the backend it names: the same test "
    "in every backend's run, so run in TensorFlow's only")


def run_on_backend(backend: str, script: str, *args: str, **env):
    """Run `script` in a fresh interpreter with Keras on `backend` ("tensorflow", "jax" or
    "torch") and `env` set; it must print "ok" last. Skips when the backend's library is not
    installed (one that is installed but broken fails)."""
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install -e '.[dev]' installs it)")
    run = run_python(["-c", script, *args], KERAS_BACKEND=backend, **env)
    assert run.stdout.strip().endswith("ok"), run.stdout[-3000:]
    return run


def run_on_jax(script: str, *args: str, **env):
    """:func:`run_on_backend` on JAX, the GPU path where TensorFlow has no GPU."""
    return run_on_backend("jax", script, *args, **env)
