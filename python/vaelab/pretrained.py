"""Shipped pretrained weights: a manifest and hash-checked loading (:mod:`vaelab.export`
writes them)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import keras
import numpy as np

from .checks import IMAGE_SHAPE
from .classifiers import build_attribute_classifier
from .cvae import build_cvae
from .data import sha256_file
from .models import build_dfc_vae, build_perceptual_model, build_vae
from .vaegan import build_vaegan

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
PRETRAINED = ("classifier", "vae", "dfc_vae", "vae_2d", "cvae", "cvaegan", "faces_classifier",
              "faces_evaluator", "faces_vae", "faces_dfc_vae")


def manifest(weights_dir=None) -> dict:
    """The manifest of shipped weights: {name: entry}, empty when none are shipped.

    A `weights_dir` that is not a folder, and a manifest that is not valid, are errors
    naming the file.

    Example:
        >>> sorted(manifest())  # doctest: +SKIP
        ['classifier', 'cvaegan', 'dfc_vae', 'vae', 'vae_2d']
    """
    folder = Path(weights_dir or WEIGHTS_DIR).expanduser()
    if weights_dir is not None and not folder.is_dir():
        raise FileNotFoundError(f"weights_dir: no folder at {str(folder)!r}")
    path = folder / "manifest.json"
    if not path.exists():
        return {}
    try:
        models = json.loads(path.read_text(encoding="utf-8"))["models"]
    except (ValueError, KeyError, TypeError) as err:  # JSONDecodeError is a ValueError
        raise ValueError(
            f"{path}: not a valid manifest ({type(err).__name__}: {err}); expected JSON "
            '{"models": {name: entry}} as written by export_pretrained()'
        ) from err
    if not isinstance(models, dict):
        raise ValueError(f"{path}: \"models\" must map names to entries, got "
                         f"{type(models).__name__}")
    return models


def available_pretrained(weights_dir=None) -> list:
    """Names of the pretrained models shipped with this installation."""
    return sorted(manifest(weights_dir))


def load_pretrained(name: str, weights_dir=None) -> keras.Model:
    """Build a shipped model and load its weights after checking their sha256.

    Names: ``classifier`` (the perceptual MNIST classifier), ``vae`` and ``dfc_vae``
    (latent_dim 5, the article's recipe), ``vae_2d`` (latent_dim 2, the book's recipe),
    ``cvae`` and ``cvaegan`` (conditional VAE and conditional VAE-GAN, latent_dim 8).
    On 64 x 64 synthetic faces (:func:`vaelab.synthetic_faces`): ``faces_classifier`` (the
    attribute classifier, perceptual model of ``faces_dfc_vae``), ``faces_evaluator`` (a
    second attribute classifier, trained apart, that measures the VAEs), ``faces_vae`` and
    ``faces_dfc_vae`` (the DFC paper's architecture; their manifest entries give the
    latent size, the training and the measurements). Weights stored as float16 come back
    as the model's float32.

    Example:
        >>> vae = load_pretrained("vae")  # doctest: +SKIP
    """
    entries = manifest(weights_dir)
    if name not in entries:
        raise _not_shipped(name, entries, Path(weights_dir or WEIGHTS_DIR).expanduser())
    entry = entries[name]
    model = _build(entry, weights_dir)
    path = verified_weights_file(name, weights_dir)
    with warnings.catch_warnings():
        # Files saved after training hold the optimizer's slots; the fresh model's optimizer
        # is unbuilt and skips them, which is right for a model loaded to be used.
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        model.load_weights(path)
    return model


def _not_shipped(name, entries, folder) -> Exception:
    """The error for a model `name` absent from the manifest in `folder`: which file is
    missing, or which names can be loaded from it."""
    if not (folder / "manifest.json").exists():
        return FileNotFoundError(
            f"name: cannot load pretrained {name!r}: {folder / 'manifest.json'} does not exist "
            "(no pretrained weights are shipped there)"
        )
    shipped = ", ".join(repr(n) for n in sorted(entries)) or "none"
    known = (f"{name!r} is a vaelab model, but its weights are not shipped in {folder}"
             if name in PRETRAINED else f"no pretrained model {name!r}")
    return ValueError(f"name: {known}; expected one of those shipped there: {shipped}")


def verified_weights_file(name: str, weights_dir=None) -> Path:
    """Path of `name`'s weights file once its sha256 matches the manifest."""
    entry = manifest(weights_dir)[name]
    path = Path(weights_dir or WEIGHTS_DIR).expanduser() / entry["file"]
    if not path.is_file():
        raise FileNotFoundError(
            f"pretrained weights for {name!r} are missing: {path} (listed in "
            f"{path.parent / 'manifest.json'}); reinstall vaelab")
    actual = sha256_file(path)
    if actual != entry["sha256"]:
        raise ValueError(
            f"{path}: sha256 {actual} does not match the manifest's {entry['sha256']}; "
            "the file is corrupted or was replaced: reinstall vaelab"
        )
    return path


def load_keras2_weights(model: keras.Model, path) -> keras.Model:
    """Load a legacy Keras 2 ``.h5`` weights file into `model` by layer order (never by name).

    Keras 2 named layers ``conv2d_1``, ``dense_3`` and so on; Keras 3 names differ, so the
    arrays are taken in the file's layer order and matched shape by shape to
    ``model.weights``. Use it for weights published with the article.
    """
    import h5py

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no weights file at {str(path)!r}")
    with h5py.File(path, "r") as f:
        root = f["model_weights"] if "model_weights" in f else f
        arrays = _keras2_arrays(root)
    targets = model.weights
    if len(arrays) != len(targets):
        raise ValueError(
            f"{path}: holds {len(arrays)} weight arrays but model {model.name!r} has "
            f"{len(targets)}; expected the same architecture"
        )
    for i, (variable, value) in enumerate(zip(targets, arrays)):
        if tuple(variable.shape) != value.shape:
            raise ValueError(
                f"{path}: weight {i} has shape {value.shape} but the model expects "
                f"{tuple(variable.shape)} ({variable.path}); a different latent_dim?"
            )
    for variable, value in zip(targets, arrays):
        variable.assign(value)
    return model


def _keras2_arrays(group) -> list:
    arrays = []
    for layer in _names(group.attrs.get("layer_names", [])):
        sub = group[layer]
        names = _names(sub.attrs.get("weight_names", []))
        if names:
            arrays.extend(np.asarray(sub[w]) for w in names)
        elif "layer_names" in sub.attrs:  # a nested model saved as one layer
            arrays.extend(_keras2_arrays(sub))
    return arrays


def _names(values):
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def _build(entry: dict, weights_dir):
    arch = entry["architecture"]
    if arch == "perceptual_model":
        return build_perceptual_model()
    if arch == "attribute_classifier":
        return build_attribute_classifier(entry["input_shape"], entry["attributes"],
                                          width=entry["width"])
    if arch == "vae":
        return build_vae(latent_dim=entry["latent_dim"], recipe=entry.get("recipe", "elbo"),
                         input_shape=entry.get("input_shape", IMAGE_SHAPE),
                         likelihood=entry.get("likelihood", "bernoulli"))
    if arch == "dfc_vae":  # its image shape is the perceptual model's
        classifier = load_pretrained(entry["perceptual_model"], weights_dir)
        return build_dfc_vae(classifier, latent_dim=entry["latent_dim"],
                             layers=entry["layers"], layer_weights=entry["layer_weights"],
                             recipe=entry.get("recipe", "elbo"))
    if arch == "cvae":
        return build_cvae(latent_dim=entry["latent_dim"], recipe=entry.get("recipe", "elbo"))
    if arch == "cvaegan":
        keys = ("gamma", "beta", "dropout", "learning_rates", "win_threshold",
                "max_generator_steps", "log_var_clip")
        return build_vaegan(latent_dim=entry["latent_dim"], conditional=True,
                            **{k: entry[k] for k in keys if k in entry})
    raise ValueError(f"manifest: unknown architecture {arch!r}")
