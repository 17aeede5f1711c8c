"""vaelab.vaegan: the three networks, their losses, the alternating schedule."""

import h5py
import keras
import numpy as np
import pytest

import vaelab
from helpers import OWN_BACKEND, run_on_jax, synthetic_images
from vaelab import TrainingDivergedError
from vaelab.export import export_pretrained


@pytest.fixture(scope="module")
def batch():
    x = synthetic_images(32, seed=11)
    y = np.arange(32) % 10
    return x, y


def one_update(model, step, x, y):
    """Run one compiled step on any backend (JAX threads the state, the others update in place)."""
    state = model.read_state() if keras.backend.backend() == "jax" else None
    state, logs = step(state, x, None if y is None else vaelab.one_hot(y))
    if state is not None:
        model.write_state(state)
    return logs


def losses_now(model, non_trainable, x, y):
    """All losses for the current weights, with fixed randomness (the given seed states)."""
    trainable = [[v.value for v in getattr(model, p).trainable_variables]
                 for p in ("encoder", "decoder", "discriminator")]
    losses, _ = model.losses_of_batch(trainable, non_trainable, x,
                                      None if y is None else vaelab.one_hot(y))
    return {k: float(keras.ops.convert_to_numpy(v)) for k, v in losses.items()}


@pytest.mark.parametrize("conditional", [False, True])
def test_the_three_networks_and_their_shapes(conditional):
    gan = vaelab.build_vaegan(latent_dim=4, conditional=conditional, seed=1)
    assert gan.name == ("cvaegan" if conditional else "vaegan")
    assert gan.conditional is conditional and vaelab.is_conditional(gan) is conditional
    assert [gan.get_layer(p).name for p in ("encoder", "decoder", "discriminator")] == \
        ["encoder", "decoder", "discriminator"]
    assert vaelab.latent_dim_of(gan) == 4
    x = synthetic_images(5, seed=1)
    y = np.arange(5)
    inputs = [x, vaelab.one_hot(y)] if conditional else x
    logit, features = gan.discriminator(inputs)
    assert tuple(logit.shape) == (5, 1) and tuple(features.shape) == (5, 7, 7, 64)
    assert gan.discriminator.get_layer("features").output is gan.discriminator.outputs[1]
    assert tuple(gan(inputs).shape) == (5, 28, 28, 1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(gan(inputs)),
                               vaelab.reconstruct(gan, x, y if conditional else None), atol=1e-6)


def test_build_vaegan_checks_its_arguments():
    with pytest.raises(ValueError, match="gamma: expected a non-negative number, got -1"):
        vaelab.build_vaegan(gamma=-1)
    with pytest.raises(ValueError, match="learning_rates: expected three positive numbers"):
        vaelab.build_vaegan(learning_rates=[1e-3, 1e-3])
    with pytest.raises(ValueError, match="conditional: expected True or False, got 'yes'"):
        vaelab.build_vaegan(conditional="yes")
    with pytest.raises(ValueError, match=r"dropout: expected a rate in \[0, 1\)"):
        vaelab.build_vaegan(dropout=1.0)
    with pytest.raises(ValueError, match="max_generator_steps: expected an integer >= 1"):
        vaelab.build_vaegan(max_generator_steps=0)


@pytest.mark.parametrize("conditional", [False, True])
def test_each_network_lowers_its_own_loss(conditional, batch):
    x, y = batch
    y = y if conditional else None
    # Small steps: RMSprop's first updates are large whatever the learning rate's scale.
    gan = vaelab.build_vaegan(latent_dim=4, conditional=conditional, seed=3,
                              learning_rates=[1e-4, 1e-4, 1e-4])
    discriminator_step, generator_step = gan.compiled_steps()
    randomness = gan.read_state()[1]
    before = losses_now(gan, randomness, x, y)
    assert all(np.isfinite(v) for v in before.values())
    assert before["encoder"] == pytest.approx(gan.beta * before["prior"] + before["feature"],
                                              rel=1e-5)
    assert before["decoder"] == pytest.approx(
        gan.gamma * before["feature"] + before["gan_generator"], rel=1e-5)
    for _ in range(3):
        one_update(gan, discriminator_step, x, y)
    after_d = losses_now(gan, randomness, x, y)
    assert after_d["discriminator"] < before["discriminator"]
    # The discriminator step leaves encoder and decoder alone.
    assert after_d["prior"] == pytest.approx(before["prior"], rel=1e-6)
    for _ in range(3):
        one_update(gan, generator_step, x, y)
    after_g = losses_now(gan, randomness, x, y)
    assert after_g["encoder"] < after_d["encoder"]
    assert after_g["decoder"] < after_d["decoder"]


def test_the_feature_loss_ignores_the_scale_of_the_discriminator(batch):
    x, y = batch
    gan = vaelab.build_vaegan(latent_dim=4, seed=5)
    randomness = gan.read_state()[1]
    before = losses_now(gan, randomness, x, None)
    conv = gan.discriminator.layers[gan.discriminator.layers.index(
        gan.discriminator.get_layer("features")) - 1]
    kernel, bias = conv.get_weights()
    conv.set_weights([10.0 * kernel, 10.0 * bias])  # LeakyReLU: features become 10 times larger
    after = losses_now(gan, randomness, x, None)
    assert after["feature"] == pytest.approx(before["feature"], rel=1e-4)
    assert after["gan"] != pytest.approx(before["gan"], rel=1e-4)


def test_train_vaegan_history_and_schedule(batch):
    x, y = batch
    gan = vaelab.build_vaegan(latent_dim=4, conditional=True, seed=2, win_threshold=0.0)
    history = vaelab.train_vaegan(gan, x, y, epochs=2, batch_size=8, seed=1, verbose=0)
    assert set(history) == {"prior", "feature", "gan", "gan_generator", "encoder", "decoder",
                            "discriminator_steps", "generator_steps"}
    assert all(len(v) == 2 for v in history.values())
    assert all(np.isfinite(history[k]).all() for k in ("encoder", "decoder", "gan"))
    # A discriminator that never counts as winning is updated on every batch, once.
    assert history["discriminator_steps"] == [4, 4] and history["generator_steps"] == [4, 4]
    always = vaelab.build_vaegan(latent_dim=4, conditional=True, seed=2, win_threshold=100,
                                 max_generator_steps=3)
    history = vaelab.train_vaegan(always, x, y, epochs=1, batch_size=8, seed=1, verbose=0)
    # One that always wins is updated once (nothing measured yet) and then skipped, while
    # every batch gets the maximum of generator steps.
    assert history["discriminator_steps"] == [1] and history["generator_steps"] == [12]


def test_train_vaegan_calls_on_epoch_end_with_the_epoch_weights_and_stops_on_true(batch):
    x, y = batch
    gan = vaelab.build_vaegan(latent_dim=4, conditional=True, seed=2)
    seen = []

    def on_epoch_end(epoch, history):
        seen.append((epoch, len(history["prior"]), [w.copy() for w in gan.get_weights()]))
        return epoch == 2

    history = vaelab.train_vaegan(gan, x, y, epochs=5, batch_size=8, seed=1, verbose=0,
                                  on_epoch_end=on_epoch_end)
    assert [(epoch, n) for epoch, n, _ in seen] == [(1, 1), (2, 2)]
    assert all(len(v) == 2 for v in history.values())
    # The hook sees each epoch's weights written back: the first differ from the last.
    assert any(not np.array_equal(a, b) for a, b in zip(seen[0][2], seen[1][2]))
    for a, b in zip(seen[1][2], gan.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_train_vaegan_is_reproducible_and_checks_its_input(batch):
    x, y = batch
    weights = []
    for _ in range(2):
        gan = vaelab.build_vaegan(latent_dim=3, seed=7)
        vaelab.train_vaegan(gan, x, epochs=1, batch_size=16, seed=7, verbose=0)
        weights.append(gan.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)
    cgan = vaelab.build_vaegan(latent_dim=3, conditional=True, seed=7)
    with pytest.raises(ValueError, match="labels: this VAE-GAN is conditional"):
        vaelab.train_vaegan(cgan, x, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="model: expected a VAE-GAN from build_vaegan"):
        vaelab.train_vaegan(vaelab.build_vae(), x, verbose=0)
    with pytest.raises(ValueError, match="images: expected pixel values in"):
        vaelab.train_vaegan(gan, x * 3, verbose=0)
    gan.compile(optimizer="rmsprop")
    with pytest.raises(NotImplementedError,
                       match=r"use vaelab.train_vaegan\(model, images, labels\)"):
        gan.fit(x, epochs=1, verbose=0)


def test_a_diverging_run_stops_and_keeps_the_last_good_weights(batch):
    x, _ = batch
    gan = vaelab.build_vaegan(latent_dim=3, seed=1, learning_rates=[1e30, 1e30, 1e30])
    start = gan.get_weights()
    with pytest.raises(TrainingDivergedError, match=r"became (nan|inf) at epoch 1, batch \d+; "
                                                     r"weights are those after epoch 0"):
        vaelab.train_vaegan(gan, x, epochs=1, batch_size=8, verbose=0)
    for a, b in zip(start, gan.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_save_and_load_a_vaegan(tmp_path, batch):
    x, y = batch
    gan = vaelab.build_vaegan(latent_dim=3, conditional=True, gamma=0.5, beta=2.0, seed=4)
    path = vaelab.save_model(gan, tmp_path / "cvaegan.keras")
    back = vaelab.load_model(path)
    assert isinstance(back, vaelab.VAEGAN) and back.conditional
    assert (back.gamma, back.beta) == (0.5, 2.0)
    np.testing.assert_allclose(vaelab.reconstruct(back, x, y),
                               vaelab.reconstruct(gan, x, y), atol=1e-6)


def test_export_and_load_pretrained_cvaegan(tmp_path, batch):
    x, y = batch
    gan = vaelab.build_vaegan(latent_dim=3, conditional=True, gamma=0.2, seed=6)
    vaelab.train_vaegan(gan, x[:16], y[:16], epochs=1, batch_size=16, verbose=0)
    entry = export_pretrained(gan, "cvaegan", {"architecture": "cvaegan", "latent_dim": 3,
                                               "gamma": 0.2, "beta": 3.0,
                                               "win_threshold": 0.3}, tmp_path)
    with h5py.File(tmp_path / entry["file"]) as f:  # weights only, no optimiser state
        assert sorted(f) == ["decoder", "discriminator", "encoder", "layers", "vars"]
    back = vaelab.load_pretrained("cvaegan", tmp_path)
    assert back.gamma == 0.2 and back.beta == 3.0 and back.win_threshold == 0.3
    np.testing.assert_array_equal(vaelab.style_transfer(back, x[:2], y[:2], [0, 5]),
                                  vaelab.style_transfer(gan, x[:2], y[:2], [0, 5]))


def test_generation_accuracy(classifier):
    gan = vaelab.build_vaegan(latent_dim=3, conditional=True, seed=8)
    acc = vaelab.generation_accuracy(gan, classifier, n_per_class=3, seed=1)
    assert set(acc) == {"overall", "per_class"} and len(acc["per_class"]) == 10
    assert acc["overall"] == pytest.approx(np.mean(acc["per_class"]))
    thirds = np.array(acc["per_class"]) * 3  # 3 images per class: 0, 1/3, 2/3 or 1
    np.testing.assert_allclose(thirds, np.round(thirds))
    with pytest.raises(ValueError, match="is not conditional"):
        vaelab.generation_accuracy(vaelab.build_vaegan(latent_dim=3), classifier)


JAX_SCRIPT = """
import numpy as np, vaelab
x = np.random.default_rng(0).uniform(size=(16, 28, 28, 1)).astype("float32")
for conditional in (False, True):
    gan = vaelab.build_vaegan(latent_dim=3, conditional=conditional, seed=1, win_threshold=0)
    before = [w.copy() for w in gan.get_weights()]
    h = vaelab.train_vaegan(gan, x, np.arange(16) % 10 if conditional else None, epochs=1,
                            batch_size=8, seed=1, verbose=0)
    assert h["discriminator_steps"] == [2] and np.isfinite(h["encoder"]).all(), h
    assert all((a != b).any() for a, b in zip(before, gan.get_weights()))
print("ok")
"""


@OWN_BACKEND
def test_training_runs_on_the_jax_backend():
    run_on_jax(JAX_SCRIPT)


@pytest.mark.parametrize("name", ["cvae", "cvaegan"])
def test_shipped_conditional_weights_reproduce_their_subset_metrics(name, mnist):
    entry = vaelab.manifest().get(name)
    if entry is None:
        pytest.skip(f"{name!r} is not in the shipped manifest yet")
    model, classifier = vaelab.load_pretrained(name), vaelab.load_pretrained("classifier")
    assert vaelab.is_conditional(model) and vaelab.latent_dim_of(model) == entry["latent_dim"]
    _, (x_test, y_test) = mnist
    x, y = x_test[:1000], y_test[:1000]
    rec = vaelab.reconstruct(model, x, y)
    got = {**vaelab.reconstruction_errors(x, rec),
           "mean_laplacian_variance": float(vaelab.laplacian_variance(rec).mean()),
           "classifier_accuracy": vaelab.classifier_accuracy(classifier, rec, y)}
    assert sorted(got) == sorted(entry["subset_metrics"])
    for key, value in entry["subset_metrics"].items():
        assert got[key] == pytest.approx(value, rel=1e-4), key
