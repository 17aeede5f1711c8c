"""VGG19 as the DFC VAE's perceptual network, as in the DFC VAE paper (Hou et al. 2016).

The paper measures a reconstruction by the activations of VGG19, pretrained on ImageNet,
at three of its ReLU layers: relu1_1, relu2_1 and relu3_1 in the authors' code ("VAE-123"),
or relu3_1, relu4_1 and relu5_1 ("VAE-345"), each weighted 0.5, with the KL term weighted 1.
:func:`vgg19_perceptual_model` builds that network under the paper's layer names, so that
:func:`vaelab.build_dfc_vae` takes it as it takes vaelab's own classifiers.

VGG19 is not vaelab's default, because it is slow without a GPU. Up to relu3_1 it costs
about 0.9 GFLOPs per 64 x 64 image (0.46 G multiply-adds), five times the paper's own
encoder and decoder together (about 0.18 GFLOPs); up to relu5_1 about 3 GFLOPs, seventeen
times; and every training step runs it twice, on each image and on its reconstruction.
So, as the MNIST DFC VAE measures digits with a small digit classifier, the synthetic-faces
models use a small attribute classifier as their perceptual network; VGG19 is there to
reproduce the paper where a GPU (or patience) is at hand.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
from keras import layers, ops

from .checks import positive_int

# The paper's two choices of content layers, named as in its text.
VGG19_LAYER_SETS = {
    "vae-123": ("relu1_1", "relu2_1", "relu3_1"),
    "vae-345": ("relu3_1", "relu4_1", "relu5_1"),
}
# VGG19's convolutions as (block, position in the block, filters), in order; a 2 x 2
# max-pooling separates the blocks.
VGG19_CONVS = tuple((block, conv, filters) for block, (filters, convs)
                    in enumerate(((64, 2), (128, 2), (256, 4), (512, 4), (512, 4)), start=1)
                    for conv in range(1, convs + 1))
# ImageNet's mean pixel in BGR order, which VGG's original (Caffe) weights subtract.
IMAGENET_BGR_MEAN = (103.939, 116.779, 123.68)
MIN_SIDE = 32  # Keras's minimum for VGG19, whose feature maps halve up to five times

# The file that keras.applications.VGG19(include_top=False) downloads, its source and MD5.
VGG19_WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
VGG19_WEIGHTS_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
                     + VGG19_WEIGHTS_FILE)
VGG19_WEIGHTS_MD5 = "253f8cb515780f3b799900260a226db6"


@keras.saving.register_keras_serializable(package="vaelab")
class ImageNetPreprocessing(layers.Layer):
    """Pixels in [0, 1] to VGG's "caffe" input: x 255, RGB to BGR, minus ImageNet's mean.

    A single gray channel is repeated to three first. This is what
    ``keras.applications.vgg19.preprocess_input`` does to pixels 0..255, inside the model so
    that it takes vaelab's images (and decoders' outputs) as they are.
    """

    def call(self, images):
        if images.shape[-1] == 1:
            images = ops.repeat(images, 3, axis=-1)
        bgr = ops.flip(images, axis=-1) * 255.0
        return bgr - ops.convert_to_tensor(IMAGENET_BGR_MEAN, dtype=bgr.dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 3)


def vgg19_perceptual_model(input_shape=(64, 64, 3), layer_set: str = "vae-123",
                           weights="imagenet", name: str = "vgg19") -> keras.Model:
    """VGG19's convolutions up to the deepest layer of `layer_set`, for the DFC VAE.

    The model takes images of `input_shape` (height, width, channels) with pixels in
    [0, 1], what vaelab's decoders output; one gray channel is repeated to three. Its first
    layer, ``imagenet_preprocessing``, turns them into VGG's input (see
    :class:`ImageNetPreprocessing`). Then come VGG19's convolution blocks, only as deep as
    `layer_set` (a key of :data:`VGG19_LAYER_SETS`, ``"vae-123"`` or ``"vae-345"``) needs.
    The convolutions carry the paper's names: Keras's ``block{b}_conv{c}``, whose ReLU is
    part of the convolution, is ``relu{b}_{c}`` here, so ``relu1_1`` is ``block1_conv1``;
    the max-poolings after blocks 1, 2, ... are ``pool1``, ``pool2``, ... The model's output
    is the deepest layer of the set.

    `weights` is ``"imagenet"``, VGG19's ImageNet weights file (:data:`VGG19_WEIGHTS_FILE`)
    from the Keras cache, ``$KERAS_HOME/models/`` (by default ``~/.keras/models/``), which
    is downloaded there when missing and a network is at hand; the path of that file (or of
    any weights that ``keras.applications.VGG19(include_top=False, weights=path)`` loads);
    or None for random weights. The paper weights each of its layers 0.5
    (``layer_weights``) and the KL term 1 (:func:`vaelab.build_dfc_vae`'s default).

    Example:
        >>> vgg = vgg19_perceptual_model((32, 32, 3), weights=None)
        >>> [layer.name for layer in vgg.layers][2:]
        ['relu1_1', 'relu1_2', 'pool1', 'relu2_1', 'relu2_2', 'pool2', 'relu3_1']
        >>> dfc = vaelab.build_dfc_vae(vgg, layers=VGG19_LAYER_SETS["vae-123"],
        ...                            layer_weights=[0.5] * 3)  # doctest: +SKIP
    """
    chosen = _layer_set(layer_set)
    shape = _input_shape(input_shape)
    source = _weights_file(weights)
    order = [f"relu{block}_{conv}" for block, conv, _ in VGG19_CONVS]
    deepest = max(order.index(layer) for layer in chosen)
    images = keras.Input(shape=shape, name="image")
    h = ImageNetPreprocessing(name="imagenet_preprocessing")(images)
    for block, conv, filters in VGG19_CONVS[:deepest + 1]:
        if block > 1 and conv == 1:
            h = layers.MaxPooling2D(2, name=f"pool{block - 1}")(h)
        h = layers.Conv2D(filters, 3, padding="same", activation="relu",
                          name=f"relu{block}_{conv}")(h)
    model = keras.Model(images, h, name=name)
    if source is not None:
        _copy_weights(model, source)
    return model


def _keras_home() -> Path:
    """Keras's folder, where it caches downloads: ``$KERAS_HOME``, else ``~/.keras`` (as
    Keras decides it, read now so that a changed ``KERAS_HOME`` counts)."""
    if "KERAS_HOME" in os.environ:
        return Path(os.environ["KERAS_HOME"])
    home = Path.home()
    return (home if os.access(home, os.W_OK) else Path("/tmp")) / ".keras"


def imagenet_weights_path() -> Path:
    """The path of VGG19's ImageNet weights in the Keras cache, downloaded there if missing.

    Raises FileNotFoundError, saying where to put the file, when it is missing (or fails
    its MD5 check) and cannot be downloaded.

    Example:
        >>> imagenet_weights_path().name  # doctest: +SKIP
        'vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5'
    """
    home = _keras_home()
    target = home / "models" / VGG19_WEIGHTS_FILE
    state = "fails its MD5 check" if target.exists() else "is missing"
    try:
        return Path(keras.utils.get_file(VGG19_WEIGHTS_FILE, VGG19_WEIGHTS_URL,
                                         cache_subdir="models", file_hash=VGG19_WEIGHTS_MD5,
                                         cache_dir=str(home)))
    except Exception as err:  # Keras raises a bare Exception when the download fails
        reason = getattr(err.__context__, "reason", None) or err
        raise FileNotFoundError(
            f"weights='imagenet': VGG19's ImageNet weights file {VGG19_WEIGHTS_FILE} "
            f"{state} in the Keras cache, and downloading it from {VGG19_WEIGHTS_URL} "
            f"failed ({reason}). Download that file where a network is at hand and put it "
            f"at {target} (the Keras cache is $KERAS_HOME/models, by default "
            "~/.keras/models), or pass its path as `weights`."
        ) from err


def _layer_set(layer_set) -> tuple[str, ...]:
    """The paper's layer names of `layer_set`, a key of VGG19_LAYER_SETS in any case."""
    key = layer_set.lower() if isinstance(layer_set, str) else None
    if key not in VGG19_LAYER_SETS:
        raise ValueError(f"layer_set: expected one of {sorted(VGG19_LAYER_SETS)} (the "
                         f"paper's VAE-123 and VAE-345), got {layer_set!r}")
    return VGG19_LAYER_SETS[key]


def _input_shape(input_shape) -> tuple[int, int, int]:
    """`input_shape` as (height, width, channels), with sides VGG19 can pool and 1 or 3
    channels."""
    expected = (f"input_shape: expected (height, width, channels) with sides of at least "
                f"{MIN_SIDE} pixels and 1 (gray) or 3 (RGB) channels, got {input_shape!r}")
    try:
        shape = tuple(positive_int(side, "input_shape") for side in input_shape)
    except (TypeError, ValueError):
        raise ValueError(expected) from None
    if len(shape) != 3 or min(shape[:2]) < MIN_SIDE or shape[2] not in (1, 3):
        raise ValueError(expected)
    return shape


def _weights_file(weights) -> Path | None:
    """The weights file that `weights` means: None, the cached ImageNet file, or a path."""
    if weights is None:
        return None
    if isinstance(weights, str) and weights == "imagenet":
        return imagenet_weights_path()
    if not isinstance(weights, (str, os.PathLike)):
        raise ValueError(f"weights: expected 'imagenet', None (random weights) or the path "
                         f"of a weights file, got {type(weights).__name__}")
    path = Path(weights).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"weights: no file at {str(path)!r}; expected 'imagenet', "
                                f"None or the path of VGG19's weights ({VGG19_WEIGHTS_FILE})")
    return path


def _copy_weights(model: keras.Model, path: Path) -> None:
    """Load `path` into Keras's VGG19 and copy its convolutions into `model`'s, by name:
    Keras's ``block{b}_conv{c}`` is ``relu{b}_{c}``."""
    try:
        # The weights do not depend on the image size: the smallest VGG19 reads them.
        source = keras.applications.VGG19(include_top=False, weights=str(path),
                                           input_shape=(MIN_SIDE, MIN_SIDE, 3))
    except (OSError, ValueError) as err:
        raise ValueError(f"weights: {str(path)!r} does not hold VGG19's convolution weights "
                         f"in a format Keras reads (as {VGG19_WEIGHTS_FILE} does): {err}"
                         ) from err
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            block, conv = layer.name.removeprefix("relu").split("_")
            layer.set_weights(source.get_layer(f"block{block}_conv{conv}").get_weights())
