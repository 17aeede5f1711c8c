"""The conditional VAE: the digit's one-hot label goes into the encoder and the decoder.

Any set of ten classes will do (Fashion-MNIST's garments, CIFAR-10's objects): the models
take the images' shape as the plain ones do (:mod:`vaelab.models`).

Because the decoder is told which digit to draw, the latent vector is free to hold only the
*style* (slant, thickness, width). Encoding an image with its own label and decoding it with
another label therefore redraws it as another digit in the same handwriting: style transfer.
:func:`vaelab.encode`, :func:`vaelab.decode` and their kin take the labels of a conditional
model; :func:`style_transfer` and :func:`generation_accuracy` work for every conditional
vaelab model, the conditional VAE-GAN included.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from .checks import IMAGE_SHAPE, as_labelled, as_labels, positive_int
from .inference import N_CLASSES, decode, encode, generate, is_conditional, model_images, one_hot
from .layers import Sampling, VariationalLayer
from .losses import check_likelihood, check_recipe
from .metrics import predict_digits
from .models import (
    as_image_shape,
    build_decoder,
    compile_vae,
    conv_features,
    set_seed,
    strided_features,
)
from .training import fit_inputs


def build_conditional_encoder(latent_dim: int = 5, name: str = "encoder",
                              input_shape=IMAGE_SHAPE) -> keras.Model:
    """``[image, one-hot label]`` -> ``[z_mean, z_log_var]``.

    The convolutions are those of :func:`vaelab.build_encoder` for `input_shape`; the
    label joins the flattened features before the dense layers, so the encoder can leave
    the class out of z.

    Example:
        >>> [tuple(t.shape) for t in build_conditional_encoder(latent_dim=2).outputs]
        [(None, 2), (None, 2)]
    """
    latent_dim = positive_int(latent_dim, "latent_dim")
    input_shape = as_image_shape(input_shape)
    x = keras.Input(shape=input_shape, name="image")
    y = keras.Input(shape=(N_CLASSES,), name="label")
    if input_shape == IMAGE_SHAPE:
        h = layers.Dense(32, activation="relu")(layers.Concatenate()([conv_features(x), y]))
    else:
        h = layers.Concatenate()([layers.Flatten()(strided_features(x)), y])
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)
    return keras.Model([x, y], [z_mean, z_log_var], name=name)


def build_conditional_decoder(latent_dim: int = 5, name: str = "decoder",
                              output_shape=IMAGE_SHAPE) -> keras.Model:
    """``[z, one-hot label]`` -> image: the core decoder applied to z joined with the label.

    Example:
        >>> tuple(build_conditional_decoder(latent_dim=2).outputs[0].shape)
        (None, 28, 28, 1)
    """
    latent_dim = positive_int(latent_dim, "latent_dim")
    z = keras.Input(shape=(latent_dim,), name="z")
    y = keras.Input(shape=(N_CLASSES,), name="label")
    body = build_decoder(latent_dim + N_CLASSES, name="decoder_body", output_shape=output_shape)
    return keras.Model([z, y], body(layers.Concatenate()([z, y])), name=name)


def build_cvae(latent_dim: int = 5, recipe: str = "elbo", optimizer="rmsprop",
               seed: int | None = None, name: str = "cvae", jit_compile="auto",
               input_shape=IMAGE_SHAPE, likelihood: str = "bernoulli") -> keras.Model:
    """The conditional VAE: plain VAE loss, with the one-hot label fed to encoder and decoder.

    Inputs are ``[images, one_hot(labels)]``; the loss is added by the core's
    :class:`~vaelab.layers.VariationalLayer`, so :func:`train_cvae` (or
    ``model.fit([images, one_hot(labels)], None)``) trains it. Sub-models: ``encoder`` and
    ``decoder``.
    `jit_compile`, `input_shape` and `likelihood` work as in :func:`~vaelab.build_vae`.

    Example:
        >>> cvae = build_cvae(latent_dim=2, seed=1)
        >>> [tuple(t.shape) for t in cvae.inputs]
        [(None, 28, 28, 1), (None, 10)]
    """
    check_recipe(recipe)
    check_likelihood(likelihood)
    input_shape = as_image_shape(input_shape)
    set_seed(seed)
    encoder = build_conditional_encoder(latent_dim, input_shape=input_shape)
    decoder = build_conditional_decoder(latent_dim, output_shape=input_shape)
    x = keras.Input(shape=input_shape, name="image")
    y = keras.Input(shape=(N_CLASSES,), name="label")
    z_mean, z_log_var = encoder([x, y])
    z = Sampling(seed=seed, name="sampling")([z_mean, z_log_var])
    out = VariationalLayer(recipe=recipe, likelihood=likelihood, name="variational")(
        [x, decoder([z, y]), z_mean, z_log_var])
    model = keras.Model([x, y], out, name=name)
    # XLA on CPU helped the article's architecture only (see build_vae).
    return compile_vae(model, optimizer, jit_compile, xla_on_cpu=input_shape == IMAGE_SHAPE)


def train_cvae(model: keras.Model, images, labels, epochs: int = 15, batch_size: int = 32,
               validation_data=None, seed: int | None = None, verbose="auto",
               callbacks=None, distribution=None) -> keras.callbacks.History:
    """Train a conditional VAE on `images` with their class `labels` (0..9).

    `validation_data` is ``(images, labels)``. Stops with
    :class:`vaelab.TrainingDivergedError` if the loss becomes NaN. `distribution` spreads
    training over devices as in :func:`vaelab.train_vae`.

    Example:
        >>> train_cvae(build_cvae(), x_train[:512], y_train[:512], epochs=1)  # doctest: +SKIP
        >>> train_cvae(build_cvae(), x_train, y_train, distribution="all")  # doctest: +SKIP
    """
    require_conditional(model)
    x = model_images(model, images)
    inputs = [x, one_hot(labels, n=x.shape[0])]
    if validation_data is not None:
        vx, vy = as_labelled(validation_data, shape=x.shape[1:])
        validation_data = [vx, one_hot(vy)]
    if seed is not None:
        seed = positive_int(seed, "seed", minimum=0)
    return fit_inputs(model, inputs, positive_int(epochs, "epochs"),
                      positive_int(batch_size, "batch_size"), validation_data, seed=seed,
                      verbose=verbose, callbacks=callbacks, distribution=distribution)


def require_conditional(model):
    """Raise a ValueError unless `model` is a conditional vaelab model."""
    if not is_conditional(model):
        raise ValueError(
            f"model {model.name!r} is not conditional (its decoder takes no label); expected "
            "build_cvae(), build_vaegan(conditional=True) or load_pretrained('cvaegan')"
        )


def generation_accuracy(model, classifier, n_per_class: int = 100,
                        seed: int | None = None) -> dict:
    """How often `classifier` recognises a conditional model's generated digit as the one asked for.

    Draws `n_per_class` latent vectors from N(0, I) per digit, decodes them with that digit's
    label and classifies them. Returns ``{"overall": accuracy, "per_class": [10 accuracies]}``.

    Example:
        >>> gan, clf = load_pretrained("cvaegan"), load_pretrained("classifier")  # doctest: +SKIP
        >>> generation_accuracy(gan, clf)["overall"]  # doctest: +SKIP
    """
    require_conditional(model)
    n_per_class = positive_int(n_per_class, "n_per_class")
    wanted = np.repeat(np.arange(N_CLASSES), n_per_class)
    images = generate(model, labels=wanted, seed=seed)
    correct = predict_digits(classifier, images) == wanted
    return {"overall": float(correct.mean()),
            "per_class": [float(c.mean()) for c in correct.reshape(N_CLASSES, n_per_class)]}


def style_transfer(model, images, source_label, target_label) -> np.ndarray:
    """Redraw `images` as the digits `target_label`, keeping their handwriting.

    Each image is encoded with its `source_label` (one label for all images, or one per
    image) and the latent mean is decoded once per entry of `target_label` (one digit, or a
    vector such as ``range(10)``). Returns an array (n_images, n_targets, height, width,
    channels): row i holds image i redrawn as each target digit.

    Example:
        >>> gan = load_pretrained("cvaegan")  # doctest: +SKIP
        >>> style_transfer(gan, x_test[:1], 7, range(10)).shape  # doctest: +SKIP
        (1, 10, 28, 28, 1)
    """
    require_conditional(model)
    x = model_images(model, images)
    n = x.shape[0]
    source = as_labels(np.broadcast_to(np.atleast_1d(source_label), (n,))
                       if np.size(source_label) == 1 else source_label, n=n, name="source_label")
    targets = as_labels(np.atleast_1d(np.asarray(target_label)), name="target_label")
    if targets.size == 0:
        raise ValueError("target_label: expected at least one digit")
    z = encode(model, x, source)
    m = targets.size
    out = decode(model, np.repeat(z, m, axis=0), np.tile(targets, n))
    return out.reshape((n, m) + out.shape[1:])
