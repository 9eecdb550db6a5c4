"""End to end on the embedded AWS: operating pipelines over weeks.

Backfill a date range (resumable, at most N at once, never a period twice),
clean up a period's outputs before it runs again, catch up missed weeks when
the schedule fires, and redrive a failed execution. The pipelines are cheap
(Athena steps only) and written in a temporary project; one deployment
(prefix, workers, trigger function) serves them all.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, time as clock, timedelta, timezone

import pytest

from support import unique
from runners.aws import AwsClients
from runners.cli import main
from runners.local.deploy import deploy_pipeline
from runners.local.pipeline import LocalPipeline
from runners.operate.periods import Periods
from runners.pipelines import PROJECT_ROOT, load_pipeline
from runners.pipelines.asl import render_state_machine
from runners.pipelines.triggers import SCHEDULED_TIME, schedule_target_input

pytestmark = pytest.mark.e2e

WEEKLY = """
pipeline: {name}
description: Writes one row per week into its notes table.
schedule:
  cron: "0 6 ? * MON *"
{catch_up}
database: {database}
tables:
  notes:
    location: {name}/notes/
    columns: {{note: string}}
    partitioned_by: {{run_date: string}}
steps:
  write_note:
    athena:
      sql: pipelines/sql/write_note.sql
      parameters: ["'${{run_date}}'"]
"""

# No schedule: daily periods. Its step fails while the source table is missing.
DAILY_TOTALS = """
pipeline: {name}
database: {database}
steps:
  count_rows:
    athena:
      sql: pipelines/sql/count_rows.sql
      parameters: ["'${{run_date}}'"]
"""

EIGHT_MONDAYS = ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02", "2026-02-09", "2026-02-16", "2026-02-23"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("operate")
    sql = root / "pipelines" / "sql"
    sql.mkdir(parents=True)
    (sql / "write_note.sql").write_text("INSERT INTO ${database}.notes SELECT 'written' AS note, ? AS run_date\n")
    (sql / "count_rows.sql").write_text("SELECT count(*) AS row_count FROM ${database}.source_rows WHERE run_date = ?\n")
    for name in ("weekly-backfill", "weekly-resume", "weekly-cleanup"):
        (root / "pipelines" / f"{name}.yaml").write_text(WEEKLY.format(name=name, catch_up="", database=name.replace("-", "_")))
    (root / "pipelines" / "weekly-catch-up.yaml").write_text(WEEKLY.format(
        name="weekly-catch-up", database="weekly_catch_up", catch_up="  catch_up: {horizon_days: 56, max_concurrent: 1}"))
    for name in ("daily-totals", "daily-redrive"):
        (root / "pipelines" / f"{name}.yaml").write_text(DAILY_TOTALS.format(name=name, database=name.replace("-", "_")))
    return root


@pytest.fixture(scope="module")
def local(embedded_aws, project):
    with LocalPipeline(prefix=unique("operate"), aws=embedded_aws, activity_poll_seconds=1.0, check_interval_seconds=0.2,
                       pipeline=project / "pipelines" / "weekly-backfill.yaml") as deployed:
        yield deployed


def deploy(local, project, name, definition_path=None):
    pipeline = load_pipeline(project / "pipelines" / f"{name}.yaml")
    return deploy_pipeline(AwsClients(local.settings), local.settings, pipeline, prefix=local.prefix,
                           definition_path=definition_path, platform=local.platform)


def executions(local, state_machine_arn):
    found = local.client("stepfunctions").list_executions(stateMachineArn=state_machine_arn)["executions"]
    return sorted(found, key=lambda e: e["startDate"])


def wait_until_ended(local, state_machine_arn, count, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = executions(local, state_machine_arn)
        if len(found) >= count and all(e["status"] != "RUNNING" for e in found):
            return found
        time.sleep(0.2)
    raise AssertionError(f"not {count} ended executions within {timeout}s: {[(e['name'], e['status']) for e in found]}")


def most_at_once(found):
    """The largest number of executions that were running at the same time."""
    return max(sum(1 for other in found if other["startDate"] <= e["startDate"] < other["stopDate"]) for e in found)


def athena(local, sql, database):
    client = local.client("athena")
    query = client.start_query_execution(QueryString=sql, QueryExecutionContext={"Database": database},
                                         ResultConfiguration={"OutputLocation": local.deployment.results_location})["QueryExecutionId"]
    for _ in range(300):
        status = client.get_query_execution(QueryExecutionId=query)["QueryExecution"]["Status"]
        if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.1)
    assert status["State"] == "SUCCEEDED", status
    return [[c.get("VarCharValue") for c in row["Data"]] for row in client.get_query_results(QueryExecutionId=query)["ResultSet"]["Rows"][1:]]


def backfill(local, project, name, *options):
    return main(["backfill", str(project / "pipelines" / f"{name}.yaml"), "--prefix", local.prefix, "--poll-seconds", "0.2", *options])


def test_a_backfill_of_eight_weeks_runs_each_once_oldest_first_at_most_two_at_once(local, project, capsys):
    state_machine = local.deployment.state_machine_arn
    assert backfill(local, project, "weekly-backfill", "--from", "2026-01-01", "--to", "2026-02-28", "--max-concurrent", "2") == 0
    found = executions(local, state_machine)
    assert [e["name"] for e in found] == EIGHT_MONDAYS  # named by run date, started oldest first
    assert {e["status"] for e in found} == {"SUCCEEDED"}
    assert most_at_once(found) == 2
    assert "done: 8 started, 8 succeeded" in capsys.readouterr().out

    # The same command again starts nothing.
    assert backfill(local, project, "weekly-backfill", "--from", "2026-01-01", "--to", "2026-02-28", "--max-concurrent", "2") == 0
    assert "done: 0 started, 0 succeeded, 8 skipped" in capsys.readouterr().out
    assert len(executions(local, state_machine)) == 8


def test_an_interrupted_backfill_leaves_its_running_execution_and_the_same_command_resumes(local, project, capsys):
    resume = deploy(local, project, "weekly-resume")
    command = ["backfill", str(project / "pipelines" / "weekly-resume.yaml"), "--from", "2026-01-01", "--to", "2026-02-28",
               "--prefix", local.prefix, "--poll-seconds", "0.2"]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "ETL_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "runners.cli", *command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=env)
    try:
        deadline = time.monotonic() + 30
        while len(executions(local, resume.state_machine_arn)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)  # Ctrl-C
        output, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, output
    assert "interrupted: no further period started" in output and "Run the same command to resume" in output
    # What was running goes on to succeed; nothing more starts.
    before = wait_until_ended(local, resume.state_machine_arn, 2)
    assert 2 <= len(before) < 8 and {e["status"] for e in before} == {"SUCCEEDED"}
    time.sleep(0.5)
    assert len(executions(local, resume.state_machine_arn)) == len(before)

    assert main(command) == 0
    after = executions(local, resume.state_machine_arn)
    assert [e["name"] for e in after] == EIGHT_MONDAYS and {e["status"] for e in after} == {"SUCCEEDED"}
    assert f"done: {8 - len(before)} started" in capsys.readouterr().out


def test_clean_up_replaces_one_periods_output_and_leaves_the_others_untouched(local, project, capsys):
    cleanup = deploy(local, project, "weekly-cleanup")
    s3 = local.client("s3")

    def objects():
        listed = s3.list_objects_v2(Bucket=cleanup.data_bucket, Prefix="weekly-cleanup/notes/").get("Contents", [])
        return {o["Key"]: o["ETag"] for o in listed}

    assert backfill(local, project, "weekly-cleanup", "--from", "2026-01-05", "--to", "2026-01-12") == 0
    first = objects()
    assert sorted(k.split("/")[2] for k in first) == ["run_date=2026-01-05", "run_date=2026-01-12"]
    capsys.readouterr()

    assert backfill(local, project, "weekly-cleanup", "--from", "2026-01-05", "--to", "2026-01-05", "--rerun", "--clean-up", "--dry-run") == 0
    plan = capsys.readouterr().out
    assert "2026-01-05  rerun    2026-01-05-rerun-1" in plan
    assert f"clean-up: 1 object(s) under s3://{cleanup.data_bucket}/weekly-cleanup/notes/run_date=2026-01-05/ (table notes)" in plan
    assert objects() == first  # a dry run deletes nothing

    assert backfill(local, project, "weekly-cleanup", "--from", "2026-01-05", "--to", "2026-01-05", "--rerun", "--clean-up") == 0
    second = objects()
    other = {k: v for k, v in first.items() if "run_date=2026-01-12" in k}
    assert {k: v for k, v in second.items() if "run_date=2026-01-12" in k} == other  # untouched
    rerun = [k for k in second if "run_date=2026-01-05" in k]
    assert len(rerun) == 1 and rerun[0] not in first  # the old output went, the rerun's came
    rows = athena(local, "SELECT run_date, count(*) FROM notes GROUP BY run_date ORDER BY run_date", cleanup.athena_database)
    assert rows == [["2026-01-05", "1"], ["2026-01-12", "1"]]  # no duplicate row for the rerun period


def test_catch_up_after_three_missed_weeks_runs_them_in_order_then_the_current_week(local, project):
    catching_up = deploy(local, project, "weekly-catch-up")
    pipeline = load_pipeline(project / "pipelines" / "weekly-catch-up.yaml")
    sfn = local.client("stepfunctions")
    current = Periods(pipeline.schedule).latest_on_or_before(datetime.now(timezone.utc))
    weeks = [str(current - timedelta(weeks=n)) for n in (4, 3, 2, 1, 0)]
    # Four weeks ago the pipeline last succeeded; then it was down for three weeks.
    sfn.start_execution(stateMachineArn=catching_up.state_machine_arn, name=weeks[0], input=json.dumps({"runDate": weeks[0]}))
    wait_until_ended(local, catching_up.state_machine_arn, 1)

    # The schedule fires for the current week: it invokes the trigger function with its target's input.
    fired = datetime.combine(current, clock(6, 0), tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")
    payload = schedule_target_input(pipeline, catching_up.state_machine_arn).replace(SCHEDULED_TIME, fired)
    invoked = local.client("lambda").invoke(FunctionName=f"{local.prefix}-pipeline-trigger", Payload=payload.encode())
    assert "FunctionError" not in invoked
    answer = json.loads(invoked["Payload"].read())
    assert answer == {"current": weeks[4], "missed": weeks[1:4], "started": [weeks[1]]}

    # Each end starts the next (the catch-up rule -> triggers queue -> trigger function), one at a time.
    found = wait_until_ended(local, catching_up.state_machine_arn, 5, timeout=90)
    assert [e["name"] for e in found] == weeks and {e["status"] for e in found} == {"SUCCEEDED"}
    for earlier, later in zip(found[1:], found[2:]):
        assert earlier["stopDate"] <= later["startDate"]
    time.sleep(1.5)  # the current week's end starts nothing more
    assert len(executions(local, catching_up.state_machine_arn)) == 5


def fix_the_missing_input(local, deployment):
    """The step's source table, which the first attempt did not find."""
    athena(local, f"CREATE EXTERNAL TABLE {deployment.athena_database}.source_rows (v int) PARTITIONED BY (run_date string) "
                  f"STORED AS PARQUET LOCATION 's3://{deployment.data_bucket}/{deployment.pipeline}/source_rows/'",
           deployment.athena_database)


def fail_once(local, deployment, run_date):
    sfn = local.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=deployment.state_machine_arn, name=run_date,
                              input=json.dumps({"runDate": run_date}))["executionArn"]
    failed = wait_until_ended(local, deployment.state_machine_arn, 1)[0]
    assert failed["status"] == "FAILED"
    return arn


def test_a_failed_execution_is_redriven_from_its_failed_step_and_succeeds(local, project, tmp_path, capsys):
    # Rendered state machines leave a step's error uncaught: the failed step
    # stays the execution's unsuccessful state, which redrive continues from.
    deployment = deploy(local, project, "daily-redrive")
    arn = fail_once(local, deployment, "2026-03-02")
    fix_the_missing_input(local, deployment)

    assert main(["redrive", arn, "--wait", "--poll-seconds", "0.2"]) == 0
    output = capsys.readouterr().out
    assert "redriven 2026-03-02 from 'Count Rows' (redrive 1)" in output and "2026-03-02 SUCCEEDED" in output
    events = local.client("stepfunctions").get_execution_history(executionArn=arn, maxResults=1000)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    assert [e["type"] for e in events].count("ExecutionRedriven") == 1
    assert entered.count("Create Database") == 1 and entered.count("Count Rows") == 2  # only the failed step ran again
    assert [e["name"] for e in executions(local, deployment.state_machine_arn)] == ["2026-03-02"]  # in place


def test_redrive_starts_the_date_afresh_when_a_redrive_would_only_fail_again(local, project, tmp_path, capsys):
    # A hand-written definition that catches the error and ends in a Fail state:
    # a redrive would continue at the Fail state and fail again.
    definition = render_state_machine(load_pipeline(project / "pipelines" / "daily-totals.yaml")).definition
    definition["States"]["Pipeline Failed"] = {"Type": "Fail", "Error": "PipelineFailed"}
    for name, state in definition["States"].items():
        if state["Type"] in ("Task", "Parallel"):
            state["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": "Pipeline Failed"}]
    path = tmp_path / "daily-totals.asl.json"
    path.write_text(json.dumps(definition))
    deployment = deploy(local, project, "daily-totals", definition_path=path)
    fail_once(local, deployment, "2026-03-02")
    fix_the_missing_input(local, deployment)

    assert main(["redrive", str(project / "pipelines" / "daily-totals.yaml"), "--date", "2026-03-02", "--prefix", local.prefix,
                 "--wait", "--poll-seconds", "0.2"]) == 0
    output = capsys.readouterr().out
    assert "redrive is not possible: it would continue at 'Pipeline Failed', a Fail state" in output
    assert "started 2026-03-02-rerun-1, a fresh execution of 2026-03-02 with the same input" in output
    found = executions(local, deployment.state_machine_arn)
    assert [(e["name"], e["status"]) for e in found] == [("2026-03-02", "FAILED"), ("2026-03-02-rerun-1", "SUCCEEDED")]
