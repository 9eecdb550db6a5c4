"""One embedded AWS for the whole test session; each test uses unique names."""

from __future__ import annotations

import os

import pytest

# Never let a test reach a real AWS account.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
)
os.environ.pop("AWS_PROFILE", None)


@pytest.fixture(scope="session")
def embedded_aws():
    from embedded_aws import EmbeddedAws

    # A Glue "minute" is 3 s: Timeout tests stay short, and a pipeline job (Timeout 60) survives a loaded machine.
    aws = EmbeddedAws(activity_poll_seconds=1.0, glue_minute_seconds=3.0)
    aws.start()
    previous = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = aws.endpoint_url
    yield aws
    if previous is None:
        os.environ.pop("AWS_ENDPOINT_URL", None)
    else:
        os.environ["AWS_ENDPOINT_URL"] = previous
    aws.stop()


@pytest.fixture
def aws(embedded_aws):
    return embedded_aws
