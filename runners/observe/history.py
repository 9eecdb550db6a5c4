"""`etl-runner history PIPELINE`: a pipeline's executions, newest first, with
run date, status, duration and every reached state's status and timing."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from . import execution, text
from .source import Source


def build(source: Source, pipeline_name: str, limit: int = 10, status: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(timezone.utc)
    pipeline = source.pipeline(pipeline_name)
    sfn = source.sfn
    kwargs: dict[str, Any] = {"stateMachineArn": pipeline.state_machine_arn}
    if status:
        kwargs["statusFilter"] = status
    listed: list[dict[str, Any]] = []
    for page in sfn.get_paginator("list_executions").paginate(**kwargs, PaginationConfig={"MaxItems": limit}):
        listed.extend(page["executions"])
    executions = []
    for item in listed[:limit]:
        view = execution.load(sfn, item["executionArn"])
        data = view.to_json(now, with_states=False)
        data["states"] = [_timing(s.to_json(now)) for s in view.states.values() if s.status != execution.NOT_REACHED]
        executions.append(data)
    return {"where": source.where, "pipeline": pipeline.name, "stateMachine": pipeline.state_machine_name,
            "stateMachineArn": pipeline.state_machine_arn, "executions": executions}


def _timing(state: dict[str, Any]) -> dict[str, Any]:
    """A state's timing and outcome, without its (possibly large) input and output."""
    return {k: state[k] for k in ("name", "type", "depth", "status", "entered", "exited", "seconds", "attempts", "error", "cause", "run")}


def render(report: dict[str, Any]) -> str:
    executions = report["executions"]
    lines = [f"{report['pipeline']} (state machine {report['stateMachine']}, {report['where']}): "
             f"{len(executions)} execution(s), newest first"]
    if not executions:
        return "\n".join(lines)
    for item in executions:
        mark = text.EXECUTION_MARKS.get(item["status"], " ")
        lines.append("")
        lines.append(f"{mark} {item['runDate'] or '-':<10}  {item['status']:<9}  started {text.when(item['started'])}  "
                     f"{text.duration(item['seconds']):>8}  {item['name']}")
        if item["status"] != "SUCCEEDED" and item["status"] != "RUNNING":
            where = f" in {item['failedState']}" if item["failedState"] else ""
            lines.append(f"    {item['error'] or item['status']}{where}: {text.short_cause(item['cause'], 200)}")
        rows = []
        for state in item["states"]:
            name = "  " * state["depth"] + f"{text.MARKS.get(state['status'], ' ')} {state['name']}"
            detail = (state["error"] + ": " + text.short_cause(state["cause"], 120)
                      if state["status"] == "failed" and state["error"] and state["type"] not in ("Parallel", "Map", "Fail") else "")
            retries = f"{state['attempts']} attempts" if state["attempts"] > 1 else ""
            rows.append([name, state["status"], text.duration(state["seconds"]), retries, detail])
        lines += text.table(rows, indent="    ")
    return "\n".join(lines)
