"""Replace a moto function everywhere its modules imported it by name.

moto's interpreter modules do ``from ...json_path import extract_json``, so
patching the defining module alone changes nothing for its importers. This
swaps every module-level binding of the original object inside moto's Step
Functions parser, and remembers it so later imports (none today) are visible
in ``check_bound``.
"""

from __future__ import annotations

import sys
from typing import Any

PARSER_PACKAGE = "moto.stepfunctions.parser"


def rebind(original: Any, replacement: Any) -> int:
    """Point every ``moto.stepfunctions.parser.*`` name bound to ``original`` at ``replacement``.

    Returns how many bindings changed (0 means the original was not found,
    which the caller's compatibility check should report).
    """
    changed = 0
    for name, module in list(sys.modules.items()):
        if module is None or not (name == PARSER_PACKAGE or name.startswith(PARSER_PACKAGE + ".")):
            continue
        for attr, value in list(vars(module).items()):
            if value is original:
                setattr(module, attr, replacement)
                changed += 1
    return changed
