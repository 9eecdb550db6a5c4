"""What a local Glue job run's Python sees besides the script: shared by the engine and the executors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: The folder holding the local ``awsglue`` package; first on a job's ``sys.path``.
JOB_RUNTIME = Path(__file__).resolve().parent / "job_runtime"

#: Run environment variable: the job's ``--extra-py-files`` / ``--additional-python-modules``
#: as local paths (``os.pathsep``-separated), staged by the engine before launch.
PYTHON_PATHS_ENV = "EMBEDDED_GLUE_PYTHON_PATHS"

#: Run environment variables: the job bookmark the run starts from, and where ``Job.commit`` writes the new one.
BOOKMARK_IN_ENV = "EMBEDDED_GLUE_BOOKMARK_IN"
BOOKMARK_OUT_ENV = "EMBEDDED_GLUE_BOOKMARK_OUT"


def run_client(service: str, env: dict[str, str]) -> Any:
    """A boto3 client of the embedded AWS as the run's environment names it (the driver acts for the run)."""
    import boto3

    endpoint = env.get(f"AWS_ENDPOINT_URL_{service.upper()}") or env.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise RuntimeError(f"the run has no AWS_ENDPOINT_URL for {service}")
    session = boto3.session.Session(
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY", "testing"),
        region_name=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
    )
    return session.client(service, endpoint_url=endpoint)
