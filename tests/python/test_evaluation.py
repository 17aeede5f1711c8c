"""vaelab.evaluation: the numbers of a comparison of models, for any mix of models."""

import numpy as np
import pandas as pd
import pytest

import vaelab
from vaelab.evaluation import Evaluation, evaluate, style_transfer_accuracy


@pytest.fixture(scope="module")
def models():
    return {"plain VAE": vaelab.build_vae(latent_dim=3, seed=1),
            "VAE-GAN": vaelab.build_vaegan(latent_dim=3, conditional=True, seed=8)}


def test_evaluate_keeps_the_arrays_for_the_figures(models, classifier, images):
    x, y = images
    result = evaluate(models, classifier, x, y)
    assert isinstance(result, Evaluation) and result.n_images == len(x)
    assert sorted(result.reconstructions) == ["VAE-GAN", "plain VAE"]
    np.testing.assert_array_equal(result.reconstructions["plain VAE"],
                                  vaelab.reconstruct(models["plain VAE"], x))
    np.testing.assert_array_equal(result.reconstructions["VAE-GAN"],
                                  vaelab.reconstruct(models["VAE-GAN"], x, y))
    np.testing.assert_array_equal(result.blur["original"], vaelab.laplacian_variance(x))
    assert result.generation_accuracy == {} and result.style_transfer == {}
    metrics = result.metrics()
    assert list(metrics) == ["n_images", "generation_accuracy", "style_transfer",
                             "mean_laplacian_variance", "tests", "classifier_accuracy",
                             "reconstruction_error"]
    assert metrics["tests"] == result.tests.to_dict(orient="records")


def test_evaluate_scores_generated_digits_of_conditional_models(models, classifier, images):
    x, y = images
    result = evaluate(models, classifier, x, y, generated_per_class=2)
    assert list(result.generation_accuracy) == ["VAE-GAN"]
    assert result.generation_accuracy["VAE-GAN"] == vaelab.generation_accuracy(
        models["VAE-GAN"], classifier, 2, seed=0)


def test_compare_sharpness(models, classifier, images):
    x, y = images
    result = vaelab.compare_sharpness(models, classifier, x, y)
    assert set(result) == {"mean_laplacian_variance", "tests", "classifier_accuracy"}
    assert set(result["classifier_accuracy"]) == {"original", "plain VAE", "VAE-GAN"}
    assert set(result["mean_laplacian_variance"]) == {"digits other than 1", "digit 1"}
    tests = result["tests"]
    assert isinstance(tests, pd.DataFrame) and len(tests) == 2 * 3  # 2 groups x 3 pairs
    gan = models["VAE-GAN"]
    expected = vaelab.laplacian_variance(vaelab.reconstruct(gan, x, y))[y != 1].mean()
    assert result["mean_laplacian_variance"]["digits other than 1"]["VAE-GAN"] == \
        pytest.approx(expected)
    with pytest.raises(ValueError, match="models: expected named models, .* got no models"):
        vaelab.compare_sharpness({}, classifier, x, y)


def test_style_transfer_accuracy_of_the_conditional_models(models, classifier, images):
    x, y = images
    sevens = x[y == 7][:3]
    assert len(sevens) > 0
    transfer = style_transfer_accuracy(models["VAE-GAN"], classifier, sevens, 7)
    redrawn = vaelab.style_transfer(models["VAE-GAN"], sevens, 7, range(10))
    expected = [np.mean(vaelab.predict_digits(classifier, redrawn[:, d]) == d) for d in range(10)]
    assert transfer == {"overall": pytest.approx(np.mean(expected)),
                        "per_target": pytest.approx(expected)}
    result = evaluate(models, classifier, x, y, transferred_sevens=3)
    assert result.style_transfer == {"VAE-GAN": transfer}
