"""Fault injection (issue 20): altered data, changed configuration, diverged training, broken
files, crashes mid-write, a full disk, a read-only folder, degenerate statistics, wrong hints.

Every case must give a clear error naming what is wrong, or a correct result."""

import ctypes
import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

import vaelab
from helpers import assert_no_temp_files, synthetic_images, synthetic_mnist_npz, write_idx
from vaelab import data
from vaelab.checks import as_images
from vaelab.cli import main
from vaelab.export import export_pretrained
from vaelab.files import atomic_path
from vaelab.training import TrainingDivergedError

pytestmark = pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
PYTHON_DIR = str(Path(__file__).resolve().parents[2] / "python")


@pytest.fixture(scope="module")
def x():
    return synthetic_images(64, seed=4)


@pytest.fixture
def vae():
    return vaelab.build_vae(latent_dim=2, seed=1)


def real_mnist_folder():
    folder = os.environ.get("VAELAB_DATA")
    if not folder or not all((Path(folder) / f).exists() for f in TEST_FILES):
        pytest.skip("real MNIST not available: set VAELAB_DATA to a folder with MNIST")
    return Path(folder)


def copy_of_test_files(folder):
    """A folder with the real test files only (copies, free to alter)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in TEST_FILES:
        shutil.copy(real_mnist_folder() / name, folder / name)
    return folder


# --- 1. data integrity ----------------------------------------------------------------------

@pytest.mark.parametrize("alter", ["invert the first image", "change a label"])
def test_altered_mnist_is_refused_naming_the_file(tmp_path, alter):
    folder = copy_of_test_files(tmp_path / "mnist")
    name = TEST_FILES[0] if alter.startswith("invert") else TEST_FILES[1]
    array = vaelab.read_idx(folder / name).copy()
    if alter.startswith("invert"):
        array[0] = 255 - array[0]
    else:
        array[0] = (array[0] + 1) % 10
    write_idx(folder / name, array)
    with pytest.raises(ValueError, match=rf"{re.escape(str(folder / name))}: sha256 [0-9a-f]{{64}} "
                                         rf"matches no known version of {re.escape(name)} "
                                         r"\(accepted: [0-9a-f]{64} \(official.*\)\)\. "
                                         r"The file was altered or corrupted: .*verify=False"):
        vaelab.load_mnist(folder, splits="test")
    # Opting out loads the altered data as it is.
    x_test, y_test = vaelab.load_mnist(folder, splits="test", verify=False)
    assert x_test.shape == (10000, 28, 28, 1)


def test_synthetic_files_are_refused_unless_unchecked(tmp_path):
    synthetic_mnist_npz(tmp_path, n_train=10, n_test=10)
    with pytest.raises(ValueError, match=r"mnist\.npz: sha256 .* matches no known version of "
                                         r"mnist\.npz \(accepted: 731c5ac6.*Keras's mnist\.npz"):
        vaelab.load_mnist(tmp_path)
    assert vaelab.load_mnist(tmp_path, verify=False)[0][0].shape == (10, 28, 28, 1)


def test_known_hashes_are_declared_once_with_provenance():
    for name, known in data.KNOWN_MNIST_FILES.items():
        assert known and all(re.fullmatch(r"[0-9a-f]{64}", sha) and source
                             for sha, source in known.items()), name
    rebuilt = [sha for known in data.KNOWN_MNIST_FILES.values()
               for sha, source in known.items() if source.startswith(data.REBUILT)]
    assert len(rebuilt) == 2  # the training images, gzipped and not
    # Downloads accept only the official files.
    assert set(data.MNIST_SHA256.values()).isdisjoint(rebuilt)


def test_the_real_files_pass(tmp_path):
    folder = real_mnist_folder()
    for path in folder.iterdir():
        if path.name in data.KNOWN_MNIST_FILES:
            assert data.verify_mnist_file(path) == path
    # Uncompressed copies are checked too.
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(
        gzip.decompress((folder / TEST_FILES[1]).read_bytes()))
    data.verify_mnist_file(tmp_path / "t10k-labels-idx1-ubyte")


def test_a_folder_with_only_the_test_files(tmp_path):
    folder = copy_of_test_files(tmp_path / "mnist")
    x_test, y_test = vaelab.load_mnist(folder, splits="test")
    assert x_test.shape == (10000, 28, 28, 1) and y_test.shape == (10000,)
    with pytest.raises(FileNotFoundError, match=r"mnist: missing train-images-idx3-ubyte\[\.gz\], "
                                                r"train-labels-idx1-ubyte\[\.gz\] \(and no "
                                                r"mnist\.npz\)"):
        vaelab.load_mnist(folder)


def test_splits_are_checked():
    with pytest.raises(ValueError, match=r"splits: expected \"train\", \"test\" or both, "
                                         r"got 'validation'"):
        vaelab.load_mnist(splits="validation")


# --- 2. configuration read when used --------------------------------------------------------

def test_vaelab_data_is_read_at_each_call(tmp_path, monkeypatch):
    for label in (1, 2):
        synthetic_mnist_npz(tmp_path / str(label), n_train=5, n_test=5, label=label)
    monkeypatch.setenv("VAELAB_DATA", str(tmp_path / "1"))
    assert vaelab.load_mnist(verify=False, splits="test")[1][0] == 1
    monkeypatch.setenv("VAELAB_DATA", str(tmp_path / "2"))
    assert vaelab.load_mnist(verify=False, splits="test")[1][0] == 2
    # R's Sys.setenv() changes the process environment, not os.environ: do as R does.
    ctypes.CDLL(None).setenv(b"VAELAB_DATA", os.fsencode(tmp_path / "1"), 1)
    assert os.environ["VAELAB_DATA"] == str(tmp_path / "2")
    assert vaelab.load_mnist(verify=False, splits="test")[1][0] == 1


# --- 3. and 4. diverged training ------------------------------------------------------------

class PoisonAtEpoch(keras.callbacks.Callback):
    """Turn the decoder's kernel into NaN at the start of epoch `epoch` (0-based), after
    recording the weights the model had then."""

    def __init__(self, epoch):
        super().__init__()
        self.at = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            self.before = [w.copy() for w in self.model.get_weights()]
            kernel = self.model.get_layer("decoder").weights[0]
            kernel.assign(np.full(kernel.shape, np.nan, np.float32))


@pytest.mark.parametrize("how", ["train_vae", "fit"])
def test_divergence_restores_the_weights_of_the_epoch_start(tmp_path, x, vae, how):
    poison = PoisonAtEpoch(1)
    with pytest.raises(TrainingDivergedError, match=r"the loss became nan at epoch 2, batch 1\. "
                                                    r"The model's weights are restored to those "
                                                    r"after epoch 1"):
        if how == "fit":
            vae.fit(x, None, epochs=3, batch_size=16, verbose=0, callbacks=[poison])
        else:
            vaelab.train_vae(vae, x, epochs=3, batch_size=16, verbose=0, callbacks=[poison])
    for restored, before in zip(vae.get_weights(), poison.before):
        np.testing.assert_array_equal(restored, before)
    assert all(np.isfinite(keras.ops.convert_to_numpy(v)).all()
               for v in vae.optimizer.variables)
    # The model is usable: it encodes, trains on and saves.
    assert np.isfinite(vaelab.encode(vae, x)).all()
    vaelab.train_vae(vae, x, epochs=1, batch_size=16, verbose=0)
    vaelab.load_model(vaelab.save_model(vae, tmp_path / "vae.keras"))


def test_plain_fit_stops_on_nan_also_after_load_model(tmp_path, x, vae):
    loaded = vaelab.load_model(vaelab.save_model(vae, tmp_path / "vae.keras"))
    kernel = loaded.get_layer("decoder").weights[0]
    kernel.assign(np.full(kernel.shape, np.nan, np.float32))
    with pytest.raises(TrainingDivergedError, match=r"before training"):
        loaded.fit(x, None, epochs=1, batch_size=16, verbose=0)


@pytest.mark.parametrize("use", ["encode", "reconstruct", "generate", "decode"])
def test_a_nan_model_is_blamed_not_the_input(x, vae, use):
    vae.set_weights([np.full_like(w, np.nan) for w in vae.get_weights()])
    call = {"encode": lambda: vaelab.encode(vae, x[:3]),
            "reconstruct": lambda: vaelab.reconstruct(vae, x[:3]),
            "generate": lambda: vaelab.generate(vae, 3, seed=1),
            "decode": lambda: vaelab.decode(vae, np.zeros((3, 2)))}[use]
    with pytest.raises(ValueError, match=r"model '(encoder|decoder)' returned NaN or infinite "
                                         r"values for 3 input\(s\) although the inputs are "
                                         r"finite; \d+ of its \d+ weight arrays hold NaN"):
        call()


# --- 5. the command line --------------------------------------------------------------------

@pytest.fixture(scope="module")
def npz_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mnist")
    synthetic_mnist_npz(folder, n_train=48, n_test=48)
    return folder


def train_cli(npz_dir, out, *extra):
    return main(["train", "--model", "vae_2d", "--subset", "32", "--epochs", "1", "--data",
                 str(npz_dir), "--no-verify", "--out", str(out), *extra])


@pytest.mark.parametrize("place, message", [
    ("file", r"{out}/vae_2d\.weights\.h5: cannot be written: {out} is a file, not a folder"),
    ("under a file", r"cannot be written: {out_parent} is a file, not a folder"),
    ("weights name is a folder", r"{out}/vae_2d\.weights\.h5: is a folder"),
])
def test_cli_checks_the_output_before_training(tmp_path, npz_dir, capsys, monkeypatch, place,
                                               message):
    out = tmp_path / "out"
    if place == "file":
        out.write_text("not a folder")
    elif place == "under a file":
        (tmp_path / "blocker").write_text("a file")
        out = tmp_path / "blocker" / "out"
    else:
        (out / "vae_2d.weights.h5").mkdir(parents=True)
    monkeypatch.setattr(vaelab.training, "train_vae", pytest.fail)  # never reached
    assert train_cli(npz_dir, out) == 2
    err = capsys.readouterr().err
    assert re.search(message.format(out=re.escape(str(out)),
                                     out_parent=re.escape(str(out.parent))), err), err


def test_cli_rescues_weights_it_cannot_save(tmp_path, npz_dir, capsys, monkeypatch):
    save = vaelab.models.save_weights
    out = tmp_path / "out"

    def disk_full_at_out(model, path):
        if Path(path).parent == out:
            raise OSError(28, f"cannot write {path}: No space left on device")
        return save(model, path)

    monkeypatch.setattr(vaelab.models, "save_weights", disk_full_at_out)
    assert train_cli(npz_dir, out) == 2
    err = capsys.readouterr().err
    rescued = Path(re.search(r"the trained weights were saved to (\S+) instead", err).group(1))
    vaelab.load_weights(vaelab.build_vae(latent_dim=2, recipe="book"), rescued)
    shutil.rmtree(rescued.parent)


# --- 6. every file error names the file and the cause ---------------------------------------

def test_a_known_model_that_is_not_shipped(tiny_weights_dir):
    with pytest.raises(ValueError, match=rf"name: 'cvae' is a vaelab model, but its weights are "
                                         rf"not shipped in {re.escape(str(tiny_weights_dir))}; "
                                         r"expected one of those shipped there: 'classifier', "
                                         r"'dfc_vae', 'vae', 'vae_2d'"):
        vaelab.load_pretrained("cvae", tiny_weights_dir)


def test_missing_weights_folder_and_manifest(tmp_path):
    with pytest.raises(FileNotFoundError, match=rf"weights_dir: no folder at "
                                                rf"'{re.escape(str(tmp_path / 'nowhere'))}'"):
        vaelab.load_pretrained("vae", tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=rf"{re.escape(str(tmp_path / 'manifest.json'))} "
                                                r"does not exist"):
        vaelab.load_pretrained("vae", tmp_path)


@pytest.mark.parametrize("text, cause", [
    ("{not json", r"JSONDecodeError"),
    ('{"entries": {}}', r"KeyError: 'models'"),
    ('["models"]', r"TypeError"),
    ('{"models": 3}', r"\"models\" must map names to entries, got int"),
])
def test_malformed_manifest(tmp_path, text, cause):
    (tmp_path / "manifest.json").write_text(text)
    with pytest.raises(ValueError, match=rf"{re.escape(str(tmp_path / 'manifest.json'))}: .*"
                                         rf"{cause}"):
        vaelab.load_pretrained("vae", tmp_path)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    return vaelab.save_model(vaelab.build_vae(latent_dim=2, seed=1),
                             tmp_path_factory.mktemp("models") / "vae.keras")


@pytest.mark.parametrize("kind, error, message", [
    ("truncated", ValueError, r"is not a \.keras archive \(not a zip file\): truncated"),
    ("text", ValueError, r"is not a \.keras archive"),
    ("empty", ValueError, r"is empty \(0 bytes\); expected a model file"),
    ("folder", IsADirectoryError, r"is a folder; expected a model file"),
])
def test_load_model_on_broken_files(tmp_path, model_file, kind, error, message):
    path = tmp_path / "bad.keras"
    if kind == "folder":
        path.mkdir()
    else:
        raw = model_file.read_bytes()
        path.write_bytes({"truncated": raw[:len(raw) // 2], "text": b"hello",
                          "empty": b""}[kind])
    with pytest.raises(error, match=rf"{re.escape(str(path))}: {message}"):
        vaelab.load_model(path)


def test_load_weights_on_a_broken_keras_file(tmp_path, model_file, vae):
    path = tmp_path / "bad.keras"
    path.write_bytes(model_file.read_bytes()[:1000])
    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}: is not a \.keras archive"):
        vaelab.load_weights(vae, path)


def test_saving_onto_a_folder_or_under_a_file(tmp_path, vae):
    (tmp_path / "vae.keras").mkdir()
    with pytest.raises(IsADirectoryError, match=rf"{re.escape(str(tmp_path / 'vae.keras'))}: "
                                                r"is a folder; expected a file name inside it"):
        vaelab.save_model(vae, tmp_path / "vae.keras")
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "sub" / "vae.keras"
    with pytest.raises(NotADirectoryError, match=rf"{re.escape(str(target))}: cannot be written: "
                                                 rf"{re.escape(str(tmp_path / 'file'))} is a file"):
        vaelab.save_model(vae, target)


def test_an_exception_mid_save_leaves_the_old_file_and_no_temp_file(tmp_path, vae):
    path = vaelab.save_model(vae, tmp_path / "vae.keras")
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="crash"):
        with atomic_path(path) as tmp:
            tmp.write_bytes(b"half a fi")
            raise RuntimeError("crash")
    assert path.read_bytes() == before
    assert_no_temp_files(tmp_path, ["vae.keras"])


def test_overwriting_keeps_the_mode_and_the_symlink(tmp_path, vae):
    real = vaelab.save_model(vae, tmp_path / "real.keras")
    real.chmod(0o640)
    link = tmp_path / "link.keras"
    link.symlink_to(real)
    vaelab.save_model(vae, link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert oct(real.stat().st_mode & 0o777) == oct(0o640)
    assert_no_temp_files(tmp_path, ["real.keras", "link.keras"])


SAVE_FOREVER = """
import sys, vaelab
from vaelab.export import export_pretrained
vae = vaelab.build_vae(latent_dim=2, seed=1)
folder, what = sys.argv[1], sys.argv[2]
entry = {"architecture": "vae", "latent_dim": 2, "recipe": "elbo"}
print("ready", flush=True)
while True:
    if what == "save_model":
        vaelab.save_model(vae, folder + "/vae.keras")
    else:
        export_pretrained(vae, "vae", entry, folder)
"""


@pytest.mark.parametrize("what, target", [("save_model", "vae.keras"),
                                          ("export_pretrained", "vae.weights.h5")])
def test_kill_9_mid_write_keeps_the_old_file(tmp_path, vae, what, target):
    if what == "save_model":
        old = vaelab.save_model(vae, tmp_path / target)
    else:
        old = tmp_path / target
        export_pretrained(vae, "vae", {"architecture": "vae", "latent_dim": 2,
                                       "recipe": "elbo"}, tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([PYTHON_DIR] + sys.path)}
    child = subprocess.Popen([sys.executable, "-c", SAVE_FOREVER, str(tmp_path), what],
                             stdout=subprocess.PIPE, env=env)
    try:
        assert child.stdout.readline().strip() == b"ready"
        temp = re.compile(rf"\.vae\.tmp-{child.pid}-")
        deadline = time.time() + 120
        while not any(temp.match(p.name) for p in tmp_path.iterdir()):  # mid-write
            assert time.time() < deadline, "the child never started writing"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    # The old file is whole: it loads (load_pretrained also checks its sha256).
    if what == "save_model":
        vaelab.load_model(old)
    else:
        vaelab.load_pretrained("vae", tmp_path)
    # The killed writer's temporary file is swept by the next write of that file.
    vaelab.save_model(vae, old) if what == "save_model" else export_pretrained(
        vae, "vae", {"architecture": "vae", "latent_dim": 2, "recipe": "elbo"}, tmp_path)
    assert not [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 256 KiB tmpfs (root only): a disk that fills up, and can turn read-only."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    yield mount
    # Lazily: a writer that failed on the full disk may still hold a file open there.
    subprocess.run(["umount", "--lazy", str(mount)], check=True)


def test_disk_full(small_tmpfs, vae):
    old = small_tmpfs / "vae.keras"
    old.write_bytes(b"the old model")
    with pytest.raises(OSError, match=rf"cannot write {re.escape(str(old))}: No space left on "
                                      r"device"):
        vaelab.save_model(vae, old)
    with pytest.raises(OSError, match=r"vae\.weights\.h5: No space left on device"):
        vaelab.save_weights(vae, small_tmpfs / "vae.weights.h5")
    assert old.read_bytes() == b"the old model"
    assert_no_temp_files(small_tmpfs, ["vae.keras"])


def test_file_size_limit_in_a_subprocess(tmp_path):
    """Disk full without root: RLIMIT_FSIZE makes writes past 64 KiB fail (EFBIG)."""
    script = (
        "import resource, signal, sys, vaelab\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))\n"
        "try:\n"
        "    vaelab.save_model(vaelab.build_vae(latent_dim=2), sys.argv[1])\n"
        "except OSError as err:\n"
        "    print('error:', err)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([PYTHON_DIR] + sys.path)}
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "vae.keras")], env=env,
                         capture_output=True, text=True, timeout=300)
    assert re.search(rf"error: .*cannot write {re.escape(str(tmp_path / 'vae.keras'))}: File too "
                     r"large", run.stdout), run.stdout + run.stderr[-2000:]
    assert_no_temp_files(tmp_path, [])


def test_read_only_folder(small_tmpfs, vae, npz_dir, capsys):
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    with pytest.raises(OSError, match=rf"cannot write {re.escape(str(small_tmpfs / 'v.keras'))}: "
                                      r"Read-only file system"):
        vaelab.save_model(vae, small_tmpfs / "v.keras")
    assert train_cli(npz_dir, small_tmpfs) == 2
    assert "Read-only file system" in capsys.readouterr().err


# --- 7. statistics --------------------------------------------------------------------------

@pytest.mark.parametrize("b, shown", [([0.0, 1.0, 2.0, 3.0], "1"), ([1.0, 2.0, 3.0, 4.0], "0")])
def test_equal_differences_are_an_error(b, shown):
    a = [1.0, 2.0, 3.0, 4.0]
    message = (rf"a - b: the paired differences are all equal \({shown}\): their standard "
               r"deviation is 0, so the t statistic and Cohen's d_z are undefined")
    with pytest.raises(ValueError, match=message):
        vaelab.paired_ttest(a, b)
    with pytest.raises(ValueError, match=message):
        vaelab.cohens_dz(a, b)


def test_wilcoxon_of_identical_inputs_is_an_error():
    with pytest.raises(ValueError, match=r"a - b: all paired differences are 0, so the Wilcoxon "
                                         r"signed-rank test is undefined"):
        vaelab.wilcoxon_test([1.0, 2.0], [1.0, 2.0])


def test_group_errors_name_the_group():
    x = synthetic_images(6, seed=2)
    labels = [0, 0, 0, 0, 0, 1]
    with pytest.raises(ValueError, match=r"groups\['digit 1'\]: selects 1 image\(s\); expected "
                                         r"at least 2"):
        vaelab.blur_comparison(x, labels, {"same": x})
    with pytest.raises(ValueError, match=r"groups\['all'\], original vs same: a - b: the paired "
                                         r"differences are all equal \(0\)"):
        vaelab.blur_comparison(x, labels, {"same": x}, groups={"all": np.ones(6, bool)})


# --- 8. hints that fit the mistake ----------------------------------------------------------

@pytest.mark.parametrize("values, hint", [
    (np.ones((2, 28, 28), np.int64), r"integer dtype int64; convert them with x\.astype"),
    (np.full((2, 28, 28), 200, np.uint8), r"integer dtype uint8; divide by 255"),
    (np.zeros((2, 28, 28), bool), r"got booleans \(dtype bool\); convert them"),
    (np.full((2, 28, 28), 1.0001), r"got range \[1\.0001, 1\.0001\]; they overshoot \[0, 1\] a "
                                   r"little: clip them"),
    (np.full((2, 28, 28), 37.0), r"they look like gray levels 0\.\.255: divide by 255 first"),
    (np.full((2, 28, 28), 1.5), r"got range \[1\.5, 1\.5\]$"),
])
def test_hints_fit_the_mistake(values, hint):
    with pytest.raises(ValueError, match=hint):
        as_images(values, "x")
