"""`etl-runner demo`, the main job, as a user runs it: success and the failure path."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e
MARKETING_BRANCH = ("Wait For Marketing Data", "Process Marketing Data")


def run_demo(tmp_path, *args):
    summary = tmp_path / "summary.json"
    result = subprocess.run(
        [sys.executable, "-m", "runners.cli", "demo", "--rows", "3000", "--pause", "0.5", "--summary-json", str(summary), *args],
        capture_output=True, text=True, timeout=600,
    )
    return result, json.loads(summary.read_text())


def test_demo_runs_the_pipeline_and_exports_outputs(tmp_path):
    out = tmp_path / "out"
    result, summary = run_demo(tmp_path, "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary["status"] == "SUCCEEDED"
    assert "Summary" in result.stdout and "query result (first rows)" in result.stdout
    assert summary["wallSeconds"] >= summary["jobSeconds"] > 0 and summary["orchestrationOverheadSeconds"] >= 0
    assert {"Process Sales Data", "Join Marketing And Sales Data", "Query Revenue And Visits By Month"} <= set(summary["states"])
    assert len(summary["jobRuns"]) == 3 and all(r["JobRunState"] == "SUCCEEDED" for r in summary["jobRuns"].values())
    assert summary["queryRows"][0][0] == "month" and len(summary["queryRows"]) > 1
    assert list((out / "joined").glob("*.parquet")) and (out / "queryResult.csv").read_text().startswith('"month"')


def test_demo_with_a_broken_input_ends_failed_with_the_cause(tmp_path):
    result, summary = run_demo(tmp_path, "--break", "marketing")
    assert result.returncode == 1
    assert summary["status"] == "FAILED" and summary["error"] == "GlueJobFailedError"
    assert "ProcessMarketingData" in summary["cause"]
    assert "error" in result.stdout


def test_a_failed_demo_is_told_in_a_few_readable_lines(tmp_path):
    """The failed state named with its error, the cancelled branch marked, no
    emulator internals, and at most 15 lines from the failure to the summary;
    the JSON summary's states are data."""
    # The marketing file lands 2.5 s after the sales file, so its branch is
    # still waiting or running when the sales job fails (both jobs start
    # Spark: with the files together they could end in either order).
    result, summary = run_demo(tmp_path, "--break", "sales", "--pause", "2.5")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    failed = next(i for i, line in enumerate(lines) if "✗ Process Sales Data failed: GlueJobFailedError" in line)
    summary_at = lines.index("Summary")
    assert summary_at - failed <= 15, "\n".join(lines[failed:summary_at])
    assert any(f"⊘ {state} cancelled" in line for line in lines for state in MARKETING_BRANCH), "the other branch is marked cancelled"
    for internal in ("Exception=", "RetrierDecl", "FailureEventException", "Traceback", '"event":'):
        assert internal not in result.stdout + result.stderr
    states = summary["states"]
    assert states["Process Sales Data"]["status"] == "failed" and states["Process Sales Data"]["error"] == "GlueJobFailedError"
    assert "cancelled" in {states[state]["status"] for state in MARKETING_BRANCH}
    assert states["Join Marketing And Sales Data"]["status"] == "not reached"
    assert isinstance(states["Wait For Sales Data"]["seconds"], float)
    assert not {"joined", "queryResult"} & set(summary["outputs"])  # nothing the failed run never wrote
