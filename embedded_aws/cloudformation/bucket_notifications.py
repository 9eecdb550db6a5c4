"""An ``AWS::S3::Bucket``'s ``NotificationConfiguration`` takes effect.

moto's CloudFormation creates the bucket but drops its notification
configuration, so objects created in a stack's bucket reached no queue and
no EventBridge rule. Here the template's configuration (queues, topics,
Lambda functions with their key filters, and ``EventBridgeConfiguration``)
is applied through the same backend call PutBucketNotificationConfiguration
makes, on create and on update.
"""

from __future__ import annotations

from typing import Any

from moto.s3.models import FakeBucket, s3_backends
from moto.utilities.utils import get_partition

# CloudFormation's list property -> (the API's configuration list, its ARN field, CloudFormation's ARN field)
_TARGETS = {
    "QueueConfigurations": ("QueueConfiguration", "Queue", "Queue"),
    "TopicConfigurations": ("TopicConfiguration", "Topic", "Topic"),
    "LambdaConfigurations": ("CloudFunctionConfiguration", "CloudFunction", "Function"),
}


def api_configuration(cfn: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's ``NotificationConfiguration`` in the shape the S3 backend stores."""
    config: dict[str, Any] = {}
    for prop, (api_list, api_arn, cfn_arn) in _TARGETS.items():
        items = []
        for index, item in enumerate(cfn.get(prop) or []):
            entry: dict[str, Any] = {api_arn: item[cfn_arn], "Event": [item["Event"]], "Id": f"{prop}-{index}"}
            rules = ((item.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
            if rules:
                entry["Filter"] = {"S3Key": {"FilterRule": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
            items.append(entry)
        if items:
            config[api_list] = items
    bridge = cfn.get("EventBridgeConfiguration") or {}
    if str(bridge.get("EventBridgeEnabled", "false")).lower() == "true":
        config["EventBridgeConfiguration"] = {}
    return config


def _apply(bucket: FakeBucket, cloudformation_json: Any, account_id: str, region_name: str) -> None:
    cfn = (cloudformation_json.get("Properties") or {}).get("NotificationConfiguration")
    backend = s3_backends[account_id][get_partition(region_name)]
    backend.put_bucket_notification_configuration(bucket.name, api_configuration(cfn) if cfn else {})


_ORIGINAL_CREATE = FakeBucket.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
_ORIGINAL_UPDATE = FakeBucket.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def create_from_cloudformation_json(cls: type, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any) -> FakeBucket:
    bucket = _ORIGINAL_CREATE(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    _apply(bucket, cloudformation_json, account_id, region_name)
    return bucket


def update_from_cloudformation_json(cls: type, original_resource: Any, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> FakeBucket:
    bucket = _ORIGINAL_UPDATE(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
    _apply(bucket, cloudformation_json, account_id, region_name)
    return bucket


_INSTALLED = False


def install() -> None:
    global _INSTALLED
    if not _INSTALLED:
        FakeBucket.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[method-assign, assignment]
        FakeBucket.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)  # type: ignore[method-assign, assignment]
        _INSTALLED = True
