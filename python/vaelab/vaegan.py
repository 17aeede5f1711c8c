"""The VAE-GAN of Larsen et al. (2016): a VAE whose "distance" is learned by a discriminator.

Three networks, each trained on its own losses only:

* the **encoder** minimises ``beta * L_prior + L_feature``;
* the **decoder** minimises ``gamma * L_feature - L_GAN``;
* the **discriminator** minimises ``L_GAN``,

where ``L_prior`` is the KL divergence of the encoder's distribution from N(0, I),
``L_feature`` the squared distance between the discriminator's hidden activations (its
second convolution, layer ``features``) for an image and for its reconstruction, and
``L_GAN`` the discriminator's cross-entropy on real, reconstructed and prior-sampled images.
With ``conditional=True`` the one-hot label goes into all three networks (see
:mod:`vaelab.cvae`), which makes style transfer possible.

What keeps the game stable (the "stability story"):

1. The feature loss compares activations of the *second convolution*, before any dropout:
   deep enough to ignore pixel-exact position (so blur is penalised and small shifts are
   not), shallow enough to keep the digit's shape; and deterministic for a given image.
   It is measured relative to the real images' mean squared activation (times 784, the
   number of pixels, so that its scale compares with the plain VAE's pixel loss), so the
   discriminator cannot shrink it, which would starve the encoder, or inflate it.
2. The decoder's "- L_GAN" is used in its non-saturating form (maximise log D(fake) instead
   of minimising log(1 - D(fake))): same optimum, but a useful gradient even when the
   discriminator rejects every fake, which is exactly when the decoder needs one.
3. The discriminator is held back: dropout 0.3 on its top layers, and its update is
   *skipped* while it is winning (its GAN loss below ``win_threshold``; 0.69 is a coin
   flip), while the encoder/decoder step is *repeated* (up to ``max_generator_steps``).
4. Slower decoder: RMSprop learning rates 0.001 (encoder), 0.0003 (decoder), 0.001
   (discriminator); and the encoder's log-variance is clipped to [-2, 2] for the sampling
   and the KL term, so a few wild batches cannot blow the latent code up.
5. ``gamma`` trades reconstruction (feature loss) against realism (GAN loss) for the
   decoder. The feature loss counts 784 "pixels" while the GAN loss is one cross-entropy
   per image, hence a small default (the source's gamma = 1 went with other units): 0.05,
   the best of 0.002, 0.01, 0.05 and 0.2 in short trials (beta = 1, 313 steps) at
   redrawing a 7 as the other digits (64% recognised as the digit asked for, against 13%
   to 48%); the smaller gammas gave sharper (Laplacian variance 0.10 against 0.08) but
   less recognisable digits.
6. ``beta`` weighs the KL term in the encoder's loss, as in a beta-VAE. A conditional
   decoder follows the label only if the code does not already tell the digit: at beta = 1
   the encoder spends about 26 nats on each code and style transfer fails (a 7 redrawn as
   the other digits is recognised as the digit asked for 39% of the time after one epoch);
   beta = 8 leaves about 6 nats for the style and lifts that to 86% within 313 steps
   (beta = 16: 2 nats, 99%, but hardly any style left). The default stays 8; the shipped
   ``cvaegan`` uses 12, which after 2 full epochs redraws 99% of test 7s as the digit asked
   for and generates every digit recognisably (data-raw/train_cvaegan.py has the numbers).

Training is backend-neutral: losses are written in ``keras.ops`` over ``stateless_call``, and
the only backend-specific lines compute gradients (``GradientTape``, ``jax.vjp``,
``torch.autograd``) inside :func:`_gradients`.
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np
from keras import layers, ops

from .checks import as_flag, as_images, positive_int
from .cvae import build_conditional_decoder, build_conditional_encoder
from .distribute import host_array, resolve
from .inference import N_CLASSES, is_conditional, one_hot
from .layers import Sampling
from .losses import kl_divergence, perceptual_reconstruction
from .models import build_decoder, build_encoder, set_seed
from .output import keras_verbose
from .training import TrainingDivergedError

LEARNING_RATES = (1e-3, 3e-4, 1e-3)
FEATURE_SCALE = 28 * 28
PARTS = ("encoder", "decoder", "discriminator")
# Per-epoch means in the history, besides the step counts.
LOSSES = ("prior", "feature", "gan", "gan_generator", "encoder", "decoder")


def build_discriminator(conditional: bool = False, dropout: float = 0.3,
                        name: str = "discriminator") -> keras.Model:
    """Image (and one-hot label) -> ``[realness logit, features]``.

    ``features`` (7 x 7 x 64, the second convolution after LeakyReLU) is the hidden layer
    the VAE-GAN's feature loss compares; dropout acts only above it. The label, if any,
    joins the flattened features before the dense layer.

    Example:
        >>> [tuple(t.shape) for t in build_discriminator(conditional=True).outputs]
        [(None, 1), (None, 7, 7, 64)]
    """
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"dropout: expected a rate in [0, 1), got {dropout!r}")
    x = keras.Input(shape=(28, 28, 1), name="image")
    inputs = [x]
    h = layers.LeakyReLU(0.2)(layers.Conv2D(32, 5, strides=2, padding="same")(x))
    features = layers.LeakyReLU(0.2, name="features")(
        layers.Conv2D(64, 5, strides=2, padding="same")(h))
    h = layers.Flatten()(layers.Dropout(dropout)(features))
    if conditional:
        y = keras.Input(shape=(N_CLASSES,), name="label")
        inputs.append(y)
        h = layers.Concatenate()([h, y])
    h = layers.Dropout(dropout)(layers.LeakyReLU(0.2)(layers.Dense(128)(h)))
    logit = layers.Dense(1, name="realness")(h)
    return keras.Model(inputs if conditional else x, [logit, features], name=name)


class _Optimisers:
    """The RMSprop optimisers of encoder, decoder and discriminator.

    Held in a plain object because Keras writes every optimiser it finds among a model's
    attributes into the weights file: shipped weights hold the weights alone.
    """

    def __init__(self, rates):
        self.parts = [keras.optimizers.RMSprop(r) for r in rates]


@keras.saving.register_keras_serializable(package="vaelab")
class VAEGAN(keras.Model):
    """Encoder, decoder and discriminator with their three RMSprop optimisers.

    Build it with :func:`build_vaegan` and train it with :func:`train_vaegan` (``fit()`` is
    not used: the alternating schedule needs a loop of its own). Calling the model returns
    reconstructions from the latent means, of ``images`` or ``[images, one-hot labels]``.
    """

    def __init__(self, encoder, decoder, discriminator, gamma: float = 0.05,
                 beta: float = 8.0, learning_rates=LEARNING_RATES, win_threshold: float = 0.35,
                 max_generator_steps: int = 2, log_var_clip: float = 2.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder, self.discriminator = encoder, decoder, discriminator
        self.conditional = is_conditional(decoder)
        self.gamma = _non_negative(gamma, "gamma")
        self.beta = _non_negative(beta, "beta")
        rates = [float(r) for r in np.atleast_1d(np.asarray(learning_rates, dtype=float))]
        if len(rates) != 3 or not all(math.isfinite(r) and r > 0 for r in rates):
            raise ValueError("learning_rates: expected three positive numbers (encoder, "
                             f"decoder, discriminator), got {learning_rates!r}")
        self.learning_rates = rates
        self.win_threshold = _non_negative(win_threshold, "win_threshold")
        self.max_generator_steps = positive_int(max_generator_steps, "max_generator_steps")
        self.log_var_clip = _non_negative(log_var_clip, "log_var_clip")
        self.seed = seed
        self.sampling = Sampling(seed=seed, name="sampling")
        self._optimisers = _Optimisers(rates)
        self._steps = None

    def call(self, inputs, training=False):
        """Reconstructions from the latent means (the label, if any, reused for decoding)."""
        z_mean, _ = self.encoder(inputs, training=training)
        return self.decoder([z_mean, inputs[1]] if self.conditional else z_mean,
                            training=training)

    def train_step(self, *args, **kwargs):
        raise NotImplementedError("a VAE-GAN does not train with fit(): use "
                                  "vaelab.train_vaegan(model, images, labels)")

    def get_config(self):
        config = {**super().get_config(), "gamma": self.gamma, "beta": self.beta,
                  "learning_rates": self.learning_rates, "win_threshold": self.win_threshold,
                  "max_generator_steps": self.max_generator_steps,
                  "log_var_clip": self.log_var_clip, "seed": self.seed}
        config.update({part: keras.saving.serialize_keras_object(getattr(self, part))
                       for part in PARTS})
        return config

    @classmethod
    def from_config(cls, config):
        parts = {part: keras.saving.deserialize_keras_object(config.pop(part)) for part in PARTS}
        return cls(**parts, **config)

    def losses_of_batch(self, trainable, non_trainable, x, y):
        """Every loss of one batch, without touching any variable (for gradients).

        `trainable` and `non_trainable` hold the variable values of encoder, decoder and
        discriminator (and, last in `non_trainable`, the sampler's seed state). Returns
        ``(losses, new non_trainable values)``.
        """
        (enc_t, dec_t, dis_t), (enc_nt, dec_nt, dis_nt, smp_nt) = trainable, non_trainable
        (z_mean, z_log_var), enc_nt = self.encoder.stateless_call(
            enc_t, enc_nt, self._with_label(x, y), training=True)
        z_log_var = ops.clip(z_log_var, -self.log_var_clip, self.log_var_clip)
        z, smp_nt = self.sampling.stateless_call([], smp_nt, [z_mean, z_log_var])
        zeros = ops.zeros_like(z_mean)
        z_prior, smp_nt = self.sampling.stateless_call([], smp_nt, [zeros, zeros])
        # One decoder pass for reconstructions and prior samples, one discriminator pass for
        # real, reconstructed and prior-sampled images: batches of 2n and 3n.
        decoded, dec_nt = self.decoder.stateless_call(
            dec_t, dec_nt, self._with_label(ops.concatenate([z, z_prior]), y, 2), training=True)
        images = ops.concatenate([x, decoded])
        (logits, features), dis_nt = self.discriminator.stateless_call(
            dis_t, dis_nt, self._with_label(images, y, 3), training=True)
        logit_real, logit_rec, logit_prior = ops.split(logits, 3)
        feat_real, feat_rec, _ = ops.split(features, 3)

        prior = ops.mean(kl_divergence(z_mean, z_log_var))
        # Mean squared distance relative to the real images' mean squared activation, so the
        # discriminator cannot shrink (or inflate) it by rescaling its activations; times 784
        # so that it weighs against the KL term as the plain VAE's sum over pixels does.
        energy = ops.stop_gradient(ops.mean(ops.square(feat_real))) + 1e-8
        feature = FEATURE_SCALE * ops.mean(perceptual_reconstruction(
            [feat_real], [feat_rec], [1.0], "book")) / energy
        gan = (_bce(1.0, logit_real) + _bce(0.0, logit_rec) + _bce(0.0, logit_prior)) / 3.0
        gan_generator = (_bce(1.0, logit_rec) + _bce(1.0, logit_prior)) / 2.0
        losses = {"prior": prior, "feature": feature, "gan": gan, "gan_generator": gan_generator,
                  "encoder": self.beta * prior + feature,
                  "decoder": self.gamma * feature + gan_generator,
                  "discriminator": gan}
        return losses, [enc_nt, dec_nt, dis_nt, smp_nt]

    def _with_label(self, images, y, times=1):
        if not self.conditional:
            return images
        return [images, ops.concatenate([y] * times) if times > 1 else y]

    def _step(self, state, x, y, wanted):
        """One update of the networks named in `wanted` (a loss name per part, or None).

        On JAX `state` carries all variable values in and out (the step is a pure function);
        TensorFlow and torch read the variables and update them in place (`state` is None).
        """
        pure = state is not None
        trainable, non_trainable, opt = state if pure else self.read_state()
        losses, non_trainable, grads = _gradients(
            lambda t: self.losses_of_batch(t, non_trainable, x, y), trainable, wanted)
        trainable, opt = list(trainable), list(opt)
        for k, grad in enumerate(grads):
            if grad is None:
                continue
            optimizer = self._optimisers.parts[k]
            if pure:
                trainable[k], opt[k] = optimizer.stateless_apply(opt[k], grad, trainable[k])
            else:
                optimizer.apply(grad, getattr(self, PARTS[k]).trainable_variables)
        if pure:
            return (trainable, non_trainable, opt), losses
        self.write_state((None, non_trainable, None))
        return None, losses

    def compiled_steps(self):
        """The discriminator step and the encoder/decoder step, compiled for the backend."""
        if self._steps is None:
            for part, optimizer in zip(PARTS, self._optimisers.parts):
                if not optimizer.built:
                    optimizer.build(getattr(self, part).trainable_variables)
            self._steps = (
                _compile(lambda s, x, y: self._step(s, x, y, (None, None, "discriminator"))),
                _compile(lambda s, x, y: self._step(s, x, y, ("encoder", "decoder", None))),
            )
        return self._steps

    def read_state(self):
        """Current values of all variables: ``(trainable, non_trainable, optimizer)``."""
        parts = [getattr(self, p) for p in PARTS]
        return ([[v.value for v in p.trainable_variables] for p in parts],
                [[v.value for v in p.non_trainable_variables] for p in parts + [self.sampling]],
                [[v.value for v in o.variables] for o in self._optimisers.parts])

    def write_state(self, state):
        """Assign values produced by the training steps back to the variables (None: skip)."""
        parts = [getattr(self, p) for p in PARTS]
        trainable, non_trainable, opt = state
        targets = ([p.trainable_variables for p in parts],
                   [p.non_trainable_variables for p in parts + [self.sampling]],
                   [o.variables for o in self._optimisers.parts])
        for groups, values in zip(targets, (trainable, non_trainable, opt)):
            for variables, vals in zip(groups, values or ()):
                for variable, value in zip(variables, vals):
                    variable.assign(value)


def build_vaegan(latent_dim: int = 8, conditional: bool = False, gamma: float = 0.05,
                 beta: float = 8.0, learning_rates=LEARNING_RATES, dropout: float = 0.3,
                 win_threshold: float = 0.35, max_generator_steps: int = 2,
                 log_var_clip: float = 2.0, seed: int | None = None,
                 name: str | None = None) -> VAEGAN:
    """The VAE-GAN (Larsen et al. 2016), unconditional or conditional on the digit label.

    The encoder and decoder are the core's (:func:`vaelab.build_encoder`,
    :func:`vaelab.build_decoder`), or their conditional versions from :mod:`vaelab.cvae`;
    the discriminator is :func:`build_discriminator`. `gamma` weights the feature loss
    against the GAN loss for the decoder, `beta` the KL term against the feature loss for
    the encoder; `learning_rates` are RMSprop's for encoder, decoder
    and discriminator; `win_threshold` and `max_generator_steps` hold the discriminator back
    (see the module docstring). Train it with :func:`train_vaegan`.

    Example:
        >>> gan = build_vaegan(latent_dim=8, conditional=True, gamma=0.05, seed=1)
        >>> [m.name for m in (gan.encoder, gan.decoder, gan.discriminator)]
        ['encoder', 'decoder', 'discriminator']
    """
    latent_dim = positive_int(latent_dim, "latent_dim")
    conditional = as_flag(conditional, "conditional")
    set_seed(seed)
    if conditional:
        encoder, decoder = build_conditional_encoder(latent_dim), build_conditional_decoder(
            latent_dim)
    else:
        encoder, decoder = build_encoder(latent_dim), build_decoder(latent_dim)
    discriminator = build_discriminator(conditional, dropout)
    model = VAEGAN(encoder, decoder, discriminator,
                   gamma=gamma, beta=beta, learning_rates=learning_rates,
                   win_threshold=win_threshold, max_generator_steps=max_generator_steps,
                   log_var_clip=log_var_clip, seed=seed,
                   name=name or ("cvaegan" if conditional else "vaegan"))
    # Build the sampler, then the container (its sub-models already are).
    model.sampling([np.zeros((1, latent_dim), np.float32)] * 2)
    model(_inputs(model, np.zeros((1, 28, 28, 1), np.float32), np.zeros(1, np.int64)))
    return model


def train_vaegan(model: VAEGAN, images, labels=None, epochs: int = 10, batch_size: int = 64,
                 seed: int | None = None, verbose="auto", on_epoch_end=None,
                 distribution=None) -> dict:
    """Train a VAE-GAN with alternating updates; returns the history, one value per epoch.

    Per batch: one discriminator step, skipped while the discriminator is winning (its GAN
    loss below ``model.win_threshold``), then an encoder/decoder step, repeated (up to
    ``model.max_generator_steps`` times) while the discriminator still wins. `labels` (digits
    0..9) are required for a conditional model. The history holds the mean losses (``prior``,
    ``feature``, ``gan`` for the discriminator, ``gan_generator``, ``encoder``, ``decoder``)
    and the step counts ``discriminator_steps`` and ``generator_steps``. Weights are written
    back after every epoch; a NaN loss raises :class:`vaelab.TrainingDivergedError` and
    keeps the last finished epoch's weights. Each epoch prints one line unless `verbose`
    is 0 or False. `on_epoch_end`, if given, is called as ``on_epoch_end(epoch, history)``
    (epoch counted from 1) once the epoch's weights are written back, for checkpoints and
    evaluation; a true result stops training there.

    `distribution` spreads training over devices as in :func:`vaelab.train_vae`, on the JAX
    backend: each step runs as one program over all devices, every batch split between
    them. TensorFlow strategies act inside Keras's ``fit``, which this loop does not use,
    so there it is an error.

    Example:
        >>> history = train_vaegan(gan, x_train[:512], y_train[:512], epochs=1)  # doctest: +SKIP
        >>> history = train_vaegan(gan, x_train, y_train, distribution="all")  # doctest: +SKIP
    """
    if not isinstance(model, VAEGAN):
        raise ValueError(f"model: expected a VAE-GAN from build_vaegan(), got "
                         f"{type(model).__name__} {getattr(model, 'name', '')!r}")
    x = as_images(images)
    if model.conditional and labels is None:
        raise ValueError("labels: this VAE-GAN is conditional; pass the digit labels of the "
                         "images")
    y = one_hot(labels, n=x.shape[0]) if model.conditional else None
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    plan = resolve(distribution)
    if plan is not None and plan.backend != "jax":
        raise ValueError(
            f"distribution: train_vaegan spreads training over devices on the JAX backend "
            f"only; its alternating updates run outside Keras's fit(), where a "
            f"{plan.backend} strategy would act. Set KERAS_BACKEND=jax (before Keras is "
            "imported) with distribution=\"all\", or pass distribution=None")
    place = _identity
    if plan is not None:
        plan.check_same_everywhere(images=x.shape[0], batch_size=batch_size, epochs=epochs)
        batch_size = plan.local_batch_size(batch_size)
        rows = plan.local_rows(x.shape[0])
        x, y = x[rows], None if y is None else y[rows]
        place = plan.global_batch
    discriminator_step, generator_step = model.compiled_steps()
    rng = np.random.default_rng(seed)
    pure = keras.backend.backend() == "jax"
    history = {k: [] for k in LOSSES + ("discriminator_steps", "generator_steps")}
    dis_loss = math.inf  # nothing measured yet: let the discriminator start
    for epoch in range(epochs):
        t0, order = time.time(), rng.permutation(x.shape[0])
        snapshot = model.get_weights()
        state = model.read_state() if pure else None
        if plan is not None:
            state = plan.replicate(state)
        sums, n_batches, n_dis, n_gen = dict.fromkeys(LOSSES, 0.0), 0, 0, 0
        for batch, start in enumerate(range(0, x.shape[0], batch_size)):
            idx = np.sort(order[start:start + batch_size])
            xb, yb = place(x[idx]), None if y is None else place(y[idx])
            if not dis_loss < model.win_threshold:
                state, logs = discriminator_step(state, xb, yb)
                n_dis += 1
            for _ in range(model.max_generator_steps):
                state, logs = generator_step(state, xb, yb)
                n_gen += 1
                dis_loss = float(host_array(logs["gan"]))
                if dis_loss >= model.win_threshold:
                    break
            values = {k: float(host_array(logs[k])) for k in LOSSES}
            bad = [k for k, v in values.items() if not math.isfinite(v)]
            if bad:
                model.set_weights(snapshot)
                raise TrainingDivergedError(
                    f"training stopped: loss {bad[0]!r} became {values[bad[0]]} at epoch "
                    f"{epoch + 1}, batch {batch + 1}; weights are those after epoch {epoch}. "
                    "Lower the learning rates or gamma.")
            for k, v in values.items():
                sums[k] += v
            n_batches += 1
        if state is not None:
            # As host arrays: the variables stay on the default device between epochs.
            model.write_state(state if plan is None
                              else keras.tree.map_structure(host_array, state))
        for k in LOSSES:
            history[k].append(sums[k] / n_batches)
        history["discriminator_steps"].append(n_dis)
        history["generator_steps"].append(n_gen)
        if keras_verbose(verbose):
            print(f"epoch {epoch + 1}/{epochs} ({time.time() - t0:.0f} s): "
                  + ", ".join(f"{k} {history[k][-1]:.4g}" for k in LOSSES)
                  + f", steps D {n_dis} / G {n_gen}", flush=True)
        if on_epoch_end is not None and on_epoch_end(epoch + 1, history):
            break
    return history


def _identity(value):
    return value


def _inputs(model, images, labels):
    return [images, one_hot(labels)] if model.conditional else images


def _bce(target: float, logits):
    """Mean binary cross-entropy of `logits` against a constant target (1 real, 0 fake)."""
    return ops.mean(ops.binary_crossentropy(ops.full_like(logits, target), logits,
                                            from_logits=True))


def _non_negative(value, name):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a non-negative number, got {value!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}: expected a non-negative number, got {value!r}")
    return value


def _compile(step):
    """Compile a pure step function for the backend (eager for torch)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf
        return tf.function(step, reduce_retracing=True)
    if backend == "jax":
        import jax
        return jax.jit(step)
    return step


def _gradients(fn, trainable, wanted):
    """Run ``fn(trainable) -> (losses, aux)``; differentiate losses[wanted[k]] by trainable[k].

    Returns ``(losses, aux, grads)`` with ``grads[k]`` None where ``wanted[k]`` is None. One
    forward pass serves every network's gradient. These are the only backend-specific lines.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(trainable)
            losses, aux = fn(trainable)
        grads = [None if name is None else tape.gradient(losses[name], trainable[k])
                 for k, name in enumerate(wanted)]
        return losses, aux, grads
    if backend == "jax":
        import jax
        import jax.numpy as jnp
        losses, pullback, aux = jax.vjp(fn, trainable, has_aux=True)
        grads = [None if name is None else pullback(
            {key: jnp.ones_like(v) if key == name else jnp.zeros_like(v)
             for key, v in losses.items()})[0][k] for k, name in enumerate(wanted)]
        return losses, aux, grads
    if backend == "torch":
        import torch
        trainable = [[t.detach().requires_grad_(True) for t in part] for part in trainable]
        losses, aux = fn(trainable)
        grads = [None if name is None else list(torch.autograd.grad(
            losses[name], trainable[k], retain_graph=True)) for k, name in enumerate(wanted)]
        return ({k: v.detach() for k, v in losses.items()},
                [[t.detach() for t in part] for part in aux], grads)
    raise NotImplementedError(f"train_vaegan: no gradient code for the {backend!r} backend")
