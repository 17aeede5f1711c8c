"""vaelab.data: IDX parsing, the MNIST search order, npz files and the checked download."""

import gzip
import hashlib

import numpy as np
import pytest

import vaelab
from helpers import LABEL_MAGIC, assert_no_temp_files, idx_bytes, synthetic_mnist_npz, write_idx
from vaelab import data

N_TRAIN, N_TEST = 60000, 10000
NAMES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def full_size_split(n):
    """Blank images whose first pixel encodes the index, labels cycling 0..9."""
    images = np.zeros((n, 28, 28), np.uint8)
    images[:, 0, 0] = np.arange(n) % 256
    return images, (np.arange(n) % 10).astype(np.uint8)


@pytest.fixture(scope="module")
def full_size_arrays():
    return {"train": full_size_split(N_TRAIN), "test": full_size_split(N_TEST)}


def write_mnist_idx(folder, arrays, ext):
    folder.mkdir(parents=True, exist_ok=True)
    for split, (images_name, labels_name) in NAMES.items():
        write_idx(folder / (images_name + ext), arrays[split][0])
        write_idx(folder / (labels_name + ext), arrays[split][1])
    return folder


# --- read_idx -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["labels-idx1-ubyte", "labels-idx1-ubyte.gz"])
def test_read_idx_plain_and_gzipped(tmp_path, name):
    labels = np.array([3, 1, 4, 1, 5], np.uint8)
    out = vaelab.read_idx(write_idx(tmp_path / name, labels))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, labels)


def test_read_idx_images_keep_their_layout(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint32).reshape(2, 28, 28).astype(np.uint8)
    out = vaelab.read_idx(write_idx(tmp_path / "images.gz", images))
    assert out.shape == (2, 28, 28)
    np.testing.assert_array_equal(out, images)


def test_read_idx_bad_magic(tmp_path):
    path = write_idx(tmp_path / "x-idx1-ubyte", np.zeros(4, np.uint8), magic=0x0901)
    with pytest.raises(ValueError, match=r"bad IDX magic number 2305; expected 2051 \(images\) "
                                         r"or 2049 \(labels\)"):
        vaelab.read_idx(path)


def test_read_idx_truncated(tmp_path):
    raw = idx_bytes(np.zeros((3, 28, 28), np.uint8))
    path = tmp_path / "images-idx3-ubyte"
    path.write_bytes(raw[:-10])
    with pytest.raises(ValueError, match=r"header announces shape \(3, 28, 28\) \(2368 bytes\) "
                                         r"but the file has 2358 bytes; it is truncated"):
        vaelab.read_idx(path)


def test_read_idx_too_short_for_a_header(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(LABEL_MAGIC.to_bytes(4, "big"))
    with pytest.raises(ValueError, match=r"too short for an IDX header \(4 bytes\)"):
        vaelab.read_idx(path)


def test_read_idx_wrong_image_size(tmp_path):
    path = write_idx(tmp_path / "images.gz", np.zeros((2, 32, 32), np.uint8))
    with pytest.raises(ValueError, match=r"expected 28 x 28 images, got 32 x 32"):
        vaelab.read_idx(path)


def test_read_idx_corrupted_gzip(tmp_path):
    bad = tmp_path / "labels.gz"
    bad.write_bytes(b"this is not gzip data at all")
    with pytest.raises(ValueError, match=r"cannot be read as an IDX file .*corrupted"):
        vaelab.read_idx(bad)
    cut = tmp_path / "cut.gz"
    cut.write_bytes(gzip.compress(idx_bytes(np.zeros(5000, np.uint8)))[:30])
    with pytest.raises(ValueError, match=r"cannot be read as an IDX file"):
        vaelab.read_idx(cut)
    # A valid gzip header over a damaged deflate stream.
    packed = bytearray(gzip.compress(idx_bytes(np.arange(5000, dtype=np.uint32)
                                               .astype(np.uint8))))
    packed[12:20] = b"\xff" * 8
    flipped = tmp_path / "flipped.gz"
    flipped.write_bytes(bytes(packed))
    with pytest.raises(ValueError, match=r"cannot be read as an IDX file"):
        vaelab.read_idx(flipped)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no IDX file at '.*nothing-here'"):
        vaelab.read_idx(tmp_path / "nothing-here")


# --- load_mnist from IDX files ------------------------------------------------------------

@pytest.mark.parametrize("ext", [".gz", ""])
def test_load_mnist_from_idx_files(tmp_path, full_size_arrays, ext):
    folder = write_mnist_idx(tmp_path / "mnist", full_size_arrays, ext)
    (x_train, y_train), (x_test, y_test) = vaelab.load_mnist(folder, download=False, verify=False)
    assert x_train.shape == (N_TRAIN, 28, 28, 1) and x_test.shape == (N_TEST, 28, 28, 1)
    assert x_train.dtype == np.float32 and y_train.dtype == np.uint8
    np.testing.assert_array_equal(y_test, np.arange(N_TEST) % 10)
    # Pixels are scaled to [0, 1]: image 255's first pixel was 255, image 7's was 7.
    assert x_train[255, 0, 0, 0] == 1.0
    assert x_test[7, 0, 0, 0] == np.float32(7) / np.float32(255)
    assert x_train[:, 1:].max() == 0.0


def test_load_mnist_wrong_counts(tmp_path, full_size_arrays):
    arrays = dict(full_size_arrays)
    arrays["train"] = full_size_split(100)
    folder = write_mnist_idx(tmp_path, arrays, ".gz")
    with pytest.raises(ValueError, match=r"expected 60000 train images and labels, got 100 "
                                         r"images and 100 labels"):
        vaelab.load_mnist(folder, verify=False)


def test_load_mnist_labels_file_holding_images(tmp_path, full_size_arrays):
    folder = write_mnist_idx(tmp_path, full_size_arrays, ".gz")
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", full_size_arrays["test"][0])
    with pytest.raises(ValueError, match=r"test images must be 3-d and labels 1-d"):
        vaelab.load_mnist(folder, verify=False)


def test_load_mnist_labels_beyond_nine(tmp_path, full_size_arrays):
    folder = write_mnist_idx(tmp_path, full_size_arrays, "")
    labels = full_size_arrays["test"][1].copy()
    labels[17] = 12
    write_idx(folder / "t10k-labels-idx1-ubyte", labels)
    with pytest.raises(ValueError, match=r"labels must be digits 0\.\.9, found 12"):
        vaelab.load_mnist(folder, verify=False)


# --- mnist.npz ----------------------------------------------------------------------------

def test_load_mnist_from_npz(tmp_path):
    synthetic_mnist_npz(tmp_path, n_train=30, n_test=20)
    (x_train, y_train), (x_test, y_test) = vaelab.load_mnist(tmp_path, verify=False)
    assert x_train.shape == (30, 28, 28, 1) and x_test.shape == (20, 28, 28, 1)
    assert x_train.dtype == np.float32 and 0.0 <= x_train.min() and x_train.max() <= 1.0
    with np.load(tmp_path / "mnist.npz") as raw:
        np.testing.assert_allclose(x_test[..., 0] * 255, raw["x_test"], atol=1e-4)
        np.testing.assert_array_equal(y_train, raw["y_train"])


def test_npz_missing_array(tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"mnist\.npz: expected an npz with x_train, y_train, "
                                         r"x_test, y_test"):
        vaelab.load_mnist(tmp_path, verify=False)


def test_npz_wrong_shapes(tmp_path):
    z = np.zeros((2, 28, 28), np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=z, y_train=np.zeros(2, np.uint8),
             x_test=np.zeros((2, 32, 32), np.uint8), y_test=np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match=r"expected x_test of shape \(n, 28, 28\) and y_test "
                                         r"of shape \(n,\), got \(2, 32, 32\) and \(2,\)"):
        vaelab.load_mnist(tmp_path, verify=False)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_npz_corrupted(tmp_path, damage):
    path = synthetic_mnist_npz(tmp_path, n_train=20, n_test=20)
    raw = path.read_bytes()
    path.write_bytes(b"not a zip file" if damage == "garbage" else raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=r"mnist\.npz: expected an npz"):
        vaelab.load_mnist(tmp_path, verify=False)


# --- where load_mnist looks ---------------------------------------------------------------

@pytest.fixture
def places(tmp_path, monkeypatch):
    """Three folders, each with an npz whose labels say which one it is."""
    folders = {label: tmp_path / name for label, name in
               ((1, "given"), (2, "env"), (3, "keras_home/datasets"))}
    for label, folder in folders.items():
        synthetic_mnist_npz(folder, n_train=10, n_test=10, label=label)
    monkeypatch.setenv("VAELAB_DATA", str(folders[2]))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return folders


def which(found):
    return int(found[0][1][0])


def test_search_order_path_first(places):
    assert which(vaelab.load_mnist(places[1], verify=False)) == 1


def test_search_order_env_before_keras_cache(places):
    assert which(vaelab.load_mnist(verify=False)) == 2


def test_search_order_keras_cache_last(places, monkeypatch):
    monkeypatch.delenv("VAELAB_DATA")
    assert which(vaelab.load_mnist(verify=False)) == 3


def test_search_falls_through_an_empty_env_folder(places, tmp_path, monkeypatch):
    monkeypatch.setenv("VAELAB_DATA", str(tmp_path / "empty"))
    assert which(vaelab.load_mnist(download=False, verify=False)) == 3


def test_keras_cache_defaults_to_home(tmp_path, monkeypatch):
    monkeypatch.delenv("VAELAB_DATA", raising=False)
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    synthetic_mnist_npz(tmp_path / ".keras" / "datasets", n_train=5, n_test=5, label=4)
    assert which(vaelab.load_mnist(download=False, verify=False)) == 4


def test_not_found_lists_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("VAELAB_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    with pytest.raises(FileNotFoundError) as err:
        vaelab.load_mnist(download=False, verify=False)
    message = str(err.value)
    assert "MNIST not found" in message
    assert f"  - {tmp_path / 'env'}: no such folder\n" in message
    assert f"  - {tmp_path / 'kh' / 'datasets'}: no such folder\n" in message
    assert "set VAELAB_DATA" in message


def test_not_found_at_given_path(tmp_path, monkeypatch):
    monkeypatch.setenv("VAELAB_DATA", str(tmp_path))
    synthetic_mnist_npz(tmp_path, n_train=5, n_test=5)
    # An explicit path never falls back to VAELAB_DATA or the cache.
    with pytest.raises(FileNotFoundError, match=r"MNIST not found at path='.*nowhere'.*"
                                                r"t10k-images-idx3-ubyte\.gz"):
        vaelab.load_mnist(tmp_path / "nowhere", verify=False)


def recording_download(write):
    """A stand-in for a download function that `write`s the files into the folder it is
    given, and the list of the folders it was given."""
    calls = []

    def fake_download(dest):
        calls.append(dest)
        write(dest)
        return dest

    return fake_download, calls


def test_load_mnist_downloads_into_keras_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("VAELAB_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    fake_download, calls = recording_download(
        lambda dest: synthetic_mnist_npz(dest, n_train=6, n_test=6, label=8))
    monkeypatch.setattr(data, "download_mnist", fake_download)
    assert which(vaelab.load_mnist(verify=False)) == 8
    assert calls == [tmp_path / "kh" / "datasets"]


def test_load_mnist_download_failure(tmp_path, monkeypatch):
    monkeypatch.delenv("VAELAB_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))

    def offline(dest):
        raise OSError("no network")

    monkeypatch.setattr(data, "download_mnist", offline)
    with pytest.raises(FileNotFoundError, match=r"the download failed \(no network\)"):
        vaelab.load_mnist(verify=False)


# --- download_mnist -----------------------------------------------------------------------

@pytest.fixture
def server(tmp_path):
    """A 'server' folder with two small gzipped IDX files and their sha256."""
    src = tmp_path / "server"
    src.mkdir()
    files = {"a-labels-idx1-ubyte.gz": np.arange(10, dtype=np.uint8),
             "a-images-idx3-ubyte.gz": np.ones((2, 28, 28), np.uint8)}
    sums = {}
    for name, array in files.items():
        sums[name] = hashlib.sha256(write_idx(src / name, array).read_bytes()).hexdigest()
    return src, sums


def test_download_checks_and_keeps_good_files(tmp_path, server):
    src, sums = server
    dest = vaelab.download_mnist(tmp_path / "dest", base_url=src.as_uri() + "/", checksums=sums)
    assert_no_temp_files(dest, sums)
    for name in sums:
        assert (dest / name).read_bytes() == (src / name).read_bytes()
    np.testing.assert_array_equal(vaelab.read_idx(dest / "a-labels-idx1-ubyte.gz"),
                                  np.arange(10))
    # Present with the right hash: kept, the server is not asked again.
    for name in sums:
        (src / name).unlink()
    vaelab.download_mnist(dest, base_url=src.as_uri() + "/", checksums=sums)
    assert_no_temp_files(dest, sums)


def test_download_bad_hash_leaves_nothing(tmp_path, server):
    src, sums = server
    name = "a-images-idx3-ubyte.gz"
    wrong = {name: "0" * 64}
    dest = tmp_path / "dest"
    with pytest.raises(OSError, match=rf"{name}: sha256 {sums[name]} does not match the "
                                      rf"official 0{{64}}"):
        vaelab.download_mnist(dest, base_url=src.as_uri() + "/", checksums=wrong)
    assert_no_temp_files(dest, [])


def test_download_replaces_a_corrupted_file(tmp_path, server):
    src, sums = server
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "a-labels-idx1-ubyte.gz").write_bytes(b"corrupted")
    vaelab.download_mnist(dest, base_url=src.as_uri() + "/", checksums=sums)
    assert (dest / "a-labels-idx1-ubyte.gz").read_bytes() == \
        (src / "a-labels-idx1-ubyte.gz").read_bytes()


def test_download_missing_file_on_server(tmp_path, server):
    src, sums = server
    with pytest.raises(OSError):
        vaelab.download_mnist(tmp_path / "dest", base_url=src.as_uri() + "/",
                              checksums={"missing.gz": "0" * 64})
    assert_no_temp_files(tmp_path / "dest", [])


def test_official_checksums_cover_the_four_files():
    assert sorted(data.MNIST_SHA256) == sorted(
        name + ".gz" for pair in NAMES.values() for name in pair)
    assert all(len(v) == 64 and int(v, 16) >= 0 for v in data.MNIST_SHA256.values())


def test_real_mnist_matches_its_description(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28, 1) and x_test.shape == (10000, 28, 28, 1)
    assert x_test.dtype == np.float32 and y_test.dtype == np.uint8
    assert 0.0 == x_test.min() and x_test.max() == 1.0
    assert np.bincount(y_test, minlength=10).tolist()[1] == 1135


# --- Fashion-MNIST ------------------------------------------------------------------------

def write_test_split(folder, label):
    """The test split's two gzipped IDX files, full size, every label `label`."""
    folder.mkdir(parents=True, exist_ok=True)
    images_name, labels_name = NAMES["test"]
    write_idx(folder / (images_name + ".gz"), np.full((N_TEST, 28, 28), label, np.uint8))
    write_idx(folder / (labels_name + ".gz"), np.full(N_TEST, label, np.uint8))
    return folder


def test_fashion_mnist_from_a_folder(tmp_path, full_size_arrays):
    folder = write_mnist_idx(tmp_path / "fashion", full_size_arrays, ".gz")
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist(folder, verify=False)
    assert x_train.shape == (N_TRAIN, 28, 28, 1) and x_test.dtype == np.float32
    np.testing.assert_array_equal(y_test, np.arange(N_TEST) % 10)
    assert data.FASHION_MNIST_CLASSES[9] == "Ankle boot"


def test_fashion_mnist_lives_in_its_own_sub_folder(tmp_path, monkeypatch):
    """MNIST's files in VAELAB_DATA itself are not taken for Fashion-MNIST's."""
    write_test_split(tmp_path / "env", 1)
    write_test_split(tmp_path / "kh" / "datasets", 1)
    write_test_split(tmp_path / "kh" / "datasets" / "fashion-mnist", 3)
    monkeypatch.setenv("VAELAB_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert data.load_fashion_mnist(verify=False, splits="test")[1][0] == 3
    write_test_split(tmp_path / "env" / "fashion-mnist", 2)
    assert data.load_fashion_mnist(verify=False, splits="test")[1][0] == 2
    assert vaelab.load_mnist(verify=False, splits="test")[1][0] == 1


def test_fashion_mnist_verify_accepts_only_the_official_files(tmp_path):
    folder = write_test_split(tmp_path, 0)
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte\.gz: sha256 [0-9a-f]{64} "
                                         r"matches no known version .*zalandoresearch"):
        data.load_fashion_mnist(folder, splits="test")
    assert sorted(data.FASHION_MNIST_SHA256) == sorted(
        name + ".gz" for pair in NAMES.values() for name in pair)
    assert not set(data.FASHION_MNIST_SHA256.values()) & set(data.MNIST_SHA256.values())


def test_fashion_mnist_downloads_into_its_keras_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("VAELAB_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    fake_download, calls = recording_download(lambda dest: write_test_split(dest, 5))
    monkeypatch.setattr(data, "download_fashion_mnist", fake_download)
    assert data.load_fashion_mnist(verify=False, splits="test")[1][0] == 5
    assert calls == [tmp_path / "kh" / "datasets" / "fashion-mnist"]


def test_fashion_mnist_not_found(tmp_path, monkeypatch):
    monkeypatch.setenv("VAELAB_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    with pytest.raises(FileNotFoundError) as err:
        data.load_fashion_mnist(download=False)
    message = str(err.value)
    assert message.startswith("Fashion-MNIST not found. Looked in:")
    assert f"  - {tmp_path / 'env' / 'fashion-mnist'}: no such folder" in message
    assert "(inside its sub-folder fashion-mnist)" in message and "npz" not in message


def test_download_fashion_mnist_checks_the_official_sums(tmp_path, server):
    src, _ = server
    with pytest.raises(OSError, match=r"train-images-idx3-ubyte\.gz"):
        data.download_fashion_mnist(tmp_path / "dest", base_url=src.as_uri() + "/")
    assert_no_temp_files(tmp_path / "dest", [])
