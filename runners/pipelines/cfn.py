"""CloudFormation values for pipeline stacks: intrinsics, imports of the
shared stacks' exports, and the pipeline file's ``${name}`` templates as
CloudFormation strings.

A pipeline stack imports ``${<X>StackName}-<export>`` from the three shared
stacks; the build fills the ``<X>StackName`` parameters.
"""

from __future__ import annotations

import re
from typing import Any

from . import naming
from .model import Pipeline
from .templates import TEMPLATE

STACK_PARAMETERS = {
    "glue-resources": "GlueStackName",
    "step-functions-resources": "StepFunctionsStackName",
    "runner-resources": "RunnerStackName",
}


def ref(name: str) -> dict[str, Any]:
    return {"Ref": name}


def get_att(resource: str, attribute: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [resource, attribute]}


def sub(template: str, **variables: Any) -> Any:
    """``Fn::Sub`` (with a variable map when given); a plain string when nothing is substituted."""
    if variables:
        return {"Fn::Sub": [template, variables]}
    return {"Fn::Sub": template} if "${" in template else template


def imported(stack: str, export: str) -> dict[str, Any]:
    """``Fn::ImportValue`` of a shared stack's export."""
    return {"Fn::ImportValue": {"Fn::Sub": f"${{{STACK_PARAMETERS[stack]}}}-{export}"}}


def data_bucket() -> dict[str, Any]:
    return imported("glue-resources", "DataBucketName")


def artifact_bucket() -> dict[str, Any]:
    return imported("glue-resources", "ArtifactBucketName")


def arn(service: str, resource: str, **variables: Any) -> Any:
    """An ARN in this stack's partition, region and account (S3 ARNs have neither)."""
    if service == "s3":
        return sub(f"arn:${{AWS::Partition}}:s3:::{resource}", **variables)
    return sub(f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}", **variables)


def results_location(pipeline: Pipeline) -> Any:
    return sub(f"s3://${{Bucket}}/{naming.results_prefix(pipeline)}", Bucket=artifact_bucket())


def bucket_value(bucket: str) -> Any:
    """A pipeline file's bucket (``${data_bucket}``, ``${artifacts_bucket}`` or a name) as a CloudFormation value."""
    if bucket == "${data_bucket}":
        return data_bucket()
    if bucket == "${artifacts_bucket}":
        return artifact_bucket()
    if TEMPLATE.search(bucket):
        raise ValueError(f"bucket {bucket!r}: only ${{data_bucket}} or ${{artifacts_bucket}} may stand for a bucket")
    return bucket


def text(pipeline: Pipeline, template: str) -> Any:
    """A deploy-time template of the pipeline file as a CloudFormation string:
    buckets become imports, the database and pipeline name literals."""
    literal = {"database": pipeline.database, "pipeline": pipeline.name}
    variables: dict[str, Any] = {}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in literal:
            return literal[name]
        if name == "data_bucket":
            variables["DataBucket"] = data_bucket()
            return "${DataBucket}"
        if name == "artifacts_bucket":
            variables["ArtifactBucket"] = artifact_bucket()
            return "${ArtifactBucket}"
        if name == "results_location":
            variables["ArtifactBucket"] = artifact_bucket()
            return f"s3://${{ArtifactBucket}}/{naming.results_prefix(pipeline)}"
        raise ValueError(f"${{{name}}} is not a deploy-time variable")

    result = TEMPLATE.sub(replace, template)
    return sub(result, **variables) if variables else result


def literal_text(pipeline: Pipeline, template: str, buckets: dict[str, str]) -> str:
    """A deploy-time template with every variable filled from known names (for checks)."""
    values = {
        "database": pipeline.database,
        "pipeline": pipeline.name,
        "data_bucket": buckets["data"],
        "artifacts_bucket": buckets["artifacts"],
        "results_location": f"s3://{buckets['artifacts']}/{naming.results_prefix(pipeline)}",
    }
    return TEMPLATE.sub(lambda m: values[m.group(1)] if m.group(1) in values else m.group(0), template)
