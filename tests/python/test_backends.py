"""The core trains on Keras 3's JAX backend too (the GPU path where TensorFlow has no GPU)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import numpy as np, keras, vaelab
assert keras.backend.backend() == "jax"
x = np.random.default_rng(0).random((64, 28, 28, 1)).astype("float32")
for model in (vaelab.build_vae(seed=1), vaelab.build_dfc_vae(vaelab.build_perceptual_model(), seed=1)):
    loss = vaelab.train_vae(model, x, epochs=2, batch_size=32, verbose=0).history["loss"]
    assert np.isfinite(loss).all() and loss[-1] < loss[0], (model.name, loss)
    assert vaelab.reconstruct(model, x[:3]).shape == (3, 28, 28, 1)
print("ok")
"""


def test_vae_and_dfc_vae_train_on_the_jax_backend():
    pytest.importorskip("jax")
    python_dir = str(Path(__file__).resolve().parents[2] / "python")
    path = os.pathsep.join([python_dir] + sys.path)
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": path}
    run = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith("ok")
