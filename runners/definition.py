"""The state machine definition: one file, filled like CloudFormation's
DefinitionSubstitutions (``${Name}`` placeholders), locally and on AWS."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Mapping

PIPELINE_DEFINITION = Path(__file__).resolve().parent.parent / "state_machine" / "sales_marketing_pipeline.asl.json"
# The same pipeline written in JSONata (same states, placeholders and behaviour).
PIPELINE_DEFINITION_JSONATA = PIPELINE_DEFINITION.with_name("sales_marketing_pipeline.jsonata.asl.json")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def render(text: str, substitutions: Mapping[str, str]) -> str:
    """Replace every ``${Name}``; refuse to leave one unfilled or fill an unknown one."""
    missing = placeholders(text) - set(substitutions)
    if missing:
        raise ValueError(f"no value for placeholder(s): {', '.join(sorted(missing))}")
    unknown = set(substitutions) - placeholders(text)
    if unknown:
        raise ValueError(f"placeholder(s) not in the definition: {', '.join(sorted(unknown))}")
    rendered = _PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], text)
    json.loads(rendered)  # still valid JSON
    return rendered


def pipeline_definition(substitutions: Mapping[str, str], path: Path = PIPELINE_DEFINITION) -> str:
    return render(path.read_text(encoding="utf-8"), substitutions)
