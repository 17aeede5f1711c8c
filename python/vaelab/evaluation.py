"""Evaluating trained models side by side: sharpness, paired tests, recognisability, errors.

:func:`evaluate` measures, :mod:`vaelab.report` writes what it measured. Plain, DFC,
conditional and VAE-GAN models mix freely: conditional ones reconstruct with the labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .checks import as_images, as_models
from .cvae import generation_accuracy, style_transfer
from .inference import is_conditional, reconstruct
from .metrics import classifier_accuracy, laplacian_variance, predict_digits, reconstruction_errors
from .output import progress
from .stats import blur_comparison, default_groups


@dataclass
class Evaluation:
    """What :func:`evaluate` measured on `n_images` test images.

    ``blur`` and ``classifier_accuracy`` are keyed by ``"original"`` and each model's name,
    the other dictionaries by model name; ``mean_laplacian_variance`` is
    ``{group: {name: mean}}`` and ``tests`` holds one row per paired test (see
    :func:`vaelab.blur_comparison`). ``reconstructions`` and ``blur`` keep the per-image
    arrays that figures need.
    """

    n_images: int
    mean_laplacian_variance: dict
    tests: pd.DataFrame
    classifier_accuracy: dict
    reconstruction_error: dict
    generation_accuracy: dict
    style_transfer: dict
    reconstructions: dict
    blur: dict

    def metrics(self) -> dict:
        """The numbers alone (no image arrays), as plain Python values for JSON."""
        return {"n_images": self.n_images,
                "generation_accuracy": self.generation_accuracy,
                "style_transfer": self.style_transfer,
                "mean_laplacian_variance": self.mean_laplacian_variance,
                "tests": self.tests.to_dict(orient="records"),
                "classifier_accuracy": self.classifier_accuracy,
                "reconstruction_error": self.reconstruction_error}


def evaluate(models: dict, classifier, images, labels, generated_per_class: int = 0,
             transferred_sevens: int = 0) -> Evaluation:
    """Blur per group, all paired tests, accuracy and errors of every model's reconstructions.

    `models` maps a display name (``"plain VAE"``, ``"DFC VAE"``) to a trained model;
    conditional models (``"cvaegan"``) reconstruct with `labels`, and with
    `generated_per_class` > 0 they also generate that many digits of each class, scored by
    `classifier` (``generation_accuracy``: does a generated 3 classify as a 3?); with
    `transferred_sevens` > 0 the first that many 7s of `images` are redrawn as every digit
    (:func:`style_transfer_accuracy`).

    Example:
        >>> evaluate({"plain VAE": vae}, clf, x_test, y_test).classifier_accuracy  # doctest: +SKIP
    """
    x = as_images(images)
    recs = {}
    for name, model in as_models(models).items():
        progress.info("reconstructing %d test images with the %s", len(x), name)
        recs[name] = reconstruct(model, x, labels if is_conditional(model) else None)
    groups = default_groups(labels)
    progress.info("measuring blur and running the paired tests")
    blur = {"original": laplacian_variance(x)}
    blur.update({name: laplacian_variance(r) for name, r in recs.items()})
    tests = blur_comparison(x, labels, recs)
    progress.info("classifying originals and reconstructions")
    accuracy = {"original": classifier_accuracy(classifier, x, labels)}
    accuracy.update({name: classifier_accuracy(classifier, r, labels)
                     for name, r in recs.items()})
    generation = {name: generation_accuracy(model, classifier, generated_per_class, seed=0)
                  for name, model in models.items()
                  if generated_per_class and is_conditional(model)}
    sevens = x[np.asarray(labels) == 7][:transferred_sevens]
    transfers = {name: style_transfer_accuracy(model, classifier, sevens, 7)
                 for name, model in models.items() if len(sevens) and is_conditional(model)}
    return Evaluation(
        n_images=int(len(x)),
        mean_laplacian_variance={group: {name: float(v[mask].mean()) for name, v in blur.items()}
                                 for group, mask in groups.items()},
        tests=tests,
        classifier_accuracy=accuracy,
        reconstruction_error={name: reconstruction_errors(x, r) for name, r in recs.items()},
        generation_accuracy=generation,
        style_transfer=transfers,
        reconstructions=recs,
        blur=blur,
    )


def compare_sharpness(models: dict, classifier, images, labels) -> dict:
    """The DFC VAE's evaluation for any mix of plain, DFC, conditional and VAE-GAN models.

    Reconstructs `images` with every model (conditional ones get `labels`) and returns
    ``{"mean_laplacian_variance": {group: {name: mean}}, "tests": DataFrame of all paired
    tests (see :func:`vaelab.blur_comparison`), "classifier_accuracy": {name: accuracy on
    the reconstructions, "original" included}}``.

    Example:
        >>> compare_sharpness({"plain VAE": vae, "DFC VAE": dfc, "VAE-GAN": gan},
        ...                   clf, x_test, y_test)  # doctest: +SKIP
    """
    result = evaluate(models, classifier, images, labels)
    return {"mean_laplacian_variance": result.mean_laplacian_variance,
            "tests": result.tests,
            "classifier_accuracy": result.classifier_accuracy}


def style_transfer_accuracy(model, classifier, images, source_label, targets=range(10)) -> dict:
    """How often `classifier` reads `images`, redrawn by a conditional `model` as each of the
    `targets` digits, as the digit asked for: ``{"overall", "per_target"}``.

    Example:
        >>> sevens = x_test[y_test == 7][:50]  # doctest: +SKIP
        >>> style_transfer_accuracy(gan, clf, sevens, 7)["overall"]  # doctest: +SKIP
        0.992
    """
    targets = np.atleast_1d(np.asarray(targets))
    redrawn = style_transfer(model, images, source_label, targets)
    n, m = redrawn.shape[:2]
    predicted = predict_digits(classifier, redrawn.reshape((n * m,) + redrawn.shape[2:]))
    per_target = (predicted.reshape(n, m) == targets).mean(axis=0)
    return {"overall": float(per_target.mean()), "per_target": [float(a) for a in per_target]}
