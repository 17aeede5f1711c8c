"""Data-parallel training: the ``distribution`` argument of the ``train_*`` functions.

One value says how a training run is spread over devices:

* ``None`` or ``"none"``: one device, as always;
* ``"all"``: data parallel over every local device (GPUs if there are any, else the CPU's
  devices), and over every device of every process once ``jax.distributed.initialize()``
  has joined several (JAX backend);
* an object, passed through: a ``keras.distribution.DataParallel`` (or ``ModelParallel``;
  JAX backend) or a ``tf.distribute.Strategy`` (TensorFlow backend).

Every device takes an equal slice of every batch: the batch size stays the global one the
user asked for, so it must be a multiple of the number of devices. On JAX every batch must
split evenly, the last one included, so each epoch leaves out the few images (fewer than
the number of devices) that would not. With several processes each one reads only its
share of the images (its rows of an array, its files of an :class:`vaelab.ImageFiles`): the
processes joined by ``jax.distributed`` on JAX, the workers of a
``tf.distribute.MultiWorkerMirroredStrategy`` on TensorFlow (where, as on JAX, every batch
then splits evenly). Training starts from process 0's weights and optimizer state.

A model is usually built before training and outside any scope, and it is that model which
must end up trained:

* JAX: the variables of the model, its optimizer and its metrics are laid out for the
  distribution (replicated, for data parallelism), the model trains under the
  distribution's scope, and its variables come back to the default device afterwards, so
  that the model works as before outside training.
* TensorFlow: a ``Strategy`` mirrors only variables created under its scope, and Keras ties
  a model and an optimizer to the strategy they were created under. So a copy of the model
  is built under the scope (``keras.models.clone_model``) with the model's weights and
  optimizer state, trained, and its weights and optimizer state are written back. This
  works for any functional model, also one loaded from a file, where building the model
  under the scope from the start would not. Callbacks see the copy as ``self.model``; it
  is compiled with Keras's own XLA choice (XLA with GPUs only: XLA cannot reach variables
  mirrored across CPU devices). With several workers each one feeds its own batches to its
  own devices (``distribute_datasets_from_function``, nothing sharded again), and the copy
  works around two faults of Keras's ``fit`` under a multi-worker strategy (see
  :func:`_multi_worker_fit`).
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass

import keras
import numpy as np

from .datasets import ImageFiles
from .execution import all_layers, training_state

# Keras exports its distributions but not their base class.
KERAS_DISTRIBUTIONS = (keras.distribution.DataParallel, keras.distribution.ModelParallel)


@dataclass(frozen=True)
class DataParallel:
    """A resolved data-parallel distribution: the backend's object and how it splits data.

    `replicas` counts the slices of each global batch (devices over all processes);
    `process_index` and `process_count` say which process this is and among how many the
    input is split (JAX's processes, or the workers of a TensorFlow multi-worker strategy).
    """

    backend: str
    engine: object
    replicas: int
    process_index: int = 0
    process_count: int = 1

    def local_batch_size(self, batch_size: int) -> int:
        """This process's part of a global `batch_size`, which must split over the devices."""
        if batch_size % self.replicas:
            raise ValueError(
                f"batch_size: {batch_size} does not split evenly over the {self.replicas} "
                f"devices of the distribution; expected a multiple of {self.replicas}, e.g. "
                f"{max(1, round(batch_size / self.replicas)) * self.replicas}")
        return batch_size // self.process_count

    def local_rows(self, n: int, what: str = "images") -> np.ndarray:
        """Positions of the rows this process trains on, out of `n`.

        Each process takes every `process_count`-th row, and as many as divide over its
        devices (all processes the same number, so that they take the same steps). One
        TensorFlow process keeps every row: ``tf.distribute`` splits uneven batches itself.
        """
        if self.backend == "tensorflow" and self.process_count == 1:
            return np.arange(n)
        local_devices = self.replicas // self.process_count
        share = n // self.process_count // local_devices * local_devices
        if share == 0:
            raise ValueError(f"{what}: {n} image(s) cannot be split over the {self.replicas} "
                             "devices of the distribution; expected at least one per device")
        if share * self.process_count < n:
            warnings.warn(f"{what}: {n - share * self.process_count} of the {n} images are "
                          f"left out of each epoch, so that every batch splits evenly over the "
                          f"{self.replicas} devices", stacklevel=4)
        return np.arange(self.process_index, n, self.process_count)[:share]

    def local_files(self, files: ImageFiles, what: str = "images") -> ImageFiles:
        """The files this process reads (see :meth:`local_rows`); the others it never opens."""
        rows = self.local_rows(len(files), what)
        if len(rows) == len(files):
            return files
        return ImageFiles([files.files[i] for i in rows], files.size, files.channels,
                          files.crop, skip_unreadable=files.skip_unreadable)

    def replicate(self, tree):
        """A tree of arrays with each held whole by every device (JAX), process 0's values:
        the state of a hand-written training loop (the VAE-GAN's)."""
        import jax
        values = self.from_first_process(jax.tree_util.tree_map(host_array, tree))
        whole = jax.sharding.NamedSharding(self.engine.device_mesh.backend_mesh,
                                           jax.sharding.PartitionSpec())
        return jax.device_put(values, whole)

    def from_first_process(self, values):
        """Process 0's `values` (a tree of host arrays; a list of them on TensorFlow) in
        every process: replicas start equal whatever seeds built them."""
        if self.process_count == 1:
            return values
        if self.backend == "tensorflow":
            return _tf_from_first_worker(self.engine, values)
        from jax.experimental import multihost_utils
        return multihost_utils.broadcast_one_to_all(values)

    def check_same_everywhere(self, **numbers):
        """Raise a ValueError, in every process, unless all of them passed the same
        `numbers` (images, batch size, epochs): otherwise they would take different steps,
        and one would wait for ever on another, or fail with a collective's cryptic error.

        Example:
            >>> plan.check_same_everywhere(images=len(x), batch_size=256)  # doctest: +SKIP
        """
        if self.process_count == 1:
            return
        names = list(numbers)
        local = np.array([numbers[name] for name in names], np.int64)
        if self.backend == "tensorflow":
            table = _tf_gather(self.engine, local.astype(np.float64))  # exact below 2**53
        else:
            from jax.experimental import multihost_utils
            # JAX computes in 32 bits unless told otherwise: counts stay below 2**31.
            table = np.asarray(multihost_utils.process_allgather(local.astype(np.int32)))
        differ = [f"{name}: {', '.join(str(int(v)) for v in table[:, i])}"
                  for i, name in enumerate(names) if len(set(table[:, i])) > 1]
        if differ:
            raise ValueError(
                f"the {self.process_count} processes (workers) training together were given "
                f"different data or settings, process 0 first: {'; '.join(differ)}. Every "
                "process must call the training function with the same images (the same "
                "array, or the same folder of files) and the same arguments; each then trains "
                "on its own share")

    def feed(self, data):
        """What ``fit`` is given for this process's batches `data` (a ``tf.data.Dataset`` or
        an :class:`vaelab.datasets.ImageBatches`): `data` itself, except with several
        TensorFlow workers, where each worker's batches go to its own devices as they are.

        ``fit`` would otherwise hand a dataset to ``experimental_distribute_dataset``, which
        takes its batches as global ones and shards them across the workers again.
        """
        if self.backend != "tensorflow" or self.process_count == 1:
            return data
        return _tf_worker_batches(self.engine, data)

    def global_batch(self, rows):
        """This process's `rows` of a batch as one array split over every device (JAX)."""
        import jax
        layout = self.engine.get_data_layout(rows.shape).backend_layout
        return jax.make_array_from_process_local_data(layout, rows)

    @contextlib.contextmanager
    def training(self, model: keras.Model):
        """Yield the model to call ``fit`` on; afterwards `model` holds the trained state."""
        if self.backend == "jax":
            with _jax_training(model, self):
                yield model
        else:
            with _tf_training(model, self) as copy:
                yield copy


def resolve(distribution) -> DataParallel | None:
    """`distribution` (see the module) checked against the backend; None for one device.

    Example:
        >>> resolve("none") is None
        True
    """
    backend = keras.backend.backend()
    if distribution is None or _is_name(distribution, "none"):
        return None
    if _is_name(distribution, "all"):
        if backend == "jax":
            devices = keras.distribution.list_devices()
            if len(devices) == 1:
                return None
            return _jax_plan(keras.distribution.DataParallel(devices=devices))
        if backend == "tensorflow":
            import tensorflow as tf
            devices = (tf.config.list_logical_devices("GPU")
                       or tf.config.list_logical_devices("CPU"))
            if len(devices) == 1:
                return None
            return _tf_plan(tf.distribute.MirroredStrategy([d.name for d in devices]))
        raise ValueError(f"distribution: data-parallel training runs on the JAX or TensorFlow "
                         f"backend, not {backend!r}; set KERAS_BACKEND=jax (before Keras is "
                         "imported), or pass distribution=None")
    if isinstance(distribution, KERAS_DISTRIBUTIONS):
        if backend != "jax":
            raise ValueError(f"distribution: a keras.distribution.{type(distribution).__name__} "
                             f"works on the JAX backend only, and Keras runs on {backend!r}; "
                             "pass distribution=\"all\", or a tf.distribute.Strategy on "
                             "TensorFlow")
        return _jax_plan(distribution)
    if _is_tf_strategy(distribution):
        if backend != "tensorflow":
            raise ValueError(f"distribution: a tf.distribute.{type(distribution).__name__} "
                             f"works on the TensorFlow backend only, and Keras runs on "
                             f"{backend!r}; pass distribution=\"all\", or a "
                             "keras.distribution.DataParallel on JAX")
        return _tf_plan(distribution)
    raise ValueError(f"distribution: expected None, \"none\", \"all\", a "
                     f"keras.distribution.DataParallel (JAX) or a tf.distribute.Strategy "
                     f"(TensorFlow), got {distribution!r}")


def host_value(variable) -> np.ndarray:
    """A variable's value as a NumPy array on this host (see :func:`host_array`)."""
    try:
        return host_array(variable.value)
    except ValueError as err:
        raise ValueError(f"variable {variable.path!r}: {err}") from None


def host_array(value) -> np.ndarray:
    """A backend array as a NumPy array on this host, also when it is laid out over the
    devices of several processes (then each holds a full replica)."""
    if keras.backend.backend() == "jax" and not value.is_fully_addressable:
        if not value.is_fully_replicated:
            raise ValueError("split over the devices of several processes; vaelab trains "
                             "data parallel only")
        return np.asarray(value.addressable_data(0))
    return keras.ops.convert_to_numpy(value)


def _is_name(value, name):
    return isinstance(value, str) and value == name


def _is_tf_strategy(value):
    import sys
    tf = sys.modules.get("tensorflow")  # a Strategy exists only once TensorFlow is imported
    return tf is not None and isinstance(value, tf.distribute.Strategy)


def _jax_plan(distribution):
    import jax
    mesh = distribution.device_mesh
    replicas = int(dict(zip(mesh.axis_names, mesh.shape))[distribution.batch_dim_name])
    # Each process passes its own rows (local_rows), so Keras must not shard them again.
    distribution.auto_shard_dataset = False
    return DataParallel("jax", distribution, replicas, jax.process_index(), jax.process_count())


def _tf_plan(strategy):
    replicas = int(strategy.num_replicas_in_sync)
    workers = replicas // len(strategy.extended.worker_devices)
    if workers == 1:
        return DataParallel("tensorflow", strategy, replicas)
    # A multi-worker strategy: each worker reads its share of the input (local_rows), in
    # the order the strategy numbers its workers (the chief first).
    from tensorflow.python.distribute import multi_worker_util

    resolver = strategy.cluster_resolver
    index = multi_worker_util.id_in_cluster(resolver.cluster_spec(), resolver.task_type,
                                            resolver.task_id)
    return DataParallel("tensorflow", strategy, replicas, int(index), workers)


@contextlib.contextmanager
def _jax_training(model, plan):
    distribution = plan.engine
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built:
        # Built here, not inside the scope, where its variables would stay tied to the mesh.
        optimizer.build(model.trainable_variables)
    variables = training_state(model)
    values = plan.from_first_process([host_value(v) for v in variables])
    for variable, value in zip(variables, values):
        variable.assign(keras.distribution.distribute_tensor(
            np.asarray(value), distribution.get_variable_layout(variable)))
    _forget_compiled_steps(model)  # they were traced for the other device layout
    try:
        with distribution.scope():
            yield
    finally:
        for variable in training_state(model):
            variable.assign(host_value(variable))
        _forget_compiled_steps(model)


def _forget_compiled_steps(model):
    model.train_function = model.test_function = model.predict_function = None


@contextlib.contextmanager
def _tf_training(model, plan):
    if model.optimizer is None:
        raise ValueError(f"model {model.name!r} is not compiled; build it with vaelab "
                         "(build_vae(), build_cvae(), ...) or compile it with an optimizer")
    if not model.optimizer.built:
        # Built now, as fit would, so that the copy's optimizer is built under the scope.
        model.optimizer.build(model.trainable_variables)
    weights = model.get_weights()
    state = plan.from_first_process(weights + [keras.ops.convert_to_numpy(v)
                                               for v in model.optimizer.variables])
    with plan.engine.scope():
        copy = keras.models.clone_model(model)
        for source, target in zip(all_layers(model), all_layers(copy)):
            target.trainable = source.trainable
        optimizer = type(model.optimizer).from_config(model.optimizer.get_config())
        copy.compile(optimizer=optimizer, jit_compile="auto")
        optimizer.build(copy.trainable_variables)
    copy.set_weights(state[:len(weights)])
    _copy_values(state[len(weights):], optimizer.variables)
    if plan.process_count > 1:
        _multi_worker_fit(copy)
    try:
        yield copy
    finally:
        model.set_weights(copy.get_weights())
        _copy_values(optimizer.variables, model.optimizer.variables)


def _copy_values(sources, targets):
    sources, targets = list(sources), list(targets)
    if len(sources) != len(targets):
        raise ValueError(f"the optimizer's state has {len(sources)} variables but its copy "
                         f"{len(targets)}; cannot carry it over")
    for source, target in zip(sources, targets):
        target.assign(keras.ops.convert_to_numpy(source))


def _multi_worker_fit(model):
    """Let Keras's ``fit`` train `model` (vaelab's copy, built) under a multi-worker strategy.

    Keras 3 (up to 3.16 at least) fails there in two places, whatever the model
    (keras-team/keras#20585, tensorflow/tensorflow#72388):

    * every step's metrics are averaged over the replicas along axis 0, which a scalar does
      not have ("Invalid reduction dimension 0 for input with 0 dimensions"): the steps
      return each scalar as a vector of one;
    * before training, the first batch is averaged over the replicas in one call, which the
      strategy cannot do for a tuple ("Attempt to convert a value (PerReplica...) to a
      Tensor"). That batch serves only to build an unbuilt model or optimizer, and the copy
      has both built: the step is left out.
    """
    for name in ("train_step", "test_step"):
        setattr(model, name, _vector_metrics(getattr(model, name)))
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None


def _vector_metrics(step):
    import tensorflow as tf

    def step_with_vector_metrics(data):
        return tf.nest.map_structure(lambda v: tf.reshape(v, [1]) if v.shape.rank == 0 else v,
                                     step(data))
    return step_with_vector_metrics


def _tf_from_first_worker(strategy, values):
    """The first replica's `values` (a list of arrays) on every worker.

    tf.distribute has no broadcast: this sums the values over the replicas with every
    replica but the first contributing zeros, one batched all-reduce per dtype (integers,
    such as the optimizer's step count, travel as float64: exact below 2**53).
    """
    import tensorflow as tf

    values = [np.asarray(v) for v in values]
    sent = [v if v.dtype.kind == "f" else v.astype(np.float64) for v in values]
    groups = {}
    for i, v in enumerate(sent):
        groups.setdefault(v.dtype, []).append(i)

    @tf.function
    def broadcast(tensors):
        def first_only(tensors):
            context = tf.distribute.get_replica_context()
            first = tf.equal(context.replica_id_in_sync_group, 0)
            kept = [tf.where(first, t, tf.zeros_like(t)) for t in tensors]
            summed = [None] * len(kept)
            for group in groups.values():
                for i, t in zip(group, context.all_reduce(tf.distribute.ReduceOp.SUM,
                                                          [kept[i] for i in group])):
                    summed[i] = t
            return summed
        return strategy.run(first_only, args=(tensors,))

    received = strategy.experimental_local_results(broadcast([tf.constant(v) for v in sent]))[0]
    return [np.asarray(r).astype(v.dtype) for r, v in zip(received, values)]


def _tf_gather(strategy, values):
    """Every worker's `values` (a 1-D float64 array), one row per worker, the chief first."""
    import tensorflow as tf

    @tf.function
    def gather(tensor):
        return strategy.run(lambda t: tf.distribute.get_replica_context().all_gather(
            t[tf.newaxis], axis=0), args=(tensor,))

    rows = np.asarray(strategy.experimental_local_results(gather(tf.constant(values)))[0])
    return rows[::len(strategy.extended.worker_devices)]  # a row per replica: one per worker


def _tf_worker_batches(strategy, data):
    """`data` (a ``tf.data.Dataset`` or ``ImageBatches``) fed as they are to this worker's
    devices, each batch in equal slices, one per device (they split evenly: local_rows)."""
    import tensorflow as tf

    if not isinstance(data, tf.data.Dataset):
        data = _tf_image_batches(data)
    devices = len(strategy.extended.worker_devices)
    return strategy.distribute_datasets_from_function(
        lambda context: replica_slices(data, devices))


def replica_slices(data, replicas: int):
    """A ``tf.data.Dataset`` of batches cut into `replicas` equal consecutive slices each,
    the slices of a batch one after the other (a worker's devices take them in turn)."""
    import tensorflow as tf

    if replicas == 1:
        return data

    def slices(*batch):
        return tf.data.Dataset.from_tensor_slices(tf.nest.map_structure(
            lambda t: tf.reshape(t, tf.concat([[replicas, -1], tf.shape(t)[1:]], 0)), batch))
    return data.flat_map(slices)


def _tf_image_batches(batches):
    """An ``ImageBatches`` of images alone as a ``tf.data.Dataset``: one epoch each time it
    is iterated, the files read as the batches are asked for, reshuffled after each epoch."""
    import tensorflow as tf

    def epoch():
        for i in range(len(batches)):
            yield batches[i]
        batches.on_epoch_end()
    return tf.data.Dataset.from_generator(epoch, output_signature=tf.TensorSpec(
        (None, *batches.images.shape), tf.float32))
