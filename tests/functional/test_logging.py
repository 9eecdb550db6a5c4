"""Guarantee 10: task tokens never appear in logs in clear; logs are JSON with context."""

import io
import json

from support import (
    SLEEP_SCRIPT, client, lifecycle_for, make_activity, make_glue_job, settings_for, single_task_machine, start,
    wait_execution, wait_for,
)
from runners import log as logging_setup
from runners.log import token_hash


def test_logs_are_json_with_context_and_never_hold_the_token(aws):
    activity = make_activity()
    settings = settings_for("glue", activity, heartbeat_interval_seconds=0.2)
    lifecycle = lifecycle_for("glue", settings)
    job = make_glue_job(SLEEP_SCRIPT)
    execution = start(single_task_machine(activity), {"GlueJobName": job, "Arguments": {"--seconds": "0.5", "--fail": "boom"}})
    sfn = client("stepfunctions")
    response = wait_for(lambda: (lambda r: r if r.get("taskToken") else None)(sfn.get_activity_task(activityArn=activity)), message="task")
    token = response["taskToken"]

    buffer = io.StringIO()
    logging_setup.configure("DEBUG", "auto", stream=buffer)  # auto: not a terminal -> JSON
    try:
        lifecycle.accept(token, response["input"])
        wait_for(lambda: (lifecycle.check_all(), not list(lifecycle.store.scan()))[1], timeout=30, message="report")
    finally:
        logging_setup.configure()
    assert wait_execution(execution)["status"] == "FAILED"

    text = buffer.getvalue()
    assert token not in text
    events = [json.loads(line) for line in text.splitlines()]
    by_name = {e["event"]: e for e in events}
    assert {"task_received", "run_started", "task_reported"} <= set(by_name)
    started = by_name["run_started"]
    assert started["task"] == token_hash(token) and started["group"] == job and started["run_id"].startswith("jr_")
    assert by_name["task_reported"]["error"] == "GlueJobFailedError"
