"""vaelab.layers: the sampler, the loss the variational layers add, and vaelab's single-channel
Conv2D, against NumPy and Keras."""

import keras
import numpy as np
import pytest
from keras import ops

from vaelab import PerceptualVariationalLayer, Sampling, VariationalLayer
from vaelab.layers import ShiftedSliceConv2D, VariationalModel

EPS = 1e-7


@pytest.fixture(scope="module")
def inputs():
    rng = np.random.default_rng(7)
    n, latent = 8, 3
    return [rng.random((n, 28, 28, 1)).astype(np.float32),
            rng.uniform(0.01, 0.99, (n, 28, 28, 1)).astype(np.float32),
            rng.normal(size=(n, latent)).astype(np.float32),
            rng.normal(scale=0.5, size=(n, latent)).astype(np.float32)]


def reference_terms(x, x_decoded, z_mean, z_log_var, recipe):
    """Per-image (reconstruction, KL) of each recipe, in float64 NumPy."""
    n = x.shape[0]
    p = np.clip(x_decoded.astype(np.float64), EPS, 1 - EPS)
    bce = -(x * np.log(p) + (1 - x) * np.log(1 - p)).reshape(n, -1)
    inner = 1 + z_log_var - z_mean ** 2 - np.exp(z_log_var)
    if recipe == "elbo":
        return bce.sum(axis=1), -0.5 * inner.sum(axis=1)
    return bce.mean(axis=1), -5e-4 * inner.mean(axis=1)


@pytest.mark.parametrize("recipe", ["elbo", "book"])
def test_variational_layer_adds_the_reference_loss(inputs, recipe):
    layer = VariationalLayer(recipe=recipe)
    out = layer(inputs)
    layer.report_pending_terms()  # on JAX the terms wait for it (VariationalModel calls it)
    np.testing.assert_array_equal(ops.convert_to_numpy(out), inputs[1])
    rec, kl = reference_terms(*inputs, recipe)
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), np.mean(rec + kl), rtol=1e-5)
    np.testing.assert_allclose(float(layer.reconstruction_tracker.result()), rec.mean(),
                               rtol=1e-5)
    np.testing.assert_allclose(float(layer.kl_tracker.result()), kl.mean(), rtol=1e-4)


@pytest.mark.parametrize("recipe", ["elbo", "book"])
def test_gaussian_likelihood_adds_half_the_squared_error(inputs, recipe):
    layer = VariationalLayer(recipe=recipe, likelihood="gaussian")
    layer(inputs)
    layer.report_pending_terms()
    x, x_decoded = (a.astype(np.float64).reshape(8, -1) for a in inputs[:2])
    squared = (x - x_decoded) ** 2
    rec = 0.5 * (squared.sum(axis=1) if recipe == "elbo" else squared.mean(axis=1))
    _, kl = reference_terms(*inputs, recipe)
    np.testing.assert_allclose(float(layer.losses[0]), np.mean(rec + kl), rtol=1e-5)
    np.testing.assert_allclose(float(layer.reconstruction_tracker.result()), rec.mean(),
                               rtol=1e-5)
    clone = VariationalLayer.from_config(layer.get_config())
    assert (clone.recipe, clone.likelihood) == (recipe, "gaussian")


def test_unknown_likelihood_is_refused():
    with pytest.raises(ValueError, match=r"likelihood: expected one of \('bernoulli', "
                                         r"'gaussian'\), got 'poisson'"):
        VariationalLayer(likelihood="poisson")


def test_the_two_recipes_differ_in_scale(inputs):
    losses = {}
    for recipe in ("elbo", "book"):
        layer = VariationalLayer(recipe=recipe)
        layer(inputs)
        losses[recipe] = float(layer.losses[0])
    # The article sums 784 pixel terms; the book averages them.
    assert losses["elbo"] > 100 * losses["book"]


def test_perceptual_layer_adds_the_feature_distance(inputs):
    rng = np.random.default_rng(3)
    fx = [rng.normal(size=(8, 26, 26, 4)).astype(np.float32),
          rng.normal(size=(8, 5, 5, 6)).astype(np.float32)]
    fd = [rng.normal(size=f.shape).astype(np.float32) for f in fx]
    layer = PerceptualVariationalLayer(layer_weights=[0.5, 2.0])
    layer(inputs + [fx, fd])
    perceptual = sum(w * ((a - b) ** 2).reshape(8, -1).sum(axis=1)
                     for w, a, b in zip([0.5, 2.0], fx, fd))
    _, kl = reference_terms(*inputs, "elbo")
    np.testing.assert_allclose(float(layer.losses[0]), np.mean(perceptual + kl), rtol=1e-5)


def test_layer_configs_round_trip():
    layer = PerceptualVariationalLayer(layer_weights=(1, 3), recipe="book", name="v")
    clone = PerceptualVariationalLayer.from_config(layer.get_config())
    assert (clone.recipe, clone.layer_weights, clone.name) == ("book", [1.0, 3.0], "v")
    assert Sampling.from_config(Sampling(seed=5).get_config()).seed == 5


def test_unknown_recipe_is_refused():
    with pytest.raises(ValueError, match=r"recipe: expected one of \('elbo', 'book'\), got 'mse'"):
        VariationalLayer(recipe="mse")


def test_sampling_uses_the_standard_deviation():
    n = 20000
    z_mean = np.tile(np.array([[1.0, -2.0]], np.float32), (n, 1))
    z_log_var = np.tile(np.log(np.array([[4.0, 0.25]], np.float32)), (n, 1))
    z = ops.convert_to_numpy(Sampling(seed=11)([z_mean, z_log_var]))
    assert z.shape == (n, 2)
    np.testing.assert_allclose(z.mean(axis=0), [1.0, -2.0], atol=0.05)
    # exp(0.5 * log_var): sd 2 and 0.5, not the book's exp(log_var) (4 and 0.25).
    np.testing.assert_allclose(z.std(axis=0), [2.0, 0.5], rtol=0.03)


def test_sampling_is_reproducible_with_a_seed():
    z_mean, z_log_var = np.zeros((4, 3), np.float32), np.zeros((4, 3), np.float32)
    first = ops.convert_to_numpy(Sampling(seed=3)([z_mean, z_log_var]))
    again = ops.convert_to_numpy(Sampling(seed=3)([z_mean, z_log_var]))
    np.testing.assert_array_equal(first, again)
    layer = Sampling(seed=3)
    layer([z_mean, z_log_var])
    assert not np.array_equal(ops.convert_to_numpy(layer([z_mean, z_log_var])), first)


@pytest.mark.parametrize("model_class", [
    pytest.param(keras.Model, marks=pytest.mark.backends(
        "tensorflow", "torch", reason="a plain keras.Model reports the loss alone on JAX, "
        "without reconstruction_loss and kl_loss (README, Backends): JAX's steps call layers "
        "without side effects; VariationalModel passes the terms on")),
    VariationalModel])
def test_variational_layer_in_a_model_trains_with_fit_x_none(inputs, model_class):
    """The layer alone makes a compiled model trainable with fit(x, None)."""
    x = keras.Input((28, 28, 1))
    h = keras.layers.Flatten()(x)
    z_mean, z_log_var = keras.layers.Dense(2)(h), keras.layers.Dense(2)(h)
    decoded = keras.layers.Reshape((28, 28, 1))(
        keras.layers.Dense(784, activation="sigmoid")(z_mean))
    out = VariationalLayer()([x, decoded, z_mean, z_log_var])
    model = model_class(x, out)
    model.compile(optimizer="adam")
    history = model.fit(inputs[0], None, epochs=2, batch_size=4, verbose=0)
    assert {"loss", "reconstruction_loss", "kl_loss"} <= set(history.history)
    assert history.history["loss"][1] < history.history["loss"][0]


# Odd kernels, even kernels and no single channel alike.
CONV_CASES = pytest.mark.parametrize("c_in,filters,kernel,padding", [
    (1, 32, 3, "same"), (1, 32, 3, "valid"), (32, 1, 3, "same"), (32, 1, 3, "valid"),
    (1, 1, 4, "same"), (3, 1, 2, "same"), (1, 8, (5, 3), "same"), (4, 6, 3, "same")])


@CONV_CASES
def test_single_channel_conv_matches_conv2d(c_in, filters, kernel, padding):
    x = np.random.default_rng(3).normal(size=(2, 9, 10, c_in)).astype(np.float32)
    fast, plain = same_weight_convs(x, filters, kernel, padding=padding, activation="relu")
    # The rewrite, not Keras's op, is what is compared whenever a side has one channel.
    rewritten = keras.backend.backend() == "tensorflow" and 1 in (c_in, filters)
    assert fast._as_shifted_slices(x, c_in, filters) is rewritten
    np.testing.assert_allclose(ops.convert_to_numpy(fast(x)), ops.convert_to_numpy(plain(x)),
                               rtol=1e-5, atol=1e-5)


@CONV_CASES
@pytest.mark.backends("tensorflow", reason="the shifted-slice rewrite runs on TensorFlow only "
                      "(elsewhere both layers are Keras's Conv2D), whose tape takes gradients")
def test_single_channel_conv_has_the_gradients_of_conv2d(c_in, filters, kernel, padding):
    x = np.random.default_rng(3).normal(size=(2, 9, 10, c_in)).astype(np.float32)
    fast, plain = same_weight_convs(x, filters, kernel, padding=padding, activation="relu")
    for a, b in zip(input_and_kernel_gradients(fast, x), input_and_kernel_gradients(plain, x)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def same_weight_convs(x, *args, **kwargs):
    """vaelab's ShiftedSliceConv2D and Keras's Conv2D, built for `x`, with the same random
    weights."""
    fast, plain = ShiftedSliceConv2D(*args, **kwargs), keras.layers.Conv2D(*args, **kwargs)
    fast.build(x.shape)
    plain.build(x.shape)
    rng = np.random.default_rng(5)
    plain.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in plain.weights])
    fast.set_weights(plain.get_weights())
    return fast, plain


def input_and_kernel_gradients(layer, x):
    import tensorflow as tf
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(tf.square(layer(x)))
    return [g.numpy() for g in tape.gradient(loss, [x, layer.kernel])]


def test_single_channel_conv_with_strides_is_a_plain_conv2d():
    x = np.random.default_rng(4).normal(size=(2, 8, 8, 1)).astype(np.float32)
    fast, plain = same_weight_convs(x, 4, 3, strides=2, padding="same")
    np.testing.assert_array_equal(ops.convert_to_numpy(fast(x)), ops.convert_to_numpy(plain(x)))
    clone = ShiftedSliceConv2D.from_config(fast.get_config())
    assert (clone.filters, clone.strides, clone.padding) == (4, (2, 2), "same")


def test_models_saved_before_the_rename_load():
    # .keras files written before ShiftedSliceConv2D was renamed call it "vaelab>Conv2D".
    config = keras.saving.serialize_keras_object(ShiftedSliceConv2D(4, 3, padding="same"))
    assert (config["class_name"], config["registered_name"]) == ("Conv2D",
                                                                 "vaelab>ShiftedSliceConv2D")
    old = keras.saving.deserialize_keras_object({**config, "registered_name": "vaelab>Conv2D"})
    assert type(old) is ShiftedSliceConv2D and old.get_config() == config["config"]
