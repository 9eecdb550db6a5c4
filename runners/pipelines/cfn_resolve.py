"""A CloudFormation template with its intrinsics resolved, as CloudFormation
would resolve them for given parameters, account, region and the exports of
the stacks before it: what the permission check reads policies from.

Physical names follow the template (``RoleName``, ``BucketName``, ...);
where a template leaves a name to CloudFormation, the name here is
``<stack>-<logical id>``, stable and unique, which is all a check needs
(grants and needs are resolved by the same rules). An intrinsic or
attribute this module does not know fails loudly instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, Mapping

NO_VALUE = object()


class ResolveError(ValueError):
    pass


@dataclass(frozen=True)
class Environment:
    partition: str = "aws"
    region: str = "us-east-1"
    account: str = "123456789012"

    @property
    def url_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"


# resource type -> the property naming it
_NAME_PROPERTY = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::Policy": "PolicyName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::StepFunctions::Activity": "Name",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::Glue::Job": "Name",
    "AWS::Glue::SecurityConfiguration": "Name",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Events::Rule": "Name",
    "AWS::Scheduler::Schedule": "Name",
    "AWS::KMS::Alias": "AliasName",
}


class ResolvedStack:
    def __init__(self, name: str, template: Mapping[str, Any], parameters: Mapping[str, str], env: Environment,
                 imports: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.template = template
        self.env = env
        self.imports = dict(imports or {})
        self._given = dict(parameters)
        self._resolving: set[str] = set()

    # -- parameters and conditions -----------------------------------------------------------
    @cached_property
    def parameters(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for name, spec in (self.template.get("Parameters") or {}).items():
            if name in self._given:
                values[name] = str(self._given[name])
            elif "Default" in spec:
                values[name] = str(spec["Default"])
            else:
                raise ResolveError(f"stack {self.name}: parameter {name} has no value")
        return values

    def condition(self, name: str) -> bool:
        conditions = self.template.get("Conditions") or {}
        if name not in conditions:
            raise ResolveError(f"stack {self.name}: no condition {name}")
        return bool(self.value(conditions[name]))

    # -- resources ----------------------------------------------------------------------------
    def resources(self, resource_type: str | None = None) -> dict[str, Mapping[str, Any]]:
        found = self.template.get("Resources") or {}
        return {logical: r for logical, r in found.items()
                if (resource_type is None or r.get("Type") == resource_type) and self._exists(r)}

    def _exists(self, resource: Mapping[str, Any]) -> bool:
        return "Condition" not in resource or self.condition(resource["Condition"])

    def properties(self, logical: str) -> dict[str, Any]:
        resource = self._resource(logical)
        return self.value(resource.get("Properties") or {})

    def _resource(self, logical: str) -> Mapping[str, Any]:
        resource = (self.template.get("Resources") or {}).get(logical)
        if resource is None:
            raise ResolveError(f"stack {self.name}: no resource or parameter {logical}")
        return resource

    def physical_name(self, logical: str) -> str:
        resource = self._resource(logical)
        prop = _NAME_PROPERTY.get(resource["Type"])
        raw = (resource.get("Properties") or {}).get(prop) if prop else None
        if raw is not None:
            if logical in self._resolving:
                raise ResolveError(f"stack {self.name}: {logical}'s name refers to itself")
            self._resolving.add(logical)
            try:
                return str(self.value(raw))
            finally:
                self._resolving.discard(logical)
        return f"{self.name}-{logical}"

    def ref(self, logical: str) -> str:
        kind = self._resource(logical)["Type"]
        name = self.physical_name(logical)
        e = self.env
        if kind in ("AWS::StepFunctions::Activity", "AWS::StepFunctions::StateMachine", "AWS::SNS::Topic"):
            return self.attribute(logical, "Arn")
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{e.region}.{e.url_suffix}/{e.account}/{name}"
        return name

    def attribute(self, logical: str, attribute: str) -> str:
        kind = self._resource(logical)["Type"]
        name = self.physical_name(logical)
        e = self.env
        arns = {
            "AWS::IAM::Role": f"arn:{e.partition}:iam::{e.account}:role/{name}",
            "AWS::S3::Bucket": f"arn:{e.partition}:s3:::{name}",
            "AWS::SQS::Queue": f"arn:{e.partition}:sqs:{e.region}:{e.account}:{name}",
            "AWS::DynamoDB::Table": f"arn:{e.partition}:dynamodb:{e.region}:{e.account}:table/{name}",
            "AWS::Logs::LogGroup": f"arn:{e.partition}:logs:{e.region}:{e.account}:log-group:{name}:*",
            "AWS::StepFunctions::Activity": f"arn:{e.partition}:states:{e.region}:{e.account}:activity:{name}",
            "AWS::StepFunctions::StateMachine": f"arn:{e.partition}:states:{e.region}:{e.account}:stateMachine:{name}",
            "AWS::SNS::Topic": f"arn:{e.partition}:sns:{e.region}:{e.account}:{name}",
            "AWS::Lambda::Function": f"arn:{e.partition}:lambda:{e.region}:{e.account}:function:{name}",
            "AWS::Events::Rule": f"arn:{e.partition}:events:{e.region}:{e.account}:rule/{name}",
            "AWS::KMS::Key": f"arn:{e.partition}:kms:{e.region}:{e.account}:key/{name}",
            "AWS::Scheduler::Schedule": f"arn:{e.partition}:scheduler:{e.region}:{e.account}:schedule/default/{name}",
        }
        if attribute == "Arn" and kind in arns:
            return arns[kind]
        if attribute in ("Name", "QueueName", "StateMachineName", "TopicName"):
            return name
        if attribute == "TopicArn" and kind == "AWS::SNS::Topic":
            return arns[kind]
        if attribute == "QueueUrl" and kind == "AWS::SQS::Queue":
            return self.ref(logical)
        raise ResolveError(f"stack {self.name}: cannot resolve {logical}.{attribute} ({kind})")

    # -- outputs ------------------------------------------------------------------------------
    def outputs(self) -> dict[str, str]:
        return {key: str(self.value(o["Value"])) for key, o in (self.template.get("Outputs") or {}).items()
                if "Condition" not in o or self.condition(o["Condition"])}

    def exports(self) -> dict[str, str]:
        found = {}
        for output in (self.template.get("Outputs") or {}).values():
            if "Export" in output and ("Condition" not in output or self.condition(output["Condition"])):
                found[str(self.value(output["Export"]["Name"]))] = str(self.value(output["Value"]))
        return found

    # -- intrinsics ---------------------------------------------------------------------------
    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.value(item) for item in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Condition":
                return self.condition(arg)
            if key.startswith("Fn::"):
                return self._function(key, arg)
        return {k: v for k, v in ((k, self.value(v)) for k, v in node.items()) if v is not NO_VALUE}

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Partition": self.env.partition,
            "AWS::Region": self.env.region,
            "AWS::AccountId": self.env.account,
            "AWS::StackName": self.name,
            "AWS::URLSuffix": self.env.url_suffix,
            "AWS::StackId": f"arn:{self.env.partition}:cloudformation:{self.env.region}:{self.env.account}:stack/{self.name}/id",
        }
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in pseudo:
            return pseudo[name]
        if name in (self.template.get("Parameters") or {}):
            return self.parameters[name]
        return self.ref(name)

    def _function(self, key: str, arg: Any) -> Any:
        if key == "Fn::GetAtt":
            logical, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
            return self.attribute(logical, self.value(attribute))
        if key == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.value(arg[1]))
            return self._sub(text, variables)
        if key == "Fn::ImportValue":
            export = self.value(arg)
            if export not in self.imports:
                raise ResolveError(f"stack {self.name} imports {export}, which no stack before it exports")
            return self.imports[export]
        if key == "Fn::Join":
            delimiter, items = arg
            return delimiter.join(str(v) for v in self.value(items))
        if key == "Fn::Select":
            index, items = self.value(arg)
            return items[int(index)]
        if key == "Fn::Split":
            delimiter, text = arg
            return str(self.value(text)).split(delimiter)
        if key == "Fn::If":
            name, then, otherwise = arg
            return self.value(then if self.condition(name) else otherwise)
        if key == "Fn::Equals":
            left, right = self.value(arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self.value(arg[0])
        if key == "Fn::And":
            return all(self.value(a) for a in arg)
        if key == "Fn::Or":
            return any(self.value(a) for a in arg)
        raise ResolveError(f"stack {self.name}: {key} is not resolved by the permission check")

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical, attribute = name.split(".", 1)
                return self.attribute(logical, attribute)
            return str(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)


def load_template(path: Any) -> dict[str, Any]:
    """A template file (YAML with CloudFormation's short-form tags, or JSON) as plain data
    (read once per file version; treat it as read-only)."""
    from pathlib import Path

    file = Path(path)
    stat = file.stat()
    return _load_template(str(file.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)
def _load_template(path: str, _mtime: int, _size: int) -> dict[str, Any]:
    from pathlib import Path

    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when there: templates are long

    class _Loader(base):  # type: ignore[misc, valid-type]
        pass

    def construct(loader: Any, suffix: str, node: Any) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if suffix in ("Ref", "Condition"):
            return {suffix: value}
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{suffix}": value}

    _Loader.add_multi_constructor("!", construct)
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (a SafeLoader)
