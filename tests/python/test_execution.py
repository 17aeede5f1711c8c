"""Training plans: measured on this machine, cached, kept through compile, never changing values."""

import json

import keras
import numpy as np
import pytest

import vaelab
from vaelab import execution
from vaelab.execution import Plan

# Plans are chosen and applied on TensorFlow on a CPU only (vaelab.execution): on JAX and torch
# a model has one plan, Keras sets XLA itself and tune_execution() measures nothing.
TENSORFLOW_PLANS = pytest.mark.backends(
    "tensorflow", reason="measured training plans (XLA, shifted-slice convolutions) are "
    "TensorFlow's; on JAX and torch a model has one plan and Keras chooses XLA")

@pytest.fixture
def tuning(monkeypatch, tmp_path):
    """Measurement on, one short round per plan, a private cache folder."""
    monkeypatch.setenv("VAELAB_TUNE", "auto")
    monkeypatch.setenv("VAELAB_CACHE", str(tmp_path))
    monkeypatch.setattr(execution, "TIMED_ROUNDS", 1)
    monkeypatch.setattr(execution, "TIMED_STEPS", 1)
    monkeypatch.setattr(execution, "RUNOFF_ROUNDS", 1)
    return tmp_path


def state(model):
    return [keras.ops.convert_to_numpy(v).copy() for v in execution.training_state(model)]


@TENSORFLOW_PLANS
def test_each_architecture_offers_the_plans_that_differ_for_it(classifier):
    names = lambda model: [p.name for p in execution.candidate_plans(model)]  # noqa: E731
    assert names(vaelab.build_vae()) == [
        "XLA, shifted-slice convolutions", "XLA, Keras convolutions",
        "no XLA, shifted-slice convolutions", "no XLA, Keras convolutions"]
    assert len(names(vaelab.build_dfc_vae(classifier))) == 6
    # The DFC paper's architecture has no single-channel convolution to rewrite.
    assert names(vaelab.build_vae(input_shape=(32, 32, 3))) == [
        "XLA, Keras convolutions", "no XLA, Keras convolutions"]
    assert execution.execution_plan(vaelab.build_vae()) == Plan("model")
    assert execution.execution_plan(vaelab.build_dfc_vae(classifier)) == Plan("parts")
    assert execution.execution_plan(vaelab.build_cvae(input_shape=(32, 32, 3))) == Plan(
        "none", shifted_slices=False)
    assert execution.execution_plan(keras.Sequential()) is None


@TENSORFLOW_PLANS
def test_every_plan_takes_the_same_training_step(images, classifier, monkeypatch):
    """A plan changes how a step is computed, not what: the same start, batch and noise give
    the same loss and weights after a step, up to float32 summation order.

    The noise is set to zero here because TensorFlow draws random numbers with another
    generator under XLA: from one seed, XLA and non-XLA plans sample different (equally
    distributed) noise, a difference the plans are allowed.
    """
    monkeypatch.setattr(keras.random, "normal",
                        lambda shape, seed=None, **kwargs: keras.ops.zeros(shape))
    x = images[0][:16]
    for model in (vaelab.build_vae(seed=1), vaelab.build_dfc_vae(classifier, seed=1)):
        model.compile(optimizer=keras.optimizers.SGD(0.01))
        start = state(model)
        after = {}
        initial = [w.copy() for w in model.get_weights()]
        for plan in execution.candidate_plans(model):
            for variable, value in zip(execution.training_state(model), start):
                variable.assign(value)
            execution._apply(model, plan)
            logs = model.train_on_batch(x, return_dict=True)
            after[plan] = (logs, [w.copy() for w in model.get_weights()])
        (logs0, weights0), *others = after.values()
        for logs, weights in others:
            np.testing.assert_allclose(logs["loss"], logs0["loss"], rtol=1e-5)
            # The reported terms are means kept by metric objects, summed in another order.
            for name in ("reconstruction_loss", "kl_loss"):
                np.testing.assert_allclose(logs[name], logs0[name], rtol=1e-4)
            # Each step's update agrees to 1%, as a whole per tensor: rounding can flip a
            # ReLU whose input is within rounding of zero, changing a few gradient entries.
            for a, b, w in zip(weights, weights0, initial):
                assert np.linalg.norm(a - b) <= 1e-2 * np.linalg.norm(b - w) + 1e-7


@TENSORFLOW_PLANS
def test_tuning_keeps_the_fastest_plan_and_puts_the_model_back(tuning, images):
    fresh = vaelab.build_vae(seed=1)  # its optimizer is built by the timed steps
    vaelab.tune_execution(fresh, images[0], batch_size=8, cache=False)
    model = vaelab.build_vae(seed=1)
    model.optimizer.build(model.trainable_variables)
    before = state(model)
    assert int(fresh.optimizer.iterations) == 0
    for a, b in zip(before, state(fresh)):
        np.testing.assert_array_equal(a, b)
    timings = vaelab.tune_execution(model, images[0], batch_size=8)
    plans = execution.candidate_plans(model)
    assert set(timings) == {p.name for p in plans} | {"chosen"}
    assert all(timings[p.name] > 0 for p in plans)
    chosen = min(plans, key=lambda p: timings[p.name])
    assert timings["chosen"] == chosen.name and execution.execution_plan(model) == chosen
    for a, b in zip(before, state(model)):
        np.testing.assert_array_equal(a, b)
    assert model.jit_compile == (chosen.xla == "model")
    cached = json.loads((tuning / "execution.json").read_text())["plans"]
    (key, entry), = cached.items()
    assert key.endswith("batch 8") and Plan(**entry["plan"]) == chosen


def test_near_ties_are_the_plans_within_the_margin_of_the_fastest():
    timings = {"slow": 1.30, "close": 1.04, "fast": 1.00, "out": 1.06, "next": 1.01}
    assert execution.near_ties(timings, margin=0.05) == ["fast", "next", "close"]
    assert execution.near_ties(timings, margin=0.0) == ["fast"]
    assert execution.near_ties({"alone": 2.0}) == ["alone"]


@TENSORFLOW_PLANS
def test_near_tied_plans_race_on_and_the_run_off_decides(tuning, images, monkeypatch):
    model = vaelab.build_vae(seed=1)
    plans = execution.candidate_plans(model)
    first, second = plans[0], plans[2]
    # Seconds per step each race reports, whatever the steps took: two plans 3% apart,
    # then the second one faster in the run-off.
    reported = [{p: {first: 1.0, second: 1.03}.get(p, 2.0) for p in plans},
                {first: 1.0, second: 0.9}]
    races = []
    real = execution._race

    def race(model, functions, batch, rounds, n_rounds):
        real(model, functions, batch, rounds, n_rounds)  # the steps still run
        for plan in functions:
            rounds[plan][-n_rounds:] = [reported[len(races)][plan]] * n_rounds
        races.append((list(functions), n_rounds))

    monkeypatch.setattr(execution, "RUNOFF_ROUNDS", 2)
    monkeypatch.setattr(execution, "_race", race)
    timings = vaelab.tune_execution(model, images[0], batch_size=8, cache=False)
    assert races == [(plans, 1), ([first, second], 2)]
    assert timings[second.name] == pytest.approx(900) and timings[first.name] == 1000
    assert timings["chosen"] == second.name and execution.execution_plan(model) == second


@TENSORFLOW_PLANS
def test_a_cached_plan_is_used_without_measuring(tuning, images, monkeypatch):
    first = vaelab.build_vae(seed=1)
    chosen = execution.execution_plan(first)
    vaelab.tune_execution(first, images[0], batch_size=8)
    chosen = execution.execution_plan(first)

    def no_timing(*args):
        raise AssertionError("measured again")

    monkeypatch.setattr(execution, "_time_plans", no_timing)
    again = vaelab.build_vae(seed=2, name="another")  # same architecture, another name
    vaelab.train_vae(again, images[0], epochs=1, batch_size=8, verbose=0)
    assert execution.execution_plan(again) == chosen
    other_batch = vaelab.build_vae(seed=2)
    vaelab.train_vae(other_batch, images[0], epochs=1, batch_size=4, verbose=0)
    assert execution.execution_plan(other_batch) == Plan("model")  # short run: the default


@TENSORFLOW_PLANS
def test_a_long_training_run_measures_first_and_a_short_one_does_not(tuning, images,
                                                                        monkeypatch):
    measured = []
    real = execution._time_plans
    monkeypatch.setattr(execution, "_time_plans",
                        lambda *a: measured.append(1) or real(*a))
    model = vaelab.build_vae(seed=1)
    model.fit(images[0], None, epochs=1, batch_size=8, verbose=0)  # the book's way
    assert not measured
    monkeypatch.setattr(execution, "TUNE_MIN_STEPS", 8)
    model.fit(images[0], None, epochs=1, batch_size=8, verbose=0)
    assert measured == [1]
    monkeypatch.setenv("VAELAB_TUNE", "off")
    vaelab.train_vae(vaelab.build_vae(), images[0], epochs=1, batch_size=16, verbose=0)
    assert measured == [1]
    monkeypatch.setenv("VAELAB_TUNE", "always")
    vaelab.train_vae(vaelab.build_vae(), images[0], epochs=1, batch_size=16, verbose=0)
    assert measured == [1, 1]
    monkeypatch.setenv("VAELAB_TUNE", "sometimes")
    with pytest.raises(ValueError, match="VAELAB_TUNE: expected 'auto', 'off' or 'always'"):
        vaelab.train_vae(vaelab.build_vae(), images[0], epochs=1, verbose=0)


@TENSORFLOW_PLANS
def test_the_users_own_compile_keeps_the_plan(tuning, images):
    model = vaelab.build_vae(seed=1)
    execution._apply(model, Plan("none", shifted_slices=False))
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    assert execution.execution_plan(model) == Plan("none", shifted_slices=False)
    assert isinstance(model.optimizer, keras.optimizers.Adam) and not model.jit_compile
    history = vaelab.train_vae(model, images[0], epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    model.compile(optimizer="rmsprop", jit_compile=True)
    assert execution.execution_plan(model).xla == "model" and model.jit_compile
    model.compile(optimizer="rmsprop", jit_compile=False)
    assert execution.execution_plan(model).xla == "none" and not model.jit_compile
    with pytest.raises(ValueError, match="jit_compile: expected 'auto', True or False"):
        model.compile(optimizer="rmsprop", jit_compile="yes")
    with pytest.raises(ValueError, match="expected a VAE built by vaelab"):
        vaelab.tune_execution(keras.Sequential([keras.Input((2,))]), images[0])


def test_a_saved_model_gets_its_plan_back(tmp_path, classifier):
    path = vaelab.save_model(vaelab.build_dfc_vae(classifier, seed=1), tmp_path / "dfc.keras")
    model = vaelab.load_model(path)
    assert execution.execution_plan(model) == Plan("parts")
    model.compile(optimizer="adam")
    assert execution.execution_plan(model) == Plan("parts")


@TENSORFLOW_PLANS
def test_an_unreadable_cache_is_measured_again(tuning, images, caplog):
    (tuning / "execution.json").write_text("{not json")
    model = vaelab.build_vae(seed=1)
    with caplog.at_level("WARNING", logger="vaelab"):
        vaelab.tune_execution(model, images[0], batch_size=8)
    assert "unreadable cache of training plans" in caplog.text
    assert json.loads((tuning / "execution.json").read_text())["version"] == 1


@pytest.mark.backends("jax", "torch", reason="TensorFlow's plans are tested above")
def test_other_backends_have_one_plan_and_measure_nothing(tuning, images):
    model = vaelab.build_vae(seed=1)
    assert execution.candidate_plans(model) == [execution.execution_plan(model)]
    before = state(model)
    assert vaelab.tune_execution(model, images[0], batch_size=8) == {}
    for a, b in zip(before, state(model)):
        np.testing.assert_array_equal(a, b)
    assert not (tuning / "execution.json").exists()
