"""Command line: ``python -m vaelab {train,evaluate,demo}`` (also the ``vaelab`` script).

``train`` trains one model on one data source, ``--dataset``: MNIST by default (with the
recipes the shipped weights were trained with), Fashion-MNIST, CIFAR-10, CelebA or a folder
of images. A VAE's architecture follows the images' shape (:mod:`vaelab.models`): the
article's for 28 x 28 x 1, the DFC paper's for the others. CelebA and folders are read from
disk one batch at a time, resized to ``--size``. On MNIST it saves the weights
(``<model>.weights.h5``, like the shipped ones); on other data the whole model
(``<model>.keras``), whose image shape, latent size and perceptual model are part of it.

``evaluate`` writes the report on the pretrained MNIST models (``report.md``); given
``--models``, it compares instead how sharp their reconstructions of the test images of any
data source are (``sharpness.md``, ``sharpness.json``, ``reconstructions.png``). ``demo``
writes MNIST's report, after a short training run when no weights are shipped.
"""

from __future__ import annotations

import argparse
import itertools
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
DATASETS = ("mnist", "fashion-mnist", "cifar10", "celeba", "folder")
# Labelled 28 x 28 grey images: the shape of vaelab's classifier.
GREY_DATASETS = ("mnist", "fashion-mnist")
# Image files, read from disk batch by batch and resized to --size.
FILE_DATASETS = ("celeba", "folder")
DEFAULT_SIZE = 64
# The plain and DFC VAE's latent size on images of any other shape than MNIST's: the DFC
# paper's, for 64 x 64 faces.
PAPER_LATENT_DIM = 100
# --perceptual: VGG19 up to the DFC paper's content layers, each weighted 0.5 as there.
VGG19_CHOICES = {"vgg19": "vae-123", "vgg19-345": "vae-345"}
VGG19_LAYER_WEIGHT = 0.5
SHOWN = 10  # images in the reconstructions figure
CHUNK = 1000  # test images reconstructed at a time, so that memory stays bounded


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
        "Train and evaluate variational autoencoders (plain VAE, DFC VAE) on MNIST, "
        "Fashion-MNIST, CIFAR-10, CelebA or a folder of images."))
    sub = p.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", default=None, help=(
        "where the data is. MNIST: a folder with the four IDX files or mnist.npz; "
        "Fashion-MNIST: its four IDX files; CIFAR-10: cifar-10-batches-py or its .tar.gz "
        "(these three default to $VAELAB_DATA, then the Keras cache, then download); "
        "celeba: the folder with img_align_celeba/, list_attr_celeba.txt and "
        "list_eval_partition.txt; folder: a folder of PNG and JPEG files (required for "
        "these two)"))
    common.add_argument("--no-verify", action="store_true", help=(
        "load MNIST, Fashion-MNIST or CIFAR-10 files whose checksum matches no known version "
        "(altered or home-made copies)"))
    common.add_argument("--out", default="out", help="folder for every output (default: out)")
    common.add_argument("--subset", type=_positive, default=None, help=(
        "use only the first N training images (and the first max(N/6, 100) test images) "
        "for a quick run"))
    common.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    source = argparse.ArgumentParser(add_help=False)
    source.add_argument("--dataset", choices=DATASETS, default="mnist", help=(
        "the images: mnist (default), fashion-mnist, cifar10 (32 x 32 colour), celeba "
        "(its own layout, cropped as the DFC paper's authors did) or folder (any folder of "
        "images, centre-cropped; sub-folders are classes)"))
    source.add_argument("--size", type=_positive, default=None, help=(
        f"celeba and folder: the side the images are resized to (default: {DEFAULT_SIZE}); "
        "a multiple of 16 for the VAEs"))

    t = sub.add_parser(
        "train", parents=[common, source], help="train one model and save it",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Train one model and save it: on MNIST its weights (<model>.weights.h5), on other\n"
            "data the whole model (<model>.keras). A VAE's architecture follows the images'\n"
            "shape. Validation: the test split (CelebA: its validation split; a folder: none)."),
        epilog="examples:\n"
               "  vaelab train --model dfc_vae                     # MNIST, the shipped recipe\n"
               "  vaelab train --model vae --dataset cifar10 --epochs 5\n"
               "  vaelab train --model vae --dataset celeba --data ~/celeba --size 64\n"
               "  vaelab train --model dfc_vae --dataset celeba --data ~/celeba "
               "--perceptual vgg19\n"
               "  vaelab train --model classifier --dataset fashion-mnist\n"
               "  vaelab train --model dfc_vae --dataset fashion-mnist "
               "--classifier out/classifier.keras")
    t.add_argument("--model", choices=MODELS, required=True, help=(
        "which model to train; classifier: vaelab's perceptual classifier, on mnist or "
        "fashion-mnist only"))
    t.add_argument("--epochs", type=_positive, default=None,
                   help="epochs (default: the shipped recipe: 10 classifier, 15 VAEs, 10 vae_2d)")
    t.add_argument("--batch-size", type=_positive, default=None,
                   help="batch size (default: the shipped recipe: 128 classifier, 32, 16 vae_2d)")
    t.add_argument("--latent-dim", type=_positive, default=None, help=(
        "latent size of a VAE (default: 2 for vae_2d; 5 on 28 x 28 images, the article's; "
        f"{PAPER_LATENT_DIM} on others, the DFC paper's)"))
    t.add_argument("--likelihood", choices=("bernoulli", "gaussian"), default=None, help=(
        "pixel likelihood of vae and vae_2d (default: bernoulli on grey images, gaussian on "
        "colour ones); the DFC VAE compares features instead"))
    t.add_argument("--classifier", default=None, help=(
        "dfc_vae's perceptual model: a .keras model that takes the data's images, or the "
        ".weights.h5 of vaelab's 28 x 28 classifier (default on MNIST: the shipped one)"))
    t.add_argument("--perceptual", choices=tuple(VGG19_CHOICES), default=None, help=(
        "dfc_vae's perceptual model: VGG19 with its ImageNet weights from the Keras cache, "
        "compared at the DFC paper's relu1_1, relu2_1, relu3_1 (vgg19) or relu3_1, relu4_1, "
        "relu5_1 (vgg19-345), each weighted 0.5; for images of at least 32 x 32"))
    t.add_argument("--perceptual-layers", type=_names, default=None, help=(
        "comma-separated layers of the perceptual model to compare (default: conv1,conv2 "
        "of a classifier, the set's layers of VGG19), each weighted as the default's"))
    t.set_defaults(run=_train, parser=t)

    e = sub.add_parser(
        "evaluate", parents=[common, source], help=(
            "evaluate the pretrained models on MNIST and write a report, or compare the "
            "sharpness of given models' reconstructions on any data"),
        description=(
            "Without --models: evaluate the pretrained models on MNIST's test set and write "
            "report.md. With --models: reconstruct the test images of --dataset (CelebA's test "
            "split; a folder's images) with each model and write sharpness.md, sharpness.json "
            "(Laplacian variance, originals against every model) and reconstructions.png."))
    e.add_argument("--weights-dir", default=None,
                   help="folder with manifest.json and weights (default: the shipped weights)")
    e.add_argument("--models", nargs="+", default=None, metavar="MODEL.keras", help=(
        "models saved by 'vaelab train' (.keras) to compare on --dataset's test images"))
    e.set_defaults(run=_evaluate, parser=e)

    d = sub.add_parser("demo", parents=[common], help=(
        "write figures and a report comparing plain and DFC VAE on MNIST: pretrained weights "
        "when shipped, else a short training run"))
    d.add_argument("--epochs", type=_positive, default=2,
                   help="epochs for the short training run without pretrained weights (default: 2)")
    d.set_defaults(run=_demo, parser=d, dataset="mnist", size=None)
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


def _names(text):
    """argparse type: comma-separated names, at least one."""
    names = tuple(n.strip() for n in text.split(","))
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected comma-separated layer names, got {text!r}")
    return names


# ---- data ---------------------------------------------------------------------------------

def _check_source(args):
    """Refuse --data and --size where the data source cannot take them."""
    if args.size is not None and args.dataset not in FILE_DATASETS:
        args.parser.error(f"--size: only celeba and folder images are resized; "
                          f"{args.dataset}'s have one size")
    if args.dataset in FILE_DATASETS and args.data is None:
        what = ("the folder holding img_align_celeba/, list_attr_celeba.txt and "
                "list_eval_partition.txt" if args.dataset == "celeba"
                else "the folder of images")
        args.parser.error(f"--dataset {args.dataset}: needs --data, {what}")


def _test_count(subset):
    return None if subset is None else max(subset // 6, 100)


def _arrays(args, split):
    """``(images, labels)`` of one split of MNIST, Fashion-MNIST or CIFAR-10."""
    from .cifar import load_cifar10
    from .data import load_fashion_mnist, load_mnist

    load = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist,
            "cifar10": load_cifar10}[args.dataset]
    x, y = load(args.data, verify=not args.no_verify, splits=split)
    n = args.subset if split == "train" else _test_count(args.subset)
    return x[:n], y[:n]


def _data(args):
    """``((x_train, y_train), (x_test, y_test))`` of an in-memory --dataset, cut to --subset."""
    return _arrays(args, "train"), _arrays(args, "test")


def _files(args, split):
    """The ImageFiles of CelebA's `split`, or of the whole folder; None when it is empty.

    Cut to --subset as :func:`_arrays` cuts (without labels: only VAEs read files).
    """
    from .datasets import ImageFiles, load_celeba, load_image_folder

    size = args.size or DEFAULT_SIZE
    files = (load_celeba(args.data, size=size, split=split) if args.dataset == "celeba"
             else load_image_folder(args.data, size=size))
    n = args.subset if split == "train" else _test_count(args.subset)
    if not len(files):
        return None
    if n is None or n >= len(files):
        return files
    return ImageFiles(files.files[:n], files.size, files.channels, files.crop,
                      skip_unreadable=files.skip_unreadable)


def _test_images(args):
    """The images `evaluate --models` reconstructs: an array or an ImageFiles."""
    if args.dataset not in FILE_DATASETS:
        return _arrays(args, "test")[0]
    images = _files(args, "test")
    if images is None:
        raise ValueError(f"{args.data}: CelebA's test split is empty "
                         "(list_eval_partition.txt marks no file 2)")
    return images


def _image_shape(images):
    """The (height, width, channels) of an array of images or an ImageFiles."""
    from .datasets import ImageFiles

    return images.shape if isinstance(images, ImageFiles) else tuple(images.shape[1:])


def _read(images, start, stop):
    """Images `start` to `stop` of an array or an ImageFiles, as an array."""
    from .datasets import ImageFiles

    if isinstance(images, ImageFiles):
        return images.read(range(start, stop))[0]
    return images[start:stop]


# ---- train --------------------------------------------------------------------------------

def _check_train(args):
    """Refuse combinations of options that cannot work, as argparse refuses a bad value."""
    from .models import CONV_FILTERS

    _check_source(args)
    error = args.parser.error
    side = 2 ** len(CONV_FILTERS)
    if args.size is not None and args.size % side:
        error(f"--size: expected a multiple of {side} (the VAEs halve the image "
              f"{len(CONV_FILTERS)} times), got {args.size}")
    if args.model == "classifier":
        if args.dataset not in GREY_DATASETS:
            error(f"--model classifier: trains vaelab's classifier of 28 x 28 grey images with "
                  f"labels (--dataset mnist or fashion-mnist), not {args.dataset}; for a DFC "
                  "VAE on other images pass --perceptual vgg19 or --classifier MODEL.keras")
        if args.latent_dim is not None:
            error("--latent-dim: applies to the VAEs (vae, dfc_vae, vae_2d), not the classifier")
    if args.likelihood is not None and args.model not in ("vae", "vae_2d"):
        error(f"--likelihood: applies to --model vae and vae_2d, not {args.model} (the DFC "
              "VAE's reconstruction term compares the perceptual model's features)")
    perceptual = [flag for flag, value in (("--classifier", args.classifier),
                                           ("--perceptual", args.perceptual),
                                           ("--perceptual-layers", args.perceptual_layers))
                  if value is not None]
    if perceptual and args.model != "dfc_vae":
        error(f"{perceptual[0]}: chooses the perceptual model of --model dfc_vae, not "
              f"{args.model}")
    if args.model != "dfc_vae":
        return
    if args.classifier is not None and args.perceptual is not None:
        error("--classifier and --perceptual: give one perceptual model, not both")
    if args.perceptual is not None and args.dataset in GREY_DATASETS:
        error(f"--perceptual {args.perceptual}: VGG19 takes images of at least 32 x 32, and "
              f"{args.dataset}'s are 28 x 28; pass --classifier instead")
    if args.classifier is None and args.perceptual is None and args.dataset != "mnist":
        error(f"--model dfc_vae on --dataset {args.dataset}: needs a perceptual model, "
              "--perceptual vgg19 (ImageNet weights from the Keras cache) or --classifier "
              "MODEL.keras (any Keras model that takes these images)"
              + (", e.g. from 'vaelab train --model classifier --dataset fashion-mnist'"
                 if args.dataset == "fashion-mnist" else ""))
    if args.classifier is not None:
        if not args.classifier.endswith((".keras", ".weights.h5")):
            error(f"--classifier: expected a .keras model or the .weights.h5 of vaelab's "
                  f"classifier, got {args.classifier!r}")
        if args.classifier.endswith(".weights.h5") and args.dataset not in GREY_DATASETS:
            error(f"--classifier: a .weights.h5 file holds the weights of vaelab's 28 x 28 "
                  f"classifier, which does not take {args.dataset}'s images; pass a .keras "
                  "model that does")


def _train(args):
    from .models import save_model, save_weights, train_perceptual_model
    from .training import train_vae

    _check_train(args)
    # On MNIST the weights, as shipped; elsewhere the model, which says its own shape.
    save, suffix = ((save_weights, ".weights.h5") if args.dataset == "mnist"
                    else (save_model, ".keras"))
    # Checked first: a bad --out found after training would lose the training.
    path = check_writable(Path(args.out) / f"{args.model}{suffix}")
    if args.dataset in FILE_DATASETS:
        images = _files(args, "train")
        if images is None:
            raise ValueError(f"{args.data}: CelebA's training split is empty "
                             "(list_eval_partition.txt marks no file 0)")
        validation = _files(args, "valid") if args.dataset == "celeba" else None
    else:
        (images, labels), (validation, test_labels) = _data(args)
    if args.model == "classifier":
        model = train_perceptual_model(images, labels, epochs=args.epochs or 10,
                                       batch_size=args.batch_size or 128,
                                       validation_data=(validation, test_labels),
                                       seed=args.seed)
    else:
        r = TRAINING_RECIPES[args.model]
        model = _vae(args, _image_shape(images))
        train_vae(model, images, epochs=args.epochs or r["epochs"],
                  batch_size=args.batch_size or r["batch_size"], validation_data=validation,
                  seed=args.seed, verbose=1)
    print(f"saved {_save_or_rescue(model, path, save)}")
    return 0


def _vae(args, shape):
    """The VAE that --model names, for images of `shape`, with the options given."""
    from .checks import IMAGE_SHAPE
    from .models import build_dfc_vae, build_vae

    r = TRAINING_RECIPES[args.model]
    latent_dim = args.latent_dim or (
        r["latent_dim"] if args.model == "vae_2d" or shape == IMAGE_SHAPE else PAPER_LATENT_DIM)
    if args.model != "dfc_vae":
        likelihood = args.likelihood or ("bernoulli" if shape[-1] == 1 else "gaussian")
        return build_vae(latent_dim=latent_dim, recipe=r["recipe"], seed=args.seed,
                         input_shape=shape, likelihood=likelihood)
    perceptual, layers, weights = _perceptual(args, shape)
    return build_dfc_vae(perceptual, latent_dim=latent_dim, layers=layers,
                         layer_weights=weights, recipe=r["recipe"], seed=args.seed)


def _perceptual(args, shape):
    """``(model, layers, layer weights)``: the DFC VAE's perceptual model for images of
    `shape`, as --perceptual, --classifier and --perceptual-layers say."""
    from .models import build_perceptual_model, image_shape_of, load_model, load_weights
    from .perceptual import VGG19_LAYER_SETS, vgg19_perceptual_model
    from .pretrained import load_pretrained

    if args.perceptual is not None:
        layer_set = VGG19_CHOICES[args.perceptual]
        model = vgg19_perceptual_model(shape, layer_set=layer_set)
        layers = args.perceptual_layers or VGG19_LAYER_SETS[layer_set]
        return model, layers, [VGG19_LAYER_WEIGHT] * len(layers)
    r = TRAINING_RECIPES["dfc_vae"]
    if args.classifier is None:
        model = load_pretrained("classifier")
    elif args.classifier.endswith(".keras"):
        model = load_model(args.classifier)
    else:
        model = load_weights(build_perceptual_model(), args.classifier)
    if image_shape_of(model) != shape:
        raise ValueError(f"--classifier: {args.classifier} takes images of shape "
                         f"{image_shape_of(model)}, but the {args.dataset} images are {shape}")
    if args.perceptual_layers is None:
        return model, r["layers"], r["layer_weights"]
    return model, args.perceptual_layers, [r["layer_weights"][0]] * len(args.perceptual_layers)


def _save_or_rescue(model, path, save):
    """`save(model, path)`; if that fails after all (the disk filled up during training),
    save into the system's temporary folder instead and say where, then fail."""
    try:
        return save(model, path)
    except OSError as err:
        rescue = Path(tempfile.mkdtemp(prefix="vaelab-rescued-")) / path.name
        save(model, rescue)
        raise OSError(f"{err}; the trained weights were saved to {rescue} instead") from err


# ---- evaluate -----------------------------------------------------------------------------

def _evaluate(args):
    from .pretrained import load_pretrained

    _check_source(args)
    if args.models is not None:
        return _compare_models(args)
    if args.dataset != "mnist":
        args.parser.error(f"--dataset {args.dataset}: the pretrained models are MNIST's; pass "
                          "--models with models trained on these images (vaelab train "
                          f"--dataset {args.dataset} saves them as .keras)")
    check_writable(Path(args.out) / "metrics.json")
    names = {"plain VAE": "vae", "DFC VAE": "dfc_vae"}
    models = {label: load_pretrained(name, args.weights_dir) for label, name in names.items()}
    classifier = load_pretrained("classifier", args.weights_dir)
    manifold = load_pretrained("vae_2d", args.weights_dir)
    _, test = _data(args)
    return _report(args, models, classifier, manifold, test,
                   "pretrained weights shipped with vaelab")


def _compare_models(args):
    """``evaluate --models``: originals and every model's reconstructions of the test
    images, their Laplacian variance and squared error, written to the output folder."""
    import numpy as np

    from .files import write_text
    from .inference import reconstruct
    from .metrics import laplacian_variance
    from .models import image_shape_of, load_model
    from .plots import plot_images

    if args.weights_dir is not None:
        args.parser.error("--weights-dir and --models: the first names pretrained MNIST "
                          "models, the second models to compare; give one")
    bad = [m for m in args.models if not m.endswith(".keras")]
    if bad:
        args.parser.error(f"--models: expected models saved as .keras (by 'vaelab train' on "
                          f"any --dataset but mnist, or vaelab.save_model), got {bad[0]!r}")
    out = Path(args.out)
    check_writable(out / "sharpness.md")
    paths = _model_names(args.models)
    models = {name: load_model(path) for name, path in paths.items()}
    images = _test_images(args)
    shape = _image_shape(images)
    for name, model in models.items():
        if image_shape_of(model) != shape:
            raise ValueError(
                f"{paths[name]}: takes images of shape {image_shape_of(model)}, but the "
                f"{args.dataset} images are {shape}"
                + (" (choose their size with --size)" if args.dataset in FILE_DATASETS else ""))
    n = len(images)
    print(f"evaluating on {n} test images of shape {shape}", file=sys.stderr)
    blur = {"original": [], **{name: [] for name in models}}
    squared = {name: [] for name in models}
    shown = {}
    for start in range(0, n, CHUNK):
        x = _read(images, start, min(start + CHUNK, n))
        blur["original"].append(laplacian_variance(x))
        shown.setdefault("original", x[:SHOWN])
        for name, model in models.items():
            r = reconstruct(model, x)
            blur[name].append(laplacian_variance(r))
            squared[name].append(np.mean(np.square(x - r), axis=(1, 2, 3)))
            shown.setdefault(name, r[:SHOWN])
    blur = {name: np.concatenate(v) for name, v in blur.items()}
    results = {
        "dataset": args.dataset, "n_images": n, "image_shape": list(shape),
        "models": {name: str(path) for name, path in paths.items()},
        "mean_laplacian_variance": {name: float(v.mean()) for name, v in blur.items()},
        "mse_per_pixel": {name: float(np.concatenate(v).mean()) for name, v in squared.items()},
        "tests": _paired_tests(blur),
    }
    plot_images(shown, path=out / "reconstructions.png")
    write_text(out / "sharpness.json", json.dumps(results, indent=2) + "\n")
    path = write_text(out / "sharpness.md", _sharpness_markdown(results))
    print(f"wrote {path} (mean Laplacian variance: " + ", ".join(
        f"{k} {v:.4g}" for k, v in results["mean_laplacian_variance"].items()) + ")")
    return 0


def _model_names(paths) -> dict:
    """{name: path} of --models: each file's name without .keras, or the paths as given
    where two names would be the same."""
    stems = [Path(p).name[:-len(".keras")] for p in paths]
    names = stems if len(set(stems)) == len(stems) else list(paths)
    if len(set(names)) != len(names) or "original" in names:
        raise ValueError(f"--models: expected different files, none named original.keras; "
                         f"got {list(paths)}")
    return dict(zip(names, map(Path, paths)))


def _paired_tests(blur) -> list:
    """The paired t-test, Wilcoxon test and Cohen's d_z of the Laplacian variance of every
    pair among originals and models; none for fewer than 10 images."""
    from .stats import cohens_dz, paired_ttest, wilcoxon_test

    if len(blur["original"]) < 10:
        return []
    tests = []
    for a, b in itertools.combinations(blur, 2):
        t = paired_ttest(blur[a], blur[b])
        tests.append({"a": a, "b": b, "mean_difference": t.mean_difference,
                      "t_statistic": t.statistic, "t_pvalue": t.pvalue,
                      "wilcoxon_pvalue": wilcoxon_test(blur[a], blur[b]).pvalue,
                      "cohens_dz": cohens_dz(blur[a], blur[b])})
    return tests


def _sharpness_markdown(results) -> str:
    from .report import format_p

    means = results["mean_laplacian_variance"]
    lines = [f"# vaelab: how sharp the reconstructions are ({results['dataset']})", "",
             f"{results['n_images']} test images of shape "
             + " x ".join(map(str, results["image_shape"])) + "; models: "
             + ", ".join(f"{name} ({path})" for name, path in results["models"].items())
             + ". Sharpness is the variance of the Laplacian (of the luminance, for colour "
             "images): lower means blurrier.", "",
             "| images | mean Laplacian variance | / originals' | MSE per pixel |",
             "| --- | --- | --- | --- |"]
    for name, mean in means.items():
        mse = results["mse_per_pixel"].get(name)
        ratio = f"{mean / means['original']:.3g}" if means["original"] > 0 else "-"
        lines.append(f"| {name} | {mean:.4g} | {ratio} | "
                     + ("-" if mse is None else f"{mse:.4g}") + " |")
    if results["tests"]:
        lines += ["", "## Paired tests of the Laplacian variance (a - b)", "",
                  "| a | b | mean diff | t | p (t) | p (Wilcoxon) | d_z |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {t['a']} | {t['b']} | {t['mean_difference']:.4g} | "
                  f"{t['t_statistic']:.2f} | {format_p(t['t_pvalue'])} | "
                  f"{format_p(t['wilcoxon_pvalue'])} | {t['cohens_dz']:.2f} |"
                  for t in results["tests"]]
    lines += ["", f"![reconstructions](reconstructions.png): the first {SHOWN} test images and "
              "their reconstructions.", ""]
    return "\n".join(lines)


# ---- demo and the MNIST report ------------------------------------------------------------

def _demo(args):
    from .pretrained import available_pretrained

    if set(available_pretrained()) >= set(MODELS):
        return _evaluate(argparse.Namespace(**vars(args), weights_dir=None, models=None))
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
