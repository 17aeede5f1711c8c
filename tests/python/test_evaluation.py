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


# --- faces: named attributes --------------------------------------------------------------

@pytest.fixture(scope="module")
def faces():
    return vaelab.synthetic_faces(20, seed=9, size=32)


@pytest.fixture(scope="module")
def face_models():
    return {"plain VAE": vaelab.build_vae(latent_dim=3, input_shape=(32, 32, 3),
                                          likelihood="gaussian", seed=1),
            "other VAE": vaelab.build_vae(latent_dim=3, input_shape=(32, 32, 3),
                                          likelihood="gaussian", seed=2)}


@pytest.fixture(scope="module")
def evaluator():
    return vaelab.build_attribute_classifier((32, 32, 3), width=2, seed=4)


def test_attribute_effect_is_the_evaluators_mean_per_strength(face_models, evaluator, faces):
    x, _ = faces
    vae = face_models["plain VAE"]
    v = np.array([3.0, -2.0, 1.0], np.float32)
    effect = vaelab.attribute_effect(vae, evaluator, x[:5], v, [0, 1.5], "Eyeglasses")
    z = vaelab.encode(vae, x[:5])
    expected = [vaelab.attribute_probabilities(evaluator, vaelab.decode(vae, z + s * v))
                ["Eyeglasses"].mean() for s in (0.0, 1.5)]
    np.testing.assert_allclose(effect, expected, rtol=1e-6)
    assert effect[0] != effect[1]
    with pytest.raises(ValueError, match=r"attribute: the evaluator reads \['Smiling', .*\], "
                                         r"not 'Bald'"):
        vaelab.attribute_effect(vae, evaluator, x[:5], v, [0, 1], "Bald")


def test_evaluate_faces(face_models, evaluator, faces):
    x, a = faces
    vectors = {"other VAE": vaelab.attribute_vectors(face_models["other VAE"], x, a)}
    result = vaelab.evaluate_faces(face_models, evaluator, x, a, vectors=vectors,
                                   strengths=[0, 2])
    assert result["n_images"] == 20
    assert list(result["mean_laplacian_variance"]) == ["original", "plain VAE", "other VAE"]
    rec = vaelab.reconstruct(face_models["other VAE"], x)
    assert result["mean_laplacian_variance"]["other VAE"] == pytest.approx(
        vaelab.laplacian_variance(rec).mean())
    assert result["attribute_accuracy"]["other VAE"] == vaelab.attribute_accuracy(
        evaluator, rec, a)
    assert result["attribute_accuracy"]["original"] == vaelab.attribute_accuracy(
        evaluator, x, a)
    tests = result["tests"]
    assert list(zip(tests["a"], tests["b"])) == [("original", "plain VAE"),
                                                 ("original", "other VAE"),
                                                 ("plain VAE", "other VAE")]
    assert set(tests["group"]) == {"all faces"} and set(tests["n"]) == {20}
    assert result["reconstruction_error"]["other VAE"] == vaelab.reconstruction_errors(x, rec)
    assert result["strengths"] == [0.0, 2.0] and list(result["attribute_effect"]) == ["other VAE"]
    without = a["Pale_Skin"].to_numpy() < 0
    np.testing.assert_allclose(
        result["attribute_effect"]["other VAE"]["Pale_Skin"],
        vaelab.attribute_effect(face_models["other VAE"], evaluator, x[without],
                                vectors["other VAE"]["Pale_Skin"], [0, 2], "Pale_Skin"))
    assert "attribute_effect" not in vaelab.evaluate_faces(face_models, evaluator, x, a)


def test_evaluate_faces_checks_its_vectors(face_models, evaluator, faces):
    x, a = faces
    with pytest.raises(ValueError, match=r"vectors: expected \{model name: \{attribute: "
                                         r"vector\}\} for models among \['plain VAE', 'other "
                                         r"VAE'\], got \['DFC VAE'\]"):
        vaelab.evaluate_faces(face_models, evaluator, x, a, vectors={"DFC VAE": {}})
    with pytest.raises(ValueError, match=r"vectors\['plain VAE'\]: 'Bald' is not a column of "
                                         r"attributes"):
        vaelab.evaluate_faces(face_models, evaluator, x, a,
                              vectors={"plain VAE": {"Bald": np.zeros(3)}})
    with pytest.raises(ValueError, match=r"got ndarray for 'plain VAE'"):
        vaelab.evaluate_faces(face_models, evaluator, x, a, vectors={"plain VAE": np.zeros(3)})
    with pytest.raises(ValueError, match=r"for models among .*, got list"):
        vaelab.evaluate_faces(face_models, evaluator, x, a, vectors=[])
