"""Which executor runs which Glue Command.Name (``GlueEngine.register_executor``
plugs in others)."""

from __future__ import annotations

import importlib.util

from embedded_aws.glue.launch import JobExecutor, PythonScriptExecutor


def default_executors() -> dict[str, JobExecutor]:
    """Executors by Command.Name: Python shell scripts as plain processes, glueetl
    scripts in a warm local Spark driver (a plain Python run if pyspark is missing)."""
    python = PythonScriptExecutor()
    if importlib.util.find_spec("pyspark") is None:
        return {"pythonshell": python, "glueetl": python}
    from embedded_aws.glue.spark import SparkScriptExecutor

    return {"pythonshell": python, "glueetl": SparkScriptExecutor()}
