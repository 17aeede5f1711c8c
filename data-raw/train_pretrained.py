"""Train the pretrained models shipped in python/vaelab/weights/ (never run at install time).

    python data-raw/train_pretrained.py --data ../shared/data/mnist            # all four
    python data-raw/train_pretrained.py --data ../shared/data/mnist --only vae
    python data-raw/train_pretrained.py --only vae_2d --epochs 4   # shorter than the recipe

Recipes follow the sources: the article's plain and DFC VAE (latent_dim 5, RMSprop,
15 epochs, batch 32, all 60,000 training images, perceptual layers conv1 and conv2 with
weights 1.0), the book's 2-d VAE (batch 16, 10 epochs, its loss weighting). Each model is
seeded; the manifest records versions, seed, data and test metrics (full test set and the
first 1,000 test images, which the test suite re-checks).
"""

import argparse
import platform
import time

import keras
import numpy as np

import vaelab
from vaelab.cli import TRAINING_RECIPES
from vaelab.export import export_pretrained

SEED = 20181121
SUBSET = 1000
DATA_NOTE = ("MNIST: 60,000 training images rebuilt from a PNG export to within 1 gray level "
             "of the originals (97.2% of pixels exact on the test set); the 10,000 test "
             "images and all labels are the official files.")


def versions():
    import tensorflow as tf
    return {"vaelab": vaelab.__version__, "keras": keras.__version__,
            "tensorflow": tf.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def vae_metrics(model, classifier, x, y):
    rec = vaelab.reconstruct(model, x)
    err = vaelab.reconstruction_errors(x, rec)
    return {"bce": err["bce"], "mse": err["mse"],
            "mean_laplacian_variance": float(vaelab.laplacian_variance(rec).mean()),
            "classifier_accuracy": vaelab.classifier_accuracy(classifier, rec, y)}


def train_classifier(data, test):
    t0 = time.time()
    model = vaelab.train_perceptual_model(*data, epochs=10, batch_size=128, shift=2.0,
                                          validation_data=test, seed=SEED, verbose=2)
    acc = vaelab.classifier_accuracy(model, *test)
    if acc < 0.99:
        raise SystemExit(f"classifier test accuracy {acc:.4f} < 0.99: not shipping it")
    return model, {"architecture": "perceptual_model", "latent_dim": None, "epochs": 10,
                   "batch_size": 128, "optimizer": "adam", "augmentation": "random shifts <= 2 px",
                   "train_seconds": round(time.time() - t0, 1),
                   "metrics": {"test_accuracy": acc},
                   "subset_metrics": {"classifier_accuracy": vaelab.classifier_accuracy(
                       model, test[0][:SUBSET], test[1][:SUBSET])}}


def train_vae_model(name, data, test, classifier, epochs=None):
    r = {**TRAINING_RECIPES[name], "recipe_epochs": TRAINING_RECIPES[name]["epochs"]}
    r["epochs"] = epochs or r["epochs"]
    if name == "dfc_vae":
        model = vaelab.build_dfc_vae(classifier, latent_dim=r["latent_dim"], layers=r["layers"],
                                     layer_weights=r["layer_weights"], recipe=r["recipe"],
                                     seed=SEED)
    else:
        model = vaelab.build_vae(latent_dim=r["latent_dim"], recipe=r["recipe"], seed=SEED)
    t0 = time.time()
    history = vaelab.train_vae(model, data[0], epochs=r["epochs"], batch_size=r["batch_size"],
                               validation_data=test[0], seed=SEED, verbose=2)
    entry = {"architecture": "dfc_vae" if name == "dfc_vae" else "vae", **r,
             "optimizer": "rmsprop", "train_seconds": round(time.time() - t0, 1),
             "history": {k: [round(float(v), 5) for v in vals]
                         for k, vals in history.history.items()},
             "metrics": vae_metrics(model, classifier, *test),
             "subset_metrics": vae_metrics(model, classifier, test[0][:SUBSET],
                                           test[1][:SUBSET])}
    if name == "dfc_vae":
        entry["perceptual_model"] = "classifier"
    return model, entry


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=None, help="MNIST folder (default: $VAELAB_DATA)")
    p.add_argument("--only", choices=["classifier", *TRAINING_RECIPES], action="append",
                   help="train only these models (repeatable); the others must be shipped")
    p.add_argument("--epochs", type=int, default=None, help=(
        "train the VAEs for this many epochs instead of their recipe's (recorded in the "
        "manifest as epochs, beside recipe_epochs)"))
    args = p.parse_args()
    names = args.only or ["classifier", *TRAINING_RECIPES]
    data, test = vaelab.load_mnist(args.data)
    common = {"data": DATA_NOTE, "seed": SEED, "versions": versions(),
              "subset": f"first {SUBSET} test images"}
    classifier = None
    for name in names:
        print(f"== {name}", flush=True)
        if name == "classifier":
            classifier, entry = train_classifier(data, test)
            model = classifier
        else:
            classifier = classifier or vaelab.load_pretrained("classifier")
            model, entry = train_vae_model(name, data, test, classifier, args.epochs)
        entry = export_pretrained(model, name, {**common, **entry})
        print(f"   {name}: {entry['metrics']}", flush=True)


if __name__ == "__main__":
    main()
