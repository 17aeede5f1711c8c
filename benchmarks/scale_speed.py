#!/usr/bin/env python
"""Data-parallel training speed of vaelab's DFC VAEs on Keras's JAX backend: one device against
all of them (GPU mode), or the overhead of 1 and 2 simulated CPU devices against the same model
trained by hand with the same strategy (CPU mode).

    python benchmarks/scale_speed.py                 # GPU mode where nvidia-smi lists a GPU
    python benchmarks/scale_speed.py --gpu-short     # GPU mode, one round (< 8 min on one H200)
    python benchmarks/scale_speed.py --mode cpu      # CPU mode: 1 and 2 simulated devices
    python benchmarks/scale_speed.py --quick         # a short run that checks every path works

GPU mode: 15 epochs of the MNIST DFC VAE (``build_dfc_vae(load_pretrained("classifier"))``)
on 60,000 images (MNIST from ``--data`` or ``VAELAB_DATA`` when set, else synthetic 28 x 28
images: speed does not depend on what they show), and one epoch of the 64 x 64 faces DFC VAE
(the recipe of data-raw/train_faces.py, perceptual model the shipped ``faces_classifier``) on
20,480 synthetic faces, each on one device (``train_vae`` as today) and on all local devices
(``train_vae(..., distribution="all")``), at the same global batch size. It needs no
TensorFlow: docs/scaling.md says how to set up a machine with JAX alone.

CPU mode: the MNIST DFC VAE (an untrained perceptual model: speed does not depend on weights)
trained by vaelab and by hand (the plain Keras model of train_speed.py, ``fit(x, None)``), on
1 device and on 2 devices simulated with
``XLA_FLAGS=--xla_force_host_platform_device_count=2``: by hand with
``keras.distribution.set_distribution(DataParallel())`` before the model is built, by vaelab
with ``distribution="all"``. The two simulated devices share the machine's cores, so this
measures what data parallelism costs, not what it gains.

Until ``train_vae`` has its ``distribution`` argument, the vaelab rows set the distribution
the way the by-hand rows do, around ``train_vae``, and the table says which path ran. Every
row runs in fresh processes, the rows taking turns round after round; each process warms up
on a few batches (every function compiled), then times its epochs with a callback. img/s is
images / median epoch; the ratios are those of the pooled medians, with in brackets the
median of the per-round ratios. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faces_speed import describe, split_list  # noqa: E402
from train_speed import (  # noqa: E402
    _vaelab_model,
    epoch_timer,
    machine_report,
    reference_parts,
    write_json,
)

ROOT = Path(__file__).resolve().parents[1]
SEED = 1
WARMUP_BATCHES = 4
WORKLOADS = ("mnist", "faces")
WORKLOAD_TITLES = {"mnist": "MNIST DFC VAE", "faces": "64 x 64 faces DFC VAE"}
IMPL_TITLES = {"reference": "by hand (Keras fit)", "vaelab": "vaelab train_vae"}
NATIVE_PATH = 'train_vae(distribution="all")'
FALLBACK_PATH = "set_distribution(DataParallel()) around train_vae"
DEVICE_FLAG = "--xla_force_host_platform_device_count"

# mnist_*: the MNIST DFC VAE's images, epochs and (global) batch size; faces_*: the faces
# DFC VAE's (one epoch). A batch size of 32 is train_vae's default; 64, train_faces.py's.
GPU_FULL = dict(rounds=2, mnist_images=60000, mnist_epochs=15, mnist_batch=32,
                faces_images=20480, faces_batch=64, timeout=900, deadline=None)
# One round of the same sizes but half the faces, for a device session: a worker stops after
# 180 s, and none runs past 450 s of the run, so it ends inside 8 minutes whatever happens.
GPU_SHORT = dict(GPU_FULL, rounds=1, faces_images=10240, timeout=180, deadline=450)
CPU_FULL = dict(GPU_FULL, rounds=2, mnist_images=2048, mnist_epochs=2, mnist_batch=64)
QUICK = dict(rounds=1, mnist_images=128, mnist_epochs=1, mnist_batch=32, faces_images=64,
             faces_batch=32, timeout=300)


# ---- the models ------------------------------------------------------------------------

def faces_dfc_vae():
    """The faces DFC VAE of data-raw/train_faces.py (its recipe, layers and perceptual model)."""
    import keras

    import vaelab

    sys.path.insert(0, str(ROOT / "data-raw"))
    from train_faces import DFC_LAYERS, VAE_RECIPE
    from train_faces import SEED as FACES_SEED

    r = VAE_RECIPE
    return vaelab.build_dfc_vae(
        vaelab.load_pretrained("faces_classifier"), latent_dim=r["latent_dim"],
        recipe=r["recipe"], optimizer=keras.optimizers.Adam(r["learning_rate"],
                                                            beta_1=r["beta_1"]),
        seed=FACES_SEED, **DFC_LAYERS)


def build(spec: dict):
    """The model `spec` names, built (under the distribution set, if any)."""
    import vaelab

    if spec["impl"] == "reference":
        return reference_parts("dfc_vae")[2]
    if spec["workload"] == "faces":
        return faces_dfc_vae()
    if spec["mode"] == "cpu":
        return _vaelab_model(vaelab, "dfc_vae")  # the twin of the by-hand model
    return vaelab.build_dfc_vae(vaelab.load_pretrained("classifier"), seed=SEED)


# ---- workers: one measurement per fresh process ---------------------------------------

def run_worker(spec: dict) -> dict:
    if spec["task"] == "data":
        return data_worker(spec)
    return train_worker(spec)


def data_worker(spec: dict) -> dict:
    """Save the images every training worker reads; say where the MNIST images came from."""
    import numpy as np

    import vaelab

    source = None
    if "mnist" in spec["workloads"]:
        n = spec["mnist_images"]
        x = vaelab.load_mnist(spec["data"], download=False, verify=spec["verify"],
                              splits="train")[0]
        if len(x) < n:
            raise SystemExit(f"--mnist-images {n}: MNIST's training set in {spec['data']} "
                             f"has only {len(x)}")
        np.save(spec["mnist_file"], x[:n])
        source = f"MNIST's training images from {spec['data']}"
    if "faces" in spec["workloads"]:
        np.save(spec["faces_file"], vaelab.synthetic_faces(spec["faces_images"], seed=SEED)[0])
    return {"mnist_source": source}


def synthetic_mnist(path: str, n: int) -> str:
    """Save `n` 28 x 28 images of uniform noise (speed does not depend on what they show)
    with NumPy alone, sparing a worker process."""
    import numpy as np

    np.save(path, np.random.default_rng(SEED).random((n, 28, 28, 1), dtype=np.float32))
    return "synthetic 28 x 28 images (uniform noise; no MNIST folder given)"


def train_worker(spec: dict) -> dict:
    """Build the model (the distribution set first where it is set by hand), warm up on a few
    batches, then time one call of `epochs` epochs."""
    import jax
    import keras
    import numpy as np

    import vaelab

    x = np.load(spec["train_file"])
    batch, parallel = spec["batch_size"], spec["devices"] != "1"
    native = "distribution" in inspect.signature(vaelab.train_vae).parameters
    path, extra = "one device", {}
    if parallel and (spec["impl"] == "reference" or not native):
        keras.distribution.set_distribution(keras.distribution.DataParallel())
        path = "set_distribution(DataParallel())" if spec["impl"] == "reference" else (
            FALLBACK_PATH)
    elif parallel:
        path, extra = NATIVE_PATH, {"distribution": "all"}
    model = build(spec)

    def fit(images, epochs, callbacks):
        if spec["impl"] == "reference":
            return model.fit(images, None, epochs=epochs, batch_size=batch, verbose=0,
                             callbacks=callbacks)
        return vaelab.train_vae(model, images, epochs=epochs, batch_size=batch, seed=SEED,
                                verbose=0, callbacks=callbacks, **extra)

    start = time.perf_counter()
    fit(x[:WARMUP_BATCHES * batch], 1, [])
    warm_s = time.perf_counter() - start
    timer = epoch_timer()
    history = fit(x, spec["epochs"], [timer])
    devices = jax.devices()
    return {"warmup_s": warm_s, "epochs": timer.epochs, "path": path,
            "devices_used": len(devices) if parallel else 1,
            "device_names": [f"{d.platform}:{d.id} {d.device_kind}" for d in devices],
            "loss": float(history.history["loss"][-1])}


# ---- the orchestrator ------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=("gpu", "cpu"),
                   help="gpu: 1 device against all of them; cpu: 1 and 2 simulated CPU devices "
                   "against training by hand (default: gpu where nvidia-smi lists a GPU)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help="a short run that checks every path (%s)" % describe(QUICK))
    size.add_argument("--gpu-short", action="store_true",
                      help="GPU mode's sizes in one round (%s)" % describe(GPU_SHORT))
    p.add_argument("--rounds", type=int, help="times every row runs, in turns, each in a fresh "
                   f"process (GPU {GPU_FULL['rounds']}, CPU {CPU_FULL['rounds']})")
    p.add_argument("--mnist-images", type=int, help="MNIST DFC VAE: images per epoch "
                   f"(GPU {GPU_FULL['mnist_images']}, CPU {CPU_FULL['mnist_images']})")
    p.add_argument("--mnist-epochs", type=int, help="MNIST DFC VAE: timed epochs "
                   f"(GPU {GPU_FULL['mnist_epochs']}, CPU {CPU_FULL['mnist_epochs']})")
    p.add_argument("--mnist-batch", type=int, help="MNIST DFC VAE: global batch size "
                   f"(GPU {GPU_FULL['mnist_batch']}, CPU {CPU_FULL['mnist_batch']})")
    p.add_argument("--faces-images", type=int,
                   help=f"faces DFC VAE (GPU mode): faces in its one epoch "
                   f"({GPU_FULL['faces_images']})")
    p.add_argument("--faces-batch", type=int, help="faces DFC VAE: global batch size "
                   f"({GPU_FULL['faces_batch']})")
    p.add_argument("--workloads", help="GPU mode, comma-separated: mnist,faces (CPU mode: mnist)")
    p.add_argument("--data", help="MNIST folder (default: $VAELAB_DATA; neither: synthetic)")
    p.add_argument("--no-verify", action="store_true",
                   help="load MNIST files whose sha256 matches no known version (test copies)")
    p.add_argument("--timeout", type=int, help="seconds one worker may take before it counts "
                   "as failed (%d; --gpu-short %d)" % (GPU_FULL["timeout"], GPU_SHORT["timeout"]))
    p.add_argument("--deadline", type=int, help="seconds the whole run may take: a worker gets "
                   "at most what is left, and the rows left then are skipped (none; "
                   f"--gpu-short {GPU_SHORT['deadline']})")
    p.add_argument("--json", help="also write every raw timing to this JSON file")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return args
    if args.mode is None:
        args.mode = "gpu" if gpus_listed() else "cpu"
    if args.gpu_short and args.mode != "gpu":
        p.error("--gpu-short: GPU mode's sizes; leave out --mode cpu")
    defaults = (QUICK if args.quick else GPU_SHORT if args.gpu_short
                else GPU_FULL if args.mode == "gpu" else CPU_FULL)
    defaults = {**GPU_FULL, **defaults,
                "workloads": "mnist,faces" if args.mode == "gpu" else "mnist"}
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    for key in ("rounds", "mnist_images", "mnist_epochs", "mnist_batch", "faces_images",
                "faces_batch", "timeout", "deadline"):
        if key == "deadline" and args.deadline is None:
            continue
        if getattr(args, key) < 1:
            p.error(f"--{key.replace('_', '-')}: expected a whole number >= 1, got "
                    f"{getattr(args, key)}")
    args.workloads = split_list(args.workloads, WORKLOADS if args.mode == "gpu" else ("mnist",),
                            "--workloads", p)
    for name in args.workloads:
        images, batch = getattr(args, f"{name}_images"), getattr(args, f"{name}_batch")
        # Whole batches: a sharded batch must split evenly over the devices.
        if images % batch:
            p.error(f"--{name}-images: expected a multiple of --{name}-batch ({batch}), "
                    f"got {images}")
    args.data = args.data or os.environ.get("VAELAB_DATA") or None
    return args


def gpus_listed() -> list[str]:
    """The GPUs nvidia-smi lists (none where it is missing or fails)."""
    if shutil.which("nvidia-smi") is None:
        return []
    out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line.startswith("GPU ")]


def rows_of(args) -> list[tuple]:
    """(workload, devices, implementation) for every row, in the order they take turns."""
    if args.mode == "gpu":
        return [(w, d, "vaelab") for w in args.workloads for d in ("1", "all")]
    return [(w, d, impl) for w in args.workloads for d in ("1", "2")
            for impl in ("reference", "vaelab")]


def worker_env(args, devices: str) -> dict:
    """The worker's environment: Keras on JAX, this checkout's vaelab, and in CPU mode JAX on
    the CPU with `devices` simulated devices."""
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "python")] + [p for p in [os.environ.get("PYTHONPATH")] if p])}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.mode == "cpu":
        flags = [f for f in env.get("XLA_FLAGS", "").split() if not f.startswith(DEVICE_FLAG)]
        env["XLA_FLAGS"] = " ".join(flags + [f"{DEVICE_FLAG}={devices}"])
        env["JAX_PLATFORMS"] = "cpu"
    return env


def run(spec: dict, env: dict, timeout: int, end: float | None = None):
    """Run one worker in a fresh process, stopped after `timeout` seconds or at time `end`
    (time.time()); its result, or None (and the reason printed)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    label = " ".join(str(spec.get(k, "")) for k in ("task", "workload", "devices", "impl"))
    if end is not None:
        if end - time.time() < 1:
            print(f"  {label}: SKIPPED (--deadline passed)", flush=True)
            return None
        timeout = min(timeout, end - time.time())
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"  {label}: FAILED (stopped after {timeout:.0f} s: --timeout or --deadline)",
              flush=True)
        return None
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    if out.returncode != 0 or not lines:
        tail = "\n    ".join((out.stderr or out.stdout).strip().splitlines()[-8:])
        print(f"  {label}: FAILED (exit {out.returncode})\n    {tail}", flush=True)
        return None
    return json.loads(lines[-1][len("RESULT "):])


def summarise(runs: list, images: int) -> dict:
    """img/s per round (median epoch of each process, keyed by round), pooled over rounds; the
    median sum of the timed epochs, CPU ms/img, warm-up and the last loss."""
    epochs = [e for r in runs for e in r["epochs"]]
    return {"per_round": {r["round"]: images / statistics.median(e[0] for e in r["epochs"])
                          for r in runs},
            "ips": images / statistics.median(e[0] for e in epochs),
            "epochs_s": statistics.median(sum(e[0] for e in r["epochs"]) for r in runs),
            "cpu_ms": 1000 * statistics.median(e[1] for e in epochs) / images,
            "warmup_s": statistics.median(r["warmup_s"] for r in runs),
            "loss": runs[-1]["loss"], "path": runs[-1]["path"],
            "devices_used": runs[-1]["devices_used"]}


def ratio(row: dict, base: dict) -> tuple:
    """(pooled, paired): row / base of the pooled img/s, and the median over rounds of the
    per-round ratios (the rounds where both ran)."""
    pairs = [row["per_round"][r] / base["per_round"][r]
             for r in row["per_round"] if r in base["per_round"]]
    return row["ips"] / base["ips"], statistics.median(pairs) if pairs else float("nan")


def table(rows: dict, keys: list) -> str:
    """The results as a Markdown table, one line per (workload, devices, implementation)."""
    lines = ["| model | devices | implementation | path | img/s per round | img/s "
             "| epochs s | CPU ms/img | warm-up s | last loss |",
             "| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for key in keys:
        workload, devices, impl = key
        row = rows.get(key)
        if row is None:
            lines.append(f"| {WORKLOAD_TITLES[workload]} | {devices} | {IMPL_TITLES[impl]} | - "
                         "| failed | - | - | - | - | - |")
            continue
        used = f" ({row['devices_used']})" if devices == "all" else ""
        lines.append(f"| {WORKLOAD_TITLES[workload]} | {devices}{used} | {IMPL_TITLES[impl]} | "
                     f"{row['path']} | " + ", ".join(f"{v:.0f}" for v in row["per_round"].values())
                     + f" | {row['ips']:.0f} | {row['epochs_s']:.1f} | {row['cpu_ms']:.2f} | "
                     f"{row['warmup_s']:.1f} | {row['loss']:.2f} |")
    return "\n".join(lines)


def ratio_lines(rows: dict, args) -> list[str]:
    """The ratios, each against a row measured in the same run (> 1: faster)."""
    lines = []

    def line(text, key, base):
        if key in rows and base in rows:
            pooled, paired = ratio(rows[key], rows[base])
            lines.append(f"  {text:<62} {pooled:.2f}x ({paired:.2f}x)")
        else:
            lines.append(f"  {text:<62} n/a (a row failed)")

    for workload in args.workloads:
        title = WORKLOAD_TITLES[workload]
        if args.mode == "gpu":
            line(f"{title}: all devices / 1 device", (workload, "all", "vaelab"),
                 (workload, "1", "vaelab"))
            continue
        for devices in ("1", "2"):
            line(f"{title}, {devices} device(s): vaelab / by hand", (workload, devices, "vaelab"),
                 (workload, devices, "reference"))
        for impl in ("reference", "vaelab"):
            line(f"{title}, {IMPL_TITLES[impl]}: 2 devices / 1", (workload, "2", impl),
                 (workload, "1", impl))
    return lines


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(run_worker(json.loads(args.worker))), flush=True)
        return 0
    started = time.time()
    end = None if args.deadline is None else started + args.deadline
    print(machine_report(), flush=True)
    gpus = gpus_listed()
    print(f"gpus:     {'; '.join(gpus) if gpus else 'none listed by nvidia-smi'}")
    sizes = {"mnist": f"MNIST DFC VAE: {args.mnist_images} images x {args.mnist_epochs} "
             f"epoch(s), global batch {args.mnist_batch}",
             "faces": f"64 x 64 faces DFC VAE: {args.faces_images} synthetic faces x 1 epoch, "
             f"global batch {args.faces_batch}"}
    if args.mode == "gpu":
        print("\nGPU mode (Keras on JAX): one device (train_vae as today) against all local "
              "devices (data parallel, the same global batch).", flush=True)
    else:
        print("\nCPU mode (Keras on JAX, JAX_PLATFORMS=cpu): 1 and 2 devices simulated with "
              f"XLA_FLAGS={DEVICE_FLAG}=N, vaelab against the same model trained by hand with "
              "the same strategy. The 2 simulated devices share this machine's "
              f"{len(os.sched_getaffinity(0))} cores: this measures the overhead of data "
              "parallelism, not a speed-up.", flush=True)
    for workload in args.workloads:
        print(f"  {sizes[workload]}")
    print(f"Each row: {args.rounds} fresh process(es), the rows taking turns; each warms up on "
          f"{WARMUP_BATCHES} batches, then times its epochs.", flush=True)
    keys = rows_of(args)
    images = {"mnist": args.mnist_images, "faces": args.faces_images}
    raw = {key: [] for key in keys}
    failed = []
    with tempfile.TemporaryDirectory(prefix="vaelab-scale-bench-") as tmp:
        files = {f"{w}_file": str(Path(tmp) / f"{w}.npy") for w in WORKLOADS}
        worker_data = [w for w in args.workloads if w == "faces" or args.data]
        data = {"mnist_source": None}
        if worker_data:
            data = run({"task": "data", "workloads": worker_data, "data": args.data,
                        "verify": not args.no_verify, "mnist_images": args.mnist_images,
                        "faces_images": args.faces_images, **files}, worker_env(args, "1"),
                       args.timeout, end)
            if data is None:
                return 1
        if "mnist" in args.workloads and not args.data:
            data["mnist_source"] = synthetic_mnist(files["mnist_file"], args.mnist_images)
        if data["mnist_source"]:
            print(f"MNIST DFC VAE images: {data['mnist_source']}", flush=True)
        for round_no in range(1, args.rounds + 1):
            round_started = time.time()
            for workload, devices, impl in keys:
                spec = {"task": "train", "mode": args.mode, "workload": workload,
                        "devices": devices, "impl": impl,
                        "train_file": files[f"{workload}_file"],
                        "epochs": args.mnist_epochs if workload == "mnist" else 1,
                        "batch_size": getattr(args, f"{workload}_batch")}
                res = run(spec, worker_env(args, devices), args.timeout, end)
                if res is None:
                    failed.append(f"{workload} {devices} {impl} (round {round_no})")
                    continue
                raw[workload, devices, impl].append({**res, "round": round_no})
                # As it comes: a run stopped from outside still leaves its numbers behind.
                seconds = [e[0] for e in res["epochs"]]
                ips = images[workload] / statistics.median(seconds)
                print(f"  {workload} {devices} {impl}: {spec['epochs']} epoch(s) in "
                      f"{sum(seconds):.1f} s, {ips:.0f} img/s, warm-up {res['warmup_s']:.1f} s, "
                      f"{res['path']}", flush=True)
            print(f"  round {round_no} of {args.rounds} done in "
                  f"{time.time() - round_started:.0f} s", flush=True)
    rows = {key: summarise(runs, images[key[0]]) for key, runs in raw.items() if runs}
    names = sorted({n for runs in raw.values() for r in runs for n in r["device_names"]})
    print(f"\ndevices seen by the workers: {', '.join(names) or 'none (every row failed)'}")
    print("\n" + table(rows, keys))
    print("\nimg/s: images / median epoch (warm: compilation is in the warm-up); epochs s: the "
          "timed epochs together; CPU ms/img: process CPU time (all threads) per image; path: "
          "how the devices were used (set_distribution: DataParallel set before the model "
          "is built).")
    print("\nRatios (img/s; > 1 is faster; in brackets the median of the per-round ratios):")
    print("\n".join(ratio_lines(rows, args)))
    print(f"\nLoad average at the end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}. "
          f"Total time: {time.time() - started:.0f} s")
    if args.json:
        write_json(Path(args.json), {"args": {k: v for k, v in vars(args).items()
                                              if k != "worker"},
                                     "mnist_source": data["mnist_source"],
                                     "raw": {" ".join(k): runs for k, runs in raw.items()},
                                     "rows": {" ".join(k): row for k, row in rows.items()}})
    if failed:
        print(f"\n{len(failed)} measurement(s) FAILED: " + "; ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
