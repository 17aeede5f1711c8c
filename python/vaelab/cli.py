"""Command line: ``python -m vaelab {train,evaluate,demo}`` (also the ``vaelab`` script)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from .files import check_writable
from .output import show_progress

MODELS = ("classifier", "vae", "dfc_vae", "vae_2d")
# How the shipped VAEs were trained (data-raw/train_pretrained.py follows them too): the
# article's plain and DFC VAE, the book's 2-d VAE.
TRAINING_RECIPES = {
    "vae": dict(latent_dim=5, recipe="elbo", batch_size=32, epochs=15),
    "dfc_vae": dict(latent_dim=5, recipe="elbo", batch_size=32, epochs=15,
                    layers=("conv1", "conv2"), layer_weights=(1.0, 1.0)),
    "vae_2d": dict(latent_dim=2, recipe="book", batch_size=16, epochs=10),
}


def main(argv=None) -> int:
    """Entry point of the ``vaelab`` command."""
    from .training import TrainingDivergedError

    args = _parser().parse_args(argv)
    show_progress()
    try:
        return args.run(args)
    except (ValueError, OSError, TrainingDivergedError) as err:
        print(f"vaelab {args.command}: error: {err}", file=sys.stderr)
        return 2


def _parser():
    p = argparse.ArgumentParser(prog="vaelab", description=(
        "Train and evaluate variational autoencoders on MNIST (plain VAE, DFC VAE)."))
    sub = p.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", default=None, help=(
        "folder with the four MNIST IDX files or mnist.npz (default: $VAELAB_DATA, then the "
        "Keras cache, then download)"))
    common.add_argument("--no-verify", action="store_true", help=(
        "load MNIST files whose sha256 matches no known version (altered or home-made copies)"))
    common.add_argument("--out", default="out", help="folder for every output (default: out)")
    common.add_argument("--subset", type=_positive, default=None, help=(
        "use only the first N training images (and N/6 test images) for a quick run"))
    common.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")

    t = sub.add_parser("train", parents=[common], help="train one model and save its weights")
    t.add_argument("--model", choices=MODELS, required=True, help="which model to train")
    t.add_argument("--epochs", type=_positive, default=None,
                   help="epochs (default: the shipped recipe: 10 classifier, 15 VAEs, 10 vae_2d)")
    t.add_argument("--batch-size", type=_positive, default=None,
                   help="batch size (default: the shipped recipe: 128 classifier, 32, 16 vae_2d)")
    t.add_argument("--classifier", default=None, help=(
        "weights of the perceptual classifier for dfc_vae (default: the shipped one)"))
    t.set_defaults(run=_train)

    e = sub.add_parser("evaluate", parents=[common],
                       help="evaluate the pretrained models on the test set and write a report")
    e.add_argument("--weights-dir", default=None,
                   help="folder with manifest.json and weights (default: the shipped weights)")
    e.set_defaults(run=_evaluate)

    d = sub.add_parser("demo", parents=[common], help=(
        "write figures and a report comparing plain and DFC VAE: pretrained weights when "
        "shipped, else a short training run"))
    d.add_argument("--epochs", type=_positive, default=2,
                   help="epochs for the short training run without pretrained weights (default: 2)")
    d.set_defaults(run=_demo)
    return p


def _positive(text):
    """argparse type: an integer >= 1 (0 would otherwise silently mean "the default")."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def _data(args):
    from .data import load_mnist

    (x_train, y_train), (x_test, y_test) = load_mnist(args.data, verify=not args.no_verify)
    if args.subset:
        n_test = max(args.subset // 6, 100)
        x_train, y_train = x_train[:args.subset], y_train[:args.subset]
        x_test, y_test = x_test[:n_test], y_test[:n_test]
    return (x_train, y_train), (x_test, y_test)


def _train(args):
    from .models import (
        build_dfc_vae,
        build_perceptual_model,
        build_vae,
        load_weights,
        save_weights,
        train_perceptual_model,
    )
    from .pretrained import load_pretrained
    from .training import train_vae

    # Checked first: a bad --out found after training would lose the training.
    path = check_writable(Path(args.out) / f"{args.model}.weights.h5")
    (x, y), (xt, yt) = _data(args)
    if args.model == "classifier":
        model = train_perceptual_model(x, y, epochs=args.epochs or 10,
                                       batch_size=args.batch_size or 128,
                                       validation_data=(xt, yt), seed=args.seed)
    else:
        r = TRAINING_RECIPES[args.model]
        if args.model == "dfc_vae":
            clf = (load_weights(build_perceptual_model(), args.classifier) if args.classifier
                   else load_pretrained("classifier"))
            model = build_dfc_vae(clf, latent_dim=r["latent_dim"], layers=r["layers"],
                                  layer_weights=r["layer_weights"], recipe=r["recipe"],
                                  seed=args.seed)
        else:
            model = build_vae(latent_dim=r["latent_dim"], recipe=r["recipe"], seed=args.seed)
        train_vae(model, x, epochs=args.epochs or r["epochs"],
                  batch_size=args.batch_size or r["batch_size"], validation_data=xt,
                  seed=args.seed, verbose=1)
    print(f"saved {_save_or_rescue(model, path, save_weights)}")
    return 0


def _save_or_rescue(model, path, save):
    """`save(model, path)`; if that fails after all (the disk filled up during training),
    save into the system's temporary folder instead and say where, then fail."""
    try:
        return save(model, path)
    except OSError as err:
        rescue = Path(tempfile.mkdtemp(prefix="vaelab-rescued-")) / path.name
        save(model, rescue)
        raise OSError(f"{err}; the trained weights were saved to {rescue} instead") from err


def _evaluate(args):
    from .pretrained import load_pretrained

    check_writable(Path(args.out) / "metrics.json")
    names = {"plain VAE": "vae", "DFC VAE": "dfc_vae"}
    models = {label: load_pretrained(name, args.weights_dir) for label, name in names.items()}
    classifier = load_pretrained("classifier", args.weights_dir)
    manifold = load_pretrained("vae_2d", args.weights_dir)
    _, test = _data(args)
    return _report(args, models, classifier, manifold, test,
                   "pretrained weights shipped with vaelab")


def _demo(args):
    from .pretrained import available_pretrained

    if set(available_pretrained()) >= set(MODELS):
        return _evaluate(argparse.Namespace(**vars(args), weights_dir=None))
    from .models import build_dfc_vae, build_vae, train_perceptual_model
    from .training import train_vae

    check_writable(Path(args.out) / "metrics.json")
    (x, y), (xt, yt) = _data(args)
    print("no pretrained weights shipped: training briefly", file=sys.stderr)
    classifier = train_perceptual_model(x, y, epochs=1, seed=args.seed, verbose=1)
    models = {"plain VAE": build_vae(seed=args.seed),
              "DFC VAE": build_dfc_vae(classifier, seed=args.seed)}
    for model in models.values():
        train_vae(model, x, epochs=args.epochs, batch_size=128, seed=args.seed, verbose=1)
    manifold = build_vae(latent_dim=2, recipe="book", seed=args.seed)
    train_vae(manifold, x, epochs=args.epochs, batch_size=128, seed=args.seed, verbose=1)
    return _report(args, models, classifier, manifold, (xt, yt),
                   f"models trained for {args.epochs} epoch(s) on {len(x)} images")


def _report(args, models, classifier, manifold, test, provenance):
    from .report import write_report

    xt, yt = test
    print(f"evaluating on {len(xt)} test images", file=sys.stderr)
    path = write_report(args.out, models, classifier, xt, yt, manifold_model=manifold,
                        title="vaelab: plain VAE vs DFC VAE",
                        notes=f"Models: {provenance}.")
    results = json.loads((Path(args.out) / "metrics.json").read_text())
    print(f"wrote {path} (classifier accuracy: "
          + ", ".join(f"{k} {v:.3f}" for k, v in results["classifier_accuracy"].items()) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
