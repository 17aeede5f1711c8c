"""vaelab.plots: every function returns a Figure and, given a path, writes it atomically."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

import vaelab
from helpers import assert_no_temp_files, synthetic_images

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def x():
    return synthetic_images(30, seed=13)


@pytest.fixture(scope="module")
def y():
    return (np.arange(30) % 10).astype(np.uint8)


def test_plot_images_rows_and_titles(tmp_path, x):
    fig = vaelab.plot_images({"original": x[:5], "plain VAE": x[5:8]}, titles=list("abcde"),
                             path=tmp_path / "rows.png")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2 * 5
    assert [ax.get_title() for ax in fig.axes[:5]] == list("abcde")
    # The shorter row leaves its last cells empty.
    assert [len(ax.images) for ax in fig.axes[5:]] == [1, 1, 1, 0, 0]
    assert (tmp_path / "rows.png").read_bytes()[:8] == PNG
    assert_no_temp_files(tmp_path, ["rows.png"])


def test_plot_images_accepts_a_bare_array(x):
    fig = vaelab.plot_images(x[:3, :, :, 0])
    assert len(fig.axes) == 3
    np.testing.assert_allclose(fig.axes[1].images[0].get_array(), x[1, :, :, 0])


def test_plot_manifold(tmp_path):
    grid = np.random.default_rng(0).random((4, 4, 28, 28, 1)).astype(np.float32)
    fig = vaelab.plot_manifold(grid, path=tmp_path / "manifold.pdf")
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), vaelab.tile_grid(grid))
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == [f"{v:.2f}" for v in vaelab.grid_values(4)]
    assert (tmp_path / "manifold.pdf").read_bytes()[:5] == b"%PDF-"
    assert_no_temp_files(tmp_path, ["manifold.pdf"])


def test_plot_latent_scatter(tmp_path, y):
    z = np.random.default_rng(1).normal(size=(30, 3))
    fig = vaelab.plot_latent_scatter(z, y, dims=(2, 0), path=tmp_path / "scatter.png")
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.collections[0].get_offsets(), z[:, [2, 0]], rtol=1e-6)
    assert ax.get_xlabel() == "z[2]" and ax.get_ylabel() == "z[0]"
    assert (tmp_path / "scatter.png").exists()
    with pytest.raises(ValueError, match=r"labels: expected 30 labels \(one per image\), got 29"):
        vaelab.plot_latent_scatter(z, y[:29])


def test_plot_laplacian_boxplot(tmp_path, x, y):
    fig = vaelab.plot_laplacian_boxplot(x, y, path=tmp_path / "box.png")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(d) for d in range(10)]
    medians = [line.get_ydata()[0] for line in ax.lines[5::7]]  # 7 lines per box
    values = vaelab.laplacian_variance(x)
    np.testing.assert_allclose(medians, [np.median(values[y == d]) for d in range(10)])
    assert_no_temp_files(tmp_path, ["box.png"])


def test_plot_laplacian_histograms(tmp_path, x, y):
    blur = {"original": vaelab.laplacian_variance(x), "half": vaelab.laplacian_variance(x * 0.5)}
    fig = vaelab.plot_laplacian_histograms(blur, y, bins=5, path=tmp_path / "hist.png")
    left, right = fig.axes
    assert (left.get_title(), right.get_title()) == ("digits other than 1", "digit 1")
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["original", "half"]
    # 5 bars per series; the bars of each series count its images in that group.
    assert len(right.patches) == 10
    assert sum(p.get_height() for p in left.patches[:5]) == np.sum(y != 1)
    assert_no_temp_files(tmp_path, ["hist.png"])


def test_plot_interpolations(tmp_path, x):
    fig = vaelab.plot_interpolations({"1 -> 5": x[:11], "3 -> 7": x[11:22]},
                                     path=tmp_path / "interp.png")
    assert len(fig.axes) == 22
    assert (tmp_path / "interp.png").exists()


def test_save_figure_without_a_path_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fig = plt.figure()
    assert vaelab.save_figure(fig) is fig
    assert_no_temp_files(tmp_path, [])


def test_a_failed_save_leaves_no_file(tmp_path):
    fig = plt.figure()
    with pytest.raises(ValueError, match=r"[Ff]ormat 'nope' is not supported"):
        vaelab.save_figure(fig, tmp_path / "figure.nope")
    assert_no_temp_files(tmp_path, [])


def test_plot_errors(x):
    with pytest.raises(ValueError, match=r"rows\['plain VAE'\]: expected pixel values in \[0, 1\]"):
        vaelab.plot_images({"original": x[:2], "plain VAE": x[:2] * 3})
    with pytest.raises(ValueError, match=r"images: expected shape \(n, height, width, channels\) "
                                         r"with 1 or 3 channels"):
        vaelab.plot_laplacian_boxplot(np.zeros((2, 5, 5, 2), np.float32), [1, 2])


def test_plot_edit_rows_draws_one_row_per_image(tmp_path):
    edits = np.stack([synthetic_images(4, seed=s) for s in range(3)])
    path = tmp_path / "edits.png"
    fig = vaelab.plot_edit_rows(edits, column_titles=[0, 0.5, 1, 1.5],
                                row_names=["a", "b", "c"], path=path)
    assert path.stat().st_size > 0
    assert len(fig.axes) == 12
    assert [fig.axes[k].get_title() for k in range(4)] == ["0", "0.5", "1", "1.5"]
    plt.close(fig)
    with pytest.raises(ValueError, match=r"edits: expected shape \(n, m, height, width\[, "
                                         r"channels\]\), got \(4, 28, 28, 1\)"):
        vaelab.plot_edit_rows(edits[0])
    with pytest.raises(ValueError, match="row_names: expected 3 different names"):
        vaelab.plot_edit_rows(edits, row_names=["a", "a", "b"])


# --- on the shipped conditional VAE-GAN and real digits -------------------------------------

@pytest.fixture(scope="module")
def shipped_cvaegan():
    if "cvaegan" not in vaelab.available_pretrained():
        pytest.skip("the conditional VAE-GAN is not in the shipped manifest yet")
    return vaelab.load_pretrained("cvaegan")


def test_bold_and_slant_vectors_edit_the_measured_attribute(shipped_cvaegan, mnist):
    _, (x_test, y_test) = mnist
    x, y = x_test[:2000], y_test[:2000]
    strengths = [-2.0, 0.0, 2.0]
    for measure in (vaelab.ink_mass, vaelab.slant):
        values = measure(x)
        v = vaelab.attribute_vector(shipped_cvaegan, x, values > np.median(values), labels=y)
        edits = vaelab.apply_attribute(shipped_cvaegan, x[:50], v, strengths, labels=y[:50])
        measured = np.stack([measure(edits[:, k]) for k in range(3)], axis=1)
        # Each step up adds the attribute, on average and for most images.
        assert np.all(np.diff(measured.mean(axis=0)) > 0), measure.__name__
        assert np.mean(measured[:, 2] > measured[:, 0]) > 0.8, measure.__name__
