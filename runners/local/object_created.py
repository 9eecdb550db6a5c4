"""Deploys the object-created handler locally the way it runs on AWS: a Lambda
function (``runners.handlers.object_created``) triggered by an SQS event
source mapping on the queue S3 notifies.

The embedded AWS runs the function in its own process with the environment
given here, so the handler reads its settings exactly as in Lambda.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any, Callable

import runners
from runners import config
from runners.config import Settings

HANDLER = "runners.handlers.object_created"
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def function_code() -> bytes:
    """A zip of the runners package's sources (its dependencies come from the
    environment locally, from the Lambda package on AWS)."""
    root = Path(runners.__file__).resolve().parent
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*.py")):
            relative = path.relative_to(root.parent)
            if relative.parts[1] not in ("local", "build"):
                archive.write(path, str(relative))
    return buffer.getvalue()


def function_environment(settings: Settings) -> dict[str, str]:
    return {
        config.ENV_WAIT_ACTIVITY_ARN: settings.wait_activity_arn or "",
        config.ENV_WAIT_TABLE: settings.wait_table,
        config.ENV_ARRIVALS_TABLE: settings.arrivals_table,
        config.ENV_LOG_LEVEL: "WARNING",
    }


def deploy_object_created_function(client: Callable[[str], Any], settings: Settings, queue_url: str, name: str) -> str:
    """Create the function (and the role it runs as) and map the queue to it;
    return the function's ARN. ``client(service)`` gives a boto3 client."""
    role_arn = ensure_role(client("iam"), f"{name}-role")
    lambda_client = client("lambda")
    function_arn = lambda_client.create_function(
        FunctionName=name, Runtime="python3.11", Role=role_arn, Handler=HANDLER, Timeout=60,
        Code={"ZipFile": function_code()}, Environment={"Variables": function_environment(settings)},
    )["FunctionArn"]
    queue_arn = client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lambda_client.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=name, BatchSize=10)
    return function_arn


def ensure_role(iam: Any, name: str) -> str:
    """The ARN of the role ``name`` a local function runs as (created if missing)."""
    try:
        return iam.get_role(RoleName=name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
