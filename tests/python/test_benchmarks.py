"""benchmarks/dfc_epochs.py, the script that times issue 5's GPU target, runs and judges it;
benchmarks/faces_speed.py, the 64 x 64 colour VAEs against plain Keras, runs and summarises;
benchmarks/scale_speed.py, data-parallel training on JAX, runs on simulated devices."""

import importlib.util
import json
import os
import re
import statistics
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from helpers import OWN_BACKEND, run_python, synthetic_mnist_npz

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "dfc_epochs.py"
FACES_SCRIPT = SCRIPT.parent / "faces_speed.py"
SCALE_SCRIPT = SCRIPT.parent / "scale_speed.py"


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


@pytest.fixture(scope="module")
def scale_speed():
    return load_script(SCALE_SCRIPT)


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


@pytest.mark.backends(
    "tensorflow", reason="faces_speed.py's own code is the same on every backend, and 64 x 64 "
    "colour VAEs train on each in test_training and test_models; its four fresh interpreters "
    "took 4 min on JAX")
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
    # Zen 4 has the AVX-512 instructions but runs them on 8-lane units (Zen 5, family 26,
    # on 16-lane ones).
    zen = {"vendor_id": "AuthenticAMD", "flags": "avx avx2 fma avx512f", "cpu MHz": "2000.000"}
    monkeypatch.setattr(train_speed, "_cpuinfo", lambda: {**zen, "cpu family": "25"})
    assert train_speed.peak_gflops()[0] == pytest.approx(2 * 2.0 * 32)
    monkeypatch.setattr(train_speed, "_cpuinfo", lambda: {**zen, "cpu family": "26"})
    assert train_speed.peak_gflops()[0] == pytest.approx(2 * 2.0 * 64)
    monkeypatch.setattr(train_speed, "_cpuinfo", lambda: {"flags": "avx avx2 fma"})
    assert train_speed.cpu_flags() == ["avx", "avx2", "fma"]


def test_train_speed_names_the_cpu_with_its_family_and_model(train_speed, monkeypatch):
    monkeypatch.setattr(train_speed, "_cpuinfo", lambda: {
        "vendor_id": "AuthenticAMD", "cpu family": "26", "model": "2", "model name": "AMD EPYC"})
    assert train_speed.cpu_name() == "AMD EPYC (AuthenticAMD, family 26, model 2)"
    assert "machine:  AMD EPYC (AuthenticAMD, family 26, model 2), " in \
        train_speed.machine_report()
    monkeypatch.setattr(train_speed, "_cpuinfo", lambda: {})
    assert train_speed.cpu_name() == (train_speed.platform.processor()
                                      or train_speed.platform.machine())


def test_train_speed_takes_the_faster_keras_model_as_baseline(train_speed, capsys):
    args = train_speed.parse_args(["--no-r", "--models", "vae", "--batch-sizes", "32"])
    rows = [{"model": "vae", "batch": 32, "impl": impl, "ips_call": ips, "ips_epoch": ips}
            for impl, ips in (("reference", 100.0), ("reference_xla", 80.0),
                              ("python", 120.0), ("python_compiled", 110.0))]
    train_speed.print_ratios(rows, {}, args, "--no-r given")
    out = capsys.readouterr().out
    assert ("baseline Keras fit, no XLA   XLA / no XLA 0.80x   vaelab 1.20x   "
            "after user compile 1.10x") in out


def test_train_speed_shows_how_the_ratio_varies_from_round_to_round(train_speed, capsys):
    args = train_speed.parse_args(["--no-r", "--models", "vae", "--batch-sizes", "32",
                                   "--images", "100", "--epochs", "1"])

    def run(round_no, epoch_s):  # one worker's result, as run_training keeps it
        return {"round": round_no, "batch_size_used": 32, "first_call": 2 * epoch_s,
                "calls": [{"wall": epoch_s, "cpu": epoch_s, "epochs": [[epoch_s, epoch_s]]}]}

    runs = {"reference": [run(1, 1.0), run(2, 2.0)], "reference_xla": [run(1, 2.0), run(2, 4.0)],
            "python": [run(1, 0.8), run(2, 1.0)],
            "python_compiled": [run(2, 1.0)]}  # its first round failed: one ratio, no range
    rows = [{"model": "vae", "batch": 32, "impl": impl, "raw": raw,
             **train_speed.summarise_training(train_speed.pool_rounds(raw), args)}
            for impl, raw in runs.items()]
    assert train_speed.round_ratios(rows[2], rows[0], "ips_epoch", args) == [1.25, 2.0]
    assert train_speed.plans_used(rows[0]) == ""
    rows[2]["raw"][0]["plan"], rows[2]["raw"][1]["plan"] = "no XLA, Keras convolutions", "XLA"
    rows[2]["raw"].append({**rows[2]["raw"][0], "round": 3})
    assert train_speed.plans_used(rows[2]) == ("no XLA, Keras convolutions (2 of 3 processes); "
                                               "XLA (1 of 3 processes)")
    train_speed.print_ratios(rows, {}, args, "--no-r given")
    out = capsys.readouterr().out
    # Medians: 0.9 s against 1.5 s per epoch; by round 1.0 / 0.8 and 2.0 / 1.0.
    assert "vaelab 1.67x (1.25-2.00 by round)   after user compile 1.50x\n" in out


def test_train_speed_worker_reports_the_plan_vaelab_trained_with(train_speed, tmp_path):
    from vaelab.execution import Plan

    train_file = tmp_path / "train.npy"
    np.save(train_file, np.random.default_rng(0).random((64, 28, 28, 1), dtype="float32"))
    spec = {"task": "train", "model": "vae", "batch_size": 32, "images": 64, "epochs": 1,
            "repeats": 1, "train_file": str(train_file)}
    ours = train_speed.train_worker({**spec, "impl": "python"})
    assert ours["plan"] in {Plan(x, s).name for x in ("model", "parts", "none")
                            for s in (True, False)}
    assert len(ours["calls"]) == 1 and len(ours["calls"][0]["epochs"]) == 1
    assert "plan" not in train_speed.train_worker({**spec, "impl": "reference"})


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

def scale_run(round_no, *epoch_seconds, devices=1):
    """One scale_speed worker's result as the orchestrator keeps it."""
    return {"round": round_no, "warmup_s": 5.0, "epochs": [[s, 3 * s] for s in epoch_seconds],
            "path": "one device" if devices == 1 else "set_distribution(DataParallel())",
            "devices_used": devices, "device_names": ["cpu:0 cpu"], "loss": 50.0}


def test_scale_speed_ratios_compare_rows_of_the_same_run(scale_speed):
    one = scale_speed.summarise([scale_run(1, 2.0, 3.0), scale_run(2, 4.0, 4.0)], images=120)
    assert one["per_round"] == {1: 48.0, 2: 30.0} and one["ips"] == pytest.approx(120 / 3.5)
    assert one["epochs_s"] == 6.5 and one["cpu_ms"] == pytest.approx(3000 * 3.5 / 120)
    # Round 1 failed on two devices: only round 2 is paired.
    two = scale_speed.summarise([scale_run(2, 2.0, 2.0, devices=2)], images=120)
    pooled, paired = scale_speed.ratio(two, one)
    assert pooled == pytest.approx(3.5 / 2.0) and paired == pytest.approx(2.0)
    args = scale_speed.parse_args(["--mode", "gpu", "--workloads", "mnist"])
    rows = {("mnist", "1", "vaelab"): one, ("mnist", "all", "vaelab"): two}
    assert scale_speed.ratio_lines(rows, args) == [
        f"  {'MNIST DFC VAE: all devices / 1 device':<62} 1.75x (2.00x)"]
    text = scale_speed.table(rows, scale_speed.rows_of(args))
    assert text.splitlines()[-1] == ("| MNIST DFC VAE | all (2) | vaelab train_vae | "
                                     "set_distribution(DataParallel()) | 60 | 60 | 4.0 | 50.00 "
                                     "| 5.0 | 50.00 |")
    del rows["mnist", "1", "vaelab"]
    assert scale_speed.ratio_lines(rows, args)[0].endswith("n/a (a row failed)")


@pytest.mark.parametrize("args, message", [
    (["--mode", "cpu", "--gpu-short"], "--gpu-short: GPU mode's sizes"),
    (["--mode", "gpu", "--mnist-images", "100"], "--mnist-images: expected a multiple of "
     "--mnist-batch (32), got 100"),
    (["--mode", "cpu", "--workloads", "faces"], "--workloads: expected a comma-separated list "
     "of mnist, got 'faces'"),
    (["--mode", "gpu", "--rounds", "0"], "--rounds: expected a whole number >= 1, got 0"),
])
def test_scale_speed_refuses_bad_arguments(scale_speed, capsys, args, message):
    with pytest.raises(SystemExit):
        scale_speed.parse_args(args)
    assert message in capsys.readouterr().err


def test_scale_speed_sizes_follow_the_mode(scale_speed):
    gpu = scale_speed.parse_args(["--mode", "gpu"])
    assert (gpu.mnist_images, gpu.mnist_epochs, gpu.workloads) == (60000, 15, ["mnist", "faces"])
    short = scale_speed.parse_args(["--gpu-short", "--mode", "gpu"])
    assert short.rounds == 1 and short.mnist_epochs == 15 and short.timeout < gpu.timeout
    # A device command lasts at most 10 minutes; the machine's start counts too.
    assert short.deadline <= 480 and gpu.deadline is None
    cpu = scale_speed.parse_args(["--mode", "cpu"])
    assert cpu.workloads == ["mnist"] and cpu.mnist_images < gpu.mnist_images


def test_scale_speed_starts_no_worker_past_the_deadline(scale_speed, capsys):
    spec = {"task": "train", "workload": "faces", "devices": "all", "impl": "vaelab"}
    assert scale_speed.run(spec, dict(os.environ), 60, end=time.time() - 1) is None
    assert "train faces all vaelab: SKIPPED (--deadline passed)" in capsys.readouterr().out


@OWN_BACKEND
def test_scale_speed_cpu_quick_run(tmp_path):
    """CPU mode: 1 and 2 simulated devices, vaelab and by hand; the same model, seed and global
    batch end on the same loss on both device counts."""
    pytest.importorskip("jax")
    out = tmp_path / "scale.json"
    run = run_python([str(SCALE_SCRIPT), "--quick", "--mode", "cpu", "--json", str(out)])
    rows = json.loads(out.read_text())["rows"]
    assert sorted(rows) == ["mnist 1 reference", "mnist 1 vaelab", "mnist 2 reference",
                            "mnist 2 vaelab"]
    assert all(row["ips"] > 0 for row in rows.values())
    assert rows["mnist 2 vaelab"]["devices_used"] == 2
    assert rows["mnist 2 reference"]["path"] == "set_distribution(DataParallel())"
    for impl in ("reference", "vaelab"):
        assert rows[f"mnist 2 {impl}"]["loss"] == pytest.approx(rows[f"mnist 1 {impl}"]["loss"],
                                                                rel=1e-3)
    assert "measures the overhead of data parallelism, not a speed-up" in run.stdout
    assert re.search(r"^  MNIST DFC VAE, 2 device\(s\): vaelab / by hand +\d+\.\d\dx "
                     r"\(\d+\.\d\dx\)$", run.stdout, re.MULTILINE)


@OWN_BACKEND
def test_scale_speed_gpu_mode_runs_the_faces_model_on_simulated_devices(tmp_path):
    """GPU mode's faces DFC VAE (the shipped classifier as its perceptual model), where no GPU
    is: on two simulated CPU devices, without TensorFlow's backend."""
    pytest.importorskip("jax")
    out = tmp_path / "scale.json"
    run = run_python([str(SCALE_SCRIPT), "--quick", "--mode", "gpu", "--workloads", "faces",
                      "--json", str(out)], JAX_PLATFORMS="cpu",
                     XLA_FLAGS="--xla_force_host_platform_device_count=2")
    rows = json.loads(out.read_text())["rows"]
    assert sorted(rows) == ["faces 1 vaelab", "faces all vaelab"]
    assert rows["faces all vaelab"]["devices_used"] == 2
    assert re.search(r"^  64 x 64 faces DFC VAE: all devices / 1 device +\d+\.\d\dx",
                     run.stdout, re.MULTILINE)


@pytest.fixture(scope="module")
def step_profile():
    return load_script(SCRIPT.parent / "step_profile.py")


# step_profile.py profiles TensorFlow's step: its parts are tf.functions.
TENSORFLOW_STEP = pytest.mark.backends(
    "tensorflow", reason="step_profile.py times TensorFlow's training step (tf.function parts, "
    "steps_per_execution > 1, which torch refuses), as the measured plans it explains")


@TENSORFLOW_STEP
def test_step_profile_times_every_part_of_a_dfc_step(step_profile):
    table = step_profile.profile_table("dfc_vae", batch_size=4, calls=1, rounds=1, peak=100.0)
    rows = {line[2:64].strip(): line[64:].split() for line in table.splitlines()[2:-1]}
    assert list(rows) == ["encoder, forward + gradients", "decoder, forward + gradients",
                          "extractor on the image, forward",
                          "extractor on the reconstruction, forward + gradient to input",
                          "optimizer update (RMSprop)", "whole step (train_on_batch)"]
    assert all(float(wall) > 0 and float(cpu) > 0 for wall, cpu, *_ in rows.values())
    assert rows["whole step (train_on_batch)"][2] == "100%"
    assert rows["optimizer update (RMSprop)"][3:] == ["-", "-"]  # no FLOPs counted
    assert re.search(r"the parts add up to \d+% of the whole step", table)


@TENSORFLOW_STEP
@pytest.mark.parametrize("kind", ["vae", "dfc_vae"])
def test_step_profile_rewrites_compute_the_models_values(step_profile, kind):
    steps, losses = step_profile.rewritten_steps(kind, batch_size=4)
    assert list(steps) == ["as written (NHWC, Keras's RMSprop)", "channels first (NCHW)",
                           "RMSprop as TensorFlow's fused kernel"]
    # Two steps from the same weights and noise: equal up to float32 rounding. A layout
    # twin that missed the decoder's reordering, or a wrong update, is off by far more.
    base = losses["as written (NHWC, Keras's RMSprop)"]
    assert all(abs(loss - base) <= 1e-4 * abs(base) for loss in losses.values())


def test_channels_first_reorders_only_the_dense_layer_beside_the_maps(step_profile):
    kernel = np.arange(2 * 14 * 14 * 64).reshape(2, 14 * 14 * 64)
    moved = step_profile.channels_first(kernel)
    # Column (c, h, w) of the twin is column (h, w, c) of the original.
    assert moved[1, 3 * 196 + 5 * 14 + 7] == kernel[1, (5 * 14 + 7) * 64 + 3]
    other = np.ones((3, 3, 32, 64))
    assert step_profile.channels_first(other) is other


@TENSORFLOW_STEP
def test_step_profile_worker_trains_with_steps_per_execution(step_profile):
    out = step_profile.fit_worker({"steps_per_execution": 4, "images": 96, "epochs": 1,
                                   "batch_size": 32})
    assert out["epoch_s"] > 0


def test_step_profile_refuses_bad_arguments(step_profile, capsys):
    with pytest.raises(SystemExit):
        step_profile.parse_args(["--rounds", "0"])
    assert "--rounds must be a positive integer" in capsys.readouterr().err


def test_step_profile_refuses_other_backends(step_profile, monkeypatch):
    # As if Keras ran on JAX: checked in every backend's run, TensorFlow's included.
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(SystemExit, match="Keras runs on jax here: run it with KERAS_BACKEND"):
        step_profile.main(["--skip-settings"])
