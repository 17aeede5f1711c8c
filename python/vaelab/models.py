"""Model builders: encoder, decoder, plain VAE, perceptual classifier and DFC VAE.

Two architectures, chosen by the image shape:

* (28, 28, 1): the one shared by Krasser's article and "Deep Learning with R" 8.4, kept
  layer for layer so that published weights load by layer order;
* any other height and width that are multiples of 16, grey or colour: the DFC paper's
  (Hou et al. 2016). Four 4 x 4 convolutions of stride 2 with batch normalisation and
  LeakyReLU down; a dense layer, then four nearest-neighbour upsamplings each followed by a
  3 x 3 convolution, up. The paper pads those convolutions by replicating the border
  pixels; Keras pads with zeros ("same"), which changes only the border of each map.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import keras
import numpy as np
from keras import layers

from .checks import CHANNELS, IMAGE_SHAPE, as_images, as_labelled, as_labels, as_model, positive_int
from .execution import Plan, configure
from .files import atomic_path
from .layers import (
    PerceptualVariationalLayer,
    Sampling,
    ShiftedSliceConv2D,
    VariationalLayer,
    VariationalModel,
)
from .losses import check_likelihood, check_recipe
from .output import keras_verbose
from .precision import computing_in, in_precision
from .training import guard_fit

DEFAULT_PERCEPTUAL_LAYERS = ("conv1", "conv2")
# The DFC VAE's sub-models that train faster under XLA on CPU (the feature extractor does not).
DFC_XLA_PARTS = ("encoder", "decoder")
# The DFC paper's filters, from the image to the latent code; the decoder goes back up them.
CONV_FILTERS = (32, 64, 128, 256)


def build_encoder(latent_dim: int = 5, name: str = "encoder",
                  input_shape=IMAGE_SHAPE) -> keras.Model:
    """Image `input_shape` -> ``[z_mean, z_log_var]``, each (latent_dim,).

    Example:
        >>> build_encoder(100, input_shape=(64, 64, 3)).output_shape
        [(None, 100), (None, 100)]
    """
    latent_dim = positive_int(latent_dim, "latent_dim")
    input_shape = as_image_shape(input_shape)
    x = keras.Input(shape=input_shape, name="image")
    if input_shape == IMAGE_SHAPE:
        h = layers.Dense(32, activation="relu")(conv_features(x))
    else:
        h = layers.Flatten()(strided_features(x))
    return keras.Model(x, latent_heads(h, latent_dim), name=name)


def latent_heads(h, latent_dim: int) -> list:
    """``[z_mean, z_log_var]`` from the features `h`: two dense layers, in float32 whatever
    the precision, since the loss reads them closely (:mod:`vaelab.precision`)."""
    return [layers.Dense(latent_dim, name=name, dtype="float32")(h)
            for name in ("z_mean", "z_log_var")]


def conv_features(x):
    """The encoder's four convolutions on images `x`, flattened to (14 * 14 * 64,) each."""
    h = ShiftedSliceConv2D(32, 3, padding="same", activation="relu")(x)
    h = ShiftedSliceConv2D(64, 3, padding="same", activation="relu", strides=2)(h)
    h = ShiftedSliceConv2D(64, 3, padding="same", activation="relu")(h)
    h = ShiftedSliceConv2D(64, 3, padding="same", activation="relu")(h)
    return layers.Flatten()(h)


def strided_features(x):
    """The DFC paper's encoder body: each block halves the image and widens the features."""
    h = x
    for filters in CONV_FILTERS:
        h = layers.Conv2D(filters, 4, strides=2, padding="same")(h)
        h = layers.BatchNormalization()(h)
        h = layers.LeakyReLU(0.2)(h)
    return h


def build_decoder(latent_dim: int = 5, name: str = "decoder",
                  output_shape=IMAGE_SHAPE) -> keras.Model:
    """Latent vector (latent_dim,) -> image `output_shape` with pixel values in [0, 1].

    Example:
        >>> build_decoder(100, output_shape=(64, 64, 3)).output_shape
        (None, 64, 64, 3)
    """
    latent_dim = positive_int(latent_dim, "latent_dim")
    output_shape = as_image_shape(output_shape, "output_shape")
    z = keras.Input(shape=(latent_dim,), name="z")
    if output_shape == IMAGE_SHAPE:
        h = layers.Dense(14 * 14 * 64, activation="relu")(z)
        h = layers.Reshape((14, 14, 64))(h)
        h = layers.Conv2DTranspose(32, 3, padding="same", activation="relu", strides=2)(h)
        x_decoded = ShiftedSliceConv2D(1, 3, padding="same", activation="sigmoid",
                                       dtype="float32")(h)
    else:
        x_decoded = upsampled_image(z, output_shape)
    return keras.Model(z, x_decoded, name=name)


def upsampled_image(z, output_shape):
    """The DFC paper's decoder body: a dense layer to a small feature map, then blocks that
    each double it, and a last convolution to the image's channels."""
    height, width, channels = output_shape
    steps = len(CONV_FILTERS)
    h = layers.Dense((height >> steps) * (width >> steps) * CONV_FILTERS[-1],
                     activation="relu")(z)
    h = layers.Reshape((height >> steps, width >> steps, CONV_FILTERS[-1]))(h)
    for filters in CONV_FILTERS[-2::-1]:
        h = layers.UpSampling2D(2, interpolation="nearest")(h)
        h = layers.Conv2D(filters, 3, padding="same")(h)
        h = layers.BatchNormalization(epsilon=1e-3)(h)
        h = layers.LeakyReLU(0.2)(h)
    h = layers.UpSampling2D(2, interpolation="nearest")(h)
    return layers.Conv2D(channels, 3, padding="same", activation="sigmoid", dtype="float32")(h)


def as_image_shape(shape, name: str = "input_shape") -> tuple:
    """`shape` as an (height, width, channels) tuple that one of the architectures accepts."""
    try:
        values = tuple(int(v) for v in shape)
        whole = all(float(v) == int(v) for v in shape)
    except (TypeError, ValueError):
        values, whole = (), False
    side = 2 ** len(CONV_FILTERS)
    if values == IMAGE_SHAPE:
        return values
    if (not whole or len(values) != 3 or values[2] not in CHANNELS
            or min(values[:2]) < side or values[0] % side or values[1] % side):
        raise ValueError(
            f"{name}: expected (28, 28, 1) (the article's architecture) or (height, width, "
            f"channels) with height and width multiples of {side} (the DFC paper's "
            f"architecture halves them {len(CONV_FILTERS)} times) and 1 or 3 channels, "
            f"e.g. (64, 64, 3); got {shape!r}"
        )
    return values


def image_shape_of(model: keras.Model) -> tuple:
    """The (height, width, channels) of the images a VAE, an encoder or a classifier takes,
    or a decoder makes.

    Example:
        >>> image_shape_of(build_vae(latent_dim=2))
        (28, 28, 1)
    """
    as_model(model)
    if model.name == "decoder":
        return tuple(model.outputs[0].shape[1:])
    try:
        part = model.get_layer("encoder")
    except ValueError:  # a classifier, or the encoder itself
        part = model
    return tuple(part.inputs[0].shape[1:])


def build_vae(latent_dim: int = 5, recipe: str = "elbo", optimizer="rmsprop",
              seed: int | None = None, name: str = "vae", jit_compile="auto",
              input_shape=IMAGE_SHAPE, likelihood: str = "bernoulli",
              precision: str = "float32") -> keras.Model:
    """The plain VAE: a pixel-wise reconstruction term plus KL, added by a VariationalLayer.

    `input_shape` chooses the architecture (see :mod:`vaelab.models`): the article's for
    (28, 28, 1), the DFC paper's for other sizes such as (32, 32, 3) or (64, 64, 3).
    `likelihood` is ``"bernoulli"`` (binary cross-entropy, the article's) or
    ``"gaussian"`` (half the squared error, for colour photographs; :mod:`vaelab.losses`).

    The model comes compiled with `optimizer` and no loss, so ``model.fit(x, None)``
    (or :func:`vaelab.train_vae`) trains it. Its sub-models are reachable as
    ``model.get_layer("encoder")`` and ``model.get_layer("decoder")``. `jit_compile`
    (``"auto"``, True or False) chooses XLA for training: ``"auto"`` turns it on with
    TensorFlow for the article's (28, 28, 1) model and off for the DFC paper's
    architecture, until a long training run on a CPU measures the fastest way on that
    machine (:mod:`vaelab.execution`); with a GPU and on other backends it is Keras's
    own choice (XLA with a GPU). `precision` is ``"float32"`` or ``"bfloat16"``
    (mixed precision where the hardware has it, :mod:`vaelab.precision`).

    With the default RMSprop, a fresh model's first steps push ``z_log_var`` up to about 15,
    so on a few hundred images the first epoch's KL is in the hundreds or thousands before
    it settles; ``optimizer="adam"`` avoids that (README, "When something goes wrong").

    Example:
        >>> vae = build_vae(latent_dim=2, recipe="book", seed=1)
        >>> vae.get_layer("decoder").output_shape
        (None, 28, 28, 1)
    """
    return _assemble_vae(latent_dim, recipe, optimizer, seed, name, perceptual=None,
                         jit_compile=jit_compile, input_shape=input_shape,
                         likelihood=likelihood, precision=precision)


def build_perceptual_model(seed: int | None = None, name: str = "classifier") -> keras.Model:
    """The small MNIST classifier whose hidden layers give the DFC VAE its perceptual loss.

    Its convolutions are named ``conv1``, ``conv2`` and ``conv3``. Returned untrained and
    compiled for sparse categorical cross-entropy with accuracy.

    Example:
        >>> build_perceptual_model().output_shape
        (None, 10)
    """
    set_seed(seed)
    x = keras.Input(shape=(28, 28, 1), name="image")
    h = ShiftedSliceConv2D(32, 3, activation="relu", name="conv1")(x)
    h = layers.MaxPooling2D()(h)
    h = ShiftedSliceConv2D(64, 3, activation="relu", name="conv2")(h)
    h = layers.MaxPooling2D()(h)
    h = ShiftedSliceConv2D(64, 3, activation="relu", name="conv3")(h)
    h = layers.Flatten()(h)
    h = layers.Dense(64, activation="relu")(h)
    probs = layers.Dense(10, activation="softmax", name="probabilities")(h)
    model = keras.Model(x, probs, name=name)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train_perceptual_model(images, labels, epochs: int = 10, batch_size: int = 128,
                           validation_data=None, model: keras.Model | None = None,
                           shift: float = 2.0, seed: int | None = None,
                           verbose="auto") -> keras.Model:
    """Train (a new, or the given) perceptual classifier on `images` and their digit `labels`.

    Training images are shifted at random by up to `shift` pixels in each direction
    (0 turns this off): a training-only layer wrapped around the classifier, which is
    returned unchanged in architecture. With the defaults it reaches about 99% test
    accuracy on MNIST.

    Example:
        >>> clf = train_perceptual_model(x_train, y_train, epochs=1)  # doctest: +SKIP
    """
    x = as_images(images)
    y = as_labels(labels, n=x.shape[0])
    if validation_data is not None:
        validation_data = as_labelled(validation_data)
    if not 0.0 <= float(shift) < 14.0:
        raise ValueError(f"shift: expected a number of pixels in [0, 14), got {shift}")
    model = build_perceptual_model(seed=seed) if model is None else model
    trainer = model
    if shift > 0:
        trainer = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            layers.RandomTranslation(shift / 28, shift / 28, fill_mode="constant", seed=seed),
            model])
        trainer.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                        metrics=["accuracy"])
    trainer.fit(x, y, epochs=positive_int(epochs, "epochs"),
                batch_size=positive_int(batch_size, "batch_size"),
                validation_data=validation_data, verbose=keras_verbose(verbose))
    return model


def build_dfc_vae(perceptual_model: keras.Model, latent_dim: int = 5, layers=None,
                  layer_weights=None, recipe: str = "elbo", optimizer="rmsprop",
                  seed: int | None = None, name: str = "dfc_vae",
                  jit_compile="auto", input_shape=None,
                  precision: str = "float32") -> keras.Model:
    """The deep feature consistent VAE: reconstruction measured on a classifier's activations.

    `layers` names (or indexes, among the classifier's layers) the hidden layers whose
    activations are compared, by default its first two convolutions; `layer_weights`
    weights each (default 1.0). A frozen copy of `perceptual_model` becomes part of the
    model, so the classifier you pass stays untouched. `jit_compile` works as in
    :func:`build_vae`; on a CPU the article's (28, 28, 1) model starts with XLA for its
    encoder and decoder alone, since XLA slowed the feature extractor down on an AVX2
    machine (benchmarks/RESULTS.md), until a long run measures this machine's fastest way.
    With ``precision="bfloat16"`` the feature extractor computes in bfloat16 too.
    `input_shape` is the perceptual model's input shape unless given, when the two must
    agree; it chooses the architecture as in :func:`build_vae`. Any Keras model with a
    single image input serves as `perceptual_model`, e.g. VGG19
    (:func:`vaelab.vgg19_perceptual_model`).

    Example:
        >>> dfc = build_dfc_vae(build_perceptual_model(), latent_dim=5, seed=1)
        >>> dfc.get_layer("perceptual_features").trainable
        False
    """
    extractor = feature_extractor(perceptual_model, layers)
    perceptual_shape = tuple(extractor.inputs[0].shape[1:])
    input_shape = perceptual_shape if input_shape is None else as_image_shape(input_shape)
    if input_shape != perceptual_shape:
        raise ValueError(f"input_shape: {input_shape} differs from the perceptual model's "
                         f"input shape {perceptual_shape}; the model compares the features of "
                         "each image with those of its reconstruction, so they must agree")
    n = len(extractor.outputs)
    if layer_weights is None:
        layer_weights = [1.0] * n
    layer_weights = [float(w) for w in np.atleast_1d(np.asarray(layer_weights, dtype=float))]
    if len(layer_weights) != n or not all(np.isfinite(w) and w >= 0 for w in layer_weights):
        raise ValueError(
            f"layer_weights: expected {n} finite non-negative weights (one per layer), "
            f"got {layer_weights}"
        )
    return _assemble_vae(latent_dim, recipe, optimizer, seed, name,
                         perceptual=(in_precision(extractor, precision), layer_weights),
                         jit_compile=jit_compile, input_shape=input_shape,
                         precision=precision)


def feature_extractor(perceptual_model: keras.Model, layers=None) -> keras.Model:
    """A frozen copy of `perceptual_model` that outputs the activations of `layers`."""
    as_model(perceptual_model, "perceptual_model",
             "build_perceptual_model(), load_pretrained('classifier'), or any other")
    clone = keras.models.clone_model(perceptual_model)
    clone.set_weights(perceptual_model.get_weights())
    names = [layer.name for layer in clone.layers]
    wanted = DEFAULT_PERCEPTUAL_LAYERS if layers is None else layers
    if isinstance(wanted, (str, int, np.integer)):
        wanted = [wanted]
    outputs = []
    for item in wanted:
        if isinstance(item, (int, np.integer)) and 0 <= int(item) < len(names):
            item = names[int(item)]
        if item not in names:
            raise ValueError(
                f"layers: {item!r} is not a layer of the perceptual model; "
                f"expected one of {names} (or an index 0..{len(names) - 1})"
            )
        outputs.append(clone.get_layer(item).output)
    # A model built on a list of one input warns (on torch) each time it is called on a tensor.
    inputs = clone.inputs[0] if len(clone.inputs) == 1 else clone.inputs
    extractor = keras.Model(inputs, outputs, name="perceptual_features")
    extractor.trainable = False
    return extractor


def save_model(model: keras.Model, path) -> Path:
    """Save `model` as a ``.keras`` file atomically (a crash never leaves half a file).

    Example:
        >>> save_model(build_vae(), "vae.keras")  # doctest: +SKIP
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"path: expected a file name ending in .keras, got {str(path)!r}")
    with atomic_path(path) as tmp:
        model.save(tmp)
    return path


def load_model(path) -> keras.Model:
    """Load a model saved with :func:`save_model` (all vaelab layers are registered).

    A VAE gets its architecture's training plan back, as the builders give it, since a
    ``.keras`` file keeps the optimizer but not vaelab's plan (:mod:`vaelab.execution`).

    Example:
        >>> vae = load_model("vae.keras")  # doctest: +SKIP
    """
    path = readable_file(path, "model file")
    try:
        model = keras.models.load_model(path)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path}: not a readable .keras model ({err})") from err
    names = {layer.name for layer in model.layers}
    if getattr(model, "optimizer", None) is None or not {"encoder", "decoder"} <= names:
        return guard_fit(model)
    return compile_vae(model, model.optimizer, "auto", *default_plan(model))


def save_weights(model: keras.Model, path) -> Path:
    """Save `model`'s weights as ``.weights.h5`` atomically."""
    path = Path(path)
    if not path.name.endswith(".weights.h5"):
        raise ValueError(f"path: expected a file name ending in .weights.h5, got {str(path)!r}")
    with atomic_path(path) as tmp:
        model.save_weights(tmp)
    return path


def load_weights(model: keras.Model, path) -> keras.Model:
    """Load ``.weights.h5`` into `model`, explaining a latent size or architecture mismatch."""
    path = readable_file(path, "weights file")
    try:
        model.load_weights(path)
    except (OSError, zipfile.BadZipFile) as err:  # h5py or zipfile cannot open it
        raise ValueError(f"{path}: not a readable weights file ({err}); is it corrupted?") \
            from err
    except (ValueError, KeyError) as err:
        # Keras's message goes on to print every value of the variable; the shapes come first.
        text = str(err).split("Target variable:")[0].split("List of objects")[0]
        reason = " ".join(text.split())[:400] or type(err).__name__
        raise ValueError(
            f"{path}: these weights do not fit model {model.name!r}"
            f"{_latent_note(model)} ({reason}); were they saved from a model with another "
            "latent_dim or architecture?"
        ) from err
    return model


def readable_file(path, kind: str) -> Path:
    """`path` as a Path once it names a non-empty file that, for ``.keras``, is a zip archive.

    Otherwise an error names the file and what is wrong with it, where Keras would say
    "File not found" of a file that exists.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"no {kind} at {str(path)!r}")
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a folder; expected a {kind}")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: is empty (0 bytes); expected a {kind}")
    if path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise ValueError(
            f"{path}: is not a .keras archive (not a zip file): truncated, or another kind of "
            "file renamed; expected a file written by save_model()"
        )
    return path


def latent_dim_of(model: keras.Model) -> int:
    """The latent size of a VAE, an encoder or a decoder."""
    if model.name == "decoder":
        return int(model.inputs[0].shape[-1])
    encoder = model if model.name == "encoder" else submodel(model, "encoder")
    return int(encoder.outputs[0].shape[-1])


def submodel(model: keras.Model, name: str) -> keras.Model:
    """``model.get_layer(name)`` with a clear error when `model` is not a vaelab VAE."""
    as_model(model)
    if model.name == name:
        return model
    try:
        return model.get_layer(name)
    except ValueError:
        raise ValueError(
            f"model {model.name!r} has no sub-model named {name!r}; expected a vaelab VAE "
            "(build_vae(), build_dfc_vae(), load_pretrained()) or the sub-model itself"
        ) from None


def compile_vae(model: keras.Model, optimizer, jit_compile="auto", default: Plan = Plan(),
                parts=()) -> keras.Model:
    """Compile a VAE for ``fit(x, None)``: `optimizer`, no loss, XLA as `jit_compile` says.

    ``jit_compile="auto"`` runs the architecture's `default` plan until a long training
    run measures a better one on this machine (:mod:`vaelab.execution`); True or False
    fixes XLA. A later ``model.compile()`` (another optimizer, say) keeps the plan, and
    the model's ``fit`` stops on a NaN loss (:func:`vaelab.training.guard_fit`).
    """
    configure(model, optimizer, jit_compile, default, parts)
    return guard_fit(model)


def default_plan(model: keras.Model):
    """The fixed plan (:class:`vaelab.execution.Plan`) and XLA parts for a VAE's architecture.

    Measured on CPU (benchmarks/RESULTS.md): in the article's (28, 28, 1) models XLA
    speeds up the encoder and decoder on an AVX2 machine but slows down the DFC VAE's
    feature extractor, so the DFC VAE keeps XLA to those two; the DFC paper's architecture
    (batch normalisation, upsampling) was slower with XLA.
    """
    names = {layer.name for layer in model.layers}
    perceptual = "perceptual_features" in names
    if image_shape_of(model) != IMAGE_SHAPE:  # no single-channel ShiftedSliceConv2D there
        return Plan("none", shifted_slices=False), DFC_XLA_PARTS if perceptual else ()
    return (Plan("parts"), DFC_XLA_PARTS) if perceptual else (Plan("model"), ())


def _assemble_vae(latent_dim, recipe, optimizer, seed, name, perceptual, jit_compile,
                  input_shape, likelihood="bernoulli", precision="float32"):
    check_recipe(recipe)
    check_likelihood(likelihood)
    input_shape = as_image_shape(input_shape)
    set_seed(seed)
    with computing_in(precision):
        encoder = build_encoder(latent_dim, input_shape=input_shape)
        decoder = build_decoder(latent_dim, output_shape=input_shape)
    x = keras.Input(shape=input_shape, name="image")
    z_mean, z_log_var = encoder(x)
    z = Sampling(seed=seed, name="sampling")([z_mean, z_log_var])
    x_decoded = decoder(z)
    if perceptual is None:
        out = VariationalLayer(recipe=recipe, likelihood=likelihood, name="variational")(
            [x, x_decoded, z_mean, z_log_var])
    else:
        extractor, layer_weights = perceptual
        features_x, features_decoded = extractor(x), extractor(x_decoded)
        out = PerceptualVariationalLayer(layer_weights, recipe=recipe, name="variational")(
            [x, x_decoded, z_mean, z_log_var, _as_list(features_x), _as_list(features_decoded)])
    model = VariationalModel(x, out, name=name)
    return compile_vae(model, optimizer, jit_compile, *default_plan(model))


def _as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def set_seed(seed: int | None) -> None:
    """Seed Python, NumPy and the backend, so that the model built next starts from the same
    weights (None: leave the random state alone)."""
    if seed is not None:
        keras.utils.set_random_seed(positive_int(seed, "seed", minimum=0))


def _latent_note(model):
    try:
        return f" (latent_dim {latent_dim_of(model)})"
    except ValueError:
        return ""
