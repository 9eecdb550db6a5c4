"""Extension state that lives and dies with a moto backend.

moto's reset (``/moto-api/reset``) either re-initialises a backend's
``__dict__`` or throws the backend away. Keeping our per-(account, region)
state as an attribute of the backend instance means a reset drops it too,
without hooking moto's reset machinery.
"""

from __future__ import annotations

import threading
from typing import Callable, TypeVar

T = TypeVar("T")

_CREATE_LOCK = threading.Lock()


def backend_state(backend: object, key: str, factory: Callable[[], T]) -> T:
    """Return the extension state stored under ``key`` on ``backend``, creating it once."""
    attr = f"_etl_local_{key}"
    state = backend.__dict__.get(attr)
    if state is None:
        with _CREATE_LOCK:
            state = backend.__dict__.get(attr)
            if state is None:
                state = factory()
                setattr(backend, attr, state)
    return state
