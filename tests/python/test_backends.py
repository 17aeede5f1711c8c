"""The core trains on Keras 3's JAX backend too (the GPU path where TensorFlow has no GPU)."""

import numpy as np

import vaelab
from helpers import run_on_jax

TRAIN_SCRIPT = """
import numpy as np, keras, vaelab
assert keras.backend.backend() == "jax"
x = np.random.default_rng(0).random((64, 28, 28, 1)).astype("float32")
for model in (vaelab.build_vae(seed=1),
              vaelab.build_dfc_vae(vaelab.build_perceptual_model(), seed=1)):
    loss = vaelab.train_vae(model, x, epochs=2, batch_size=32, verbose=0).history["loss"]
    assert np.isfinite(loss).all() and loss[-1] < loss[0], (model.name, loss)
    assert vaelab.reconstruct(model, x[:3]).shape == (3, 28, 28, 1)
print("ok")
"""

# Reconstructs the images in argv[1] with each shipped VAE and saves them beside it.
RECONSTRUCT_SCRIPT = """
import sys, numpy as np, keras, vaelab
assert keras.backend.backend() == "jax"
x = np.load(sys.argv[1])
for name in ("vae", "dfc_vae"):
    np.save(sys.argv[1].replace("images", name),
            vaelab.reconstruct(vaelab.load_pretrained(name), x))
print("ok")
"""


def test_vae_and_dfc_vae_train_on_the_jax_backend():
    run_on_jax(TRAIN_SCRIPT)


def test_shipped_weights_give_the_same_reconstructions_on_jax(tmp_path):
    x = np.random.default_rng(3).random((32, 28, 28, 1)).astype("float32")
    images = tmp_path / "images.npy"
    np.save(images, x)
    run_on_jax(RECONSTRUCT_SCRIPT, str(images))
    for name in ("vae", "dfc_vae"):
        here = vaelab.reconstruct(vaelab.load_pretrained(name), x)
        np.testing.assert_allclose(np.load(tmp_path / f"{name}.npy"), here, atol=1e-5, err_msg=name)
