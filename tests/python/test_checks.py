"""vaelab.checks: what every entry point accepts, and the errors for what it refuses."""

import re

import numpy as np
import pytest

from vaelab.checks import (
    as_conf_level,
    as_dims,
    as_edits,
    as_flag,
    as_groups,
    as_images,
    as_labels,
    as_latents,
    as_model,
    as_models,
    as_named_values,
    as_pair,
    as_values,
    nonzero_differences,
    positive_int,
)


@pytest.mark.parametrize("shape, n", [((3, 28, 28, 1), 3), ((3, 28, 28), 3), ((28, 28), 1),
                                      ((28, 28, 1), 1)])
def test_as_images_accepts_batches_and_single_images(shape, n):
    x = np.random.default_rng(0).random(shape)
    out = as_images(x)
    assert out.shape == (n, 28, 28, 1)
    assert out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_allclose(out.reshape(-1), x.reshape(-1).astype(np.float32))


@pytest.mark.parametrize("dtype", [np.uint8, np.int32])
def test_as_images_refuses_integer_pixels(dtype):
    gray = np.zeros((2, 28, 28), dtype)
    gray[0, 5, 5] = 255
    with pytest.raises(ValueError, match=rf"x: expected floating-point pixels in \[0, 1\], got "
                                         rf"integer dtype {np.dtype(dtype).name}; divide by 255"):
        as_images(gray, "x")
    # 0/1 integers are not gray levels: dividing them by 255 would be wrong.
    with pytest.raises(ValueError, match=rf"integer dtype {np.dtype(dtype).name}; convert them "
                                         r"with x\.astype\('float32'\)$"):
        as_images(np.ones((2, 28, 28), dtype), "x")


def test_as_images_refuses_non_numbers():
    with pytest.raises(ValueError, match=r"images: expected a numeric array, got dtype <U1"):
        as_images(np.full((2, 28, 28), "a"))
    with pytest.raises(ValueError, match=r"expected a numeric array, got dtype object"):
        as_images(np.array([np.zeros((28, 28)), None], dtype=object))
    with pytest.raises(ValueError, match=r"images: expected a numeric array of images"):
        as_images([np.zeros((28, 28)), np.zeros((27, 28))])


@pytest.mark.parametrize(
    "shape", [(2, 32, 32), (2, 28, 28, 3), (784,), (2, 784), (1, 2, 28, 28, 1)])
def test_as_images_wrong_shape(shape):
    with pytest.raises(ValueError, match=rf"x: expected shape \(n, 28, 28, 1\) or \(n, 28, 28\), "
                                         rf"got {re.escape(str(shape))}"):
        as_images(np.zeros(shape, np.float32), "x")


def test_as_images_empty_batch():
    with pytest.raises(ValueError, match=r"expected at least one image, got an empty batch"):
        as_images(np.zeros((0, 28, 28), np.float32))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_as_images_nan_images(bad):
    x = np.zeros((5, 28, 28, 1), np.float32)
    x[3, 4, 5, 0] = bad
    x[4, 0, 0, 0] = bad
    with pytest.raises(ValueError, match=r"x_test: 2 image\(s\) contain NaN or infinite pixels "
                                         r"\(first at index 3\); expected finite values"):
        as_images(x, "x_test")


def test_as_images_value_range():
    x = np.zeros((2, 28, 28), np.float32)
    x[1, 3, 3] = 255.0
    with pytest.raises(ValueError, match=r"expected pixel values in \[0, 1\], got range "
                                         r"\[0, 255\]; they look like gray levels 0\.\.255: "
                                         r"divide by 255 first"):
        as_images(x)
    x[1, 3, 3] = -0.5
    with pytest.raises(ValueError, match=r"got range \[-0\.5, 0\]$"):
        as_images(x)


def test_as_latents():
    np.testing.assert_array_equal(as_latents([1, 2, 3], 3), [[1, 2, 3]])
    assert as_latents(np.zeros((4, 2), np.float64), 2).dtype == np.float32
    with pytest.raises(ValueError, match=r"z: expected shape \(n, 5\) for this model's latent "
                                         r"space, got \(3, 4\)"):
        as_latents(np.zeros((3, 4)), 5)
    with pytest.raises(ValueError, match=r"z: latent vectors contain NaN or infinite values"):
        as_latents([[0.0, np.nan]], 2)
    with pytest.raises(ValueError, match=r"z: expected a numeric array of latent vectors"):
        as_latents(["a", "b"], 2)


def test_as_labels():
    np.testing.assert_array_equal(as_labels(np.array([[1], [2]], np.uint8)), [1, 2])
    assert as_labels([1.0, 9.0]).dtype == np.int64
    with pytest.raises(ValueError, match=r"y: expected a 1-d array of digit labels, got shape "
                                         r"\(2, 2\)"):
        as_labels(np.zeros((2, 2)), name="y")
    with pytest.raises(ValueError, match=r"expected whole-number digit labels 0\.\.9"):
        as_labels([1.5, 2.0])
    with pytest.raises(ValueError, match=r"expected digit labels 0\.\.9, got range \[-1, 10\]"):
        as_labels([-1, 3, 10])
    with pytest.raises(ValueError, match=r"expected 3 labels \(one per image\), got 2"):
        as_labels([1, 2], n=3)


def test_as_values():
    np.testing.assert_array_equal(as_values([1, 2], "a"), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"a: expected numbers"):
        as_values(["x"], "a")
    with pytest.raises(ValueError, match=r"a: expected a 1-d array, got shape \(1, 2\)"):
        as_values([[1, 2]], "a")
    with pytest.raises(ValueError, match=r"b: expected 3 values, got 2"):
        as_values([1, 2], "b", n=3)
    with pytest.raises(ValueError, match=r"a: contains NaN or infinite values"):
        as_values([1, np.nan], "a")


def test_positive_int():
    assert positive_int(3.0, "epochs") == 3 and isinstance(positive_int(np.int64(2), "n"), int)
    assert positive_int(0, "seed", minimum=0) == 0
    for bad in (0, -1, 2.5, True, "3", None):
        with pytest.raises(ValueError, match=rf"epochs: expected an integer >= 1, got "
                                             rf"{re.escape(repr(bad))}$"):
            positive_int(bad, "epochs")


def test_as_pair():
    a, b = as_pair([1, 2], np.array([3.0, 4.0]))
    assert a.dtype == b.dtype == np.float64
    with pytest.raises(ValueError, match=r"^b: expected 3 values, got 4$"):
        as_pair([1, 2, 3], [1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"^a, b: expected at least 2 paired values$"):
        as_pair([1.0], [2.0])


def test_nonzero_differences():
    np.testing.assert_array_equal(nonzero_differences([1, 2], [1, 0]), [0.0, 2.0])
    with pytest.raises(ValueError, match=r"^a - b: all paired differences are 0, so the "
                                         r"Wilcoxon signed-rank test is undefined$"):
        nonzero_differences([1, 2], [1, 2])


def test_as_conf_level():
    assert as_conf_level(0.9) == 0.9 and isinstance(as_conf_level(np.float32(0.5)), float)
    for bad in (0, 1, 95, True, "0.9", None):
        with pytest.raises(ValueError, match=rf"^conf_level: expected a number strictly between "
                                             rf"0 and 1, got {re.escape(repr(bad))}$"):
            as_conf_level(bad)


def test_as_groups():
    masks = as_groups({"odd": [True, False, True], "all": np.ones(3, bool)}, 3)
    assert list(masks) == ["odd", "all"] and masks["odd"].dtype == bool
    for bad in ({}, [np.ones(3, bool)], {"": np.ones(3, bool)}):
        with pytest.raises(ValueError, match=r"^groups: expected named boolean masks, each of "
                                             r"length 3 \(one per image\)$"):
            as_groups(bad, 3)
    with pytest.raises(ValueError, match=r"^groups\['a'\]: expected a boolean mask of length 3 "
                                         r"\(one per image\), got dtype int64 and shape \(2,\)$"):
        as_groups({"a": [1, 0]}, 3)
    with pytest.raises(ValueError, match=r"^groups\['one'\]: selects 1 image\(s\); expected "
                                         r"at least 2 for paired tests$"):
        as_groups({"one": [True, False, False]}, 3)


def test_as_edits():
    assert as_edits(np.zeros((2, 3, 28, 28))).shape == (2, 3, 28, 28, 1)
    with pytest.raises(ValueError, match=r"^edits: expected shape \(n, m, 28, 28\[, 1\]\), got "
                                         r"\(2, 28, 28, 1\)$"):
        as_edits(np.zeros((2, 28, 28, 1)))
    with pytest.raises(ValueError, match=r"^edits\[1\]: expected pixel values in \[0, 1\]"):
        as_edits(np.stack([np.zeros((3, 28, 28)), np.full((3, 28, 28), 2.0)]))


def test_as_dims_counts_from_first():
    assert as_dims((0, 2), 3) == (0, 2)
    assert as_dims([1.0, 3.0], 3, first=1) == (0, 2)
    with pytest.raises(ValueError, match=r"^dims: expected two different latent dimensions in "
                                         r"1\.\.3, got 2, 2$"):
        as_dims([2, 2], 3, first=1)
    for bad in ((0, 3), (0,), (0.5, 1), "ab"):
        with pytest.raises(ValueError, match=r"in 0\.\.2, got"):
            as_dims(bad, 3)


def test_as_named_values():
    assert list(as_named_values({"a": [1, 2]}, "blur", n=2)) == ["a"]
    with pytest.raises(ValueError, match=r"^blur: expected named sets of values"):
        as_named_values({}, "blur")
    with pytest.raises(ValueError, match=r"^blur\['a'\]: expected 3 values, got 2$"):
        as_named_values({"a": [1, 2]}, "blur", n=3)


def test_as_model_and_as_models():
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    assert as_model(model) is model
    assert as_models({"a": model}) == {"a": model}
    with pytest.raises(ValueError, match=r"^classifier: expected a Keras model "
                                         r"\(build_vae\(\), .*\), got str$"):
        as_model("classifier", "classifier")
    for bad in ([model], {}, {"": model}):
        with pytest.raises(ValueError, match=r"^models: expected named models"):
            as_models(bad)
    with pytest.raises(ValueError, match=r"^models\['a'\]: expected a Keras model"):
        as_models({"a": 1})


def test_as_flag():
    assert as_flag(np.bool_(True), "download") is True
    for bad in (1, "yes", None):
        with pytest.raises(ValueError, match=rf"^download: expected True or False, got "
                                             rf"{re.escape(repr(bad))}$"):
            as_flag(bad, "download")
