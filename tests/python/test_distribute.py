"""Data-parallel training (vaelab.distribute): two simulated CPU devices on JAX and on
TensorFlow train as one device does, and two processes on loopback train one model.

Each backend runs in a fresh interpreter: the device count is fixed before the backend
starts (XLA_FLAGS on JAX, logical devices on TensorFlow).

Tolerances. One and two devices compute the same sums in another order (each device sums
its half of the batch, then the halves are added), so float32 rounding is the only
difference allowed: the first batch's loss agrees to 1e-5 (relative) and every later
step's to 1e-4, after RMSprop has divided gradients that differ in the last bits by their
running size (measured: 1e-7 on both backends). That holds with the VAE's sampling noise
off. With it on, JAX draws the whole batch's noise in one program split over the devices,
the same draws as one device (checked on the VAE-GAN, dropout on too); TensorFlow's
replicas each draw their half from the same seed, other noise than one device's, which is
legitimate but moves RMSprop's first steps (each about the learning rate, whatever the
gradient's size) apart within a few steps, so no trajectory can be compared there.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import vaelab
from helpers import OWN_BACKEND, run_python, synthetic_images
from vaelab import distribute
from vaelab.vaegan import LOSSES

TF_TWO_DEVICES = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
"""

# Trains the same model on 1 and 2 devices, noise on then off; prints the results as JSON.
EQUIVALENCE_SCRIPT = """
import json, sys
import numpy as np, keras, vaelab
from helpers import synthetic_images
from vaelab.layers import Sampling

x = synthetic_images(64, seed=0)


class StepLosses(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        # Keras reports the epoch's running mean: undo it to get each step's loss.
        mean = float(logs["loss"])
        self.losses.append(mean * (batch + 1) - sum(self.losses[len(self.losses) - batch:]))


def train(distribution):
    model = vaelab.build_vae(seed=1, jit_compile=False)
    steps = StepLosses()
    history = vaelab.train_vae(model, x, epochs=2, batch_size=16, seed=2, verbose=0,
                               validation_data=x[:32], callbacks=[steps],
                               distribution=distribution)
    return model, steps.losses, history.history["val_loss"]


result = {"devices": len(keras.distribution.list_devices())
          if keras.backend.backend() == "jax" else 2}
sample = Sampling.call
Sampling.call = lambda self, inputs: inputs[0]  # the sampling noise off
one, one_steps, one_val = train(None)
two, two_steps, two_val = train("all")
result.update(one=one_steps, two=two_steps, one_val=one_val, two_val=two_val)
two.save_weights(sys.argv[1])
fresh = vaelab.build_vae(seed=9, jit_compile=False)
fresh.load_weights(sys.argv[1])
probe = synthetic_images(8, seed=5)
result["loaded_vs_trained"] = float(np.abs(vaelab.reconstruct(fresh, probe)
                                           - vaelab.reconstruct(two, probe)).max())
result["two_vs_one"] = float(np.abs(vaelab.reconstruct(two, probe)
                                    - vaelab.reconstruct(one, probe)).max())
Sampling.call = sample
# The NaN guard restores the model itself.
diverging = vaelab.build_vae(seed=4, optimizer=keras.optimizers.SGD(1e12), jit_compile=False)
before = diverging.get_weights()
try:
    vaelab.train_vae(diverging, x, epochs=1, batch_size=16, verbose=0, distribution="all")
except vaelab.TrainingDivergedError as err:
    result["diverged"] = str(err)
result["restored"] = all(np.array_equal(a, b) for a, b in zip(before, diverging.get_weights()))
if keras.backend.backend() == "jax":
    # The VAE-GAN with its sampling noise and dropout on: JAX draws them for the whole batch
    # in one program split over the devices, so they match one device's draws.
    result["vaegan"] = [vaelab.train_vaegan(
        vaelab.build_vaegan(latent_dim=4, conditional=True, seed=1), x[:32], np.arange(32) % 10,
        epochs=1, batch_size=16, seed=2, verbose=0, distribution=d) for d in (None, "all")]
else:
    # Streamed files: Keras turns them into a tf.data pipeline that the strategy splits.
    files = vaelab.load_image_folder(sys.argv[2], size=28, channels=1)
    streamed = vaelab.build_vae(seed=3, jit_compile=False)
    result["files_loss"] = vaelab.train_vae(streamed, files, epochs=1, batch_size=4,
                                            verbose=0, distribution="all").history["loss"]
    try:
        vaelab.train_vaegan(vaelab.build_vaegan(latent_dim=4), x[:16], epochs=1, verbose=0,
                            distribution="all")
    except ValueError as err:
        result["vaegan_error"] = str(err)
print(json.dumps(result))
"""


def run_equivalence(backend, tmp_path):
    prelude = TF_TWO_DEVICES if backend == "tensorflow" else ""
    env = {"KERAS_BACKEND": backend}
    if backend == "jax":
        pytest.importorskip("jax")
        env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    run = run_python(["-c", prelude + EQUIVALENCE_SCRIPT, str(tmp_path / "two.weights.h5"),
                      str(write_pngs(tmp_path / "images"))], **env)
    return json.loads(run.stdout.strip().splitlines()[-1])


def assert_same_training(result):
    assert result["devices"] == 2
    one, two = result["one"], result["two"]
    assert len(one) == len(two) == 8  # 2 epochs of 64 images in global batches of 16
    assert np.isfinite(one).all() and np.isfinite(two).all()
    np.testing.assert_allclose(two[0], one[0], rtol=1e-5)
    np.testing.assert_allclose(two, one, rtol=1e-4)
    np.testing.assert_allclose(result["two_val"], result["one_val"], rtol=1e-4)
    # The steps did train: otherwise equal trajectories would prove nothing.
    assert two[-1] < 0.9 * two[0]
    assert "training stopped" in result["diverged"] and result["restored"]
    # Saved after distributed training, the weights predict the same on one device.
    assert result["loaded_vs_trained"] < 1e-6
    assert result["two_vs_one"] < 1e-3


@OWN_BACKEND
def test_two_jax_devices_train_as_one(tmp_path):
    result = run_equivalence("jax", tmp_path)
    assert_same_training(result)
    # The VAE-GAN's own loop too (noise and dropout on): one program over both devices.
    one, two = result["vaegan"]
    for name in ("discriminator_steps", "generator_steps"):
        assert two[name] == one[name]
    for name in LOSSES:
        np.testing.assert_allclose(two[name], one[name], rtol=1e-4, atol=1e-5, err_msg=name)


@OWN_BACKEND
def test_two_tensorflow_devices_train_as_one(tmp_path):
    result = run_equivalence("tensorflow", tmp_path)
    assert_same_training(result)
    assert len(result["files_loss"]) == 1 and np.isfinite(result["files_loss"]).all()
    assert "JAX backend only" in result["vaegan_error"]


# One of two processes joined on loopback (argv: process id, port, image folder, output
# file); each builds its model from another seed: training must start from process 0's.
PROCESS_SCRIPT = """
import json, sys
import jax
jax.config.update("jax_cpu_collectives_implementation", "gloo")
jax.distributed.initialize(coordinator_address="127.0.0.1:" + sys.argv[2], num_processes=2,
                           process_id=int(sys.argv[1]))
import numpy as np, vaelab
from vaelab import datasets
from helpers import synthetic_images

read = []
read_image = datasets.read_image
def recording_read(path, *args, **kwargs):
    read.append(path.name)
    return read_image(path, *args, **kwargs)
datasets.read_image = recording_read

model = vaelab.build_vae(seed=1 + int(sys.argv[1]), optimizer="adam")
x = synthetic_images(64, seed=0)
loss = vaelab.train_vae(model, x, epochs=2, batch_size=16, seed=2, verbose=0,
                        distribution="all").history["loss"]
files = vaelab.load_image_folder(sys.argv[3], size=28, channels=1)
vaelab.train_vae(model, files, epochs=1, batch_size=4, seed=3, verbose=0, distribution="all")
np.save(sys.argv[4] + ".npy", np.concatenate([w.ravel() for w in model.get_weights()]))
json.dump({"devices": jax.device_count(), "loss": loss, "read": read}, open(sys.argv[4], "w"))
"""


def write_pngs(folder, n=10):
    """`n` synthetic 28 x 28 grey PNG files 00.png, 01.png, ... in `folder` (created)."""
    from PIL import Image

    folder.mkdir()
    for i, image in enumerate(synthetic_images(n, seed=4)):
        Image.fromarray((image[..., 0] * 255).astype(np.uint8)).save(folder / f"{i:02d}.png")
    return folder


@OWN_BACKEND
def test_two_processes_on_loopback_train_one_model(tmp_path):
    pytest.importorskip("jax")
    folder = write_pngs(tmp_path / "images")
    names = sorted(p.name for p in folder.iterdir())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    env = {**os.environ, "KERAS_BACKEND": "jax",
           "PYTHONPATH": os.pathsep.join([str(Path(vaelab.__file__).parents[1])] + sys.path)}
    env.pop("XLA_FLAGS", None)  # one CPU device per process: two in all
    outputs = [tmp_path / f"process{i}.json" for i in range(2)]
    processes = [subprocess.Popen([sys.executable, "-c", PROCESS_SCRIPT, str(i), port,
                                   str(folder), str(outputs[i])], env=env,
                                  stderr=subprocess.PIPE, text=True) for i in range(2)]
    try:
        errors = [p.communicate(timeout=600)[1] for p in processes]
    finally:
        for p in processes:
            p.kill()
    for p, err in zip(processes, errors):
        assert p.returncode == 0, err[-3000:]
    results = [json.loads(out.read_text()) for out in outputs]
    weights = [np.load(str(out) + ".npy") for out in outputs]
    assert [r["devices"] for r in results] == [2, 2]
    # One model: the same losses (reported for the global batch) and the same weights.
    assert results[0]["loss"] == results[1]["loss"]
    assert np.isfinite(results[0]["loss"]).all()
    np.testing.assert_array_equal(weights[0], weights[1])
    # Each process read only its half of the files, 5 each, every file once an epoch.
    read = [set(r["read"]) for r in results]
    assert len(results[0]["read"]) == len(results[1]["read"]) == 5
    assert read[0].isdisjoint(read[1]) and read[0] | read[1] == set(names)


@pytest.mark.backends("tensorflow", "torch", reason="checks that a Keras distribution is "
                      "refused outside JAX")
def test_distribution_values_are_checked():
    assert distribute.resolve(None) is None
    assert distribute.resolve("none") is None
    for bad in ("al", 3, "ALL", ["all"]):
        with pytest.raises(ValueError, match="distribution: expected None"):
            distribute.resolve(bad)
    # The tests' interpreter runs TensorFlow: a Keras distribution belongs to JAX.
    with pytest.raises(ValueError, match="JAX backend only"):
        distribute.resolve(keras.distribution.DataParallel(devices=["cpu:0"]))
    with pytest.raises(ValueError, match="distribution: expected None"):
        vaelab.train_vae(vaelab.build_vae(), synthetic_images(4), epochs=1, distribution="al")


def test_the_global_batch_splits_evenly_over_the_devices():
    plan = distribute.DataParallel("jax", None, replicas=4, process_index=1, process_count=2)
    assert plan.local_batch_size(32) == 16
    with pytest.raises(ValueError, match="multiple of 4"):
        plan.local_batch_size(30)


def test_each_process_takes_its_own_equal_share_of_the_images():
    shares = [distribute.DataParallel("jax", None, 4, i, 2) for i in range(2)]
    with pytest.warns(UserWarning, match="3 of the 11 images are left out"):
        rows = [plan.local_rows(11) for plan in shares]
    assert [len(r) for r in rows] == [4, 4]  # each process's share splits over its 2 devices
    assert set(rows[0]).isdisjoint(rows[1])
    files = vaelab.ImageFiles([f"{i}.png" for i in range(8)], size=28, channels=1)
    parts = [plan.local_files(files) for plan in shares]
    assert sorted(str(f) for part in parts for f in part.files) == sorted(map(str, files.files))
    assert parts[0].shape == files.shape
