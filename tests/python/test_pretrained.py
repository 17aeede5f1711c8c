"""vaelab.pretrained: manifest, hash-checked loading, export, Keras 2 weights, shipped weights."""

import json
import re
import shutil
import warnings

import h5py
import numpy as np
import pytest

import vaelab
from helpers import assert_no_temp_files, synthetic_images
from vaelab.export import export_pretrained
from vaelab.pretrained import verified_weights_file

SUBSET = 1000  # data-raw/train_pretrained.py records metrics on the first 1000 test images
# The models of the Python core (the conditional ones have their own tests).
CORE = ("classifier", "vae", "dfc_vae", "vae_2d")


@pytest.fixture
def weights_dir(tmp_path, tiny_weights_dir):
    """A private copy of the tiny weights folder, free to corrupt."""
    return shutil.copytree(tiny_weights_dir, tmp_path / "weights")


def test_manifest_lists_the_exported_models(tiny_weights_dir):
    entries = vaelab.manifest(tiny_weights_dir)
    assert sorted(entries) == sorted(CORE)
    assert vaelab.available_pretrained(tiny_weights_dir) == sorted(CORE)
    for name, entry in entries.items():
        assert entry["file"] == f"{name}.weights.h5"
        assert len(entry["sha256"]) == 64
    assert entries["vae_2d"]["recipe"] == "book" and entries["vae_2d"]["latent_dim"] == 2


def test_export_then_load_round_trip(tmp_path, classifier):
    x = synthetic_images(6, seed=21)
    vae = vaelab.build_vae(latent_dim=3, seed=21)
    entry = export_pretrained(vae, "vae", {"architecture": "vae", "latent_dim": 3,
                                           "recipe": "elbo", "epochs": 0}, tmp_path)
    assert entry["epochs"] == 0 and entry["file"] == "vae.weights.h5"
    assert_no_temp_files(tmp_path, ["manifest.json", "vae.weights.h5", ".manifest.lock"])
    loaded = vaelab.load_pretrained("vae", tmp_path)
    for a, b in zip(vae.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(vaelab.reconstruct(vae, x), vaelab.reconstruct(loaded, x))
    # A second export adds its entry and keeps the first.
    export_pretrained(classifier, "classifier", {"architecture": "perceptual_model"}, tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert sorted(manifest["models"]) == ["classifier", "vae"]
    assert manifest["models"]["vae"] == entry


def test_float16_export_halves_the_file_and_loads_as_float32(tmp_path):
    vae = vaelab.build_vae(latent_dim=3, input_shape=(32, 32, 3), likelihood="gaussian",
                           seed=22)
    entry = {"architecture": "vae", "latent_dim": 3, "input_shape": [32, 32, 3],
             "likelihood": "gaussian"}
    full = export_pretrained(vae, "vae", entry, tmp_path / "full")
    half = export_pretrained(vae, "vae", entry, tmp_path / "half", dtype="float16")
    assert (full["dtype"], half["dtype"]) == ("float32", "float16")
    for e, folder in ((full, "full"), (half, "half")):
        assert e["bytes"] == (tmp_path / folder / "vae.weights.h5").stat().st_size
    assert half["bytes"] < 0.55 * full["bytes"]
    assert_no_temp_files(tmp_path / "half", ["manifest.json", "vae.weights.h5",
                                             ".manifest.lock"])
    loaded = vaelab.load_pretrained("vae", tmp_path / "half")
    assert vaelab.image_shape_of(loaded) == (32, 32, 3)
    assert loaded.get_layer("variational").likelihood == "gaussian"
    for a, b in zip(vae.get_weights(), loaded.get_weights()):
        assert b.dtype == a.dtype
        np.testing.assert_array_equal(a.astype(np.float16).astype(a.dtype), b)
    with pytest.raises(ValueError, match=r"dtype: expected one of \('float32', 'float16'\), "
                                         r"got 'int8'"):
        export_pretrained(vae, "vae", entry, tmp_path, dtype="int8")


def test_face_models_load_from_their_entries(tmp_path):
    clf = vaelab.build_attribute_classifier((32, 32, 3), ["Smiling", "Eyeglasses"], width=2,
                                            seed=1)
    export_pretrained(clf, "faces_classifier", {
        "architecture": "attribute_classifier", "input_shape": [32, 32, 3],
        "attributes": ["Smiling", "Eyeglasses"], "width": 2}, tmp_path, dtype="float16")
    dfc = vaelab.build_dfc_vae(clf, latent_dim=2, layers=["conv1", "conv2"],
                               layer_weights=[0.5, 0.5], seed=1)
    export_pretrained(dfc, "faces_dfc_vae", {
        "architecture": "dfc_vae", "latent_dim": 2, "layers": ["conv1", "conv2"],
        "layer_weights": [0.5, 0.5], "perceptual_model": "faces_classifier"}, tmp_path)
    loaded = vaelab.load_pretrained("faces_classifier", tmp_path)
    assert vaelab.attribute_names(loaded) == ["Smiling", "Eyeglasses"]
    assert loaded.get_layer("conv1").filters == 2
    loaded_dfc = vaelab.load_pretrained("faces_dfc_vae", tmp_path)
    assert vaelab.image_shape_of(loaded_dfc) == (32, 32, 3)
    assert loaded_dfc.get_layer("variational").layer_weights == [0.5, 0.5]
    x, _ = vaelab.synthetic_faces(3, seed=1, size=32)
    np.testing.assert_allclose(vaelab.reconstruct(loaded_dfc, x), vaelab.reconstruct(dfc, x),
                               atol=1e-6)


def test_load_every_exported_architecture(tiny_weights_dir, classifier):
    loaded = {name: vaelab.load_pretrained(name, tiny_weights_dir) for name in CORE}
    assert vaelab.latent_dim_of(loaded["vae"]) == 5 and vaelab.latent_dim_of(loaded["vae_2d"]) == 2
    assert loaded["vae_2d"].get_layer("variational").recipe == "book"
    for a, b in zip(classifier.get_weights(), loaded["classifier"].get_weights()):
        np.testing.assert_array_equal(a, b)
    extractor = loaded["dfc_vae"].get_layer("perceptual_features")
    assert extractor.trainable is False
    np.testing.assert_array_equal(extractor.get_weights()[0], classifier.get_weights()[0])


def test_corrupted_weights_fail_the_sha256_check(weights_dir):
    path = weights_dir / "vae.weights.h5"
    raw = bytearray(path.read_bytes())
    raw[-100] ^= 0xFF
    path.write_bytes(bytes(raw))
    expected = vaelab.manifest(weights_dir)["vae"]["sha256"]
    with pytest.raises(ValueError, match=rf"vae\.weights\.h5: sha256 [0-9a-f]{{64}} does not match "
                                         rf"the manifest's {expected}; the file is corrupted"):
        vaelab.load_pretrained("vae", weights_dir)


def test_a_corrupted_classifier_stops_the_dfc_vae(weights_dir):
    (weights_dir / "classifier.weights.h5").write_bytes(b"replaced")
    with pytest.raises(ValueError, match=r"classifier\.weights\.h5: sha256 .* does not match"):
        vaelab.load_pretrained("dfc_vae", weights_dir)


def test_missing_weights_file(weights_dir):
    (weights_dir / "vae_2d.weights.h5").unlink()
    with pytest.raises(FileNotFoundError, match=r"pretrained weights for 'vae_2d' are missing: "
                                                r".*vae_2d\.weights\.h5"):
        vaelab.load_pretrained("vae_2d", weights_dir)


def test_unknown_names_and_empty_folders(tmp_path, tiny_weights_dir):
    with pytest.raises(ValueError, match=r"name: no pretrained model 'vae3'; expected one of "
                                         r"those shipped there: 'classifier', 'dfc_vae', 'vae', "
                                         r"'vae_2d'"):
        vaelab.load_pretrained("vae3", tiny_weights_dir)
    assert vaelab.manifest(tmp_path) == {} and vaelab.available_pretrained(tmp_path) == []
    with pytest.raises(FileNotFoundError, match=rf"{re.escape(str(tmp_path / 'manifest.json'))} "
                                                r"does not exist"):
        vaelab.load_pretrained("vae", tmp_path)


def test_unknown_architecture_in_the_manifest(weights_dir):
    path = weights_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["models"]["vae"]["architecture"] = "transformer"
    path.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=r"manifest: unknown architecture 'transformer'"):
        vaelab.load_pretrained("vae", weights_dir)


# --- Keras 2 weights files ----------------------------------------------------------------

def write_keras2_h5(path, layers, root="model_weights"):
    """A Keras 2 style weights file: `layers` is [(layer name, [(weight name, array), ...])]."""
    with h5py.File(path, "w") as f:
        group = f.create_group(root) if root else f
        group.attrs["layer_names"] = [name.encode() for name, _ in layers]
        for name, weights in layers:
            sub = group.create_group(name)
            sub.attrs["weight_names"] = [w.encode() for w, _ in weights]
            for w, value in weights:
                sub.create_dataset(w, data=value)
    return path


def random_arrays(model, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=tuple(w.shape)).astype(np.float32) for w in model.weights]


def named(prefix, arrays):
    kinds = ("kernel", "bias")
    return [(f"{prefix}_{i // 2 + 1}/{kinds[i % 2]}:0", a) for i, a in enumerate(arrays)]


def test_keras2_classifier_by_layer_order(tmp_path):
    clf = vaelab.build_perceptual_model()
    arrays = random_arrays(clf, 1)
    layers = [("conv2d_1", named("conv2d_1", arrays[0:2])), ("max_pooling2d_1", []),
              ("conv2d_2", named("conv2d_2", arrays[2:4])), ("max_pooling2d_2", []),
              ("conv2d_3", named("conv2d_3", arrays[4:6])), ("flatten_1", []),
              ("dense_1", named("dense_1", arrays[6:8])), ("dense_2", named("dense_2", arrays[8:]))]
    path = write_keras2_h5(tmp_path / "clf.h5", layers, root=None)
    assert vaelab.load_keras2_weights(clf, path) is clf
    for a, b in zip(arrays, clf.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_keras2_vae_with_nested_models(tmp_path):
    vae = vaelab.build_vae(latent_dim=5)
    arrays = random_arrays(vae, 2)
    layers = [("input_1", []), ("encoder", named("conv2d", arrays[:14])), ("lambda_1", []),
              ("decoder", named("dense", arrays[14:]))]
    path = write_keras2_h5(tmp_path / "vae.h5", layers)
    vaelab.load_keras2_weights(vae, path)
    for a, b in zip(arrays, vae.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_keras2_nested_model_saved_with_its_own_layer_names(tmp_path):
    vae = vaelab.build_vae(latent_dim=2)
    arrays = random_arrays(vae, 3)
    with h5py.File(tmp_path / "nested.h5", "w") as f:
        f.attrs["layer_names"] = [b"encoder", b"decoder"]
        for name, chunk in (("encoder", arrays[:14]), ("decoder", arrays[14:])):
            group = f.create_group(name)
            inner = [f"{name}_layer_{i}" for i in range(len(chunk) // 2)]
            group.attrs["layer_names"] = [n.encode() for n in inner]
            for i, layer in enumerate(inner):
                sub = group.create_group(layer)
                sub.attrs["weight_names"] = [b"kernel:0", b"bias:0"]
                sub.create_dataset("kernel:0", data=chunk[2 * i])
                sub.create_dataset("bias:0", data=chunk[2 * i + 1])
    vaelab.load_keras2_weights(vae, tmp_path / "nested.h5")
    for a, b in zip(arrays, vae.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_keras2_latent_size_mismatch_leaves_the_model_alone(tmp_path):
    donor = vaelab.build_vae(latent_dim=2)
    arrays = random_arrays(donor, 4)
    path = write_keras2_h5(tmp_path / "vae2.h5", [("encoder", named("e", arrays[:14])),
                                                  ("decoder", named("d", arrays[14:]))])
    vae = vaelab.build_vae(latent_dim=5)
    before = vae.get_weights()
    with pytest.raises(ValueError, match=r"vae2\.h5: weight 10 has shape \(32, 2\) but the model "
                                         r"expects \(32, 5\) \(.*z_mean.*\); "
                                         r"a different latent_dim"):
        vaelab.load_keras2_weights(vae, path)
    for a, b in zip(before, vae.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_keras2_count_mismatch_and_missing_file(tmp_path):
    clf = vaelab.build_perceptual_model()
    path = write_keras2_h5(tmp_path / "clf.h5",
                           [("conv2d_1", named("c", random_arrays(clf, 5)))])
    with pytest.raises(ValueError, match=r"clf\.h5: holds 10 weight arrays but model 'vae' has "
                                         r"20; expected the same architecture"):
        vaelab.load_keras2_weights(vaelab.build_vae(), path)
    with pytest.raises(FileNotFoundError, match=r"no weights file at '.*absent\.h5'"):
        vaelab.load_keras2_weights(clf, tmp_path / "absent.h5")


# --- the weights shipped with the package -------------------------------------------------

def subset_metrics(name, model, x, y):
    """The metrics data-raw/train_pretrained.py records for `name` on the first test images."""
    classifier = model if name == "classifier" else vaelab.load_pretrained("classifier")
    if name == "classifier":
        return {"classifier_accuracy": vaelab.classifier_accuracy(model, x, y)}
    rec = vaelab.reconstruct(model, x)
    return {**vaelab.reconstruction_errors(x, rec),
            "mean_laplacian_variance": float(vaelab.laplacian_variance(rec).mean()),
            "classifier_accuracy": vaelab.classifier_accuracy(classifier, rec, y)}


@pytest.mark.parametrize("name", CORE)
def test_shipped_weights(name, mnist):
    entries = vaelab.manifest()
    if name not in entries:
        pytest.skip(f"{name!r} is not in the shipped manifest yet")
    entry = entries[name]
    assert verified_weights_file(name).name == entry["file"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # loading is silent
        model = vaelab.load_pretrained(name)
    if entry.get("latent_dim"):
        assert vaelab.latent_dim_of(model) == entry["latent_dim"]
    _, (x_test, y_test) = mnist
    got = subset_metrics(name, model, x_test[:SUBSET], y_test[:SUBSET])
    expected = entry["subset_metrics"]
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-4), key
