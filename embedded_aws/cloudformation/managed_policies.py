"""``AWS::IAM::ManagedPolicy`` as CloudFormation manages it.

moto's own class only creates: an update leaves the old document and
attachments, and deleting the stack leaves the policy attached to its roles
(so a role in another stack can never be deleted). Here, as on AWS:

* Ref is the policy's ARN; GetAtt PolicyArn, PolicyId, DefaultVersionId,
  AttachmentCount, IsAttachable;
* without ``ManagedPolicyName`` the name is generated
  (``<stack>-<logical id>-<suffix>``);
* a new ``PolicyDocument`` becomes a new default version (the older ones are
  deleted, so the five-version limit is never reached); changed ``Roles``,
  ``Groups`` and ``Users`` are attached and detached in place; a new name,
  path or description replaces the policy;
* delete detaches it from what it names, then deletes it.
"""

from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.iam import models as _iam_models  # noqa: F401  (moto's ManagedPolicy must exist first: the last class of a type wins)
from moto.iam.models import iam_backends
from moto.utilities.utils import get_partition

from embedded_aws.cloudformation.resources import _policy_text, _quietly_gone, _Resource

# CloudFormation property -> (attach, detach) method names of moto's IAM backend
_PRINCIPALS = {
    "Roles": ("attach_role_policy", "detach_role_policy", "role_name"),
    "Groups": ("attach_group_policy", "detach_group_policy", "group_name"),
    "Users": ("attach_user_policy", "detach_user_policy", "user_name"),
}


class CfnManagedPolicy(_Resource, CloudFormationModel):
    ATTRIBUTES = {"PolicyArn": "arn", "PolicyId": "policy_id", "DefaultVersionId": "default_version_id",
                  "AttachmentCount": "attachment_count", "IsAttachable": "is_attachable"}
    REPLACE_ON = ("Path", "Description")

    def __init__(self, account_id: str, region_name: str, props: dict[str, Any], name: str, policy: Any):
        self.account_id, self.region_name, self.properties = account_id, region_name, props
        self.name, self.policy = name, policy

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ManagedPolicyName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::IAM::ManagedPolicy"

    @property
    def physical_resource_id(self) -> str:
        return self.policy.arn

    @property
    def arn(self) -> str:
        return self.policy.arn

    @property
    def policy_id(self) -> str:
        return self.policy.id

    @property
    def default_version_id(self) -> str:
        return self.policy.default_version_id

    @property
    def attachment_count(self) -> int:
        return self.policy.attachment_count

    @property
    def is_attachable(self) -> bool:
        return True

    def _iam(self) -> Any:
        return _backend(self.account_id, self.region_name)

    @classmethod
    def _create(cls, name: str, props: dict[str, Any], account_id: str, region_name: str) -> Any:
        # moto's parser asks the first class of a type (its own, with no name
        # property) for the name property, so ``name`` is always generated here.
        name = props.get("ManagedPolicyName") or name
        iam = _backend(account_id, region_name)
        policy = iam.create_policy(
            description=props.get("Description") or "",
            path=props.get("Path") or "/",
            policy_document=_policy_text(props["PolicyDocument"]),
            policy_name=name,
            tags=[],
        )
        resource = cls(account_id, region_name, props, name, policy)
        resource._attach_all(props)
        return resource

    def _attach_all(self, props: dict[str, Any], known: dict[str, Any] | None = None) -> None:
        for prop, (attach, _, argument) in _PRINCIPALS.items():
            already = set((known or {}).get(prop) or [])
            for principal in props.get(prop) or []:
                if principal not in already:
                    getattr(self._iam(), attach)(policy_arn=self.arn, **{argument: principal})

    def _detach_all(self, props: dict[str, Any], keep: dict[str, Any] | None = None) -> None:
        for prop, (_, detach, argument) in _PRINCIPALS.items():
            staying = set((keep or {}).get(prop) or [])
            for principal in props.get(prop) or []:
                if principal not in staying:
                    _quietly_gone(getattr(self._iam(), detach), policy_arn=self.arn, **{argument: principal})

    def _update(self, props: dict[str, Any]) -> None:
        old = self.properties
        if props.get("PolicyDocument") != old.get("PolicyDocument"):
            iam = self._iam()
            iam.create_policy_version(self.arn, _policy_text(props["PolicyDocument"]), set_as_default=True)
            for version in list(iam.list_policy_versions(self.arn)):
                if version.version_id != self.policy.default_version_id:
                    iam.delete_policy_version(self.arn, version.version_id)
        self._attach_all(props, known=old)
        self._detach_all(old, keep=props)

    def _delete(self) -> None:
        self._detach_all(self.properties)
        _quietly_gone(self._iam().delete_policy, self.arn)


def _backend(account_id: str, region_name: str) -> Any:
    return iam_backends[account_id][get_partition(region_name)]
