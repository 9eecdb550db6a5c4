"""Step Functions API errors with their AWS error code.

moto's parser exception classes (ExecutionNotRedrivable, InvalidToken,
InvalidDefinition, ...) leave the serialised error code empty unless the
code is passed again as ``exception_type``; clients then see ``()``.
"""

from __future__ import annotations

from moto.core.exceptions import AWSError


def api_error(code: str, message: str) -> AWSError:
    """An HTTP 400 error the client sees as ``code`` with ``message``."""
    return AWSError(message, exception_type=code, status=400)
