"""vaelab.training: the loss goes down, history has both terms, a NaN loss stops training."""

import keras
import numpy as np
import pytest

import vaelab
from helpers import synthetic_images
from vaelab import TrainingDivergedError


@pytest.fixture(scope="module")
def trained(digits):
    """A VAE trained 2 epochs on 256 real digits, with its loss before training."""
    x, _ = digits
    vae = vaelab.build_vae(latent_dim=2, seed=1)
    before = vae.evaluate(x, batch_size=128, verbose=0, return_dict=True)
    history = vaelab.train_vae(vae, x, epochs=2, batch_size=32, validation_data=(x[:64], None),
                               seed=1, verbose=0)
    after = vae.evaluate(x, batch_size=128, verbose=0, return_dict=True)
    return history, before, after


def test_loss_decreases_on_a_small_subset(trained):
    history, before, after = trained
    losses = history.history["loss"]
    assert len(losses) == 2 and all(np.isfinite(losses))
    assert losses[1] < losses[0]
    # An untrained decoder outputs about 0.5 everywhere: 784 * log(2) = 543 nats per image.
    assert before["loss"] > 500
    # 16 steps only, and RMSprop's first steps can blow the KL term up for a batch or two
    # (the first epoch's mean then runs into the millions), so the margin is modest.
    assert after["loss"] < 0.9 * before["loss"]
    assert after["reconstruction_loss"] < before["reconstruction_loss"]


def test_history_tracks_both_terms_and_validation(trained):
    history, _, _ = trained
    assert set(history.history) == {"loss", "reconstruction_loss", "kl_loss", "val_loss",
                                    "val_reconstruction_loss", "val_kl_loss"}
    h = history.history
    # The loss is the sum of its two terms (up to float32 rounding of the running means).
    np.testing.assert_allclose(np.add(h["reconstruction_loss"], h["kl_loss"]), h["loss"],
                               rtol=1e-4)
    assert all(v > 0 for v in h["kl_loss"])


def test_training_is_reproducible_with_a_seed():
    x = synthetic_images(48, seed=8)
    weights = []
    for _ in range(2):
        vae = vaelab.build_vae(latent_dim=2, seed=5)
        vaelab.train_vae(vae, x, epochs=1, batch_size=16, seed=5, verbose=0)
        weights.append(vae.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_nan_weights_stop_training_with_a_clear_message():
    x = synthetic_images(32, seed=1)
    vae = vaelab.build_vae(latent_dim=2, seed=1)
    kernel = vae.get_layer("decoder").weights[0]
    kernel.assign(np.full(kernel.shape, np.nan, np.float32))
    with pytest.raises(TrainingDivergedError, match=r"training stopped: the loss became nan at "
                                                    r"epoch 1, batch 1\. The model's weights are "
                                                    r"restored to those before training; lower "
                                                    r"the learning rate"):
        vaelab.train_vae(vae, x, epochs=2, batch_size=8, verbose=0)


def test_a_huge_learning_rate_diverges():
    x = synthetic_images(64, seed=2)
    vae = vaelab.build_vae(latent_dim=2, seed=1,
                           optimizer=keras.optimizers.SGD(learning_rate=1e12))
    with pytest.raises(TrainingDivergedError, match=r"the loss became (nan|inf) at epoch 1, "
                                                    r"batch \d+"):
        vaelab.train_vae(vae, x, epochs=3, batch_size=8, verbose=0)
    assert issubclass(TrainingDivergedError, FloatingPointError)


@pytest.mark.parametrize("kwargs, error", [
    ({"images": np.zeros((4, 28, 28), np.uint8)},
     r"images: expected floating-point pixels in \[0, 1\]"),
    ({"images": np.zeros((4, 32, 32), np.float32)}, r"images: expected shape \(n, 28, 28, 1\)"),
    ({"images": np.full((4, 28, 28), np.nan, np.float32)}, r"images: 4 image\(s\) contain NaN"),
    ({"epochs": 0}, r"epochs: expected an integer >= 1, got 0"),
    ({"batch_size": "32"}, r"batch_size: expected an integer >= 1, got '32'"),
    ({"validation_data": np.full((2, 28, 28), 2.0, np.float32)},
     r"validation_data: expected pixel values in \[0, 1\], got range \[2, 2\]"),
])
def test_train_vae_input_errors(kwargs, error):
    args = {"images": np.zeros((4, 28, 28, 1), np.float32), **kwargs}
    with pytest.raises(ValueError, match=error):
        vaelab.train_vae(vaelab.build_vae(latent_dim=2), verbose=0, **args)


def test_a_64px_dfc_vae_trains_on_faces_streamed_from_celeba_files(tmp_path):
    vaelab.write_celeba_layout(tmp_path, 24, seed=3)
    train = vaelab.load_celeba(tmp_path, size=64, split="train")
    valid = vaelab.load_celeba(tmp_path, size=64, split="valid")
    dfc = vaelab.build_dfc_vae(vaelab.load_pretrained("faces_classifier"), latent_dim=8,
                               layers=["conv1", "conv2"], layer_weights=[0.5, 0.5], seed=1)
    reads = []
    original = type(train).read

    def counted_read(self, indices=None):
        reads.append(len(self) if indices is None else len(indices))
        return original(self, indices)

    type(train).read = counted_read
    try:
        history = vaelab.train_vae(dfc, train, epochs=1, batch_size=8, validation_data=valid,
                                   verbose=0).history
    finally:
        type(train).read = original
    assert np.isfinite(history["loss"]).all() and np.isfinite(history["val_loss"]).all()
    # Batch by batch from disk: never the whole set at once.
    assert reads and max(reads) <= 8 and sum(reads) >= len(train)


def test_files_of_another_size_are_refused_before_training(tmp_path):
    vaelab.write_celeba_layout(tmp_path, 12, seed=3)
    vae = vaelab.build_vae(latent_dim=2, input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match=r"images: the files are read as images of shape "
                                         r"\(32, 32, 3\), but model 'vae' expects \(64, 64, "
                                         r"3\); load them with size=\(64, 64\) and channels=3"):
        vaelab.train_vae(vae, vaelab.load_celeba(tmp_path, size=32), epochs=1)
    with pytest.raises(ValueError, match=r"validation_data: image files validate a model "
                                         r"trained on image files only"):
        vaelab.train_vae(vae, np.zeros((2, 64, 64, 3), np.float32),
                         validation_data=vaelab.load_celeba(tmp_path, size=64), epochs=1)
