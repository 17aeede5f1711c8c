"""vaelab.attributes: measured attributes, attribute vectors and edits."""

import numpy as np
import pytest

import vaelab


def sheared_bar(shear: float) -> np.ndarray:
    """A vertical bar, 3 pixels wide, sheared so each row up moves `shear` columns right."""
    img = np.zeros((28, 28), np.float32)
    for r in range(4, 24):
        c = int(round(14 + shear * (14 - r)))
        img[r, c - 1:c + 2] = 1.0
    return img


def test_ink_mass_sums_the_pixels():
    x = np.zeros((3, 28, 28, 1), np.float32)
    x[1, :2, :2] = 1.0
    x[2] = 0.5
    np.testing.assert_allclose(vaelab.ink_mass(x), [0.0, 4.0, 392.0])
    thick = np.zeros((28, 28), np.float32)
    thick[4:24, 12:17] = 1.0
    assert vaelab.ink_mass(thick)[0] > vaelab.ink_mass(sheared_bar(0.0))[0]


@pytest.mark.parametrize("shear", [-0.5, -0.2, 0.0, 0.3, 0.6])
def test_slant_recovers_the_shear_of_a_bar(shear):
    assert vaelab.slant(sheared_bar(shear))[0] == pytest.approx(shear, abs=0.03)


def test_slant_is_shift_invariant_and_rejects_blank_images():
    img = sheared_bar(0.4)
    moved = np.roll(img, (2, -3), axis=(0, 1))
    assert vaelab.slant(moved)[0] == pytest.approx(vaelab.slant(img)[0], abs=1e-9)
    x = np.stack([img, np.zeros_like(img)])
    with pytest.raises(ValueError, match=r"1 image\(s\) have no ink \(first at index 1\)"):
        vaelab.slant(x)
    with pytest.raises(ValueError, match="expected pixel values in"):
        vaelab.ink_mass(img * 2)


@pytest.fixture(scope="module")
def vae():
    return vaelab.build_vae(latent_dim=3, seed=4)


@pytest.fixture(scope="module")
def cvae():
    return vaelab.build_cvae(latent_dim=3, seed=4)


def test_attribute_vector_is_the_difference_of_group_means(vae, images):
    x, _ = images
    has = np.arange(len(x)) % 3 == 0
    z = vaelab.encode(vae, x)
    expected = z[has].mean(axis=0) - z[~has].mean(axis=0)
    v = vaelab.attribute_vector(vae, x, has)
    assert v.shape == (3,) and v.dtype == np.float32
    np.testing.assert_allclose(v, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(vaelab.attribute_vector(vae, x, has.astype(int)), v)


def test_attribute_vector_of_a_conditional_model_needs_labels(cvae, images):
    x, y = images
    has = y % 2 == 0
    z = vaelab.encode(cvae, x, y)
    np.testing.assert_allclose(vaelab.attribute_vector(cvae, x, has, labels=y),
                               z[has].mean(axis=0) - z[~has].mean(axis=0), rtol=1e-5,
                               atol=1e-6)
    with pytest.raises(ValueError, match="model 'cvae' is conditional; pass the digit labels"):
        vaelab.attribute_vector(cvae, x, has)


def test_attribute_vector_rejects_bad_masks(vae, images):
    x, _ = images
    n = len(x)
    with pytest.raises(ValueError, match=f"expected images both with and without the "
                                         f"attribute, got {n} with and 0 without"):
        vaelab.attribute_vector(vae, x, np.ones(n, bool))
    with pytest.raises(ValueError, match=rf"expected {n} values \(one per image\)"):
        vaelab.attribute_vector(vae, x, np.ones(n - 1, bool))
    with pytest.raises(ValueError, match="expected True or False"):
        vaelab.attribute_vector(vae, x, np.linspace(0, 1, n))
    with pytest.raises(ValueError, match="is not conditional; leave labels out"):
        vaelab.attribute_vector(vae, x, np.arange(n) % 2 == 0, labels=np.zeros(n))


def test_apply_attribute_moves_each_latent_vector_by_strength_times_vector(vae, images):
    x, _ = images
    v = np.array([1.0, -0.5, 0.25], np.float32)
    strengths = [-1.0, 0.0, 2.0]
    edits = vaelab.apply_attribute(vae, x[:4], v, strengths)
    assert edits.shape == (4, 3, 28, 28, 1)
    np.testing.assert_allclose(edits[:, 1], vaelab.reconstruct(vae, x[:4]), atol=1e-6)
    z = vaelab.encode(vae, x[:4])
    np.testing.assert_allclose(edits[:, 2], vaelab.decode(vae, z + 2.0 * v), atol=1e-6)
    with pytest.raises(ValueError, match=r"vector: expected 3 values"):
        vaelab.apply_attribute(vae, x[:4], [1.0, 2.0], strengths)
    with pytest.raises(ValueError, match="strengths: expected at least one strength"):
        vaelab.apply_attribute(vae, x[:4], v, [])


def test_apply_attribute_keeps_each_digit_of_a_conditional_model(cvae, images):
    x, y = images
    v = np.ones(3, np.float32)
    edits = vaelab.apply_attribute(cvae, x[:3], v, [0.0, 1.5], labels=y[:3])
    z = vaelab.encode(cvae, x[:3], y[:3])
    np.testing.assert_allclose(edits[:, 1], vaelab.decode(cvae, z + 1.5, y[:3]),
                               atol=1e-6)


# --- named attributes (faces) -------------------------------------------------------------

@pytest.fixture(scope="module")
def face_vae():
    return vaelab.build_vae(latent_dim=4, input_shape=(32, 32, 3), likelihood="gaussian", seed=6)


@pytest.fixture(scope="module")
def faces():
    return vaelab.synthetic_faces(24, seed=8, size=32)


def test_attribute_vectors_are_the_single_vectors_of_every_column(face_vae, faces):
    x, a = faces
    vectors = vaelab.attribute_vectors(face_vae, x, a)
    assert list(vectors) == list(a.columns)
    z = vaelab.encode(face_vae, x)
    for name, v in vectors.items():
        has = a[name].to_numpy() == 1
        assert v.shape == (4,) and v.dtype == np.float32
        np.testing.assert_allclose(v, z[has].mean(axis=0) - z[~has].mean(axis=0), rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_array_equal(v, vaelab.attribute_vector(face_vae, x, has))
    # A dict of columns is a table too.
    smile = vaelab.attribute_vectors(face_vae, x, {"Smiling": a["Smiling"].to_numpy()})
    np.testing.assert_array_equal(smile["Smiling"], vectors["Smiling"])


def test_attribute_vectors_check_the_table(face_vae, faces):
    x, a = faces
    with pytest.raises(ValueError, match=r"attributes\['Smiling'\]: expected images both with "
                                         r"and without the attribute, got 24 with and 0 without"):
        vaelab.attribute_vectors(face_vae, x, a.assign(Smiling=1))
    with pytest.raises(ValueError, match=r"attributes: expected 24 rows \(one per image\), "
                                         r"got 23"):
        vaelab.attribute_vectors(face_vae, x, a.iloc[1:])
    with pytest.raises(ValueError, match=r"attributes\['Eyeglasses'\]: expected \+1 or -1 .* "
                                         r"got 0, 1; 0/1 labels"):
        vaelab.attribute_vectors(face_vae, x, a.assign(Eyeglasses=a["Eyeglasses"] > 0))
    with pytest.raises(ValueError, match="attributes: expected a table with one named column "
                                         "per attribute .* got ndarray"):
        vaelab.attribute_vectors(face_vae, x, a.to_numpy())
    with pytest.raises(ValueError, match="attributes: expected columns of one length"):
        vaelab.attribute_vectors(face_vae, x, {"Smiling": [1, -1], "Eyeglasses": [1]})
