"""`etl-runner status`: every pipeline with its latest execution, what runs now
(each running state, for how long, and the Glue run or query behind it), what
failed recently (the failed state, its error and cause), and the tasks the
runners hold."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from . import execution, text
from .execution import ExecutionView
from .source import Source
from .tasks import InFlightTask

FAILED_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")


def build(source: Source, recent: int = 5, now: datetime | None = None) -> dict[str, Any]:
    """The report as data (what --json prints)."""
    now = now or datetime.now(timezone.utc)
    sfn = source.sfn
    tasks, missing_tables = source.in_flight()
    report: dict[str, Any] = {"where": source.where, "at": now.isoformat(), "pipelines": [], "running": [], "failed": [],
                              "runnerTasks": [t.to_json() for t in tasks], "missingTables": missing_tables}
    for pipeline in source.pipelines():
        listed = sfn.list_executions(stateMachineArn=pipeline.state_machine_arn, maxResults=recent).get("executions", [])
        running = _running(sfn, pipeline.state_machine_arn)
        latest = None
        if listed:
            described = sfn.describe_execution(executionArn=listed[0]["executionArn"])
            latest = _execution_summary(described, now)
        report["pipelines"].append({"pipeline": pipeline.name, "stateMachine": pipeline.state_machine_name,
                                    "stateMachineArn": pipeline.state_machine_arn, "latest": latest, "runningCount": len(running)})
        for item in running:
            view = execution.load(sfn, item["executionArn"])
            report["running"].append(_running_entry(pipeline.name, view, tasks, now))
        for item in listed:
            if item["status"] in FAILED_STATUSES:
                view = execution.load(sfn, item["executionArn"])
                report["failed"].append(_failed_entry(pipeline.name, view, now))
    return report


def _running(sfn: Any, arn: str) -> list[dict[str, Any]]:
    """Every running execution (not only among the latest few)."""
    running: list[dict[str, Any]] = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn, statusFilter="RUNNING"):
        running.extend(page["executions"])
    return running


def _execution_summary(described: dict[str, Any], now: datetime) -> dict[str, Any]:
    started, stopped = described["startDate"], described.get("stopDate")
    return {"executionArn": described["executionArn"], "name": described["name"], "status": described["status"],
            "runDate": execution.run_date_of(described.get("input")), "started": started.isoformat(),
            "stopped": stopped.isoformat() if stopped else None, "seconds": round(((stopped or now) - started).total_seconds(), 3)}


def _running_entry(pipeline: str, view: ExecutionView, tasks: list[InFlightTask], now: datetime) -> dict[str, Any]:
    states = []
    for state in view.running_states:
        entry: dict[str, Any] = {"state": state.name, "seconds": round(state.seconds(now) or 0.0, 3), "attempt": state.attempts}
        task = next((t for t in tasks if t.matches(state.task_input)), None)
        if task is not None:
            entry["task"] = {"kind": task.kind, "phase": task.phase, "runId": task.run_id, "runGroup": task.run_group}
        states.append(entry)
    return {"pipeline": pipeline, "executionArn": view.arn, "name": view.name, "runDate": view.run_date,
            "seconds": round(view.seconds(now), 3), "states": states}


def _failed_entry(pipeline: str, view: ExecutionView, now: datetime) -> dict[str, Any]:
    failed = view.failed_state
    return {"pipeline": pipeline, "executionArn": view.arn, "name": view.name, "runDate": view.run_date, "status": view.status,
            "stopped": view.stopped.isoformat() if view.stopped else None, "failedState": failed.name if failed else None,
            "error": (failed.error if failed and failed.error else view.error), "cause": (failed.cause if failed and failed.cause else view.cause),
            "cancelled": [s.name for s in view.states.values() if s.status == execution.CANCELLED],
            "run": failed.run if failed else None}


def render(report: dict[str, Any]) -> str:
    lines = [f"Pipelines ({report['where']})"]
    if not report["pipelines"]:
        lines.append("  none found (a local run: pass --prefix; to list every state machine: --all)")
    rows = [["PIPELINE", "STATE MACHINE", "LATEST", "RUN DATE", "STARTED", "DURATION", "RUNNING"]]
    for item in report["pipelines"]:
        latest = item["latest"] or {}
        mark = text.EXECUTION_MARKS.get(latest.get("status", ""), "")
        rows.append([item["pipeline"], item["stateMachine"], f"{mark} {latest.get('status', 'never run')}".strip(),
                     latest.get("runDate") or "-", text.when(latest.get("started")), text.duration(latest.get("seconds")),
                     str(item["runningCount"])])
    if report["pipelines"]:
        lines += text.table(rows)

    lines.append("")
    lines.append("Running now" + ("" if report["running"] else ": nothing"))
    for item in report["running"]:
        lines.append(f"  ▶ {item['pipeline']}  {item['name']}  run date {item['runDate'] or '-'}  running for {text.duration(item['seconds'])}")
        for state in item["states"]:
            task = state.get("task") or {}
            run = f"  {task['kind']} {task['phase'].lower()}" + (f" {task['runId']}" if task.get("runId") else "") if task else ""
            retry = f"  attempt {state['attempt']}" if state["attempt"] > 1 else ""
            lines.append(f"      {state['state']}  {text.duration(state['seconds'])}{retry}{run}")

    lines.append("")
    lines.append("Failed recently" + ("" if report["failed"] else ": nothing"))
    for item in report["failed"]:
        lines.append(f"  ✗ {item['pipeline']}  {item['name']}  run date {item['runDate'] or '-'}  {item['status']} at {text.when(item['stopped'])}")
        lines.append(f"      failed state  {item['failedState'] or '-'}")
        lines.append(f"      error         {item['error'] or '-'}")
        if item["cause"]:
            lines.append(f"      cause         {text.short_cause(item['cause'])}")
        if item["cancelled"]:
            lines.append(f"      cancelled     {', '.join(item['cancelled'])}")
        lines.append(f"      logs          etl-runner logs {item['executionArn']}")

    lines.append("")
    tasks = report["runnerTasks"]
    lines.append("Runner tasks in flight" + ("" if tasks else ": none"))
    if tasks:
        rows = [["KIND", "PHASE", "JOB / QUERY", "RUN", "RECEIVED"]]
        for task in tasks:
            rows.append([task["kind"], task["phase"], task["label"] or "-", task["runId"] or "-", text.when(task["receivedAt"])])
        lines += text.table(rows)
    if report["missingTables"]:
        lines.append(f"  (no table {', '.join(report['missingTables'])}: set ETL_<KIND>_TABLE, or --prefix for a local deployment)")
    return "\n".join(lines)
