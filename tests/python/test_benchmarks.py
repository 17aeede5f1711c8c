"""benchmarks/dfc_epochs.py, the script that times issue 5's GPU target, runs and judges it;
benchmarks/faces_speed.py, the 64 x 64 colour VAEs against plain Keras, runs and summarises."""

import importlib.util
import json
import re
import statistics
from pathlib import Path

import pytest

from helpers import run_python, synthetic_mnist_npz

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "dfc_epochs.py"
FACES_SCRIPT = SCRIPT.parent / "faces_speed.py"


def load_script(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dfc_epochs():
    return load_script(SCRIPT)


@pytest.fixture(scope="module")
def faces_speed():
    return load_script(FACES_SCRIPT)


def timings(seconds, images=60000):
    return {"backend": "jax", "devices": ["cuda:0 NVIDIA H200"], "images": images,
            "batch_size": 32, "call_s": sum(seconds) + 0.5, "epoch_s": seconds,
            "loss": [30.0] * len(seconds)}


def test_totals_separate_compilation_from_the_steady_epochs(dfc_epochs):
    totals = dfc_epochs.summarise(timings([5.0, 1.0, 2.0, 1.5]))
    assert totals["epochs_sum_s"] == 9.5 and totals["call_s"] == 10.0
    assert totals["steady_s"] == 6.0 and totals["compile_s"] == 3.5
    assert totals["img_per_s"] == 40000


@pytest.mark.parametrize("epoch, verdict", [(1.9, "met"), (2.1, "NOT met")])
def test_the_verdict_uses_the_sum_of_fifteen_epochs(dfc_epochs, epoch, verdict):
    res = timings([epoch] * 15)
    text = dfc_epochs.report(res, dfc_epochs.summarise(res))
    assert text.splitlines()[-1].endswith(f"s, {verdict}")
    res = timings([epoch] * 15, images=2048)
    assert "target" not in dfc_epochs.report(res, dfc_epochs.summarise(res))


def test_a_short_run_writes_every_epoch(tmp_path):
    data = synthetic_mnist_npz(tmp_path / "mnist", n_train=64).parent
    out = tmp_path / "dfc.json"
    run = run_python([str(SCRIPT), "--epochs", "2", "--images", "64", "--data", str(data),
                      "--no-verify", "--json", str(out)])
    res = json.loads(out.read_text())
    assert res["images"] == 64 and len(res["epoch_s"]) == len(res["loss"]) == 2
    assert res["totals"]["epochs_sum_s"] == pytest.approx(sum(res["epoch_s"]))
    assert "| train_vae call |" in run.stdout


def test_bad_arguments_are_refused(capsys, dfc_epochs):
    with pytest.raises(SystemExit):
        dfc_epochs.parse_args(["--epochs", "0"])
    assert "--epochs: expected a positive integer, got 0" in capsys.readouterr().err


def test_more_images_than_mnist_has_is_refused(dfc_epochs, tmp_path):
    data = synthetic_mnist_npz(tmp_path, n_train=64).parent
    with pytest.raises(SystemExit, match="--images 65: MNIST's training set has only 64"):
        dfc_epochs.time_training(dfc_epochs.parse_args(["--images", "65", "--data", str(data),
                                                        "--no-verify"]))


def test_distance_benchmark_runs_and_both_implementations_agree(mnist):
    script = SCRIPT.parent / "distances.py"
    out = run_python([str(script), "--n", "300", "--subsets", "2", "--subset-size", "100"]).stdout
    assert "vaelab / reference speed:" in out
    fid, kid = (line.split() for line in out.splitlines()[-2:])
    assert fid[0] == "FID" and kid[0] == "KID"
    assert float(fid[2]) == pytest.approx(float(fid[4]), rel=1e-4)
    assert float(kid[2]) == pytest.approx(float(kid[4]), rel=1e-4)


def faces_run(round_no, *epoch_seconds):
    """One worker's result as the orchestrator keeps it: [wall, CPU] seconds per epoch."""
    return {"round": round_no, "warmup_s": 9.0, "epochs": [[s, 2 * s] for s in epoch_seconds]}


def test_faces_speed_pools_the_rounds_and_pairs_them(faces_speed):
    reference = faces_speed.summarise([faces_run(1, 2.0, 2.0), faces_run(2, 4.0, 4.0),
                                       faces_run(3, 2.0, 2.0)], images=200)
    assert reference["per_round"] == {1: 100.0, 2: 50.0, 3: 100.0}
    assert reference["ips"] == 100.0 and reference["cpu_ms"] == pytest.approx(20.0)
    # Round 2 failed for this row: it is left out of the pairs.
    vaelab = faces_speed.summarise([faces_run(1, 1.0), faces_run(3, 1.6)], images=200)
    pooled, paired = faces_speed.ratios(vaelab, reference)
    assert pooled == pytest.approx(200 / 1.3 / 100)
    assert paired == pytest.approx(statistics.median([2.0, 1.25]))
    text = faces_speed.table({("dfc_vae", "reference"): reference,
                              ("dfc_vae", "vaelab"): vaelab}, ["dfc_vae"], ["reference", "vaelab"])
    assert text.splitlines()[-2:] == [
        "| DFC VAE | Keras fit, no XLA | 100, 50, 100 | 100 | 20.00 | 9.0 | - |",
        "| DFC VAE | vaelab train_vae | 200, 125 | 154 | 13.00 | 9.0 | 1.54x (1.62x) |"]


@pytest.mark.parametrize("args, message", [
    (["--size", "40"], "--size: expected a multiple of 16"),
    (["--impls", "vaelab"], "--impls: the ratios need a reference"),
    (["--models", "gan"], "--models: expected a comma-separated list of vae, dfc_vae"),
    (["--rounds", "0"], "--rounds: expected a whole number >= 1, got 0"),
])
def test_faces_speed_refuses_bad_arguments(faces_speed, capsys, args, message):
    with pytest.raises(SystemExit):
        faces_speed.parse_args(args)
    assert message in capsys.readouterr().err


def test_faces_speed_quick_run(tmp_path):
    out = tmp_path / "faces.json"
    run = run_python([str(FACES_SCRIPT), "--quick", "--json", str(out)])
    rows = json.loads(out.read_text())["rows"]
    assert sorted(rows) == ["dfc_vae reference", "dfc_vae vaelab", "vae reference",
                            "vae vaelab"]
    assert all(row["ips"] > 0 and len(row["per_round"]) == 1 for row in rows.values())
    assert re.search(r"^cpu flags: .*\(of those that matter here\)$", run.stdout, re.MULTILINE)
    assert re.search(r"^fp32 peak: about \d+ GFLOP/s \(\d+ cores x ", run.stdout, re.MULTILINE)
    assert re.search(r"^\| DFC VAE \| vaelab train_vae \| \d+ \| \d+ \| .* \| "
                     r"\d+\.\d\dx \(\d+\.\d\dx\) \|$", run.stdout, re.MULTILINE)


@pytest.fixture(scope="module")
def train_speed():
    return load_script(SCRIPT.parent / "train_speed.py")


def test_train_speed_counts_a_training_steps_operations(train_speed):
    """The article's plain VAE, counted by hand: 2 x multiply-adds of each convolution at its
    output grid (the transposed one at its input grid) and each dense layer, times 3."""
    encoder = (28 * 28 * 9 * 1 * 32 + 14 * 14 * 9 * 32 * 64 + 2 * 14 * 14 * 9 * 64 * 64
               + 12544 * 32 + 2 * 32 * 5)
    decoder = 5 * 12544 + 14 * 14 * 9 * 64 * 32 + 28 * 28 * 9 * 32 * 1
    assert train_speed.training_flops("vae") == 3 * 2 * (encoder + decoder)
    extractor = 26 * 26 * 9 * 32 + 11 * 11 * 9 * 32 * 64
    assert train_speed.training_flops("dfc_vae") == 3 * 2 * (encoder + decoder + extractor)


def test_train_speed_estimates_the_peak_from_the_cpu(train_speed, monkeypatch):
    monkeypatch.setattr(train_speed, "_cpuinfo", lambda: {"flags": "fpu avx avx2 fma avx512f",
                                                          "cpu MHz": "2000.000"})
    monkeypatch.setattr(train_speed.os, "sched_getaffinity", lambda pid: {0, 1})
    peak, how = train_speed.peak_gflops()
    assert peak == pytest.approx(2 * 2.0 * 64) and how == ("2 cores x 2.00 GHz x 64 fp32 "
                                                            "operations per cycle")
    monkeypatch.setattr(train_speed, "_cpuinfo", lambda: {"flags": "avx avx2 fma"})
    assert train_speed.cpu_flags() == ["avx", "avx2", "fma"]


def test_train_speed_takes_the_faster_keras_model_as_baseline(train_speed, capsys):
    args = train_speed.parse_args(["--no-r", "--models", "vae", "--batch-sizes", "32"])
    rows = [{"model": "vae", "batch": 32, "impl": impl, "ips_call": ips, "ips_epoch": ips}
            for impl, ips in (("reference", 100.0), ("reference_xla", 80.0),
                              ("python", 120.0), ("python_compiled", 110.0))]
    train_speed.print_ratios(rows, {}, args, "--no-r given")
    out = capsys.readouterr().out
    assert ("baseline Keras fit, no XLA   XLA / no XLA 0.80x   vaelab 1.20x   "
            "after user compile 1.10x") in out


def test_precision_report_checks_the_conclusions_in_each_precision():
    precision = load_script(SCRIPT.parent / "precision.py")
    from vaelab.stats import TTestResult

    def run(loss, epoch_s):
        return {"epoch_s": [epoch_s] * 3, "history": {"loss": [loss]}, "test_kl": 5.0,
                "test_bce": 0.1}

    results = {("vae", "float32"): run(100.0, 2.0), ("vae", "bfloat16"): run(101.0, 1.0),
               ("dfc_vae", "float32"): run(50.0, 4.0), ("dfc_vae", "bfloat16"): run(51.0, 2.5)}
    rows = {"original": {"sharpness": 0.15, "accuracy": 0.99}}
    for key, accuracy in ((("vae", "float32"), 0.8), (("vae", "bfloat16"), 0.8),
                          (("dfc_vae", "float32"), 0.9), (("dfc_vae", "bfloat16"), 0.7)):
        rows[key] = {"sharpness": 0.01, "accuracy": accuracy}
    test = TTestResult(20.0, 1e-9, 99.0, 0.004, (0.003, 0.005), 0.95, "scipy")
    text = precision.report(results, {"rows": rows, "tests": {"float32": test,
                                                             "bfloat16": test}}, images=100)
    assert "plain VAE: bfloat16 trains 2.00x as fast as float32 per epoch" in text
    assert "DFC VAE: bfloat16 trains 1.60x as fast" in text
    assert "bfloat16: DFC VAE sharper than plain VAE: yes (t = 20.0, p = 1e-09); better " \
           "recognised: no" in text
    assert text.endswith("conclusions the same in both precisions: NO")
