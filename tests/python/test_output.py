"""vaelab.output: no TensorFlow start-up noise or retracing notes unless asked, progress in the
CLI."""

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import synthetic_mnist_npz
from vaelab import output

PYTHON_DIR = str(Path(__file__).resolve().parents[2] / "python")
# Seven fresh models predicting: enough tf.function retracing for TensorFlow to warn.
RETRACES = """
import numpy as np
import vaelab
x = np.zeros((3, 28, 28, 1), "float32")
for seed in range(7):
    vaelab.encode(vaelab.build_vae(seed=seed), x)
print("ok")
"""


def run_fresh(args, **env):
    """``python *args`` as a user starts it: no TF_CPP_MIN_LOG_LEVEL unless `env` sets one."""
    base = {k: v for k, v in os.environ.items()
            if k not in ("TF_CPP_MIN_LOG_LEVEL", "VAELAB_VERBOSE")}
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600,
                          env={**base, "PYTHONPATH": PYTHON_DIR, **env})
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def noise_lines(text):
    return [line for line in text.splitlines()
            if output.NOISE.search(line) or output.RETRACING in line]


@pytest.mark.parametrize("env, expected", [
    ({}, False), ({"VAELAB_VERBOSE": "1"}, True), ({"VAELAB_VERBOSE": "0"}, False),
    ({"TF_CPP_MIN_LOG_LEVEL": "0"}, True), ({"TF_CPP_MIN_LOG_LEVEL": "1"}, True),
    ({"TF_CPP_MIN_LOG_LEVEL": "2"}, False), ({"TF_CPP_MIN_LOG_LEVEL": "3"}, False),
])
def test_verbose_when_the_user_asks(monkeypatch, env, expected):
    monkeypatch.delenv("VAELAB_VERBOSE", raising=False)
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert output.verbose() is expected


def test_import_and_prediction_are_quiet():
    done = run_fresh(["-c", RETRACES])
    assert done.stdout.strip() == "ok"
    assert noise_lines(done.stderr) == []


@pytest.mark.backends("tensorflow", reason="the retracing note is tf.function's, which runs "
                      "models on TensorFlow only")
def test_verbose_shows_tensorflow_messages():
    done = run_fresh(["-c", RETRACES], VAELAB_VERBOSE="1")
    assert output.RETRACING in done.stderr


def test_the_filter_keeps_real_messages():
    # Written below Python, as C++ code writes, and through Python's sys.stderr.
    script = (
        "import os, sys\n"
        "from vaelab.output import _filtered_stderr\n"
        "with _filtered_stderr():\n"
        "    os.write(2, b'W0000 cuda_platform.cc:52] failed call to cuInit: UNKNOWN ERROR\\n'\n"
        "                b'a real C++ warning\\n')\n"
        "    print('a real Python warning', file=sys.stderr)\n"
        "print('after', file=sys.stderr)\n")
    done = run_fresh(["-c", script])
    assert done.stderr == "a real C++ warning\na real Python warning\nafter\n"


def test_retracing_notes_are_dropped_and_other_warnings_kept(caplog):
    logger = logging.getLogger("vaelab.test_output")  # stands in for "tensorflow"
    logger.addFilter(output._not_retracing)
    with caplog.at_level(logging.WARNING, logger=logger.name):
        logger.warning("5 out of the last 5 calls to <function f> triggered tf.function "
                       "retracing. Tracing is expensive")
        logger.warning("something that matters")
    assert [r.getMessage() for r in caplog.records] == ["something that matters"]


def test_cli_shows_progress_and_no_noise(tmp_path, tiny_weights_dir):
    data = synthetic_mnist_npz(tmp_path / "mnist", n_train=60, n_test=120).parent
    done = run_fresh(["-m", "vaelab", "evaluate", "--weights-dir", str(tiny_weights_dir),
                      "--data", str(data), "--no-verify", "--out", str(tmp_path / "out")])
    assert noise_lines(done.stderr) == []
    assert re.search(r"^vaelab: reconstructing 120 test images with the DFC VAE$",
                     done.stderr, re.M), done.stderr
    assert "wrote" in done.stdout


def test_library_use_keeps_progress_quiet():
    # A fresh interpreter: the CLI, run in this one by other tests, turns progress on.
    done = run_fresh(["-c", "import vaelab.output as o; o.progress.info('reconstructing')"])
    assert done.stderr == ""


@pytest.mark.parametrize("tty, expected", [(True, 1), (False, 2)])
def test_auto_verbosity_draws_a_bar_only_on_a_terminal(monkeypatch, tty, expected):
    class Stream:
        def isatty(self):
            return tty

    monkeypatch.setattr(sys, "stdout", Stream())
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert output.keras_verbose("auto") == expected
    assert output.keras_verbose(0) == 0
