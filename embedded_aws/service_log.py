"""Where the emulated services' own diagnostics go.

On AWS a state machine's interpreter never prints to the caller's terminal;
moto's Step Functions interpreter logs every caught error at ERROR with its
whole component tree. Those lines go to one log file per process (named by
``service_log_path()``), not to the terminal of whoever runs the embedded AWS.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

# moto loggers that narrate the service's inside rather than answer the caller.
SERVICE_LOGGERS = ("moto.stepfunctions.parser",)

_path: Path | None = None


def service_log_path() -> Path:
    global _path
    if _path is None:
        _path = Path(tempfile.gettempdir()) / f"embedded-aws-{os.getpid()}.log"
    return _path


def route_service_logs() -> Path:
    """Send the service loggers to the log file (idempotent); return its path."""
    path = service_log_path()
    for name in SERVICE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(getattr(h, "_embedded_aws", False) for h in logger.handlers):
            handler = logging.FileHandler(path, delay=True, encoding="utf-8")
            handler._embedded_aws = True  # type: ignore[attr-defined]
            handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
            logger.addHandler(handler)
        logger.propagate = False
    return path
