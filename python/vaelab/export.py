"""Writing pretrained weights and their manifest entry, for the data-raw/ training scripts.

Kept out of ``import vaelab``: the manifest's lock uses ``fcntl``, which exists on POSIX
systems only, and only those who train the shipped models need it.
"""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

import keras

from .data import sha256_file
from .files import atomic_path, write_text
from .pretrained import WEIGHTS_DIR, manifest

STORED_DTYPES = ("float32", "float16")


def export_pretrained(model: keras.Model, name: str, entry: dict, weights_dir=None,
                      dtype: str = "float32") -> dict:
    """Write `model`'s weights and its manifest entry (used by the data-raw scripts).

    `entry` holds the architecture and provenance (architecture, latent_dim, recipe,
    data, epochs, seed, versions, metrics); the file name, its size in bytes, its sha256
    and the `dtype` the weights are stored in are added here. ``dtype="float16"`` halves
    the file: Keras casts the values back to the model's float32 when it loads them, so a
    loaded model computes with the rounded weights (measure it after loading, not before
    export).
    """
    if dtype not in STORED_DTYPES:
        raise ValueError(f"dtype: expected one of {STORED_DTYPES}, got {dtype!r}")
    weights_dir = Path(weights_dir or WEIGHTS_DIR)
    file = f"{name}.weights.h5"
    with atomic_path(weights_dir / file) as tmp:
        _without_optimizer(model).save_weights(tmp)
        if dtype == "float16":
            _store_as_float16(tmp)
    path = weights_dir / file
    entry = {**entry, "dtype": dtype, "file": file, "bytes": path.stat().st_size,
             "sha256": sha256_file(path)}
    # Several data-raw trainings may finish at once: serialise the manifest's read-modify-write.
    with open(weights_dir / ".manifest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        models = manifest(weights_dir)
        models[name] = entry
        write_text(weights_dir / "manifest.json",
                   json.dumps({"models": dict(sorted(models.items()))}, indent=2) + "\n")
    return entry


def _without_optimizer(model: keras.Model) -> keras.Model:
    """An uncompiled copy of `model` when its config rebuilds it whole, else `model` itself.

    A compiled model's weights file also holds its optimizer state, doubling its size.
    Functional models rebuild from their config; subclassed ones (the VAE-GAN) build
    only on their first call, so they are saved as they are.
    """
    try:
        bare = model.__class__.from_config(model.get_config())
    except (TypeError, ValueError, NotImplementedError):
        return model
    if not bare.built or len(bare.weights) != len(model.weights):
        return model
    bare.set_weights(model.get_weights())
    return bare


def _store_as_float16(path) -> None:
    """Rewrite the weights file `path` with its float32 arrays as float16.

    Written afresh: HDF5 does not give back the space of arrays deleted from a file.
    """
    import h5py  # comes with Keras

    with h5py.File(path, "r") as f:
        items = []
        f.visititems(lambda key, item: items.append(
            (key, dict(item.attrs), item[()] if isinstance(item, h5py.Dataset) else None)))
        root = dict(f.attrs)
    with h5py.File(path, "w") as f:
        f.attrs.update(root)
        for key, attrs, values in items:
            if values is None:
                item = f.require_group(key)
            else:
                item = f.create_dataset(key, data=values.astype("float16")
                                        if values.dtype == "float32" else values)
            item.attrs.update(attrs)
