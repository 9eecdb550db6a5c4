"""The console's HTML pages, rendered on the server from the same reports the
commands print (status, history, logs) and the execution view. No script:
a running execution's page reloads itself (meta refresh). Every value is
escaped; task tokens are never part of any report."""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from typing import Any, Iterable
from urllib.parse import urlencode

from . import text
from .execution import NOT_REACHED, ExecutionView, StateRun
from .svg import COLOURS

STYLE = """
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 0; color: #263238; background: #fafafa; font-size: 14px; }
header { background: #263238; color: #eceff1; padding: 10px 20px; display: flex; gap: 24px; align-items: baseline; }
header a { color: #eceff1; text-decoration: none; font-weight: bold; }
header .where { color: #90a4ae; font-size: 12px; }
main { padding: 16px 20px; }
h1 { font-size: 20px; margin: 4px 0 12px; } h2 { font-size: 16px; margin: 22px 0 8px; }
table { border-collapse: collapse; background: #fff; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #eceff1; vertical-align: top; }
th { font-size: 12px; color: #607d8b; text-transform: uppercase; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: bold; border: 1.5px solid; }
.error { background: #ffebee; border-left: 4px solid #c62828; padding: 8px 12px; margin: 8px 0; white-space: pre-wrap; }
.columns { display: flex; flex-wrap: wrap; gap: 20px; align-items: flex-start; }
.graph { background: #fff; border: 1px solid #eceff1; margin: 8px 0; flex: 1 1 560px; max-width: fit-content; }
.graph svg { max-width: 100%; height: auto; display: block; }
.side { flex: 1 1 440px; min-width: 0; overflow-x: auto; } .side h2 { margin-top: 8px; }
table.states { width: 100%; } table.states td { white-space: nowrap; } table.states td:first-child { white-space: normal; }
table.states td:last-child { white-space: normal; }
pre { background: #f5f5f5; padding: 8px; margin: 4px 0; max-height: 360px; overflow: auto; white-space: pre-wrap; word-break: break-all; font-size: 12px; }
.muted { color: #90a4ae; } .small { font-size: 12px; }
details summary { cursor: pointer; color: #37474f; }
"""
EXECUTION_COLOURS = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "failed", "ABORTED": "cancelled", "RUNNING": "running"}


def page(title: str, body: str, where: str, refresh: float | None = None) -> str:
    meta = f"<meta http-equiv='refresh' content='{refresh:g}'>" if refresh else ""
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>{meta}<title>{escape(title)} · etl-runner</title>"
            f"<style>{STYLE}</style></head><body><header><a href='/'>etl-runner console</a><span class='where'>{escape(where)} · read-only</span></header>"
            f"<main>{body}</main></body></html>")


def link(path: str, label: str, **query: str) -> str:
    href = path + ("?" + urlencode(query) if query else "")
    return f"<a href='{escape(href, quote=True)}'>{escape(label)}</a>"


def badge(status: str) -> str:
    """A state status (succeeded...) or an execution status (SUCCEEDED...), coloured as in the graph."""
    key = EXECUTION_COLOURS.get(status, status)
    fill, stroke, ink = COLOURS.get(key, COLOURS[NOT_REACHED])
    background = "#eeeeee" if fill.startswith("url(") else fill
    return f"<span class='status' data-status='{escape(status, quote=True)}' style='background:{background};border-color:{stroke};color:{ink}'>{escape(status)}</span>"


def rows_table(header: list[str], rows: Iterable[list[str]], css: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table class='{css}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# -- pages ------------------------------------------------------------------------------------------
def home(report: dict[str, Any], refresh: float) -> str:
    rows = []
    for item in report["pipelines"]:
        latest = item["latest"] or {}
        execution = link("/execution", latest["name"], arn=latest["executionArn"]) if latest else "<span class='muted'>never run</span>"
        rows.append([link("/pipeline", item["pipeline"], name=item["stateMachineArn"]), escape(item["stateMachine"]),
                     badge(latest["status"]) if latest else "", escape(latest.get("runDate") or "-"), execution,
                     escape(text.when(latest.get("started"))), escape(text.duration(latest.get("seconds"))), str(item["runningCount"])])
    body = ["<h1>Pipelines</h1>"]
    body.append(rows_table(["pipeline", "state machine", "latest", "run date", "execution", "started", "duration", "running"], rows, "pipelines")
                if rows else "<p class='muted'>No pipelines found (a local deployment: start the console with --prefix; every state machine: --all).</p>")
    body.append("<h2>Running now</h2>")
    running = []
    for item in report["running"]:
        states = ", ".join(f"{escape(s['state'])} ({escape(text.duration(s['seconds']))})" for s in item["states"])
        running.append([escape(item["pipeline"]), link("/execution", item["name"], arn=item["executionArn"]), escape(item["runDate"] or "-"),
                        escape(text.duration(item["seconds"])), states])
    body.append(rows_table(["pipeline", "execution", "run date", "running for", "states"], running) if running else "<p class='muted'>Nothing.</p>")
    body.append("<h2>Failed recently</h2>")
    failed = []
    for item in report["failed"]:
        failed.append([escape(item["pipeline"]), link("/execution", item["name"], arn=item["executionArn"]), escape(item["runDate"] or "-"),
                       badge(item["status"]), escape(item["failedState"] or "-"),
                       f"<b>{escape(item['error'] or '')}</b> {escape(text.short_cause(item['cause']))}"])
    body.append(rows_table(["pipeline", "execution", "run date", "status", "failed state", "error"], failed) if failed else "<p class='muted'>Nothing.</p>")
    tasks = report["runnerTasks"]
    body.append("<h2>Runner tasks in flight</h2>")
    body.append(rows_table(["kind", "phase", "job / query", "run", "received"],
                           ([escape(t["kind"]), escape(t["phase"]), escape(t["label"] or "-"), escape(t["runId"] or "-"), escape(text.when(t["receivedAt"]))] for t in tasks))
                if tasks else "<p class='muted'>None.</p>")
    return page("Pipelines", "".join(body), report["where"], refresh if report["running"] else None)


def pipeline(report: dict[str, Any]) -> str:
    rows = []
    for item in report["executions"]:
        failed = f"{escape(item['failedState'] or '')}: {escape(item['error'] or '')}" if item["status"] not in ("SUCCEEDED", "RUNNING") else ""
        rows.append([escape(item["runDate"] or "-"), badge(item["status"]), link("/execution", item["name"], arn=item["executionArn"]),
                     escape(text.when(item["started"])), escape(text.duration(item["seconds"])), failed])
    body = (f"<h1>{escape(report['pipeline'])}</h1><p class='muted'>state machine {escape(report['stateMachine'])}</p>"
            + (rows_table(["run date", "status", "execution", "started", "duration", "failed"], rows, "executions") if rows else "<p class='muted'>No executions yet.</p>"))
    return page(report["pipeline"], body, report["where"])


def execution(view: ExecutionView, graph_svg: str, where: str, refresh: float, now: datetime | None = None) -> str:
    running = view.status == "RUNNING"
    failed = view.failed_state
    body = [f"<h1>{escape(view.name)} {badge(view.status)}</h1>",
            "<p>" + " · ".join(escape(x) for x in (
                f"run date {view.run_date or '-'}", f"started {text.when(view.started)}",
                f"stopped {text.when(view.stopped)}" if view.stopped else "running", f"duration {text.duration(view.seconds(now))}")) + "</p>"]
    if view.status not in ("SUCCEEDED", "RUNNING"):
        error = (failed.error if failed and failed.error else view.error) or view.status
        cause = (failed.cause if failed and failed.cause else view.cause) or ""
        body.append(f"<div class='error' id='failure'><b>{escape(failed.name if failed else 'execution')}</b> failed: "
                    f"<b class='error-name'>{escape(error)}</b>\n{escape(text.short_cause(cause, 2000))}</div>")
    if running:
        body.append(f"<p class='small muted'>live: this page reloads every {refresh:g}s while the execution runs</p>")
    states = rows_table(["state", "status", "time", "logs", "error"],
                        (_state_row(view, s, now) for s in view.states.values()), "states")
    body.append(f"<div class='columns'><div class='graph' id='graph'>{graph_svg}</div><div class='side'><h2>States</h2>{states}</div></div>")
    body.append("<h2>Input and output</h2>")
    body.append(_io("execution input", view.input) + _io("execution output", view.output))
    for state in view.states.values():
        if state.status != NOT_REACHED:
            body.append(f"<details class='state-io' data-state='{escape(state.name, quote=True)}'><summary>{escape(state.name)}</summary>"
                        + _io("input", state.input) + _io("task input", state.task_input) + _io("task result", state.result)
                        + _io("output", state.output) + "</details>")
    return page(view.name, "".join(body), where, refresh if running else None)


def _state_row(view: ExecutionView, state: StateRun, now: datetime | None) -> list[str]:
    name = "&nbsp;&nbsp;" * state.depth * 2 + escape(state.name)
    leaf = state.type not in ("Parallel", "Map", "Fail")  # a Parallel or the Fail state only repeats its failed state's error
    run = state.run if leaf else None
    job = link("/logs", "Glue run" if run["kind"] == "glue" else "query", arn=view.arn, state=state.name).replace("<a ", f"<a title='{escape(run['id'], quote=True)}' ", 1) if run else (
        link("/logs", "logs", arn=view.arn, state=state.name) if state.status == "running" and state.attempts else "")
    error = (f"<b class='error-name' title='{escape(text.short_cause(state.cause, 1000), quote=True)}'>{escape(state.error)}</b>"
             if state.error and state.status == "failed" and leaf else "")
    entered = f"entered {text.when(state.entered)} UTC" + (f", {state.attempts} attempts" if state.attempts > 1 else "") if state.entered else ""
    time = f"<span title='{escape(entered, quote=True)}'>{escape(text.duration(state.seconds(now)))}</span>" if state.entered else ""
    if state.attempts > 1:
        time += f" <span class='small muted'>×{state.attempts}</span>"
    return [f"<span data-state='{escape(state.name, quote=True)}'>{name}</span>", badge(state.status), time, job, error]


def _io(label: str, value: str | None) -> str:
    if not value:
        return ""
    try:
        value = json.dumps(json.loads(value), indent=2)
    except (TypeError, json.JSONDecodeError):
        pass
    return f"<div class='small'><b>{escape(label)}</b><pre>{escape(value[:20000])}</pre></div>"


def logs(report: dict[str, Any], where: str) -> str:
    body = []
    if "executionArn" in report:
        body.append(f"<h1>Logs of {link('/execution', report['name'], arn=report['executionArn'])} {badge(report['status'])}</h1>")
    else:
        body.append(f"<h1>Logs of {escape(report['target'])}</h1>")
    for entry in report["runs"]:
        run = entry.get("run") or {}
        title = entry.get("state") or f"{run.get('kind')} {run.get('id')}"
        body.append(f"<h2>{escape(title)} {badge(entry['status']) if 'status' in entry else ''}</h2>")
        if entry.get("error") and entry.get("status") == "failed":
            body.append(f"<div class='error'><b>{escape(entry['error'])}</b>\n{escape(text.short_cause(entry.get('cause'), 2000))}</div>")
        if not run:
            body.append("<p class='muted'>No Glue run or Athena query behind this state.</p>")
        if "glue" in entry:
            glue = entry["glue"]
            body.append(f"<p>Glue run <code>{escape(glue['runId'])}</code> {escape(run.get('job') or '')}</p>")
            for name in ("output", "error"):
                body.append(f"<div class='small'><b>{escape(glue['logGroup'])}/{name}</b> ({glue[name + 'Lines']} lines)"
                            f"<pre class='log log-{name}'>{escape(chr(10).join(glue[name])) or '(empty)'}</pre></div>")
        if "athena" in entry:
            query = entry["athena"]
            body.append(f"<p>Athena query <code>{escape(query['queryExecutionId'])}</code> {badge(query['state'] or '')} {escape(query.get('reason') or '')}</p>")
            if query.get("query"):
                body.append(f"<pre>{escape(query['query'])}</pre>")
            if query["rows"]:
                header, *rows = query["rows"]
                body.append(rows_table(header, ([escape(c) for c in row] for row in rows), "query-result"))
            if query.get("outputLocation"):
                body.append(f"<p class='small muted'>result: {escape(query['outputLocation'])}</p>")
    if not report["runs"]:
        body.append("<p class='muted'>No state of this execution ran a Glue job or an Athena query.</p>")
    return page("Logs", "".join(body), where)


def problem(status: int, message: str, where: str) -> str:
    return page("Problem", f"<h1>{status}</h1><div class='error'>{escape(message)}</div><p>{link('/', 'back to the pipelines')}</p>", where)
