"""Training a VAE: a lean input pipeline and a guard that stops on a NaN loss."""

from __future__ import annotations

import functools
import inspect
import math

import keras

from .checks import as_images, positive_int
from .datasets import ImageFiles
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
        self.snapshot = [(v, keras.ops.convert_to_numpy(v)) for v in _training_state(self.model)]

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


def _training_state(model):
    optimizer = getattr(model, "optimizer", None)
    return list(model.weights) + (list(optimizer.variables) if optimizer is not None else [])


def train_vae(model: keras.Model, images, epochs: int = 15, batch_size: int = 32,
              validation_data=None, shuffle: bool = True, seed: int | None = None,
              verbose="auto", callbacks=None) -> keras.callbacks.History:
    """Train a VAE (or DFC VAE) on `images` with ``fit(images, None)`` semantics.

    `images` is an array of the model's image shape, or an :class:`vaelab.ImageFiles` (from
    :func:`vaelab.load_celeba` or :func:`vaelab.load_image_folder`), which is read from
    disk one batch at a time: a set too large for memory trains all the same.
    `validation_data` is either kind too (or ``(images, None)`` as in the book). On the
    TensorFlow backend arrays go through a ``tf.data`` pipeline of index batches gathered
    from one in-memory tensor, with autotuning off; other backends get the arrays
    directly. Returns the Keras ``History`` (loss, reconstruction_loss, kl_loss and their
    ``val_`` versions).

    Example:
        >>> history = train_vae(build_vae(), x_train[:512], epochs=1)  # doctest: +SKIP
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
                          verbose, callbacks)
    if isinstance(validation_data, ImageFiles):
        raise ValueError("validation_data: image files validate a model trained on image files "
                         "only; pass the training images as files too, or validation images "
                         "as an array (ImageFiles.read())")
    x = as_images(images, shape=shape, model_name=model.name)
    if validation_data is not None:
        validation_data = as_images(validation_data, "validation_data", shape=shape,
                                    model_name=model.name)
    return fit_inputs(model, x, epochs, batch_size, validation_data, shuffle, seed, verbose,
                      callbacks)


def _fit_files(model, files, epochs, batch_size, validation_data, shuffle, seed, verbose,
               callbacks):
    """:func:`train_vae` on image files, read from disk one batch at a time."""
    shape = tuple(model.inputs[0].shape[1:])
    _check_files_shape(files, shape, "images", model)
    if isinstance(validation_data, ImageFiles):
        _check_files_shape(validation_data, shape, "validation_data", model)
        validation_data = validation_data.batches(batch_size, shuffle=False)
    elif validation_data is not None:
        validation_data = (as_images(validation_data, "validation_data", shape=shape,
                                     model_name=model.name), None)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    return model.fit(files.batches(batch_size, shuffle=shuffle, seed=seed), epochs=epochs,
                     validation_data=validation_data, verbose=keras_verbose(verbose),
                     callbacks=[StopOnNaN()] + list(callbacks or []))


def _check_files_shape(files, shape, name, model):
    if files.shape != shape:
        raise ValueError(f"{name}: the files are read as images of shape {files.shape}, but "
                         f"model {model.name!r} expects {shape}; load them with "
                         f"size=({shape[0]}, {shape[1]}) and channels={shape[2]}")


def fit_inputs(model: keras.Model, inputs, epochs: int, batch_size: int,
               validation_inputs=None, shuffle: bool = True, seed: int | None = None,
               verbose="auto", callbacks=None) -> keras.callbacks.History:
    """``model.fit(inputs, None)`` through the backend's fastest input path, stopping on NaN.

    `inputs` (and `validation_inputs`) is one array or a list of arrays with the same
    number of rows. The arguments are expected checked already (see :func:`train_vae`).
    """
    callbacks = [StopOnNaN()] + list(callbacks or [])
    verbose = keras_verbose(verbose)
    if keras.backend.backend() == "tensorflow":
        train = _tf_batches(inputs, batch_size, shuffle, seed)
        val = None if validation_inputs is None else _tf_batches(validation_inputs, batch_size,
                                                                  False, None)
        return model.fit(train, epochs=epochs, validation_data=val, verbose=verbose, shuffle=False,
                         callbacks=callbacks)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    val = None if validation_inputs is None else (validation_inputs, None)
    return model.fit(inputs, None, epochs=epochs, batch_size=batch_size, shuffle=shuffle,
                     validation_data=val, verbose=verbose, callbacks=callbacks)


def _tf_batches(inputs, batch_size: int, shuffle: bool, seed):
    """Shuffled index batches gathered from constant tensors: no per-image Python work."""
    import tensorflow as tf

    # tf.data would stack a list into one tensor; a tuple stays several inputs.
    tensors = tuple(map(tf.constant, inputs)) if isinstance(inputs, list) else tf.constant(inputs)
    n = tf.nest.flatten(inputs)[0].shape[0]
    ds = tf.data.Dataset.range(n)
    if shuffle:
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    # A 1-tuple: Keras would read a list of two inputs as (x, y).
    ds = ds.batch(batch_size).map(
        lambda idx: (tf.nest.map_structure(lambda t: tf.gather(t, idx), tensors),)).prefetch(2)
    options = tf.data.Options()
    # Autotuning left fit() idle for up to ~25 s after its last epoch on this model.
    options.autotune.enabled = False
    options.experimental_optimization.map_parallelization = False
    return ds.with_options(options)
