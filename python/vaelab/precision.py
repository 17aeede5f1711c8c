"""Numeric precision of a VAE's computations: float32, or bfloat16 where the hardware has it.

``precision="bfloat16"`` builds the encoder, the decoder and the DFC VAE's feature
extractor with Keras's ``"mixed_bfloat16"`` policy: their convolutions and matrix products
compute in bfloat16 (8 bits of mantissa), which CPUs with AVX-512 BF16 or AMX and recent
GPUs run faster, while every weight stays float32. The layers whose outputs the loss reads
closely stay float32: ``z_mean``, ``z_log_var``, the decoder's last convolution (its
sigmoid), the sampler and the variational layer that computes the loss. Training in
bfloat16 changes the numbers a little (benchmarks/precision.py measures how much), so
float32 stays the default.
"""

from __future__ import annotations

import contextlib

import keras

# vaelab's names -> Keras dtype policies of the layers that compute in that precision.
PRECISIONS = {"float32": "float32", "bfloat16": "mixed_bfloat16"}
# Layers that always compute in float32 (see the module's docstring).
FLOAT32 = "float32"


def check_precision(precision: str) -> str:
    """`precision` if vaelab knows it, else a ValueError naming the choices."""
    if not isinstance(precision, str) or precision not in PRECISIONS:
        raise ValueError(f"precision: expected one of {', '.join(map(repr, PRECISIONS))}, "
                         f"got {precision!r}")
    return precision


@contextlib.contextmanager
def computing_in(precision: str):
    """Layers created in this block compute in `precision` unless given their own dtype."""
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(PRECISIONS[check_precision(precision)])
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def in_precision(model: keras.Model, precision: str) -> keras.Model:
    """A copy of `model` (same weights) whose layers compute in `precision`; `model` itself
    when that is float32 already."""
    policy = PRECISIONS[check_precision(precision)]
    if policy == FLOAT32:
        return model

    def with_policy(layer):
        return type(layer).from_config({**layer.get_config(), "dtype": policy})

    copy = keras.models.clone_model(model, clone_function=with_policy)
    copy.set_weights(model.get_weights())
    copy.trainable = model.trainable
    return copy
