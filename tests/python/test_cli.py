"""vaelab.cli: help for every subcommand, a tiny training run, evaluate, errors as exit code 2."""

import json
import re

import matplotlib.pyplot as plt
import pytest

import vaelab
from helpers import assert_no_temp_files, run_python, synthetic_mnist_npz
from vaelab.cli import main

# Weights saved from a trained model carry optimizer slots that a fresh model skips.
pytestmark = pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """Synthetic MNIST with 120 training and 120 test images (an npz has no fixed counts)."""
    folder = tmp_path_factory.mktemp("mnist")
    synthetic_mnist_npz(folder, n_train=120, n_test=120)
    return folder


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("command, words", [
    ([], ["train", "evaluate", "demo"]),
    (["train"], ["--model", "--epochs", "--batch-size", "--classifier", "--subset", "--data"]),
    (["evaluate"], ["--weights-dir", "--out", "--subset"]),
    (["demo"], ["--epochs", "--out", "--seed"]),
])
def test_help(capsys, command, words):
    with pytest.raises(SystemExit) as exit_:
        main(command + ["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: vaelab" + "".join(f" {c}" for c in command))
    for word in words:
        assert word in out


def test_python_dash_m_runs_the_cli():
    done = run_python(["-m", "vaelab", "evaluate", "--help"], TF_CPP_MIN_LOG_LEVEL="3")
    assert "usage: vaelab evaluate" in done.stdout, done.stdout


def test_train_a_tiny_vae(tmp_path, data_dir, capsys):
    out = tmp_path / "out"
    code = main(["train", "--model", "vae_2d", "--subset", "48", "--epochs", "1",
                 "--data", str(data_dir), "--no-verify", "--out", str(out)])
    assert code == 0
    assert f"saved {out / 'vae_2d.weights.h5'}" in capsys.readouterr().out
    assert_no_temp_files(out, ["vae_2d.weights.h5"])
    # The recipe of vae_2d: latent_dim 2.
    vaelab.load_weights(vaelab.build_vae(latent_dim=2, recipe="book"), out / "vae_2d.weights.h5")


def test_train_a_tiny_dfc_vae_on_a_given_classifier(tmp_path, data_dir, tiny_weights_dir):
    code = main(["train", "--model", "dfc_vae", "--subset", "32", "--epochs", "1",
                 "--batch-size", "16", "--data", str(data_dir), "--no-verify",
                 "--out", str(tmp_path),
                 "--classifier", str(tiny_weights_dir / "classifier.weights.h5")])
    assert code == 0
    dfc = vaelab.build_dfc_vae(vaelab.build_perceptual_model(), latent_dim=5)
    vaelab.load_weights(dfc, tmp_path / "dfc_vae.weights.h5")


def test_evaluate_writes_a_report(tmp_path, data_dir, tiny_weights_dir, capsys):
    code = main(["evaluate", "--weights-dir", str(tiny_weights_dir), "--data", str(data_dir),
                 "--no-verify", "--subset", "60", "--out", str(tmp_path)])
    assert code == 0
    captured = capsys.readouterr()
    assert "evaluating on 100 test images" in captured.err
    assert f"wrote {tmp_path / 'report.md'}" in captured.out
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["n_images"] == 100
    assert (tmp_path / "manifold.png").exists()
    assert "pretrained weights" in (tmp_path / "report.md").read_text()


def test_demo_trains_briefly_without_shipped_weights(tmp_path, data_dir, monkeypatch, capsys):
    monkeypatch.setattr(vaelab.pretrained, "available_pretrained", lambda weights_dir=None: [])
    code = main(["demo", "--subset", "40", "--epochs", "1", "--data", str(data_dir), "--no-verify",
                 "--out", str(tmp_path)])
    assert code == 0
    assert "no pretrained weights shipped: training briefly" in capsys.readouterr().err
    assert "models trained for 1 epoch(s) on 40 images" in (tmp_path / "report.md").read_text()
    assert (tmp_path / "manifold.png").exists() and (tmp_path / "metrics.json").exists()


@pytest.mark.parametrize("args, message", [
    (["train", "--model", "vae", "--data", "{missing}"],
     r"vaelab train: error: MNIST not found at path='.*missing'"),
    (["evaluate", "--weights-dir", "{empty}", "--data", "{data}"],
     r"vaelab evaluate: error: name: cannot load pretrained 'vae': .*empty/manifest\.json "
     r"does not exist"),
    (["train", "--model", "dfc_vae", "--classifier", "{missing}/c.weights.h5", "--data", "{data}",
      "--no-verify"],
     r"vaelab train: error: no weights file at '.*c\.weights\.h5'"),
])
def test_errors_exit_with_code_2(tmp_path, data_dir, capsys, args, message):
    (tmp_path / "empty").mkdir()
    paths = {"missing": tmp_path / "missing", "empty": tmp_path / "empty", "data": data_dir}
    argv = [a.format(**paths) for a in args] + ["--out", str(tmp_path / "out")]
    assert main(argv) == 2
    assert re.search(message, capsys.readouterr().err)


@pytest.mark.parametrize("args, message", [
    (["train"], r"the following arguments are required: --model"),
    (["train", "--model", "gan"], r"argument --model: invalid choice: 'gan'"),
    (["train", "--model", "vae", "--epochs", "0"], r"argument --epochs: expected an integer "
                                                   r">= 1, got '0'"),
    (["demo", "--subset", "-5"], r"argument --subset: expected an integer >= 1, got '-5'"),
    (["fit"], r"invalid choice: 'fit'"),
])
def test_usage_errors_exit_with_code_2(capsys, args, message):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert re.search(message, capsys.readouterr().err)
