"""What a local Glue job run's Python sees besides the script: shared by the engine and the executors."""

from __future__ import annotations

from pathlib import Path

#: The folder holding the local ``awsglue`` package; first on a job's ``sys.path``.
JOB_RUNTIME = Path(__file__).resolve().parent / "job_runtime"

#: Run environment variable: the job's ``--extra-py-files`` / ``--additional-python-modules``
#: as local paths (``os.pathsep``-separated), staged by the engine before launch.
PYTHON_PATHS_ENV = "EMBEDDED_GLUE_PYTHON_PATHS"

#: Run environment variables: the job bookmark the run starts from, and where ``Job.commit`` writes the new one.
BOOKMARK_IN_ENV = "EMBEDDED_GLUE_BOOKMARK_IN"
BOOKMARK_OUT_ENV = "EMBEDDED_GLUE_BOOKMARK_OUT"
