"""`etl-runner logs`: what a job said, or why an execution failed.

GetJobRun says how a Glue run ended and where its logs went. By default AWS Glue sends a job run's driver output to CloudWatch Logs, one
stream per run named by its id, in ``/aws-glue/jobs/output`` (stdout) and
``/aws-glue/jobs/error`` (stderr: a failed run's traceback); the embedded Glue
writes the same (embedded_aws/glue/logs.py). An Athena step has no log: its
query's state, reason and first result rows say it all.

A target is a Glue run id (``jr_...``), an Athena query id, an execution (ARN,
``PIPELINE/EXECUTION_NAME`` or a pipeline's latest), optionally narrowed to
one state. Without a state, a failed execution shows its failed state, a
running one its running states, a finished one every state that ran a job.
"""

from __future__ import annotations

import re
from typing import Any

from . import execution, text
from .execution import FAILED, RUNNING, ExecutionView, StateRun
from .source import Source

GLUE_LOG_ROOT = "/aws-glue/jobs"  # GetJobRun's LogGroupName on default logging
STREAMS = (("output", "/output"), ("error", "/error"))
QUERY_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def glue_run_logs(logs: Any, run_id: str, root: str = GLUE_LOG_ROOT, tail: int | None = 200) -> dict[str, Any]:
    """{"output": [lines], "error": [lines], "missing": [groups without the run's stream]} (the last ``tail`` lines of each)."""
    found: dict[str, Any] = {"runId": run_id, "logGroup": root, "missing": []}
    for name, suffix in STREAMS:
        group = root + suffix
        lines = _stream_lines(logs, group, run_id)
        if lines is None:
            found["missing"].append(group)
            lines = []
        found[name] = lines[-tail:] if tail else lines
        found[name + "Lines"] = len(lines)
    return found


def _stream_lines(logs: Any, group: str, stream: str) -> list[str] | None:
    lines: list[str] = []
    kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
    try:
        while True:
            page = logs.get_log_events(**kwargs)
            lines.extend(event["message"] for event in page.get("events", []))
            token = page.get("nextForwardToken")
            if not page.get("events") or not token or token == kwargs.get("nextToken"):
                return lines
            kwargs["nextToken"] = token
    except logs.exceptions.ResourceNotFoundException:
        return None


def glue_run_info(glue: Any, job_name: str, run_id: str) -> dict[str, Any] | None:
    """GetJobRun: the run's state, error, time and where its logs go (None if Glue no longer has it)."""
    try:
        run = glue.get_job_run(JobName=job_name, RunId=run_id)["JobRun"]
    except glue.exceptions.EntityNotFoundException:
        return None
    return {"state": run.get("JobRunState"), "errorMessage": run.get("ErrorMessage"), "executionTime": run.get("ExecutionTime"),
            "attempt": run.get("Attempt"), "logGroup": run.get("LogGroupName") or GLUE_LOG_ROOT}


def query_info(athena: Any, query_id: str, rows: int = 20) -> dict[str, Any]:
    """An Athena query's state, reason, statement and first result rows."""
    query = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    status = query.get("Status", {})
    info: dict[str, Any] = {
        "queryExecutionId": query_id, "state": status.get("State"), "reason": status.get("StateChangeReason"),
        "query": query.get("Query"), "database": query.get("QueryExecutionContext", {}).get("Database"),
        "outputLocation": query.get("ResultConfiguration", {}).get("OutputLocation"),
        "dataScannedBytes": query.get("Statistics", {}).get("DataScannedInBytes"),
        "engineMillis": query.get("Statistics", {}).get("EngineExecutionTimeInMillis"), "rows": [],
    }
    if info["state"] == "SUCCEEDED" and query.get("StatementType") in (None, "DML"):
        result = athena.get_query_results(QueryExecutionId=query_id, MaxResults=rows + 1)
        info["rows"] = [[cell.get("VarCharValue", "") for cell in row.get("Data", [])] for row in result["ResultSet"]["Rows"]]
    return info


def build(source: Source, target: str, state: str | None = None, tail: int | None = 200) -> dict[str, Any]:
    logs = source.client("logs")
    if target.startswith("jr_"):
        return {"target": target, "runs": [{"run": {"kind": "glue", "id": target}, "glue": glue_run_logs(logs, target, tail=tail)}]}
    if QUERY_ID.match(target):
        return {"target": target, "runs": [{"run": {"kind": "athena", "id": target}, "athena": query_info(source.client("athena"), target)}]}
    view = execution.load(source.sfn, source.execution_arn(target))
    chosen = _states(view, state)
    tasks = source.in_flight()[0] if any(s.status == RUNNING for s in chosen) else []
    runs = []
    for item in chosen:
        entry: dict[str, Any] = {"state": item.name, "status": item.status, "error": item.error, "cause": item.cause,
                                 "seconds": item.seconds(), "run": item.run}
        if entry["run"] is None and item.status == RUNNING:  # only the runner knows a running job's id
            task = next((t for t in tasks if t.matches(item.task_input) and t.run_id), None)
            if task is not None:
                entry["run"] = {"kind": task.kind, "id": task.run_id, "job": task.run_group or ""}
        run = entry["run"]
        if run and run["kind"] == "glue":
            info = glue_run_info(source.client("glue"), run["job"], run["id"]) if run.get("job") else None
            entry["glue"] = glue_run_logs(logs, run["id"], root=info["logGroup"] if info else GLUE_LOG_ROOT, tail=tail)
            entry["glue"]["run"] = info
        elif run and run["kind"] == "athena":
            entry["athena"] = query_info(source.client("athena"), run["id"])
        runs.append(entry)
    return {"target": target, "executionArn": view.arn, "name": view.name, "status": view.status, "runDate": view.run_date,
            "error": view.error, "cause": view.cause, "runs": runs}


def _states(view: ExecutionView, state: str | None) -> list[StateRun]:
    if state is not None:
        if state not in view.states:
            raise ValueError(f"execution {view.name} has no state {state!r} (states: {', '.join(view.states)})")
        return [view.states[state]]
    if view.status == "RUNNING":
        return view.running_states
    failed = view.failed_state
    if view.status != "SUCCEEDED" and failed is not None:
        return [failed]
    return [s for s in view.states.values() if s.run is not None]


def render(report: dict[str, Any]) -> str:
    lines: list[str] = []
    if "executionArn" in report:
        lines.append(f"{report['name']}  {report['status']}  run date {report['runDate'] or '-'}")
        if report["status"] not in ("SUCCEEDED", "RUNNING"):
            lines.append(f"  error  {report['error'] or '-'}")
            if report["cause"]:
                lines.append(f"  cause  {text.short_cause(report['cause'], 1000)}")
    if not report["runs"]:
        lines.append("  no state of this execution ran a Glue job or an Athena query")
    for entry in report["runs"]:
        lines.append("")
        run = entry.get("run") or {}
        head = f"── {entry['state']} ({entry['status']}, {text.duration(entry.get('seconds'))})" if "state" in entry else f"── {run.get('kind')} {run.get('id')}"
        lines.append(head)
        if entry.get("status") == FAILED and entry.get("error"):
            lines.append(f"   {entry['error']}: {text.short_cause(entry.get('cause'), 1000)}")
        if not run:
            lines.append("   (no Glue run or Athena query behind this state)")
        if "glue" in entry:
            glue = entry["glue"]
            info = glue.get("run") or {}
            lines.append(f"   Glue run {glue['runId']}" + (f" of {run['job']}" if run.get("job") else "")
                         + (f": {info['state']}" if info.get("state") else "") + (f" after {info['executionTime']}s" if info.get("executionTime") is not None else ""))
            for name in ("output", "error"):
                shown, total = glue[name], glue[name + "Lines"]
                more = f", last {len(shown)}" if len(shown) < total else ""
                lines.append(f"   {glue['logGroup']}/{name} ({total} line(s){more}):")
                lines += [f"     {line}" for line in shown] or ["     (empty)"]
        if "athena" in entry:
            query = entry["athena"]
            lines.append(f"   Athena query {query['queryExecutionId']}: {query['state']}" + (f": {query['reason']}" if query.get("reason") else ""))
            if query.get("query"):
                lines.append("   " + " ".join(query["query"].split())[:300])
            if query["rows"]:
                lines += text.table(query["rows"], indent="     ")
            if query.get("outputLocation"):
                lines.append(f"   result: {query['outputLocation']}")
    return "\n".join(lines)
