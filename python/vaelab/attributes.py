"""Attribute vectors: directions in latent space that add a property to an image.

As in facenet's VAE on CelebA, the vector of an attribute is the mean latent vector of the
images that have it minus the mean of those that do not; adding a multiple of it to an
image's latent vector and decoding adds the attribute. Faces come with named +1 / -1
attributes (:func:`attribute_vectors` takes them all at once); MNIST has no attribute
labels besides the digit, so vaelab measures two on the image itself: stroke thickness
(:func:`ink_mass`) and slant (:func:`slant`, from second moments).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
    return _difference_of_means(z, mask, "has_attribute")


def attribute_vectors(model, images, attributes) -> dict:
    """The vector of every attribute of a +1/-1 table: ``{attribute: vector}``.

    `attributes` has one row per image and one named column per attribute, +1 where the
    image has it and -1 where it does not (CelebA's coding; a DataFrame as
    :func:`vaelab.synthetic_faces` and :func:`vaelab.load_celeba` give it, or a dict of
    columns). Each vector is :func:`attribute_vector`'s, from one encoding of `images`.

    Example:
        >>> x, a = synthetic_faces(2000, seed=2)  # doctest: +SKIP
        >>> vectors = attribute_vectors(load_pretrained("faces_vae"), x, a)  # doctest: +SKIP
        >>> smile = vectors["Smiling"]  # doctest: +SKIP
    """
    z = encode(model, images)
    table = as_attribute_table(attributes, n=z.shape[0])
    return {name: _difference_of_means(z, table[name].to_numpy() > 0, f"attributes[{name!r}]")
            for name in table.columns}


def _difference_of_means(z, mask, name) -> np.ndarray:
    """Mean latent vector of the rows of `z` where `mask` holds minus that of the others."""
    if mask.all() or not mask.any():
        raise ValueError(f"{name}: expected images both with and without the attribute, "
                         f"got {int(mask.sum())} with and {int((~mask).sum())} without")
    return (z[mask].mean(axis=0) - z[~mask].mean(axis=0)).astype(np.float32)


def as_attribute_table(attributes, n: int | None = None, names=None,
                       name: str = "attributes") -> pd.DataFrame:
    """A table of +1/-1 attribute labels, checked: an int8 DataFrame, one named column each.

    `attributes` is a DataFrame (or a dict of columns) whose column names are the
    attributes or, when `names` are given, an array with one column per name in that order.
    With `names`, a DataFrame must have exactly those columns (in any order; they are put
    in that order). `n` is the number of rows expected (one per image).
    """
    if isinstance(attributes, dict):
        try:
            attributes = pd.DataFrame(attributes)
        except ValueError as err:  # columns of different lengths
            raise ValueError(f"{name}: expected columns of one length ({err})") from None
    if isinstance(attributes, pd.DataFrame):
        columns = [str(c) for c in attributes.columns]
        if names is not None:
            names = list(names)
            unknown = [c for c in columns if c not in names]
            missing = [c for c in names if c not in columns]
            if unknown or missing:
                raise ValueError(
                    f"{name}: expected the columns {names}; "
                    + "; ".join(part for part in (
                        f"unknown attribute(s) {unknown}" if unknown else "",
                        f"missing {missing}" if missing else "") if part))
            attributes, columns = attributes[names], names
        values = attributes.to_numpy()
    elif names is None:
        raise ValueError(f"{name}: expected a table with one named column per attribute (a "
                         f"DataFrame, or a dict of columns), got {type(attributes).__name__}")
    else:
        columns = list(names)
        values = np.asarray(attributes)
        if values.ndim == 1 and len(columns) == 1:
            values = values[:, np.newaxis]
        if values.ndim != 2 or values.shape[1] != len(columns):
            raise ValueError(f"{name}: expected shape (n, {len(columns)}), one column per "
                             f"attribute ({', '.join(columns)}), got {values.shape}")
    if not columns or values.shape[0] == 0:
        raise ValueError(f"{name}: expected at least one attribute and one image, got shape "
                         f"{values.shape}")
    if n is not None and values.shape[0] != n:
        raise ValueError(f"{name}: expected {n} rows (one per image), got {values.shape[0]}")
    return pd.DataFrame({c: _plus_minus_one(values[:, j], f"{name}[{c!r}]")
                         for j, c in enumerate(columns)})


def _plus_minus_one(column, name) -> np.ndarray:
    """A column of +1/-1 labels as int8, or an error showing the values it holds."""
    try:
        values = np.asarray(column, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected +1 or -1 per image (CelebA's coding), got "
                         f"non-numeric values") from None
    bad = ~np.isin(values, (-1.0, 1.0))
    if bad.any():
        seen = np.unique(values[~np.isnan(values)])
        shown = [f"{v:g}" for v in seen[:6]] + ["..."] * (seen.size > 6) \
            + ["NaN"] * bool(np.isnan(values).any())
        hint = ("; 0/1 labels become +1/-1 with 2 * x - 1"
                if seen.size and np.isin(seen, (0.0, 1.0)).all() else "")
        raise ValueError(f"{name}: expected +1 or -1 per image (CelebA's coding), got "
                         f"{', '.join(shown)}{hint}")
    return values.astype(np.int8)


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
