"""What an EventBridge target receives: the event, a constant ``Input``, the
part an ``InputPath`` selects, or an ``InputTransformer``'s output, as the
EventBridge user guide ("Amazon EventBridge input transformation") and the
API reference (InputTransformer) describe them. Pure functions, no moto.

InputTemplate substitution:

* a template that is a JSON object or array: a ``<variable>`` outside a JSON
  string becomes the value as JSON (a string gets its quotes and escapes:
  ``"instance": <instance>`` -> ``"instance": "i-0123456789"``); inside a
  string the value is inserted as text, unescaped (``"state is <state>"``);
* any other template (a string): every value is inserted as text;
* a path that is not in the event gives ``null`` outside a string and
  nothing inside one (AWS: "that variable isn't created");
* predefined variables: ``aws.events.rule-arn``, ``aws.events.rule-name``,
  ``aws.events.event`` (the event without ``detail``),
  ``aws.events.event.json`` (the whole event) and
  ``aws.events.event.ingestion-time`` (ISO 8601);
* ``<`` that does not open a known variable is kept as it is.

JSON paths: ``$``, dot notation (names may hold dashes, underscores,
slashes) and array indices (``$.detail.items[0]``). Wildcards are not
supported locally (``check_path`` says so before a target is added).
"""

from __future__ import annotations

import json
import re
from typing import Any

RULE_ARN = "aws.events.rule-arn"
RULE_NAME = "aws.events.rule-name"
EVENT = "aws.events.event"
EVENT_JSON = "aws.events.event.json"
INGESTION_TIME = "aws.events.event.ingestion-time"

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_STEP = re.compile(r"\.([^.\[\]*]+)|\[(\d+)\]")
_MISSING = object()


def check_path(path: str) -> None:
    """Raise NotImplementedError for a JSON path the local evaluation cannot follow."""
    if not isinstance(path, str) or not path.startswith("$"):
        raise NotImplementedError(f"JSON path {path!r} does not start with '$'")
    position = 1
    while position < len(path):
        step = _STEP.match(path, position)
        if step is None:
            raise NotImplementedError(
                f"JSON path {path!r}: only dot notation and array indices are supported locally (no wildcards)")
        position = step.end()


def select(event: Any, path: str) -> Any:
    """The value at ``path`` in ``event``, or ``_MISSING``."""
    check_path(path)
    value = event
    for name, index in _STEP.findall(path):
        if name:
            if not isinstance(value, dict) or name not in value:
                return _MISSING
            value = value[name]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                return _MISSING
            value = value[int(index)]
    return value


def _as_text(value: Any) -> str:
    if value is _MISSING:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _as_json(value: Any) -> str:
    return "null" if value is _MISSING else json.dumps(value)


def render(template: str, values: dict[str, Any]) -> str:
    """Fill ``template``'s ``<name>`` placeholders from ``values`` (``_MISSING`` allowed)."""
    json_template = template.lstrip()[:1] in ("{", "[")
    out: list[str] = []
    in_string = False
    position = 0
    while position < len(template):
        char = template[position]
        if char == "<":
            match = _PLACEHOLDER.match(template, position)
            if match is not None and match.group(1) in values:
                value = values[match.group(1)]
                out.append(_as_json(value) if json_template and not in_string else _as_text(value))
                position = match.end()
                continue
        if char == "\\" and in_string:
            out.append(template[position:position + 2])
            position += 2
            continue
        if char == '"':
            in_string = not in_string
        out.append(char)
        position += 1
    return "".join(out)


def transform(template: str, paths: dict[str, str], event: dict[str, Any], *,
              rule_name: str, rule_arn: str, ingestion_time: str) -> str:
    """An InputTransformer's output for ``event`` (minified when it is JSON)."""
    values: dict[str, Any] = {name: select(event, path) for name, path in (paths or {}).items()}
    values.update({
        RULE_ARN: rule_arn,
        RULE_NAME: rule_name,
        EVENT: {k: v for k, v in event.items() if k != "detail"},
        EVENT_JSON: event,
        INGESTION_TIME: ingestion_time,
    })
    text = render(template, values)
    try:
        return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    except json.JSONDecodeError:
        return text  # EventBridge does not escape text inserted into strings: sent as it came out


def target_input(target: dict[str, Any], event: dict[str, Any], *, rule_name: str, rule_arn: str, ingestion_time: str) -> str:
    """The text a target receives for ``event`` (an AWS-shaped event)."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath"):
        return _as_json(select(event, target["InputPath"]))
    transformer = target.get("InputTransformer")
    if transformer:
        return transform(transformer.get("InputTemplate", ""), transformer.get("InputPathsMap") or {}, event,
                         rule_name=rule_name, rule_arn=rule_arn, ingestion_time=ingestion_time)
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)
