"""A cheap pipeline run three times on the embedded AWS, once per session,
for the status/history/logs/graph/console tests.

The pipeline file lives in a tmp dir: two Glue steps and an Athena step in
parallel (plus the generated Create Database), then an Athena step. Its Glue
jobs are redeployed as Python shell jobs, so no Spark starts. Run dates:

  2026-01-01  succeeds at once
  2026-01-03  succeeds, but Wait A Bit sleeps a few seconds: seen while RUNNING
  2026-01-02  Say Hello fails (GlueJobFailedError); Wait A Bit is still asleep,
              so its branch is cancelled; the failure path runs
"""

from __future__ import annotations

import textwrap
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog

from runners import log as logging_setup

from runners.observe import execution
from runners.observe.execution import ExecutionView
from runners.observe.source import Source

OK_DATE, SLOW_DATE, FAIL_DATE = "2026-01-01", "2026-01-03", "2026-01-02"
SLOW_SECONDS = 4
PIPELINE = """
pipeline: tiny-observed
database: tiny_observed
steps:
  say_hello:
    glue:
      script: glue-scripts/hello.py
      arguments: {--run_date: "${run_date}"}
  wait_a_bit:
    glue:
      script: glue-scripts/slow.py
      arguments: {--run_date: "${run_date}"}
  count_things:
    athena: {sql: sql/count.sql}
  summarise:
    after: [say_hello, wait_a_bit, count_things]
    athena: {sql: sql/count.sql}
"""
HELLO = f"""
import sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
print("hello from glue for", args["--run_date"])
if args["--run_date"] == "{FAIL_DATE}":
    raise SystemExit("no data for {FAIL_DATE}")
"""
SLOW = f"""
import sys, time
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
print("waiting a bit for", args["--run_date"], flush=True)
time.sleep({{"{SLOW_DATE}": {SLOW_SECONDS}, "{FAIL_DATE}": 8}}.get(args["--run_date"], 0))
print("done waiting")
"""


@dataclass
class ObservedRuns:
    prefix: str
    pipeline: str
    state_machine_arn: str
    ok: str  # execution ARNs
    slow: str
    failed: str
    running_view: ExecutionView  # the slow run while Wait A Bit ran
    running_status: dict[str, Any]  # `status --json` at that moment
    source: Source


def write_pipeline(root: Path) -> Path:
    files = {"pipelines/tiny.yaml": PIPELINE, "glue-scripts/hello.py": HELLO, "glue-scripts/slow.py": SLOW, "sql/count.sql": "SELECT 1 AS one\n"}
    for name, body in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(body).lstrip())
    return root / "pipelines" / "tiny.yaml"


def as_python_shell(glue: Any, job_name: str) -> None:
    """Redeploy a generated glueetl job as a Python shell job (same script and
    arguments): the embedded Glue then runs it as a plain process, no Spark."""
    job = glue.get_job(JobName=job_name)["Job"]
    glue.delete_job(JobName=job_name)
    glue.create_job(Name=job_name, Role=job["Role"], Command={**job["Command"], "Name": "pythonshell", "PythonVersion": "3.9"},
                    MaxCapacity=0.0625, DefaultArguments=job.get("DefaultArguments", {}), Timeout=5)


def wait_until(predicate: Any, timeout: float, message: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


@pytest.fixture(scope="session")
def observed(embedded_aws, tmp_path_factory) -> Any:
    from runners.local.pipeline import LocalPipeline
    from runners.observe import status

    prefix = f"obs{uuid.uuid4().hex[:6]}"
    root = tmp_path_factory.mktemp("observed")
    path = write_pipeline(root)
    logging_before = structlog.get_config()
    worker_log = (root / "workers.log").open("w")
    logging_setup.configure("WARNING", "json", stream=worker_log)  # the workers' threads must not write into captured output
    local = LocalPipeline(pipeline=path, aws=embedded_aws, prefix=prefix, activity_poll_seconds=1.0).start()
    try:
        assert local.deployment is not None
        glue = local.client("glue")
        for job in local.deployment.job_names.values():
            as_python_shell(glue, job)
        sfn = local.client("stepfunctions")
        source = Source.from_env(prefix=prefix)

        def finished(arn: str) -> str:
            return wait_until(lambda: (s := sfn.describe_execution(executionArn=arn)["status"]) != "RUNNING" and s, 60, f"{arn} to end")

        ok = local.start_execution(OK_DATE, name=f"ok-{OK_DATE}")
        assert finished(ok) == "SUCCEEDED"

        slow = local.start_execution(SLOW_DATE, name=f"slow-{SLOW_DATE}")

        def waiting_with_run_id() -> ExecutionView | None:
            view = execution.load(sfn, slow)
            if [s.name for s in view.running_states] != ["Wait A Bit"]:
                return None
            report = status.build(source)
            running = report["running"][0]["states"] if report["running"] else []
            return (view, report) if running and (running[0].get("task") or {}).get("runId") else None

        running_view, running_status = wait_until(waiting_with_run_id, 30, "Wait A Bit running alone with its Glue run recorded")
        assert finished(slow) == "SUCCEEDED"

        failed = local.start_execution(FAIL_DATE, name=f"failed-{FAIL_DATE}")
        assert finished(failed) == "FAILED"
        # Everything below only reads. The cancelled branch's task stays recorded, as a stopped worker leaves it.
        local.stop_workers()
        structlog.configure(**logging_before)
        yield ObservedRuns(prefix, "tiny-observed", local.deployment.state_machine_arn, ok, slow, failed, running_view, running_status, source)
    finally:
        local.stop()
        structlog.configure(**logging_before)
        worker_log.close()
