"""EmbeddedAws lifecycle: endpoint, reset, stop, and the `local up` entry point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import boto3
import pytest

from embedded_aws import EmbeddedAws


RESET_SCRIPT = """
from embedded_aws import EmbeddedAws
with EmbeddedAws() as aws:
    sfn, glue = aws.client("stepfunctions"), aws.client("glue")
    sfn.create_activity(name="before-reset")
    glue.create_job(Name="before-reset", Role="r", Command={"Name": "pythonshell", "ScriptLocation": "s3://b/k.py"})
    aws.reset()
    print(len(sfn.list_activities()["activities"]), len(glue.get_jobs()["Jobs"]))
"""


def test_endpoint_serves_real_boto3_calls(emulator, name):
    assert emulator.endpoint_url.startswith("http://127.0.0.1:")
    sfn = emulator.client("stepfunctions")
    arn = sfn.create_activity(name=name)["activityArn"]
    listed = [a["activityArn"] for page in sfn.get_paginator("list_activities").paginate() for a in page["activities"]]
    assert arn in listed


def test_reset_forgets_everything():
    # In its own process: moto's state is process-wide, and other test modules may share it.
    done = subprocess.run([sys.executable, "-c", RESET_SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "0"]


def test_settings_apply_while_running(emulator, name):
    sfn = emulator.client("stepfunctions")
    arn = sfn.create_activity(name=name)["activityArn"]
    emulator.activity_poll_seconds = 0.5
    try:
        began = time.monotonic()
        sfn.get_activity_task(activityArn=arn)
        assert time.monotonic() - began < 1.5
    finally:
        emulator.activity_poll_seconds = 2.0


def test_stop_releases_the_port():
    aws = EmbeddedAws().start()
    url = aws.endpoint_url
    aws.stop()
    aws.stop()  # idempotent
    client = boto3.client("sqs", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with pytest.raises(Exception):
        client.list_queues()
    with pytest.raises(RuntimeError):
        EmbeddedAws().endpoint_url


def test_serve_forever_prints_the_endpoint_and_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-c", "from embedded_aws.server import serve_forever; serve_forever()"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("AWS_ENDPOINT_URL=http://127.0.0.1:")
        url = line.split("=", 1)[1]
        sfn = boto3.client("stepfunctions", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
        assert sfn.list_activities()["activities"] == []
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
