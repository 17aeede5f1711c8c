"""Evaluating trained models side by side: sharpness, paired tests, recognisability, errors.

:func:`evaluate` measures digits, :func:`evaluate_faces` images with named attributes, and
:mod:`vaelab.report` writes what they measured. Plain, DFC, conditional and VAE-GAN models
mix freely: conditional ones reconstruct with the labels. :func:`attribute_effect` measures
an attribute vector: how much of the attribute an evaluator sees as it is added.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .attributes import apply_attribute, as_attribute_table
from .checks import as_images, as_models
from .classifiers import attribute_accuracy, attribute_names, attribute_probabilities
from .cvae import generation_accuracy, style_transfer
from .inference import is_conditional, reconstruct
from .metrics import classifier_accuracy, laplacian_variance, predict_digits, reconstruction_errors
from .output import progress
from .stats import blur_comparison, default_groups, paired_comparisons

# The one group of faces: they have no classes whose sharpness differs, as the digit 1 does.
ALL_FACES = "all faces"


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


def evaluate_faces(models: dict, evaluator, images, attributes, vectors: dict | None = None,
                   strengths=(0.0, 1.0, 2.0, 3.0)) -> dict:
    """Sharpness, paired tests, attribute accuracy and attribute edits of every model.

    The faces' counterpart of :func:`compare_sharpness`, for images with named +1/-1
    `attributes` (synthetic faces or CelebA): `models` maps a display name to a trained
    VAE, `evaluator` is an attribute classifier trained apart from any perceptual model
    (:mod:`vaelab.classifiers` says why). Returns ``{"n_images", "mean_laplacian_variance":
    {name: mean}, "tests": DataFrame of the paired tests between every two image sets, one
    group "all faces" (columns as :func:`vaelab.blur_comparison`), "attribute_accuracy":
    {name: {attribute: accuracy, "mean": ...}}, "reconstruction_error": {name: {"bce",
    "mse"}}}``; ``"original"`` is the images themselves. With `vectors`, ``{name:
    {attribute: vector}}`` as :func:`vaelab.attribute_vectors` gives them for some of the
    models, it also holds ``"strengths"`` and ``"attribute_effect": {name: {attribute:
    [mean P(attribute) per strength]}}``, each measured by :func:`attribute_effect` on the
    images without that attribute.

    Example:
        >>> evaluate_faces({"plain VAE": vae, "DFC VAE": dfc}, evaluator, x_test,
        ...                a_test)["attribute_accuracy"]["DFC VAE"]["mean"]  # doctest: +SKIP
    """
    models = as_models(models)
    x = as_images(images, shape=None)
    table = as_attribute_table(attributes, n=len(x))
    vectors = _vectors_by_model(vectors, models, table)
    recs = {}
    for name, model in models.items():
        progress.info("reconstructing %d faces with the %s", len(x), name)
        recs[name] = reconstruct(model, x)
    blur = {"original": laplacian_variance(x)}
    blur.update({name: laplacian_variance(r) for name, r in recs.items()})
    progress.info("running the paired tests and reading the attributes")
    result = {
        "n_images": int(len(x)),
        "mean_laplacian_variance": {name: float(v.mean()) for name, v in blur.items()},
        "tests": paired_comparisons(blur, {ALL_FACES: np.ones(len(x), bool)}),
        "attribute_accuracy": {name: attribute_accuracy(evaluator, r, table)
                               for name, r in {"original": x, **recs}.items()},
        "reconstruction_error": {name: reconstruction_errors(x, r) for name, r in recs.items()},
    }
    if vectors:
        progress.info("editing the faces along the attribute vectors")
        result["strengths"] = [float(s) for s in np.atleast_1d(strengths)]
        result["attribute_effect"] = {
            name: {attribute: [float(p) for p in attribute_effect(
                models[name], evaluator, x[table[attribute].to_numpy() < 0], vector,
                strengths, attribute)] for attribute, vector in by_attribute.items()}
            for name, by_attribute in vectors.items()}
    return result


def _vectors_by_model(vectors, models, table) -> dict:
    """`vectors` ({model name: {attribute: vector}}, or None) checked against the `models`
    and the columns of the attribute `table`."""
    if vectors is None:
        return {}
    expected = f"vectors: expected {{model name: {{attribute: vector}}}} for models among " \
        f"{list(models)}, got "
    if not isinstance(vectors, dict):
        raise ValueError(expected + type(vectors).__name__)
    unknown = sorted(set(vectors) - set(models))
    if unknown:
        raise ValueError(expected + str(unknown))
    odd = [name for name, v in vectors.items() if not isinstance(v, dict)]
    if odd:
        raise ValueError(expected + f"{type(vectors[odd[0]]).__name__} for {odd[0]!r}")
    for name, by_attribute in vectors.items():
        for attribute in by_attribute:
            if attribute not in table.columns:
                raise ValueError(f"vectors[{name!r}]: {attribute!r} is not a column of "
                                 f"attributes ({', '.join(table.columns)})")
    return vectors


def attribute_effect(model, evaluator, images, vector, strengths, attribute: str) -> np.ndarray:
    """The evaluator's mean P(`attribute`) over `images` edited by each multiple of `vector`.

    Each image's latent vector gets ``strength * vector`` added for every entry of
    `strengths` (:func:`vaelab.apply_attribute`), and `evaluator`, an attribute classifier,
    reads `attribute` off the decoded images. Returns one mean probability per strength:
    on images without the attribute, a working vector raises it as the strength grows
    (strength 0 is the plain reconstruction). Measure with a classifier other than a DFC
    VAE's perceptual model (:mod:`vaelab.classifiers` says why).

    Example (the shipped DFC VAE on its test faces, its smile vector from its vector faces):
        >>> x, a = synthetic_faces(2000, seed=20161003)  # doctest: +SKIP
        >>> dfc = load_pretrained("faces_dfc_vae")  # doctest: +SKIP
        >>> faces = synthetic_faces(2000, seed=20161004)  # doctest: +SKIP
        >>> smile = attribute_vectors(dfc, *faces)["Smiling"]  # doctest: +SKIP
        >>> attribute_effect(dfc, load_pretrained("faces_evaluator"), x[a["Smiling"] < 0],
        ...                  smile, [0, 1, 2, 3], "Smiling").round(2)  # doctest: +SKIP
        array([0.1 , 0.54, 0.82, 0.92])
    """
    names = attribute_names(evaluator)
    if attribute not in names:
        raise ValueError(f"attribute: the evaluator reads {names}, not {attribute!r}")
    edits = apply_attribute(model, images, vector, strengths)
    n, m = edits.shape[:2]
    probs = attribute_probabilities(evaluator, edits.reshape((n * m,) + edits.shape[2:]))
    return probs[attribute].to_numpy().reshape(n, m).mean(axis=0)
