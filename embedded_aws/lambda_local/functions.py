"""Lambda functions that really run locally: Python runtimes, one process per
invocation, no Docker.

moto runs a function's code in a Docker container (and answers a canned
result without one). Here ``Invoke`` (and every event source) runs the
handler named by the function's ``Handler`` with the function's code (its
zip, extracted) first on the import path, its environment variables, its
``Timeout``, and an endpoint pointing back at the embedded AWS, through
``lambda_local.runtime``. What it prints goes to the function's log group
(``/aws/lambda/NAME``), as on AWS.

Differences from AWS, by design: the process also sees the Python packages
installed beside the emulator (as if they were a layer), and only ``python*``
runtimes run; any other runtime answers ``Runtime.NotSupportedLocally``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from moto.awslambda.models import LambdaFunction

from embedded_aws.compat import EmulatorCompatibilityError

# Run by path, not ``-m``: importing the embedded_aws package would load the
# whole emulator (moto) into every invocation.
RUNTIME = Path(__file__).resolve().parent / "runtime.py"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class LambdaSettings:
    """Process-wide (moto's backends are): where functions find the embedded AWS."""

    endpoint_url: str | None = None
    code_root: Path = Path(tempfile.gettempdir()) / "embedded-aws-lambda"


def _code_dir(code_bytes: bytes) -> Path:
    """The function's zip, extracted once per distinct content."""
    root = LambdaSettings.code_root
    root.mkdir(parents=True, exist_ok=True)
    target = root / hashlib.sha256(code_bytes).hexdigest()[:16]
    if not target.exists():
        staging = Path(tempfile.mkdtemp(dir=root))
        if code_bytes:
            with zipfile.ZipFile(io.BytesIO(code_bytes)) as archive:
                archive.extractall(staging)
        try:
            staging.rename(target)
        except OSError:  # another invocation extracted the same code first
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _environment(function: LambdaFunction, code_dir: Path, result_path: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ETL_", "_HANDLER"))}
    env.update(DUMMY_CREDENTIALS)
    env.update(
        {
            "AWS_REGION": function.region,
            "AWS_DEFAULT_REGION": function.region,
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout),
            "_HANDLER": function.handler or "",
            "_LOCAL_LAMBDA_ARN": function.function_arn,
            "_LOCAL_LAMBDA_RESULT": result_path,
            "PYTHONPATH": os.pathsep.join([str(code_dir), *[p for p in sys.path if p]]),
        }
    )
    if LambdaSettings.endpoint_url:
        env["AWS_ENDPOINT_URL"] = LambdaSettings.endpoint_url
    env.update({k: str(v) for k, v in (function.environment_vars or {}).items()})
    return env


def invoke_locally(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    """Run one invocation: (result JSON, errored, logs), moto's contract."""
    if not str(function.run_time or "").startswith("python"):
        message = json.dumps({
            "errorType": "Runtime.NotSupportedLocally",
            "errorMessage": f"runtime {function.run_time} is not supported locally: the embedded AWS runs python* runtimes only",
        })
        _save_logs(function, message)
        return message, True, ""
    code_dir = _code_dir(getattr(function, "code_bytes", b"") or b"")
    with tempfile.TemporaryDirectory(prefix="lambda-invoke-") as scratch:
        result_path = os.path.join(scratch, "result.json")
        timeout = float(function.timeout or 3)
        try:
            done = subprocess.run(
                [sys.executable, str(RUNTIME)],
                input=json.dumps(event if event is not None else {}), env=_environment(function, code_dir, result_path),
                cwd=code_dir, capture_output=True, text=True, timeout=timeout,
            )
        except subprocess.TimeoutExpired as expired:
            logs = _text(expired.stdout) + _text(expired.stderr)
            result = json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": f"Task timed out after {timeout:.2f} seconds"})
            _save_logs(function, logs + result)
            return result, True, logs
        logs = done.stdout + done.stderr
        result = Path(result_path).read_text() if os.path.exists(result_path) else json.dumps(
            {"errorType": "Runtime.ExitError", "errorMessage": f"the runtime exited with code {done.returncode}"}
        )
    _save_logs(function, logs or "(no output)")
    return result, done.returncode != 0, logs


def _save_logs(function: LambdaFunction, text: str) -> None:
    """The invocation's output in /aws/lambda/NAME, one stream per invocation."""
    function.logs_backend.ensure_log_group(function.logs_group_name)
    function.save_logs(text)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _check() -> None:
    missing = [f"moto.awslambda.models.LambdaFunction.{name} (embedded_aws.lambda_local)" for name in ("_invoke_lambda", "save_logs") if not hasattr(LambdaFunction, name)]
    if missing:
        raise EmulatorCompatibilityError(missing)


def install() -> None:
    """Functions run locally instead of in Docker (idempotent)."""
    _check()
    LambdaFunction._invoke_lambda = lambda self, event=None: invoke_locally(self, event)  # type: ignore[method-assign]
