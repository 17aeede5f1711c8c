"""A machine with JAX and no TensorFlow (the GPU machines): vaelab's core imports and runs on
Keras's JAX backend in a fresh interpreter where ``import tensorflow`` fails, and the install
recipe in docs/scaling.md names every dependency but TensorFlow."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import OWN_BACKEND, run_python

pytestmark = OWN_BACKEND

ROOT = Path(__file__).resolve().parents[2]
# As if TensorFlow were not installed: `import tensorflow` raises ModuleNotFoundError and
# importlib.util.find_spec("tensorflow") is None. Set before Keras is imported.
NO_TENSORFLOW = 'import sys\nsys.modules["tensorflow"] = None\n'

CORE_SCRIPT = NO_TENSORFLOW + """
import tempfile

import keras
import numpy as np

import vaelab

assert keras.backend.backend() == "jax", keras.backend.backend()
x = np.random.default_rng(0).random((48, 28, 28, 1)).astype("float32")
vae = vaelab.build_vae(latent_dim=2, seed=1)
before = vae.get_weights()[0].copy()
history = vaelab.train_vae(vae, x, epochs=1, batch_size=16, seed=1, verbose=0)
assert np.isfinite(history.history["loss"][0]) and not np.allclose(before, vae.get_weights()[0])
assert vaelab.encode(vae, x[:5]).shape == (5, 2)
assert vaelab.reconstruct(vae, x[:5]).shape == (5, 28, 28, 1)
import jax

assert len(jax.devices()) == 2  # simulated: data parallel without TensorFlow too
history = vaelab.train_vae(vae, x, epochs=1, batch_size=16, verbose=0, distribution="all")
assert np.isfinite(history.history["loss"][0])

dfc = vaelab.build_dfc_vae(vaelab.load_pretrained("classifier"), latent_dim=2, seed=1)
assert np.isfinite(vaelab.train_vae(dfc, x, epochs=1, batch_size=16, verbose=0)
                   .history["loss"][0])
shipped = vaelab.load_pretrained("dfc_vae")
assert vaelab.reconstruct(shipped, x[:3]).shape == (3, 28, 28, 1)

faces, attributes = vaelab.synthetic_faces(16, seed=0)
assert faces.shape == (16, 64, 64, 3) and len(attributes) == 16
for name in ("faces_vae", "faces_dfc_vae"):
    out = vaelab.reconstruct(vaelab.load_pretrained(name), faces[:4])
    assert out.shape == (4, 64, 64, 3) and np.isfinite(out).all(), name
face_dfc = vaelab.build_dfc_vae(vaelab.load_pretrained("faces_classifier"), latent_dim=4,
                                layers=["conv1", "conv2", "conv3"], seed=1)
with tempfile.TemporaryDirectory() as folder:
    vaelab.write_celeba_layout(folder, 16, seed=0)
    history = vaelab.train_vae(face_dfc, vaelab.load_celeba(folder, size=64), epochs=1,
                               batch_size=8, verbose=0)
assert np.isfinite(history.history["loss"][0])
assert sys.modules["tensorflow"] is None, "something imported TensorFlow"
print("ok")
"""


def test_the_core_runs_on_jax_without_tensorflow():
    pytest.importorskip("jax")
    run = run_python(["-c", CORE_SCRIPT], KERAS_BACKEND="jax", JAX_PLATFORMS="cpu",
                     XLA_FLAGS="--xla_force_host_platform_device_count=2")
    assert run.stdout.strip().endswith("ok"), run.stdout[-3000:]


def test_a_tensorflow_backend_without_tensorflow_says_what_to_set(tmp_path):
    pytest.importorskip("jax")
    # An empty KERAS_HOME: no keras.json, so Keras's default backend, TensorFlow.
    env = {**{k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"},
           "KERAS_HOME": str(tmp_path), "PYTHONPATH": os.pathsep.join([str(ROOT / "python")]
                                                                      + sys.path)}
    run = subprocess.run([sys.executable, "-c", NO_TENSORFLOW + "import vaelab"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode != 0
    assert re.search(r"ImportError: Keras's backend is TensorFlow .* TensorFlow is not "
                     r"installed: install it, or set KERAS_BACKEND to jax", run.stderr), \
        run.stderr[-3000:]


def test_the_recipe_installs_every_dependency_but_tensorflow():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [d.replace(" ", "") for d in project["dependencies"]
              if not d.startswith("tensorflow")]
    text = (ROOT / "docs" / "scaling.md").read_text()
    section = text.split("## A machine with JAX and no TensorFlow", 1)[1].split("\n## ", 1)[0]
    commands = " ".join(re.findall(r"^pip install .*$", section, re.MULTILINE))
    assert "--no-deps" in commands and "tensorflow" not in commands
    missing = [d for d in wanted if f'"{d}"' not in commands]
    assert not missing, f"docs/scaling.md's recipe lacks {missing}"
