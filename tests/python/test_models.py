"""vaelab.models: the exact architecture, the DFC VAE's frozen feature copy, saving and loading."""

import keras
import numpy as np
import pytest

import vaelab
from helpers import assert_no_temp_files, synthetic_images
from vaelab.models import feature_extractor, submodel

ENCODER_SHAPES = [(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,), (3, 3, 64, 64), (64,),
                  (3, 3, 64, 64), (64,), (12544, 32), (32,)]
CLASSIFIER_SHAPES = [(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,), (3, 3, 64, 64), (64,),
                     (576, 64), (64,), (64, 10), (10,)]
# Optimizer slots of a compiled but untrained model are not saved; Keras warns on load.
pytestmark = pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")


def shapes(model):
    return [tuple(w.shape) for w in model.weights]


@pytest.fixture(scope="module")
def x():
    return synthetic_images(8, seed=5)


@pytest.fixture(scope="module")
def vae():
    return vaelab.build_vae(latent_dim=5, seed=1)


@pytest.fixture(scope="module")
def dfc(classifier):
    return vaelab.build_dfc_vae(classifier, latent_dim=5, seed=1)


def near_deterministic(model):
    """Copy `model` with z_log_var = -30, so sampling adds noise of sd 3e-7: z is z_mean."""
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    dense = clone.get_layer("encoder").get_layer("z_log_var")
    dense.kernel.assign(np.zeros(dense.kernel.shape, np.float32))
    dense.bias.assign(np.full(dense.bias.shape, -30.0, np.float32))
    clone.compile(optimizer="rmsprop")
    return clone


def kl_reference(z_mean, z_log_var):
    return -0.5 * np.sum(1 + z_log_var - z_mean ** 2 - np.exp(z_log_var), axis=1)


# --- architecture -------------------------------------------------------------------------

@pytest.mark.parametrize("latent_dim", [5, 2])
def test_encoder_and_decoder_weight_shapes(latent_dim):
    vae = vaelab.build_vae(latent_dim=latent_dim)
    encoder, decoder = vae.get_layer("encoder"), vae.get_layer("decoder")
    L = latent_dim
    assert shapes(encoder) == ENCODER_SHAPES + [(32, L), (L,), (32, L), (L,)]
    assert shapes(decoder) == [(L, 12544), (12544,), (3, 3, 32, 64), (32,), (3, 3, 32, 1), (1,)]
    assert [tuple(o.shape) for o in encoder.outputs] == [(None, L), (None, L)]
    assert tuple(decoder.outputs[0].shape) == (None, 28, 28, 1)
    assert vaelab.latent_dim_of(vae) == vaelab.latent_dim_of(decoder) == L


def test_vae_layout(vae):
    assert [layer.name for layer in vae.layers] == ["image", "encoder", "sampling", "decoder",
                                                    "variational"]
    assert vae.optimizer is not None and vae.name == "vae"
    assert tuple(vae.outputs[0].shape) == (None, 28, 28, 1)
    assert len(vae.weights) == 20


def test_classifier_architecture(classifier):
    assert shapes(classifier) == CLASSIFIER_SHAPES
    assert [tuple(classifier.get_layer(n).kernel.shape) for n in ("conv1", "conv2", "conv3")] \
        == [(3, 3, 1, 32), (3, 3, 32, 64), (3, 3, 64, 64)]
    assert tuple(classifier.outputs[0].shape) == (None, 10)


@pytest.mark.parametrize("kwargs, message", [
    ({"latent_dim": 0}, r"latent_dim: expected an integer >= 1, got 0"),
    ({"latent_dim": 2.5}, r"latent_dim: expected an integer >= 1, got 2\.5"),
    ({"recipe": "mse"}, r"recipe: expected one of \('elbo', 'book'\), got 'mse'"),
    ({"seed": -1}, r"seed: expected an integer >= 0, got -1"),
    ({"jit_compile": "yes"}, r"jit_compile: expected 'auto', True or False, got 'yes'"),
    ({"likelihood": "mse"}, r"likelihood: expected one of \('bernoulli', 'gaussian'\)"),
    ({"input_shape": (28, 28, 3)}, r"input_shape: expected \(28, 28, 1\) \(the article's "
                                   r"architecture\) or .* multiples of 16 .* got \(28, 28, 3\)"),
    ({"input_shape": (48, 40, 3)}, r"input_shape: .* multiples of 16 .* got \(48, 40, 3\)"),
    ({"input_shape": (64, 64, 2)}, r"input_shape: .* 1 or 3 channels, e\.g\. \(64, 64, 3\); "
                                   r"got \(64, 64, 2\)"),
    ({"input_shape": (64, 64)}, r"input_shape: .* got \(64, 64\)"),
    ({"input_shape": "big"}, r"input_shape: .* got 'big'"),
    ({"input_shape": (32.5, 32, 3)}, r"input_shape: .* got \(32\.5, 32, 3\)"),
])
def test_build_vae_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        vaelab.build_vae(**kwargs)


@pytest.mark.parametrize("shape", [(32, 32, 3), (64, 64, 3), (32, 48, 1)])
def test_other_shapes_get_the_dfc_papers_architecture(shape):
    vae = vaelab.build_vae(latent_dim=7, input_shape=shape, seed=1)
    encoder, decoder = vae.get_layer("encoder"), vae.get_layer("decoder")
    assert encoder.input_shape == (None,) + shape
    assert decoder.output_shape == (None,) + shape
    convs = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [(c.filters, c.kernel_size, c.strides) for c in convs] == [
        (f, (4, 4), (2, 2)) for f in (32, 64, 128, 256)]
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in encoder.layers) == 4
    assert sum(isinstance(layer, keras.layers.LeakyReLU) for layer in encoder.layers) == 4
    ups = [layer for layer in decoder.layers if isinstance(layer, keras.layers.UpSampling2D)]
    assert len(ups) == 4 and {u.interpolation for u in ups} == {"nearest"}
    first = decoder.get_layer(index=2)  # after the input and the dense layer
    assert first.target_shape == (shape[0] // 16, shape[1] // 16, 256)
    assert vaelab.image_shape_of(vae) == shape == vaelab.image_shape_of(decoder)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_a_colour_vae_trains_and_round_trips(tmp_path, likelihood):
    x = np.random.default_rng(0).random((16, 32, 32, 3)).astype(np.float32)
    # The DFC paper's optimiser; Keras's default Adam sent this model's KL to 1e5 in epoch 2.
    vae = vaelab.build_vae(latent_dim=4, input_shape=(32, 32, 3), likelihood=likelihood,
                           optimizer=keras.optimizers.Adam(5e-4, beta_1=0.5), seed=3)
    history = vaelab.train_vae(vae, x, epochs=2, batch_size=8, verbose=0).history
    assert all(np.isfinite(history["loss"]))
    assert history["reconstruction_loss"][1] < history["reconstruction_loss"][0]
    loaded = vaelab.load_model(vaelab.save_model(vae, tmp_path / "colour.keras"))
    assert loaded.get_layer("variational").likelihood == likelihood
    np.testing.assert_allclose(vaelab.reconstruct(loaded, x[:4]), vaelab.reconstruct(vae, x[:4]),
                               atol=1e-6)


def test_training_refuses_images_of_another_shape():
    vae = vaelab.build_vae(latent_dim=2, input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match=r"images: expected shape \(n, 32, 32, 3\) for model "
                                         r"'vae', got \(4, 28, 28, 1\)"):
        vaelab.train_vae(vae, synthetic_images(4), epochs=1)


def test_vae_loss_is_bce_plus_kl(vae, x):
    model = near_deterministic(vae)
    z_mean, z_log_var = vaelab.encode_distribution(model, x)
    decoded = vaelab.decode(model, z_mean).astype(np.float64)
    p = np.clip(decoded, 1e-7, 1 - 1e-7)
    bce = -(x * np.log(p) + (1 - x) * np.log(1 - p)).reshape(len(x), -1).sum(axis=1)
    expected = np.mean(bce + kl_reference(z_mean, z_log_var))
    loss = model.evaluate(x, batch_size=len(x), verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(loss, expected, rtol=1e-4)


# --- DFC VAE ------------------------------------------------------------------------------

def test_dfc_layout(dfc):
    assert [layer.name for layer in dfc.layers] == ["image", "encoder", "sampling", "decoder",
                                                    "perceptual_features", "variational"]
    extractor = dfc.get_layer("perceptual_features")
    assert extractor.trainable is False
    assert [tuple(o.shape) for o in extractor.outputs] == [(None, 26, 26, 32), (None, 11, 11, 64)]
    # Only the encoder and decoder train.
    assert len(dfc.trainable_weights) == 20 and len(dfc.weights) == 24


def test_dfc_loss_is_feature_distance_plus_kl(dfc, classifier, x):
    model = near_deterministic(dfc)
    z_mean, z_log_var = vaelab.encode_distribution(model, x)
    decoded = vaelab.decode(model, z_mean)
    # Activations straight from the classifier passed in, not from the model's copy.
    taps = keras.Model(classifier.input,
                       [classifier.get_layer("conv1").output, classifier.get_layer("conv2").output])
    fx = [np.asarray(a, np.float64) for a in taps.predict_on_batch(x)]
    fd = [np.asarray(a, np.float64) for a in taps.predict_on_batch(decoded)]
    perceptual = sum(((a - b) ** 2).reshape(len(x), -1).sum(axis=1) for a, b in zip(fx, fd))
    expected = np.mean(perceptual + kl_reference(z_mean, z_log_var))
    loss = model.evaluate(x, batch_size=len(x), verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(loss, expected, rtol=1e-4)


def test_dfc_training_leaves_the_classifier_untouched(x):
    clf = vaelab.build_perceptual_model(seed=4)
    before = [w.copy() for w in clf.get_weights()]
    dfc = vaelab.build_dfc_vae(clf, latent_dim=3, layer_weights=[1.0, 0.5], seed=4)
    extractor = dfc.get_layer("perceptual_features")
    frozen = [w.copy() for w in extractor.get_weights()]
    encoder_before = [w.copy() for w in dfc.get_layer("encoder").get_weights()]
    vaelab.train_vae(dfc, x, epochs=1, batch_size=4, verbose=0)
    for a, b in zip(before, clf.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(frozen, extractor.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in
               zip(encoder_before, dfc.get_layer("encoder").get_weights()))
    assert clf.trainable and all(layer.trainable for layer in clf.layers)
    # The copy shares no variables with the classifier.
    assert not {id(v) for v in clf.weights} & {id(v) for v in extractor.weights}


def test_feature_extractor_layers_by_name_or_index(classifier, x):
    names = [layer.name for layer in classifier.layers]
    extractor = feature_extractor(classifier, [names.index("conv2"), "conv3"])
    assert [tuple(o.shape) for o in extractor.outputs] == [(None, 11, 11, 64), (None, 3, 3, 64)]
    single = feature_extractor(classifier, "conv1")
    expected = keras.Model(classifier.input, classifier.get_layer("conv1").output)
    np.testing.assert_allclose(single.predict_on_batch(x), expected.predict_on_batch(x),
                               rtol=1e-6)


def test_feature_extractor_errors(classifier):
    with pytest.raises(ValueError, match=r"layers: 'conv9' is not a layer of the perceptual "
                                         r"model; expected one of \['image', 'conv1'"):
        feature_extractor(classifier, ["conv1", "conv9"])
    with pytest.raises(ValueError, match=r"layers: 42 is not a layer .*an index 0\.\.8\)"):
        feature_extractor(classifier, 42)
    with pytest.raises(ValueError, match=r"perceptual_model: expected a Keras model "
                                         r"\(build_perceptual_model\(\), .*\), got str"):
        vaelab.build_dfc_vae("classifier")


@pytest.mark.parametrize("weights, got", [([1.0], r"\[1\.0\]"), ([1.0, -1.0], r"\[1\.0, -1\.0\]"),
                                          ([1.0, np.nan], r"\[1\.0, nan\]")])
def test_dfc_layer_weights_errors(classifier, weights, got):
    with pytest.raises(ValueError, match=rf"layer_weights: expected 2 finite non-negative weights "
                                         rf"\(one per layer\), got {got}"):
        vaelab.build_dfc_vae(classifier, layer_weights=weights)


def test_dfc_vae_takes_its_shape_from_the_perceptual_model():
    inputs = keras.Input((32, 32, 3))
    h = keras.layers.Conv2D(8, 3, activation="relu", name="c1")(inputs)
    h = keras.layers.Conv2D(8, 3, strides=2, activation="relu", name="c2")(h)
    out = keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(h))
    colour = keras.Model(inputs, out)
    dfc = vaelab.build_dfc_vae(colour, latent_dim=3, layers=["c1", "c2"], seed=1)
    assert vaelab.image_shape_of(dfc) == (32, 32, 3)
    x = np.random.default_rng(1).random((8, 32, 32, 3)).astype(np.float32)
    assert np.isfinite(vaelab.train_vae(dfc, x, epochs=1, batch_size=4, verbose=0)
                       .history["loss"]).all()
    with pytest.raises(ValueError, match=r"input_shape: \(64, 64, 3\) differs from the "
                                         r"perceptual model's input shape \(32, 32, 3\)"):
        vaelab.build_dfc_vae(colour, layers=["c1"], input_shape=(64, 64, 3))


def test_train_perceptual_model(images):
    x, y = images
    clf = vaelab.train_perceptual_model(x, y, epochs=1, batch_size=30, validation_data=(x, y),
                                        seed=1, verbose=0)
    assert shapes(clf) == CLASSIFIER_SHAPES
    assert 0.0 <= vaelab.classifier_accuracy(clf, x, y) <= 1.0
    with pytest.raises(ValueError, match=r"labels: expected 60 labels \(one per image\), got 59"):
        vaelab.train_perceptual_model(x, y[:-1], epochs=1)
    with pytest.raises(ValueError, match=r"validation_data images: expected shape"):
        vaelab.train_perceptual_model(x, y, epochs=1, validation_data=(x[:, :20], y))


# --- saving and loading -------------------------------------------------------------------

def assert_same_model(original, loaded, x):
    """Same encoder and decoder outputs, and the same loss from a fresh sampler state."""
    for name in ("encoder", "decoder"):
        assert loaded.get_layer(name).name == name
    z = np.random.default_rng(0).normal(size=(len(x), vaelab.latent_dim_of(original)))
    for a, b in zip(vaelab.encode_distribution(original, x), vaelab.encode_distribution(loaded, x)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(vaelab.decode(original, z), vaelab.decode(loaded, z))
    losses = [m.evaluate(x, batch_size=len(x), verbose=0) for m in (original, loaded)]
    np.testing.assert_array_equal(losses[0], losses[1])


@pytest.mark.parametrize("kind", ["vae", "dfc_vae"])
def test_keras_save_and_load_model(tmp_path, classifier, x, kind):
    build = {"vae": lambda: vaelab.build_vae(latent_dim=4, seed=9),
             "dfc_vae": lambda: vaelab.build_dfc_vae(classifier, latent_dim=4, seed=9)}[kind]
    model = build()
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.name == kind
    if kind == "dfc_vae":
        assert loaded.get_layer("perceptual_features").trainable is False
        assert len(loaded.trainable_weights) == 20
    # Keras's loader does not restore the DFC VAE's XLA for training its encoder and decoder,
    # which inference does not use.
    assert_same_model(model, loaded, x)


@pytest.mark.backends("tensorflow", reason="vaelab chooses XLA (per model, per part) on "
                      "TensorFlow only; Keras chooses it on JAX and torch")
def test_xla_where_it_measured_faster_on_cpu(classifier):
    # benchmarks/RESULTS.md: XLA trains the plain (and conditional) VAE faster on CPU and
    # the DFC VAE's feature extractor slower, so "auto" differs by model; an explicit
    # choice always wins.
    assert vaelab.build_vae(latent_dim=2).jit_compile is True
    assert vaelab.build_cvae(latent_dim=2).jit_compile is True
    dfc = vaelab.build_dfc_vae(classifier, latent_dim=2)
    import tensorflow as tf
    gpu = bool(tf.config.list_physical_devices("GPU"))
    assert dfc.jit_compile is gpu
    # Without XLA for the whole DFC VAE, its encoder and decoder still train with it.
    assert xla_parts(dfc) == ([] if gpu else ["encoder", "decoder"])
    assert vaelab.build_vae(latent_dim=2, jit_compile=False).jit_compile is False
    assert xla_parts(vaelab.build_vae(latent_dim=2)) == []
    assert vaelab.build_dfc_vae(classifier, latent_dim=2, jit_compile=True).jit_compile is True
    off = vaelab.build_dfc_vae(classifier, latent_dim=2, jit_compile=False)
    assert (off.jit_compile, xla_parts(off)) == (False, [])
    # The DFC paper's architecture trained faster without XLA (benchmarks/faces_speed.py).
    colour = vaelab.build_vae(latent_dim=2, input_shape=(32, 32, 3))
    assert (colour.jit_compile, xla_parts(colour)) == (gpu, [])
    assert vaelab.build_cvae(latent_dim=2, input_shape=(32, 32, 3)).jit_compile is gpu
    inputs = keras.Input((32, 32, 3))
    small = keras.Model(inputs, keras.layers.Conv2D(2, 3, name="c")(inputs))
    colour_dfc = vaelab.build_dfc_vae(small, latent_dim=2, layers=["c"])
    assert (colour_dfc.jit_compile, xla_parts(colour_dfc)) == (gpu, [])


def xla_parts(model):
    """The sub-models whose call was replaced by one that uses XLA in training."""
    return [layer.name for layer in model.layers if "call" in vars(layer)]


@pytest.mark.backends("tensorflow", reason="vaelab chooses XLA (per model, per part) on "
                      "TensorFlow only; Keras chooses it on JAX and torch")
def test_dfc_vae_trains_with_xla_parts_and_loads_them_back(tmp_path, classifier, x):
    model = vaelab.build_dfc_vae(classifier, latent_dim=2, seed=3)
    loaded = vaelab.load_model(vaelab.save_model(model, tmp_path / "dfc.keras"))
    assert xla_parts(loaded) == xla_parts(model)
    assert_same_model(model, loaded, x)
    before = [w.copy() for w in loaded.get_layer("decoder").get_weights()]
    history = vaelab.train_vae(loaded, x, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    assert any(not np.array_equal(a, b)
               for a, b in zip(before, loaded.get_layer("decoder").get_weights()))


def test_vaelab_save_and_load_model(tmp_path, x):
    model = vaelab.build_vae(latent_dim=3, recipe="book", seed=2)
    path = vaelab.save_model(model, tmp_path / "sub" / "vae.keras")
    assert_no_temp_files(tmp_path / "sub", ["vae.keras"])
    loaded = vaelab.load_model(path)
    assert loaded.get_layer("variational").recipe == "book"
    assert loaded.jit_compile == model.jit_compile
    assert_same_model(model, loaded, x)


def test_save_and_load_model_errors(tmp_path, vae):
    with pytest.raises(ValueError, match=r"path: expected a file name ending in \.keras, "
                                         r"got '.*vae\.h5'"):
        vaelab.save_model(vae, tmp_path / "vae.h5")
    assert_no_temp_files(tmp_path, [])
    with pytest.raises(FileNotFoundError, match=r"no model file at '.*missing\.keras'"):
        vaelab.load_model(tmp_path / "missing.keras")
    (tmp_path / "bad.keras").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"bad\.keras: is not a \.keras archive"):
        vaelab.load_model(tmp_path / "bad.keras")


def test_save_and_load_weights(tmp_path, vae, x):
    path = vaelab.save_weights(vae, tmp_path / "vae.weights.h5")
    assert_no_temp_files(tmp_path, ["vae.weights.h5"])
    fresh = vaelab.load_weights(vaelab.build_vae(latent_dim=5, seed=99), path)
    for a, b in zip(vae.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(vaelab.encode(vae, x), vaelab.encode(fresh, x))


def test_weights_of_plain_keras_convolutions_load(tmp_path):
    # ShiftedSliceConv2D keeps Keras's class name, which .weights.h5 files name layers after.
    keras_encoder = keras.models.clone_model(vaelab.build_encoder(3), clone_function=keras_conv)
    assert type(keras_encoder.layers[1]) is keras.layers.Conv2D
    keras_encoder.save_weights(tmp_path / "encoder.weights.h5")
    encoder = vaelab.build_encoder(3)
    encoder.load_weights(tmp_path / "encoder.weights.h5")
    for a, b in zip(encoder.get_weights(), keras_encoder.get_weights()):
        np.testing.assert_array_equal(a, b)


def keras_conv(layer):
    """A copy of `layer`, with Keras's own Conv2D in place of vaelab's ShiftedSliceConv2D."""
    cls = keras.layers.Conv2D if isinstance(layer, keras.layers.Conv2D) else type(layer)
    return cls.from_config(layer.get_config())


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_load_weights_errors(tmp_path, vae):
    path = vaelab.save_weights(vae, tmp_path / "vae.weights.h5")
    with pytest.raises(ValueError, match=r"these weights do not fit model 'vae' \(latent_dim 2\)"
                                         r".*another latent_dim or architecture") as err:
        vaelab.load_weights(vaelab.build_vae(latent_dim=2), path)
    # One readable line, not Keras's printout of every variable.
    assert "\n" not in str(err.value) and len(str(err.value)) < 500
    with pytest.raises(ValueError, match=r"these weights do not fit model 'classifier'"):
        vaelab.load_weights(vaelab.build_perceptual_model(), path)
    with pytest.raises(FileNotFoundError, match=r"no weights file at '.*nope\.weights\.h5'"):
        vaelab.load_weights(vae, tmp_path / "nope.weights.h5")
    (tmp_path / "bad.weights.h5").write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"bad\.weights\.h5: not a readable weights file"):
        vaelab.load_weights(vae, tmp_path / "bad.weights.h5")
    with pytest.raises(ValueError, match=r"path: expected a file name ending in \.weights\.h5"):
        vaelab.save_weights(vae, tmp_path / "vae.h5")


def test_submodel_and_latent_dim_errors(classifier, vae):
    assert submodel(vae, "encoder") is vae.get_layer("encoder")
    assert submodel(vae.get_layer("decoder"), "decoder") is vae.get_layer("decoder")
    with pytest.raises(ValueError, match=r"model 'classifier' has no sub-model named 'encoder'; "
                                         r"expected a vaelab VAE"):
        vaelab.latent_dim_of(classifier)
    with pytest.raises(ValueError,
                       match=r"model: expected a Keras model \(build_vae\(\), .*\), got ndarray"):
        vaelab.encode(np.zeros(3), np.zeros((1, 28, 28, 1), np.float32))
