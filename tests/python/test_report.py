"""vaelab.report: the evaluation numbers, report.md, metrics.json and figures, written
atomically."""

import json

import matplotlib.pyplot as plt
import pytest

import vaelab
from helpers import assert_no_temp_files
from vaelab.report import ARTICLE_DIGITS, showcase_indices, write_report

FIGURES = ["reconstructions.png", "interpolation_plain_vae.png", "interpolation_dfc_vae.png",
           "laplacian_boxplot.png", "laplacian_histograms.png"]


@pytest.fixture(scope="module")
def models(classifier):
    return {"plain VAE": vaelab.build_vae(latent_dim=5, seed=1),
            "DFC VAE": vaelab.build_dfc_vae(classifier, latent_dim=5, seed=2)}


@pytest.fixture(scope="module")
def written(tmp_path_factory, models, classifier, images):
    x, y = images
    out = tmp_path_factory.mktemp("report") / "out"
    manifold = vaelab.build_vae(latent_dim=2, recipe="book", seed=3)
    # The classifier's 10 outputs as features: 40 samples are more than the features.
    generation = vaelab.generation_scores(models, x, n=40, reference=x[::-1],
                                          features=classifier, layer="probabilities",
                                          subsets=3, subset_size=20)
    path = write_report(out, models, classifier, x, y, manifold_model=manifold,
                        title="Tiny report", notes="Untrained models.", generation=generation)
    plt.close("all")
    return out, path


def test_report_files(written):
    out, path = written
    assert path == out / "report.md"
    assert_no_temp_files(out, ["report.md", "metrics.json", "manifold.png", *FIGURES])
    for name in FIGURES + ["manifold.png"]:
        assert (out / name).read_bytes()[:4] == b"\x89PNG"


def test_report_markdown(written):
    out, _ = written
    text = (out / "report.md").read_text(encoding="utf-8")
    assert text.startswith("# Tiny report\n\nUntrained models.\n\nEvaluated on 60 test images.")
    assert "| group | original | plain VAE | DFC VAE |" in text
    assert text.count("| digits other than 1 | ") == 4  # blur table + 3 test rows
    for figure in FIGURES + ["manifold.png"]:
        assert f"![{figure[:-4]}]({figure})" in text


def test_report_has_the_generation_table(written):
    out, _ = written
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "## Generation: prior samples against the test images" in text
    for name in ("real images (floor)", "plain VAE", "DFC VAE"):
        assert f"| {name} | 40 | " in text
    assert "By FID, from closest to farthest: " in text
    scores = json.loads((out / "metrics.json").read_text())["generation"]
    assert list(scores) == ["real images (floor)", "plain VAE", "DFC VAE"]
    assert set(scores["plain VAE"]) == {"fid", "kid", "kid_std", "n"}


def test_metrics_json_matches_direct_computation(written, models, classifier, images):
    out, _ = written
    x, y = images
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_images"] == 60
    assert len(metrics["tests"]) == 6
    blur = vaelab.laplacian_variance(x)
    means = metrics["mean_laplacian_variance"]
    assert means["digit 1"]["original"] == pytest.approx(blur[y == 1].mean(), rel=1e-12)
    assert means["digits other than 1"]["original"] == pytest.approx(blur[y != 1].mean(),
                                                                     rel=1e-12)
    rec = vaelab.reconstruct(models["DFC VAE"], x)
    assert metrics["classifier_accuracy"] == pytest.approx({
        "original": vaelab.classifier_accuracy(classifier, x, y),
        "plain VAE": vaelab.classifier_accuracy(classifier,
                                                vaelab.reconstruct(models["plain VAE"], x), y),
        "DFC VAE": vaelab.classifier_accuracy(classifier, rec, y)})
    assert metrics["reconstruction_error"]["DFC VAE"] == pytest.approx(
        vaelab.reconstruction_errors(x, rec), rel=1e-6)


def test_report_without_manifold(tmp_path, models, classifier, images):
    x, y = images
    write_report(tmp_path, {"plain VAE": models["plain VAE"]}, classifier, x[:20], y[:20])
    plt.close("all")
    assert_no_temp_files(tmp_path, ["report.md", "metrics.json", "reconstructions.png",
                                    "interpolation_plain_vae.png", "laplacian_boxplot.png",
                                    "laplacian_histograms.png"])


def test_showcase_indices(mnist, images):
    _, y = images
    assert showcase_indices(y) == list(range(10))
    assert showcase_indices(y[3:]) == [7, 8, 9, 0, 1, 2, 3, 4, 5, 6]
    _, (_, y_test) = mnist
    assert showcase_indices(y_test) == list(ARTICLE_DIGITS)
    assert [int(y_test[i]) for i in ARTICLE_DIGITS] == list(range(10))


def test_report_with_a_faces_section(tmp_path, models, classifier, images):
    x, y = images
    faces, attributes = vaelab.synthetic_faces(24, seed=11, size=32)
    evaluator = vaelab.build_attribute_classifier((32, 32, 3), width=2, seed=5)
    perceptual = vaelab.build_attribute_classifier((32, 32, 3), width=2, seed=6)
    face_models = {"plain VAE": vaelab.build_vae(latent_dim=3, input_shape=(32, 32, 3),
                                                 likelihood="gaussian", seed=1),
                   "DFC VAE": vaelab.build_dfc_vae(perceptual, latent_dim=3, seed=2)}
    vectors = {"DFC VAE": vaelab.attribute_vectors(face_models["DFC VAE"], faces, attributes)}
    plain = write_report(tmp_path / "plain", {"plain VAE": models["plain VAE"]}, classifier,
                         x[:20], y[:20])
    path = write_report(tmp_path / "faces", {"plain VAE": models["plain VAE"]}, classifier,
                        x[:20], y[:20], faces={"models": face_models, "evaluator": evaluator,
                                               "images": faces, "attributes": attributes,
                                               "vectors": vectors, "strengths": [0, 2]},
                        faces_notes="Untrained face models.")
    plt.close("all")
    out = tmp_path / "faces"
    face_figures = ["faces_reconstructions.png", "faces_attributes_dfc_vae.png"]
    assert_no_temp_files(out, ["report.md", "metrics.json", "reconstructions.png",
                               "interpolation_plain_vae.png", "laplacian_boxplot.png",
                               "laplacian_histograms.png", *face_figures])
    text = path.read_text(encoding="utf-8")
    # The digits' report is unchanged, the faces section follows it.
    mnist_part = plain.read_text(encoding="utf-8")
    assert text.startswith(mnist_part)
    section = text[len(mnist_part):]
    assert section.startswith("\n## Faces: plain VAE and DFC VAE on synthetic faces\n\n"
                              "Untrained face models.\n\nEvaluated on 24 test faces")
    assert section.count("| all faces | ") == 3  # original, plain and DFC: three pairs
    for figure in face_figures:
        assert f"![{figure[:-4]}]({figure})" in section
    measured = json.loads((out / "metrics.json").read_text())["faces"]
    rec = vaelab.reconstruct(face_models["DFC VAE"], faces)
    assert measured["mean_laplacian_variance"]["DFC VAE"] == pytest.approx(
        vaelab.laplacian_variance(rec).mean(), rel=1e-12)
    assert measured["attribute_accuracy"]["DFC VAE"] == vaelab.attribute_accuracy(
        evaluator, rec, attributes)
    assert measured["strengths"] == [0.0, 2.0]
    without = attributes["Blond_Hair"].to_numpy() < 0
    effect = vaelab.attribute_effect(face_models["DFC VAE"], evaluator, faces[without],
                                     vectors["DFC VAE"]["Blond_Hair"], [0, 2], "Blond_Hair")
    assert measured["attribute_effect"]["DFC VAE"]["Blond_Hair"] == pytest.approx(effect)
    assert f"| Blond_Hair | {effect[0]:.3f} | {effect[1]:.3f} |" in section
    assert "Attribute accuracy on DFC VAE reconstructions" in section
