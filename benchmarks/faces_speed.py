#!/usr/bin/env python
"""Training speed of vaelab's 64 x 64 colour VAEs (the DFC paper's architecture) against the
same models written in plain Keras 3.

    python benchmarks/faces_speed.py                 # 2,048 synthetic faces, 3 rounds
    python benchmarks/faces_speed.py --quick         # a short run that checks every path works
    python benchmarks/faces_speed.py --impls reference,reference-xla,vaelab,vaelab-noxla

Two models on 64 x 64 x 3 synthetic faces (:func:`vaelab.synthetic_faces`), latent size 100,
RMSprop: the plain VAE with a Gaussian likelihood, and the DFC VAE whose perceptual model is
a small untrained convolutional classifier built here (three 3 x 3 convolutions; its
``conv1`` and ``conv2`` are compared; the same seeded weights in every process). Rows:

* reference and reference-xla: the encoder, decoder and loss written the plain Keras way (a
  last layer that calls ``add_loss``), compiled with ``"rmsprop"`` without and with XLA and
  trained with ``fit(x, None)``; the faster of the two is the baseline;
* vaelab: ``build_vae(input_shape=(64, 64, 3), likelihood="gaussian")`` or
  ``build_dfc_vae(classifier)``, trained with ``train_vae`` (which measures its training
  plan first, :mod:`vaelab.execution`); vaelab-compiled after the user's own
  ``model.compile(RMSprop())``; vaelab-noxla and vaelab-xla pass ``jit_compile=False`` and
  ``True`` instead of ``"auto"``.

Each (model, implementation) runs in a fresh process: one warm-up epoch of a few batches
(every batch shape traced and compiled), then one call of ``--epochs`` epochs timed by a
callback. The rows take turns, round after round, so that a drift in the machine's speed
hits every row alike. img/s is images / median epoch time; the ratio to the baseline
is that of the pooled medians, and "paired" the median of the per-round ratios. See
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_speed import (  # noqa: E402
    epoch_timer,
    machine_report,
    reference_vae_model,
    write_json,
)

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("vae", "dfc_vae")
MODEL_TITLES = {"vae": "plain VAE", "dfc_vae": "DFC VAE"}
IMPLS = ("reference", "reference-xla", "vaelab", "vaelab-compiled", "vaelab-noxla",
         "vaelab-xla")
REFERENCES = ("reference", "reference-xla")
JIT_COMPILE = {"vaelab": "auto", "vaelab-compiled": "auto", "vaelab-noxla": False,
               "vaelab-xla": True}
IMPL_TITLES = {"reference": "Keras fit, no XLA", "reference-xla": "Keras fit, XLA",
               "vaelab": "vaelab train_vae", "vaelab-compiled": "vaelab, user compile",
               "vaelab-noxla": "vaelab, jit_compile=False",
               "vaelab-xla": "vaelab, jit_compile=True"}
LATENT_DIM = 100  # the DFC paper's
PERCEPTUAL_LAYERS = ("conv1", "conv2")
SEED = 1
WARMUP_BATCHES = 4

FULL = dict(images=2048, rounds=3, epochs=2, batch_size=64, size=64,
            impls="reference,reference-xla,vaelab,vaelab-compiled")
QUICK = dict(images=64, rounds=1, epochs=1, batch_size=32, size=32,
             impls="reference,vaelab")


# ---- the models ------------------------------------------------------------------------

def perceptual_classifier(size: int, seed: int = SEED):
    """A small classifier of faces (six attributes), untrained: the DFC VAE's perceptual
    model in both implementations. Speed does not depend on its weights."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    image = keras.Input((size, size, 3), name="image")
    h = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv1")(image)
    h = layers.MaxPooling2D()(h)
    h = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv2")(h)
    h = layers.MaxPooling2D()(h)
    h = layers.Conv2D(128, 3, padding="same", activation="relu", name="conv3")(h)
    h = layers.GlobalAveragePooling2D()(h)
    return keras.Model(image, layers.Dense(6, activation="sigmoid")(h), name="classifier")


def reference_vae(kind: str, size: int, latent_dim: int = LATENT_DIM, seed: int = SEED):
    """The VAE or DFC VAE of the DFC paper's architecture written the plain Keras 3 way."""
    import keras
    from keras import layers, ops

    classifier = perceptual_classifier(size, seed) if kind == "dfc_vae" else None
    keras.utils.set_random_seed(seed)

    image = keras.Input((size, size, 3))
    h = image
    for filters in (32, 64, 128, 256):
        h = layers.Conv2D(filters, 4, strides=2, padding="same")(h)
        h = layers.LeakyReLU(0.2)(layers.BatchNormalization()(h))
    h = layers.Flatten()(h)
    encoder = keras.Model(image, [layers.Dense(latent_dim)(h), layers.Dense(latent_dim)(h)])

    z = keras.Input((latent_dim,))
    side = size // 16
    h = layers.Reshape((side, side, 256))(layers.Dense(side * side * 256, activation="relu")(z))
    for filters in (128, 64, 32):
        h = layers.Conv2D(filters, 3, padding="same")(layers.UpSampling2D(2)(h))
        h = layers.LeakyReLU(0.2)(layers.BatchNormalization(epsilon=1e-3)(h))
    h = layers.UpSampling2D(2)(h)
    decoder = keras.Model(z, layers.Conv2D(3, 3, padding="same", activation="sigmoid")(h))

    extractor = None
    if classifier is not None:
        extractor = keras.Model(classifier.inputs, [classifier.get_layer(name).output
                                                    for name in PERCEPTUAL_LAYERS])
        extractor.trainable = False
    # Half the squared error of the pixels: the Gaussian likelihood.
    return reference_vae_model(encoder, decoder, lambda x, d: 0.5 * ops.square(x - d),
                               extractor, seed)


def vaelab_vae(kind: str, size: int, jit_compile="auto", latent_dim: int = LATENT_DIM,
               seed: int = SEED):
    import vaelab

    if kind == "vae":
        return vaelab.build_vae(latent_dim=latent_dim, input_shape=(size, size, 3),
                                likelihood="gaussian", seed=seed, jit_compile=jit_compile)
    return vaelab.build_dfc_vae(perceptual_classifier(size, seed), latent_dim=latent_dim,
                                layers=PERCEPTUAL_LAYERS, seed=seed, jit_compile=jit_compile)


# ---- workers: one measurement per fresh process ---------------------------------------

def run_worker(spec: dict) -> dict:
    if spec["task"] == "data":
        import numpy as np

        import vaelab

        faces, _ = vaelab.synthetic_faces(spec["images"], seed=SEED, size=spec["size"])
        np.save(spec["train_file"], faces)
        return {}
    return train_worker(spec)


def train_worker(spec: dict) -> dict:
    """Warm up on a few batches, then time one call of `epochs` epochs."""
    import numpy as np

    x = np.load(spec["train_file"])
    batch = spec["batch_size"]
    # Whole batches and the last, partial one: every batch shape is compiled before timing.
    warmup = x[:min(len(x), WARMUP_BATCHES * batch + len(x) % batch)]
    if spec["impl"] in REFERENCES:
        model = reference_vae(spec["model"], spec["size"])
        model.compile(optimizer="rmsprop", jit_compile=spec["impl"] == "reference-xla")

        def fit(images, epochs, callbacks):
            model.fit(images, None, epochs=epochs, batch_size=batch, verbose=0,
                      callbacks=callbacks)
    else:
        import vaelab

        model = vaelab_vae(spec["model"], spec["size"], JIT_COMPILE[spec["impl"]])
        if spec["impl"] == "vaelab-compiled":  # a course's usual step: its own optimizer
            import keras

            model.compile(optimizer=keras.optimizers.RMSprop())

        def fit(images, epochs, callbacks):
            vaelab.train_vae(model, images, epochs=epochs, batch_size=batch, verbose=0,
                             callbacks=callbacks)

    start = time.perf_counter()
    fit(warmup, 1, [])
    warm_s = time.perf_counter() - start
    timer = epoch_timer()
    fit(x, spec["epochs"], [timer])
    return {"warmup_s": warm_s, "epochs": timer.epochs}


# ---- the orchestrator ------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="a short run that checks every path (%s)" % describe(QUICK))
    p.add_argument("--images", type=int, help=f"synthetic faces per epoch ({FULL['images']})")
    p.add_argument("--rounds", type=int, help="times every row runs, in turns, each in a fresh "
                   f"process ({FULL['rounds']})")
    p.add_argument("--epochs", type=int, help=f"timed epochs per process ({FULL['epochs']})")
    p.add_argument("--batch-size", type=int, help=f"batch size, both sides ({FULL['batch_size']})")
    p.add_argument("--size", type=int, help=f"image side, a multiple of 16 ({FULL['size']})")
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated: vae,dfc_vae")
    p.add_argument("--impls", help=f"comma-separated, of {', '.join(IMPLS)} ({FULL['impls']})")
    p.add_argument("--json", help="also write every raw timing to this JSON file")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    for key in ("images", "rounds", "epochs", "batch_size", "size"):
        if getattr(args, key) < 1:
            p.error(f"--{key.replace('_', '-')}: expected a whole number >= 1, got "
                    f"{getattr(args, key)}")
    if args.size % 16:
        p.error(f"--size: expected a multiple of 16 (the architecture halves it 4 times), "
                f"got {args.size}")
    args.models = split_list(args.models, MODELS, "--models", p)
    args.impls = split_list(args.impls, IMPLS, "--impls", p)
    if not set(REFERENCES) & set(args.impls):
        p.error("--impls: the ratios need a reference (reference or reference-xla)")
    return args


def describe(cfg):
    """A settings dict as "key value, ..." for help texts."""
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in cfg.items())


def split_list(text, allowed, flag, parser):
    """The items of a comma-separated option, each one of `allowed` (else a parser error)."""
    items = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in items if s not in allowed]
    if not items or bad:
        parser.error(f"{flag}: expected a comma-separated list of {', '.join(allowed)}, "
                     f"got {text!r}")
    return items


def run(spec: dict, env: dict, script=__file__, label=None):
    """Run `script`'s worker for `spec` in a fresh process; its result, or None (and the
    reason printed, under `label`)."""
    cmd = [sys.executable, str(Path(script).resolve()), "--worker", json.dumps(spec)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    if out.returncode != 0 or not lines:
        tail = "\n    ".join((out.stderr or out.stdout).strip().splitlines()[-8:])
        label = label or f"{spec['task']} {spec.get('model', '')} {spec.get('impl', '')}"
        print(f"  {label}: FAILED (exit {out.returncode})\n    {tail}", flush=True)
        return None
    return json.loads(lines[-1][len("RESULT "):])


def summarise(runs: list, images: int) -> dict:
    """img/s per round (median epoch of each process, keyed by round), pooled over rounds,
    and CPU ms/img."""
    epochs = [e for r in runs for e in r["epochs"]]
    return {"per_round": {r["round"]: images / statistics.median(e[0] for e in r["epochs"])
                          for r in runs},
            "ips": images / statistics.median(e[0] for e in epochs),
            "cpu_ms": 1000 * statistics.median(e[1] for e in epochs) / images,
            "warmup_s": statistics.median(r["warmup_s"] for r in runs)}


def ratios(row: dict, reference: dict) -> tuple:
    """(pooled, paired): row / reference of the pooled img/s, and the median over rounds of
    the per-round ratios (the rounds where both ran)."""
    pairs = [row["per_round"][r] / reference["per_round"][r]
             for r in row["per_round"] if r in reference["per_round"]]
    return row["ips"] / reference["ips"], statistics.median(pairs)


def baseline(rows: dict, model: str):
    """The faster of the plain Keras rows (with and without XLA) of `model`, or None."""
    found = [rows[model, impl] for impl in REFERENCES if (model, impl) in rows]
    return max(found, key=lambda row: row["ips"]) if found else None


def table(rows: dict, models, impls) -> str:
    """The results as a Markdown table, each row / the faster plain Keras row in the last
    column."""
    lines = ["| model | implementation | img/s per round | img/s | CPU ms/img | warm-up s "
             "| vs baseline (paired) |", "| --- | --- | --- | ---: | ---: | ---: | ---: |"]
    for model in models:
        reference = baseline(rows, model)
        for impl in impls:
            row = rows.get((model, impl))
            if row is None:
                lines.append(f"| {MODEL_TITLES[model]} | {IMPL_TITLES[impl]} | failed | - | - "
                             "| - | - |")
                continue
            ratio = "-"
            if row is not reference and reference is not None:
                pooled, paired = ratios(row, reference)
                ratio = f"{pooled:.2f}x ({paired:.2f}x)"
            lines.append(f"| {MODEL_TITLES[model]} | {IMPL_TITLES[impl]} | "
                         + ", ".join(f"{v:.0f}" for v in row["per_round"].values())
                         + f" | {row['ips']:.0f} | {row['cpu_ms']:.2f} | "
                         f"{row['warmup_s']:.1f} | {ratio} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(run_worker(json.loads(args.worker))), flush=True)
        return 0
    started = time.time()
    print(machine_report(), flush=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "python")] + [p for p in [os.environ.get("PYTHONPATH")] if p])}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    print(f"\nTraining on {args.images} synthetic faces of {args.size} x {args.size} x 3, "
          f"latent size {LATENT_DIM}, batch {args.batch_size}, RMSprop. Each row: "
          f"{args.rounds} fresh process(es), the rows taking turns; each warms up on "
          f"{WARMUP_BATCHES} batches, then times {args.epochs} epoch(s).", flush=True)
    keys = [(model, impl) for model in args.models for impl in args.impls]
    raw = {key: [] for key in keys}
    failed = []
    with tempfile.TemporaryDirectory(prefix="vaelab-faces-bench-") as tmp:
        common = {"images": args.images, "size": args.size, "batch_size": args.batch_size,
                  "epochs": args.epochs, "train_file": str(Path(tmp) / "faces.npy")}
        # Each timed call stands for a long run, which measures its training plan first
        # (vaelab.execution): in the warm-up of a row's first process; later ones read it.
        env.update(VAELAB_TUNE="always", VAELAB_CACHE=str(Path(tmp) / "plans"))
        if run({**common, "task": "data"}, env) is None:
            return 1
        for round_no in range(1, args.rounds + 1):
            round_started = time.time()
            for model, impl in keys:
                res = run({**common, "task": "train", "model": model, "impl": impl}, env)
                if res is None:
                    failed.append(f"{model} {impl} (round {round_no})")
                else:
                    raw[model, impl].append({**res, "round": round_no})
            print(f"  round {round_no} of {args.rounds} done in "
                  f"{time.time() - round_started:.0f} s", flush=True)
    rows = {key: summarise(runs, args.images) for key, runs in raw.items() if runs}
    print("\n" + table(rows, args.models, args.impls))
    print(f"\nimg/s: images / median epoch; CPU ms/img: process CPU time (all threads) per "
          f"image; vs baseline: pooled img/s ratio to the faster plain Keras row (> 1 is faster), "
          f"in brackets the median "
          f"of the per-round ratios. Load average at the end: "
          f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}. Total time: "
          f"{time.time() - started:.0f} s")
    if args.json:
        write_json(Path(args.json), {"args": {k: v for k, v in vars(args).items()
                                              if k != "worker"},
                                     "raw": {f"{m} {i}": runs for (m, i), runs in raw.items()},
                                     "rows": {f"{m} {i}": row for (m, i), row in rows.items()}})
    if failed:
        print(f"\n{len(failed)} measurement(s) FAILED: " + "; ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
