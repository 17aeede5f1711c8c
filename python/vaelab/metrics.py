"""Image metrics: blur (variance of the Laplacian), classifier accuracy, reconstruction error."""

from __future__ import annotations

import numpy as np

from .checks import as_images, as_labels
from .inference import predict_in_chunks


def laplacian_variance(images) -> np.ndarray:
    """Variance of the Laplacian of each image: lower means blurrier.

    Matches ``cv2.Laplacian(img, cv2.CV_32F).var()`` per image (3 x 3 aperture, border
    reflected without repeating the edge pixel, float32 arithmetic), computed for the
    whole batch at once. Returns a float64 array with one value per image.

    Example:
        >>> laplacian_variance(np.zeros((3, 28, 28, 1), np.float32))
        array([0., 0., 0.])
    """
    x = as_images(images)[..., 0]
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)), mode="reflect")
    lap = (p[:, :-2, 1:-1] + p[:, 2:, 1:-1] + p[:, 1:-1, :-2] + p[:, 1:-1, 2:]
           - np.float32(4.0) * x)
    return lap.reshape(lap.shape[0], -1).var(axis=1, dtype=np.float64)


def classifier_accuracy(classifier, images, labels) -> float:
    """Fraction of `images` that `classifier` (e.g. the perceptual model) labels correctly.

    Example:
        >>> classifier_accuracy(load_pretrained("classifier"), x_test, y_test)  # doctest: +SKIP
    """
    x = as_images(images)
    y = as_labels(labels, n=x.shape[0])
    return float(np.mean(predict_digits(classifier, x) == y))


def predict_digits(classifier, images) -> np.ndarray:
    """The classifier's most probable digit for each image."""
    x = as_images(images)
    probs = predict_in_chunks(classifier, x)
    return probs.argmax(axis=1)


def reconstruction_errors(images, reconstructions) -> dict:
    """Mean per-pixel binary cross-entropy and squared error between images and reconstructions.

    Example:
        >>> reconstruction_errors(x, x)["mse"]  # doctest: +SKIP
        0.0
    """
    x = as_images(images, "images")
    r = as_images(reconstructions, "reconstructions")
    if x.shape != r.shape:
        raise ValueError(f"reconstructions: expected shape {x.shape} like images, got {r.shape}")
    eps = 1e-7
    rc = np.clip(r.astype(np.float64), eps, 1 - eps)
    bce = -(x * np.log(rc) + (1 - x) * np.log1p(-rc))
    return {"bce": float(bce.mean()), "mse": float(np.mean((x - r.astype(np.float64)) ** 2))}
