"""One switch for all of the emulator's moto extensions."""

from __future__ import annotations

import threading

from runners.local import athena_engine, cfn_resources, compat, glue_engine, sfn_activities, sfn_fixes

_LOCK = threading.Lock()
_INSTALLED = False


def install() -> None:
    """Check moto's shape, then install every extension (idempotent, thread-safe).

    Raises ``compat.EmulatorCompatibilityError`` before patching anything if
    moto is not the version and shape the extensions were written against.
    """
    global _INSTALLED
    with _LOCK:
        if _INSTALLED:
            return
        compat.check()
        sfn_activities.install()
        sfn_fixes.install()
        glue_engine.install()
        athena_engine.install()
        cfn_resources.install()
        _INSTALLED = True
