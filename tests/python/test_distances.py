"""FID and KID against straightforward NumPy references, on Gaussians whose answer is known."""

import warnings

import keras
import numpy as np
import pytest

import vaelab
from vaelab import distances


def gaussian_sample(mean, cov, n, seed):
    """n points whose sample mean and covariance (ddof=1) are exactly `mean` and `cov`."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, len(mean)))
    x -= x.mean(axis=0)
    whiten = np.linalg.inv(np.linalg.cholesky(np.cov(x, rowvar=False)))
    return x @ whiten.T @ np.linalg.cholesky(cov).T + mean


def reference_frechet(mu_a, cov_a, mu_b, cov_b):
    """The Fréchet distance by symmetric square roots: Tr((A^½ B A^½)^½) = Tr((AB)^½)."""
    def sym_sqrt(m):
        values, vectors = np.linalg.eigh(m)
        return vectors @ np.diag(np.sqrt(np.clip(values, 0, None))) @ vectors.T
    root_a = sym_sqrt(cov_a)
    cross = np.trace(sym_sqrt(root_a @ cov_b @ root_a))
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


def reference_mmd2(x, y):
    """Unbiased MMD² with the cubic kernel, pair by pair."""
    d = x.shape[1]
    k = lambda a, b: (a @ b / d + 1.0) ** 3  # noqa: E731
    m = len(x)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return (xx + yy) / (m * (m - 1)) - 2 * xy / m**2


def test_frechet_distance_is_exact_for_diagonal_gaussians():
    mu_a, mu_b = np.zeros(3), np.array([1.0, -2.0, 0.5])
    var_a, var_b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    a = gaussian_sample(mu_a, np.diag(var_a), 500, seed=1)
    b = gaussian_sample(mu_b, np.diag(var_b), 300, seed=2)
    exact = np.sum((mu_a - mu_b) ** 2) + np.sum(var_a + var_b - 2 * np.sqrt(var_a * var_b))
    assert vaelab.frechet_distance(a, b) == pytest.approx(exact, rel=1e-9)


def test_frechet_distance_matches_the_numpy_reference_for_correlated_gaussians():
    rng = np.random.default_rng(3)
    mats = [rng.standard_normal((6, 6)) for _ in range(2)]
    cov_a, cov_b = (m @ m.T + 0.1 * np.eye(6) for m in mats)
    mu_a, mu_b = rng.standard_normal(6), rng.standard_normal(6)
    a, b = gaussian_sample(mu_a, cov_a, 400, 4), gaussian_sample(mu_b, cov_b, 400, 5)
    assert vaelab.frechet_distance(a, b) == pytest.approx(
        reference_frechet(mu_a, cov_a, mu_b, cov_b), rel=1e-8)
    assert vaelab.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    assert vaelab.frechet_distance(a, b) == pytest.approx(vaelab.frechet_distance(b, a))


def test_dead_units_change_nothing_and_raise_no_warning():
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((200, 4)), rng.standard_normal((200, 4)) + 1.0
    dead = np.zeros((200, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        padded = vaelab.frechet_distance(np.hstack([a, dead]), np.hstack([b, dead]))
        # Constant in both sets but at different values: the means still differ.
        shifted = vaelab.frechet_distance(np.hstack([a, dead]), np.hstack([b, dead + 2.0]))
        constant = vaelab.frechet_distance(np.ones((3, 2)), np.zeros((4, 2)))
    assert padded == pytest.approx(vaelab.frechet_distance(a, b), rel=1e-12)
    assert shifted == pytest.approx(padded + 3 * 2.0**2, rel=1e-12)
    assert constant == 2.0


def test_fewer_images_than_features_warn_in_vaelab_words():
    rng = np.random.default_rng(9)
    with pytest.warns(UserWarning, match="10 images for 16 varying features") as caught:
        vaelab.frechet_distance(rng.standard_normal((10, 16)), rng.standard_normal((30, 16)))
    assert len(caught) == 1  # not SciPy's LinAlgWarning besides


def test_square_root_guards(monkeypatch):
    cov = np.eye(2)
    calls = []

    def nan_then_identity(m):
        calls.append(m.copy())
        return np.full_like(m, np.nan) if len(calls) == 1 else np.eye(2)

    monkeypatch.setattr(distances.scipy.linalg, "sqrtm", nan_then_identity)
    assert np.array_equal(distances._sqrtm_product(cov, cov), np.eye(2))
    assert np.allclose(calls[1], (1 + 1e-6) ** 2 * np.eye(2))  # retried with a ridge
    monkeypatch.setattr(distances.scipy.linalg, "sqrtm",
                        lambda m: np.eye(2) + 1e-12j * np.eye(2))
    assert not np.iscomplexobj(distances._sqrtm_product(cov, cov))
    monkeypatch.setattr(distances.scipy.linalg, "sqrtm", lambda m: np.eye(2) + 0.5j * np.eye(2))
    with pytest.raises(ValueError, match="no real square root"):
        distances._sqrtm_product(cov, cov)


def test_kid_matches_the_pairwise_reference():
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((12, 5)), rng.standard_normal((12, 5)) + 0.5
    # One subset of every row: a permutation, and MMD² does not depend on order.
    result = vaelab.kernel_inception_distance(x, y, subsets=1, subset_size=12, seed=1)
    assert result.kid == pytest.approx(reference_mmd2(x, y), rel=1e-10)
    assert (result.subsets, result.subset_size, result.std) == (1, 12, 0.0)


def test_kid_is_unbiased_near_zero_for_one_distribution_and_seeded():
    rng = np.random.default_rng(8)
    same = vaelab.kernel_inception_distance(rng.standard_normal((2000, 8)),
                                            rng.standard_normal((2000, 8)),
                                            subsets=20, subset_size=200, seed=1)
    apart = vaelab.kernel_inception_distance(rng.standard_normal((2000, 8)),
                                             rng.standard_normal((2000, 8)) + 1.0,
                                             subsets=20, subset_size=200, seed=1)
    assert abs(same.kid) < 3 * same.std / np.sqrt(same.subsets)
    assert apart.kid > 20 * apart.standard_error
    assert apart.standard_error == pytest.approx(apart.std / np.sqrt(20))
    again = vaelab.kernel_inception_distance(rng.standard_normal((50, 3)), np.ones((40, 3)),
                                             subsets=3, subset_size=1000, seed=5)
    assert again.subset_size == 40  # capped by the smaller set


def test_image_features_default_to_the_classifiers_penultimate_layer(mnist):
    (_, _), (x, _) = mnist
    classifier = vaelab.load_pretrained("classifier")
    f = vaelab.image_features(x[:20])
    penultimate = keras.Model(classifier.input, classifier.layers[-2].output)
    assert f.shape == (20, 64) and f.dtype == np.float64
    np.testing.assert_allclose(f, penultimate.predict(x[:20], verbose=0), rtol=1e-5, atol=1e-6)
    by_name = vaelab.image_features(x[:20], classifier, "conv3")
    assert by_name.shape == (20, 3 * 3 * 64)


def test_images_and_features_give_the_same_distance(mnist):
    (_, _), (x, _) = mnist
    real, fake = x[:200], vaelab.generate(vaelab.load_pretrained("vae"), 200, seed=1)
    from_images = vaelab.frechet_distance(real, fake)
    from_features = vaelab.frechet_distance(vaelab.image_features(real),
                                            vaelab.image_features(fake))
    assert from_images == pytest.approx(from_features, rel=1e-9)
    assert from_images > vaelab.frechet_distance(real, x[200:400])


@pytest.mark.parametrize("real, generated, message", [
    (np.zeros((5, 3)), np.zeros((5, 4)), "same width, got 3 and 4"),
    (np.zeros((1, 3)), np.zeros((5, 3)), "real: expected at least 2"),
    (np.zeros((5, 3)), np.full((5, 3), np.nan), "generated: features contain NaN"),
    (np.zeros((5, 3)), [["a", "b"]], "generated: expected images or an"),
    (np.zeros((2, 28, 28, 1)), np.full((2, 28, 28, 1), 2.0), r"generated: expected pixel"),
])
def test_bad_inputs_name_the_argument(real, generated, message):
    with pytest.raises(ValueError, match=message):
        vaelab.frechet_distance(real, generated)


def test_kid_argument_checks():
    with pytest.raises(ValueError, match="subsets"):
        vaelab.kernel_inception_distance(np.zeros((5, 2)), np.zeros((5, 2)), subsets=0)
    with pytest.raises(ValueError, match="subset_size"):
        vaelab.kernel_inception_distance(np.zeros((5, 2)), np.zeros((5, 2)), subset_size=1)


def test_generation_scores_put_real_images_below_every_model(mnist):
    (x_train, _), (x_test, _) = mnist
    models = {name: vaelab.load_pretrained(name) for name in ("vae", "cvaegan")
              if name in vaelab.available_pretrained()}
    scores = vaelab.generation_scores(models, x_test[:500], n=500, reference=x_train,
                                      subsets=5, subset_size=200)
    assert list(scores) == ["real images (floor)", *models]
    floor = scores.pop("real images (floor)")
    assert floor["n"] == 500
    for name, s in scores.items():
        assert s["fid"] > 1.5 * floor["fid"], name
        assert s["kid"] > floor["kid"] + 3 * s["kid_std"] / np.sqrt(5), name
    again = vaelab.generation_scores({"vae": models["vae"]}, x_test[:500], n=500,
                                     subsets=5, subset_size=200)
    assert again["vae"] == scores["vae"]  # seeded: the same samples and subsets


def test_features_follow_the_feature_models_image_shape():
    inputs = keras.Input((32, 32, 3))
    h = keras.layers.Conv2D(4, 3, strides=2, name="c")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(h)))
    faces, _ = vaelab.synthetic_faces(6, seed=1, size=32)
    assert vaelab.image_features(faces, model, "c").shape == (6, 15 * 15 * 4)
    with pytest.raises(ValueError, match=r"images: expected shape \(n, 32, 32, 3\) for model "
                                         r"'perceptual_features', got \(6, 28, 28\)"):
        vaelab.image_features(np.zeros((6, 28, 28), np.float32), model, "c")
