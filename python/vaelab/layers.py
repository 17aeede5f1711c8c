"""Keras layers of vaelab: the sampler, the variational layers that add the VAE loss, and a
convolution that is faster on CPU for single-channel images."""

from __future__ import annotations

import keras
from keras import layers, ops

from .losses import (
    check_likelihood,
    check_recipe,
    kl_term,
    perceptual_reconstruction,
    pixel_reconstruction,
)


@keras.saving.register_keras_serializable(package="vaelab")
class Sampling(layers.Layer):
    """Draws z = z_mean + exp(0.5 * z_log_var) * eps with eps ~ N(0, I).

    "Deep Learning with R" prints ``exp(z_log_var) * eps``; that scales by the variance,
    not the standard deviation, so vaelab uses the correct ``exp(0.5 * z_log_var)``.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="vaelab")
class VariationalLayer(layers.Layer):
    """Adds the VAE loss with ``add_loss`` and returns the reconstruction unchanged.

    Called on ``[x, x_decoded, z_mean, z_log_var]``. The loss is the batch mean of the
    per-image reconstruction term (binary cross-entropy, or half the squared error with
    ``likelihood="gaussian"``) plus the KL term, weighted by `recipe` (see
    :mod:`vaelab.losses`). Both terms are also reported as the metrics
    ``reconstruction_loss`` and ``kl_loss``: on TensorFlow and torch in any model, on JAX
    in a :class:`VariationalModel` (which vaelab's builders return). A model ending in this
    layer trains with ``compile(optimizer)`` and ``fit(x, None)``.

    Example:
        >>> out = VariationalLayer()([x, x_decoded, z_mean, z_log_var])  # doctest: +SKIP
    """

    def __init__(self, recipe: str = "elbo", likelihood: str = "bernoulli", **kwargs):
        super().__init__(**kwargs)
        self.recipe = check_recipe(recipe)
        self.likelihood = check_likelihood(likelihood)
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")
        # Set by VariationalModel, whose compute_loss hands the terms to the trackers on JAX.
        self.terms_reach_trackers = keras.backend.backend() != "jax"
        self._pending_terms = None

    @property
    def metrics(self):
        # Without a VariationalModel, JAX would report the terms stuck at zero: only the
        # total loss is reported then.
        return super().metrics if self.terms_reach_trackers else []

    def reconstruction(self, inputs):
        """Per-image reconstruction term; subclasses change what "close" means."""
        x, x_decoded = inputs[0], inputs[1]
        return pixel_reconstruction(x, x_decoded, self.likelihood, self.recipe)

    def call(self, inputs):
        z_mean, z_log_var = inputs[2], inputs[3]
        reconstruction = self.reconstruction(inputs)
        kl = kl_term(z_mean, z_log_var, self.recipe)
        self.add_loss(ops.mean(reconstruction + kl))
        # Keras 3 on JAX calls layers statelessly in its steps and would drop the trackers'
        # updates: there the terms wait for the model's compute_loss, which runs next in the
        # same step with the metrics' state in hand (and replace those of earlier calls).
        if keras.backend.backend() == "jax":
            self._pending_terms = (reconstruction, kl)
        else:
            self.update_trackers(reconstruction, kl)
        return inputs[1]

    def update_trackers(self, reconstruction, kl):
        """Add a batch's per-image terms to the ``reconstruction_loss`` and ``kl_loss`` means."""
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)

    def report_pending_terms(self):
        """Pass the terms of the last call on JAX to the trackers (see VariationalModel)."""
        if self._pending_terms is not None:
            self.update_trackers(*self._pending_terms)
            self._pending_terms = None

    def compute_output_shape(self, input_shape):
        return input_shape[1]

    def get_config(self):
        return {**super().get_config(), "recipe": self.recipe, "likelihood": self.likelihood}


@keras.saving.register_keras_serializable(package="vaelab")
class PerceptualVariationalLayer(VariationalLayer):
    """The DFC VAE's variational layer: reconstruction measured in a classifier's feature space.

    Called on ``[x, x_decoded, z_mean, z_log_var, features_x, features_decoded]`` where the
    last two are lists of hidden-layer activations of a frozen classifier, one per entry
    of `layer_weights`.
    """

    def __init__(self, layer_weights=(1.0, 1.0), recipe: str = "elbo", **kwargs):
        super().__init__(recipe=recipe, **kwargs)
        self.layer_weights = [float(w) for w in layer_weights]

    def reconstruction(self, inputs):
        features_x, features_decoded = inputs[4], inputs[5]
        return perceptual_reconstruction(features_x, features_decoded, self.layer_weights,
                                         self.recipe)

    def get_config(self):
        return {**super().get_config(), "layer_weights": self.layer_weights}


@keras.saving.register_keras_serializable(package="vaelab")
class VariationalModel(keras.Model):
    """A functional model whose variational layers report their terms on every backend.

    Built like ``keras.Model(inputs, outputs)``, with the variational layer among its own
    layers (not inside a sub-model). Keras 3 on JAX runs ``call()`` without
    side effects in its training and evaluation steps, so a :class:`VariationalLayer`
    cannot update its ``reconstruction_loss`` and ``kl_loss`` trackers there;
    ``compute_loss`` runs next in the same step with the metrics' state mapped, and this
    model passes the terms on from there. On TensorFlow and torch it is a plain
    ``keras.Model``: the layers update their trackers themselves.

    Example:
        >>> out = VariationalLayer()([x, x_decoded, z_mean, z_log_var])  # doctest: +SKIP
        >>> vae = VariationalModel(x, out)  # doctest: +SKIP
    """

    def __init__(self, inputs, outputs, name=None, **kwargs):
        super().__init__(inputs, outputs, name=name, **kwargs)
        for layer in self._variational_layers():
            layer.terms_reach_trackers = True

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        for layer in self._variational_layers():
            layer.report_pending_terms()
        return super().compute_loss(x, y, y_pred, sample_weight, training=training)

    def _variational_layers(self):
        # Not kept in an attribute: Keras would track a list of layers as sublayers again.
        return [layer for layer in self.layers if isinstance(layer, VariationalLayer)]


@keras.saving.register_keras_serializable(package="vaelab")
class ShiftedSliceConv2D(layers.Conv2D):
    """Keras's Conv2D, computed as a matmul and shifted slices when a side has one channel.

    TensorFlow's convolution kernels, and above all their gradients, are slow on CPU when
    the input or the output has a single channel: in the DFC VAE's training step the
    decoder's last layer (32 channels to 1) took more time than any other layer
    (benchmarks/RESULTS.md). With one channel on either side, on TensorFlow, this layer
    multiplies the channels with one matmul and adds the kernel's taps as shifted slices:
    the same values, from the same weights. Otherwise (and with strides, dilation or
    groups) it is Keras's Conv2D. To Keras it is still called ``Conv2D`` (see below), so
    weight files stay interchangeable with plain Keras models.

    Example:
        >>> conv = ShiftedSliceConv2D(32, 3, padding="same")
        >>> tuple(conv(keras.ops.zeros((2, 28, 28, 1))).shape)
        (2, 28, 28, 32)
    """

    # Whether to rewrite at all: vaelab.execution turns it off where Keras's kernels are
    # faster (it is read when a training step is traced, and changes no value).
    shifted_slices = True

    def convolution_op(self, inputs, kernel):
        kh, kw, c_in, c_out = kernel.shape
        if not self._as_shifted_slices(inputs, c_in, c_out):
            return super().convolution_op(inputs, kernel)
        taps = [(i, j) for i in range(kh) for j in range(kw)]
        if c_in == 1:
            x = self._pad(inputs, kh, kw)
            h, w = x.shape[1] - kh + 1, x.shape[2] - kw + 1
            patches = ops.concatenate([x[:, i:i + h, j:j + w, :] for i, j in taps], axis=-1)
            return ops.matmul(patches, ops.reshape(kernel, (kh * kw, c_out)))
        # Each pixel's contribution to every tap at once, then each tap moved into place.
        per_tap = ops.matmul(inputs, ops.transpose(ops.reshape(kernel, (kh * kw, c_in))))
        per_tap = self._pad(per_tap, kh, kw)
        h, w = per_tap.shape[1] - kh + 1, per_tap.shape[2] - kw + 1
        out = per_tap[:, :h, :w, :1]
        for k, (i, j) in enumerate(taps[1:], start=1):
            out = out + per_tap[:, i:i + h, j:j + w, k:k + 1]
        return out

    def _as_shifted_slices(self, inputs, c_in, c_out):
        return (self.shifted_slices and keras.backend.backend() == "tensorflow"
                and 1 in (c_in, c_out)
                and self.data_format == "channels_last" and self.groups == 1
                and tuple(self.strides) == (1, 1) and tuple(self.dilation_rate) == (1, 1)
                and None not in tuple(inputs.shape[1:3]))

    def _pad(self, x, kh, kw):
        """Zero padding as ``padding="same"`` places it (the odd pixel after), else none."""
        if self.padding != "same":
            return x
        return ops.pad(x, [[0, 0], [(kh - 1) // 2, kh // 2], [(kw - 1) // 2, kw // 2], [0, 0]])


# A weights file finds each layer under its class's name in snake case ("conv2d"), not under
# the layer's own name: under Keras's class name, the shipped weights and those of plain
# Keras models load into this layer unchanged.
ShiftedSliceConv2D.__name__ = "Conv2D"
# Models saved (.keras) before the class was renamed name it so.
keras.saving.get_custom_objects()["vaelab>Conv2D"] = ShiftedSliceConv2D
