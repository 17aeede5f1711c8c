"""Using a trained VAE: encode, decode, reconstruct, generate, interpolate, latent grids.

Every function here serves plain and conditional models alike: a conditional model (its
encoder and decoder also take the digit's one-hot label) needs `labels`, one digit 0..9 per
image, and a plain one refuses them.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from .checks import as_dims, as_images, as_labels, as_latents, positive_int
from .models import image_shape_of, latent_dim_of, submodel

PREDICT_CHUNK = 1000
N_CLASSES = 10
# generate()'s number of images, which a conditional model's labels may override.
GENERATED = 16


def one_hot(labels, n: int | None = None, name: str = "labels") -> np.ndarray:
    """Digit labels 0..9 as float32 one-hot rows, shape (n, 10).

    Example:
        >>> one_hot([0, 3]).argmax(axis=1)
        array([0, 3])
    """
    y = as_labels(labels, n=n, name=name)
    return np.eye(N_CLASSES, dtype=np.float32)[y]


def is_conditional(model) -> bool:
    """Whether `model` (or its encoder/decoder) takes a label as a second input.

    Example:
        >>> is_conditional(build_cvae(latent_dim=2)), is_conditional(build_vae(latent_dim=2))
        (True, False)
    """
    part = model if model.name in ("encoder", "decoder") else submodel(model, "decoder")
    return len(part.inputs) == 2


def encode(model, images, labels=None, batch_size: int = PREDICT_CHUNK) -> np.ndarray:
    """The latent means (no sampling) of `images`, shape (n, latent_dim).

    `model` is a vaelab VAE or its encoder; a conditional one encodes each image with its
    digit `labels`.

    Example:
        >>> z = encode(load_pretrained("vae"), x_test[:10])  # doctest: +SKIP
        >>> z = encode(load_pretrained("cvaegan"), x_test[:10], y_test[:10])  # doctest: +SKIP
    """
    z_mean, _ = encode_distribution(model, images, labels, batch_size)
    return z_mean


def encode_distribution(model, images, labels=None, batch_size: int = PREDICT_CHUNK):
    """Both encoder outputs ``(z_mean, z_log_var)`` for `images` (and their `labels`, as in
    :func:`encode`)."""
    encoder = submodel(model, "encoder")
    x = model_images(model, images)
    return tuple(predict_in_chunks(encoder, with_labels(model, x, labels), batch_size))


def model_images(model, images, name: str = "images") -> np.ndarray:
    """`images` checked against the image shape `model` takes (:func:`vaelab.as_images`)."""
    return as_images(images, name, shape=image_shape_of(model), model_name=model.name)


def decode(model, z, labels=None, batch_size: int = PREDICT_CHUNK) -> np.ndarray:
    """Images (n, height, width, channels) decoded from latent vectors `z` (n, latent_dim).

    A conditional model draws row i of `z` as the digit ``labels[i]``.

    Example:
        >>> decode(vae, np.zeros((1, 5))).shape  # doctest: +SKIP
        (1, 28, 28, 1)
        >>> decode(build_cvae(latent_dim=2), np.zeros((3, 2)), [0, 1, 2]).shape
        (3, 28, 28, 1)
    """
    decoder = submodel(model, "decoder")
    z = as_latents(z, latent_dim_of(decoder))
    return predict_in_chunks(decoder, with_labels(model, z, labels), batch_size)


def reconstruct(model, images, labels=None, batch_size: int = PREDICT_CHUNK) -> np.ndarray:
    """``decode(encode(images))``: the reconstruction from the latent means, as in the article.

    A conditional model is given `labels` by both encoder and decoder.

    Example:
        >>> reconstruct(cvae, x_test[:5], y_test[:5]).shape  # doctest: +SKIP
        (5, 28, 28, 1)
    """
    return decode(model, encode(model, images, labels, batch_size), labels, batch_size)


def generate(model, n: int = GENERATED, labels=None, seed: int | None = None) -> np.ndarray:
    """New images decoded from latent vectors drawn from the prior N(0, I).

    A plain model draws `n` images. A conditional model draws one image per entry of
    `labels` (`n` left at its default or equal to their number), or `n` images of one
    digit when `labels` is a single digit.

    Example:
        >>> generate(vae, 4, seed=1).shape  # doctest: +SKIP
        (4, 28, 28, 1)
        >>> generate(cvae, labels=[3, 3, 7], seed=1).shape  # doctest: +SKIP
        (3, 28, 28, 1)
    """
    n = positive_int(n, "n")
    if labels is not None and is_conditional(model):
        labels = _labels_to_draw(labels, n)
        n = labels.size
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, latent_dim_of(submodel(model, "decoder")))).astype(np.float32)
    return decode(model, z, labels)


def _labels_to_draw(labels, n):
    """The digit of each image :func:`generate` draws: `labels`, or one digit `n` times."""
    y = as_labels(np.atleast_1d(np.asarray(labels)))
    if y.size == 1:
        return np.repeat(y, n)
    if y.size == 0:
        raise ValueError("labels: expected at least one digit label")
    if n not in (y.size, GENERATED):
        raise ValueError(f"n: expected {y.size}, one image per label, or a single digit in "
                         f"labels to draw {n} of it; got n = {n} and {y.size} labels")
    return y


def with_labels(model, inputs, labels):
    """`inputs` for `model`: joined by the one-hot `labels` when it is conditional.

    A conditional model without labels, and a plain one given labels, is an error that
    names the argument.
    """
    if is_conditional(model):
        if labels is None:
            raise ValueError(f"labels: model {model.name!r} is conditional; pass the digit "
                             "labels (0..9), one per image")
        return [inputs, one_hot(labels, n=inputs.shape[0])]
    if labels is not None:
        raise ValueError(f"labels: model {model.name!r} is not conditional; leave labels out")
    return inputs


def interpolate(model, image_from, image_to, steps: int = 10) -> np.ndarray:
    """``steps + 1`` images decoded along the straight line between two images' latent means.

    Example:
        >>> interpolate(vae, x_test[5531], x_test[2553], steps=10).shape  # doctest: +SKIP
        (11, 28, 28, 1)
    """
    steps = positive_int(steps, "steps")
    ends = np.concatenate([_one_image(model, image_from, "image_from"),
                           _one_image(model, image_to, "image_to")])
    z_from, z_to = encode(model, ends)
    t = np.linspace(0.0, 1.0, steps + 1, dtype=np.float32)[:, np.newaxis]
    return decode(model, (1.0 - t) * z_from + t * z_to)


def grid_values(n: int = 15, quantiles=(0.05, 0.95)) -> np.ndarray:
    """`n` latent coordinates spaced by normal quantiles, like the book's ``qnorm(seq(...))``."""
    n = positive_int(n, "n", minimum=2)
    lo, hi = (float(q) for q in quantiles)
    if not 0.0 < lo < hi < 1.0:
        raise ValueError(f"quantiles: expected 0 < low < high < 1, got {quantiles}")
    return norm.ppf(np.linspace(lo, hi, n)).astype(np.float32)


def latent_grid(model, n: int = 15, dims=(0, 1), quantiles=(0.05, 0.95)) -> np.ndarray:
    """Decode an n x n grid over two latent dimensions (the others fixed at 0).

    Returns an array (n, n, height, width, channels) where cell ``[i, j]`` decodes the
    latent vector with ``z[dims[0]] = values[i]`` and ``z[dims[1]] = values[j]``, `values` being
    :func:`grid_values`. :func:`tile_grid` turns it into one image.

    Example:
        >>> latent_grid(load_pretrained("vae_2d"), n=15).shape  # doctest: +SKIP
        (15, 15, 28, 28, 1)
    """
    latent_dim = latent_dim_of(submodel(model, "decoder"))
    dims = as_dims(dims, latent_dim)
    values = grid_values(n, quantiles)
    n = values.size
    z = np.zeros((n, n, latent_dim), dtype=np.float32)
    z[:, :, dims[0]] = values[:, np.newaxis]
    z[:, :, dims[1]] = values[np.newaxis, :]
    images = decode(model, z.reshape(n * n, latent_dim))
    return images.reshape((n, n) + images.shape[1:])


def tile_grid(grid) -> np.ndarray:
    """Tile an (rows, cols, h, w[, channels]) array of images into one image: grey
    (rows*h, cols*w), or colour (rows*h, cols*w, 3).

    Example:
        >>> tile_grid(np.zeros((2, 3, 64, 64, 3))).shape
        (128, 192, 3)
    """
    grid = np.asarray(grid)
    if grid.ndim == 4:
        grid = grid[..., np.newaxis]
    if grid.ndim != 5 or grid.shape[-1] not in (1, 3):
        raise ValueError(f"grid: expected shape (rows, cols, h, w[, 1]) or (rows, cols, h, w, "
                         f"3), got {grid.shape}")
    rows, cols, h, w, c = grid.shape
    tiled = grid.transpose(0, 2, 1, 3, 4).reshape(rows * h, cols * w, c)
    return tiled[..., 0] if c == 1 else tiled


def _one_image(model, image, name):
    arr = model_images(model, image, name)
    if arr.shape[0] != 1:
        raise ValueError(f"{name}: expected a single image, got a batch of {arr.shape[0]}")
    return arr


def predict_in_chunks(model, x, batch_size: int = PREDICT_CHUNK):
    """Run `model` over `x` (an array, or a list of arrays for a model of several inputs) in
    equal chunks with its compiled predict function (no tf.data).

    The last chunk is padded to the common size: every new input shape would make
    TensorFlow trace the predict function again.
    """
    inputs = list(x) if isinstance(x, (list, tuple)) else [x]
    n = len(inputs[0])
    size = min(positive_int(batch_size, "batch_size"), n)
    pad = -n % size
    if pad:
        inputs = [np.concatenate([a, np.zeros((pad,) + a.shape[1:], dtype=a.dtype)])
                  for a in inputs]
    chunks = [model.predict_on_batch([a[i:i + size] for a in inputs] if len(inputs) > 1
                                     else inputs[0][i:i + size])
              for i in range(0, n + pad, size)]
    if isinstance(chunks[0], (list, tuple)):
        outputs = [np.concatenate([np.asarray(c[k]) for c in chunks])[:n]
                   for k in range(len(chunks[0]))]
    else:
        outputs = np.concatenate([np.asarray(c) for c in chunks])[:n]
    return finite_outputs(model, outputs)


def finite_outputs(model, outputs):
    """`outputs` of `model`, or an error that blames the model (not its inputs, which are
    checked finite) when they hold NaN or infinity, as after a diverged training."""
    arrays = outputs if isinstance(outputs, list) else [outputs]
    bad = np.zeros(len(arrays[0]), dtype=bool)
    for a in arrays:
        bad |= ~np.isfinite(a.reshape(len(a), -1)).all(axis=1)
    if bad.any():
        weights = model.get_weights()
        broken = sum(not np.isfinite(w).all() for w in weights)
        raise ValueError(
            f"model {model.name!r} returned NaN or infinite values for {int(bad.sum())} "
            f"input(s) although the inputs are finite; {broken} of its {len(weights)} weight "
            "arrays hold NaN or infinity. Was it trained until the loss diverged? Rebuild or "
            "reload it."
        )
    return outputs
