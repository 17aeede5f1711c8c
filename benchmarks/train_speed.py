#!/usr/bin/env python
"""Speed of vaelab's training and inference paths, from Python and from R, against a
straightforward Keras 3 reference written here.

    python benchmarks/train_speed.py            # the full benchmark (about 45 min on 2 cores)
    python benchmarks/train_speed.py --quick    # a short run that checks every path works

Training: for the plain VAE and the DFC VAE (latent_dim 5, RMSprop) it times (a)
``vaelab.train_vae`` as a Python user calls it, (b) ``train_vae()`` of the R package through
``Rscript``, and (c) the reference: one Keras 3 functional model whose last layer calls
``add_loss``, trained with ``fit(x, None)``. Each (implementation, model, batch size) runs in
a fresh process: a first call of one epoch (tracing included, reported as compilation),
then repeated calls of several epochs whose medians give the steady-state throughput, per
call and, from a callback, per epoch (a gap between the two is time ``fit`` spends outside
its epochs). The rows take turns, round after round, so that a drift in the machine's speed
hits every row alike; the medians pool all rounds. Inference: encode and reconstruct 10,000
images, their Laplacian variance and the blur comparison, from Python, from R and the
straightforward way.

The table comes first; the ratios vaelab / reference come last. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
R_SCRIPT = Path(__file__).resolve().parent / "speed.R"
MODELS = ("vae", "dfc_vae")
MODEL_TITLES = {"vae": "plain VAE", "dfc_vae": "DFC VAE"}
IMPLS = ("reference", "reference_xla", "python", "python_compiled", "r")
IMPL_TITLES = {"reference": "Keras fit, no XLA", "reference_xla": "Keras fit, XLA",
               "python": "vaelab Python", "python_compiled": "vaelab, user compile",
               "r": "vaelab R"}
REFERENCES = ("reference", "reference_xla")
INFER_IMPLS = ("reference", "python", "r")
INFER_TASKS = ("encode", "reconstruct", "laplacian_variance", "blur_comparison")
LATENT_DIM = 5
SEED = 1
# fit() sometimes idles after its last epoch (a tf.data autotune tick); flag gaps above this.
OVERHEAD_NOTE_S = 0.5

FULL = dict(images=6400, infer_images=10000, rounds=3, repeats=1, epochs=2,
            batch_sizes="default,128")
QUICK = dict(images=256, infer_images=1000, rounds=1, repeats=2, epochs=1, batch_sizes="default")


# ---- the straightforward reference ---------------------------------------------------

def reference_parts(kind: str, seed: int = SEED):
    """Encoder, decoder and the trainable VAE, written the plain Keras 3 way (no vaelab), in
    Keras's image data format (channels last unless it was set otherwise)."""
    import keras
    from keras import layers, ops

    keras.utils.set_random_seed(seed)

    image = keras.Input(_in_data_format(28, 28, 1))
    h = image
    for filters, strides in ((32, 1), (64, 2), (64, 1), (64, 1)):
        h = layers.Conv2D(filters, 3, strides=strides, padding="same", activation="relu")(h)
    h = layers.Dense(32, activation="relu")(layers.Flatten()(h))
    encoder = keras.Model(image, [layers.Dense(LATENT_DIM)(h), layers.Dense(LATENT_DIM)(h)])

    z_in = keras.Input((LATENT_DIM,))
    h = layers.Reshape(_in_data_format(14, 14, 64))(
        layers.Dense(14 * 14 * 64, activation="relu")(z_in))
    h = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(h)
    decoder = keras.Model(z_in, layers.Conv2D(1, 3, padding="same", activation="sigmoid")(h))

    extractor = _reference_features() if kind == "dfc_vae" else None
    vae = reference_vae_model(encoder, decoder, ops.binary_crossentropy, extractor, seed)
    return encoder, decoder, vae


def reference_vae_model(encoder, decoder, pixel_loss, extractor=None, seed: int = SEED):
    """The trainable VAE around `encoder` and `decoder`, the plain Keras 3 way: a sampling
    layer, then a layer that adds the loss per image with add_loss (`pixel_loss(x, decoded)`
    summed over the pixels, or with `extractor` the squared distance of its features, plus
    KL), averaged over the batch; compiled with RMSprop."""
    import keras
    from keras import layers, ops

    class Sampler(layers.Layer):
        """z = mean + exp(log_var / 2) * noise."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seeds = keras.random.SeedGenerator(seed)

        def call(self, inputs):
            mean, log_var = inputs
            noise = keras.random.normal(ops.shape(mean), seed=self.seeds)
            return mean + ops.exp(0.5 * log_var) * noise

    class VAELoss(layers.Layer):
        """Adds reconstruction + KL per image, averaged over the batch, with add_loss."""

        def call(self, inputs):
            x, decoded, mean, log_var = inputs[:4]
            if len(inputs) == 4:
                rec = ops.sum(pixel_loss(x, decoded), axis=(1, 2, 3))
            else:
                rec = sum(ops.sum(ops.square(a - b), axis=(1, 2, 3))
                          for a, b in zip(inputs[4], inputs[5]))
            kl = -0.5 * ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=1)
            self.add_loss(ops.mean(rec + kl))
            return decoded

    x = keras.Input(tuple(encoder.inputs[0].shape[1:]))
    mean, log_var = encoder(x)
    decoded = decoder(Sampler()([mean, log_var]))
    inputs = [x, decoded, mean, log_var]
    if extractor is not None:
        inputs += [extractor(x), extractor(decoded)]
    vae = keras.Model(x, VAELoss()(inputs))
    vae.compile(optimizer="rmsprop")
    return vae


def _reference_features():
    """A frozen MNIST classifier's first two convolutions (the DFC VAE's perceptual model)."""
    import keras
    from keras import layers

    image = keras.Input(_in_data_format(28, 28, 1))
    conv1 = layers.Conv2D(32, 3, activation="relu")(image)
    conv2 = layers.Conv2D(64, 3, activation="relu")(layers.MaxPooling2D()(conv1))
    h = layers.Conv2D(64, 3, activation="relu")(layers.MaxPooling2D()(conv2))
    h = layers.Dense(64, activation="relu")(layers.Flatten()(layers.MaxPooling2D()(h)))
    classifier = keras.Model(image, layers.Dense(10, activation="softmax")(h))
    extractor = keras.Model(classifier.inputs, [conv1, conv2])
    extractor.trainable = False
    return extractor


def _in_data_format(height: int, width: int, channels: int) -> tuple:
    """The shape of a map in the order of Keras's image data format."""
    import keras

    if keras.config.image_data_format() == "channels_first":
        return channels, height, width
    return height, width, channels


# ---- workers: one measurement per fresh process ---------------------------------------

def run_worker(spec: dict) -> dict:
    """Time what `spec` names; returns a JSON-able dict."""
    if spec["task"] == "data":
        return data_worker(spec)
    import tensorflow as tf

    out = train_worker(spec) if spec["task"] == "train" else infer_worker(spec)
    out["gpus"] = [d.name for d in tf.config.list_physical_devices("GPU")]
    return out


def train_worker(spec: dict) -> dict:
    import numpy as np

    x = np.load(spec["train_file"])[:spec["images"]]
    batch = {} if spec["batch_size"] is None else {"batch_size": spec["batch_size"]}

    if spec["impl"] in REFERENCES:
        model = reference_parts(spec["model"])[2]
        model.compile(optimizer="rmsprop", jit_compile=spec["impl"] == "reference_xla")
        used = batch.get("batch_size", 32)  # Keras's default

        def fit(epochs, timer):
            model.fit(x, None, epochs=epochs, verbose=0, callbacks=[timer], **batch)
    else:
        import inspect

        import vaelab

        model = _vaelab_model(vaelab, spec["model"])
        if spec["impl"] == "python_compiled":  # a course's usual step: its own optimizer
            import keras

            model.compile(optimizer=keras.optimizers.RMSprop())
        used = batch.get("batch_size",
                         inspect.signature(vaelab.train_vae).parameters["batch_size"].default)

        def fit(epochs, timer):
            vaelab.train_vae(model, x, epochs=epochs, verbose=0, callbacks=[timer], **batch)

    timer = epoch_timer()
    start = time.perf_counter()
    fit(1, timer)
    result = {"batch_size_used": used, "first_call": time.perf_counter() - start, "calls": []}
    for _ in range(spec["repeats"]):
        timer.epochs = []
        wall, cpu = time.perf_counter(), time.process_time()
        fit(spec["epochs"], timer)
        result["calls"].append({"wall": time.perf_counter() - wall,
                                "cpu": time.process_time() - cpu, "epochs": timer.epochs})
    if spec["impl"] not in REFERENCES:  # what vaelab's rows trained with, measured or cached
        from vaelab.execution import execution_plan

        result["plan"] = execution_plan(model).name
    return result


def epoch_timer():
    """A Keras callback that appends each epoch's ``[wall, CPU]`` seconds to ``.epochs``."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        # No batch hooks, so Keras may dispatch steps asynchronously.
        def __init__(self):
            super().__init__()
            self.epochs = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = (time.perf_counter(), time.process_time())

        def on_epoch_end(self, epoch, logs=None):
            self.epochs.append([time.perf_counter() - self.start[0],
                                time.process_time() - self.start[1]])

    return EpochTimer()


def _vaelab_model(vaelab, kind, seed=SEED):
    if kind == "vae":
        return vaelab.build_vae(latent_dim=LATENT_DIM, seed=seed)
    return vaelab.build_dfc_vae(vaelab.build_perceptual_model(seed=seed),
                                latent_dim=LATENT_DIM, seed=seed)


def infer_worker(spec: dict) -> dict:
    import numpy as np

    x = np.load(spec["test_x_file"])[:spec["images"]]
    y = np.load(spec["test_y_file"])[:spec["images"]]
    extra = {}
    if spec["impl"] == "reference":
        tasks = _reference_tasks(x, y)
    else:
        import vaelab

        # Different seeds, so that the two sets of reconstructions differ.
        vae, dfc = _vaelab_model(vaelab, "vae"), _vaelab_model(vaelab, "dfc_vae", SEED + 1)
        recs = {"plain VAE": vaelab.reconstruct(vae, x), "DFC VAE": vaelab.reconstruct(dfc, x)}
        tasks = {
            "encode": lambda: vaelab.encode(vae, x),
            "reconstruct": lambda: vaelab.reconstruct(vae, x),
            "laplacian_variance": lambda: vaelab.laplacian_variance(x),
            "blur_comparison": lambda: vaelab.blur_comparison(x, y, recs),
        }
        # The vectorised measure must keep OpenCV's numbers, not only beat its speed.
        for name, images in (("originals", x), ("reconstructions", recs["plain VAE"])):
            ours, cv = vaelab.laplacian_variance(images), _cv2_laplacian_variance(images)
            extra[f"laplacian_max_rel_diff_{name}"] = float(
                np.max(np.abs(ours - cv) / np.maximum(np.abs(cv), 1e-12)))
    return {"tasks": {name: _time_repeated(fn, spec["repeats"]) for name, fn in tasks.items()},
            **extra}


def _cv2_laplacian_variance(images):
    """The article's measure, one image at a time."""
    import cv2
    import numpy as np

    return np.array([cv2.Laplacian(img, cv2.CV_32F).var() for img in images[..., 0]])


def _reference_tasks(x, y):
    """The same work as a notebook does it: Keras predict, per-image OpenCV, SciPy tests."""
    import itertools

    from scipy import stats

    encoder, decoder = reference_parts("vae")[:2]
    other_encoder, other_decoder = reference_parts("vae", seed=SEED + 1)[:2]

    def reconstruct(enc=encoder, dec=decoder):
        return dec.predict(enc.predict(x, verbose=0)[0], verbose=0)

    recs = {"plain VAE": reconstruct(), "DFC VAE": reconstruct(other_encoder, other_decoder)}

    def blur_comparison():
        blur = {"original": _cv2_laplacian_variance(x)}
        blur.update({name: _cv2_laplacian_variance(r) for name, r in recs.items()})
        rows = []
        for mask in (y != 1, y == 1):
            for a, b in itertools.combinations(blur, 2):
                va, vb = blur[a][mask], blur[b][mask]
                d = va - vb
                rows.append((stats.ttest_rel(va, vb), stats.wilcoxon(va, vb),
                             d.mean() / d.std(ddof=1)))
        return rows

    return {
        "encode": lambda: encoder.predict(x, verbose=0)[0],
        "reconstruct": reconstruct,
        "laplacian_variance": lambda: _cv2_laplacian_variance(x),
        "blur_comparison": blur_comparison,
    }


def _time_repeated(fn, repeats):
    """Seconds of each of `repeats` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


# ---- the orchestrator ------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="a short run that checks every path (%s)" % _describe(QUICK))
    p.add_argument("--images", type=int, help=f"training images per epoch ({FULL['images']})")
    p.add_argument("--infer-images", type=int,
                   help=f"test images for the inference timings ({FULL['infer_images']})")
    p.add_argument("--rounds", type=int, help="times every training row runs, in turns, each "
                   f"in a fresh process ({FULL['rounds']})")
    p.add_argument("--repeats", type=int,
                   help="timed training calls per process; inference times each task "
                   f"rounds x repeats times ({FULL['repeats']})")
    p.add_argument("--epochs", type=int, help=f"epochs per timed training call ({FULL['epochs']})")
    p.add_argument("--batch-sizes", help="comma-separated; 'default' is each implementation's "
                   f"own default ({FULL['batch_sizes']})")
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated: vae,dfc_vae")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                   help="set an environment variable in every worker, e.g. "
                   "TF_NUM_INTEROP_THREADS=1 or TF_ENABLE_ONEDNN_OPTS=0 (repeatable)")
    p.add_argument("--no-r", action="store_true", help="skip the R package's paths")
    p.add_argument("--no-inference", action="store_true", help="skip the inference timings")
    p.add_argument("--data", help="MNIST folder (default: $VAELAB_DATA, else the loader's search)")
    p.add_argument("--json", help="also write every raw timing to this JSON file")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    for key in ("images", "infer_images", "rounds", "repeats", "epochs"):
        if getattr(args, key) < 1:
            p.error(f"--{key.replace('_', '-')}: expected a whole number >= 1")
    args.models = _split(args.models, MODELS, "--models", p)
    args.batch_sizes = [None if b == "default" else _positive(b, "--batch-sizes", p)
                        for b in _split(args.batch_sizes, None, "--batch-sizes", p)]
    bad = [e for e in args.env if "=" not in e or not e.split("=", 1)[0]]
    if bad:
        p.error(f"--env: expected NAME=VALUE, got {bad[0]!r}")
    args.env = dict(e.split("=", 1) for e in args.env)
    return args


def _describe(cfg):
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in cfg.items())


def _split(text, allowed, flag, parser):
    items = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in items if allowed is not None and s not in allowed]
    if not items or bad:
        parser.error(f"{flag}: expected a comma-separated list"
                     + (f" of {', '.join(allowed)}" if allowed else "") + f", got {text!r}")
    return items


def _positive(text, flag, parser):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        parser.error(f"{flag}: expected whole numbers >= 1 (or 'default'), got {text!r}")
    return value


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        spec = json.loads(args.worker)
        print("RESULT " + json.dumps(run_worker(spec)), flush=True)
        return 0
    started = time.time()
    print(machine_report(), flush=True)
    with tempfile.TemporaryDirectory(prefix="vaelab-bench-") as tmp:
        files = {name: str(Path(tmp) / f"{name}.npy")
                 for name in ("train_file", "test_x_file", "test_y_file")}
        r_lib, r_skip = (None, "--no-r given") if args.no_r else install_r_package(Path(tmp))
        if r_skip:
            print(f"\nR paths SKIPPED: {r_skip}", flush=True)
        runner = Runner(args, files, r_lib)
        # The orchestrator never imports TensorFlow: data is prepared by a worker too.
        data = runner.run("MNIST subsets", {"task": "data", "impl": "python",
                                            "images": args.images,
                                            "infer_images": args.infer_images})
        if data is None:
            return 1
        training = run_training(runner, args, data["flops"])
        inference = {} if args.no_inference else run_inference(runner, args)
    print(f"\nTotal benchmark time: {time.time() - started:.0f} s")
    print_ratios(training, inference, args, r_skip)
    if args.json:
        write_json(Path(args.json), {"args": {k: v for k, v in vars(args).items()
                                              if k != "worker"},
                                     "training": training, "inference": inference})
    failed = runner.failures
    if failed:
        print(f"\n{len(failed)} measurement(s) FAILED: " + "; ".join(failed))
    return 1 if failed else 0


def machine_report() -> str:
    """Date, CPU, cores, memory and versions: the context every number needs."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    except (ValueError, OSError, AttributeError):
        mem = float("nan")
    versions = [f"Python {platform.python_version()}"]
    for pkg in ("vaelab", "tensorflow", "keras", "jax", "jaxlib", "numpy", "opencv-python-headless",
                "scipy"):
        try:
            versions.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{pkg} (not installed)")
    r = shutil.which("Rscript")
    if r:
        out = subprocess.run([r, "-e", "cat(R.version.string, '| reticulate', "
                              "format(packageVersion('reticulate')))"],
                             capture_output=True, text=True)
        versions.append(out.stdout.strip() or "R (reticulate missing)")
    else:
        versions.append("R not installed")
    try:
        load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        load = "unknown"
    peak, how = peak_gflops()
    return "\n".join([
        "vaelab speed benchmark",
        f"date:     {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine:  {cpu_name()}, {cores} cores, {mem:.0f} GiB, {platform.system()} "
        f"{platform.release()}",
        f"cpu flags: {' '.join(cpu_flags()) or 'unknown'} (of those that matter here)",
        f"fp32 peak: about {peak:.0f} GFLOP/s ({how})",
        f"load avg: {load} (at start; anything else running skews every number)",
        "versions: " + ", ".join(versions),
    ])


SIMD_FLAGS = ("avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16")


def _cpuinfo() -> dict:
    """The first processor's fields in /proc/cpuinfo (empty where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    first = text.split("\n\n")[0]
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in
                                                  first.splitlines())}


def cpu_name() -> str:
    """The CPU's model name with its vendor, family and model numbers: virtual machines
    often name only the brand ("AMD EPYC"), and the numbers tell Zen 4 from Zen 5."""
    info = _cpuinfo()
    name = info.get("model name") or platform.processor() or platform.machine()
    if "cpu family" not in info:
        return name
    return (f"{name} ({info.get('vendor_id', 'unknown vendor')}, family {info['cpu family']}, "
            f"model {info.get('model', '?')})")


def cpu_flags() -> list:
    """The SIMD features that decide how fast convolutions run."""
    flags = set(_cpuinfo().get("flags", "").split())
    return [f for f in SIMD_FLAGS if f in flags]


def peak_gflops():
    """An estimate of the CPU's fp32 peak, and how it was made.

    cores x clock x operations per cycle per core: two fused multiply-add units of 16
    lanes (AVX-512), 8 lanes (AVX2 with FMA) or, without FMA, one add and one multiply
    of 8 lanes. AMD's Zen 4 (CPU family 25) runs AVX-512 on its two 8-lane units, so it
    counts as AVX2 does. The clock is /proc/cpuinfo's "cpu MHz", which a virtual machine
    may report at base rather than turbo speed; servers with one AVX-512 FMA unit have half.
    """
    flags = cpu_flags()
    info = _cpuinfo()
    zen4 = info.get("vendor_id") == "AuthenticAMD" and info.get("cpu family") == "25"
    per_cycle = 64 if "avx512f" in flags and not zen4 else 32 if "fma" in flags else 16
    try:
        mhz = float(info.get("cpu MHz", "nan"))
    except ValueError:
        mhz = float("nan")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores * mhz / 1000 * per_cycle, (f"{cores} cores x {mhz / 1000:.2f} GHz x "
                                           f"{per_cycle} fp32 operations per cycle")


def data_worker(spec: dict) -> dict:
    """Save the images every Python worker uses (temporary files, removed at the end)."""
    import numpy as np

    import vaelab

    (x_train, _), (x_test, y_test) = vaelab.load_mnist()
    if spec["images"] > len(x_train) or spec["infer_images"] > len(x_test):
        raise ValueError(f"--images at most {len(x_train)}, "
                         f"--infer-images at most {len(x_test)}")
    np.save(spec["train_file"], x_train[:spec["images"]])
    np.save(spec["test_x_file"], x_test[:spec["infer_images"]])
    np.save(spec["test_y_file"], y_test[:spec["infer_images"]])
    return {"flops": {kind: training_flops(kind) for kind in MODELS}}


def training_flops(kind: str) -> float:
    """Floating-point operations per image in one training step, counted layer by layer.

    Each multiply-add is 2 operations. A step is about 3 forward passes of the encoder and
    decoder (the forward pass, then the gradients with respect to inputs and to weights);
    the DFC VAE's frozen feature extractor adds 1 forward pass on the image and 2 on the
    reconstruction (forward, then the gradient to its input only). Activations, the loss
    and the optimizer are left out: they are a few percent.
    """
    encoder, decoder, _ = reference_parts(kind)
    flops = 3 * (forward_flops(encoder) + forward_flops(decoder))
    if kind == "dfc_vae":
        flops += 3 * forward_flops(_reference_features())
    return float(flops)


def forward_flops(model) -> int:
    """Operations per image of the convolutions and dense layers of one forward pass."""
    from keras import layers

    flops = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, (layers.Conv2D, layers.Conv2DTranspose)):
            kh, kw, _, _ = layer.kernel.shape
            # A transposed convolution's work is counted at its input, a convolution's at its
            # output; kernel.shape is (kh, kw, in, out) and (kh, kw, out, in) respectively.
            grid = layer.input.shape if isinstance(layer, layers.Conv2DTranspose) \
                else layer.output.shape
            flops += 2 * grid[1] * grid[2] * kh * kw * layer.kernel.shape[2] \
                * layer.kernel.shape[3]
        elif isinstance(layer, layers.Dense):
            flops += 2 * layer.kernel.shape[0] * layer.kernel.shape[1]
    return flops


def install_r_package(tmp: Path):
    """Install the R package from this checkout into a temporary library: (library, skip)."""
    rcmd = shutil.which("R")
    if rcmd is None or shutil.which("Rscript") is None:
        return None, "R is not installed (Rscript not on PATH)"
    if not (ROOT / "DESCRIPTION").exists():
        return None, f"no R package at {ROOT} (DESCRIPTION missing)"
    lib = tmp / "rlib"
    lib.mkdir()
    out = subprocess.run([rcmd, "CMD", "INSTALL", "--no-docs", "--no-html", "--no-multiarch",
                          f"--library={lib}", str(ROOT)], capture_output=True, text=True)
    if out.returncode != 0:
        tail = (out.stdout + out.stderr).strip().splitlines()[-5:]
        return None, "R CMD INSTALL failed:\n    " + "\n    ".join(tail)
    return str(lib), None


class Runner:
    """Starts one fresh process per measurement and collects its RESULT line."""

    def __init__(self, args, files, r_lib):
        self.args, self.files, self.r_lib = args, files, r_lib
        self.failures = []
        self.env = dict(os.environ)
        self.env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        # The checkout's Python core, whether or not it is installed in this interpreter.
        self.env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT / "python")] + [p for p in [os.environ.get("PYTHONPATH")] if p])
        if args.data:
            self.env["VAELAB_DATA"] = str(Path(args.data).resolve())
        # Each timed call stands for a long training run, which measures its training plan
        # (vaelab.execution) at the start: the first call of a row's first process does
        # (in "first s"); the others find the plan in this run's own cache.
        self.env.update(VAELAB_TUNE="always",
                        VAELAB_CACHE=str(Path(files["train_file"]).parent / "plans"))
        self.env.update(args.env)
        if r_lib:
            self.env.update(R_LIBS=r_lib, VAELAB_PYTHON=sys.executable,
                            RETICULATE_PYTHON=sys.executable)

    def run(self, label: str, spec: dict):
        spec = {**spec, **self.files}
        if spec["impl"] == "r":
            cmd = ["Rscript", str(R_SCRIPT), spec["task"], spec.get("model", "-"),
                   "default" if spec.get("batch_size") is None else str(spec["batch_size"]),
                   str(spec["images"]), str(spec.get("epochs", 1)), str(spec["repeats"])]
        else:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
        out = subprocess.run(cmd, capture_output=True, text=True, env=self.env, cwd=ROOT)
        lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
        if out.returncode != 0 or not lines:
            tail = "\n    ".join((out.stderr or out.stdout).strip().splitlines()[-8:])
            print(f"  {label}: FAILED (exit {out.returncode})\n    {tail}", flush=True)
            self.failures.append(label)
            return None
        return json.loads(lines[-1][len("RESULT "):])


def run_training(runner: Runner, args, flops: dict) -> list:
    impls = [i for i in IMPLS if i != "r" or runner.r_lib]
    print(f"\nTraining: {args.images} images per epoch. Each row: {args.rounds} fresh "
          f"process(es), the rows taking turns; each process makes a first call of 1 epoch, "
          f"then {args.repeats} timed call(s) of {args.epochs} epoch(s); medians over all "
          "rounds." + (f" Worker environment: {args.env}." if args.env else ""), flush=True)
    keys = [(model, batch, impl) for model in args.models for batch in args.batch_sizes
            for impl in impls]
    results = {key: [] for key in keys}
    for round_no in range(1, args.rounds + 1):
        started = time.time()
        for model, batch, impl in keys:
            label = f"train {model} batch {batch or 'default'} {impl} (round {round_no})"
            res = runner.run(label, {"task": "train", "impl": impl, "model": model,
                                     "batch_size": batch, "images": args.images,
                                     "epochs": args.epochs, "repeats": args.repeats})
            if res is not None:
                results[model, batch, impl].append({**res, "round": round_no})
        if args.rounds > 1:
            print(f"  round {round_no} of {args.rounds} done in {time.time() - started:.0f} s",
                  flush=True)
    header = (f"{'model':<10} {'batch':>7} {'implementation':<22} {'first s':>8} "
              f"{'compile s':>9} {'epoch s':>8} {'img/s epoch':>11} {'img/s call':>10} "
              f"{'CPU ms/img':>10} {'gap s':>6} {'GFLOP/s':>7} {'% peak':>6}")
    print(header + "\n" + "-" * len(header), flush=True)
    rows = []
    for (model, batch, impl), runs in results.items():
        row = {"model": model, "batch": batch, "impl": impl, "raw": runs}
        if runs:
            row.update(summarise_training(pool_rounds(runs), args))
            row["gflops"] = (row["ips_epoch"] or row["ips_call"]) * flops[model] / 1e9
            print(format_training_row(row), flush=True)
        rows.append(row)
    for r in rows:
        used = plans_used(r)
        if used:
            print(f"  plan: {IMPL_TITLES[r['impl']]}, {MODEL_TITLES[r['model']]} at batch "
                  f"{r['batch_used']}, trained with {used}")
    notes = [r for r in rows if r.get("gap") is not None and r["gap"] > OVERHEAD_NOTE_S]
    for r in notes:
        print(f"  note: {IMPL_TITLES[r['impl']]} {r['model']} spent {r['gap']:.1f} s per call "
              "outside its epochs (fit returning late)")
    print("first s: the first call (1 epoch, tracing included, and in vaelab's first process "
          "per row the measuring of its training plan); compile s: first s minus a steady "
          "epoch; gap s: call time minus the time inside its epochs (R: not measured); "
          "GFLOP/s: per epoch (per call for R), at "
          + ", ".join(f"{MODEL_TITLES[m]} {flops[m] / 1e6:.0f} MFLOP" for m in args.models)
          + " per image per training step (training_flops); % peak: of the fp32 peak above.")
    return rows


def plans_used(row: dict) -> str:
    """The training plans a vaelab row's processes ran, with how many ran each ("" if none
    was recorded): the tuner may choose differently in the processes of one row."""
    counts = collections.Counter(run["plan"] for run in row.get("raw") or [] if run.get("plan"))
    total = sum(counts.values())
    return "; ".join(f"{plan} ({n} of {total} processes)" for plan, n in counts.most_common())


def pool_rounds(runs: list) -> dict:
    """One worker result from several rounds: every timed call, the median first call."""
    return {"batch_size_used": runs[0]["batch_size_used"],
            "first_call": statistics.median(r["first_call"] for r in runs),
            "calls": [c for r in runs for c in r["calls"]],
            "gpus": sorted({g for r in runs for g in r.get("gpus") or []})}


def summarise_training(res: dict, args) -> dict:
    images = args.images
    calls = res["calls"]
    call_wall = statistics.median(c["wall"] for c in calls)
    out = {"batch_used": res["batch_size_used"], "first": res["first_call"],
           "ips_call": images * args.epochs / call_wall,
           "cpu_ms": 1000 * statistics.median(c["cpu"] for c in calls) / (images * args.epochs),
           "epoch": None, "ips_epoch": None, "gap": None,
           "compile": res["first_call"] - call_wall / args.epochs, "gpus": res.get("gpus")}
    epochs = [e[0] for c in calls for e in c.get("epochs") or []]
    if epochs:
        out["epoch"] = statistics.median(epochs)
        out["ips_epoch"] = images / out["epoch"]
        out["gap"] = statistics.median(c["wall"] - sum(e[0] for e in c["epochs"]) for c in calls)
        out["compile"] = res["first_call"] - out["epoch"]
    return out


def format_training_row(r: dict) -> str:
    def num(v, fmt):
        return "-" if v is None else format(v, fmt)

    batch = f"{r['batch_used']}" + ("*" if r["batch"] is None else "")
    peak = peak_gflops()[0]
    return (f"{MODEL_TITLES[r['model']]:<10} {batch:>7} {IMPL_TITLES[r['impl']]:<22} "
            f"{r['first']:>8.1f} {r['compile']:>9.1f} {num(r['epoch'], '8.2f'):>8} "
            f"{num(r['ips_epoch'], '11.0f'):>11} {r['ips_call']:>10.0f} {r['cpu_ms']:>10.2f} "
            f"{num(r['gap'], '6.2f'):>6} {r['gflops']:>7.0f} {100 * r['gflops'] / peak:>6.1f}")


def run_inference(runner: Runner, args) -> dict:
    impls = [i for i in INFER_IMPLS if i != "r" or runner.r_lib]
    # As many timings per task as a training row gets timed calls.
    repeats = args.rounds * args.repeats
    print(f"\nInference on {args.infer_images} test images (untrained seeded models: speed "
          f"does not depend on the weights); one warm-up call, then median of {repeats}, "
          "seconds.", flush=True)
    results = {}
    for impl in impls:
        res = runner.run(f"inference {impl}", {"task": "infer", "impl": impl,
                                                "images": args.infer_images,
                                                "repeats": repeats})
        if res is not None:
            results[impl] = res
    header = f"{'task':<20}" + "".join(f"{IMPL_TITLES[i]:>24}" for i in impls)
    print(header + "\n" + "-" * len(header))
    for task in INFER_TASKS:
        cells = []
        for impl in impls:
            times = results.get(impl, {}).get("tasks", {}).get(task)
            cells.append(f"{statistics.median(times):>24.3f}" if times else f"{'-':>24}")
        print(f"{task:<20}" + "".join(cells))
    py = results.get("python", {})
    for key in sorted(k for k in py if k.startswith("laplacian_max_rel_diff_")):
        print(f"Laplacian variance vs cv2.Laplacian(img, cv2.CV_32F).var(), "
              f"{key.rsplit('_', 1)[-1]}: max relative difference {py[key]:.2e}")
    print("reference: Keras predict() at its default batch size, OpenCV one image at a time, "
          "SciPy tests.")
    return results


def print_ratios(training: list, inference: dict, args, r_skip):
    """The summary the issue asks for, printed last: throughput ratios (> 1: faster) against
    the faster of the two straightforward Keras models (with and without XLA)."""
    by_key = {(r["model"], r["batch"], r["impl"]): r for r in training}

    def ips(model, batch, impl, per):
        return by_key.get((model, batch, impl), {}).get(per)

    settings = [(model, batch, f"{MODEL_TITLES[model]:<10} " + (
        "defaults (each side's own batch size)" if batch is None else f"batch {batch}"))
        for model in args.models for batch in args.batch_sizes]
    for per, title in (("ips_call", "per call, what a user waits for"),
                       ("ips_epoch", "per epoch, the training steps alone; R's epochs are "
                                     "not timed")):
        print(f"\nRatios {title} (> 1 means faster than the baseline: the faster Keras fit; "
              "in brackets the lowest and highest ratio of one round's processes)")
        for model, batch, what in settings:
            refs = {impl: ips(model, batch, impl, per) for impl in REFERENCES}
            known = {impl: v for impl, v in refs.items() if v is not None}
            base = max(known, key=known.get) if known else None
            ref = known.get(base)
            py, compiled, r = (ips(model, batch, impl, per)
                               for impl in ("python", "python_compiled", "r"))
            spread = {impl: _spread(by_key.get((model, batch, impl), {}),
                                    by_key.get((model, batch, base), {}), per, args)
                      for impl in ("python", "python_compiled")}
            parts = [f"baseline {IMPL_TITLES[base] if base else 'n/a'}",
                     f"XLA / no XLA {_ratio(refs['reference_xla'], refs['reference'])}",
                     f"vaelab {_ratio(py, ref)}{spread['python']}",
                     f"after user compile {_ratio(compiled, ref)}{spread['python_compiled']}"]
            if per == "ips_call":
                parts += [f"R {_ratio(r, ref, r_skip)}", f"R / Python {_ratio(r, py, r_skip)}"]
            print(f"  {what:<49} " + "   ".join(parts))
    if inference:
        py, r = inference.get("python", {}), inference.get("r", {})
        ref = inference.get("reference", {})
        print("  inference time ratios (< 1 means faster):")
        for task in INFER_TASKS:
            t_py, t_r, t_ref = (_median_task(d, task) for d in (py, r, ref))
            print(f"    {task:<20} vaelab Python / reference {_ratio(t_py, t_ref)}   "
                  f"R / Python {_ratio(t_r, t_py, r_skip)}")
    gpus = sorted({g for row in training for g in (row.get("gpus") or [])})
    print(f"  devices: {'GPU ' + ', '.join(gpus) if gpus else 'CPU only (no GPU visible)'}")


def round_ratios(row: dict, base_row: dict, per: str, args) -> list:
    """`row`'s throughput (`per`: "ips_epoch" or "ips_call") over `base_row`'s in each round
    both ran: the rows take turns, so one round's processes met the same machine."""
    def by_round(r):
        return {run["round"]: summarise_training(pool_rounds([run]), args)[per]
                for run in r.get("raw") or [] if "round" in run}

    ours, base = by_round(row), by_round(base_row)
    return [ours[k] / base[k] for k in sorted(ours.keys() & base.keys())
            if ours[k] and base[k]]


def _spread(row, base_row, per, args) -> str:
    """The lowest and highest of :func:`round_ratios` in brackets, given two rounds or more."""
    ratios = round_ratios(row, base_row, per, args)
    return f" ({min(ratios):.2f}-{max(ratios):.2f} by round)" if len(ratios) > 1 else ""


def _median_task(results, task):
    times = results.get("tasks", {}).get(task)
    return statistics.median(times) if times else None


def _ratio(a, b, skip=None):
    if a is None or b is None:
        return "n/a (R skipped)" if skip and a is None else "n/a"
    return f"{a / b:.2f}x"


def write_json(path: Path, payload: dict):
    """Write atomically: a crash never leaves half a results file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    tmp.replace(path)
    print(f"raw timings written to {path}")


if __name__ == "__main__":
    sys.exit(main())
