"""Shared fixtures: synthetic MNIST-like files, real MNIST when VAELAB_DATA has it, tiny models;
the ``backends`` marker."""

import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Training plans are measured only where a test asks (test_execution.py), and never cached in
# the user's own cache folder: timings would make other tests' numbers depend on the machine.
os.environ.setdefault("VAELAB_TUNE", "off")
os.environ.setdefault("VAELAB_CACHE", tempfile.mkdtemp(prefix="vaelab-test-cache-"))
# Run against the checkout when vaelab is not installed (e.g. a bare venv with the dependencies).
if importlib.util.find_spec("vaelab") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))

import keras  # noqa: E402

import vaelab  # noqa: E402
from helpers import backends_skip_reason, synthetic_images  # noqa: E402
from vaelab.export import export_pretrained  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """Skip a test marked ``backends(*names, reason=...)`` when Keras runs on none of `names`,
    with its reason, so that ``pytest -rs`` lists what is not run on this backend and why."""
    for item in items:
        marker = item.get_closest_marker("backends")
        if marker is None:
            continue
        try:
            reason = backends_skip_reason(marker.args, marker.kwargs, keras.backend.backend())
        except ValueError as err:
            raise pytest.UsageError(f"{item.nodeid}: {err}") from None
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def mnist():
    """Real MNIST from VAELAB_DATA; tests that want real digits skip without it."""
    folder = os.environ.get("VAELAB_DATA")
    if not folder or not Path(folder).is_dir():
        pytest.skip("real MNIST not available: set VAELAB_DATA to a folder with MNIST")
    return vaelab.load_mnist(folder, download=False)


@pytest.fixture(scope="session")
def digits(mnist):
    """The first 256 real training images with labels."""
    (x_train, y_train), _ = mnist
    return x_train[:256], y_train[:256]


@pytest.fixture(scope="session")
def images():
    """60 synthetic images with labels cycling through 0..9 (six of each digit)."""
    return synthetic_images(60, seed=3), (np.arange(60) % 10).astype(np.uint8)


@pytest.fixture(scope="session")
def classifier():
    """An untrained perceptual classifier (seeded)."""
    return vaelab.build_perceptual_model(seed=2)


@pytest.fixture(scope="session")
def tiny_weights_dir(tmp_path_factory, classifier):
    """A weights folder with all four pretrained names exported from untrained models."""
    folder = tmp_path_factory.mktemp("weights")
    common = {"data": "synthetic", "seed": 1}
    export_pretrained(classifier, "classifier",
                      {**common, "architecture": "perceptual_model", "latent_dim": None}, folder)
    export_pretrained(vaelab.build_vae(latent_dim=5, seed=1), "vae",
                      {**common, "architecture": "vae", "latent_dim": 5, "recipe": "elbo"},
                      folder)
    export_pretrained(vaelab.build_dfc_vae(classifier, latent_dim=5, seed=2), "dfc_vae",
                      {**common, "architecture": "dfc_vae", "latent_dim": 5, "recipe": "elbo",
                       "layers": ["conv1", "conv2"], "layer_weights": [1.0, 1.0],
                       "perceptual_model": "classifier"}, folder)
    export_pretrained(vaelab.build_vae(latent_dim=2, recipe="book", seed=1), "vae_2d",
                      {**common, "architecture": "vae", "latent_dim": 2, "recipe": "book"},
                      folder)
    return folder
