"""How far generated images are from real ones, in a network's feature space: FID and KID.

Both compare two *sets* of images through the activations of one layer of a trained
network. On MNIST that network is the shipped digit classifier (its penultimate layer, 64
features), since Inception-v3 features mean little for digits; the numbers are therefore
comparable between models scored with the same network, not with FIDs published for
natural images.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .checks import as_models, positive_int
from .inference import PREDICT_CHUNK, generate, is_conditional, model_images, predict_in_chunks
from .models import feature_extractor
from .pretrained import load_pretrained


def image_features(images, model=None, layer=None,
                   batch_size: int = PREDICT_CHUNK) -> np.ndarray:
    """Activations of `layer` of `model` for each image, flattened: an (n, d) float64 array.

    `model` defaults to the shipped classifier, `layer` (a name or an index into
    ``model.layers``) to the layer before the model's output.

    Example:
        >>> image_features(x_test[:100]).shape  # doctest: +SKIP
        (100, 64)
    """
    extractor = _extractor(model, layer)
    return _features_of(extractor, model_images(extractor, images), batch_size)


def _extractor(model, layer):
    """A model that outputs the chosen layer's activations."""
    if model is None:
        model = load_pretrained("classifier")
    return feature_extractor(model, len(model.layers) - 2 if layer is None else layer)


def _features_of(extractor, x, batch_size=PREDICT_CHUNK):
    activations = predict_in_chunks(extractor, x, batch_size)
    return activations.reshape(x.shape[0], -1).astype(np.float64)


def frechet_distance(real, generated, features=None, layer=None) -> float:
    """Fréchet distance between Gaussians fitted to the features of two sets (FID).

    ``|mu_r - mu_g|^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2))``. `real` and `generated` are
    images, whose features :func:`image_features` takes with `features` (a Keras model)
    and `layer`, or (n, d) arrays of features already taken. 0 for identical sets; it
    shrinks as more samples are used, so compare models on equal numbers of images.

    Example:
        >>> frechet_distance(x_test[:5000], generate(vae, 5000, seed=1))  # doctest: +SKIP
    """
    f_real, f_gen = _feature_pair(real, generated, features, layer, minimum=2)
    diff = f_real.mean(axis=0) - f_gen.mean(axis=0)
    # Units constant within both sets (dead ReLUs) add nothing to the covariance terms but
    # make the covariances singular, which SciPy's square root handles badly.
    varying = (f_real.std(axis=0) > 0) | (f_gen.std(axis=0) > 0)
    if not varying.any():
        return float(diff @ diff)
    width, fewest = int(varying.sum()), min(len(f_real), len(f_gen))
    cov_r = np.cov(f_real[:, varying], rowvar=False, ddof=1).reshape(width, width)
    cov_g = np.cov(f_gen[:, varying], rowvar=False, ddof=1).reshape(width, width)
    with warnings.catch_warnings():
        if fewest <= width:
            warnings.warn(f"frechet_distance: {fewest} images for {width} varying features "
                          "make the covariances singular and the distance unreliable; use "
                          "several times more images than features", stacklevel=2)
            warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)  # said above
        root = _sqrtm_product(cov_r, cov_g)
    return float(diff @ diff + np.trace(cov_r) + np.trace(cov_g) - 2.0 * np.trace(root))


@dataclass(frozen=True)
class KIDResult:
    """Kernel inception distance: the mean of the unbiased MMD² over random subsets.

    `std` is the spread of the subset estimates (the "±" KID is usually reported with);
    `standard_error` is ``std / sqrt(subsets)``, optimistic because subsets overlap.
    """

    kid: float
    std: float
    standard_error: float
    subsets: int
    subset_size: int


def kernel_inception_distance(real, generated, features=None, layer=None,
                              subsets: int = 100, subset_size: int = 1000,
                              seed: int | None = None) -> KIDResult:
    """KID: the unbiased squared MMD with the cubic kernel ``(x.y / d + 1)^3``.

    Averaged over `subsets` draws of `subset_size` images from each set (without
    replacement within a draw; fewer when a set is smaller). Unlike FID it has no bias
    from the number of samples, and it can be negative when the sets are alike. Inputs
    are as for :func:`frechet_distance`.

    Example:
        >>> fake = generate(vae, 10000, seed=1)  # doctest: +SKIP
        >>> kernel_inception_distance(x_test, fake, seed=1).kid  # doctest: +SKIP
    """
    subsets = positive_int(subsets, "subsets")
    subset_size = positive_int(subset_size, "subset_size", minimum=2)
    f_real, f_gen = _feature_pair(real, generated, features, layer, minimum=2)
    m = min(subset_size, len(f_real), len(f_gen))
    rng = np.random.default_rng(seed)
    estimates = np.array([
        _unbiased_mmd2(f_real[rng.choice(len(f_real), m, replace=False)],
                       f_gen[rng.choice(len(f_gen), m, replace=False)])
        for _ in range(subsets)
    ])
    std = float(estimates.std(ddof=1)) if subsets > 1 else 0.0
    return KIDResult(kid=float(estimates.mean()), std=std,
                     standard_error=std / np.sqrt(subsets), subsets=subsets, subset_size=m)


def generation_scores(models: dict, real, n: int = 10000, reference=None, seed: int = 0,
                      features=None, layer=None, **kid_options) -> dict:
    """FID and KID of `n` prior samples of each model against the images `real`.

    Conditional models draw equally many samples of each digit. With `reference` (other
    real images, e.g. training images against test images), the first row is their score:
    the floor a perfect generator would reach with as many images. `kid_options` go to
    :func:`kernel_inception_distance`. Returns ``{name: {"fid", "kid", "kid_std", "n"}}``.

    Example:
        >>> generation_scores({"plain VAE": vae}, x_test, reference=x_train)  # doctest: +SKIP
    """
    n = positive_int(n, "n")
    extractor = _extractor(features, layer)
    f_real = _features_of(extractor, model_images(extractor, real, "real"))
    candidates = {} if reference is None else {
        "real images (floor)": model_images(extractor, reference, "reference")[:n]}
    for name, model in as_models(models).items():
        labels = np.arange(n) % 10 if is_conditional(model) else None
        candidates[name] = generate(model, n, labels, seed=seed)
    scores = {}
    for name, images in candidates.items():
        f = _features_of(extractor, images)
        kid = kernel_inception_distance(f_real, f, seed=seed, **kid_options)
        scores[name] = {"fid": frechet_distance(f_real, f), "kid": kid.kid,
                        "kid_std": kid.std, "n": int(len(f))}
    return scores


def _feature_pair(real, generated, model, layer, minimum):
    """Both sets as (n, d) float64 features of the same width, each with >= `minimum` rows."""
    pair, extractor = [], None
    for name, value in (("real", real), ("generated", generated)):
        if np.ndim(value) == 2:
            f = _as_features(value, name)
        else:
            # One extractor for both sets: each new one is traced again before it runs.
            extractor = extractor or _extractor(model, layer)
            f = _features_of(extractor, model_images(extractor, value, name))
        if f.shape[0] < minimum:
            raise ValueError(f"{name}: expected at least {minimum} images or feature rows, "
                             f"got {f.shape[0]}")
        pair.append(f)
    if pair[0].shape[1] != pair[1].shape[1]:
        raise ValueError(f"real, generated: expected features of the same width, got "
                         f"{pair[0].shape[1]} and {pair[1].shape[1]}")
    return pair


def _as_features(value, name):
    """A 2-d array of finite numbers, one row per image."""
    try:
        f = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected images or an (n, d) array of features, "
                         f"got {type(value).__name__}") from None
    if not np.isfinite(f).all():
        raise ValueError(f"{name}: features contain NaN or infinite values")
    return f


def _sqrtm_product(cov_a, cov_b):
    """``(cov_a cov_b)^(1/2)`` by SciPy, guarded against its two failure modes.

    Nearly singular covariances (fewer samples than features, dead units) can give
    non-finite values: retried with a small ridge on both diagonals. Rounding gives
    complex results with tiny imaginary parts: dropped, unless they are not tiny.
    """
    root = scipy.linalg.sqrtm(cov_a @ cov_b)
    if not np.isfinite(root).all():
        ridge = np.eye(len(cov_a)) * 1e-6
        root = scipy.linalg.sqrtm((cov_a + ridge) @ (cov_b + ridge))
    if np.iscomplexobj(root):
        imaginary = np.abs(np.diagonal(root).imag).max()
        if imaginary > 1e-3 * max(1.0, np.abs(np.diagonal(root).real).max()):
            raise ValueError(f"the covariances' product has no real square root (imaginary "
                             f"part {imaginary:.3g}); use more images than features")
        root = root.real
    return root


def _unbiased_mmd2(x, y):
    """Unbiased MMD² between two equal-sized samples under the cubic polynomial kernel."""
    m, d = x.shape
    k_xx, k_yy, k_xy = (_cubic_kernel(a, b, d) for a, b in ((x, x), (y, y), (x, y)))
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return within - 2.0 * k_xy.mean()


def _cubic_kernel(a, b, d):
    """``(a.b / d + 1)^3`` for every pair of rows; cubed by products, which NumPy does far
    faster than a power."""
    k = a @ b.T / d + 1.0
    return k * k * k
