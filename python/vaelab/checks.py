"""Input validation shared by every public entry point.

Each function takes what a user passed, returns a clean NumPy array, and raises a
``ValueError`` that says what was wrong and what was expected.
"""

from __future__ import annotations

import numpy as np

IMAGE_SHAPE = (28, 28, 1)
# Grey or RGB: what the models, the plots and the blur measure handle.
CHANNELS = (1, 3)


def as_images(x, name: str = "images", shape=IMAGE_SHAPE, model_name: str | None = None
              ) -> np.ndarray:
    """Return `x` as float32 images of shape (n, height, width, channels) in [0, 1].

    `shape` is the (height, width, channels) expected, by default MNIST's (28, 28, 1);
    ``None`` accepts any size with 1 or 3 channels. Grey images may leave out the channel
    axis, and a single image becomes a batch of one. `model_name` names the model whose
    input `shape` is, in the error.
    """
    arr = _numeric_pixels(x, name)
    arr = _as_batch(arr, shape)
    if arr is None:
        raise ValueError(f"{name}: expected shape {_shape_text(shape)}"
                         + (f" for model {model_name!r}" if model_name else "")
                         + f", got {np.shape(x)}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name}: expected at least one image, got an empty batch")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        bad = np.unique(np.nonzero(~np.isfinite(arr))[0])
        raise ValueError(
            f"{name}: {bad.size} image(s) contain NaN or infinite pixels "
            f"(first at index {int(bad[0])}); expected finite values in [0, 1]"
        )
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(
            f"{name}: expected pixel values in [0, 1], got range [{lo:g}, {hi:g}]"
            + range_hint(lo, hi)
        )
    return arr


def _numeric_pixels(x, name):
    """`x` as an array of floating-point pixels, or an error that says how to get there."""
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as err:  # ragged nested lists
        raise ValueError(f"{name}: expected a numeric array of images ({err})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating)
                                   or np.issubdtype(arr.dtype, np.integer)
                                   or arr.dtype == bool):
        raise ValueError(f"{name}: expected a numeric array, got dtype {arr.dtype}")
    if arr.dtype == bool:
        raise ValueError(
            f"{name}: expected floating-point pixels in [0, 1], got booleans (dtype bool); "
            "convert them with x.astype('float32')"
        )
    if np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"{name}: expected floating-point pixels in [0, 1], got integer dtype {arr.dtype}"
            + ("; divide by 255 first (load_mnist() already does)" if arr.size and arr.max() > 1
               else "; convert them with x.astype('float32')")
        )
    return arr


def _as_batch(arr, shape):
    """`arr` as a batch (n, h, w, c) of images of `shape` (None: any, with 1 or 3
    channels), or None when it is no such thing."""
    if shape is None:
        if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] in CHANNELS):
            arr = arr[np.newaxis]
        if arr.ndim == 3:
            arr = arr[..., np.newaxis]
        ok = arr.ndim == 4 and arr.shape[-1] in CHANNELS and min(arr.shape[1:3]) > 0
        return arr if ok else None
    shape = tuple(shape)
    grey = shape[-1] == 1
    if arr.shape == shape or (grey and arr.shape == shape[:2]):
        return arr.reshape((1,) + shape)
    if grey and arr.ndim == 3 and arr.shape[1:] == shape[:2]:
        return arr[..., np.newaxis]
    return arr if arr.ndim == 4 and arr.shape[1:] == shape else None


def _shape_text(shape):
    if shape is None:
        return "(n, height, width, channels) with 1 or 3 channels, or (n, height, width)"
    h, w, c = shape
    return f"(n, {h}, {w}, {c})" + (f" or (n, {h}, {w})" if c == 1 else "")


def range_hint(lo: float, hi: float) -> str:
    """What probably went wrong with pixels in [lo, hi], outside [0, 1]: gray levels 0..255
    (a maximum of 2 or more), or values just off the edges; else nothing is guessed."""
    if 0.0 <= lo and 2.0 <= hi <= 255.0:
        return "; they look like gray levels 0..255: divide by 255 first"
    if -0.01 <= lo and hi <= 1.01:
        return "; they overshoot [0, 1] a little: clip them, e.g. np.clip(x, 0, 1)"
    return ""


def as_latents(z, latent_dim: int, name: str = "z") -> np.ndarray:
    """Return `z` as a float32 (n, latent_dim) array; a single vector becomes a batch of one."""
    arr = np.asarray(z, dtype=np.float32) if _is_numeric(z) else None
    if arr is None:
        raise ValueError(f"{name}: expected a numeric array of latent vectors")
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2 or arr.shape[1] != latent_dim:
        raise ValueError(
            f"{name}: expected shape (n, {latent_dim}) for this model's latent space, "
            f"got {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: latent vectors contain NaN or infinite values")
    return np.ascontiguousarray(arr)


def as_labels(y, n: int | None = None, name: str = "labels") -> np.ndarray:
    """Return digit labels as a 1-d int64 array with values 0..9 (and length `n` if given)."""
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-d array of digit labels, got shape {arr.shape}")
    if not _is_numeric(arr) or (np.issubdtype(arr.dtype, np.floating)
                                and not np.all(arr == np.round(arr))):
        raise ValueError(f"{name}: expected whole-number digit labels 0..9")
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() > 9):
        raise ValueError(
            f"{name}: expected digit labels 0..9, got range [{arr.min()}, {arr.max()}]"
        )
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name}: expected {n} labels (one per image), got {arr.shape[0]}")
    return arr


def as_labelled(data, name: str = "validation_data", shape=IMAGE_SHAPE
                ) -> tuple[np.ndarray, np.ndarray]:
    """Return a pair ``(images, labels)`` checked as :func:`as_images` (of `shape`) and
    :func:`as_labels`."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(f"{name}: expected a pair (images, labels), got {type(data).__name__}"
                         + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else ""))
    images = as_images(data[0], f"{name} images", shape=shape)
    return images, as_labels(data[1], n=images.shape[0], name=f"{name} labels")


def as_values(v, name: str, n: int | None = None) -> np.ndarray:
    """Return a finite 1-d float64 array (of length `n` if given)."""
    if not _is_numeric(v):
        raise ValueError(f"{name}: expected numbers")
    arr = np.asarray(v, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-d array, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name}: expected {n} values, got {arr.shape[0]}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinite values")
    return arr


def positive_int(value, name: str, minimum: int = 1) -> int:
    """Return `value` as an int >= `minimum`, accepting whole floats (R's numerics)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    if float(value) != int(value) or int(value) < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def as_edits(edits, name: str = "edits", shape=IMAGE_SHAPE) -> np.ndarray:
    """Return rows of edited images (style transfer, attribute edits) as (n, m, h, w, c).

    `shape` is the (h, w, c) of each image, as in :func:`as_images` (None: any).
    """
    arr = np.asarray(edits)
    grey = arr.shape[-1] not in CHANNELS if shape is None else shape[-1] == 1
    if arr.ndim == 4 and grey:
        arr = arr[..., np.newaxis]
    if arr.ndim != 5 or arr.shape[-1] not in CHANNELS or (
            shape is not None and arr.shape[2:] != tuple(shape)):
        expected = ("(n, m, height, width[, channels])" if shape is None else
                    f"(n, m, {shape[0]}, {shape[1]}" + ("[, 1])" if shape[-1] == 1 else
                                                         f", {shape[2]})"))
        raise ValueError(f"{name}: expected shape {expected}, got {np.shape(edits)}")
    return np.stack([as_images(row, f"{name}[{i}]", shape=arr.shape[2:])
                     for i, row in enumerate(arr)])


def as_dims(dims, latent_dim: int, first: int = 0) -> tuple[int, int]:
    """Return two different latent dimensions as 0-based indices.

    `dims` count from `first`: 0 in Python, 1 in R, whose users then read their own numbers
    in the message.
    """
    values = np.ravel(np.asarray(dims)) if _is_numeric(dims) else np.array([])
    last = first + latent_dim - 1
    if (values.size != 2 or not np.all(values == np.round(values)) or values[0] == values[1]
            or not np.all((first <= values) & (values <= last))):
        shown = ", ".join(f"{v:g}" for v in values) if values.size else repr(dims)
        raise ValueError(f"dims: expected two different latent dimensions in {first}..{last}, "
                         f"got {shown}")
    return int(values[0]) - first, int(values[1]) - first


def as_named_values(values: dict, name: str, n: int | None = None) -> dict:
    """Return a non-empty dict of named finite 1-d arrays (each of length `n` if given)."""
    if not isinstance(values, dict) or not values:
        raise ValueError(f"{name}: expected named sets of values, e.g. {{'original': v}}")
    return {key: as_values(v, f"{name}[{key!r}]", n=n) for key, v in values.items()}


def as_flag(value, name: str) -> bool:
    """Return `value` as a bool; only True and False (NumPy's included) are flags."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name}: expected True or False, got {value!r}")
    return bool(value)


def as_model(model, name: str = "model",
             made_by: str = "build_vae(), load_pretrained(), load_model(), ..."):
    """Return `model` if it is a Keras model, else say which functions (`made_by`) make one."""
    import keras  # here, not at the top: vaelab.output must choose the backend first

    if not isinstance(model, keras.Model):
        raise ValueError(f"{name}: expected a Keras model ({made_by}), got "
                         f"{type(model).__name__}")
    return model


def as_models(models, name: str = "models") -> dict:
    """Return a non-empty dict of named Keras models, e.g. ``{"VAE-GAN": gan}``."""
    if not isinstance(models, dict) or not models or not all(
            isinstance(key, str) and key for key in models):
        got = (type(models).__name__ if not isinstance(models, dict) else
               "no models" if not models else f"the names {list(models)}")
        raise ValueError(f"{name}: expected named models, e.g. {{'VAE-GAN': gan}}, got {got}")
    return {key: as_model(model, f"{name}[{key!r}]") for key, model in models.items()}


def as_pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Return paired values `a` and `b` as finite float64 arrays of one length, at least 2."""
    a = as_values(a, "a")
    b = as_values(b, "b", n=a.size)
    if a.size < 2:
        raise ValueError("a, b: expected at least 2 paired values")
    return a, b


def nonzero_differences(a, b) -> np.ndarray:
    """``a - b`` of a checked pair, refused when every difference is 0: the Wilcoxon
    signed-rank test is then undefined (R's p-value is NA, SciPy's 1)."""
    a, b = as_pair(a, b)
    d = a - b
    if not np.any(d):
        raise ValueError("a - b: all paired differences are 0, so the Wilcoxon signed-rank "
                         "test is undefined")
    return d


def as_conf_level(level) -> float:
    """Return a confidence level strictly between 0 and 1 as a float."""
    if not _is_number(level) or not 0.0 < float(level) < 1.0:
        raise ValueError(f"conf_level: expected a number strictly between 0 and 1, got {level!r}")
    return float(level)


def as_groups(groups: dict, n: int) -> dict:
    """Return named boolean masks over `n` images, each selecting at least 2 (paired tests).

    `groups` maps a non-empty name to one True or False per image.
    """
    if not isinstance(groups, dict) or not groups or not all(
            isinstance(name, str) and name for name in groups):
        raise ValueError(f"groups: expected named boolean masks, each of length {n} (one per "
                         "image)")
    masks = {}
    for name, mask in groups.items():
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != (n,):
            raise ValueError(f"groups[{name!r}]: expected a boolean mask of length {n} (one per "
                             f"image), got dtype {mask.dtype} and shape {mask.shape}")
        if mask.sum() < 2:
            raise ValueError(f"groups[{name!r}]: selects {int(mask.sum())} image(s); expected at "
                             "least 2 for paired tests")
        masks[name] = mask
    return masks


def _is_number(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def _is_numeric(x) -> bool:
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):
        return False
    return arr.dtype != object and (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool)
