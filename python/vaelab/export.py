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
from .files import write_text
from .models import save_weights
from .pretrained import WEIGHTS_DIR, manifest


def export_pretrained(model: keras.Model, name: str, entry: dict, weights_dir=None) -> dict:
    """Write `model`'s weights and its manifest entry (used by the data-raw scripts).

    `entry` holds the architecture and provenance (architecture, latent_dim, recipe,
    data, epochs, seed, versions, metrics); the file name and sha256 are added here.
    """
    weights_dir = Path(weights_dir or WEIGHTS_DIR)
    file = f"{name}.weights.h5"
    save_weights(_without_optimizer(model), weights_dir / file)
    entry = {**entry, "file": file, "sha256": sha256_file(weights_dir / file)}
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
