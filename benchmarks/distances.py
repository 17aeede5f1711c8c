"""Time FID and KID on 10,000 images against a straightforward implementation, in one run.

    python benchmarks/distances.py                   # 10,000 test images vs 10,000 VAE samples
    python benchmarks/distances.py --n 500 --subsets 5   # a quick check that it runs

The reference is what a tutorial writes: ``model.predict`` on a Keras model that outputs the
classifier's penultimate layer, ``scipy.linalg.sqrtm`` on the covariance product, and KID's
kernel cubed with ``** 3``. Both compute the same numbers (printed, so a reader can see it);
the table gives the seconds of each step and vaelab's speed-up. Needs MNIST (VAELAB_DATA).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_speed import machine_report  # noqa: E402


def reference_features(classifier, images):
    """The penultimate layer's activations through one ``predict`` call."""
    import keras
    model = keras.Model(classifier.inputs, classifier.layers[-2].output)
    return model.predict(images, verbose=0).astype(np.float64)


def reference_fid(a, b):
    import scipy.linalg
    diff = a.mean(0) - b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return float(diff @ diff + np.trace(cov_a + cov_b - 2 * root))


def reference_kid(a, b, subsets, size, seed):
    rng = np.random.default_rng(seed)
    d, values = a.shape[1], []
    for _ in range(subsets):
        x = a[rng.choice(len(a), size, replace=False)]
        y = b[rng.choice(len(b), size, replace=False)]
        k_xx, k_yy, k_xy = ((p @ q.T / d + 1) ** 3 for p, q in ((x, x), (y, y), (x, y)))
        within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (size * (size - 1))
        values.append(within - 2 * k_xy.mean())
    return float(np.mean(values))


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="images in each set")
    parser.add_argument("--subsets", type=int, default=100, help="KID subsets")
    parser.add_argument("--subset-size", type=int, default=1000, help="KID subset size")
    args = parser.parse_args(argv)
    if args.n < 2 or args.subsets < 1 or args.subset_size < 2:
        parser.error("--n and --subset-size must be >= 2, --subsets >= 1")
    import vaelab
    print(machine_report())
    (_, _), (x_test, _) = vaelab.load_mnist(download=False)
    real = x_test[:args.n]
    fake = vaelab.generate(vaelab.load_pretrained("vae"), len(real), seed=1)
    classifier = vaelab.load_pretrained("classifier")
    size = min(args.subset_size, len(real))

    rows, values = [], {}
    for name, features, fid, kid in [
        ("reference", lambda imgs: reference_features(classifier, imgs), reference_fid,
         lambda a, b: reference_kid(a, b, args.subsets, size, seed=1)),
        ("vaelab", lambda imgs: vaelab.image_features(imgs, classifier),
         vaelab.frechet_distance,
         lambda a, b: vaelab.kernel_inception_distance(a, b, subsets=args.subsets,
                                                       subset_size=size, seed=1).kid),
    ]:
        (f_real, f_fake), t_features = timed(lambda: (features(real), features(fake)))
        values[name] = [*timed(lambda: fid(f_real, f_fake)), *timed(lambda: kid(f_real, f_fake))]
        rows.append((name, t_features, values[name][1], values[name][3]))

    print(f"\n{len(real)} test images vs {len(fake)} samples of the shipped VAE; "
          f"KID over {args.subsets} subsets of {size}")
    print(f"{'implementation':<16}{'features s':>12}{'FID s':>10}{'KID s':>10}{'total s':>10}")
    for name, *seconds in rows:
        print(f"{name:<16}" + "".join(f"{s:>{w}.2f}" for s, w in zip(seconds, (12, 10, 10)))
              + f"{sum(seconds):>10.2f}")
    ref, ours = (sum(r[1:]) for r in rows)
    print(f"vaelab / reference speed: {ref / ours:.2f}x "
          f"(KID alone {rows[0][3] / rows[1][3]:.2f}x)")
    print(f"FID  reference {values['reference'][0]:.6g}  vaelab {values['vaelab'][0]:.6g}")
    print(f"KID  reference {values['reference'][2]:.6g}  vaelab {values['vaelab'][2]:.6g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
