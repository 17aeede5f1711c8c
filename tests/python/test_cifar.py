"""vaelab.cifar: CIFAR-10 from fixtures in its official format (pickled batches, .tar.gz)."""

import hashlib
import io
import pickle
import tarfile

import numpy as np
import pytest

from helpers import CIFAR_BATCHES as BATCHES
from helpers import cifar_batch_bytes as batch_bytes
from helpers import write_cifar_folder as write_folder
from vaelab import cifar
from vaelab.cifar import CIFAR10_FOLDER, load_cifar10, read_cifar_batch


def write_archive(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for number, name in enumerate(BATCHES, start=1):
            raw = batch_bytes(number)
            info = tarfile.TarInfo(f"{CIFAR10_FOLDER}/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return path


@pytest.fixture
def trusting(monkeypatch):
    """The fixtures' checksums stand in for the official ones."""
    folder_sums = {name: hashlib.md5(batch_bytes(number)).hexdigest()
                   for number, name in enumerate(BATCHES, start=1)}
    monkeypatch.setattr(cifar, "CIFAR10_BATCH_MD5", folder_sums)


def test_read_batch_layout():
    images, labels = read_cifar_batch(batch_bytes(2), "batch")
    assert images.shape == (4, 32, 32, 3) and images.dtype == np.uint8
    assert images[3, 5, 7].tolist() == [23, 100, 200]
    assert labels.tolist() == [2, 3, 4, 5]


@pytest.mark.parametrize("layout", ["", CIFAR10_FOLDER, "cifar-10-batches-py-target/"
                                    + CIFAR10_FOLDER])
def test_load_from_batch_folders(tmp_path, layout):
    write_folder(tmp_path / layout)
    (x_train, y_train), (x_test, y_test) = load_cifar10(tmp_path, verify=False)
    assert x_train.shape == (20, 32, 32, 3) and x_test.shape == (4, 32, 32, 3)
    assert x_train.dtype == np.float32 and y_train.dtype == np.uint8
    # Batches in order: image 4 is data_batch_2's first.
    np.testing.assert_allclose(x_train[4, 0, 0], np.array([20, 100, 200]) / 255, rtol=1e-6)
    assert y_test.tolist() == [6, 7, 8, 9]
    x, y = load_cifar10(tmp_path, verify=False, splits="test")
    np.testing.assert_array_equal(x, x_test)


def test_load_from_the_archive(tmp_path, monkeypatch):
    archive = write_archive(tmp_path / "cifar-10-python.tar.gz")
    x_test, y_test = load_cifar10(tmp_path, splits="test", verify=False)
    assert x_test.shape == (4, 32, 32, 3) and y_test.tolist() == [6, 7, 8, 9]
    with pytest.raises(ValueError, match=r"cifar-10-python\.tar\.gz: sha256 [0-9a-f]{64} is "
                                         r"not that of the official archive"):
        load_cifar10(tmp_path, splits="test")
    monkeypatch.setattr(cifar, "CIFAR10_ARCHIVE_SHA256",
                        hashlib.sha256(archive.read_bytes()).hexdigest())
    assert load_cifar10(tmp_path, splits="test")[0].shape == (4, 32, 32, 3)


def test_verify_checks_each_batch(tmp_path, trusting):
    folder = write_folder(tmp_path)
    assert load_cifar10(folder, splits="train")[0].shape == (20, 32, 32, 3)
    (folder / "data_batch_3").write_bytes(batch_bytes(9))
    with pytest.raises(ValueError, match=r"data_batch_3: md5 [0-9a-f]{32} is not that of the "
                                         r"official data_batch_3 .*verify=False"):
        load_cifar10(folder, splits="train")


def test_search_order_and_download(tmp_path, monkeypatch):
    write_folder(tmp_path / "env")
    write_archive(tmp_path / "kh" / "datasets" / "cifar-10-python.tar.gz")
    monkeypatch.setenv("VAELAB_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    (tmp_path / "env" / "test_batch").write_bytes(batch_bytes(7))
    assert load_cifar10(verify=False, splits="test")[1].tolist() == [7, 8, 9, 0]
    monkeypatch.delenv("VAELAB_DATA")
    assert load_cifar10(verify=False, splits="test")[1].tolist() == [6, 7, 8, 9]

    (tmp_path / "kh" / "datasets" / "cifar-10-python.tar.gz").unlink()
    calls = []

    def fake_download(dest, base_url, checksums):
        calls.append((dest, base_url, sorted(checksums)))
        write_archive(dest / "cifar-10-python.tar.gz")
        return dest

    monkeypatch.setattr(cifar, "download_files", fake_download)
    assert load_cifar10(verify=False, splits="test")[0].shape == (4, 32, 32, 3)
    assert calls == [(tmp_path / "kh" / "datasets", cifar.CIFAR10_URL,
                      ["cifar-10-python.tar.gz"])]


def test_not_found(tmp_path, monkeypatch):
    monkeypatch.setenv("VAELAB_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    with pytest.raises(FileNotFoundError, match=r"CIFAR-10 not found at path='.*nowhere': "
                                                r"expected the batches \(test_batch\)"):
        load_cifar10(tmp_path / "nowhere", splits="test")
    with pytest.raises(FileNotFoundError, match=r"(?s)CIFAR-10 not found: .*set VAELAB_DATA"):
        load_cifar10(download=False)

    def offline(dest, base_url, checksums):
        raise OSError("no network")

    monkeypatch.setattr(cifar, "download_files", offline)
    with pytest.raises(FileNotFoundError, match=r"the download failed \(no network\)"):
        load_cifar10()


def test_damaged_batches(tmp_path):
    folder = write_folder(tmp_path)
    (folder / "test_batch").write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"test_batch: not a CIFAR-10 batch"):
        load_cifar10(folder, splits="test", verify=False)
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": np.zeros((2, 100), np.uint8),
                                                      b"labels": [0, 1]}))
    with pytest.raises(ValueError, match=r"test_batch: expected b'data' as uint8 rows of "
                                         r"3072 values .*got uint8 of shape \(2, 100\)"):
        load_cifar10(folder, splits="test", verify=False)
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": np.zeros((2, 3072), np.uint8),
                                                      b"labels": [0, 12]}))
    with pytest.raises(ValueError, match=r"labels must be classes 0\.\.9, found 0\.\.12"):
        load_cifar10(folder, splits="test", verify=False)
    (folder / "test_batch").write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(ValueError, match=r"expected a CIFAR-10 batch, a dict .*got list"):
        load_cifar10(folder, splits="test", verify=False)


class Payload:
    """An object whose unpickling would run code."""

    def __reduce__(self):
        return (print, ("ran code",))


def test_a_pickle_that_would_run_code_is_refused(tmp_path):
    folder = write_folder(tmp_path)
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": Payload(), b"labels": []}))
    with pytest.raises(ValueError, match=r"refused to load builtins\.print"):
        load_cifar10(folder, splits="test", verify=False)


def test_damaged_archive(tmp_path):
    archive = write_archive(tmp_path / "cifar-10-python.tar.gz")
    archive.write_bytes(archive.read_bytes()[:100])
    with pytest.raises(ValueError, match=r"cifar-10-python\.tar\.gz: cannot be read as a "
                                         r"\.tar\.gz archive"):
        load_cifar10(tmp_path, splits="test", verify=False)
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(f"{CIFAR10_FOLDER}/readme")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(ValueError, match=r"has no cifar-10-batches-py/test_batch"):
        load_cifar10(tmp_path, splits="test", verify=False)
