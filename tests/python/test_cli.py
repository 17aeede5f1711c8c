"""vaelab.cli: help for every subcommand, tiny training runs on every data source, evaluate,
errors as exit code 2."""

import json
import re
import urllib.error

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

import vaelab
import vaelab.perceptual
import vaelab.training
from helpers import (
    assert_no_temp_files,
    run_python,
    synthetic_images,
    synthetic_mnist_npz,
    write_cifar_folder,
    write_idx,
)
from vaelab.cli import main

# Weights saved from a trained model carry optimizer slots that a fresh model skips.
pytestmark = pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """Synthetic MNIST with 120 training and 120 test images (an npz has no fixed counts)."""
    folder = tmp_path_factory.mktemp("mnist")
    synthetic_mnist_npz(folder, n_train=120, n_test=120)
    return folder


@pytest.fixture(scope="module")
def celeba_dir(tmp_path_factory):
    """40 synthetic faces in CelebA's layout (about 32 train, 4 valid, 4 test)."""
    return vaelab.write_celeba_layout(tmp_path_factory.mktemp("celeba"), 40, seed=1)


@pytest.fixture(scope="module")
def cifar_dir(tmp_path_factory):
    """CIFAR-10's six official batches, 4 images each."""
    return write_cifar_folder(tmp_path_factory.mktemp("cifar") / "cifar-10-batches-py").parent


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory):
    """12 PNG faces of 80 x 96 pixels, unlabelled, directly in the folder."""
    folder = tmp_path_factory.mktemp("photos")
    faces, _ = vaelab.synthetic_faces(12, seed=2, size=96)
    for i, face in enumerate(faces):
        Image.fromarray(np.round(face[8:88] * 255).astype(np.uint8)).save(folder / f"{i}.png")
    return folder


@pytest.fixture(scope="module")
def fashion_dir(tmp_path_factory):
    """Fashion-MNIST's four gzipped IDX files at full size (the loader checks the counts):
    60 synthetic images repeated."""
    folder = tmp_path_factory.mktemp("fashion")
    pixels = np.round(synthetic_images(60, seed=1)[..., 0] * 255)
    for stem, n in (("train", 60000), ("t10k", 10000)):
        write_idx(folder / f"{stem}-images-idx3-ubyte.gz", np.resize(pixels, (n, 28, 28)))
        write_idx(folder / f"{stem}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    return folder


@pytest.fixture
def offline_vgg19(monkeypatch):
    """VGG19 with random weights wherever the CLI asks for ImageNet's; records each call's
    (input_shape, layer_set, weights)."""
    calls, build = [], vaelab.perceptual.vgg19_perceptual_model

    def random_vgg19(input_shape, layer_set="vae-123", weights="imagenet", **kwargs):
        calls.append((tuple(input_shape), layer_set, weights))
        return build(input_shape, layer_set, weights=None, **kwargs)

    monkeypatch.setattr(vaelab.perceptual, "vgg19_perceptual_model", random_vgg19)
    return calls


@pytest.fixture
def streamed(monkeypatch):
    """The kinds of `images` that train_vae is given, recorded."""
    kinds, train = [], vaelab.training.train_vae

    def recording(model, images, *args, **kwargs):
        kinds.append(type(images).__name__)
        return train(model, images, *args, **kwargs)

    monkeypatch.setattr(vaelab.training, "train_vae", recording)
    return kinds


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("command, words", [
    ([], ["train", "evaluate", "demo"]),
    (["train"], ["--model", "--epochs", "--batch-size", "--classifier", "--subset", "--data",
                  "--dataset", "--size", "--latent-dim", "--likelihood", "--perceptual",
                  "--perceptual-layers", "cifar10", "celeba", "examples:"]),
    (["evaluate"], ["--weights-dir", "--out", "--subset", "--models", "--dataset", "--size",
                    "sharpness.md"]),
    (["demo"], ["--epochs", "--out", "--seed"]),
])
def test_help(capsys, command, words):
    with pytest.raises(SystemExit) as exit_:
        main(command + ["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: vaelab" + "".join(f" {c}" for c in command))
    for word in words:
        assert word in out


def test_python_dash_m_runs_the_cli():
    done = run_python(["-m", "vaelab", "evaluate", "--help"], TF_CPP_MIN_LOG_LEVEL="3")
    assert "usage: vaelab evaluate" in done.stdout, done.stdout


def test_train_a_tiny_vae(tmp_path, data_dir, capsys):
    out = tmp_path / "out"
    code = main(["train", "--model", "vae_2d", "--subset", "48", "--epochs", "1",
                 "--data", str(data_dir), "--no-verify", "--out", str(out)])
    assert code == 0
    assert f"saved {out / 'vae_2d.weights.h5'}" in capsys.readouterr().out
    assert_no_temp_files(out, ["vae_2d.weights.h5"])
    # The recipe of vae_2d: latent_dim 2.
    vaelab.load_weights(vaelab.build_vae(latent_dim=2, recipe="book"), out / "vae_2d.weights.h5")


def test_train_a_tiny_dfc_vae_on_a_given_classifier(tmp_path, data_dir, tiny_weights_dir):
    code = main(["train", "--model", "dfc_vae", "--subset", "32", "--epochs", "1",
                 "--batch-size", "16", "--data", str(data_dir), "--no-verify",
                 "--out", str(tmp_path),
                 "--classifier", str(tiny_weights_dir / "classifier.weights.h5")])
    assert code == 0
    dfc = vaelab.build_dfc_vae(vaelab.build_perceptual_model(), latent_dim=5)
    vaelab.load_weights(dfc, tmp_path / "dfc_vae.weights.h5")


def test_evaluate_writes_a_report(tmp_path, data_dir, tiny_weights_dir, capsys):
    code = main(["evaluate", "--weights-dir", str(tiny_weights_dir), "--data", str(data_dir),
                 "--no-verify", "--subset", "60", "--out", str(tmp_path)])
    assert code == 0
    captured = capsys.readouterr()
    assert "evaluating on 100 test images" in captured.err
    assert f"wrote {tmp_path / 'report.md'}" in captured.out
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["n_images"] == 100
    assert (tmp_path / "manifold.png").exists()
    assert "pretrained weights" in (tmp_path / "report.md").read_text()


def test_demo_trains_briefly_without_shipped_weights(tmp_path, data_dir, monkeypatch, capsys):
    monkeypatch.setattr(vaelab.pretrained, "available_pretrained", lambda weights_dir=None: [])
    code = main(["demo", "--subset", "40", "--epochs", "1", "--data", str(data_dir), "--no-verify",
                 "--out", str(tmp_path)])
    assert code == 0
    assert "no pretrained weights shipped: training briefly" in capsys.readouterr().err
    assert "models trained for 1 epoch(s) on 40 images" in (tmp_path / "report.md").read_text()
    assert (tmp_path / "manifold.png").exists() and (tmp_path / "metrics.json").exists()


def test_train_a_vae_on_celeba_streams_the_files(tmp_path, celeba_dir, streamed, capsys):
    code = main(["train", "--model", "vae", "--dataset", "celeba", "--data", str(celeba_dir),
                 "--size", "32", "--epochs", "1", "--batch-size", "8", "--out", str(tmp_path)])
    assert code == 0
    assert f"saved {tmp_path / 'vae.keras'}" in capsys.readouterr().out
    assert streamed == ["ImageFiles"]
    assert_no_temp_files(tmp_path, ["vae.keras"])
    vae = vaelab.load_model(tmp_path / "vae.keras")
    assert vaelab.image_shape_of(vae) == (32, 32, 3)
    # Colour images: the DFC paper's latent size and a Gaussian likelihood by default.
    assert vaelab.latent_dim_of(vae) == 100
    assert vae.get_layer("variational").likelihood == "gaussian"


def test_train_the_2d_vae_on_cifar10(tmp_path, cifar_dir, streamed):
    code = main(["train", "--model", "vae_2d", "--dataset", "cifar10", "--data", str(cifar_dir),
                 "--no-verify", "--likelihood", "bernoulli", "--epochs", "1",
                 "--out", str(tmp_path)])
    assert code == 0
    assert streamed == ["ndarray"]
    vae = vaelab.load_model(tmp_path / "vae_2d.keras")
    assert vaelab.image_shape_of(vae) == (32, 32, 3) and vaelab.latent_dim_of(vae) == 2
    assert vae.get_layer("variational").likelihood == "bernoulli"


def test_train_a_dfc_vae_on_a_folder_with_vgg19(tmp_path, photo_dir, offline_vgg19, streamed):
    code = main(["train", "--model", "dfc_vae", "--dataset", "folder", "--data", str(photo_dir),
                 "--perceptual", "vgg19", "--latent-dim", "8", "--epochs", "1",
                 "--batch-size", "6", "--out", str(tmp_path)])
    assert code == 0
    assert offline_vgg19 == [((64, 64, 3), "vae-123", "imagenet")]
    assert streamed == ["ImageFiles"]
    dfc = vaelab.load_model(tmp_path / "dfc_vae.keras")
    assert vaelab.image_shape_of(dfc) == (64, 64, 3) and vaelab.latent_dim_of(dfc) == 8
    features = dfc.get_layer("perceptual_features")
    assert [t.shape[-1] for t in features.outputs] == [64, 128, 256]  # relu1_1, 2_1, 3_1
    assert dfc.get_layer("variational").layer_weights == [0.5, 0.5, 0.5]


def test_train_a_classifier_then_a_dfc_vae_on_fashion_mnist(tmp_path, fashion_dir, capsys):
    common = ["--dataset", "fashion-mnist", "--data", str(fashion_dir), "--no-verify",
              "--subset", "60", "--epochs", "1", "--out", str(tmp_path)]
    assert main(["train", "--model", "classifier"] + common) == 0
    classifier = tmp_path / "classifier.keras"
    assert vaelab.image_shape_of(vaelab.load_model(classifier)) == (28, 28, 1)
    assert main(["train", "--model", "dfc_vae", "--classifier", str(classifier),
                 "--perceptual-layers", "conv2"] + common) == 0
    dfc = vaelab.load_model(tmp_path / "dfc_vae.keras")
    assert vaelab.image_shape_of(dfc) == (28, 28, 1) and vaelab.latent_dim_of(dfc) == 5
    assert dfc.get_layer("variational").layer_weights == [1.0]


@pytest.fixture(scope="module")
def keras_models(tmp_path_factory):
    """Untrained 32 x 32 colour VAEs saved as .keras, and a 28 x 28 classifier."""
    folder = tmp_path_factory.mktemp("models")
    for name, seed in (("plain", 1), ("other", 2)):
        vaelab.save_model(vaelab.build_vae(latent_dim=4, input_shape=(32, 32, 3),
                                           likelihood="gaussian", seed=seed),
                          folder / f"{name}.keras")
    vaelab.save_model(vaelab.build_perceptual_model(seed=1), folder / "classifier.keras")
    return folder


@pytest.mark.parametrize("dataset", ["celeba", "folder"])
def test_evaluate_compares_the_sharpness_of_given_models(tmp_path, dataset, celeba_dir,
                                                         photo_dir, keras_models, capsys):
    data = {"celeba": celeba_dir, "folder": photo_dir}[dataset]
    models = [str(keras_models / "plain.keras"), str(keras_models / "other.keras")]
    code = main(["evaluate", "--dataset", dataset, "--data", str(data), "--size", "32",
                 "--models", *models, "--out", str(tmp_path)])
    assert code == 0
    assert_no_temp_files(tmp_path, ["reconstructions.png", "sharpness.json", "sharpness.md"])
    assert f"wrote {tmp_path / 'sharpness.md'}" in capsys.readouterr().out
    results = json.loads((tmp_path / "sharpness.json").read_text())
    files = (vaelab.load_celeba(data, size=32, split="test") if dataset == "celeba"
             else vaelab.load_image_folder(data, size=32))
    originals = files.read()[0]
    assert results["n_images"] == len(originals) and results["image_shape"] == [32, 32, 3]
    assert results["mean_laplacian_variance"]["original"] == pytest.approx(
        vaelab.laplacian_variance(originals).mean())
    reconstructed = vaelab.reconstruct(vaelab.load_model(models[0]), originals)
    assert results["mean_laplacian_variance"]["plain"] == pytest.approx(
        vaelab.laplacian_variance(reconstructed).mean(), rel=1e-4)
    assert results["mse_per_pixel"]["plain"] == pytest.approx(
        np.mean((originals - reconstructed) ** 2), rel=1e-4)
    # Paired tests from 10 images on: the folder's 12, not CelebA's few test faces.
    pairs = [(t["a"], t["b"]) for t in results["tests"]]
    assert pairs == ([("original", "plain"), ("original", "other"), ("plain", "other")]
                     if dataset == "folder" else [])
    report = (tmp_path / "sharpness.md").read_text()
    assert "| plain |" in report and "![reconstructions](reconstructions.png)" in report


def test_evaluate_models_on_cifar10(tmp_path, cifar_dir, keras_models):
    code = main(["evaluate", "--dataset", "cifar10", "--data", str(cifar_dir), "--no-verify",
                 "--models", str(keras_models / "plain.keras"), "--out", str(tmp_path)])
    assert code == 0
    results = json.loads((tmp_path / "sharpness.json").read_text())
    # The fixture's images are flat colours: no edges at all.
    assert results["n_images"] == 4 and results["mean_laplacian_variance"]["original"] == 0
    assert "| original | 0 | - | - |" in (tmp_path / "sharpness.md").read_text()


@pytest.mark.parametrize("args, message", [
    (["train", "--model", "vae", "--data", "{missing}"],
     r"vaelab train: error: MNIST not found at path='.*missing'"),
    (["evaluate", "--weights-dir", "{empty}", "--data", "{data}"],
     r"vaelab evaluate: error: name: cannot load pretrained 'vae': .*empty/manifest\.json "
     r"does not exist"),
    (["train", "--model", "dfc_vae", "--classifier", "{missing}/c.weights.h5", "--data", "{data}",
      "--no-verify"],
     r"vaelab train: error: no weights file at '.*c\.weights\.h5'"),
    (["train", "--model", "dfc_vae", "--dataset", "cifar10", "--data", "{cifar}", "--no-verify",
      "--classifier", "{models}/classifier.keras"],
     r"vaelab train: error: --classifier: .*classifier\.keras takes images of shape "
     r"\(28, 28, 1\), but the cifar10 images are \(32, 32, 3\)"),
    (["train", "--model", "vae", "--dataset", "celeba", "--data", "{missing}"],
     r"vaelab train: error: CelebA folder not found: .*missing does not exist"),
    (["evaluate", "--dataset", "celeba", "--data", "{celeba}", "--models",
      "{models}/plain.keras"],
     r"vaelab evaluate: error: .*plain\.keras: takes images of shape \(32, 32, 3\), but the "
     r"celeba images are \(64, 64, 3\) \(choose their size with --size\)"),
])
def test_errors_exit_with_code_2(tmp_path, data_dir, cifar_dir, celeba_dir, keras_models, capsys,
                                 args, message):
    (tmp_path / "empty").mkdir()
    paths = {"missing": tmp_path / "missing", "empty": tmp_path / "empty", "data": data_dir,
             "cifar": cifar_dir, "celeba": celeba_dir, "models": keras_models}
    argv = [a.format(**paths) for a in args] + ["--out", str(tmp_path / "out")]
    assert main(argv) == 2
    assert re.search(message, capsys.readouterr().err)


@pytest.mark.parametrize("args, message", [
    (["train"], r"the following arguments are required: --model"),
    (["train", "--model", "gan"], r"argument --model: invalid choice: 'gan'"),
    (["train", "--model", "vae", "--epochs", "0"], r"argument --epochs: expected an integer "
                                                   r">= 1, got '0'"),
    (["demo", "--subset", "-5"], r"argument --subset: expected an integer >= 1, got '-5'"),
    (["fit"], r"invalid choice: 'fit'"),
])
def test_usage_errors_exit_with_code_2(capsys, args, message):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert re.search(message, capsys.readouterr().err)


def test_missing_vgg19_weights_exit_with_code_2(tmp_path, photo_dir, monkeypatch, capsys):
    def no_network(url, *args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr("keras.src.utils.file_utils.urlretrieve", no_network)
    code = main(["train", "--model", "dfc_vae", "--dataset", "folder", "--data", str(photo_dir),
                 "--perceptual", "vgg19", "--out", str(tmp_path / "out")])
    assert code == 2
    assert re.search(r"vaelab train: error: weights='imagenet': VGG19's ImageNet weights file "
                     r"\S+ is missing in the Keras cache", capsys.readouterr().err)


@pytest.mark.parametrize("args, message", [
    (["train", "--model", "classifier", "--dataset", "celeba", "--data", "x"],
     r"--model classifier: trains vaelab's classifier of 28 x 28 grey images .* not celeba"),
    (["train", "--model", "vae", "--dataset", "folder"],
     r"--dataset folder: needs --data, the folder of images"),
    (["evaluate", "--dataset", "celeba", "--models", "a.keras"],
     r"--dataset celeba: needs --data, the folder holding img_align_celeba/"),
    (["train", "--model", "vae", "--size", "64"],
     r"--size: only celeba and folder images are resized; mnist's have one size"),
    (["train", "--model", "vae", "--dataset", "folder", "--data", "x", "--size", "40"],
     r"--size: expected a multiple of 16 .*, got 40"),
    (["train", "--model", "classifier", "--latent-dim", "3"],
     r"--latent-dim: applies to the VAEs"),
    (["train", "--model", "dfc_vae", "--likelihood", "gaussian"],
     r"--likelihood: applies to --model vae and vae_2d, not dfc_vae"),
    (["train", "--model", "vae", "--perceptual", "vgg19"],
     r"--perceptual: chooses the perceptual model of --model dfc_vae, not vae"),
    (["train", "--model", "vae_2d", "--classifier", "c.keras"],
     r"--classifier: chooses the perceptual model of --model dfc_vae, not vae_2d"),
    (["train", "--model", "dfc_vae", "--dataset", "cifar10", "--perceptual", "vgg19",
      "--classifier", "c.keras"], r"--classifier and --perceptual: give one"),
    (["train", "--model", "dfc_vae", "--perceptual", "vgg19-345"],
     r"--perceptual vgg19-345: VGG19 takes images of at least 32 x 32, and mnist's are 28 x 28"),
    (["train", "--model", "dfc_vae", "--dataset", "cifar10"],
     r"--model dfc_vae on --dataset cifar10: needs a perceptual model, --perceptual vgg19 "),
    (["train", "--model", "dfc_vae", "--dataset", "fashion-mnist"],
     r"needs a perceptual model, .*'vaelab train --model classifier --dataset fashion-mnist'"),
    (["train", "--model", "dfc_vae", "--dataset", "cifar10", "--classifier", "c.h5"],
     r"--classifier: expected a \.keras model or the \.weights\.h5 of vaelab's classifier, "
     r"got 'c\.h5'"),
    (["train", "--model", "dfc_vae", "--dataset", "cifar10", "--classifier", "c.weights.h5"],
     r"--classifier: a \.weights\.h5 file holds the weights of vaelab's 28 x 28 classifier"),
    (["train", "--model", "dfc_vae", "--perceptual-layers", "conv1,,conv2"],
     r"argument --perceptual-layers: expected comma-separated layer names, got 'conv1,,conv2'"),
    (["train", "--model", "vae", "--dataset", "svhn"], r"argument --dataset: invalid choice"),
    (["evaluate", "--dataset", "cifar10"],
     r"--dataset cifar10: the pretrained models are MNIST's; pass --models"),
    (["evaluate", "--models", "vae.weights.h5"],
     r"--models: expected models saved as \.keras .*, got 'vae\.weights\.h5'"),
    (["evaluate", "--models", "a.keras", "--weights-dir", "w"],
     r"--weights-dir and --models: .* give one"),
])
def test_bad_combinations_are_usage_errors(capsys, args, message):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: vaelab {args[0]}")
    assert re.search(message, err), err
