"""The ``${name}`` templates of pipeline files.

Two kinds of variable: deploy-time ones (buckets, database, ...) become the
state machine's ``${Placeholder}`` names, filled like CloudFormation's
DefinitionSubstitutions; run-time ones (``${run_date}``) become intrinsic
functions over the execution's input, so they never end up formatted into
SQL text (Athena steps pass them as execution parameters).
"""

from __future__ import annotations

import re

TEMPLATE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# pipeline-file name -> the state machine's placeholder name
DEPLOY_VARIABLES = {
    "data_bucket": "DataBucket",
    "artifacts_bucket": "ArtifactBucket",
    "database": "AthenaDatabase",
    "results_location": "AthenaResultsLocation",
    "pipeline": "PipelineName",
}
# pipeline-file name -> the JSONPath of its value in the execution's state
RUN_VARIABLES = {"run_date": "$.runDate"}


def variables(text: str) -> set[str]:
    return set(TEMPLATE.findall(text))


def unknown_variables(text: str, run_time_allowed: bool = True) -> set[str]:
    allowed = set(DEPLOY_VARIABLES) | (set(RUN_VARIABLES) if run_time_allowed else set())
    return variables(text) - allowed


def deploy_time(text: str) -> str:
    """Deploy-time variables as state-machine placeholders; no run-time one may remain."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in DEPLOY_VARIABLES:
            raise ValueError(f"${{{name}}} is not a deploy-time variable")
        return "${" + DEPLOY_VARIABLES[name] + "}"

    return TEMPLATE.sub(replace, text)


def resolve(text: str, values: dict[str, str]) -> str:
    """Fill every variable from ``values`` (pipeline-file names), e.g. to find a
    path at deploy time or an input key for a given run date."""
    return TEMPLATE.sub(lambda m: values[m.group(1)], text)


def asl_field(key: str, template: str) -> tuple[str, str]:
    """A Parameters entry for a template: a plain value, or ``key.$`` with
    ``States.Format`` when it holds run-time variables."""
    parts: list[str] = []
    arguments: list[str] = []
    position = 0
    for match in TEMPLATE.finditer(template):
        parts.append(template[position:match.start()])
        name = match.group(1)
        if name in RUN_VARIABLES:
            parts.append("\0")
            arguments.append(RUN_VARIABLES[name])
        else:
            parts.append(match.group(0))
        position = match.end()
    parts.append(template[position:])
    text = deploy_time("".join(parts).replace("\0", "\x01"))
    if not arguments:
        return key, text
    pieces = [_escape(piece) for piece in text.split("\x01")]
    literal = "{}".join(pieces)
    return f"{key}.$", f"States.Format('{literal}', {', '.join(arguments)})"


def _escape(literal: str) -> str:
    """Intrinsic-function string literals escape ' { } and \\ with a backslash,
    but a ${Placeholder} must stay as it is so the substitution still finds it."""
    out: list[str] = []
    position = 0
    for match in re.finditer(r"\$\{[A-Za-z0-9_]+\}", literal):
        out.append(_escape_plain(literal[position:match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(_escape_plain(literal[position:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    return re.sub(r"(['{}\\])", r"\\\1", text)
