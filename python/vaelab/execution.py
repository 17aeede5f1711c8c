"""How a VAE's training step runs on this machine: chosen by timing it, kept through compile.

Two switches change the speed of a training step, never its mathematics:

* XLA, for the whole model, for its encoder and decoder alone ("parts"), or not at all;
* the single-channel convolution rewrite (:class:`vaelab.layers.ShiftedSliceConv2D`).

Which is fastest depends on the CPU. On a 2-core AVX2 machine XLA trained the article's
plain VAE 1.15x to 1.3x faster; on a 2-core AVX-512 machine it made every variant slower
(benchmarks/RESULTS.md). A fixed default is a guess, so a model built with
``jit_compile="auto"`` that starts a long training run with TensorFlow on a CPU first
times a few steps of each plan on one batch of its own images, keeps the fastest, and
puts the weights, the optimizer's state and the random generators back as they were.
The choice is cached per CPU, software versions, architecture and batch size in the
user's cache folder (:func:`cache_path`), so the next run on that machine starts at once.

Numerical differences: XLA fuses operations and the rewrite adds a convolution's taps in
another order, so one step's results differ between plans by float32 rounding (about
1e-6 relative). Training amplifies such differences over many steps, like any change of
summation order, so two plans give trajectories that agree in distribution, not bit for bit.

``VAELAB_TUNE=off`` turns the measurement off (each architecture's fixed default is used);
``VAELAB_TUNE=always`` measures at the first training call however short (benchmarks);
``jit_compile=True`` or ``False`` in the builders or in ``compile()`` fixes XLA as asked.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import math
import os
import platform
import time
from pathlib import Path

import keras
import numpy as np

from .checks import as_images, positive_int
from .config import environment_variable
from .files import write_text
from .layers import ShiftedSliceConv2D
from .output import progress

# A training run shorter than this many steps keeps the fixed default: timing every plan
# (each traced, XLA's compiled) took 7 s (plain VAE) to 17 s (DFC VAE) at batch 32 on 2
# cores, about 250 to 450 steps, 17 s to 32 s at batch 128; a plan gains 10-30%, and the
# choice is cached, so a machine pays this once per architecture and batch size.
TUNE_MIN_STEPS = 2000
# Each plan is timed for TIMED_STEPS steps in each of TIMED_ROUNDS rounds, the plans
# taking turns so that a drift in the machine's speed hits them alike.
TIMED_STEPS = 5
TIMED_ROUNDS = 3
# Plans within this fraction of the fastest are near-tied: rounds on a shared VM differ by a
# few percent, so those plans race on for RUNOFF_ROUNDS more rounds before one is kept.
RUNOFF_MARGIN = 0.05
RUNOFF_ROUNDS = 4
CACHE_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Plan:
    """One way to run a training step: where XLA applies, and the convolution rewrite."""

    xla: str = "none"  # "model", "parts" (the sub-models named by the model) or "none"
    shifted_slices: bool = True

    @property
    def name(self) -> str:
        slices = "shifted-slice convolutions" if self.shifted_slices else "Keras convolutions"
        return {"model": "XLA", "parts": "XLA for encoder and decoder",
                "none": "no XLA"}[self.xla] + ", " + slices


@dataclasses.dataclass
class _Settings:
    """What a vaelab model was asked for and what it runs now (kept on the model)."""

    requested: object  # "auto", True or False: the latest jit_compile asked for
    default: Plan  # the architecture's fixed choice, used when nothing was measured
    parts: tuple  # sub-models that XLA "parts" compiles
    current: Plan
    tuned: dict = dataclasses.field(default_factory=dict)  # batch size -> Plan


def configure(model: keras.Model, optimizer, jit_compile, default: Plan, parts=()):
    """Compile `model` with `optimizer` and give it a ``compile`` that keeps vaelab's plan.

    `default` is the architecture's plan when ``jit_compile="auto"`` and nothing has been
    measured; `parts` names the sub-models that ``Plan(xla="parts")`` compiles.
    """
    model._vaelab_execution = _Settings(jit_compile, default, tuple(parts), default)
    signature = inspect.signature(type(model).compile)

    def compile_keeping_plan(*args, **kwargs):
        bound = signature.bind(model, *args, **kwargs)
        requested = _check_jit_compile(bound.arguments.pop("jit_compile", "auto"))
        settings = model._vaelab_execution
        settings.requested = requested
        plan = _resolve(settings)
        bound.arguments["jit_compile"] = _keras_jit_compile(plan, requested)
        type(model).compile(*bound.args, **bound.kwargs)
        _apply(model, plan)

    compile_keeping_plan.__doc__ = type(model).compile.__doc__
    model.compile = compile_keeping_plan
    model.compile(optimizer=optimizer, jit_compile=jit_compile)
    return model


def execution_plan(model: keras.Model) -> Plan | None:
    """The :class:`Plan` a vaelab model trains with now (None for other models).

    Example:
        >>> execution_plan(build_vae())  # doctest: +SKIP
        Plan(xla='model', shifted_slices=True)
    """
    settings = getattr(model, "_vaelab_execution", None)
    return None if settings is None else settings.current


def tune_execution(model: keras.Model, images, batch_size: int = 32, cache: bool = True):
    """Time each plan for training `model` on this machine, keep the fastest, return timings.

    Runs ``TIMED_ROUNDS`` rounds of ``TIMED_STEPS`` steps per plan on the first
    `batch_size` images, and ``RUNOFF_ROUNDS`` more for the plans within
    ``RUNOFF_MARGIN`` of the fastest (medians over all of a plan's rounds), then restores
    the model's weights, optimizer state and random generators. Returns a dict
    ``{plan name: milliseconds per step}`` with the chosen plan's name under
    ``"chosen"``. Only TensorFlow on a CPU has plans to choose from; elsewhere it returns
    ``{}`` and changes nothing. With `cache`, the choice is written to :func:`cache_path`.

    Example:
        >>> tune_execution(build_vae(), x_train[:32])  # doctest: +SKIP
        {'XLA, shifted-slice convolutions': 21.3, ..., 'chosen': 'no XLA, Keras convolutions'}
    """
    settings = _settings(model)
    plans = candidate_plans(model)
    if len(plans) < 2:
        return {}
    batch = _first_batch(model, images, batch_size)
    timings = _time_plans(model, plans, batch)
    best = min(plans, key=lambda p: timings[p])
    settings.tuned[batch_size] = best
    if settings.requested == "auto":
        settings.current = best
    _apply(model, settings.current)
    if cache:
        _store(model, batch_size, best, timings)
    progress.info("training plan for model %r at batch size %d on this CPU: %s (%s)",
                  model.name, batch_size, best.name,
                  ", ".join(f"{p.name} {1e3 * t:.1f} ms" for p, t in timings.items()))
    return {**{p.name: 1e3 * t for p, t in timings.items()}, "chosen": best.name}


def prepare(model: keras.Model, batch, batch_size: int, steps: int) -> None:
    """Before `model` trains for `steps` steps of `batch_size`: run the best known plan.

    Uses a plan measured earlier (in this process or cached), else measures one when the
    run is long enough (``TUNE_MIN_STEPS``) and the model asked for ``"auto"``. `batch`
    is one batch of the training inputs, or None when it cannot be had cheaply.
    """
    settings = getattr(model, "_vaelab_execution", None)
    if settings is None or settings.requested != "auto" or not _tunable():
        return
    plan = settings.tuned.get(batch_size) or _cached(model, batch_size)
    long_enough = steps >= TUNE_MIN_STEPS or _tune_setting() == "always"
    if plan is None and batch is not None and long_enough:
        tune_execution(model, batch, batch_size)
        return
    if plan is not None and plan != settings.current:
        settings.tuned[batch_size] = settings.current = plan
        _apply(model, plan)


def prepare_fit(model: keras.Model, arguments: dict) -> None:
    """:func:`prepare` for a ``fit`` call, from its bound `arguments` (x, batch_size, epochs,
    steps_per_epoch): arrays, a ``tf.data`` dataset or a Keras ``PyDataset``."""
    settings = getattr(model, "_vaelab_execution", None)
    # Checked before a batch is read: a model whose XLA the user fixed has nothing to choose.
    if settings is None or settings.requested != "auto" or not _tunable():
        return
    x, epochs = arguments.get("x"), arguments.get("epochs", 1)
    batch, batches = _peek(x, arguments.get("batch_size") or 32)
    if batch is None:
        return
    steps = arguments.get("steps_per_epoch") or batches
    prepare(model, batch, len(_first_input(batch)), epochs * steps if steps else 0)


def _peek(x, batch_size):
    """One batch of the inputs `x` and the number of batches per epoch (None if unknown)."""
    if isinstance(x, np.ndarray) or (isinstance(x, (list, tuple)) and x
                                     and all(isinstance(a, np.ndarray) for a in x)):
        first = x if isinstance(x, np.ndarray) else x[0]
        batch = x[:batch_size] if isinstance(x, np.ndarray) else [a[:batch_size] for a in x]
        return batch, math.ceil(len(first) / batch_size)
    if isinstance(x, keras.utils.PyDataset):
        return _inputs_of(x[0]), len(x)
    if type(x).__module__.startswith("tensorflow") and hasattr(x, "take"):
        element = next(iter(x.take(1)))
        batches = int(x.cardinality())
        return _inputs_of(element), batches if batches > 0 else None
    return None, None


def _inputs_of(element):
    """The model inputs of a dataset element: ``(x,)``, ``(x, y)`` or x."""
    if isinstance(element, tuple):
        element = element[0]
    if isinstance(element, (list, tuple)):
        return [np.asarray(a) for a in element]
    return np.asarray(element)


def _first_input(batch):
    return batch[0] if isinstance(batch, list) else batch


def candidate_plans(model: keras.Model) -> list:
    """The plans that differ for `model`: XLA three ways (two without sub-models to
    compile), times the convolution rewrite where the model has a layer it applies to."""
    settings = _settings(model)
    if keras.backend.backend() != "tensorflow" or _has_gpu():
        return [settings.current]
    xla = ("model", "parts", "none") if settings.parts else ("model", "none")
    slices = (True, False) if any(_rewritable(layer) for layer in all_layers(model)) \
        else (False,)
    return [Plan(x, s) for x in xla for s in slices]


def cache_path() -> Path:
    """The file of measured plans: ``$VAELAB_CACHE/execution.json``, else under
    ``$XDG_CACHE_HOME/vaelab`` or ``~/.cache/vaelab``."""
    base = environment_variable("VAELAB_CACHE")
    if not base:
        xdg = environment_variable("XDG_CACHE_HOME")
        base = Path(xdg) / "vaelab" if xdg else Path.home() / ".cache" / "vaelab"
    return Path(base).expanduser() / "execution.json"


# ---- applying a plan ---------------------------------------------------------------------

def _resolve(settings: _Settings) -> Plan:
    if isinstance(settings.requested, str):  # "auto"
        return settings.current
    return dataclasses.replace(settings.default, xla="model" if settings.requested else "none")


def _keras_jit_compile(plan: Plan, requested):
    """What Keras's own compile gets: the plan's XLA, or Keras's choice where vaelab has none
    (other backends, or a GPU, where Keras turns XLA on itself)."""
    if requested != "auto":
        return bool(requested)
    if keras.backend.backend() != "tensorflow" or _has_gpu():
        return "auto"
    return plan.xla == "model"


def _apply(model, plan: Plan) -> None:
    """Make `model`'s next training step run as `plan` says (its train function is redone).

    XLA is vaelab's to set on TensorFlow without a GPU only; elsewhere Keras's compile
    has chosen it already.
    """
    model._vaelab_execution.current = plan
    for layer in all_layers(model):
        if isinstance(layer, ShiftedSliceConv2D):
            layer.shifted_slices = plan.shifted_slices
        if "call" in vars(layer):
            del layer.call
    if keras.backend.backend() == "tensorflow" and not _has_gpu():
        model.jit_compile = plan.xla == "model"
        if plan.xla == "parts":
            for name in model._vaelab_execution.parts:
                part = model.get_layer(name)
                part.call = _xla_when_training(part.call)
    model.train_function = None


def _xla_when_training(call):
    """`call`, compiled with XLA in training steps only.

    Inference keeps TensorFlow's kernels: its batch shapes vary (grids, the last batch of
    a dataset), and each new shape would be compiled again.
    """
    import tensorflow as tf  # only reached on the TensorFlow backend

    compiled = tf.function(call, jit_compile=True, autograph=False)

    def call_in_training_with_xla(inputs, training=None, mask=None):
        return (compiled if training else call)(inputs, training=training, mask=mask)

    return call_in_training_with_xla


# ---- measuring -----------------------------------------------------------------------------

def _time_plans(model, plans, batch) -> dict:
    """Seconds per step of each plan: median over rounds, the plans taking turns; the
    near-tied fastest (:func:`near_ties`) race on for ``RUNOFF_ROUNDS`` more rounds."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built:  # so that its state is put back too
        optimizer.build(model.trainable_variables)
    state = [(v, keras.ops.convert_to_numpy(v)) for v in training_state(model)]
    settings = model._vaelab_execution
    kept = settings.current
    try:
        functions = {}
        for plan in plans:
            _apply(model, plan)
            model.train_on_batch(batch)  # traced (and for XLA compiled) here, not timed
            functions[plan] = model.train_function
        rounds = {plan: [] for plan in plans}
        _race(model, functions, batch, rounds, TIMED_ROUNDS)
        close = near_ties(_medians(rounds), RUNOFF_MARGIN)
        if len(close) > 1:
            _race(model, {plan: functions[plan] for plan in close}, batch, rounds,
                  RUNOFF_ROUNDS)
    finally:
        for variable, value in state:
            variable.assign(value)
        _apply(model, kept)
    return _medians(rounds)


def _race(model, functions: dict, batch, rounds: dict, n_rounds: int) -> None:
    """Append to ``rounds[plan]`` the seconds per step of `n_rounds` rounds of
    ``TIMED_STEPS`` steps, each plan's traced train function taking its turn."""
    for _ in range(n_rounds):
        for plan, function in functions.items():
            model.train_function = function
            start = time.perf_counter()
            for _ in range(TIMED_STEPS):
                model.train_on_batch(batch)
            rounds[plan].append((time.perf_counter() - start) / TIMED_STEPS)


def _medians(rounds: dict) -> dict:
    return {plan: float(np.median(times)) for plan, times in rounds.items()}


def near_ties(timings: dict, margin: float = RUNOFF_MARGIN) -> list:
    """The plans of `timings` (plan -> seconds) within `margin`, a fraction, of the fastest
    one's time, fastest first.

    Example:
        >>> near_ties({"a": 1.00, "b": 1.04, "c": 1.30}, margin=0.05)
        ['a', 'b']
    """
    best = min(timings.values())
    return sorted((p for p, t in timings.items() if t <= best * (1 + margin)),
                  key=timings.get)


def training_state(model) -> list:
    """Every variable a training step changes: weights, random seeds, the optimizer's
    state and the metrics'."""
    optimizer = getattr(model, "optimizer", None)
    return (list(model.variables) + (list(optimizer.variables) if optimizer else [])
            + list(model.metrics_variables))


def _first_batch(model, images, batch_size):
    batch_size = positive_int(batch_size, "batch_size")
    inputs = images if isinstance(images, (list, tuple)) else [images]
    if len(inputs) != len(model.inputs):
        raise ValueError(f"images: model {model.name!r} takes {len(model.inputs)} inputs, "
                         f"got {len(inputs)}")
    batch = [np.asarray(a)[:batch_size] for a in inputs]
    batch[0] = as_images(batch[0], shape=tuple(model.inputs[0].shape[1:]),
                         model_name=model.name)
    return batch if len(batch) > 1 else batch[0]


# ---- the cache ---------------------------------------------------------------------------

def _key(model, batch_size) -> str:
    """CPU, software, architecture and batch size: what a measured plan depends on."""
    import tensorflow as tf

    parts = []
    for layer in all_layers(model):
        config = {k: v for k, v in layer.get_config().items()
                  if k not in ("name", "seed", "layers", "input_layers", "output_layers")}
        parts.append([type(layer).__name__, config])
    architecture = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode())
    return " | ".join([_cpu(), f"tensorflow {tf.__version__}, keras {keras.__version__}",
                       architecture.hexdigest()[:16], f"batch {batch_size}"])


def _cpu() -> str:
    """The CPU's model name and a digest of its feature flags (Linux), else the platform."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    flags = hashlib.sha256(fields.get("flags", "").encode()).hexdigest()[:8]
    return f"{fields.get('model name', platform.machine())}, {os.cpu_count()} cores, flags {flags}"


def _read_cache() -> dict:
    path = cache_path()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        progress.warning("%s: unreadable cache of training plans, measuring again (%s)", path,
                         err)
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return {}
    return data.get("plans", {})


def _cached(model, batch_size) -> Plan | None:
    entry = _read_cache().get(_key(model, batch_size))
    try:
        return Plan(**entry["plan"])
    except (TypeError, KeyError):
        return None


def _store(model, batch_size, best: Plan, timings: dict) -> None:
    plans = _read_cache()
    plans[_key(model, batch_size)] = {
        "plan": dataclasses.asdict(best),
        "ms_per_step": {p.name: round(1e3 * t, 3) for p, t in timings.items()},
        "measured": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    try:
        cache_path().parent.mkdir(parents=True, exist_ok=True)
        write_text(cache_path(), json.dumps({"version": CACHE_VERSION, "plans": plans},
                                            indent=1))
    except OSError as err:  # a read-only home: the plan still holds for this session
        progress.warning("could not cache the training plan: %s", err)


# ---- small helpers -------------------------------------------------------------------------

def _settings(model) -> _Settings:
    settings = getattr(model, "_vaelab_execution", None)
    if settings is None:
        raise ValueError(f"model {getattr(model, 'name', model)!r}: expected a VAE built by "
                         "vaelab (build_vae(), build_dfc_vae(), build_cvae(), load_model())")
    return settings


def _check_jit_compile(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str) and value == "auto":
        return value
    raise ValueError(f"jit_compile: expected 'auto', True or False, got {value!r}")


def _tune_setting() -> str:
    setting = (environment_variable("VAELAB_TUNE") or "auto").strip().lower()
    if setting not in ("auto", "off", "always"):
        raise ValueError(f"VAELAB_TUNE: expected 'auto', 'off' or 'always', got {setting!r}")
    return setting


def _tunable() -> bool:
    return (_tune_setting() != "off" and keras.backend.backend() == "tensorflow"
            and not _has_gpu())


def _has_gpu() -> bool:
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("GPU"))


def _rewritable(layer) -> bool:
    return isinstance(layer, ShiftedSliceConv2D) and 1 in (layer.kernel.shape[2],
                                                           layer.kernel.shape[3])


def all_layers(model) -> list:
    """Every layer of `model`, those of its sub-models too, in a fixed order."""
    return list(model._flatten_layers(include_self=False, recursive=True))

