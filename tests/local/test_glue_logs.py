"""A Glue job run's output is in the embedded CloudWatch Logs, as on AWS (default logging):
stdout in /aws-glue/jobs/output, stderr in /aws-glue/jobs/error, one stream per run named
by the job run id; GetJobRun's LogGroupName is /aws-glue/jobs."""

from __future__ import annotations

import textwrap
import time

import pytest

from embedded_aws.glue import logs as glue_logs

BUCKET = "local-glue-logs-scripts"
ROLE = "arn:aws:iam::123456789012:role/test"
OUTPUT = "/aws-glue/jobs/output"
ERROR = "/aws-glue/jobs/error"
FINAL = {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"}


@pytest.fixture(scope="module")
def s3(emulator):
    client = emulator.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture(scope="module")
def glue(emulator):
    return emulator.client("glue")


@pytest.fixture(scope="module")
def cw_logs(emulator):
    return emulator.client("logs")


@pytest.fixture
def make_job(s3, glue, name):
    """Upload a script to the embedded S3 and create a job running it (pythonshell by default)."""

    def make(script: str, command: str = "pythonshell", **job: object) -> str:
        key = f"scripts/{name}.py"
        s3.put_object(Bucket=BUCKET, Key=key, Body=textwrap.dedent(script).encode())
        glue.create_job(
            Name=name,
            Role=ROLE,
            Command={"Name": command, "ScriptLocation": f"s3://{BUCKET}/{key}", "PythonVersion": "3"},
            GlueVersion="4.0" if command == "glueetl" else "3.0",
            **job,
        )
        return name

    return make


def _run_to_end(glue, job: str, timeout: float = 30.0) -> dict:
    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    return _wait(glue, job, run_id, FINAL, timeout)


def _wait(glue, job: str, run_id: str, states: set[str], timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if run["JobRunState"] in states or time.monotonic() > deadline:
            assert run["JobRunState"] in states, run
            return run
        time.sleep(0.05)


def _events(cw_logs, group: str, stream: str) -> list[dict]:
    """Every event of a stream, oldest first (follows GetLogEvents' forward token)."""
    events: list[dict] = []
    kwargs = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
    while True:
        page = cw_logs.get_log_events(**kwargs)
        events += page["events"]
        if not page["events"]:
            return events
        kwargs["nextToken"] = page["nextForwardToken"]


def _messages(cw_logs, group: str, stream: str) -> list[str]:
    return [event["message"] for event in _events(cw_logs, group, stream)]


def test_python_shell_stdout_and_stderr_are_in_the_run_streams(glue, cw_logs, make_job):
    job = make_job(
        """
        import sys
        print("out one")
        print("err one", file=sys.stderr)
        print("out two")
        print("")
        print("err two", file=sys.stderr)
        print("out three ünïcode", end="")  # no final newline
        """
    )
    run = _run_to_end(glue, job)
    assert run["JobRunState"] == "SUCCEEDED"

    assert _messages(cw_logs, OUTPUT, run["Id"]) == ["out one", "out two", "out three ünïcode"]
    assert _messages(cw_logs, ERROR, run["Id"]) == ["err one", "err two"]
    stamps = [event["timestamp"] for event in _events(cw_logs, OUTPUT, run["Id"])]
    assert stamps == sorted(stamps)
    assert abs(stamps[-1] / 1000 - time.time()) < 120


def test_failed_run_traceback_is_in_the_error_group(glue, cw_logs, make_job):
    job = make_job(
        """
        print("about to fail")
        def load():
            raise ValueError("no such partition: 2024-01-01")
        load()
        """
    )
    run = _run_to_end(glue, job)
    assert run["JobRunState"] == "FAILED"

    errors = _messages(cw_logs, ERROR, run["Id"])
    assert errors[0] == "Traceback (most recent call last):"
    assert any("in load" in line for line in errors)
    assert errors[-1] == "ValueError: no such partition: 2024-01-01" == run["ErrorMessage"]
    assert _messages(cw_logs, OUTPUT, run["Id"]) == ["about to fail"]


def test_job_run_log_group_name_is_the_root_of_the_run_streams(glue, cw_logs, make_job):
    job = make_job('print("hello")\n')
    run = _run_to_end(glue, job)
    assert run["LogGroupName"] == "/aws-glue/jobs"
    assert glue.get_job_runs(JobName=job)["JobRuns"][0]["LogGroupName"] == "/aws-glue/jobs"

    for suffix in ("/output", "/error"):
        group = run["LogGroupName"] + suffix
        assert group in [g["logGroupName"] for g in cw_logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]]
        streams = cw_logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=run["Id"])["logStreams"]
        assert [s["logStreamName"] for s in streams] == [run["Id"]]


def test_filter_log_events_finds_a_line_as_aws_logs_tail_does(glue, cw_logs, make_job, name):
    needle = f"needle-{name}"
    job = make_job(f'print("hay"); print("the {needle} is here"); print("more hay")\n')
    run = _run_to_end(glue, job)
    # aws logs tail GROUP: FilterLogEvents over the group since 10 minutes ago, interleaved
    since = int((time.time() - 600) * 1000)
    found = cw_logs.filter_log_events(logGroupName=OUTPUT, startTime=since, filterPattern=f'"{needle}"', interleaved=True)
    assert [(e["logStreamName"], e["message"]) for e in found["events"]] == [(run["Id"], f"the {needle} is here")]
    by_stream = cw_logs.filter_log_events(logGroupName=OUTPUT, logStreamNames=[run["Id"]])
    assert [e["message"] for e in by_stream["events"]] == ["hay", f"the {needle} is here", "more hay"]


def test_long_lines_and_many_lines_respect_cloudwatch_limits(glue, cw_logs, make_job):
    job = make_job(
        """
        import sys
        sys.stdout.write("é" * 200_000 + "\\n")   # 400,000 UTF-8 bytes: more than one event holds
        for i in range(12_000):                   # more than one PutLogEvents batch holds
            print(f"line {i}")
        """
    )
    run = _run_to_end(glue, job)
    assert run["JobRunState"] == "SUCCEEDED"

    messages = _messages(cw_logs, OUTPUT, run["Id"])
    sizes = [len(m.encode()) for m in messages]
    assert max(sizes) <= glue_logs.MAX_EVENT_BYTES
    long_parts = [m for m in messages if m.startswith("é")]
    assert len(long_parts) == 2 and "".join(long_parts) == "é" * 200_000
    assert messages[len(long_parts):] == [f"line {i}" for i in range(12_000)]


def test_output_reaches_logs_while_the_run_is_running(glue, cw_logs, make_job):
    job = make_job(
        """
        import time
        print("working", flush=True)
        time.sleep(30)
        """
    )
    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    try:
        deadline = time.monotonic() + 15
        messages: list[str] = []
        while time.monotonic() < deadline and not messages:
            try:
                messages = _messages(cw_logs, OUTPUT, run_id)
            except cw_logs.exceptions.ResourceNotFoundException:
                pass
            time.sleep(0.2)
        assert messages == ["working"]
        assert glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]["JobRunState"] == "RUNNING"
    finally:
        glue.batch_stop_job_run(JobName=job, JobRunIds=[run_id])
    assert _wait(glue, job, run_id, FINAL)["JobRunState"] == "STOPPED"
    assert _messages(cw_logs, OUTPUT, run_id) == ["working"]  # not shipped twice


def test_batches_keep_to_put_log_events_limits():
    big = "x" * (glue_logs.MAX_EVENT_BYTES)
    events = [{"timestamp": 1, "message": big} for _ in range(5)]
    sizes = [len(b) for b in glue_logs.batches(events)]
    assert sizes == [4, 1]  # 4 x (largest message + 26 bytes) is exactly 1 MiB
    events = [{"timestamp": 1, "message": big}, {"timestamp": 1, "message": "é" * 10}] * 4
    assert [len(b) for b in glue_logs.batches(events)] == [6, 2]
    many = [{"timestamp": t, "message": "m"} for t in range(25_000)]
    assert [len(b) for b in glue_logs.batches(many)] == [10_000, 10_000, 5_000]
    day = 24 * 3600 * 1000
    spread = [{"timestamp": t, "message": "m"} for t in (0, day, day + 1)]
    assert [len(b) for b in glue_logs.batches(spread)] == [2, 1]
    assert list(glue_logs.split_message("ab€", limit=4)) == ["ab", "€"]


def test_glueetl_run_print_output_is_in_the_run_streams(glue, cw_logs, make_job):
    pytest.importorskip("pyspark")
    job = make_job(
        """
        import sys
        from pyspark.sql import SparkSession
        count = SparkSession.builder.getOrCreate().range(7).count()
        print(f"spark counted {count}")
        print("spark warning", file=sys.stderr)
        """,
        command="glueetl",
    )
    run = _run_to_end(glue, job, timeout=240)
    assert run["JobRunState"] == "SUCCEEDED", _messages(cw_logs, ERROR, run["Id"])
    assert "spark counted 7" in _messages(cw_logs, OUTPUT, run["Id"])
    assert "spark warning" in _messages(cw_logs, ERROR, run["Id"])
