"""vaelab.perceptual: VGG19 under the DFC paper's layer names, its preprocessing, its weights."""

import hashlib
import re
import urllib.error

import h5py
import keras
import numpy as np
import pytest
from keras.src.legacy.saving import legacy_h5_format

import vaelab
from vaelab.models import feature_extractor
from vaelab.perceptual import (
    VGG19_LAYER_SETS,
    VGG19_WEIGHTS_FILE,
    VGG19_WEIGHTS_URL,
    ImageNetPreprocessing,
    vgg19_perceptual_model,
)

SHAPE = (32, 32, 3)  # VGG19's smallest input, to keep the tests fast
# A model's output as NumPy (on torch it is a tensor that carries its gradient graph).
numpy = keras.ops.convert_to_numpy
# What feature_extractor() returns for each layer set on SHAPE.
FEATURE_SHAPES = {
    "vae-123": [(None, 32, 32, 64), (None, 16, 16, 128), (None, 8, 8, 256)],
    "vae-345": [(None, 8, 8, 256), (None, 4, 4, 512), (None, 2, 2, 512)],
}
# Layers after the input and the preprocessing, up to relu3_1.
FIRST_LAYERS = ["relu1_1", "relu1_2", "pool1", "relu2_1", "relu2_2", "pool2", "relu3_1"]


@pytest.fixture(scope="module")
def pixels():
    """Four random RGB images, pixels in [0, 1]."""
    return np.random.default_rng(4).uniform(size=(4, *SHAPE)).astype(np.float32)


@pytest.fixture(scope="module")
def keras_vgg19():
    """Keras's own VGG19 without its classifier, random weights (seeded)."""
    keras.utils.set_random_seed(7)
    return keras.applications.VGG19(include_top=False, weights=None, input_shape=SHAPE)


def write_notop_file(model, path):
    """`model`'s weights as Keras 2's ``save_weights`` wrote them, the layout of Keras's
    ImageNet file (Keras 3 saves only .weights.h5 files, but still reads these)."""
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)


def assert_has_keras_weights(vgg, keras_vgg19):
    """Each relu{b}_{c} of `vgg` holds the kernel and bias of Keras's block{b}_conv{c}."""
    convs = [layer for layer in vgg.layers if isinstance(layer, keras.layers.Conv2D)]
    assert convs
    for layer in convs:
        block, conv = layer.name.removeprefix("relu").split("_")
        for ours, theirs in zip(layer.get_weights(),
                                keras_vgg19.get_layer(f"block{block}_conv{conv}").get_weights()):
            np.testing.assert_array_equal(ours, theirs)


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """An empty Keras cache in `tmp_path`, where every download fails at once."""
    def no_network(url, *args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr("keras.src.utils.file_utils.urlretrieve", no_network)
    return tmp_path / "models" / VGG19_WEIGHTS_FILE


# --- architecture -------------------------------------------------------------------------

@pytest.mark.parametrize("layer_set", sorted(VGG19_LAYER_SETS))
def test_the_paper_layer_names_are_layers_of_the_model(layer_set, pixels, keras_vgg19):
    vgg = vgg19_perceptual_model(SHAPE, layer_set, weights=None)
    names = [layer.name for layer in vgg.layers]
    assert names[:2] == ["image", "imagenet_preprocessing"]
    assert names[2:9] == FIRST_LAYERS
    # The blocks stop at the deepest layer the set needs, which is the output.
    assert names[-1] == VGG19_LAYER_SETS[layer_set][-1]
    assert vgg.output_shape == FEATURE_SHAPES[layer_set][-1]
    for layer in vgg.layers[2:]:
        if isinstance(layer, keras.layers.Conv2D):
            block, conv = layer.name.removeprefix("relu").split("_")
            theirs = keras_vgg19.get_layer(f"block{block}_conv{conv}")
            assert [w.shape for w in layer.weights] == [w.shape for w in theirs.weights]
    extractor = feature_extractor(vgg, VGG19_LAYER_SETS[layer_set])
    assert [tuple(o.shape) for o in extractor.outputs] == FEATURE_SHAPES[layer_set]
    np.testing.assert_allclose(numpy(extractor(pixels)[-1]), numpy(vgg(pixels)), rtol=1e-5,
                               atol=1e-5)


def test_the_names_map_onto_keras_vgg19_layer_for_layer(pixels, keras_vgg19, tmp_path):
    path = tmp_path / "vgg19.weights.h5"
    keras_vgg19.save_weights(path)
    vgg = vgg19_perceptual_model(SHAPE, "vae-345", weights=path)
    caffe = keras.applications.vgg19.preprocess_input(pixels * 255.0)
    for paper, theirs in [("relu1_1", "block1_conv1"), ("relu3_1", "block3_conv1"),
                          ("relu5_1", "block5_conv1")]:
        ours = keras.Model(vgg.input, vgg.get_layer(paper).output)(pixels)
        expected = keras.Model(keras_vgg19.input, keras_vgg19.get_layer(theirs).output)(caffe)
        np.testing.assert_allclose(numpy(ours), numpy(expected), rtol=1e-4, atol=1e-3)


def test_gray_images_are_repeated_to_three_channels(pixels):
    rgb = vgg19_perceptual_model(SHAPE, weights=None)
    gray = vgg19_perceptual_model((32, 32, 1), weights=None)
    gray.set_weights(rgb.get_weights())
    x = pixels[..., :1]
    np.testing.assert_allclose(numpy(gray(x)), numpy(rgb(np.repeat(x, 3, axis=-1))), rtol=1e-5,
                               atol=1e-5)


# --- preprocessing ------------------------------------------------------------------------

def test_preprocessing_is_keras_caffe_preprocessing_of_pixels_0_to_255(pixels):
    layer = ImageNetPreprocessing()
    expected = keras.applications.vgg19.preprocess_input(pixels * 255.0)
    np.testing.assert_allclose(layer(pixels), expected, rtol=0, atol=1e-4)
    gray = pixels[..., :1]
    expected = keras.applications.vgg19.preprocess_input(np.repeat(gray, 3, axis=-1) * 255.0)
    np.testing.assert_allclose(layer(gray), expected, rtol=0, atol=1e-4)
    assert layer.compute_output_shape((None, 32, 40, 1)) == (None, 32, 40, 3)


def test_the_model_survives_clone_save_and_load(pixels, tmp_path):
    vgg = vgg19_perceptual_model(SHAPE, weights=None, name="perceptual")
    assert keras.saving.get_registered_name(ImageNetPreprocessing) == \
        "vaelab>ImageNetPreprocessing"
    layer = vgg.get_layer("imagenet_preprocessing")
    assert ImageNetPreprocessing.from_config(layer.get_config()).name == layer.name
    loaded = vaelab.load_model(vaelab.save_model(vgg, tmp_path / "vgg.keras"))
    assert loaded.name == "perceptual"
    assert isinstance(loaded.get_layer("imagenet_preprocessing"), ImageNetPreprocessing)
    np.testing.assert_allclose(numpy(loaded(pixels)), numpy(vgg(pixels)), rtol=1e-6, atol=1e-6)


# --- weights ------------------------------------------------------------------------------

@pytest.mark.parametrize("file_name", [VGG19_WEIGHTS_FILE, "vgg19.weights.h5"])
def test_weights_from_a_local_file(file_name, keras_vgg19, tmp_path):
    path = tmp_path / file_name
    if file_name == VGG19_WEIGHTS_FILE:
        write_notop_file(keras_vgg19, path)
    else:
        keras_vgg19.save_weights(path)
    vgg = vgg19_perceptual_model(SHAPE, "vae-345", weights=str(path))
    assert_has_keras_weights(vgg, keras_vgg19)


def test_imagenet_weights_come_from_the_keras_cache(offline, keras_vgg19, monkeypatch):
    offline.parent.mkdir(parents=True)
    write_notop_file(keras_vgg19, offline)
    # The real file's MD5 cannot match this stand-in: check it against the stand-in's own.
    monkeypatch.setattr("vaelab.perceptual.VGG19_WEIGHTS_MD5",
                        hashlib.md5(offline.read_bytes()).hexdigest())
    vgg = vgg19_perceptual_model(SHAPE, "vae-123")
    assert_has_keras_weights(vgg, keras_vgg19)


@pytest.mark.parametrize("cached, state", [(None, "is missing"),
                                           (b"half a download", "fails its MD5 check")])
def test_imagenet_weights_offline_say_where_to_put_the_file(offline, cached, state):
    if cached is not None:
        offline.parent.mkdir(parents=True)
        offline.write_bytes(cached)
    with pytest.raises(FileNotFoundError) as err:
        vgg19_perceptual_model(SHAPE)
    message = str(err.value)
    assert f"{VGG19_WEIGHTS_FILE} {state}" in message
    assert f"downloading it from {VGG19_WEIGHTS_URL} failed (no network in this test)" in message
    assert f"put it at {offline} " in message
    assert "URL fetch failure" not in message


def test_the_weights_url_is_the_one_keras_downloads():
    from keras.src.applications import vgg19

    assert VGG19_WEIGHTS_URL == vgg19.WEIGHTS_PATH_NO_TOP


# --- bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, message", [
    ({"layer_set": "vae-234"}, ValueError,
     "layer_set: expected one of ['vae-123', 'vae-345'] (the paper's VAE-123 and VAE-345), "
     "got 'vae-234'"),
    ({"layer_set": ["relu1_1"]}, ValueError, "layer_set: expected one of"),
    ({"input_shape": (32, 32, 2)}, ValueError,
     "input_shape: expected (height, width, channels) with sides of at least 32 pixels and "
     "1 (gray) or 3 (RGB) channels, got (32, 32, 2)"),
    ({"input_shape": (28, 28, 1)}, ValueError, "got (28, 28, 1)"),
    ({"input_shape": (64, 64)}, ValueError, "got (64, 64)"),
    ({"input_shape": (64, 64.5, 3)}, ValueError, "got (64, 64.5, 3)"),
    ({"input_shape": 64}, ValueError, "got 64"),
    ({"weights": 3}, ValueError, "weights: expected 'imagenet', None (random weights) or the "
                                 "path of a weights file, got int"),
])
def test_bad_arguments_say_what_was_expected(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        vgg19_perceptual_model(**{"input_shape": SHAPE, "weights": None, **kwargs})


def test_bad_weights_files_are_named(tmp_path):
    missing = tmp_path / "vgg19.h5"
    with pytest.raises(FileNotFoundError, match=re.escape(f"weights: no file at '{missing}'")):
        vgg19_perceptual_model(SHAPE, weights=missing)
    missing.write_bytes(b"not HDF5")
    with pytest.raises(ValueError, match=re.escape(f"weights: '{missing}' does not hold "
                                                   "VGG19's convolution weights")):
        vgg19_perceptual_model(SHAPE, weights=missing)


def test_the_layer_set_is_case_insensitive():
    assert vgg19_perceptual_model(SHAPE, "VAE-345", weights=None).layers[-1].name == "relu5_1"


# --- the DFC VAE --------------------------------------------------------------------------

def test_a_dfc_vae_trains_on_vgg19_features():
    vgg = vgg19_perceptual_model(SHAPE, weights=None)
    dfc = vaelab.build_dfc_vae(vgg, latent_dim=8, layers=VGG19_LAYER_SETS["vae-123"],
                               layer_weights=[0.5] * 3, seed=1)
    assert dfc.get_layer("decoder").output_shape == (None, *SHAPE)
    x = np.random.default_rng(2).uniform(size=(16, *SHAPE)).astype(np.float32)
    history = vaelab.train_vae(dfc, x, epochs=1, batch_size=8, seed=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
