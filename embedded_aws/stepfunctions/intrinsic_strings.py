"""Intrinsic functions are read from the JSON string's value, as on AWS.

A definition's ``"x.$": "States.Format('\\\\'{}\\\\'', $.d)"`` is the
intrinsic text ``States.Format('\\'{}\\'', $.d)`` once JSON is decoded: a
quoted literal holding ``'{}'``. moto cuts the quotes off the raw JSON token
without decoding it, so every JSON escape stays doubled and an escaped quote
(``\\'``, how AWS documents a quote inside an intrinsic string) breaks the
parse. Decoding the token first gives the intrinsic parser what AWS's gets.

Inside an intrinsic string literal, ``\\'``, ``\\{``, ``\\}`` and ``\\\\``
stand for the character itself; in ``States.Format`` an escaped brace is a
literal brace, never a placeholder (moto kept the backslashes and formatted
with ``str.format``, which fails on any literal brace).
"""

from __future__ import annotations

import json
import re
from typing import Any

from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser
from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringIntrinsicFunction
from moto.stepfunctions.parser.asl.component.intrinsic.argument.argument import ArgumentLiteral
from moto.stepfunctions.parser.asl.component.intrinsic.function.statesfunction.generic.string_format import StringFormat
from moto.stepfunctions.parser.asl.parse.intrinsic.intrinsic_parser import IntrinsicParser
from moto.stepfunctions.parser.asl.parse.intrinsic.preprocessor import Preprocessor as IntrinsicPreprocessor
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

_INSTALLED = False


def _visit_string_intrinsic_function(self: Preprocessor, ctx: ASLParser.String_intrinsic_functionContext) -> StringIntrinsicFunction:
    derivation = json.loads(ctx.STRINGINTRINSICFUNC().getText())
    function, _ = IntrinsicParser.parse(derivation)
    return StringIntrinsicFunction(intrinsic_function_derivation=derivation, function=function)


_RESERVED = "'{}\\"


def _unescape(match: re.Match[str]) -> str:
    char = match.group(1)
    if char in _RESERVED or char == '"':
        return char
    return {"n": "\n", "t": "\t", "r": "\r"}.get(char, match.group(0))


def _visit_func_arg_string(self: IntrinsicPreprocessor, ctx: Any) -> ArgumentLiteral:
    raw = ctx.STRING().getText()[1:-1]
    argument = ArgumentLiteral(definition_value=re.sub(r"\\(.)", _unescape, raw))
    argument.escaped_text = raw  # type: ignore[attr-defined]  (States.Format tells {} from \\{\\})
    return argument


def _format(template: str, values: list[Any]) -> str:
    out: list[str] = []
    remaining = iter(values)
    index = 0
    while index < len(template):
        char = template[index]
        if char == "\\" and index + 1 < len(template):
            out.append(re.sub(r"\\(.)", _unescape, template[index:index + 2]))
            index += 2
        elif template.startswith("{}", index):
            try:
                out.append(StringFormat._to_str_repr(next(remaining)))
            except StopIteration:
                raise ValueError("States.Format has more {} than arguments") from None
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _string_format_eval_body(self: StringFormat, env: Any) -> None:
    self.argument_list.eval(env=env)
    args = env.stack.pop()
    first = self.argument_list.arguments[0]
    template = getattr(first, "escaped_text", None)
    if template is None:  # the template came from a path: no escapes to honour
        template = args[0].replace("{", "\\{").replace("}", "\\}").replace("\\{\\}", "{}")
    env.stack.append(_format(template, list(args[1:])))


def install() -> None:
    global _INSTALLED
    if not _INSTALLED:
        IntrinsicPreprocessor.visitFunc_arg_string = _visit_func_arg_string  # type: ignore[method-assign]
        StringFormat._eval_body = _string_format_eval_body  # type: ignore[method-assign]
        Preprocessor.visitString_intrinsic_function = _visit_string_intrinsic_function  # type: ignore[method-assign]
        _INSTALLED = True
