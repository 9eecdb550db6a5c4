"""The Step Functions rules the embedded AWS implements, checked without a server.

Expected values come from the Amazon States Language specification and the
Step Functions developer guide (JSONPath definiteness as in Jayway, RFC 3339
timestamps, Distributed Map failure thresholds, aws-sdk error names).
"""

from __future__ import annotations

import datetime
import json

import pytest

from embedded_aws.stepfunctions.integrations import allowed_patterns, epoch_millis, sdk_error_service_name
from embedded_aws.stepfunctions.jsonpath import extract_json, is_definite
from embedded_aws.stepfunctions.map_tolerance import exceeds_tolerance, normalise_definition
from embedded_aws.stepfunctions.wait_timestamp import parse_timestamp
from embedded_aws.stepfunctions.validation import diagnostics


@pytest.mark.parametrize("path,definite", [
    ("$.books[0].title", True), ("$.a.b", True), ("$['x.y']", True), ("$.a[12]", True),
    ("$.books[*].title", False), ("$..title", False), ("$.a[0:2]", False), ("$.a[0,1]", False),
    ("$.a[?(@.p < 10)]", False), ("$.a['b','c']", False),
])
def test_definite_paths_are_those_without_wildcards_slices_filters_unions_or_deep_scans(path, definite):
    assert is_definite(path) is definite


def test_a_definite_path_selects_the_value_and_an_indefinite_one_a_list():
    data = {"books": [{"title": "A"}, {"title": "B"}]}
    assert extract_json("$.books[0].title", data) == "A"
    assert extract_json("$.books[*].title", data) == ["A", "B"]
    assert extract_json("$.books[?(@.title == 'Z')].title", data) == []


@pytest.mark.parametrize("text,utc", [
    ("2016-03-14T01:59:00Z", "2016-03-14T01:59:00+00:00"),
    ("2016-03-14T01:59:00.250Z", "2016-03-14T01:59:00.250000+00:00"),
    ("2016-03-14T06:59:00+05:00", "2016-03-14T01:59:00+00:00"),
    ("2016-03-13T18:59:00-07:00", "2016-03-14T01:59:00+00:00"),
])
def test_timestamps_are_rfc3339_instants(text, utc):
    assert parse_timestamp(text) == datetime.datetime.fromisoformat(utc)


@pytest.mark.parametrize("text", ["2016-03-14 01:59:00Z", "2016-03-14t01:59:00z", "2016-03-14T01:59:00", "tomorrow", 5])
def test_other_timestamp_forms_are_refused(text):
    assert parse_timestamp(text) is None


@pytest.mark.parametrize("failed,total,count,percentage,exceeded", [
    (0, 4, 0, 0.0, False), (1, 4, 0, 0.0, True), (1, 4, 1, 100.0, False), (2, 4, 1, 100.0, True),
    (1, 4, 2**62, 25.0, False), (2, 4, 2**62, 25.0, True), (1, 4, 2**62, 50, False),
])
def test_a_map_run_fails_when_failures_exceed_either_threshold(failed, total, count, percentage, exceeded):
    assert exceeds_tolerance(failed, total, count, percentage) is exceeded


def test_integer_tolerated_failure_percentage_is_kept_as_the_same_number():
    definition = json.dumps({"States": {"M": {"ToleratedFailurePercentage": 5, "Other": 5}}})
    normalised = json.loads(normalise_definition(definition))["States"]["M"]
    assert normalised == {"ToleratedFailurePercentage": 5.0, "Other": 5}
    assert isinstance(normalised["ToleratedFailurePercentage"], float) and isinstance(normalised["Other"], int)


@pytest.mark.parametrize("service,name", [
    ("s3", "S3"), ("dynamodb", "DynamoDb"), ("acmpca", "AcmPca"), ("sfn", "Sfn"), ("secretsmanager", "SecretsManager"),
    ("ec2", "Ec2"), ("lambda", "Lambda"), ("eventbridge", "EventBridge"),
])
def test_aws_sdk_error_names_use_the_pascal_case_service_name(service, name):
    assert sdk_error_service_name(service) == name


def test_glue_and_athena_offer_only_the_documented_integration_patterns():
    assert allowed_patterns("glue", "startJobRun") == {"", "sync"}
    assert allowed_patterns("athena", "startQueryExecution") == {"", "sync"}
    assert allowed_patterns("athena", "getQueryResults") == {""}
    assert allowed_patterns("glue", "getJobRun") is None


def test_integration_timestamps_are_epoch_milliseconds():
    when = datetime.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc)
    assert epoch_millis({"A": when, "B": [when], "ResponseMetadata": {}}) == {"A": 1704164645678, "B": [1704164645678]}


def test_every_problem_is_reported_with_its_location():
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Parallel", "Next": "Gone", "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}}]},
        "B": {"Type": "Pass", "End": True}}}
    found = {(d.code, d.location) for d in diagnostics(json.dumps(definition))}
    assert found == {
        ("MISSING_TRANSITION_TARGET", "/States/A/Next"),
        ("MISSING_TRANSITION_TARGET", "/States/A/Branches/0/States/X/Next"),
        ("MISSING_TRANSITION_TARGET", "/States/B"),
    }


def test_express_machines_refuse_job_and_callback_patterns():
    definition = {"StartAt": "G", "States": {"G": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync", "End": True}}}
    assert [d.code for d in diagnostics(json.dumps(definition), "EXPRESS")] == ["SCHEMA_VALIDATION_FAILED"]
    assert diagnostics(json.dumps(definition), "STANDARD") == []
