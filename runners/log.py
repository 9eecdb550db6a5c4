"""structlog set-up and the one way a task token may appear in logs: hashed."""

from __future__ import annotations

import hashlib
import logging
import sys
from typing import TextIO

import structlog


def token_hash(token: str) -> str:
    """A short, non-reversible name for a task token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def configure(level: str = "INFO", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """JSON lines by default when not on a terminal; readable console output on one."""
    stream = stream or sys.stderr
    if fmt == "auto":
        fmt = "console" if stream.isatty() else "json"
    renderer = structlog.dev.ConsoleRenderer() if fmt == "console" else structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
