"""The shipped face models (data-raw/train_faces.py): they load, reproduce the numbers of
their manifest entries on the same test faces, and the smile vector adds a smile.

Nothing here is data: the faces are synthetic, drawn again from the seeds in the manifest.
"""

import numpy as np
import pytest

import vaelab
from vaelab.pretrained import verified_weights_file

FACES = ("faces_classifier", "faces_evaluator", "faces_vae", "faces_dfc_vae")
CLASSIFIERS = FACES[:2]
VAES = FACES[2:]
SUBSET = 300  # data-raw/train_faces.py records metrics on the first 300 test faces
# Accuracies count faces: on another CPU one face near P = 0.5 may fall on the other side.
ONE_FACE = 1 / SUBSET + 1e-9


@pytest.fixture(scope="module")
def entries():
    shipped = vaelab.manifest()
    missing = [name for name in FACES if name not in shipped]
    assert not missing, f"face models not shipped: {missing}"
    return {name: shipped[name] for name in FACES}


@pytest.fixture(scope="module")
def models(entries):
    return {name: vaelab.load_pretrained(name) for name in entries}


@pytest.fixture(scope="module")
def test_faces(entries):
    spec = entries["faces_vae"]["test_faces"]
    assert all(e["test_faces"] == spec and e["subset"] == f"first {SUBSET} test faces"
               for e in entries.values())
    x, a = vaelab.synthetic_faces(spec["n"], seed=spec["seed"])
    return x[:SUBSET], a.iloc[:SUBSET].reset_index(drop=True)


@pytest.fixture(scope="module")
def vectors(entries, models):
    spec = entries["faces_vae"]["vector_faces"]
    x, a = vaelab.synthetic_faces(spec["n"], seed=spec["seed"])
    return {name: vaelab.attribute_vectors(models[name], x, a) for name in VAES}


@pytest.fixture(scope="module")
def smile_effect(entries, models, test_faces, vectors):
    """P(Smiling) by the evaluator on the test faces that do not smile, per strength."""
    x, a = test_faces
    plain = x[a["Smiling"].to_numpy() < 0]
    return {name: vaelab.attribute_effect(
        models[name], models["faces_evaluator"], plain, vectors[name]["Smiling"],
        entries[name]["subset_metrics"]["strengths"], "Smiling") for name in VAES}


def test_shipped_small_and_as_float16(entries):
    total = 0
    for name, entry in entries.items():
        path = verified_weights_file(name)
        assert entry["dtype"] == "float16" and path.stat().st_size == entry["bytes"]
        total += entry["bytes"]
    assert total <= 12e6, f"the face models take {total / 1e6:.1f} MB"


def test_the_models_are_what_their_entries_say(entries, models):
    for name in CLASSIFIERS:
        assert vaelab.image_shape_of(models[name]) == (64, 64, 3)
        assert vaelab.attribute_names(models[name]) == entries[name]["attributes"]
    for name in VAES:
        assert vaelab.latent_dim_of(models[name]) == entries[name]["latent_dim"]
        assert vaelab.image_shape_of(models[name]) == (64, 64, 3)
    assert entries["faces_dfc_vae"]["perceptual_model"] == "faces_classifier"
    extractor = models["faces_dfc_vae"].get_layer("perceptual_features")
    np.testing.assert_array_equal(extractor.get_layer("conv1").get_weights()[0],
                                  models["faces_classifier"].get_layer("conv1").get_weights()[0])


def test_the_evaluator_is_not_the_perceptual_model(entries, models, test_faces):
    clf, evaluator = entries["faces_classifier"], entries["faces_evaluator"]
    assert clf["width"] != evaluator["width"] and clf["seed"] != evaluator["seed"]
    x, _ = test_faces
    a = vaelab.attribute_probabilities(models["faces_classifier"], x[:50])
    b = vaelab.attribute_probabilities(models["faces_evaluator"], x[:50])
    assert np.abs(a.to_numpy() - b.to_numpy()).max() > 1e-3


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifiers_reproduce_their_accuracy(name, entries, models, test_faces):
    expected = entries[name]["subset_metrics"]["attribute_accuracy"]
    got = vaelab.attribute_accuracy(models[name], *test_faces)
    assert list(got) == list(expected)
    for attribute, value in expected.items():
        assert got[attribute] == pytest.approx(value, abs=ONE_FACE), attribute
    assert got["mean"] >= 0.95


@pytest.mark.parametrize("name", VAES)
def test_vaes_reproduce_their_numbers(name, entries, models, test_faces, smile_effect):
    expected = entries[name]["subset_metrics"]
    x, a = test_faces
    rec = vaelab.reconstruct(models[name], x)
    assert float(vaelab.laplacian_variance(rec).mean()) == pytest.approx(
        expected["mean_laplacian_variance"], rel=1e-4)
    assert vaelab.reconstruction_errors(x, rec)["mse"] == pytest.approx(expected["mse"],
                                                                       rel=1e-4)
    accuracy = vaelab.attribute_accuracy(models["faces_evaluator"], rec, a)
    for attribute, value in expected["attribute_accuracy"].items():
        assert accuracy[attribute] == pytest.approx(value, abs=ONE_FACE), attribute
    np.testing.assert_allclose(smile_effect[name], expected["attribute_effect"]["Smiling"],
                               rtol=1e-3, atol=1e-4)


def test_the_dfc_vaes_smile_vector_adds_a_smile(entries, smile_effect):
    strengths = entries["faces_dfc_vae"]["subset_metrics"]["strengths"]
    assert strengths == [0, 1, 2, 3]
    p = smile_effect["faces_dfc_vae"]
    assert np.all(np.diff(p) > 0), p
    assert p[0] < 0.2 and p[-1] > 0.8, p


def test_the_plain_vae_loses_the_smile(entries, models, test_faces, smile_effect):
    """The finding the DFC paper predicts: the plain VAE's blurry reconstructions lose the
    mouth, so neither they nor its smile vector show a smile to the evaluator."""
    x, a = test_faces
    accuracy = {name: vaelab.attribute_accuracy(
        models["faces_evaluator"], vaelab.reconstruct(models[name], x), a) for name in VAES}
    assert accuracy["faces_vae"]["Smiling"] < 0.6 < 0.85 < accuracy["faces_dfc_vae"]["Smiling"]
    rise = {name: p[-1] - p[0] for name, p in smile_effect.items()}
    assert rise["faces_vae"] < 0.1 < 0.5 < rise["faces_dfc_vae"], rise


def test_the_dfc_vae_is_sharper(entries, models, test_faces):
    x, _ = test_faces
    blur = {name: vaelab.laplacian_variance(vaelab.reconstruct(models[name], x))
            for name in VAES}
    t = vaelab.paired_ttest(blur["faces_dfc_vae"], blur["faces_vae"])
    assert t.mean_difference > 0 and t.pvalue < 1e-10, t
    recorded = entries["faces_dfc_vae"]["subset_metrics"]["sharpness_vs_faces_vae"]
    assert t.statistic == pytest.approx(recorded["t_statistic"], rel=1e-3)
