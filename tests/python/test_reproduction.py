"""The committed reproduction report (docs/reproduction/) agrees with the shipped weights."""

import json
from pathlib import Path

import numpy as np
import pytest

import vaelab
from vaelab.stats import default_groups

REPORT = Path(__file__).resolve().parents[2] / "docs" / "reproduction"


@pytest.fixture(scope="module")
def report_metrics():
    path = REPORT / "metrics.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make report`")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def digit_one(mnist):
    _, (x_test, y_test) = mnist
    mask = default_groups(y_test)["digit 1"]
    return x_test[mask], y_test[mask]


def test_report_covers_the_full_test_set(report_metrics):
    assert report_metrics["n_images"] == 10000


def test_classifier_accuracy_on_originals_matches(report_metrics, mnist):
    _, (x_test, y_test) = mnist
    acc = vaelab.classifier_accuracy(vaelab.load_pretrained("classifier"), x_test, y_test)
    assert acc == pytest.approx(report_metrics["classifier_accuracy"]["original"], abs=1e-12)
    assert acc >= 0.99


def test_digit_one_blur_and_t_test_match(report_metrics, digit_one):
    x, _ = digit_one
    blur = {name: vaelab.laplacian_variance(vaelab.reconstruct(vaelab.load_pretrained(key), x))
            for name, key in (("plain VAE", "vae"), ("DFC VAE", "dfc_vae"))}
    means = report_metrics["mean_laplacian_variance"]["digit 1"]
    for name, values in blur.items():
        assert values.mean() == pytest.approx(means[name], rel=1e-5)
    row = next(t for t in report_metrics["tests"]
               if t["group"] == "digit 1" and {t["a"], t["b"]} == {"plain VAE", "DFC VAE"})
    t = vaelab.paired_ttest(blur[row["a"]], blur[row["b"]])
    assert t.statistic == pytest.approx(row["t_statistic"], rel=1e-4)


def test_report_supports_the_articles_claims(report_metrics):
    """DFC sharper than plain (p < 1e-10 in both groups) and no less recognisable."""
    for t in report_metrics["tests"]:
        if {t["a"], t["b"]} == {"plain VAE", "DFC VAE"}:
            dfc_minus_plain = t["mean_difference"] * (1 if t["a"] == "DFC VAE" else -1)
            assert dfc_minus_plain > 0 and t["t_pvalue"] < 1e-10, t
    acc = report_metrics["classifier_accuracy"]
    assert acc["DFC VAE"] >= acc["plain VAE"]
    assert np.isfinite(list(acc.values())).all()


@pytest.mark.parametrize("label, name", [("conditional VAE", "cvae"),
                                         ("VAE-GAN (conditional)", "cvaegan")])
def test_report_covers_exactly_the_shipped_conditional_models(report_metrics, digit_one,
                                                              label, name):
    shipped = name in vaelab.available_pretrained()
    assert (label in report_metrics["classifier_accuracy"]) == shipped, \
        "the report is out of date with the shipped weights: run `make report`"
    if not shipped:
        pytest.skip(f"{name!r} is not shipped")
    x, y = digit_one
    blur = vaelab.laplacian_variance(vaelab.reconstruct(vaelab.load_pretrained(name), x, y))
    assert blur.mean() == pytest.approx(
        report_metrics["mean_laplacian_variance"]["digit 1"][label], rel=1e-5)
    generated = report_metrics["generation_accuracy"][label]
    assert 0.0 <= generated["overall"] <= 1.0 and len(generated["per_class"]) == 10


def test_report_has_the_faces_section_of_the_shipped_face_models(report_metrics):
    """The faces section measured the shipped weights on the manifest's test faces."""
    entries = vaelab.manifest()
    shipped = all(name in entries for name in ("faces_vae", "faces_dfc_vae", "faces_evaluator"))
    assert ("faces" in report_metrics) == shipped, \
        "the report is out of date with the shipped weights: run `make report`"
    if not shipped:
        pytest.skip("the face models are not shipped")
    faces = report_metrics["faces"]
    assert faces["n_images"] == entries["faces_vae"]["test_faces"]["n"]
    for label, name in (("plain VAE", "faces_vae"), ("DFC VAE", "faces_dfc_vae")):
        metrics = entries[name]["metrics"]
        assert faces["mean_laplacian_variance"][label] == pytest.approx(
            metrics["mean_laplacian_variance"], rel=1e-6)
        assert faces["attribute_accuracy"][label] == pytest.approx(metrics["attribute_accuracy"])
        for attribute, effect in metrics["attribute_effect"].items():
            assert faces["attribute_effect"][label][attribute] == pytest.approx(effect,
                                                                                rel=1e-5)
