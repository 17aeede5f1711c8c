"""Image metrics: blur (variance of the Laplacian), classifier accuracy, reconstruction error."""

from __future__ import annotations

import numpy as np

from .checks import as_images, as_labels
from .inference import model_images, predict_in_chunks

# ITU-R BT.601 luma weights, as cv2.cvtColor(..., cv2.COLOR_RGB2GRAY) uses.
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def laplacian_variance(images) -> np.ndarray:
    """Variance of the Laplacian of each image: lower means blurrier.

    Matches ``cv2.Laplacian(img, cv2.CV_32F).var()`` per image (3 x 3 aperture, border
    reflected without repeating the edge pixel, float32 arithmetic), computed for the
    whole batch at once. Images of any size work; colour images are measured on their
    luminance (BT.601 weights, as ``cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)``), because blur
    is a matter of edges, which all three channels share. Returns a float64 array with one
    value per image.

    Example:
        >>> laplacian_variance(np.zeros((3, 28, 28, 1), np.float32))
        array([0., 0., 0.])
    """
    x = as_images(images, shape=None)
    x = x[..., 0] if x.shape[-1] == 1 else x @ LUMA
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)), mode="reflect")
    lap = (p[:, :-2, 1:-1] + p[:, 2:, 1:-1] + p[:, 1:-1, :-2] + p[:, 1:-1, 2:]
           - np.float32(4.0) * x)
    return lap.reshape(lap.shape[0], -1).var(axis=1, dtype=np.float64)


def classifier_accuracy(classifier, images, labels) -> float:
    """Fraction of `images` that `classifier` (e.g. the perceptual model) labels correctly.

    Example:
        >>> classifier_accuracy(load_pretrained("classifier"), x_test, y_test)  # doctest: +SKIP
    """
    x = model_images(classifier, images)
    y = as_labels(labels, n=x.shape[0])
    return float(np.mean(predict_digits(classifier, x) == y))


def predict_digits(classifier, images) -> np.ndarray:
    """The classifier's most probable digit for each image."""
    x = model_images(classifier, images)
    probs = predict_in_chunks(classifier, x)
    return probs.argmax(axis=1)


def reconstruction_errors(images, reconstructions) -> dict:
    """Mean per-pixel binary cross-entropy and squared error between images and reconstructions.

    Example:
        >>> reconstruction_errors(x, x)["mse"]  # doctest: +SKIP
        0.0
    """
    x = as_images(images, "images", shape=None)
    r = as_images(reconstructions, "reconstructions", shape=None)
    if x.shape != r.shape:
        raise ValueError(f"reconstructions: expected shape {x.shape} like images, got {r.shape}")
    eps = 1e-7
    rc = np.clip(r.astype(np.float64), eps, 1 - eps)
    bce = -(x * np.log(rc) + (1 - x) * np.log1p(-rc))
    return {"bce": float(bce.mean()), "mse": float(np.mean((x - r.astype(np.float64)) ** 2))}
