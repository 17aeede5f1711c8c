"""The README's Python tour runs as written, on real MNIST and the shipped weights."""

import re
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import pytest

import vaelab

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks() -> list:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_python_blocks():
    assert len(python_blocks()) >= 2


def test_readme_python_tour_runs(mnist, tmp_path, monkeypatch):
    # The tour reads MNIST from VAELAB_DATA, as a reader's machine would after one download.
    monkeypatch.chdir(tmp_path)
    namespace, not_shipped, not_run = {}, set(), []
    for block in python_blocks():
        missing = set(re.findall(r'load_pretrained\("(\w+)"\)', block)) - set(
            vaelab.available_pretrained())
        if missing:
            not_shipped |= missing
            continue
        if "distribution=" in block and keras.backend.backend() == "torch":
            not_run.append("data-parallel training (distribution=), which is JAX's and "
                           "TensorFlow's, not torch's (README, Backends)")
            continue
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102
    plt.close("all")
    assert (tmp_path / "manifold.png").read_bytes()[:4] == b"\x89PNG"
    assert namespace["z"].shape == (10000, 5)
    if not_shipped:
        not_run.append(f"models not shipped yet: {sorted(not_shipped)}")
    else:
        assert namespace["redrawn"].shape == (4, 10, 28, 28, 1)
        assert namespace["edits"].shape == (4, 3, 28, 28, 1)
    if not_run:
        pytest.skip("README blocks not run: " + "; ".join(not_run))
