"""Error mapping, settings precedence and the retry policy."""

import json

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from runners.config import Settings
from runners.errors import GlueJobFailedError, InvalidTaskInputError, JobStartFailedError, to_sfn_failure
from runners.retry import call_with_retry, is_transient


def client_error(code, status=400):
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


def test_error_names_are_the_ones_state_machines_catch():
    assert to_sfn_failure(GlueJobFailedError("boom", JobRunState="FAILED"))[0] == "GlueJobFailedError"
    assert to_sfn_failure(InvalidTaskInputError("bad"))[0] == "InvalidTaskInputError"
    assert to_sfn_failure(JobStartFailedError("no"))[0] == "JobStartFailedError"


def test_cause_is_readable_json_with_the_service_message():
    _, cause = to_sfn_failure(GlueJobFailedError("ZeroDivisionError: division by zero", JobRunState="FAILED"))
    assert json.loads(cause) == {"errorMessage": "ZeroDivisionError: division by zero", "JobRunState": "FAILED"}


def test_unexpected_exceptions_still_get_a_name():
    name, cause = to_sfn_failure(KeyError("x"))
    assert name == "RunnerInternalError" and json.loads(cause)["errorType"] == "KeyError"


def test_settings_precedence_argument_over_env_over_default():
    assert Settings.from_env({}).pollers == 4
    assert Settings.from_env({"ETL_POLLERS": "7"}).pollers == 7
    assert Settings.from_env({"ETL_POLLERS": "7"}, pollers=2).pollers == 2
    assert Settings.from_env({"AWS_DEFAULT_REGION": "eu-west-1"}).region == "eu-west-1"
    assert Settings.from_env({"ETL_STOP_ON_LOST_TOKEN": "false"}).stop_on_lost_token is False


def test_invalid_setting_names_the_variable():
    with pytest.raises(ValueError, match="ETL_POLLERS='many'"):
        Settings.from_env({"ETL_POLLERS": "many"})


@pytest.mark.parametrize(
    "exc, transient",
    [
        (client_error("ThrottlingException"), True),
        (client_error("TooManyRequestsException"), True),
        (client_error("Whatever", status=503), True),
        (EndpointConnectionError(endpoint_url="http://x"), True),
        (client_error("ValidationException"), False),
        (client_error("ConcurrentRunsExceededException"), False),
        (ReadTimeoutError(endpoint_url="http://x"), False),
    ],
)
def test_only_an_explicit_list_is_retried(exc, transient):
    assert is_transient(exc) is transient


def test_transient_errors_are_retried_until_success():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise client_error("ThrottlingException")
        return "ok"

    assert call_with_retry(flaky, multiplier=0.001) == "ok"
    assert len(calls) == 3


def test_permanent_errors_are_not_retried():
    calls = []

    def bad():
        calls.append(1)
        raise client_error("ValidationException")

    with pytest.raises(ClientError):
        call_with_retry(bad, multiplier=0.001)
    assert len(calls) == 1
