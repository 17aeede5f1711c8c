#!/usr/bin/env python
"""bfloat16 against float32: training speed, and the numbers the DFC article reports.

    python benchmarks/precision.py            # 12,000 MNIST images, 3 epochs (about 10 min)
    python benchmarks/precision.py --quick    # a short run that checks every path works

The plain VAE and the DFC VAE (latent size 5, the shipped MNIST classifier as perceptual
model, RMSprop, batch 32, seed 1) are trained from the same initial weights in float32 and
with ``precision="bfloat16"``, each in a fresh process, with XLA off and the training plan
fixed (``jit_compile=False``), so that only the precision differs. Each is then measured on
the first test images: the KL term and the per-pixel binary cross-entropy, the sharpness
of the reconstructions (mean Laplacian variance) and the shipped classifier's accuracy on
them. Last, the article's conclusions are checked in each precision: the DFC VAE's
reconstructions are sharper than the plain VAE's (paired t-test) and better recognised.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faces_speed import run  # noqa: E402
from train_speed import epoch_timer, machine_report, write_json  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODELS = {"vae": "plain VAE", "dfc_vae": "DFC VAE"}
PRECISIONS = ("float32", "bfloat16")
SEED = 1
FULL = dict(images=12000, epochs=3, test_images=2000)
QUICK = dict(images=256, epochs=1, test_images=128)


def train_worker(spec: dict) -> dict:
    """Train one (model, precision) and save the reconstructions of the test images."""
    import numpy as np

    import vaelab

    (x, _), (x_test, _) = vaelab.load_mnist()
    x, x_test = x[:spec["images"]], x_test[:spec["test_images"]]
    common = dict(latent_dim=5, seed=SEED, jit_compile=False, precision=spec["precision"])
    model = (vaelab.build_vae(**common) if spec["model"] == "vae" else
             vaelab.build_dfc_vae(vaelab.load_pretrained("classifier"), **common))
    timer = epoch_timer()
    history = vaelab.train_vae(model, x, epochs=spec["epochs"], batch_size=32, verbose=0,
                               callbacks=[timer])
    z_mean, z_log_var = vaelab.encode_distribution(model, x_test)
    kl = vaelab.kl_divergence(z_mean, z_log_var)
    reconstructions = vaelab.reconstruct(model, x_test)
    np.save(spec["out"], reconstructions)
    return {"epoch_s": [e[0] for e in timer.epochs],
            "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "test_kl": float(np.mean(np.asarray(kl))),
            "test_bce": vaelab.reconstruction_errors(x_test, reconstructions)["bce"]}


def evaluate(results: dict, test_images: int) -> dict:
    """Sharpness and accuracy of every run's reconstructions, and the paired tests."""
    import numpy as np

    import vaelab

    _, (x_test, y_test) = vaelab.load_mnist()
    x_test, y_test = x_test[:test_images], y_test[:test_images]
    classifier = vaelab.load_pretrained("classifier")
    out = {"original": {"sharpness": float(np.mean(vaelab.laplacian_variance(x_test))),
                        "accuracy": vaelab.classifier_accuracy(classifier, x_test, y_test)}}
    blur = {}
    for key, res in results.items():
        recs = np.load(res["out"])
        blur[key] = vaelab.laplacian_variance(recs)
        out[key] = {"sharpness": float(np.mean(blur[key])),
                    "accuracy": vaelab.classifier_accuracy(classifier, recs, y_test)}
    tests = {}
    for precision in PRECISIONS:
        dfc, plain = blur.get(("dfc_vae", precision)), blur.get(("vae", precision))
        if dfc is not None and plain is not None:
            tests[precision] = vaelab.paired_ttest(dfc, plain)
    return {"rows": out, "tests": tests}


def report(results: dict, evaluation: dict, images: int) -> str:
    """The table, then the ratios and the conclusions, as Markdown-friendly text."""
    rows = evaluation["rows"]
    lines = ["| model | precision | img/s | loss | test KL | test BCE/pixel | sharpness "
             "| accuracy |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
             f"| originals | - | - | - | - | - | {rows['original']['sharpness']:.4f} "
             f"| {rows['original']['accuracy']:.3f} |"]
    for (model, precision), res in results.items():
        ips = images / statistics.median(res["epoch_s"])
        lines.append(f"| {MODELS[model]} | {precision} | {ips:.0f} | "
                     f"{res['history']['loss'][-1]:.2f} | {res['test_kl']:.2f} | "
                     f"{res['test_bce']:.4f} | {rows[model, precision]['sharpness']:.4f} | "
                     f"{rows[model, precision]['accuracy']:.3f} |")
    lines.append("")
    for model, title in MODELS.items():
        a, b = results.get((model, "bfloat16")), results.get((model, "float32"))
        if a and b:
            speed = statistics.median(b["epoch_s"]) / statistics.median(a["epoch_s"])
            lines.append(f"{title}: bfloat16 trains {speed:.2f}x as fast as float32 per epoch")
    verdicts = []
    for precision, test in evaluation["tests"].items():
        sharper = test.mean_difference > 0 and test.pvalue < 0.05
        accurate = (rows["dfc_vae", precision]["accuracy"]
                    >= rows["vae", precision]["accuracy"])
        verdicts.append((sharper, accurate))
        lines.append(f"{precision}: DFC VAE sharper than plain VAE: {'yes' if sharper else 'no'}"
                     f" (t = {test.statistic:.1f}, p = {test.pvalue:.2g}); better recognised: "
                     f"{'yes' if accurate else 'no'}")
    if len(verdicts) == 2:
        lines.append("conclusions the same in both precisions: "
                     + ("yes" if verdicts[0] == verdicts[1] else "NO"))
    return "\n".join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help=f"a short run ({QUICK})")
    p.add_argument("--images", type=int, help=f"training images ({FULL['images']})")
    p.add_argument("--epochs", type=int, help=f"epochs ({FULL['epochs']})")
    p.add_argument("--test-images", type=int, help=f"test images ({FULL['test_images']})")
    p.add_argument("--json", help="also write every number to this JSON file")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
        if getattr(args, key) < 1:
            p.error(f"--{key.replace('_', '-')}: expected a whole number >= 1, got "
                    f"{getattr(args, key)}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(train_worker(json.loads(args.worker))), flush=True)
        return 0
    started = time.time()
    print(machine_report(), flush=True)
    env = {**os.environ, "VAELAB_TUNE": "off", "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "python")] + [p for p in [os.environ.get("PYTHONPATH")] if p])}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    print(f"\n{args.images} MNIST images, {args.epochs} epoch(s), batch 32; "
          f"{args.test_images} test images.", flush=True)
    results = {}
    with tempfile.TemporaryDirectory(prefix="vaelab-precision-") as tmp:
        for model in MODELS:
            for precision in PRECISIONS:
                spec = {"model": model, "precision": precision, "images": args.images,
                        "epochs": args.epochs, "test_images": args.test_images,
                        "out": str(Path(tmp) / f"{model}-{precision}.npy")}
                res = run(spec, env, __file__, f"{model} {precision}")
                if res is not None:
                    results[model, precision] = {**res, "out": spec["out"]}
        sys.path.insert(0, str(ROOT / "python"))
        evaluation = evaluate(results, args.test_images)
    print("\n" + report(results, evaluation, args.images))
    print(f"\nTotal time: {time.time() - started:.0f} s")
    if args.json:
        write_json(Path(args.json), {
            "runs": {f"{m} {p}": {k: v for k, v in r.items() if k != "out"}
                     for (m, p), r in results.items()},
            "evaluation": {f"{k if isinstance(k, str) else ' '.join(k)}": v
                           for k, v in evaluation["rows"].items()}})
    return 0 if len(results) == len(MODELS) * len(PRECISIONS) else 1


if __name__ == "__main__":
    sys.exit(main())
