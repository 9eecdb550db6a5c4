"""A subset of DQDL (the Data Quality Definition Language): parse ``Rules = [...]`` and evaluate it on Spark.

Rules evaluated: ``RowCount``, ``ColumnCount``, ``ColumnExists``, ``IsComplete``,
``Completeness``, ``IsUnique``, ``Uniqueness``, ``IsPrimaryKey``,
``DistinctValuesCount``, ``Mean``, ``Sum``, ``StandardDeviation``,
``ColumnValues`` and ``ColumnLength`` (row-level, ``with threshold``), with the
constraints ``= != > >= < <=``, ``[not] between A and B`` and ``[not] in [...]``
(``NULL`` in a list allows nulls). Uniqueness is the share of rows whose
value occurs exactly once, as in Deequ, which Glue Data Quality is built on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>>=|<=|!=|=|>|<)|'
                    r"(?P<punct>[\[\],])|(?P<word>[A-Za-z_][A-Za-z0-9_]*))")
DATASET_RULES = {"RowCount", "ColumnCount"}
COLUMN_METRIC_RULES = {"Completeness", "Uniqueness", "DistinctValuesCount", "Mean", "Sum", "StandardDeviation"}
ROW_RULES = {"ColumnValues", "ColumnLength"}
CHECK_RULES = {"ColumnExists", "IsComplete", "IsUnique", "IsPrimaryKey"}
KNOWN = DATASET_RULES | COLUMN_METRIC_RULES | ROW_RULES | CHECK_RULES


class NotSupportedLocally(NotImplementedError):
    def __init__(self, what: str):
        super().__init__(f"{what} is not supported locally by the embedded AWS Glue Data Quality")


class DqdlError(ValueError):
    """A ruleset that does not parse."""


@dataclass
class Constraint:
    op: str  # one of = != > >= < <= between not_between in not_in
    values: list[Any] = field(default_factory=list)

    def holds(self, value: Any) -> bool:
        if value is None:
            return self.op in ("in",) and None in self.values or self.op == "not_in" and None not in self.values
        op, v = self.op, self.values
        if op == "between":
            return v[0] <= value <= v[1]
        if op == "not_between":
            return not (v[0] <= value <= v[1])
        if op == "in":
            return value in v
        if op == "not_in":
            return value not in v
        return {"=": value == v[0], "!=": value != v[0], ">": value > v[0], ">=": value >= v[0],
                "<": value < v[0], "<=": value <= v[0]}[op]

    def column(self, c: Any) -> Any:
        """The constraint as a Spark condition on column ``c`` (NULL: not satisfied unless listed)."""
        from pyspark.sql import functions as F

        op, v = self.op, self.values
        if op in ("in", "not_in"):
            listed = [x for x in v if x is not None]
            inside = c.isin(listed) if listed else F.lit(False)
            if op == "in":
                return F.coalesce(inside, F.lit(False)) | (c.isNull() & F.lit(None in v))
            return F.coalesce(~inside, F.lit(False)) | (c.isNull() & F.lit(None not in v))
        if op in ("between", "not_between"):
            inside = c.between(v[0], v[1])
            return F.coalesce(inside if op == "between" else ~inside, F.lit(False))
        compare = {"=": c == v[0], "!=": c != v[0], ">": c > v[0], ">=": c >= v[0], "<": c < v[0], "<=": c <= v[0]}[op]
        return F.coalesce(compare, F.lit(False))


@dataclass
class Rule:
    text: str
    kind: str
    columns: list[str]
    constraint: Constraint | None
    threshold: Constraint | None = None


def _tokens(text: str) -> tuple[list[tuple[str, str]], list[tuple[int, int]]]:
    """(kind, text) of each token, and where each stands in ``text``."""
    found, spans, position = [], [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise DqdlError(f"cannot read the ruleset at {text[position:position + 20]!r}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        spans.append(match.span(kind))
        position = match.end()
    return found, spans


def _value(token: tuple[str, str]) -> Any:
    kind, text = token
    if kind == "num":
        return float(text) if "." in text else int(text)
    if kind == "str":
        return text[1:-1].replace('\\"', '"')
    if kind == "word" and text.upper() == "NULL":
        return None
    raise DqdlError(f"expected a value, found {text!r}")


def _constraint(tokens: list[tuple[str, str]], i: int) -> tuple[Constraint | None, int]:
    if i >= len(tokens) or tokens[i][1] in (",", "]") or tokens[i][1].lower() in ("with", "and", "or", "where"):
        return None, i
    negated = tokens[i][1].lower() == "not"
    if negated:
        i += 1
    word = tokens[i][1].lower()
    if word == "between":
        low, high = _value(tokens[i + 1]), _value(tokens[i + 3])
        if tokens[i + 2][1].lower() != "and":
            raise DqdlError("between needs 'and'")
        return Constraint("not_between" if negated else "between", [low, high]), i + 4
    if word == "in":
        if tokens[i + 1][1] != "[":
            raise DqdlError("in needs a [list]")
        values, i = [], i + 2
        while tokens[i][1] != "]":
            if tokens[i][1] != ",":
                values.append(_value(tokens[i]))
            i += 1
        return Constraint("not_in" if negated else "in", values), i + 1
    if tokens[i][0] == "op" and not negated:
        return Constraint(tokens[i][1], [_value(tokens[i + 1])]), i + 2
    raise DqdlError(f"cannot read the constraint at {tokens[i][1]!r}")


def parse(ruleset: str) -> list[Rule]:
    """The rules of ``Rules = [ ... ]``."""
    body = ruleset.strip()
    match = re.match(r"^Rules\s*=\s*\[(.*)\]\s*$", body, re.S)
    if not match:
        if re.search(r"\b(Analyzers|Metadata|DataSources)\b", body):
            raise NotSupportedLocally("DQDL sections other than Rules")
        raise DqdlError("a ruleset is 'Rules = [ ... ]'")
    inner = match.group(1)
    tokens, spans = _tokens(inner)
    rules: list[Rule] = []
    i = 0
    while i < len(tokens):
        start = i
        kind = tokens[i][1]
        if tokens[i][0] != "word":
            raise DqdlError(f"expected a rule type, found {kind!r}")
        if kind not in KNOWN:
            raise NotSupportedLocally(f"the DQDL rule type {kind}")
        i += 1
        columns = []
        while i < len(tokens) and tokens[i][0] == "str":
            columns.append(_value(tokens[i]))
            i += 1
        constraint, i = _constraint(tokens, i)
        threshold = None
        if i < len(tokens) and tokens[i][1].lower() == "with":
            if tokens[i + 1][1].lower() != "threshold":
                raise NotSupportedLocally(f"'with {tokens[i + 1][1]}' in DQDL")
            threshold, i = _constraint(tokens, i + 2)
        if i < len(tokens) and tokens[i][1].lower() in ("and", "or", "where"):
            raise NotSupportedLocally(f"composite or filtered DQDL rules ('{tokens[i][1]}')")
        text = inner[spans[start][0] : spans[i - 1][1]]
        rules.append(Rule(text, kind, columns, constraint, threshold))
        if i < len(tokens):
            if tokens[i][1] != ",":
                raise DqdlError(f"expected ',' between rules, found {tokens[i][1]!r}")
            i += 1
    return rules
