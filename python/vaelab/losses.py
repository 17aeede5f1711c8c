"""The VAE loss terms, per image, in backend-neutral ``keras.ops``.

Two recipes are offered so students can compare them:

* ``"elbo"`` (Krasser's article): reconstruction summed over pixels (or features) plus the
  full KL divergence, i.e. the negative evidence lower bound per image.
* ``"book"`` ("Deep Learning with R", 8.4): reconstruction averaged over pixels plus
  ``-5e-4 * mean(1 + log_var - mean^2 - exp(log_var))``, a much weaker KL weight.

The pixel reconstruction term comes from one of two likelihoods: ``"bernoulli"`` (binary
cross-entropy, the article's, for grey images near black and white) and ``"gaussian"``
(half the squared error: the negative log-likelihood of a unit-variance Gaussian up to a
constant, the usual choice for colour photographs). The half is the reconstruction weight
0.5 of the DFC paper and of facenet's face VAE, with KL weight 1.
"""

import keras
from keras import ops

RECIPES = ("elbo", "book")
LIKELIHOODS = ("bernoulli", "gaussian")
BOOK_KL_WEIGHT = 5e-4


def check_recipe(recipe: str) -> str:
    """Return `recipe` if it is a known loss recipe, else raise a ValueError."""
    if recipe not in RECIPES:
        raise ValueError(f"recipe: expected one of {RECIPES}, got {recipe!r}")
    return recipe


def check_likelihood(likelihood: str) -> str:
    """Return `likelihood` if it is a known pixel likelihood, else raise a ValueError."""
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood: expected one of {LIKELIHOODS}, got {likelihood!r}")
    return likelihood


def kl_divergence(z_mean, z_log_var):
    """KL(q(z|x) || N(0, I)) per image: -0.5 * sum(1 + log_var - mean^2 - exp(log_var))."""
    return -0.5 * ops.sum(_kl_inner(z_mean, z_log_var), axis=-1)


def kl_term(z_mean, z_log_var, recipe: str):
    """The KL part of the loss per image under `recipe`."""
    if recipe == "elbo":
        return kl_divergence(z_mean, z_log_var)
    return -BOOK_KL_WEIGHT * ops.mean(_kl_inner(z_mean, z_log_var), axis=-1)


def _kl_inner(z_mean, z_log_var):
    # As tensors: on torch a NumPy array minus a tensor is a TypeError.
    z_mean, z_log_var = ops.convert_to_tensor(z_mean), ops.convert_to_tensor(z_log_var)
    return 1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var)


def reduce_per_image(values, recipe: str):
    """Sum (``elbo``) or average (``book``) a per-element loss over all but the batch axis."""
    flat = ops.reshape(values, (ops.shape(values)[0], -1))
    return ops.sum(flat, axis=-1) if recipe == "elbo" else ops.mean(flat, axis=-1)


def bce_reconstruction(x, x_decoded, recipe: str):
    """Pixel-wise binary cross-entropy between images and reconstructions, per image."""
    return reduce_per_image(_binary_crossentropy(x, x_decoded), recipe)


def _binary_crossentropy(x, x_decoded):
    # torch's kernel raises a RuntimeError on a NaN probability, where a diverging model
    # should reach vaelab's StopOnNaN: there, the formula Keras computes on JAX (and on
    # TensorFlow from probabilities), which lets NaN through.
    if keras.backend.backend() != "torch":
        return ops.binary_crossentropy(x, x_decoded)
    x = ops.convert_to_tensor(x)
    p = ops.clip(x_decoded, keras.config.epsilon(), 1.0 - keras.config.epsilon())
    return -(x * ops.log(p) + (1.0 - x) * ops.log(1.0 - p))


def gaussian_reconstruction(x, x_decoded, recipe: str):
    """Half the pixel-wise squared error between images and reconstructions, per image."""
    return 0.5 * reduce_per_image(ops.square(x - x_decoded), recipe)


def pixel_reconstruction(x, x_decoded, likelihood: str, recipe: str):
    """The reconstruction term per image under `likelihood` ("bernoulli" or "gaussian")."""
    if likelihood == "gaussian":
        return gaussian_reconstruction(x, x_decoded, recipe)
    return bce_reconstruction(x, x_decoded, recipe)


def perceptual_reconstruction(features_x, features_decoded, layer_weights, recipe: str):
    """Weighted squared distance between hidden-layer activations, per image (the DFC loss)."""
    total = 0.0
    for weight, fx, fd in zip(layer_weights, features_x, features_decoded):
        total = total + weight * reduce_per_image(ops.square(fx - fd), recipe)
    return total
