"""Mixed precision: bfloat16 computation where it is safe, float32 where the loss reads closely."""

import keras
import numpy as np
import pytest

import vaelab


def policy(layer):
    return layer.dtype_policy.name


def test_bfloat16_computes_the_bulk_and_keeps_the_loss_in_float32(classifier):
    dfc = vaelab.build_dfc_vae(classifier, seed=1, precision="bfloat16")
    encoder, decoder = dfc.get_layer("encoder"), dfc.get_layer("decoder")
    assert {policy(layer) for layer in encoder.layers[1:-2]} == {"mixed_bfloat16"}
    assert [policy(encoder.get_layer(n)) for n in ("z_mean", "z_log_var")] == ["float32"] * 2
    assert policy(decoder.layers[1]) == "mixed_bfloat16" and policy(decoder.layers[-1]) == "float32"
    assert {policy(layer) for layer in dfc.get_layer("perceptual_features").layers[1:]} == {
        "mixed_bfloat16"}
    assert [policy(dfc.get_layer(n)) for n in ("sampling", "variational")] == ["float32"] * 2
    # Weights stay float32; the classifier passed in and Keras's global policy are untouched.
    assert {w.dtype for w in dfc.weights} == {"float32"}
    assert {policy(layer) for layer in classifier.layers} == {"float32"}
    assert keras.config.dtype_policy().name == "float32"
    assert dfc.get_layer("decoder").output.dtype == "float32"


@pytest.mark.parametrize("build", [
    lambda: vaelab.build_vae(seed=1, precision="bfloat16"),
    lambda: vaelab.build_vae(seed=1, precision="bfloat16", input_shape=(32, 32, 3),
                             likelihood="gaussian"),
    lambda: vaelab.build_cvae(seed=1, precision="bfloat16"),
], ids=["vae", "vae 32x32x3", "cvae"])
def test_bfloat16_models_train_and_their_weights_serve_float32_models(build, tmp_path):
    model = build()
    shape = vaelab.image_shape_of(model)
    x = np.random.default_rng(0).random((64, *shape)).astype("float32")
    labels = np.arange(64) % 10
    if vaelab.is_conditional(model):
        history = vaelab.train_cvae(model, x, labels, epochs=2, batch_size=16, verbose=0)
    else:
        history = vaelab.train_vae(model, x, epochs=2, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    path = vaelab.save_weights(model, tmp_path / "bf16.weights.h5")
    config = {"seed": 2, "input_shape": shape}
    if vaelab.is_conditional(model):
        twin = vaelab.build_cvae(**config)
    else:
        twin = vaelab.build_vae(**config, likelihood="gaussian" if shape[-1] == 3 else
                                "bernoulli")
    vaelab.load_weights(twin, path)
    kwargs = {"labels": labels[:8]} if vaelab.is_conditional(model) else {}
    z = vaelab.encode(model, x[:8], **kwargs)
    # bfloat16 keeps 8 bits of mantissa: about 2 to 3 significant digits per operation.
    np.testing.assert_allclose(vaelab.encode(twin, x[:8], **kwargs), z, atol=0.05, rtol=0.05)


def test_an_unknown_precision_is_refused_and_leaves_the_policy_alone():
    with pytest.raises(ValueError, match="precision: expected one of 'float32', 'bfloat16', "
                                         "got 'float16'"):
        vaelab.build_vae(precision="float16")
    assert keras.config.dtype_policy().name == "float32"
