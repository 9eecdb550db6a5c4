"""The local Lambda Python runtime: runs one invocation in its own process.

Started by ``lambda_local.functions`` as ``python .../runtime.py`` (by path:
importing the embedded_aws package would load the whole emulator) with the function's environment
(``_HANDLER`` as on Lambda, the function's variables, the embedded AWS's
endpoint) and the function's code first on ``PYTHONPATH``. It reads the event
(JSON) on stdin, calls the handler, and writes the result, or Lambda's error
document (``errorMessage``, ``errorType``, ``stackTrace``), to the file named
by ``_LOCAL_LAMBDA_RESULT``; stdout and stderr are the invocation's logs.
Standard library only: it must not import anything the function did not bring.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid
from typing import Any


class Context:
    """The parts of Lambda's context object handlers use."""

    def __init__(self, timeout_seconds: float) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = os.environ.get("_LOCAL_LAMBDA_ARN", "")
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error(error_type: str, exc: BaseException) -> dict[str, Any]:
    return {"errorMessage": str(exc), "errorType": error_type, "stackTrace": traceback.format_tb(exc.__traceback__)}


def invoke(handler_path: str, event: Any, context: Context) -> tuple[Any, bool]:
    """(result or error document, errored)."""
    module_name, _, function_name = handler_path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - reported as Lambda does
        traceback.print_exc()
        return _error("Runtime.ImportModuleError", exc), True
    handler = getattr(module, function_name, None)
    if not callable(handler):
        return {"errorMessage": f"Handler '{function_name}' missing on module '{module_name}'", "errorType": "Runtime.HandlerNotFound"}, True
    try:
        return handler(event, context), False
    except Exception as exc:  # noqa: BLE001
        traceback.print_exc()
        return _error(type(exc).__name__, exc), True


def main() -> int:
    # Run as a script, this folder is first on sys.path; it must not shadow
    # the function's own modules.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    event = json.loads(sys.stdin.read() or "{}")
    context = Context(float(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3")))
    result, errored = invoke(os.environ["_HANDLER"], event, context)
    with open(os.environ["_LOCAL_LAMBDA_RESULT"], "w", encoding="utf-8") as out:
        json.dump(result, out, default=str)
    return 1 if errored else 0


if __name__ == "__main__":
    sys.exit(main())
