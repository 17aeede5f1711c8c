#!/usr/bin/env python
"""How long the DFC VAE takes to train on all of MNIST's training images, epoch by epoch.

    python benchmarks/dfc_epochs.py                        # 15 epochs on 60,000 images
    KERAS_BACKEND=jax python benchmarks/dfc_epochs.py      # Keras on JAX, vaelab's GPU path
    python benchmarks/dfc_epochs.py --quick                # 2 epochs on 2,048 images

It trains ``build_dfc_vae(load_pretrained("classifier"))`` with ``train_vae`` as a user calls
it, on whatever device the Keras backend picks, and prints the time of every epoch (from a
callback), then three totals: the whole ``train_vae`` call, the sum of its epochs (the first
includes compilation) and the steady state (epochs x the median epoch after the first).
Issue 5's GPU target is 15 epochs on 60,000 images in at most 30 s of training time on an
H200; the verdict uses the sum of the epochs, compilation included.

Unlike ``train_speed.py`` it needs neither TensorFlow nor R, so it runs where only Keras and
JAX are installed. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_speed import epoch_timer, machine_report, write_json  # noqa: E402

TARGET = dict(epochs=15, images=60000, seconds=30.0)
QUICK = dict(epochs=2, images=2048)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK['epochs']} epochs on {QUICK['images']} images")
    p.add_argument("--epochs", type=int, help=f"epochs ({TARGET['epochs']})")
    p.add_argument("--images", type=int, help=f"training images ({TARGET['images']})")
    p.add_argument("--batch-size", type=int, help="train_vae's default when left out")
    p.add_argument("--data", help="MNIST folder (default: $VAELAB_DATA, else the loader's search)")
    p.add_argument("--no-verify", action="store_true",
                   help="load MNIST files whose sha256 matches no known version (test copies)")
    p.add_argument("--json", help="also write the timings to this JSON file")
    args = p.parse_args(argv)
    defaults = QUICK if args.quick else TARGET
    for key in ("epochs", "images"):
        if getattr(args, key) is None:
            setattr(args, key, defaults[key])
    for flag in ("epochs", "images", "batch_size"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            p.error(f"--{flag.replace('_', '-')}: expected a positive integer, got {value}")
    return args


def devices() -> list[str]:
    """The devices the Keras backend computes on, as that backend names them."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return [f"{d.platform}:{d.id} {d.device_kind}" for d in jax.devices()]
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices()]
    if backend == "torch":
        import torch

        return ([f"cuda:{i} {torch.cuda.get_device_name(i)}"
                 for i in range(torch.cuda.device_count())] or ["cpu"])
    return [backend]


def time_training(args) -> dict:
    """Build the DFC VAE, train it once for ``args.epochs`` and return every time measured."""
    import inspect

    import keras

    import vaelab

    x = vaelab.load_mnist(args.data, verify=not args.no_verify)[0][0][:args.images]
    if len(x) < args.images:
        raise SystemExit(f"--images {args.images}: MNIST's training set has only {len(x)}")
    batch = {} if args.batch_size is None else {"batch_size": args.batch_size}
    used = batch.get("batch_size",
                     inspect.signature(vaelab.train_vae).parameters["batch_size"].default)
    model = vaelab.build_dfc_vae(vaelab.load_pretrained("classifier"), seed=1)

    timer = epoch_timer()
    start = time.perf_counter()
    history = vaelab.train_vae(model, x, epochs=args.epochs, verbose=0, callbacks=[timer], **batch)
    call = time.perf_counter() - start
    return {"backend": keras.backend.backend(), "devices": devices(), "images": len(x),
            "batch_size": used, "call_s": call, "epoch_s": [wall for wall, _ in timer.epochs],
            "loss": [float(v) for v in history.history["loss"]]}


def summarise(res: dict) -> dict:
    """The three totals: the call, the sum of epochs, and epochs x the steady epoch."""
    epochs = res["epoch_s"]
    steady = statistics.median(epochs[1:]) if len(epochs) > 1 else epochs[0]
    return {"call_s": res["call_s"], "epochs_sum_s": sum(epochs),
            "steady_s": steady * len(epochs), "compile_s": epochs[0] - steady,
            "img_per_s": res["images"] / steady}


def report(res: dict, totals: dict) -> str:
    lines = [f"backend:  {res['backend']}", f"devices:  {', '.join(res['devices'])}",
             f"training: {res['images']} images, batch {res['batch_size']}, "
             f"{len(res['epoch_s'])} epochs", "", "| epoch | seconds | loss |",
             "| ---: | ---: | ---: |"]
    lines += [f"| {i} | {s:.2f} | {loss:.2f} |"
              for i, (s, loss) in enumerate(zip(res["epoch_s"], res["loss"]), 1)]
    lines += ["", "| total | seconds |", "| --- | ---: |",
              f"| train_vae call | {totals['call_s']:.2f} |",
              f"| sum of epochs (first one compiles) | {totals['epochs_sum_s']:.2f} |",
              f"| epochs x median epoch after the first | {totals['steady_s']:.2f} |",
              f"| compilation (first epoch - median) | {totals['compile_s']:.2f} |",
              "", f"steady throughput: {totals['img_per_s']:.0f} img/s"]
    if len(res["epoch_s"]) == TARGET["epochs"] and res["images"] == TARGET["images"]:
        met = totals["epochs_sum_s"] <= TARGET["seconds"]
        lines.append(f"target (H200): {TARGET['epochs']} epochs on {TARGET['images']} images "
                     f"<= {TARGET['seconds']:.0f} s: {totals['epochs_sum_s']:.1f} s, "
                     f"{'met' if met else 'NOT met'}")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    print(machine_report(), flush=True)
    res = time_training(args)
    totals = summarise(res)
    print(report(res, totals), flush=True)
    if args.json:
        write_json(Path(args.json), {"args": vars(args), **res, "totals": totals})
    return 0


if __name__ == "__main__":
    sys.exit(main())
