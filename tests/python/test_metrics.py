"""vaelab.metrics: the batched Laplacian variance against OpenCV, accuracy, reconstruction error."""

import cv2
import numpy as np
import pytest

import vaelab
from helpers import synthetic_images
from vaelab.checks import as_images


def opencv_laplacian_variance(images):
    """The article's per-image loop."""
    return np.array([cv2.Laplacian(img, cv2.CV_32F).var() for img in images[..., 0]])


@pytest.mark.parametrize("make", [
    lambda: np.random.default_rng(0).random((50, 28, 28, 1)).astype(np.float32),
    lambda: synthetic_images(50, seed=9),
    lambda: np.random.default_rng(1).random((3, 28, 28)).astype(np.float64) ** 4,
])
def test_laplacian_variance_matches_opencv(make):
    x = make()
    expected = opencv_laplacian_variance(as_images(x))
    got = vaelab.laplacian_variance(x)
    assert got.shape == (len(x),) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_laplacian_variance_on_real_digits(mnist):
    _, (x_test, _) = mnist
    x = x_test[:500]
    np.testing.assert_allclose(vaelab.laplacian_variance(x), opencv_laplacian_variance(x),
                               rtol=1e-5)


def test_laplacian_variance_of_flat_and_single_images():
    np.testing.assert_array_equal(vaelab.laplacian_variance(np.full((2, 28, 28), 0.3)), [0, 0])
    one = synthetic_images(1, seed=2)[0, :, :, 0]
    np.testing.assert_allclose(vaelab.laplacian_variance(one),
                               [cv2.Laplacian(one, cv2.CV_32F).var()], rtol=1e-5)


def test_blur_lowers_the_laplacian_variance():
    x = synthetic_images(10, seed=3)
    blurred = np.stack([cv2.GaussianBlur(img, (5, 5), 1.0) for img in x[..., 0]])
    assert np.all(vaelab.laplacian_variance(blurred) < vaelab.laplacian_variance(x))


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 28, 28), np.uint8), r"images: expected floating-point pixels"),
    (np.zeros((2, 27, 28, 2), np.float32), r"images: expected shape \(n, height, width, "
                                           r"channels\) with 1 or 3 channels"),
    (np.full((2, 28, 28), np.nan, np.float32), r"images: 2 image\(s\) contain NaN"),
    (np.full((2, 28, 28), 3.0, np.float32), r"images: expected pixel values in \[0, 1\]"),
])
def test_laplacian_variance_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        vaelab.laplacian_variance(bad)


def test_classifier_accuracy(classifier, images):
    x, _ = images
    predicted = np.argmax(classifier.predict(x, verbose=0), axis=1)
    labels = predicted.copy()
    labels[::2] = (labels[::2] + 1) % 10  # every other label wrong
    # Chunks that do not divide the batch (the last one padded) give the same answer.
    chunked = vaelab.inference.predict_in_chunks(classifier, x, batch_size=7)
    assert chunked.shape == (60, 10)
    np.testing.assert_array_equal(chunked.argmax(axis=1), predicted)
    np.testing.assert_array_equal(vaelab.predict_digits(classifier, x), predicted)
    assert vaelab.classifier_accuracy(classifier, x, labels) == 0.5
    assert vaelab.classifier_accuracy(classifier, x, predicted) == 1.0
    with pytest.raises(ValueError, match=r"labels: expected 60 labels \(one per image\), got 3"):
        vaelab.classifier_accuracy(classifier, x, labels[:3])


def test_reconstruction_errors():
    rng = np.random.default_rng(5)
    x = rng.random((4, 28, 28, 1)).astype(np.float32)
    r = rng.random((4, 28, 28, 1)).astype(np.float32)
    p = np.clip(r.astype(np.float64), 1e-7, 1 - 1e-7)
    bce = -(x * np.log(p) + (1 - x) * np.log(1 - p))
    errors = vaelab.reconstruction_errors(x, r)
    assert errors["bce"] == pytest.approx(bce.mean(), rel=1e-6)
    assert errors["mse"] == pytest.approx(np.mean((x.astype(np.float64) - r) ** 2), rel=1e-6)
    assert vaelab.reconstruction_errors(x, x)["mse"] == 0.0
    with pytest.raises(ValueError, match=r"reconstructions: expected shape \(4, 28, 28, 1\) "
                                         r"like images, got \(3, 28, 28, 1\)"):
        vaelab.reconstruction_errors(x, r[:3])
    with pytest.raises(ValueError, match=r"reconstructions: expected pixel values in \[0, 1\]"):
        vaelab.reconstruction_errors(x, r + 1)
