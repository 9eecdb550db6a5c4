"""One embedded AWS per test module, reached with real boto3 clients."""

from __future__ import annotations

import os
import uuid
from typing import Iterator

import pytest

from embedded_aws import EmbeddedAws

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmbeddedAws]:
    saved = {name: os.environ.get(name) for name in [*DUMMY_ENV, "AWS_PROFILE"]}
    os.environ.update(DUMMY_ENV)
    os.environ.pop("AWS_PROFILE", None)
    aws = EmbeddedAws(activity_poll_seconds=2.0, glue_minute_seconds=1.0).start()
    try:
        yield aws
    finally:
        aws.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def name() -> str:
    """A unique resource name for one test."""
    return f"t-{uuid.uuid4().hex[:10]}"
