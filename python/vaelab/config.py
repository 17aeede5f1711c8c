"""Configuration from environment variables, read each time it is used."""

from __future__ import annotations

import ctypes
import os


def environment_variable(name: str):
    """The value of the environment variable `name` now, or None when it is unset.

    ``os.environ`` is a copy taken when Python started. vaelab from R runs in R's own
    process, where ``Sys.setenv()`` changes the process environment but not that copy, so
    the C library's ``getenv`` is asked instead; ``os.environ[name] = ...`` in Python
    changes both. Where there is no C library to ask, ``os.environ`` answers.

    Example:
        >>> os.environ["VAELAB_DATA"] = "/data/mnist"
        >>> environment_variable("VAELAB_DATA")
        '/data/mnist'
    """
    if _getenv is None:
        return os.environ.get(name)
    value = _getenv(os.fsencode(name))
    return None if value is None else os.fsdecode(value)


def _c_getenv():
    try:
        getenv = ctypes.CDLL(None).getenv
    except (OSError, TypeError, AttributeError):  # no C library of the process to ask
        return None
    getenv.restype, getenv.argtypes = ctypes.c_char_p, [ctypes.c_char_p]
    return getenv


_getenv = _c_getenv()
