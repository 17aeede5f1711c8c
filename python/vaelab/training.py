"""Training a VAE: a lean input pipeline and a guard that stops on a NaN loss."""

from __future__ import annotations

import contextlib
import functools
import inspect
import math

import keras
import numpy as np

from .checks import as_images, positive_int
from .datasets import ImageFiles
from .distribute import host_value, resolve
from .execution import prepare_fit
from .output import keras_verbose


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite during training.

    The model is not left broken: its weights and optimizer state are put back to those at
    the start of the epoch that diverged (after the last finished epoch), and the message
    says so.
    """


class StopOnNaN(keras.callbacks.Callback):
    """Raise :class:`TrainingDivergedError`, naming epoch and batch, when the loss is not finite.

    Policy for the diverged model: one NaN step turns every weight it touches into NaN, so
    the weights and the optimizer's state are restored to their values at the start of the
    epoch (a snapshot per epoch costs one copy of the weights, unlike one per step).
    """

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.snapshot = [(v, host_value(v)) for v in _corruptible_state(self.model)]

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True
            for variable, value in self.snapshot:
                variable.assign(value)
            raise TrainingDivergedError(
                f"training stopped: the loss became {float(loss)} at epoch {self.epoch + 1}, "
                f"batch {batch + 1}. The model's weights are restored to those "
                + (f"after epoch {self.epoch}" if self.epoch else "before training")
                + "; lower the learning rate, or check that the images are finite and in [0, 1]"
            )


def _corruptible_state(model):
    """What a NaN step corrupts: the weights and the optimizer's state (not the seeds or the
    metrics, which fit resets, and which JAX keeps apart while it trains distributed)."""
    optimizer = getattr(model, "optimizer", None)
    return list(model.weights) + (list(optimizer.variables) if optimizer is not None else [])


def guard_fit(model: keras.Model) -> keras.Model:
    """Give `model` a ``fit`` that always stops on a NaN loss (:class:`StopOnNaN`) and
    runs vaelab's best training plan for this machine (:func:`vaelab.execution.prepare_fit`).

    The book trains with ``model.fit(x, None)`` directly; this keeps both on that path.
    """
    fit = type(model).fit.__get__(model)  # the class's own fit, never an earlier wrapper
    signature = inspect.signature(fit)

    @functools.wraps(fit)
    def fit_stopping_on_nan(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        callbacks = list(bound.arguments.get("callbacks") or [])
        if not any(isinstance(c, StopOnNaN) for c in callbacks):
            bound.arguments["callbacks"] = [StopOnNaN()] + callbacks
        prepare_fit(model, bound.arguments)
        return fit(*bound.args, **bound.kwargs)

    model.fit = fit_stopping_on_nan
    return model


def train_vae(model: keras.Model, images, epochs: int = 15, batch_size: int = 32,
              validation_data=None, shuffle: bool = True, seed: int | None = None,
              verbose="auto", callbacks=None, distribution=None) -> keras.callbacks.History:
    """Train a VAE (or DFC VAE) on `images` with ``fit(images, None)`` semantics.

    `images` is an array of the model's image shape, or an :class:`vaelab.ImageFiles` (from
    :func:`vaelab.load_celeba` or :func:`vaelab.load_image_folder`), which is read from
    disk one batch at a time: a set too large for memory trains all the same.
    `validation_data` is either kind too (or ``(images, None)`` as in the book). On the
    TensorFlow backend arrays go through a ``tf.data`` pipeline of index batches gathered
    from one in-memory tensor, with autotuning off; other backends get the arrays
    directly. Returns the Keras ``History`` (loss, reconstruction_loss, kl_loss and their
    ``val_`` versions).

    `distribution` spreads training over devices, data parallel: None or ``"none"`` (one
    device), ``"all"`` (every device; every process's with ``jax.distributed``), or a
    ``keras.distribution.DataParallel`` (JAX) or ``tf.distribute.Strategy`` (TensorFlow).
    `batch_size` stays the global batch and must be a multiple of the number of devices;
    `model` itself ends up trained (:mod:`vaelab.distribute`).

    Example:
        >>> history = train_vae(build_vae(), x_train[:512], epochs=1)  # doctest: +SKIP
        >>> history = train_vae(build_vae(), x_train, distribution="all")  # doctest: +SKIP
        >>> faces = load_celeba("celeba", size=64)  # doctest: +SKIP
        >>> history = train_vae(build_vae(input_shape=(64, 64, 3)), faces)  # doctest: +SKIP
    """
    shape = tuple(model.inputs[0].shape[1:])
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    if isinstance(validation_data, (tuple, list)):
        validation_data = validation_data[0]
    if isinstance(images, ImageFiles):
        return _fit_files(model, images, epochs, batch_size, validation_data, shuffle, seed,
                          verbose, callbacks, resolve(distribution))
    if isinstance(validation_data, ImageFiles):
        raise ValueError("validation_data: image files validate a model trained on image files "
                         "only; pass the training images as files too, or validation images "
                         "as an array (ImageFiles.read())")
    x = as_images(images, shape=shape, model_name=model.name)
    if validation_data is not None:
        validation_data = as_images(validation_data, "validation_data", shape=shape,
                                    model_name=model.name)
    return fit_inputs(model, x, epochs, batch_size, validation_data, shuffle, seed, verbose,
                      callbacks, distribution)


def _fit_files(model, files, epochs, batch_size, validation_data, shuffle, seed, verbose,
               callbacks, plan):
    """:func:`train_vae` on image files, read from disk one batch at a time (by each
    process, only its share of them, when `plan` spans several)."""
    shape = tuple(model.inputs[0].shape[1:])
    _check_files_shape(files, shape, "images", model)
    if plan is not None:
        plan.check_same_everywhere(images=len(files), batch_size=batch_size, epochs=epochs,
                                   validation_images=_count(validation_data))
        batch_size = plan.local_batch_size(batch_size)
        files = plan.local_files(files)
    if isinstance(validation_data, ImageFiles):
        _check_files_shape(validation_data, shape, "validation_data", model)
        if plan is not None:
            validation_data = plan.local_files(validation_data, "validation_data")
        validation_data = validation_data.batches(batch_size, shuffle=False)
    elif validation_data is not None:
        validation_data = _validation_batches(
            _local(as_images(validation_data, "validation_data", shape=shape,
                             model_name=model.name), plan, "validation_data"), batch_size)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    with _trainer(model, plan) as trainer:
        return trainer.fit(_feed(files.batches(batch_size, shuffle=shuffle, seed=seed), plan),
                           epochs=epochs, validation_data=_feed(validation_data, plan),
                           verbose=keras_verbose(verbose),
                           callbacks=[StopOnNaN()] + list(callbacks or []))


def _check_files_shape(files, shape, name, model):
    if files.shape != shape:
        raise ValueError(f"{name}: the files are read as images of shape {files.shape}, but "
                         f"model {model.name!r} expects {shape}; load them with "
                         f"size=({shape[0]}, {shape[1]}) and channels={shape[2]}")


def fit_inputs(model: keras.Model, inputs, epochs: int, batch_size: int,
               validation_inputs=None, shuffle: bool = True, seed: int | None = None,
               verbose="auto", callbacks=None, distribution=None) -> keras.callbacks.History:
    """``model.fit(inputs, None)`` through the backend's fastest input path, stopping on NaN.

    `inputs` (and `validation_inputs`) is one array or a list of arrays with the same
    number of rows. The arguments are expected checked already (see :func:`train_vae`),
    except `distribution` (:func:`vaelab.distribute.resolve`).
    """
    plan = resolve(distribution)
    if plan is not None:
        plan.check_same_everywhere(images=_count(inputs), batch_size=batch_size, epochs=epochs,
                                   validation_images=_count(validation_inputs))
        batch_size = plan.local_batch_size(batch_size)
        inputs = _local(inputs, plan, "images")
        if validation_inputs is not None:
            validation_inputs = _local(validation_inputs, plan, "validation_data")
    with _trainer(model, plan) as trainer:
        return _fit_arrays(trainer, inputs, epochs, batch_size, validation_inputs, shuffle,
                           seed, verbose, callbacks, plan)


def _count(images) -> int:
    """How many images: an array, a list of arrays (the first counts), files; 0 for None."""
    if images is None:
        return 0
    if isinstance(images, ImageFiles):
        return len(images)
    return len((images if isinstance(images, list) else [images])[0])


def _trainer(model, plan):
    """A context giving the model to fit: `model`, or what `plan` trains in its place."""
    return contextlib.nullcontext(model) if plan is None else plan.training(model)


def _local(inputs, plan, what):
    """The rows of `inputs` (an array or a list of arrays) that this process trains on."""
    if plan is None:
        return inputs
    arrays = inputs if isinstance(inputs, list) else [inputs]
    rows = plan.local_rows(arrays[0].shape[0], what)
    if len(rows) == arrays[0].shape[0]:
        return inputs
    arrays = [a[rows] for a in arrays]
    return arrays if isinstance(inputs, list) else arrays[0]


def _fit_arrays(model, inputs, epochs, batch_size, validation_inputs, shuffle, seed, verbose,
                callbacks, plan):
    callbacks = [StopOnNaN()] + list(callbacks or [])
    verbose = keras_verbose(verbose)
    val = None if validation_inputs is None else _validation_batches(validation_inputs,
                                                                      batch_size)
    if keras.backend.backend() == "tensorflow":
        train = _tf_batches(inputs, batch_size, shuffle, seed)
        steps = math.ceil(len(inputs[0] if isinstance(inputs, list) else inputs) / batch_size)
        return model.fit(_feed(train, plan), epochs=epochs, steps_per_epoch=steps,
                         validation_data=_feed(val, plan), verbose=verbose, shuffle=False,
                         callbacks=callbacks)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    return model.fit(inputs, None, epochs=epochs, batch_size=batch_size, shuffle=shuffle,
                     validation_data=val, verbose=verbose, callbacks=callbacks)


def _validation_batches(inputs, batch_size):
    """Validation arrays as ``fit`` takes them: a ``tf.data`` pipeline on TensorFlow."""
    if keras.backend.backend() == "tensorflow":
        return _tf_batches(inputs, batch_size, False, None)
    return (inputs, None)


def _feed(data, plan):
    """`data` as ``fit`` takes it under `plan` (:meth:`vaelab.distribute.DataParallel.feed`)."""
    return data if plan is None or data is None else plan.feed(data)


def _tf_batches(inputs, batch_size: int, shuffle: bool, seed):
    """Index batches gathered from constant tensors: no per-image Python work.

    Shuffled, they are an endless stream of epochs, each in the order of a permutation
    drawn from (seed, epoch) by a stateless op: ``tf.distribute`` rebuilds a dataset's graph,
    and a stateful ``shuffle`` then gave other orders on several devices than on one.
    """
    import tensorflow as tf

    # tf.data would stack a list into one tensor; a tuple stays several inputs.
    tensors = tuple(map(tf.constant, inputs)) if isinstance(inputs, list) else tf.constant(inputs)
    n = tf.nest.flatten(inputs)[0].shape[0]
    if shuffle:
        seed = int(np.random.randint(2**31)) if seed is None else seed
        ds = tf.data.Dataset.counter().flat_map(lambda epoch: tf.data.Dataset.from_tensor_slices(
            tf.random.experimental.stateless_shuffle(
                tf.range(n, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), epoch])
            )).batch(batch_size))
    else:
        ds = tf.data.Dataset.range(n).batch(batch_size)
    # A 1-tuple: Keras would read a list of two inputs as (x, y).
    ds = ds.map(
        lambda idx: (tf.nest.map_structure(lambda t: tf.gather(t, idx), tensors),)).prefetch(2)
    options = tf.data.Options()
    # Autotuning left fit() idle for up to ~25 s after its last epoch on this model.
    options.autotune.enabled = False
    options.experimental_optimization.map_parallelization = False
    return ds.with_options(options)
