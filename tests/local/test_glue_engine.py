"""Glue job runs on the embedded AWS: real scripts, real processes, AWS run states."""

from __future__ import annotations

import json
import os
import textwrap
import time

import pytest
from botocore.exceptions import ClientError

BUCKET = "local-glue-scripts"
ROLE = "arn:aws:iam::123456789012:role/test"

SLEEP = """
import sys, time
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
print("pid", __import__("os").getpid(), flush=True)
time.sleep(float(args.get("--seconds", "0")))
"""


@pytest.fixture(scope="module")
def s3(emulator):
    client = emulator.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture(scope="module")
def glue(emulator):
    return emulator.client("glue")


@pytest.fixture
def make_job(s3, glue, name):
    """Upload a script to the embedded S3 and create a pythonshell job running it."""

    def make(script: str, **job: object) -> str:
        key = f"scripts/{name}.py"
        s3.put_object(Bucket=BUCKET, Key=key, Body=textwrap.dedent(script).encode())
        glue.create_job(
            Name=name,
            Role=ROLE,
            Command={"Name": "pythonshell", "ScriptLocation": f"s3://{BUCKET}/{key}", "PythonVersion": "3.9"},
            GlueVersion="3.0",
            **job,
        )
        return name

    return make


def _run(glue, job: str, run_id: str) -> dict:
    return glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]


def _wait_state(glue, job: str, run_id: str, states: set[str], timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = _run(glue, job, run_id)
        if run["JobRunState"] in states:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run never reached {states}: {run['JobRunState']}")


def _error_code(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_run_succeeds_with_glue_arguments_and_can_call_the_embedded_aws(emulator, glue, s3, make_job):
    script = f"""
    import json, os, sys
    import boto3
    boto3.client("s3").put_object(
        Bucket="{BUCKET}", Key="out/" + sys.argv[sys.argv.index("--JOB_RUN_ID") + 1],
        Body=json.dumps({{"argv": sys.argv[1:], "endpoint": os.environ["AWS_ENDPOINT_URL"]}}),
    )
    """
    job = make_job(script, DefaultArguments={"--source": "default", "--mode": "full"}, WorkerType="G.1X", NumberOfWorkers=2)
    run_id = glue.start_job_run(JobName=job, Arguments={"--source": "s3://in/x.csv"})["JobRunId"]

    run = _wait_state(glue, job, run_id, {"SUCCEEDED", "FAILED"})
    assert run["JobRunState"] == "SUCCEEDED", emulator.glue.run_logs(job, run_id)
    assert run["Arguments"] == {"--source": "s3://in/x.csv"}
    assert run["Attempt"] == 0 and run["GlueVersion"] == "3.0" and run["Timeout"] == 2880
    assert run["WorkerType"] == "G.1X" and run["NumberOfWorkers"] == 2
    assert run["StartedOn"] <= run["CompletedOn"] and isinstance(run["ExecutionTime"], int)

    seen = json.loads(s3.get_object(Bucket=BUCKET, Key=f"out/{run_id}")["Body"].read())
    assert seen["endpoint"] == emulator.endpoint_url
    argv = seen["argv"]
    assert argv[:4] == ["--JOB_NAME", job, "--JOB_RUN_ID", run_id]
    assert dict(zip(argv[4::2], argv[5::2])) == {"--source": "s3://in/x.csv", "--mode": "full"}


def test_failed_script_reports_its_last_error_line(glue, make_job):
    job = make_job("raise ValueError('bad row 7')\n")
    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    run = _wait_state(glue, job, run_id, {"SUCCEEDED", "FAILED"})
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == "ValueError: bad row 7"
    assert "CompletedOn" in run


def test_missing_script_fails_the_run(glue, name):
    glue.create_job(Name=name, Role=ROLE, Command={"Name": "pythonshell", "ScriptLocation": f"s3://{BUCKET}/nope.py"})
    run_id = glue.start_job_run(JobName=name)["JobRunId"]
    run = _wait_state(glue, name, run_id, {"SUCCEEDED", "FAILED"})
    assert run["JobRunState"] == "FAILED" and "nope.py" in run["ErrorMessage"]


def test_batch_stop_stops_a_running_run_and_reports_errors(glue, make_job):
    job = make_job(SLEEP, ExecutionProperty={"MaxConcurrentRuns": 2})
    running = glue.start_job_run(JobName=job, Arguments={"--seconds": "30"})["JobRunId"]
    finished = glue.start_job_run(JobName=job)["JobRunId"]
    _wait_state(glue, job, running, {"RUNNING"})
    _wait_state(glue, job, finished, {"SUCCEEDED"})

    response = glue.batch_stop_job_run(JobName=job, JobRunIds=[running, finished, "jr_unknown"])

    assert response["SuccessfulSubmissions"] == [{"JobName": job, "JobRunId": running}]
    errors = {e["JobRunId"]: e["ErrorDetail"]["ErrorCode"] for e in response["Errors"]}
    assert errors == {finished: "InvalidInputException", "jr_unknown": "EntityNotFoundException"}
    assert _run(glue, job, running)["JobRunState"] in ("STOPPING", "STOPPED")
    run = _wait_state(glue, job, running, {"STOPPED"}, timeout=5)
    assert "CompletedOn" in run


def test_run_exceeding_its_timeout_ends_in_timeout(glue, make_job):
    job = make_job(SLEEP, Timeout=5)
    began = time.monotonic()
    run_id = glue.start_job_run(JobName=job, Arguments={"--seconds": "30"}, Timeout=1)["JobRunId"]  # 1 "minute" = 1 s here
    run = _wait_state(glue, job, run_id, {"TIMEOUT", "SUCCEEDED", "FAILED"})
    assert run["JobRunState"] == "TIMEOUT" and run["Timeout"] == 1
    assert 0.9 <= time.monotonic() - began < 5


def test_max_concurrent_runs_is_enforced(glue, make_job):
    job = make_job(SLEEP)  # AWS default: MaxConcurrentRuns = 1
    first = glue.start_job_run(JobName=job, Arguments={"--seconds": "30"})["JobRunId"]
    with pytest.raises(ClientError) as excinfo:
        glue.start_job_run(JobName=job)
    assert _error_code(excinfo) == "ConcurrentRunsExceededException"

    glue.batch_stop_job_run(JobName=job, JobRunIds=[first])
    _wait_state(glue, job, first, {"STOPPED"})
    second = glue.start_job_run(JobName=job)["JobRunId"]
    assert _wait_state(glue, job, second, {"SUCCEEDED"})


def test_queued_run_waits_for_a_free_slot(glue, make_job):
    job = make_job(SLEEP)
    first = glue.start_job_run(JobName=job, Arguments={"--seconds": "30"})["JobRunId"]
    queued = glue.start_job_run(JobName=job, JobRunQueuingEnabled=True)["JobRunId"]
    assert _run(glue, job, queued)["JobRunState"] == "WAITING"

    glue.batch_stop_job_run(JobName=job, JobRunIds=[first])
    assert _wait_state(glue, job, queued, {"SUCCEEDED"})["JobRunQueuingEnabled"] is True


def test_get_job_runs_pages_newest_first(glue, make_job):
    job = make_job(SLEEP, ExecutionProperty={"MaxConcurrentRuns": 10})
    started = [glue.start_job_run(JobName=job)["JobRunId"] for _ in range(5)]

    pages, token = [], None
    while True:
        response = glue.get_job_runs(JobName=job, MaxResults=2, **({"NextToken": token} if token else {}))
        pages.append([run["Id"] for run in response["JobRuns"]])
        token = response.get("NextToken")
        if not token:
            break
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [run_id for page in pages for run_id in page] == list(reversed(started))

    with pytest.raises(ClientError) as excinfo:
        glue.get_job_runs(JobName=job, NextToken="bogus")
    assert _error_code(excinfo) == "InvalidInputException"


def test_force_run_state_ends_a_live_run_and_kills_its_process(emulator, glue, make_job):
    job = make_job(SLEEP)
    run_id = glue.start_job_run(JobName=job, Arguments={"--seconds": "30"})["JobRunId"]
    _wait_state(glue, job, run_id, {"RUNNING"})
    deadline = time.monotonic() + 5
    while "pid" not in emulator.glue.run_logs(job, run_id)[0] and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int(emulator.glue.run_logs(job, run_id)[0].split()[1])

    emulator.glue.force_run_state(job, run_id, "ERROR", error_message="capacity lost")

    run = _run(glue, job, run_id)
    assert run["JobRunState"] == "ERROR" and run["ErrorMessage"] == "capacity lost" and "CompletedOn" in run
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    time.sleep(0.2)
    assert _run(glue, job, run_id)["JobRunState"] == "ERROR"  # the killed process does not overwrite it


def test_force_run_state_can_relabel_without_ending(emulator, glue, make_job):
    job = make_job(SLEEP)
    run_id = glue.start_job_run(JobName=job, Arguments={"--seconds": "30"})["JobRunId"]
    _wait_state(glue, job, run_id, {"RUNNING"})
    emulator.glue.force_run_state(job, run_id, "WAITING")
    time.sleep(0.3)
    assert _run(glue, job, run_id)["JobRunState"] == "WAITING"
    emulator.glue.force_run_state(job, run_id, "EXPIRED")
    assert _run(glue, job, run_id)["JobRunState"] == "EXPIRED"
    with pytest.raises(ValueError):
        emulator.glue.force_run_state(job, run_id, "BOGUS")


def test_unknown_job_and_run_are_entity_not_found(glue, make_job):
    for call in (
        lambda: glue.start_job_run(JobName="no-such-job"),
        lambda: glue.get_job_runs(JobName="no-such-job"),
        lambda: glue.get_job_run(JobName="no-such-job", RunId="jr_x"),
        lambda: glue.batch_stop_job_run(JobName="no-such-job", JobRunIds=["jr_x"]),
        lambda: glue.get_job_run(JobName=make_job(SLEEP), RunId="jr_x"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert _error_code(excinfo) == "EntityNotFoundException"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers kill(0); its state letter is Z
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return True
