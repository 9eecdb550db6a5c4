"""The sample's state machine, rendered from pipelines/sales_marketing.yaml:
fully parameterised, safe by construction."""

import json

import pytest

from support import make_state_machine, start, wait_execution
from runners.definition import placeholders, render
from runners.pipelines import SAMPLE_PIPELINE, load_pipeline
from runners.pipelines.asl import render_state_machine

TEXT = render_state_machine(load_pipeline(SAMPLE_PIPELINE)).text
DEFINITION = json.loads(TEXT)


def all_states(states):
    for name, state in states.items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from all_states(branch["States"])


def test_every_task_has_timeouts_and_the_execution_cannot_hang():
    assert DEFINITION["TimeoutSeconds"] <= 3 * 24 * 3600
    tasks = [(n, s) for n, s in all_states(DEFINITION["States"]) if s["Type"] == "Task"]
    assert len(tasks) == 11  # 2 waits, 3 jobs, database + 2 tables, partitions, query, INSERT INTO
    for name, state in tasks:
        assert state.get("TimeoutSeconds"), name
        if "activity" in state["Resource"] or state["Resource"].startswith("${"):
            assert state.get("HeartbeatSeconds"), name
            assert any("States.Timeout" in r["ErrorEquals"] for r in state.get("Retry", [])), name


def test_a_step_error_is_not_caught_so_a_redrive_resumes_at_that_step():
    # A Catch to a Fail state would make the Fail state the execution's failed
    # step; uncaught, the execution ends FAILED with the step's own error.
    assert not [name for name, state in all_states(DEFINITION["States"]) if state.get("Catch")]
    assert [name for name, state in all_states(DEFINITION["States"]) if state["Type"] == "Fail"] == ["Invalid Run Date"]


def test_render_fills_every_placeholder_and_refuses_gaps():
    text = TEXT
    names = placeholders(text)
    assert {"DataBucket", "GlueRunnerActivityArn", "AthenaRunnerActivityArn", "WaitForDataActivityArn"} <= names
    rendered = json.loads(render(text, {n: f"value-of-{n}" for n in names}))
    assert "${" not in json.dumps(rendered)
    with pytest.raises(ValueError, match="DataBucket"):
        render(text, {n: "x" for n in names - {"DataBucket"}})
    with pytest.raises(ValueError, match="Typo"):
        render(text, {**{n: "x" for n in names}, "Typo": "x"})


@pytest.mark.parametrize(
    "execution_input, run_date",
    [({"scheduledTime": "2026-11-16T06:00:00Z"}, "2026-11-16"), ({"runDate": "2026-11-09"}, "2026-11-09")],
)
def test_run_date_comes_from_the_input_or_the_schedule(aws, execution_input, run_date):
    result = wait_execution(start(make_state_machine(_run_date_probe()), execution_input))
    assert json.loads(result["output"])["runDate"] == run_date


def _run_date_probe():
    states = DEFINITION["States"]
    return {
        "StartAt": "Resolve Run Date",
        "States": {
            **{name: states[name] for name in ("Resolve Run Date", "Run Date From Schedule", "Check Run Date", "Invalid Run Date")},
            "Parallel 1": {"Type": "Pass", "End": True},
        },
    }


@pytest.mark.parametrize("run_date", ["2026-13-45", "30/11/2026", "2026-02-29", "2026-1-5", "", 20261130])
def test_the_state_machine_itself_refuses_a_date_that_is_not_a_calendar_date(aws, run_date):
    result = wait_execution(start(make_state_machine(_run_date_probe()), {"runDate": run_date}))
    assert result["status"] == "FAILED" and result["error"] == "InvalidRunDate"
    assert "YYYY-MM-DD" in result["cause"]


@pytest.mark.parametrize("run_date", ["2024-02-29", "2000-02-29", "2026-12-31"])
def test_real_calendar_dates_pass_the_check(aws, run_date):
    result = wait_execution(start(make_state_machine(_run_date_probe()), {"runDate": run_date}))
    assert result["status"] == "SUCCEEDED"
