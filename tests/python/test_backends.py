"""The core on each of Keras 3's backends: TensorFlow (the default), JAX (the GPU path where
TensorFlow has no GPU) and torch, each in a fresh interpreter."""

import numpy as np
import pytest

import vaelab
from helpers import BACKENDS, OWN_BACKEND, backends_skip_reason, run_on_backend

pytestmark = OWN_BACKEND

# Builds, trains, infers, saves and loads on the backend in KERAS_BACKEND; then saves the
# shipped models' reconstructions of the images in argv[1] beside them (see below).
CORE_SCRIPT = """
import os, sys, tempfile
import numpy as np, keras, vaelab
backend = os.environ["KERAS_BACKEND"]
info = vaelab.runtime_info()
assert info["backend"] == keras.backend.backend() == backend, info
assert info["devices"] and info["device_count"] == len(info["devices"]), info
assert (info["process_index"], info["process_count"]) == (0, 1), info
rng = np.random.default_rng(0)
x, x_val = rng.random((48, 28, 28, 1), "float32"), rng.random((16, 28, 28, 1), "float32")
TERMS = {"loss", "reconstruction_loss", "kl_loss"}

# The terms' values, with the book's compile(optimizer) + fit(x, None) and a zero learning
# rate (so that they describe the weights they are computed from again here). z_log_var is
# pinned at -30 (standard deviation 3e-7): the sampled code is the mean, up to 1e-6, so the
# reconstruction term is computable from encode() and reconstruct() without the sampler.
vae = vaelab.build_vae(seed=1)
z_log_var = vae.get_layer("encoder").get_layer("z_log_var")
kernel, bias = z_log_var.get_weights()
z_log_var.set_weights([np.zeros_like(kernel), np.full_like(bias, -30.0)])
vae.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0))
h = vae.fit(x, None, batch_size=16, epochs=1, shuffle=False, validation_data=(x_val, None),
            verbose=0).history
assert set(h) == TERMS | {"val_" + k for k in TERMS}, sorted(h)
for prefix, images in (("", x), ("val_", x_val)):
    mean, log_var = (v.astype("float64") for v in vaelab.encode_distribution(vae, images))
    kl = np.mean(-0.5 * np.sum(1 + log_var - mean ** 2 - np.exp(log_var), axis=-1))
    p = np.clip(vaelab.reconstruct(vae, images).astype("float64"), 1e-7, 1 - 1e-7)
    bce = -(images * np.log(p) + (1 - images) * np.log(1 - p))
    reconstruction = np.mean(np.sum(bce.reshape(len(images), -1), axis=-1))
    # float32 running means of a few dozen per-image values of ~550 (the independent terms
    # are float64), and on TensorFlow the model's CPU plan may be XLA, whose fusions compute
    # the loss and the two terms apart (they agreed to 4e-5): 1e-4 holds both, while a term
    # left out (KL is ~12% of the loss), counted twice or averaged over the wrong images is
    # off by far more.
    got = {k: h[prefix + k][0] for k in TERMS}
    np.testing.assert_allclose(got["reconstruction_loss"] + got["kl_loss"], got["loss"],
                               rtol=1e-4, err_msg=prefix)
    np.testing.assert_allclose(got["kl_loss"], kl, rtol=1e-4, err_msg=prefix)
    np.testing.assert_allclose(got["reconstruction_loss"], reconstruction, rtol=1e-4,
                               err_msg=prefix)

# The same layers in a plain keras.Model (rebuilt from the config, so new layer objects):
# on JAX its steps cannot reach the layer's trackers (VariationalModel passes the terms
# on), so it reports the loss alone there rather than terms stuck at zero.
plain = keras.Model.from_config(vae.get_config())
assert type(plain) is not type(vae), type(plain)
plain.compile(optimizer="adam")
h = plain.fit(x[:16], None, batch_size=16, epochs=1, verbose=0).history
assert set(h) == ({"loss"} if backend == "jax" else TERMS), sorted(h)

# Inference, saving and loading the weights and the whole model, and training it on.
z = vaelab.encode(vae, x[:4])
np.testing.assert_allclose(vaelab.reconstruct(vae, x[:4]), vaelab.decode(vae, z), atol=1e-6)
folder = tempfile.mkdtemp()
vaelab.save_weights(vae, os.path.join(folder, "vae.weights.h5"))
again = vaelab.load_weights(vaelab.build_vae(seed=2), os.path.join(folder, "vae.weights.h5"))
np.testing.assert_allclose(vaelab.encode(again, x[:4]), z, atol=1e-6)
vaelab.save_model(vae, os.path.join(folder, "vae.keras"))
vae = vaelab.load_model(os.path.join(folder, "vae.keras"))
assert type(vae).__name__ == "VariationalModel", type(vae)
np.testing.assert_allclose(vaelab.encode(vae, x[:4]), z, atol=1e-6)
vae.compile(optimizer="adam")
h = vaelab.train_vae(vae, x, epochs=2, batch_size=16, validation_data=x_val, seed=1,
                     verbose=0).history
assert set(h) == TERMS | {"val_" + k for k in TERMS}, sorted(h)
assert np.isfinite(list(h.values())).all() and h["loss"][-1] < h["loss"][0], h

# The DFC VAE; a conditional VAE of another size, in colour (the DFC paper's architecture).
dfc = vaelab.build_dfc_vae(vaelab.build_perceptual_model(seed=1), seed=1)
h = vaelab.train_vae(dfc, x[:16], epochs=1, batch_size=16, verbose=0).history
assert set(h) == TERMS and np.isfinite(list(h.values())).all(), h
cvae = vaelab.build_cvae(latent_dim=2, input_shape=(16, 16, 3), likelihood="gaussian", seed=1)
h = vaelab.train_cvae(cvae, rng.random((16, 16, 16, 3), "float32"), np.arange(16) % 10,
                      epochs=1, batch_size=16, verbose=0).history
assert set(h) == TERMS and np.isfinite(list(h.values())).all(), h
assert vaelab.decode(cvae, np.zeros((3, 2)), [0, 1, 2]).shape == (3, 16, 16, 3)
# The VAE-GAN's own training loop (test_vaegan.py runs it on TensorFlow and JAX).
if backend == "torch":
    gan = vaelab.build_vaegan(latent_dim=3, seed=1, win_threshold=0)
    before = [w.copy() for w in gan.get_weights()]
    h = vaelab.train_vaegan(gan, x[:16], epochs=1, batch_size=8, seed=1, verbose=0)
    assert h["discriminator_steps"] == [2] and np.isfinite(h["encoder"]).all(), h
    assert all((a != b).any() for a, b in zip(before, gan.get_weights()))
    # Data-parallel training is JAX's and TensorFlow's (test_distribute.py): torch says so.
    try:
        vaelab.train_vae(vae, x[:16], epochs=1, batch_size=16, verbose=0, distribution="all")
    except ValueError as err:
        assert "runs on the JAX or TensorFlow backend, not 'torch'" in str(err), err
    else:
        raise AssertionError("distribution='all' did not say that torch has none")

for name in sys.argv[2:]:
    images = np.load(os.path.join(sys.argv[1], f"images_{name}.npy"))
    np.save(os.path.join(sys.argv[1], f"{backend}_{name}.npy"),
            vaelab.reconstruct(vaelab.load_pretrained(name), images))
print("ok")
"""

# The shipped VAEs whose reconstructions every backend must give: the article's two and a
# 64 x 64 colour face model (the DFC paper's architecture: strided convolutions,
# batch normalisation, upsampling).
SHIPPED = {"vae": (16, 28, 28, 1), "dfc_vae": (16, 28, 28, 1), "faces_vae": (8, 64, 64, 3)}
# Each backend runs float32 convolutions and matmuls with its own kernels (oneDNN for
# TensorFlow and torch, XLA's for JAX), which sum the same products in other orders: about
# 1e-7 relative per sum, compounded through the encoder, the latent code and the decoder.
# Measured against TensorFlow on these images (pixels in [0, 1]), the largest difference
# was 1.7e-6 (dfc_vae on torch; 1.5e-6 on JAX), 4e-7 for vae and faces_vae. 1e-5 leaves
# about 6 times that for other CPUs' kernels, and is far below what a kernel read in the
# wrong layout changes (the decoder's last kernel flipped: 0.4 for vae, 0.9 for dfc_vae).
RECONSTRUCTION_ATOL = 1e-5


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_core_builds_trains_reports_its_terms_and_saves_on(backend, tmp_path):
    names = [name for name in SHIPPED if name in vaelab.available_pretrained()]
    rng = np.random.default_rng(3)
    for name in names:
        np.save(tmp_path / f"images_{name}.npy", rng.random(SHIPPED[name], "float32"))
    run_on_backend(backend, CORE_SCRIPT, str(tmp_path), *names)
    for name in names:
        here = vaelab.reconstruct(vaelab.load_pretrained(name),
                                  np.load(tmp_path / f"images_{name}.npy"))
        np.testing.assert_allclose(np.load(tmp_path / f"{backend}_{name}.npy"), here,
                                   atol=RECONSTRUCTION_ATOL, rtol=0, err_msg=name)


def test_the_backends_marker_says_why_a_test_is_skipped():
    reason = {"reason": "TensorFlow's plans"}
    assert backends_skip_reason(("tensorflow",), reason, "tensorflow") is None
    assert backends_skip_reason(("tensorflow", "torch"), reason, "torch") is None
    assert backends_skip_reason(("tensorflow",), reason, "jax") == \
        "tensorflow only, not jax: TensorFlow's plans"
    for names, kwargs in [((), reason), (("tf",), reason), (("jax",), {}),
                          (("jax",), {"reason": ""}), (("jax",), {**reason, "when": 1})]:
        with pytest.raises(ValueError, match=r"expected @pytest.mark.backends\(name, \.\.\., "
                                             r"reason=\.\.\.\)"):
            backends_skip_reason(names, kwargs, "jax")
