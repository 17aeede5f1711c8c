"""Train the face models shipped in python/vaelab/weights/ (never run at install time).

    python data-raw/train_faces.py                        # all four
    python data-raw/train_faces.py --only faces_vae       # the others must be shipped

Everything is drawn here, nothing is downloaded: 20,000 synthetic cartoon faces
(vaelab.synthetic_faces, 64 x 64 x 3, seed SEED) to train on, 2,000 test faces (seed
SEED + 1) to measure on, 2,000 more (seed SEED + 2) whose latent means give the attribute
vectors (facenet's mean with minus mean without). Four models, each seeded:

* faces_classifier: the attribute classifier (width 16), the DFC VAE's perceptual model;
* faces_evaluator: a second attribute classifier (width 24, another seed), trained apart,
  that measures the VAEs (vaelab.classifiers says why it must not be the first);
* faces_vae: the DFC paper's architecture with the Gaussian likelihood (half the squared
  error, KL weight 1), latent_dim 64, Adam(5e-4, beta_1=0.5) as in the paper;
* faces_dfc_vae: the same with the perceptual loss on faces_classifier's conv1, conv2 and
  conv3, weight 0.5 each (the paper's weights per layer).

The paper's latent size is 100; 64 keeps the files small. Weights are stored as float16
(the four files together under 12 MB) and every number is measured on the rounded weights,
as load_pretrained() gives them. The manifest records the metrics on the 2,000 test faces
and on the first 300 of them, which the test suite re-checks. 39 minutes on two CPU cores
shared with other work (train_seconds in the manifest: the two VAEs take most of it).
"""

import argparse
import platform
import time

import keras
import numpy as np

import vaelab
from vaelab.export import export_pretrained

SEED = 20161002  # the DFC VAE paper's arXiv month
N_TRAIN, N_TEST, N_VECTORS, SUBSET = 20000, 2000, 2000, 300
TEST_SEED, VECTOR_SEED = SEED + 1, SEED + 2
STRENGTHS = [0.0, 1.0, 2.0, 3.0]
DTYPE = "float16"
MIN_ACCURACY = 0.95  # a classifier's mean test accuracy over the attributes, to ship it
DATA_NOTE = (f"Synthetic cartoon faces (vaelab.synthetic_faces, 64 x 64 x 3), not CelebA: "
             f"{N_TRAIN:,} training faces (seed {SEED}), {N_TEST:,} test faces (seed "
             f"{TEST_SEED}), {N_VECTORS:,} faces for the attribute vectors (seed "
             f"{VECTOR_SEED}).")
CLASSIFIERS = {
    "faces_classifier": {"width": 16, "seed": SEED},
    "faces_evaluator": {"width": 24, "seed": SEED + 3},
}
VAE_RECIPE = {"latent_dim": 64, "recipe": "elbo", "epochs": 4, "batch_size": 64,
              "learning_rate": 5e-4, "beta_1": 0.5}
DFC_LAYERS = {"layers": ["conv1", "conv2", "conv3"], "layer_weights": [0.5, 0.5, 0.5]}


def versions():
    import tensorflow as tf
    return {"vaelab": vaelab.__version__, "keras": keras.__version__,
            "tensorflow": tf.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def as_stored(model):
    """Round `model`'s float weights as the file will store them, so that what is measured
    is what load_pretrained() gives back."""
    model.set_weights([w.astype(DTYPE).astype(w.dtype) if w.dtype == np.float32 else w
                       for w in model.get_weights()])
    return model


def train_classifier(name, train, test):
    recipe = {"epochs": 10, "batch_size": 64, **CLASSIFIERS[name]}
    t0 = time.time()
    model = vaelab.train_attribute_classifier(
        *train, epochs=recipe["epochs"], batch_size=recipe["batch_size"],
        width=recipe["width"], seed=recipe["seed"], verbose=2)
    seconds = time.time() - t0
    as_stored(model)
    x, a = test
    metrics = vaelab.attribute_accuracy(model, x, a)
    if metrics["mean"] < MIN_ACCURACY:
        raise SystemExit(f"{name}: mean test accuracy {metrics['mean']:.4f} < "
                         f"{MIN_ACCURACY}: not shipping it")
    return model, {
        "architecture": "attribute_classifier", "input_shape": list(x.shape[1:]),
        "attributes": vaelab.attribute_names(model), "latent_dim": None, **recipe,
        "optimizer": "adam(1e-3)", "train_seconds": round(seconds, 1),
        "metrics": {"attribute_accuracy": metrics},
        "subset_metrics": {"attribute_accuracy": vaelab.attribute_accuracy(
            model, x[:SUBSET], a[:SUBSET])}}


def train_vae_model(name, train, classifier):
    r = VAE_RECIPE
    optimizer = keras.optimizers.Adam(r["learning_rate"], beta_1=r["beta_1"])
    if name == "faces_dfc_vae":
        model = vaelab.build_dfc_vae(classifier, latent_dim=r["latent_dim"], recipe=r["recipe"],
                                     optimizer=optimizer, seed=SEED, **DFC_LAYERS)
        extra = {"architecture": "dfc_vae", "perceptual_model": "faces_classifier",
                 **DFC_LAYERS}
    else:
        model = vaelab.build_vae(latent_dim=r["latent_dim"], recipe=r["recipe"],
                                 optimizer=optimizer, seed=SEED,
                                 input_shape=train[0].shape[1:], likelihood="gaussian")
        extra = {"architecture": "vae", "likelihood": "gaussian"}
    t0 = time.time()
    history = vaelab.train_vae(model, train[0], epochs=r["epochs"], batch_size=r["batch_size"],
                               seed=SEED, verbose=2)
    entry = {**extra, "input_shape": list(train[0].shape[1:]), **r,
             "optimizer": f"adam({r['learning_rate']:g}, beta_1={r['beta_1']:g})",
             "train_seconds": round(time.time() - t0, 1),
             "history": {k: [round(float(v), 5) for v in vals]
                         for k, vals in history.history.items()}}
    return as_stored(model), entry


def vae_metrics(name, models, evaluator, test, vectors, subset=False):
    """The numbers of `name` among `models` (all measured, so the paired test is there)."""
    x, a = test
    result = vaelab.evaluate_faces(models, evaluator, x, a, vectors={name: vectors},
                                   strengths=STRENGTHS)
    effect = result["attribute_effect"][name]
    metrics = {"mean_laplacian_variance": result["mean_laplacian_variance"][name],
               "original_laplacian_variance": result["mean_laplacian_variance"]["original"],
               "mse": result["reconstruction_error"][name]["mse"],
               "attribute_accuracy": result["attribute_accuracy"][name],
               "strengths": STRENGTHS,
               "attribute_effect": {"Smiling": effect["Smiling"]} if subset else effect}
    others = [n for n in models if n != name]
    for other in others:
        row = result["tests"].query("a == @other and b == @name").iloc[0]
        metrics[f"sharpness_vs_{other}"] = {
            "mean_difference": -float(row["mean_difference"]),
            "t_statistic": -float(row["t_statistic"]), "t_pvalue": float(row["t_pvalue"]),
            "wilcoxon_pvalue": float(row["wilcoxon_pvalue"]),
            "cohens_dz": -float(row["cohens_dz"])}
    return metrics


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=[*CLASSIFIERS, "faces_vae", "faces_dfc_vae"],
                   action="append", help="train only these models (repeatable); the others "
                   "must be shipped")
    args = p.parse_args()
    names = args.only or [*CLASSIFIERS, "faces_vae", "faces_dfc_vae"]
    t0 = time.time()
    train = vaelab.synthetic_faces(N_TRAIN, seed=SEED)
    test = vaelab.synthetic_faces(N_TEST, seed=TEST_SEED)
    vector_faces = vaelab.synthetic_faces(N_VECTORS, seed=VECTOR_SEED)
    print(f"drew the faces in {time.time() - t0:.0f} s", flush=True)
    common = {"data": DATA_NOTE, "seed": SEED, "versions": versions(),
              "train_faces": {"n": N_TRAIN, "seed": SEED},
              "test_faces": {"n": N_TEST, "seed": TEST_SEED},
              "vector_faces": {"n": N_VECTORS, "seed": VECTOR_SEED},
              "subset": f"first {SUBSET} test faces"}
    models = {}

    def shipped(name):
        """The model `name`, trained in this run or else the shipped one."""
        return models[name] if name in models else vaelab.load_pretrained(name)

    for name in names:
        print(f"== {name}", flush=True)
        if name in CLASSIFIERS:
            models[name], entry = train_classifier(name, train, test)
        else:
            models[name], entry = train_vae_model(name, train, shipped("faces_classifier"))
            vectors = vaelab.attribute_vectors(models[name], *vector_faces)
            # The DFC VAE is measured beside the plain one: the paired test of sharpness.
            measured = {n: shipped(n) for n in ("faces_vae", name)}
            evaluator = shipped("faces_evaluator")
            x, a = test
            entry["metrics"] = vae_metrics(name, measured, evaluator, test, vectors)
            entry["subset_metrics"] = vae_metrics(name, measured, evaluator,
                                                  (x[:SUBSET], a[:SUBSET]), vectors,
                                                  subset=True)
        entry = export_pretrained(models[name], name, {**common, **entry}, dtype=DTYPE)
        print(f"   {name}: {entry['bytes']} bytes, {entry['metrics']}", flush=True)
    check_shipped(names, test)
    print(f"done in {time.time() - t0:.0f} s", flush=True)


def check_shipped(names, test):
    """Load what was written and compare a number of each with its manifest entry."""
    x, a = test
    evaluator = vaelab.load_pretrained("faces_evaluator")
    for name in names:
        model = vaelab.load_pretrained(name)
        recorded = vaelab.manifest()[name]["subset_metrics"]["attribute_accuracy"]["mean"]
        measured = vaelab.attribute_accuracy(
            model if name in CLASSIFIERS else evaluator,
            x[:SUBSET] if name in CLASSIFIERS else vaelab.reconstruct(model, x[:SUBSET]),
            a[:SUBSET])["mean"]
        if not np.isclose(measured, recorded, atol=1e-9):
            raise SystemExit(f"{name}: shipped weights give {measured}, manifest {recorded}")


if __name__ == "__main__":
    main()
