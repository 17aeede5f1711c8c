"""Attribute vectors: directions in latent space that add a property to a digit.

As in facenet's VAE on CelebA, the vector of an attribute is the mean latent vector of the
images that have it minus the mean of those that do not; adding a multiple of it to an
image's latent vector and decoding adds the attribute. MNIST has no attribute labels
besides the digit, so vaelab measures two on the image itself: stroke thickness
(:func:`ink_mass`) and slant (:func:`slant`, from second moments).
"""

from __future__ import annotations

import numpy as np

from .checks import as_images, as_values
from .inference import decode, encode

_ROWS = np.arange(28, dtype=np.float64)


def ink_mass(images) -> np.ndarray:
    """Total ink of each image (sum of pixel intensities): a measure of stroke thickness.

    Example:
        >>> ink_mass(np.ones((2, 28, 28), np.float32))
        array([784., 784.])
    """
    x = as_images(images)[..., 0].astype(np.float64)
    return x.sum(axis=(1, 2))


def slant(images) -> np.ndarray:
    """Slant of each digit from its second moments: columns moved right per row moved up.

    With pixel intensities as weights, slant = -cov(row, column) / var(row); rows count
    downwards, so a digit leaning right (top to the right) has a positive slant, an upright
    one about 0. Deskewing MNIST uses the same moments.

    Example:
        >>> img = np.zeros((28, 28), np.float32)
        >>> for r in range(4, 24):
        ...     img[r, 20 - r // 2] = 1.0
        >>> round(float(slant(img)[0]), 2)
        0.5
    """
    x = as_images(images)[..., 0].astype(np.float64)
    mass = x.sum(axis=(1, 2))
    blank = np.flatnonzero(mass <= 0)
    if blank.size:
        raise ValueError(f"images: {blank.size} image(s) have no ink (first at index "
                         f"{int(blank[0])}); slant needs at least one non-zero pixel")
    rows = np.einsum("nrc,r->n", x, _ROWS) / mass
    cols = np.einsum("nrc,c->n", x, _ROWS) / mass
    dr = _ROWS[None, :] - rows[:, None]
    dc = _ROWS[None, :] - cols[:, None]
    var_rows = np.einsum("nrc,nr->n", x, dr ** 2) / mass
    cov = np.einsum("nrc,nr,nc->n", x, dr, dc) / mass
    return -cov / np.maximum(var_rows, 1e-12)


def attribute_vector(model, images, has_attribute, labels=None) -> np.ndarray:
    """Latent direction of an attribute: mean latent vector with it minus mean without it.

    `has_attribute` is one True or False per image (e.g. ``ink_mass(x) > median``, or
    ``y == 7`` for a plain VAE); `labels` are the digits, needed to encode with a
    conditional model and refused by a plain one. Returns a float32 vector of length latent_dim.

    Example:
        >>> thick = ink_mass(x) > np.median(ink_mass(x))  # doctest: +SKIP
        >>> bold = attribute_vector(cvaegan, x, thick, labels=y)  # doctest: +SKIP
    """
    z = encode(model, images, labels)
    mask = np.asarray(has_attribute)
    if mask.dtype != bool:
        if not (np.issubdtype(mask.dtype, np.number) and np.isin(mask, (0, 1)).all()):
            raise ValueError("has_attribute: expected True or False (or 1 or 0) per image")
        mask = mask.astype(bool)
    if mask.shape != (z.shape[0],):
        raise ValueError(f"has_attribute: expected {z.shape[0]} values (one per image), "
                         f"got shape {mask.shape}")
    if mask.all() or not mask.any():
        raise ValueError(f"has_attribute: expected images both with and without the attribute, "
                         f"got {int(mask.sum())} with and {int((~mask).sum())} without")
    return (z[mask].mean(axis=0) - z[~mask].mean(axis=0)).astype(np.float32)


def apply_attribute(model, images, vector, strengths, labels=None) -> np.ndarray:
    """Decode each image's latent vector plus ``strength * vector`` for every strength.

    Returns an array (n_images, n_strengths, height, width, channels); strength 0 is the plain
    reconstruction, negative strengths remove the attribute. `labels` as in
    :func:`attribute_vector` (a conditional model keeps each image's digit).

    Example:
        >>> rows = apply_attribute(cvaegan, x[:3], bold, [0, 1, 2, 3], y[:3])  # doctest: +SKIP
        >>> rows.shape  # doctest: +SKIP
        (3, 4, 28, 28, 1)
    """
    z = encode(model, images, labels)
    n, latent_dim = z.shape
    v = as_values(np.ravel(vector), "vector", n=latent_dim)
    s = as_values(np.atleast_1d(strengths), "strengths")
    if s.size == 0:
        raise ValueError("strengths: expected at least one strength")
    edited = (z[:, None, :] + s[None, :, None] * v[None, None, :]).reshape(-1, latent_dim)
    repeated = None if labels is None else np.repeat(np.asarray(labels), s.size)
    images = decode(model, edited.astype(np.float32), repeated)
    return images.reshape((n, s.size) + images.shape[1:])
