"""State machine definitions with ``${Name}`` placeholders, filled like
CloudFormation's DefinitionSubstitutions, locally and on AWS.

Pipelines' definitions are rendered from their files (runners.pipelines.asl);
a hand-written one (such as the sample's JSONata twin) uses the same names."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Mapping

STATE_MACHINE_DIR = Path(__file__).resolve().parent.parent / "state_machine"
# The sample pipeline written by hand in JSONata (same steps and placeholders
# as the one rendered from pipelines/sales_marketing.yaml).
PIPELINE_DEFINITION_JSONATA = STATE_MACHINE_DIR / "sales_marketing_pipeline.jsonata.asl.json"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def render(text: str, substitutions: Mapping[str, str], allow_unused: bool = False) -> str:
    """Replace every ``${Name}``; refuse to leave one unfilled, or (unless
    ``allow_unused``) to be given one the definition does not use."""
    missing = placeholders(text) - set(substitutions)
    if missing:
        raise ValueError(f"no value for placeholder(s): {', '.join(sorted(missing))}")
    unknown = set(substitutions) - placeholders(text)
    if unknown and not allow_unused:
        raise ValueError(f"placeholder(s) not in the definition: {', '.join(sorted(unknown))}")
    rendered = _PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], text)
    json.loads(rendered)  # still valid JSON
    return rendered
