"""What a student reads: TensorFlow's start-up noise kept out, vaelab's progress let in.

TensorFlow prints C++ lines when it is first imported and when it first looks for a GPU
("Could not find cuda drivers", "failed call to cuInit", "oneDNN custom operations are
on"), some through absl before its logging is set up, where ``TF_CPP_MIN_LOG_LEVEL`` does
not reach them. Students read them as failures. :func:`import_backend` imports Keras with
the process's standard error (file descriptor 2) diverted, then writes back every line
that is not such noise, so real warnings still show. ``VAELAB_VERBOSE=1``, or a
``TF_CPP_MIN_LOG_LEVEL`` of 0 or 1 set by the user, shows everything.

Example:
    >>> import os
    >>> os.environ["VAELAB_VERBOSE"] = "1"   # before `import vaelab`  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import re
import sys
import tempfile

# Start-up lines of TensorFlow, XLA and absl that say nothing to a student.
NOISE = re.compile("|".join([
    r"All log messages before absl::InitializeLog\(\) is called",
    r"cudart_stub\.cc.*Could not find cuda drivers",
    r"cuda_platform\.cc.*failed call to cuInit",
    r"cuda_(dnn|fft|blas)\.cc.*Unable to register",
    r"computation_placer\.cc",
    r"cpu_feature_guard\.cc",
    r"To enable the following instructions: .*rebuild TensorFlow",
    r"oneDNN custom operations are on",
    r"TF-TRT Warning: Could not find TensorRT",
]))
# TensorFlow's Python warning that a tf.function was traced again: about speed, not results.
RETRACING = "triggered tf.function retracing"
# vaelab's progress messages ("reconstructing 10000 images with DFC VAE"), INFO level.
progress = logging.getLogger("vaelab")


def verbose() -> bool:
    """Whether the user asked for TensorFlow's own messages.

    True when ``VAELAB_VERBOSE`` is set to anything but ``0``, or when the user set
    ``TF_CPP_MIN_LOG_LEVEL`` to 0 or 1 (TensorFlow's levels that show its notes).

    Example:
        >>> verbose()  # doctest: +SKIP
        False
    """
    if os.environ.get("VAELAB_VERBOSE", "0") not in ("", "0"):
        return True
    return os.environ.get("TF_CPP_MIN_LOG_LEVEL", "").strip() in ("0", "1")


def import_backend() -> None:
    """Import Keras (and its backend) and find the devices, without the start-up noise.

    Called once by ``import vaelab``, before anything imports TensorFlow. Looking for
    the devices here makes TensorFlow's GPU probe ("failed call to cuInit") happen now,
    inside the filter, rather than at the first model.
    """
    if verbose():
        _import_keras()
        return
    if not os.environ.get("TF_CPP_MIN_LOG_LEVEL"):
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    with _filtered_stderr():
        keras = _import_keras()
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.list_physical_devices()
        elif importlib.util.find_spec("tensorflow") is not None:
            # On JAX and torch, Keras imports an installed TensorFlow all the same (its
            # set_random_seed seeds it, which every vaelab builder calls): now, in the filter.
            import tensorflow  # noqa: F401
    logging.getLogger("tensorflow").addFilter(_not_retracing)


def _import_keras():
    """Import Keras; where its backend is TensorFlow and TensorFlow is missing (a machine
    with JAX alone), say which backend to choose instead of Keras's bare import error."""
    try:
        import keras
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] != "tensorflow":
            raise
        others = [name for name in ("jax", "torch") if importlib.util.find_spec(name)]
        choice = (f"or set KERAS_BACKEND to {' or '.join(others)} (installed here)" if others
                  else "or install JAX and set KERAS_BACKEND=jax")
        raise ImportError(
            "Keras's backend is TensorFlow (KERAS_BACKEND, else ~/.keras/keras.json, else "
            f"Keras's default), but TensorFlow is not installed: install it, {choice} "
            "before importing vaelab") from error
    return keras


def show_progress(enabled: bool = True) -> None:
    """Print vaelab's progress messages (long evaluations, reports) on standard error.

    Off in library use, so knitted documents stay short; the ``vaelab`` command turns
    it on. Idempotent.

    Example:
        >>> show_progress()
        >>> progress.info("evaluating")  # doctest: +SKIP
        vaelab: evaluating
    """
    progress.setLevel(logging.INFO if enabled else logging.WARNING)
    if enabled and not any(isinstance(h, _StderrHandler) for h in progress.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("vaelab: %(message)s"))
        progress.addHandler(handler)


def keras_verbose(value):
    """Keras' ``verbose`` for `value`, with ``"auto"`` resolved for where the output goes.

    Keras' bar redraws itself many times a second; where standard output is neither a
    terminal nor a notebook (a knitted document, a log file) that is thousands of
    characters per epoch, so ``"auto"`` gives one line per epoch there instead.

    Example:
        >>> keras_verbose(0)
        0
    """
    if value != "auto":
        return value
    interactive = "ipykernel" in sys.modules or (
        hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
    return 1 if interactive else 2


class _StderrHandler(logging.StreamHandler):
    """Writes to the current ``sys.stderr``, which Jupyter, R and pytest replace."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _):
        pass


def _not_retracing(record: logging.LogRecord) -> bool:
    return RETRACING not in record.getMessage()


@contextlib.contextmanager
def _filtered_stderr():
    """Divert file descriptor 2 (where C++ code writes) and write back all but the noise."""
    try:
        saved = os.dup(2)
    except OSError:  # no standard error at all (e.g. pythonw): nothing to keep clean
        yield
        return
    with tempfile.TemporaryFile() as caught:
        _flush_stderr()
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            _flush_stderr()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            text = caught.read().decode("utf-8", errors="replace")
            kept = [line for line in text.splitlines(keepends=True) if not NOISE.search(line)]
            if kept:
                sys.stderr.write("".join(kept))
                _flush_stderr()


def _flush_stderr():
    # Python's own warnings during the import must reach the diverted descriptor in order.
    if sys.stderr is not None:
        sys.stderr.flush()
