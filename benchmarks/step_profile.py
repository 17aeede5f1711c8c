"""Where one training step's time goes, and whether thread or steps-per-execution settings help.

Part 1, one process: the straightforward Keras plain and DFC VAE of train_speed.py, split
into what a training step computes: the encoder's forward pass and gradients, the
decoder's, the DFC VAE's frozen feature extractor (forward on the image; forward and the
gradient to its input on the reconstruction), the optimizer's update, and the whole step
(``train_on_batch``). Each part is timed alone as a ``tf.function``, the parts taking turns,
and reported in milliseconds (wall and CPU), GFLOP/s and % of the fp32 peak, with its share
of the whole step. The whole step is the baseline: the parts should add up to it.

Part 2, one process: the straightforward model's whole step (``train_on_batch``) against
rewrites of it that compute the same values: the images and feature maps channels first
(NCHW, the other batch layout Keras offers), and RMSprop as TensorFlow's fused kernel (one
operation per variable instead of about ten). Each rewrite starts from the same weights; its
loss after two steps is checked against the model's.

Part 3, fresh processes taking turns (threads are fixed when TensorFlow starts): Keras
``fit`` epochs of vaelab's DFC VAE with TensorFlow's thread settings against one inter-op
thread, and ``steps_per_execution`` 1 against 8; ratios against the default, same run.

    python benchmarks/step_profile.py                 # about 6 minutes on 2 cores
    python benchmarks/step_profile.py --batch-size 128 --rounds 3
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_speed  # noqa: E402  (the reference models, FLOP counts and machine report)

RESULT = "RESULT "
SETTINGS = {"default": {}, "1 inter-op thread": {"inter_op": 1},
            "steps_per_execution 8": {"steps_per_execution": 8}}


def part_steps(kind: str, batch_size: int):
    """{part: (function of no arguments, FLOP per call)} for one training step of `kind`."""
    import tensorflow as tf

    encoder, decoder, vae = train_speed.reference_parts(kind)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((batch_size, 28, 28, 1), dtype="float32"))
    z = tf.constant(rng.normal(size=(batch_size, train_speed.LATENT_DIM)).astype("float32"))

    @tf.function
    def encoder_step():
        with tf.GradientTape() as tape:
            mean, log_var = encoder(x, training=True)
            total = tf.reduce_sum(mean) + tf.reduce_sum(log_var)
        return tape.gradient(total, encoder.trainable_variables)

    @tf.function
    def decoder_step():
        with tf.GradientTape() as tape:
            tape.watch(z)
            total = tf.reduce_sum(decoder(z, training=True))
        return tape.gradient(total, decoder.trainable_variables + [z])

    vae.train_on_batch(x.numpy())  # builds the optimizer
    gradients = [tf.fill(v.shape, 1e-6) for v in vae.trainable_variables]

    @tf.function
    def optimizer_step():
        vae.optimizer.apply(gradients, vae.trainable_variables)

    per_image = train_speed.forward_flops
    parts = {"encoder, forward + gradients": (encoder_step, 3 * per_image(encoder)),
             "decoder, forward + gradients": (decoder_step, 3 * per_image(decoder))}
    if kind == "dfc_vae":
        extractor = train_speed._reference_features()

        @tf.function
        def features_of_image():
            return extractor(x)

        @tf.function
        def features_of_reconstruction():
            with tf.GradientTape() as tape:
                tape.watch(x)
                total = tf.add_n([tf.reduce_sum(tf.square(f)) for f in extractor(x)])
            return tape.gradient(total, x)

        parts["extractor on the image, forward"] = (features_of_image, per_image(extractor))
        parts["extractor on the reconstruction, forward + gradient to input"] = (
            features_of_reconstruction, 2 * per_image(extractor))
    parts["optimizer update (RMSprop)"] = (optimizer_step, 0)
    parts["whole step (train_on_batch)"] = (lambda: vae.train_on_batch(x.numpy()),
                                           train_speed.training_flops(kind))
    return {name: (fn, flops * batch_size) for name, (fn, flops) in parts.items()}


def time_parts(parts: dict, calls: int, rounds: int) -> dict:
    """Median wall and CPU milliseconds per call of each part, the parts taking turns."""
    for fn, _ in parts.values():
        fn(), fn()  # traced and warm
    wall, cpu = {n: [] for n in parts}, {n: [] for n in parts}
    for _ in range(rounds):
        for name, (fn, _) in parts.items():
            w, c = time.perf_counter(), time.process_time()
            for _ in range(calls):
                out = fn()
            np.asarray(out[0] if isinstance(out, (list, tuple)) else out)  # the work is done
            wall[name].append((time.perf_counter() - w) / calls * 1000)
            cpu[name].append((time.process_time() - c) / calls * 1000)
    return {n: (statistics.median(wall[n]), statistics.median(cpu[n])) for n in parts}


def profile_table(kind: str, batch_size: int, calls: int, rounds: int, peak: float) -> str:
    """Part 1's table for one model."""
    parts = part_steps(kind, batch_size)
    times = time_parts(parts, calls, rounds)
    whole = times["whole step (train_on_batch)"][0]
    lines = [f"{train_speed.MODEL_TITLES[kind]}, batch {batch_size}",
             f"  {'part':<62}{'wall ms':>8}{'CPU ms':>8}{'share':>7}{'GFLOP/s':>9}{'% peak':>8}"]
    for name, (wall, cpu) in times.items():
        gflops = parts[name][1] / wall / 1e6
        lines.append(f"  {name:<62}{wall:8.2f}{cpu:8.2f}{wall / whole:7.0%}"
                     + (f"{gflops:9.0f}{gflops / peak:8.0%}" if gflops else f"{'-':>9}{'-':>8}"))
    parts_sum = sum(w for n, (w, _) in times.items() if n != "whole step (train_on_batch)")
    lines.append(f"  the parts add up to {parts_sum / whole:.0%} of the whole step; the rest is "
                 "sampling, the loss, metrics and Keras's dispatch")
    return "\n".join(lines)


def rewritten_steps(kind: str, batch_size: int) -> tuple:
    """({name: whole training step}, {name: loss after two steps}) for the straightforward
    model and each rewrite of it, all from the same weights."""
    import keras

    x = np.random.default_rng(0).random((batch_size, 28, 28, 1), dtype="float32")
    written = train_speed.reference_parts(kind)[2]
    with image_data_format("channels_first"):
        nchw = train_speed.reference_parts(kind)[2]
    nchw.set_weights([channels_first(w) for w in written.get_weights()])
    fused = train_speed.reference_parts(kind)[2]
    fused.compile(optimizer=fused_rmsprop(keras))
    inputs = {"as written (NHWC, Keras's RMSprop)": (written, x),
              "channels first (NCHW)": (nchw, np.ascontiguousarray(x.transpose(0, 3, 1, 2))),
              "RMSprop as TensorFlow's fused kernel": (fused, x)}
    losses = {name: [float(model.train_on_batch(data)) for _ in range(2)][-1]
              for name, (model, data) in inputs.items()}
    steps = {name: (lambda m=model, d=data: m.train_on_batch(d), 0)
             for name, (model, data) in inputs.items()}
    return steps, losses


@contextlib.contextmanager
def image_data_format(fmt: str):
    """Keras builds convolutions and pooling for `fmt` inside the block."""
    import keras

    before = keras.config.image_data_format()
    keras.config.set_image_data_format(fmt)
    try:
        yield
    finally:
        keras.config.set_image_data_format(before)


def channels_first(weights):
    """A reference model's weight array reordered for its NCHW twin. Only the decoder's
    dense layer sees the layout: Reshape lays its output out as the model's maps, whereas
    Keras's Flatten orders channels-first maps as channels-last ones."""
    side, channels = 14, 64
    if weights.shape[-1] != side * side * channels:
        return weights
    lead = weights.shape[:-1]
    maps = weights.reshape(*lead, side, side, channels)
    return np.moveaxis(maps, -1, -3).reshape(weights.shape)


def fused_rmsprop(keras):
    """Keras's RMSprop, each variable updated by TensorFlow's ResourceApplyRMSProp kernel.

    That kernel keeps a momentum slot even at momentum 0, so this optimizer has one more
    variable per weight than Keras's; its update is Keras's up to float rounding."""
    import tensorflow as tf

    class FusedRMSprop(keras.optimizers.RMSprop):
        """RMSprop in one TensorFlow kernel per variable."""

        def build(self, variables):
            super().build(variables)
            if not self.momentum:
                self._momentums = [self.add_variable_from_reference(v, "momentum")
                                   for v in variables]

        def update_step(self, gradient, variable, learning_rate):
            index = self._get_variable_index(variable)
            dtype = variable.dtype

            def scalar(value):
                return tf.cast(value, dtype)

            tf.raw_ops.ResourceApplyRMSProp(
                var=variable.handle, ms=self._velocities[index].value.handle,
                mom=self._momentums[index].value.handle, lr=scalar(learning_rate),
                rho=scalar(self.rho), momentum=scalar(self.momentum),
                epsilon=scalar(self.epsilon), grad=tf.cast(gradient, dtype))

    return FusedRMSprop()


def rewrite_table(kind: str, batch_size: int, calls: int, rounds: int) -> str:
    """Part 2's table for one model."""
    steps, losses = rewritten_steps(kind, batch_size)
    times = time_parts(steps, calls, rounds)
    base_name = next(iter(steps))
    base_wall, base_loss = times[base_name][0], losses[base_name]
    lines = [f"{train_speed.MODEL_TITLES[kind]}, batch {batch_size}: the whole step rewritten",
             f"  {'step':<40}{'wall ms':>8}{'CPU ms':>8}{'vs as written':>15}"
             f"{'loss after 2 steps, relative difference':>41}"]
    for name, (wall, cpu) in times.items():
        difference = abs(losses[name] - base_loss) / abs(base_loss)
        lines.append(f"  {name:<40}{wall:8.2f}{cpu:8.2f}{base_wall / wall:14.2f}x"
                     f"{difference:41.1e}")
    return "\n".join(lines)


def fit_worker(spec: dict) -> dict:
    """Seconds per `fit` epoch of vaelab's DFC VAE under one setting (a fresh process)."""
    import tensorflow as tf

    if spec.get("inter_op"):
        tf.config.threading.set_inter_op_parallelism_threads(spec["inter_op"])
    import vaelab

    dfc = vaelab.build_dfc_vae(vaelab.build_perceptual_model(seed=1), latent_dim=5, seed=1)
    if spec.get("steps_per_execution"):
        dfc.compile(optimizer="rmsprop", steps_per_execution=spec["steps_per_execution"])
    x = np.random.default_rng(1).random((spec["images"], 28, 28, 1), dtype="float32")
    vaelab.tune_execution(dfc, x, batch_size=spec["batch_size"], cache=False)
    epochs = []
    for _ in range(spec["epochs"] + 1):  # the first epoch traces
        start = time.perf_counter()
        dfc.fit(x, epochs=1, batch_size=spec["batch_size"], verbose=0)
        epochs.append(time.perf_counter() - start)
    return {"epoch_s": statistics.median(epochs[1:])}


def compare_settings(args) -> str:
    """Part 3: each setting in fresh processes, rounds taking turns; ratios to the default."""
    # The checkout's Python core, whether or not it is installed in this interpreter.
    path = os.pathsep.join([str(Path(__file__).resolve().parents[1] / "python")]
                           + [p for p in [os.environ.get("PYTHONPATH")] if p])
    env = {**os.environ, "VAELAB_TUNE": "off", "PYTHONPATH": path}
    seconds = {name: [] for name in SETTINGS}
    for _ in range(args.rounds):
        for name, setting in SETTINGS.items():
            spec = {**setting, "images": args.images, "epochs": 2,
                    "batch_size": args.batch_size}
            out = subprocess.run([sys.executable, __file__, "--worker", json.dumps(spec)],
                                 capture_output=True, text=True, env=env)
            lines = [x for x in out.stdout.splitlines() if x.startswith(RESULT)]
            if out.returncode or not lines:
                raise RuntimeError(f"worker for {name!r} failed:\n{out.stderr[-2000:]}")
            seconds[name].append(json.loads(lines[-1][len(RESULT):])["epoch_s"])
    base = statistics.median(seconds["default"])
    lines = [f"DFC VAE fit, {args.images} images, batch {args.batch_size}, vaelab's measured "
             f"plan; median of {args.rounds} fresh process(es)",
             f"  {'setting':<26}{'epoch s':>9}{'vs default':>12}"]
    for name, values in seconds.items():
        median = statistics.median(values)
        lines.append(f"  {name:<26}{median:9.2f}{base / median:11.2f}x")
    return "\n".join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--calls", type=int, default=20, help="calls per timing (part 1)")
    p.add_argument("--rounds", type=int, default=5,
                   help="rounds of parts 1 and 2, and of part 3 / 2")
    p.add_argument("--images", type=int, default=6400, help="images per epoch (part 3)")
    p.add_argument("--skip-settings", action="store_true", help="parts 1 and 2 only")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    for flag in ("batch_size", "calls", "rounds", "images"):
        if getattr(args, flag) < 1:
            p.error(f"--{flag.replace('_', '-')} must be a positive integer")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    if keras.backend.backend() != "tensorflow":
        # The parts are tf.functions and the settings TensorFlow's, as are the plans they explain.
        sys.exit(f"step_profile.py times TensorFlow's training step, and Keras runs on "
                 f"{keras.backend.backend()} here: run it with KERAS_BACKEND=tensorflow")
    if args.worker:
        print(RESULT + json.dumps(fit_worker(json.loads(args.worker))))
        return 0
    print(train_speed.machine_report())
    peak, _ = train_speed.peak_gflops()
    for kind in train_speed.MODELS:
        print("\n" + profile_table(kind, args.batch_size, args.calls, args.rounds, peak))
    for kind in train_speed.MODELS:
        print("\n" + rewrite_table(kind, args.batch_size, args.calls, args.rounds))
    if not args.skip_settings:
        args.rounds = max(1, args.rounds // 2)
        print("\n" + compare_settings(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
