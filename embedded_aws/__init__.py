"""Embedded AWS for local runs and tests: moto's server plus our extensions.

Start it with ``EmbeddedAws().start()`` (or as a context manager) and point
boto3 at ``endpoint_url``. See ``server`` for the settings and
``stepfunctions``, ``glue``, ``athena``, ``events`` (EventBridge delivery),
``s3`` and ``lambda_local`` for what is added to moto.

The names below load on first use, so a process that needs one small module
(a Glue job's driver, a local Lambda) does not import moto.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "EmbeddedAws": "embedded_aws.server",
    "GlueControl": "embedded_aws.server",
    "serve_forever": "embedded_aws.server",
    "EmulatorCompatibilityError": "embedded_aws.compat",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'embedded_aws' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
