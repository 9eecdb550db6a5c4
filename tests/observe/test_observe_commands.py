"""`etl-runner status|history|logs|graph` against the embedded AWS, after a
successful, a slow (seen running) and a failed run of a cheap pipeline."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from observe_support import FAIL_DATE, OK_DATE, SLOW_DATE, SLOW_SECONDS
from runners.cli import main
from runners.observe import execution, svg

SVG = "{http://www.w3.org/2000/svg}"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys, *argv: str) -> dict:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_status_shows_each_pipeline_with_its_latest_execution(observed, capsys):
    report = run_json(capsys, "status", "--prefix", observed.prefix)
    (pipeline,) = report["pipelines"]
    assert pipeline["pipeline"] == observed.pipeline and pipeline["stateMachineArn"] == observed.state_machine_arn
    assert (pipeline["latest"]["status"], pipeline["latest"]["runDate"], pipeline["runningCount"]) == ("FAILED", FAIL_DATE, 0)
    assert report["running"] == [] and report["missingTables"] == []
    # The cancelled branch's Glue run may still be asleep: its runner holds the task until the run ends.
    assert all(t["label"].endswith("WaitABit") for t in report["runnerTasks"])


def test_status_names_the_failed_state_its_error_its_cause_and_what_was_cancelled(observed, capsys):
    report = run_json(capsys, "status", "--prefix", observed.prefix)
    (failed,) = report["failed"]
    assert (failed["executionArn"], failed["runDate"], failed["failedState"], failed["error"]) == (observed.failed, FAIL_DATE, "Say Hello", "GlueJobFailedError")
    assert "no data for 2026-01-02" in failed["cause"] and "Wait A Bit" in failed["cancelled"]
    assert set(failed["cancelled"]) <= {"Wait A Bit", "Create Database", "Count Things"}  # the quick ones may have finished first
    assert failed["run"]["kind"] == "glue" and failed["run"]["id"].startswith("jr_")

    code, text, _ = run(capsys, "status", "--prefix", observed.prefix)
    assert code == 0
    assert "✗ FAILED" in text and "failed state  Say Hello" in text and "error         GlueJobFailedError" in text
    assert "cause         no data for 2026-01-02" in text and "cancelled     " in text and "Wait A Bit" in text.split("cancelled     ")[1].splitlines()[0]
    assert f"etl-runner logs {observed.failed}" in text


def test_status_while_running_shows_the_running_state_for_how_long_and_its_glue_run(observed):
    report = observed.running_status
    (running,) = report["running"]
    assert (running["executionArn"], running["runDate"]) == (observed.slow, SLOW_DATE)
    (state,) = running["states"]
    assert state["state"] == "Wait A Bit" and state["seconds"] > 0
    assert state["task"]["kind"] == "glue" and state["task"]["phase"] == "RUNNING" and state["task"]["runId"].startswith("jr_")
    (task,) = [t for t in report["runnerTasks"] if t["kind"] == "glue"]
    assert task["label"].endswith("WaitABit") and task["runId"] == state["task"]["runId"]
    assert not any("token" in key.lower() for t in report["runnerTasks"] for key in t)  # task tokens are credentials


def test_history_lists_executions_newest_first_with_run_date_status_and_state_timings(observed, capsys):
    report = run_json(capsys, "history", observed.pipeline, "--prefix", observed.prefix)
    executions = report["executions"]
    assert [(e["runDate"], e["status"]) for e in executions] == [(FAIL_DATE, "FAILED"), (SLOW_DATE, "SUCCEEDED"), (OK_DATE, "SUCCEEDED")]
    slow = {s["name"]: s for s in executions[1]["states"]}
    assert slow["Wait A Bit"]["seconds"] >= SLOW_SECONDS - 0.5 and slow["Wait A Bit"]["status"] == "succeeded"
    assert executions[1]["seconds"] >= slow["Wait A Bit"]["seconds"]
    failed = {s["name"]: s["status"] for s in executions[0]["states"]}
    assert failed["Say Hello"] == "failed" and failed["Wait A Bit"] == "cancelled" and "Summarise" not in failed  # not reached: not listed
    assert executions[0]["failedState"] == "Say Hello"

    only_failed = run_json(capsys, "history", observed.pipeline, "--prefix", observed.prefix, "--status", "FAILED")
    assert [e["executionArn"] for e in only_failed["executions"]] == [observed.failed]

    code, text, _ = run(capsys, "history", observed.pipeline, "--prefix", observed.prefix, "--limit", "2")
    assert code == 0 and "2 execution(s)" in text
    assert f"✗ {FAIL_DATE}  FAILED" in text and "GlueJobFailedError in Say Hello: no data for 2026-01-02" in text
    assert "⊘ Wait A Bit" in text and f"✓ {SLOW_DATE}  SUCCEEDED" in text


def test_logs_of_a_failed_execution_show_its_error_and_the_failed_jobs_driver_output(observed, capsys):
    code, text, _ = run(capsys, "logs", observed.pipeline, "--prefix", observed.prefix)  # the latest execution
    assert code == 0
    assert f"failed-{FAIL_DATE}  FAILED  run date {FAIL_DATE}" in text and "error  GlueJobFailedError" in text
    assert "── Say Hello (failed" in text and "-SayHello: FAILED" in text
    output, error = text.split("/aws-glue/jobs/output", 1)[1].split("/aws-glue/jobs/error", 1)
    assert f"hello from glue for {FAIL_DATE}" in output and f"no data for {FAIL_DATE}" in error


def test_logs_by_state_and_by_run_id_and_query_results(observed, capsys):
    target = f"{observed.pipeline}/ok-{OK_DATE}"
    report = run_json(capsys, "logs", target, "--prefix", observed.prefix, "--state", "Say Hello")
    (entry,) = report["runs"]
    assert entry["glue"]["output"] == [f"hello from glue for {OK_DATE}"] and entry["glue"]["error"] == []
    assert entry["glue"]["run"]["state"] == "SUCCEEDED" and entry["glue"]["logGroup"] == "/aws-glue/jobs"  # GetJobRun's LogGroupName
    by_id = run_json(capsys, "logs", entry["run"]["id"])
    assert by_id["runs"][0]["glue"]["output"] == entry["glue"]["output"]

    query = run_json(capsys, "logs", target, "--prefix", observed.prefix, "--state", "Summarise")["runs"][0]
    assert query["athena"]["state"] == "SUCCEEDED" and query["athena"]["rows"] == [["one"], ["1"]]
    assert run_json(capsys, "logs", query["run"]["id"])["runs"][0]["athena"]["query"].strip() == "SELECT 1 AS one"

    every = run_json(capsys, "logs", target, "--prefix", observed.prefix)  # a success: every state that ran a job or query
    assert {"Say Hello", "Wait A Bit", "Count Things", "Summarise"} <= {r["state"] for r in every["runs"]}


def shapes(picture: str) -> dict[str, tuple[str, str, str, str]]:
    """state -> (data-status, data-type, fill, stroke) of its shape."""
    root = ET.fromstring(picture)
    found = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "state":
            rect = group.find(f"{SVG}rect")
            found[group.get("data-state")] = (group.get("data-status"), group.get("data-type"), rect.get("fill"), rect.get("stroke"))
    return found


def expect(picture: str, wanted: dict[str, str]) -> None:
    """Each state has the status and colours wanted (a Parallel: its outline; a state: its fill too)."""
    found = shapes(picture)
    for name, status in wanted.items():
        found_status, kind, fill, stroke = found[name]
        fill_wanted, stroke_wanted, _ = svg.COLOURS[status]
        assert (found_status, stroke) == (status, stroke_wanted), name
        assert kind == "Parallel" or fill == fill_wanted, name


def parallel_of(observed) -> str:
    view = execution.load(observed.source.sfn, observed.ok)
    (name,) = [s.name for s in view.states.values() if s.type == "Parallel"]
    return name


def test_graph_of_a_successful_execution_colours_the_path_taken_green(observed, capsys, tmp_path):
    out = tmp_path / "ok.svg"
    code, text, _ = run(capsys, "graph", observed.ok, "--out", str(out))
    assert code == 0 and f"wrote {out}" in text
    expect(out.read_text(), {parallel_of(observed): "succeeded", "Say Hello": "succeeded", "Wait A Bit": "succeeded", "Count Things": "succeeded",
                             "Summarise": "succeeded", "Pipeline Succeeded": "succeeded", "Run Date From Schedule": "not reached"})


def test_graph_of_a_failed_execution_shows_failed_cancelled_and_not_reached(observed, capsys):
    code, picture, _ = run(capsys, "graph", f"{observed.pipeline}/failed-{FAIL_DATE}", "--prefix", observed.prefix)
    assert code == 0
    expect(picture, {parallel_of(observed): "failed", "Say Hello": "failed", "Wait A Bit": "cancelled", "Summarise": "not reached", "Pipeline Succeeded": "not reached"})
    assert "GlueJobFailedError" in picture


def test_graph_of_a_running_execution_shows_the_running_state_blue(observed):
    expect(svg.render(observed.running_view), {"Wait A Bit": "running", "Say Hello": "succeeded", "Summarise": "not reached"})


def test_unknown_names_are_one_line_errors(observed, capsys):
    code, _, err = run(capsys, "history", "no-such-pipeline", "--prefix", observed.prefix)
    assert code == 2 and "no pipeline 'no-such-pipeline'" in err and "Traceback" not in err
    code, _, err = run(capsys, "logs", observed.failed + "-nope")
    assert code == 1 and "ExecutionDoesNotExist" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "logs", observed.failed, "--state", "No Such State")
    assert code == 2 and "has no state 'No Such State'" in err
    code, _, err = run(capsys, "graph", observed.failed, "--out", "graph.png")
    assert code == 2 and "the graph is SVG" in err


@pytest.mark.parametrize("command", ["status", "history", "logs", "graph", "console"])
def test_every_observe_command_explains_itself_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert "example" in capsys.readouterr().out
