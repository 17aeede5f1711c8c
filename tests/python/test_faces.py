"""vaelab.faces: the synthetic cartoon faces that stand in for CelebA, and their CelebA layout."""

import numpy as np
import pandas as pd
import pytest

from vaelab import faces
from vaelab.datasets import load_celeba
from vaelab.faces import FACE_ATTRIBUTES, celeba_partition, synthetic_faces, write_celeba_layout


@pytest.fixture(scope="module")
def many():
    """1,200 faces: enough for the statistics below, drawn in a couple of seconds."""
    return synthetic_faces(1200, seed=11)


def test_images_and_attributes_have_the_documented_form(many):
    images, attributes = many
    assert images.shape == (1200, 64, 64, 3) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert list(attributes.columns) == list(FACE_ATTRIBUTES)
    assert {"Smiling", "Eyeglasses", "Mouth_Slightly_Open", "Wearing_Hat", "Pale_Skin",
            "Blond_Hair"} <= set(attributes.columns)
    assert all(attributes[name].dtype == np.int8 for name in FACE_ATTRIBUTES)
    assert set(np.unique(attributes.to_numpy())) == {-1, 1}


def test_the_same_seed_draws_the_same_faces():
    a_images, a_attributes = synthetic_faces(20, seed=3)
    b_images, b_attributes = synthetic_faces(20, seed=3)
    np.testing.assert_array_equal(a_images, b_images)
    pd.testing.assert_frame_equal(a_attributes, b_attributes)
    c_images, _ = synthetic_faces(20, seed=4)
    assert np.abs(a_images - c_images).mean() > 0.05


def test_faces_do_not_depend_on_how_they_are_chunked(monkeypatch):
    whole, attributes = synthetic_faces(30, seed=5)
    monkeypatch.setattr(faces, "_CHUNK", 7)
    chunked, again = synthetic_faces(30, seed=5)
    np.testing.assert_array_equal(whole, chunked)
    pd.testing.assert_frame_equal(attributes, again)


def test_the_feature_window_holds_every_feature(monkeypatch):
    """Drawing the eyes, mouth and glasses on the whole image changes no pixel, even for
    faces at the extremes of position, scale and tilt with the largest features."""
    params = faces._draw_parameters(16, np.random.default_rng(6))
    corners = np.array([[sx, sy] for sx in (-1, 1) for sy in (-1, 1)] * 4, float)
    params.update(centre=0.08 * corners, scale=np.full(16, 1.05),
                  tilt=np.repeat([-0.26, 0.26], 8), smile=np.full(16, 0.13),
                  opening=np.full(16, 0.09), eye_spacing=np.full(16, 0.25),
                  Eyeglasses=np.ones(16, bool), Mouth_Slightly_Open=np.ones(16, bool))
    grid = (np.arange(64) + 0.5) / 64 * 2 - 1
    windowed = faces._render_all(params, grid, grid)
    monkeypatch.setattr(faces, "FEATURE_WINDOW", ((-2.0, 2.0), (-2.0, 2.0)))
    np.testing.assert_array_equal(windowed, faces._render_all(params, grid, grid))


def test_other_sizes_draw_the_same_faces():
    small, attributes = synthetic_faces(6, seed=8, size=32)
    large, same = synthetic_faces(6, seed=8, size=64)
    pd.testing.assert_frame_equal(attributes, same)
    assert small.shape == (6, 32, 32, 3)
    shrunk = large.reshape(6, 32, 2, 32, 2, 3).mean(axis=(2, 4))
    assert np.abs(shrunk - small).mean() < 0.03


def test_attributes_are_balanced_and_independent(many):
    _, attributes = many
    values = attributes.to_numpy().astype(float)
    assert np.all(np.abs(values.mean(axis=0)) < 0.1)
    correlation = np.corrcoef(values.T)
    off_diagonal = correlation[~np.eye(len(FACE_ATTRIBUTES), dtype=bool)]
    # With 1,200 faces, independent attributes correlate by about +-0.03 (3 sd: 0.09).
    assert np.abs(off_diagonal).max() < 0.1


def test_a_smile_is_visible_around_the_mouth(many):
    """Around the mouth, smiling faces differ from the others far more than faces with and
    without glasses or blond hair do; the lip sits lower in the middle (the corners up)."""
    images, attributes = many
    gray = images.mean(axis=-1)

    def difference(name):
        has = attributes[name].to_numpy() > 0
        return gray[has].mean(axis=0) - gray[~has].mean(axis=0)

    smile = difference("Smiling")
    mouth = (slice(44, 54), slice(26, 38))
    for other in ("Eyeglasses", "Blond_Hair"):
        assert np.abs(smile[mouth]).mean() > 3 * np.abs(difference(other)[mouth]).mean()
    # Where the lip of a straight mouth lies (rows 42-45), smiling faces show skin: lighter;
    # just below (rows 48-50) lies the lowered middle of the smiling lip: darker.
    assert smile[42:46, 28:36].mean() > 0.05 and smile[48:51, 28:36].mean() < -0.05


def test_every_attribute_is_visible_to_a_linear_probe(many):
    """A ridge regression on 16 x 16 pixels tells each attribute apart on held-out faces,
    whatever the position, tilt, background and lighting: a CNN will learn them."""
    images, attributes = many
    features = images.reshape(len(images), 16, 4, 16, 4, 3).mean(axis=(2, 4))
    features = np.hstack([features.reshape(len(images), -1), np.ones((len(images), 1))])
    train, test = slice(0, 900), slice(900, None)
    gram = features[train].T @ features[train] + 1.0 * np.eye(features.shape[1])
    for name in FACE_ATTRIBUTES:
        y = attributes[name].to_numpy().astype(float)
        weights = np.linalg.solve(gram, features[train].T @ y[train])
        accuracy = np.mean((features[test] @ weights > 0) == (y[test] > 0))
        assert accuracy > 0.8, (name, accuracy)


def test_nuisance_variation_moves_the_face(many):
    images, _ = many
    # Position, scale, tilt and lighting vary: no pixel is the same across all faces.
    assert images.std(axis=0).min() > 0.02


def test_bad_arguments():
    with pytest.raises(ValueError, match="n: expected"):
        synthetic_faces(0)
    with pytest.raises(ValueError, match="size: expected"):
        synthetic_faces(2, size=4)
    with pytest.raises(ValueError, match=r"image_format: expected \"jpg\" or \"png\""):
        write_celeba_layout("unused", 2, image_format="gif")


def test_partition_follows_celeba_proportions_and_order():
    codes = celeba_partition(1000)
    assert np.all(np.diff(codes) >= 0)
    assert np.bincount(codes).tolist() == [803, 98, 99]
    assert celeba_partition(1).tolist() == [0]


@pytest.mark.parametrize("image_format", ["jpg", "png"])
def test_written_layout_reads_back_through_load_celeba(tmp_path, image_format):
    root = write_celeba_layout(tmp_path / "celeba", 12, seed=9, image_format=image_format)
    assert sorted(p.name for p in root.iterdir()) == [
        "img_align_celeba", "list_attr_celeba.txt", "list_eval_partition.txt"]
    lines = (root / "list_attr_celeba.txt").read_text().splitlines()
    assert lines[0] == "12" and lines[1].split() == list(FACE_ATTRIBUTES)
    assert lines[2].split()[0] == f"000001.{image_format}"
    from PIL import Image
    with Image.open(root / "img_align_celeba" / f"000001.{image_format}") as image:
        assert image.size == (178, 218) and image.mode == "RGB"
    loaded = load_celeba(root, split="all")
    images, attributes = loaded.read()
    expected, expected_attributes = synthetic_faces(12, seed=9)
    np.testing.assert_array_equal(attributes.to_numpy(), expected_attributes.to_numpy())
    # The DFC crop of the written image is the face drawn at 64 x 64, up to resampling
    # (and JPEG) error.
    assert np.abs(images - expected).mean() < 0.02
    assert len(load_celeba(root, split="train")) == 10
