"""What vaelab computes on: Keras's backend, its devices and processes, and their versions."""

from __future__ import annotations

import importlib

import keras

# The module whose version is the backend's.
BACKEND_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


def runtime_info() -> dict:
    """The backend and devices in use: a dict for the log of a run, or to check a set-up.

    Keys: ``backend`` (``KERAS_BACKEND``: "tensorflow", "jax" or "torch"), ``devices``
    (strings such as "cpu:0" or "gpu:1": the devices of the default kind that Keras
    distributes over, every process's on JAX after ``jax.distributed.initialize``; on
    torch the one device Keras computes on), ``device_count``, ``process_index`` and
    ``process_count`` (JAX's processes; 0 and 1 on the other backends), ``keras_version``
    and ``backend_version``.

    Example:
        >>> info = runtime_info()
        >>> info["backend"] in ("tensorflow", "jax", "torch")
        True
        >>> info["device_count"] == len(info["devices"]) >= 1
        True
    """
    backend = keras.backend.backend()
    process_index, process_count = 0, 1
    if backend == "torch":
        devices = [_torch_device()]
    else:
        devices = list(keras.distribution.list_devices())
    if backend == "jax":
        import jax

        process_index, process_count = jax.process_index(), jax.process_count()
    module = BACKEND_MODULES.get(backend)
    return {
        "backend": backend,
        "devices": devices,
        "device_count": len(devices),
        "process_index": int(process_index),
        "process_count": int(process_count),
        "keras_version": keras.__version__,
        "backend_version": importlib.import_module(module).__version__ if module else None,
    }


def _torch_device() -> str:
    """The device Keras puts torch tensors on (KERAS_TORCH_DEVICE, else a GPU, else the CPU)."""
    device = keras.ops.convert_to_tensor(0.0).device
    return f"{device.type}:{device.index or 0}"
