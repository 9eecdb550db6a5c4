"""String values in a definition mean what their JSON says.

moto's ASL preprocessor decodes a JSON string literal with Python's
``ast.literal_eval`` (so ``\\/`` stays a backslash and a slash), and for the
values of an ``Assign`` it does not decode at all: ``"Assign": {"q": "a\\"b"}``
stored ``a\\"b`` and ``"é"`` sent as ``"\\u00e9"`` (what ``json.dumps``
writes) stored the six characters ``\\u00e9``. Here both decode the literal
as JSON.
"""

from __future__ import annotations

import json
from typing import Any

from antlr4 import ParserRuleContext
from moto.stepfunctions.parser.asl.component.common.assign.assign_template_value_terminal import (
    AssignTemplateValueTerminalLit,
)
from moto.stepfunctions.parser.asl.parse import preprocessor

from embedded_aws.compat import EmulatorCompatibilityError


def decode(parser_rule_context: ParserRuleContext) -> str | None:
    """The string a JSON string literal of the definition stands for."""
    text = parser_rule_context.getText()
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        try:
            value = json.loads(text)
        except ValueError:
            return text[1:-1]
        return value if isinstance(value, str) else text[1:-1]
    return text


def _assign_string_literal(self: Any, ctx: Any) -> AssignTemplateValueTerminalLit:
    return AssignTemplateValueTerminalLit(value=decode(ctx.string_literal()))


_INSTALLED = False


def install() -> None:
    """Decode string literals as JSON in moto's preprocessor (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    problems = []
    if not callable(getattr(preprocessor, "from_string_literal", None)):
        problems.append("moto's ASL preprocessor no longer imports from_string_literal")
    if "visitAssign_template_value_terminal_string_literal" not in preprocessor.Preprocessor.__dict__:
        problems.append("Preprocessor.visitAssign_template_value_terminal_string_literal is missing")
    if problems:
        raise EmulatorCompatibilityError(problems)
    preprocessor.from_string_literal = decode  # type: ignore[attr-defined]
    preprocessor.Preprocessor.visitAssign_template_value_terminal_string_literal = (  # type: ignore[method-assign]
        _assign_string_literal
    )
    _INSTALLED = True
