"""Task input: the sample's shapes are accepted, anything else fails with a clear cause."""

import json

import pytest

from runners.athena import AthenaAdapter
from runners.errors import InvalidTaskInputError
from runners.glue import TASK_ID_ARGUMENT, GlueAdapter
from runners.task_input import load_task_input

LIMIT = 65536


def glue(payload):
    return GlueAdapter(glue_client=None).parse(payload)


def athena(payload):
    return AthenaAdapter(athena_client=None).parse(payload)


def test_accepts_json_object_and_json_string_holding_one():
    assert load_task_input('{"GlueJobName": "ProcessSalesData"}', LIMIT) == {"GlueJobName": "ProcessSalesData"}
    assert load_task_input(json.dumps('{"GlueJobName": "ProcessSalesData"}'), LIMIT) == {"GlueJobName": "ProcessSalesData"}


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ("", "empty"),
        ("not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object, got list"),
        ('"just a string"', "not valid JSON"),
        ("x" * (LIMIT + 1), "limit is 65536"),
    ],
)
def test_rejects_what_is_not_an_object(raw, fragment):
    with pytest.raises(InvalidTaskInputError, match=fragment):
        load_task_input(raw, LIMIT)


def test_glue_sample_shape_and_rich_shape():
    assert glue({"GlueJobName": "ProcessSalesData"}).job_name == "ProcessSalesData"
    rich = glue({"GlueJobName": "J", "Arguments": {"--day": "2026-11-16"}, "WorkerType": "G.1X", "NumberOfWorkers": 4, "Timeout": 30})
    assert (rich.arguments, rich.worker_type, rich.number_of_workers, rich.timeout_minutes) == ({"--day": "2026-11-16"}, "G.1X", 4, 30)


@pytest.mark.parametrize(
    "payload, fragment",
    [
        ({}, "GlueJobName is required"),
        ({"GlueJobName": 7}, "GlueJobName must be a non-empty string"),
        ({"GlueJobName": "J", "Arguments": {"day": "x"}}, "must start with '--'"),
        ({"GlueJobName": "J", "Arguments": {"--n": 3}}, "object of string values"),
        ({"GlueJobName": "J", "Arguments": {TASK_ID_ARGUMENT: "x"}}, "runner sets it"),
        ({"GlueJobName": "J", "NumberOfWorkers": "2"}, "must be an integer"),
        ({"GlueJobName": "J", "NumberOfWorkers": True}, "must be an integer"),
        ({"GlueJobName": "J", "WorkerType": "G.3X"}, "must be one of"),
        ({"GlueJobName": "J", "Timeout": 0}, "between 1 and"),
        ({"GlueJobName": "J", "Extra": 1}, "unknown task input field"),
    ],
)
def test_glue_rejects_bad_input(payload, fragment):
    with pytest.raises(InvalidTaskInputError, match=fragment):
        glue(payload)


def test_athena_sample_shape_and_rich_shape():
    sample = athena({"AthenaQueryString": "SELECT 1", "AthenaDatabase": "sales", "AthenaResultOutputLocation": "s3://b/r/", "AthenaResultEncryptionOption": "SSE_S3"})
    assert (sample.query_string, sample.database, sample.encryption_option) == ("SELECT 1", "sales", "SSE_S3")
    rich = athena({"AthenaNamedQuery": "q", "AthenaWorkGroup": "etl", "ExecutionParameters": ["2026-11-16"], "AthenaResultEncryptionOption": "SSE_KMS", "AthenaResultKmsKey": "k"})
    assert (rich.named_query, rich.workgroup, rich.execution_parameters, rich.kms_key) == ("q", "etl", ["2026-11-16"], "k")


@pytest.mark.parametrize(
    "payload, fragment",
    [
        ({}, "exactly one of AthenaQueryString or AthenaNamedQuery"),
        ({"AthenaQueryString": "SELECT 1", "AthenaNamedQuery": "q"}, "exactly one of"),
        ({"AthenaQueryString": "SELECT 1", "AthenaResultOutputLocation": "/tmp/x"}, "s3:// URI"),
        ({"AthenaQueryString": "SELECT 1", "AthenaResultEncryptionOption": "AES"}, "must be one of"),
        ({"AthenaQueryString": "SELECT 1", "AthenaResultEncryptionOption": "SSE_KMS"}, "needs AthenaResultKmsKey"),
        ({"AthenaQueryString": "SELECT 1", "ExecutionParameters": [1]}, "list of strings"),
        ({"AthenaQueryString": "SELECT 1", "GlueJobName": "J"}, "unknown task input field"),
    ],
)
def test_athena_rejects_bad_input(payload, fragment):
    with pytest.raises(InvalidTaskInputError, match=fragment):
        athena(payload)


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        (json.dumps("[" * 5000 + "]" * 5000), "nested too deeply"),
        ('{"GlueJobName": "J", "NumberOfWorkers": ' + "9" * 5000 + "}", "not valid JSON"),
        ('{"GlueJobName": "J\\ud800"}', "unpaired surrogate"),
        ('{"GlueJobName": "J\ud800"}', "unpaired surrogate"),
        (json.dumps('{"GlueJobName": "J\\udfff"}'), "unpaired surrogate"),
    ],
    ids=["deep nesting", "deep nesting in a string", "huge integer", "escaped lone surrogate", "raw lone surrogate", "surrogate in a string"],
)
def test_every_parse_failure_is_invalid_input_not_a_crash(raw, fragment):
    """RecursionError, ValueError and broken Unicode are the task's fault, never
    transient: they must fail the task at once instead of being retried."""
    with pytest.raises(InvalidTaskInputError, match=fragment):
        load_task_input(raw, LIMIT)


def test_a_lone_surrogate_anywhere_in_the_object_is_refused():
    with pytest.raises(InvalidTaskInputError, match=r"Arguments.--x holds an unpaired surrogate"):
        load_task_input(json.dumps({"GlueJobName": "J", "Arguments": {"--x": "a\udc00"}}), LIMIT)


# -- DependencyGate (both runners) ----------------------------------------------

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:daily-sales"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:daily-sales:2026-11-16"


def gated(gate, parse=glue):
    base = {"GlueJobName": "J"} if parse is glue else {"AthenaQueryString": "SELECT 1"}
    return parse({**base, "DependencyGate": gate})


@pytest.mark.parametrize("parse", [glue, athena], ids=["glue", "athena"])
def test_dependency_gate_is_accepted_by_both_runners(parse):
    request = gated({"GlueJobs": ["ProcessSalesData", "ProcessSalesData"], "StateMachines": [SM], "ExcludeExecution": EXECUTION, "MaxWaitSeconds": 3600}, parse)
    gate = request.gate
    assert gate.glue_jobs == ("ProcessSalesData",)  # duplicates collapse
    assert (gate.state_machines, gate.exclude_execution, gate.max_wait_seconds) == ((SM,), EXECUTION, 3600)


def test_no_dependency_gate_means_none_and_either_list_alone_is_enough():
    assert glue({"GlueJobName": "J"}).gate is None
    assert gated({"GlueJobs": ["A"], "MaxWaitSeconds": 1}).gate.state_machines == ()
    assert gated({"StateMachines": [f"{SM}:prod"], "GlueJobs": [], "MaxWaitSeconds": 604800}).gate.glue_jobs == ()


@pytest.mark.parametrize(
    "gate, fragment",
    [
        (["A"], "DependencyGate must be an object"),
        ({"GlueJobs": ["A"]}, "DependencyGate.MaxWaitSeconds is required"),
        ({"GlueJobs": ["A"], "MaxWaitSeconds": 0}, r"DependencyGate.MaxWaitSeconds must be between 1 and 604800"),
        ({"GlueJobs": ["A"], "MaxWaitSeconds": 604801}, r"DependencyGate.MaxWaitSeconds must be between 1 and 604800"),
        ({"GlueJobs": ["A"], "MaxWaitSeconds": "60"}, "DependencyGate.MaxWaitSeconds must be an integer"),
        ({"GlueJobs": ["A"], "MaxWaitSeconds": True}, "DependencyGate.MaxWaitSeconds must be an integer"),
        ({"MaxWaitSeconds": 60}, "at least one of DependencyGate.GlueJobs or DependencyGate.StateMachines"),
        ({"GlueJobs": [], "StateMachines": [], "MaxWaitSeconds": 60}, "at least one of DependencyGate.GlueJobs"),
        ({"GlueJobs": "A", "MaxWaitSeconds": 60}, "DependencyGate.GlueJobs must be a list of strings"),
        ({"GlueJobs": ["A", 7], "MaxWaitSeconds": 60}, r"DependencyGate.GlueJobs\[1\] must be a non-empty string"),
        ({"GlueJobs": [""], "MaxWaitSeconds": 60}, r"DependencyGate.GlueJobs\[0\] must be a non-empty string"),
        ({"GlueJobs": ["x" * 256], "MaxWaitSeconds": 60}, r"DependencyGate.GlueJobs\[0\] is longer than 255"),
        ({"GlueJobs": [f"j{i}" for i in range(51)], "MaxWaitSeconds": 60}, "DependencyGate.GlueJobs holds 51 names; at most 50"),
        ({"StateMachines": {"a": SM}, "MaxWaitSeconds": 60}, "DependencyGate.StateMachines must be a list of strings"),
        ({"StateMachines": ["daily-sales"], "MaxWaitSeconds": 60}, r"DependencyGate.StateMachines\[0\] must be a state machine ARN"),
        ({"StateMachines": [EXECUTION], "MaxWaitSeconds": 60}, r"DependencyGate.StateMachines\[0\] must be a state machine ARN"),
        ({"StateMachines": [SM], "ExcludeExecution": SM, "MaxWaitSeconds": 60}, "DependencyGate.ExcludeExecution must be an execution ARN"),
        ({"StateMachines": [SM], "ExcludeExecution": 5, "MaxWaitSeconds": 60}, "DependencyGate.ExcludeExecution must be a non-empty string"),
        ({"GlueJobs": ["A"], "MaxWaitSeconds": 60, "MaxWait": 5}, "unknown DependencyGate field.*MaxWait; allowed"),
    ],
)
def test_dependency_gate_rejects_each_malformed_field_by_name(gate, fragment):
    with pytest.raises(InvalidTaskInputError, match=fragment):
        gated(gate)
    with pytest.raises(InvalidTaskInputError, match=fragment):
        gated(gate, athena)
