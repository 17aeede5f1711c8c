"""vaelab.losses against NumPy references of both recipes."""

import numpy as np
import pytest
from keras import ops

from vaelab import kl_divergence
from vaelab.losses import (
    bce_reconstruction,
    check_recipe,
    kl_term,
    perceptual_reconstruction,
    reduce_per_image,
)

EPS = 1e-7  # Keras clips probabilities to [eps, 1 - eps] before taking logs


def np_bce(x, p):
    p = np.clip(p.astype(np.float64), EPS, 1 - EPS)
    return -(x * np.log(p) + (1 - x) * np.log(1 - p))


def np_kl(m, lv):
    return -0.5 * np.sum(1 + lv - m ** 2 - np.exp(lv), axis=-1)


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(42)
    return {"x": rng.random((6, 28, 28, 1)).astype(np.float32),
            "p": rng.uniform(0.0, 1.0, (6, 28, 28, 1)).astype(np.float32),
            "m": rng.normal(size=(6, 5)).astype(np.float32),
            "lv": rng.normal(scale=0.5, size=(6, 5)).astype(np.float32)}


def test_kl_divergence_matches_numpy(batch):
    out = ops.convert_to_numpy(kl_divergence(batch["m"], batch["lv"]))
    assert out.shape == (6,)
    np.testing.assert_allclose(out, np_kl(batch["m"], batch["lv"]), rtol=1e-5)


def test_kl_divergence_is_the_gaussian_kl():
    # KL(N(mu, s^2) || N(0, 1)) = log(1 / s) + (s^2 + mu^2) / 2 - 1/2, summed over dimensions.
    mu, s = np.array([[0.5, -1.0]]), np.array([[2.0, 0.5]])
    expected = np.sum(np.log(1 / s) + (s ** 2 + mu ** 2) / 2 - 0.5)
    got = ops.convert_to_numpy(kl_divergence(mu, np.log(s ** 2)))
    np.testing.assert_allclose(got, [expected], rtol=1e-12)
    assert float(ops.convert_to_numpy(kl_divergence(np.zeros((1, 3)), np.zeros((1, 3))))[0]) == 0


def test_kl_term_recipes(batch):
    m, lv = batch["m"], batch["lv"]
    np.testing.assert_allclose(ops.convert_to_numpy(kl_term(m, lv, "elbo")), np_kl(m, lv),
                               rtol=1e-5)
    book = -5e-4 * np.mean(1 + lv - m ** 2 - np.exp(lv), axis=-1)
    np.testing.assert_allclose(ops.convert_to_numpy(kl_term(m, lv, "book")), book, rtol=1e-5)


def test_bce_reconstruction_recipes(batch):
    per_pixel = np_bce(batch["x"], batch["p"]).reshape(6, -1)
    elbo = ops.convert_to_numpy(bce_reconstruction(batch["x"], batch["p"], "elbo"))
    book = ops.convert_to_numpy(bce_reconstruction(batch["x"], batch["p"], "book"))
    np.testing.assert_allclose(elbo, per_pixel.sum(axis=1), rtol=1e-5)
    np.testing.assert_allclose(book, per_pixel.mean(axis=1), rtol=1e-5)


def test_bce_clips_certain_wrong_pixels():
    x = np.ones((1, 28, 28, 1), np.float32)
    out = ops.convert_to_numpy(bce_reconstruction(x, np.zeros_like(x), "book"))
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, [-np.log(EPS)], rtol=1e-3)


def test_bce_of_a_nan_reconstruction_is_nan():
    """A diverged model's loss is NaN, for StopOnNaN to catch, on every backend (torch's own
    cross-entropy kernel raised a RuntimeError instead)."""
    x = np.ones((2, 4, 4, 1), np.float32)
    out = ops.convert_to_numpy(bce_reconstruction(x, np.full_like(x, np.nan), "elbo"))
    assert np.isnan(out).all()


def test_perceptual_reconstruction(batch):
    rng = np.random.default_rng(1)
    fx = [rng.normal(size=(6, 26, 26, 32)).astype(np.float32),
          rng.normal(size=(6, 11, 11, 64)).astype(np.float32)]
    fd = [f + rng.normal(scale=0.1, size=f.shape).astype(np.float32) for f in fx]
    weights = [0.5, 2.0]
    for recipe, reduce in (("elbo", np.sum), ("book", np.mean)):
        expected = sum(w * reduce(((a - b) ** 2).reshape(6, -1), axis=1)
                       for w, a, b in zip(weights, fx, fd))
        got = ops.convert_to_numpy(perceptual_reconstruction(fx, fd, weights, recipe))
        np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_reduce_per_image_keeps_the_batch_axis():
    values = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_allclose(ops.convert_to_numpy(reduce_per_image(values, "elbo")), [66, 210])
    np.testing.assert_allclose(ops.convert_to_numpy(reduce_per_image(values, "book")), [5.5, 17.5])


def test_check_recipe():
    assert check_recipe("book") == "book"
    with pytest.raises(ValueError, match=r"recipe: expected one of \('elbo', 'book'\), got 'kl'"):
        check_recipe("kl")
