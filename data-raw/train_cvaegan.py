"""Train the conditional VAE and the conditional VAE-GAN shipped in python/vaelab/weights/.

    python data-raw/train_cvaegan.py --data ../shared/data/mnist                 # both
    python data-raw/train_cvaegan.py --data ../shared/data/mnist --only cvaegan
    python data-raw/train_cvaegan.py --n-train 2000 --epochs 1 --weights-dir /tmp/w   # a trial

Recipes follow the Habr VAE-GAN article (after Larsen et al. 2016): latent_dim 8, batch 64,
the one-hot label fed to encoder, decoder and discriminator, dropout 0.3 and LeakyReLU in
the discriminator, RMSprop at 0.001 / 0.0003 / 0.001 (encoder / decoder / discriminator),
the discriminator skipped while it wins and the generator step repeated. The conditional
VAE (same encoder and decoder, pixel loss) is the baseline that isolates what the learned
similarity adds. Both are seeded; the manifest records versions, seed, data, the history
and test metrics (full test set and the first 1,000 test images, which the test suite
re-checks). Needs the shipped classifier (data-raw/train_pretrained.py) for the metrics.
"""

import argparse
import sys
import time
from pathlib import Path

import vaelab
from vaelab.pretrained import export_pretrained

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_pretrained import DATA_NOTE, SEED, SUBSET, versions  # noqa: E402

RECIPES = {
    "cvae": dict(latent_dim=8, recipe="elbo", batch_size=64, epochs=10),
    # Two epochs of 938 batches, about 7 minutes each on 2 CPU cores. A 7 redrawn as each
    # digit is then recognised as that digit 86% of the time (84% after one epoch).
    "cvaegan": dict(latent_dim=8, recipe="vaegan", batch_size=64, epochs=2, gamma=0.05,
                    beta=8.0, dropout=0.3, learning_rates=[1e-3, 3e-4, 1e-3], win_threshold=0.35,
                    max_generator_steps=2, log_var_clip=2.0),
}


def metrics(model, classifier, x, y):
    """What test_pretrained.py re-checks: errors, blur and recognisability of reconstructions."""
    rec = vaelab.reconstruct_any(model, x, y)
    return {**vaelab.reconstruction_errors(x, rec),
            "mean_laplacian_variance": float(vaelab.laplacian_variance(rec).mean()),
            "classifier_accuracy": vaelab.classifier_accuracy(classifier, rec, y)}


def train(name, recipe, x, y, verbose):
    """Build and train `name`; returns the model, its history and the training time."""
    t0 = time.time()
    if name == "cvae":
        model = vaelab.build_cvae(latent_dim=recipe["latent_dim"], recipe=recipe["recipe"],
                                  seed=SEED)
        history = vaelab.train_cvae(model, x, y, epochs=recipe["epochs"],
                                    batch_size=recipe["batch_size"], seed=SEED,
                                    verbose=2 if verbose else 0).history
    else:
        keys = ("latent_dim", "gamma", "beta", "dropout", "learning_rates", "win_threshold",
                "max_generator_steps", "log_var_clip")
        model = vaelab.build_vaegan(conditional=True, seed=SEED, **{k: recipe[k] for k in keys})
        history = vaelab.train_vaegan(model, x, y, epochs=recipe["epochs"],
                                      batch_size=recipe["batch_size"], seed=SEED,
                                      verbose=int(verbose))
    return model, history, round(time.time() - t0, 1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=None, help="MNIST folder (default: $VAELAB_DATA)")
    p.add_argument("--only", choices=list(RECIPES), action="append",
                   help="train only these models (repeatable)")
    p.add_argument("--epochs", type=int, default=None,
                   help="train shorter than the recipe (recorded beside recipe_epochs)")
    p.add_argument("--n-train", type=int, default=None,
                   help="train on the first N training images only (for a trial run)")
    p.add_argument("--weights-dir", default=None,
                   help="write weights and manifest here instead of the package (trials)")
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    args = p.parse_args()
    (x, y), (x_test, y_test) = vaelab.load_mnist(args.data)
    if args.n_train is not None:
        x, y = x[:args.n_train], y[:args.n_train]
    classifier = vaelab.load_pretrained("classifier")
    for name in args.only or list(RECIPES):
        recipe = dict(RECIPES[name])
        entry = {"architecture": name, "data": DATA_NOTE, "seed": SEED, "versions": versions(),
                 "subset": f"first {SUBSET} test images", "n_train": int(len(x)),
                 "optimizer": "rmsprop"}
        if args.epochs is not None:
            entry["recipe_epochs"] = recipe["epochs"]
            recipe["epochs"] = args.epochs
        print(f"== {name}: {recipe}", flush=True)
        model, history, seconds = train(name, recipe, x, y, not args.quiet)
        entry.update(recipe)
        entry.update({
            "train_seconds": seconds,
            "history": {k: [round(float(v), 5) for v in values] for k, values in history.items()},
            "metrics": {**metrics(model, classifier, x_test, y_test),
                        "generation_accuracy": vaelab.generation_accuracy(
                            model, classifier, n_per_class=100, seed=SEED)["overall"]},
            "subset_metrics": metrics(model, classifier, x_test[:SUBSET], y_test[:SUBSET]),
        })
        entry = export_pretrained(model, name, entry, args.weights_dir)
        print(f"   {name}: {entry['metrics']}", flush=True)


if __name__ == "__main__":
    main()
