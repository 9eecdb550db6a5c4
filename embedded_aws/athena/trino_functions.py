"""Trino functions on DuckDB: where sqlglot's transpilation is not Trino's meaning.

sqlglot translates most of Trino's function library to DuckDB. Where the
result would differ (a non-matching ``regexp_extract`` is NULL in Trino,
``array_distinct`` keeps order, ``slice`` takes a length, ``date_add`` on a
date is a date, ``DECIMAL '12.50'`` is ``decimal(4,2)``, ...) ``rewrite``
replaces the node with an exact equivalent, mostly a DuckDB macro named
``__trino_*`` (see ``trino_macros``). Athena reads ``1.5`` as a double,
so such literals become doubles here. Operand types come from literals,
casts, catalog columns and, through subqueries, from sqlglot's type
inference (``type_oracle``). A Trino function or argument this engine
cannot reproduce exactly fails with ``NOT_SUPPORTED``; a name Trino does
not know fails with ``FUNCTION_NOT_FOUND``, both before DuckDB runs.
Joda patterns are translated by ``joda``.
"""

from __future__ import annotations

import datetime
import decimal
import re
from typing import Any, Callable, Mapping, Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, UnsupportedError
from sqlglot.tokens import TokenType

from embedded_aws.athena import type_oracle
from embedded_aws.athena.joda import joda_to_strftime
from embedded_aws.athena.results import SqlError


def _call(name: str, *args: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _string(node: exp.Expression | None) -> str | None:
    return node.this if isinstance(node, exp.Literal) and node.is_string else None


_INTEGER_KINDS = frozenset({"tinyint", "smallint", "integer", "bigint"})
_INTEGER_DIGITS = {"tinyint": 3, "smallint": 5, "integer": 10, "bigint": 19}


def _inferred_kind(node: exp.Expression, name: str | None) -> tuple[str, tuple] | None:
    """The kind of an inferred type name; sum of a decimal(p,s) is decimal(38,s) in Trino."""
    kind = _kind_of_type(name) if name else None
    if kind and kind[0] == "decimal" and isinstance(node, exp.Sum):
        return "decimal", (38, kind[1][1])
    return kind


def _decimal_shape(kind: tuple[str, tuple]) -> tuple[int, int]:
    """(precision, scale) of a decimal or of an integer type read as a decimal."""
    return kind[1] if kind[0] == "decimal" else (_INTEGER_DIGITS[kind[0]], 0)


def _kind_of_type(name: str) -> tuple[str, tuple] | None:
    """(kind, detail) of a Trino or Hive type name: decimal -> (p, s); map -> its key type."""
    name = name.replace(" ", "")
    if match := re.fullmatch(r"decimal\((\d+),(\d+)\)", name):
        return "decimal", (int(match.group(1)), int(match.group(2)))
    if name == "decimal":
        return "decimal", (38, 0)
    if name in ("int", "integer"):
        return "integer", (10, 0)
    if name in ("bigint", "tinyint", "smallint"):
        return name, (_INTEGER_DIGITS[name], 0)
    if name.startswith(("array<", "array(")):
        return "array", ()
    if name.startswith(("map<string,", "map<varchar", "map(varchar")):
        return "map", ("varchar", 0)
    if name.startswith(("map<", "map(")):
        return "map", None
    return name, ()


def _text_literal(node: exp.Literal) -> bool:
    """A string literal used as text (not the value of ``DATE '...'``, ``DECIMAL '...'``, ...)."""
    parent = node.parent
    if isinstance(parent, exp.Cast) and not parent.to.is_type(*exp.DataType.TEXT_TYPES):
        return False
    if isinstance(parent, exp.Interval):
        return False
    return node.is_string


def _whole_seconds(node: exp.Expression) -> bool:
    """A timestamp(0) value: a timestamp literal without fractional digits (kept as TIMESTAMP_S)."""
    return isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.TIMESTAMP_S


def _as_whole_seconds(node: exp.Expression) -> exp.Expression:
    """Trino keeps timestamp(0) through date arithmetic; DuckDB widens to microseconds."""
    return exp.Cast(this=node, to=exp.DataType.build("TIMESTAMP_S", dialect="duckdb"))


def _unit(node: exp.Expression) -> str:
    unit = node.args.get("unit")
    return (unit.name if unit is not None else "").lower()


def _decimal_literal_type(text: str) -> exp.DataType:
    """Trino's type of ``DECIMAL 'text'``: precision and scale of the digits written."""
    match = re.fullmatch(r"\s*[+-]?(\d*)(?:\.(\d*))?\s*", text)
    if match is None:
        raise SqlError(f"INVALID_LITERAL: '{text}' is not a valid decimal literal")
    whole, fraction = match.group(1).lstrip("0"), match.group(2) or ""
    scale = len(fraction)
    precision = max(len(whole) + scale, 1)
    if precision > 38:
        raise SqlError(f"INVALID_LITERAL: decimal literal '{text}' has more than 38 digits")
    return exp.DataType.build(f"DECIMAL({precision}, {scale})")


def typed_decimal_literals(text: str) -> list[bool]:
    """For each ``DECIMAL '...'`` / ``CAST('...' AS DECIMAL)`` in ``text``, in order: typed literal?"""
    tokens = sqlglot.tokenize(text, read="trino")
    flags = []
    for i, token in enumerate(tokens):
        if token.token_type != TokenType.DECIMAL:
            continue
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if after is not None and after.token_type == TokenType.STRING:
            flags.append(True)
        elif i >= 2 and tokens[i - 1].token_type == TokenType.ALIAS and tokens[i - 2].token_type == TokenType.STRING:
            if after is None or after.token_type != TokenType.L_PAREN:
                flags.append(False)
    return flags


# A Java format pattern whose specifiers C's printf reads the same way.
_PRINTF_SAFE = re.compile(r"(?:[^%]|%%|%-?0?\d*(?:\.\d+)?[sdxof])*")


def to_duckdb(tree: exp.Expression) -> str:
    """DuckDB SQL for a rewritten query; a Trino argument sqlglot would drop is NOT_SUPPORTED, not ignored."""
    try:
        return tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise SqlError(f"NOT_SUPPORTED: {str(exc).splitlines()[0]} (local Athena engine)") from None


def _varchar_widths(tree: exp.Expression) -> dict[int, int]:
    """Result columns that are a text literal or a cast to varchar(n): Trino types them varchar(n)."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select) or isinstance(tree, exp.SetOperation):
        return {}
    widths = {}
    for index, projection in enumerate(select.expressions):
        value = projection.this if isinstance(projection, exp.Alias) else projection
        if (text := _string(value)) is not None:
            widths[index] = len(text)
        elif isinstance(value, exp.Cast) and value.to.is_type(exp.DataType.Type.VARCHAR) and value.to.expressions:
            widths[index] = int(value.to.expressions[0].name)
    return widths


class Rewriter:
    """Rewrites one parsed Athena query for DuckDB, with Trino's meanings."""

    def __init__(
        self,
        text: str,
        type_of: Callable[[exp.Expression], str | None],
        column_type: Callable[[exp.Column], str | None] = lambda column: None,
        tables: Mapping[str, Mapping[str, str]] | None = None,
        parameters: Sequence[Any] = (),
    ):
        self._sql_type_of = type_of
        self._parameters = list(parameters)
        self._column_type = column_type
        self._tables = tables or {}
        self._oracle: dict[int, tuple[str | None, ...]] = {}
        self.varchar_widths: dict[int, int] = {}
        self._decimal_flags = iter(typed_decimal_literals(text))

    def rewrite(self, tree: exp.Expression) -> exp.Expression:
        self.varchar_widths = _varchar_widths(tree)
        # Decimal literals first, in text order (pre-order), before other rewrites move nodes.
        for cast in [n for n in tree.dfs() if isinstance(n, exp.Cast)]:
            self._decimal(cast)
        # Athena reads a numeric literal with a decimal point (1.5) as a double; DECIMAL '1.5' is a decimal.
        for literal in [n for n in tree.dfs() if isinstance(n, exp.Literal) and not n.is_string]:
            if "." in literal.this and not re.search(r"[eE]", literal.this):
                literal.set("this", literal.this + "e0")
        if tree.find(exp.Div, exp.Avg):
            self._oracle = type_oracle.operand_types(tree, self._tables)
        # Bottom-up, so a handler sees its arguments already rewritten.
        for node in reversed(list(tree.dfs())):
            parent, arg_key, index = node.parent, node.arg_key, node.index
            new_node = self._node(node)
            if new_node is node:
                continue
            if node is tree:
                tree = new_node
            elif parent is not None and arg_key:
                parent.set(arg_key, new_node, index)
        return tree

    def _decimal(self, cast: exp.Cast) -> None:
        to = cast.to
        if not to.is_type(exp.DataType.Type.DECIMAL) or to.expressions:
            return
        literal = _string(cast.this)
        if literal is not None and next(self._decimal_flags, False):
            cast.set("to", _decimal_literal_type(literal))
        else:  # Trino's DECIMAL without parameters is decimal(38,0)
            cast.set("to", exp.DataType.build("DECIMAL(38, 0)"))

    def _type_of(self, node: exp.Expression) -> str | None:
        """``int``, ``date`` or None: the SQL layer's answer, or a bound parameter's."""
        known = self._sql_type_of(node)
        if known is None and (kind := self._parameter_kind(node)) is not None:
            return "date" if kind[0] == "date" else "int" if kind[0] in _INTEGER_KINDS else None
        return known

    def _parameter_kind(self, node: exp.Expression) -> tuple[str, tuple] | None:
        """The type of a bound ``?`` parameter (numbered ``__athena_pN`` by the SQL layer)."""
        if not isinstance(node, exp.Placeholder):
            return None
        match = re.fullmatch(r"__athena_p(\d+)", str(node.this or ""))
        index = int(match.group(1)) - 1 if match else -1
        if not 0 <= index < len(self._parameters):
            return None
        value = self._parameters[index]
        if isinstance(value, bool):
            return "boolean", ()
        if isinstance(value, int):
            return ("integer", (10, 0)) if abs(value) < 2**31 else ("bigint", (19, 0))
        if isinstance(value, float):
            return "double", ()
        if isinstance(value, decimal.Decimal):
            exponent = value.as_tuple().exponent
            scale = max(0, -exponent) if isinstance(exponent, int) else 0
            return "decimal", (max(len(value.as_tuple().digits), scale, 1), scale)
        if isinstance(value, datetime.datetime):
            return "timestamp", ()
        if isinstance(value, datetime.date):
            return "date", ()
        return None

    def _node(self, node: exp.Expression) -> exp.Expression:
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is not None:
            return handler(node)
        return node

    # --- arithmetic and types
    def _IntDiv(self, node: exp.IntDiv) -> exp.Expression:
        return _call("__trino_int_div", node.this, node.expression)

    def _Cast(self, node: exp.Cast) -> exp.Expression:
        to = node.to
        if to.is_type(*exp.DataType.INTEGER_TYPES) and (self._static(node.this) or ("",))[0] in ("double", "real"):
            node.set("this", exp.Round(this=node.this))  # Trino rounds half away from zero; DuckDB to even
            return node
        if to.is_type(exp.DataType.Type.JSON):  # Trino encodes the value as JSON (text becomes a JSON string)
            return _call("to_json", node.this)
        if to.is_type(exp.DataType.Type.CHAR, exp.DataType.Type.NCHAR):
            raise SqlError("NOT_SUPPORTED: the char type is not supported by the local Athena engine (use varchar)")
        if to.is_type(exp.DataType.Type.VARCHAR) and to.expressions:  # Trino cuts the text to the length
            length = exp.Literal.number(int(to.expressions[0].name))
            return _call("substr", _call("__trino_varchar", node.this), exp.Literal.number(1), length)
        if to.is_type(exp.DataType.Type.VARCHAR) and not to.expressions and _string(node.this) is None:
            # Trino's text of a double (1.0E10) or a timestamp (.000) differs from DuckDB's.
            return _call("__trino_varchar", node.this)
        if to.is_type(exp.DataType.Type.TIMESTAMP) and to.expressions and _string(node.this) is not None:
            precision = int(to.expressions[0].name)
            if precision == 0:
                node.set("to", exp.DataType.build("TIMESTAMP_S", dialect="duckdb"))
            elif precision == 3:
                node.set("to", exp.DataType.build("TIMESTAMP_MS", dialect="duckdb"))
            else:
                raise SqlError(
                    f"NOT_SUPPORTED: timestamp({precision}) is not supported by the local Athena engine "
                    "(timestamp literals with 0 or 3 fractional digits are)"
                )
        return node

    def _Div(self, node: exp.Div) -> exp.Expression:
        """decimal / decimal is a decimal in Trino (DuckDB divides as doubles)."""
        left, right = self._static(node.this), self._static(node.expression)
        inferred = self._oracle.get(id(node), (None, None))
        left = left or _inferred_kind(node.this, inferred[0])
        right = right or _inferred_kind(node.expression, inferred[1])
        if not (left and right):
            return node
        if left[0] in _INTEGER_KINDS and right[0] in _INTEGER_KINDS:  # integer division truncates
            return _call("__trino_int_div", node.this, node.expression)
        if "decimal" not in (left[0], right[0]):
            return node
        if not all(kind == "decimal" or kind in _INTEGER_KINDS for kind, _ in (left, right)):
            return node
        (p1, s1), (_, s2) = _decimal_shape(left), _decimal_shape(right)
        scale = max(s1, s2)
        precision = min(38, p1 + s2 + max(s2 - s1, 0))
        shift = scale + s2 - s1
        numerator = f"CAST(CAST(a AS DECIMAL(38, {s1})) * {10 ** s1} AS HUGEINT) * {10 ** shift}"
        denominator = f"CAST(CAST(b AS DECIMAL(38, {s2})) * {10 ** s2} AS HUGEINT)"
        if scale:  # the unscaled quotient times 10^-scale, exactly (decimal multiplication)
            template = (
                f"CAST(CAST(__trino_div_half_up({numerator}, {denominator}) AS DECIMAL(38, 0))"
                f" * CAST('0.{'0' * (scale - 1)}1' AS DECIMAL({scale}, {scale})) AS DECIMAL({precision}, {scale}))"
            )
        else:
            template = f"CAST(__trino_div_half_up({numerator}, {denominator}) AS DECIMAL({precision}, 0))"
        parsed = sqlglot.parse_one(template, read="duckdb")
        for column in list(parsed.find_all(exp.Column)):
            if column.name == "a":
                column.replace(node.this.copy())
            elif column.name == "b":
                column.replace(node.expression.copy())
        return exp.Paren(this=parsed)

    def _Add(self, node: exp.Add) -> exp.Expression:
        return self._date_plus_interval(node)

    def _Sub(self, node: exp.Sub) -> exp.Expression:
        return self._date_plus_interval(node)

    def _date_plus_interval(self, node: exp.Expression) -> exp.Expression:
        """date +/- interval of days or more stays a date in Trino."""
        interval = node.expression
        if isinstance(interval, exp.Interval) and self._type_of(node.this) == "date":
            unit = (interval.unit.name if interval.unit is not None else "").lower()
            if unit in ("day", "week", "month", "quarter", "year"):
                return exp.Cast(this=node, to=exp.DataType.build("DATE"))
        if isinstance(interval, exp.Interval) and _whole_seconds(node.this):
            return _as_whole_seconds(node)
        return node

    def _Interval(self, node: exp.Interval) -> exp.Expression:
        """A year-to-month interval is only supported as an operand of date arithmetic.

        DuckDB hands months back as 30-day spans, so such a value cannot be shown as
        Trino shows it (``0-1``); used with a date or timestamp it computes as in Trino.
        """
        unit = (node.unit.name if node.unit is not None else "").lower()
        if unit in ("month", "year", "quarter") and not isinstance(node.parent, (exp.Add, exp.Sub)):
            raise SqlError(
                "NOT_SUPPORTED: interval year to month values are not supported by the local Athena engine "
                "(adding them to a date or timestamp is)"
            )
        return node

    def _Bracket(self, node: exp.Bracket) -> exp.Expression:
        """A subscript out of range is an error in Trino (element_at is the lenient form)."""
        if node.args.get("safe") or len(node.expressions) != 1:
            return node
        kind = self._static(node.this)
        index = node.expressions[0]
        if kind and kind[0] == "array":
            one_based = (
                exp.Literal.number(int(index.name) + 1)
                if isinstance(index, exp.Literal) and not index.is_string
                else exp.Add(this=index, expression=exp.Literal.number(1))
            )
            return _call("__trino_array_subscript", node.this, one_based)
        if kind and kind[0] == "map" and kind[1] == ("varchar", 0):
            return _call("__trino_varchar_map_subscript", node.this, index)
        return node

    def _static(self, node: exp.Expression) -> tuple[str, tuple] | None:
        """A small static typing: (kind, detail) for literals, casts, catalog columns, constructors."""
        if isinstance(node, (exp.Paren, exp.Neg)):
            return self._static(node.this)
        if isinstance(node, exp.Placeholder):
            return self._parameter_kind(node)
        if isinstance(node, exp.Literal) and not node.is_string:
            text = node.this
            if re.search(r"[eE.]", text):  # Athena reads 1.5 as a double
                return "double", ()
            return ("integer", (10, 0)) if abs(int(text)) < 2**31 else ("bigint", (19, 0))
        if isinstance(node, exp.Cast):
            return _kind_of_type(node.to.sql(dialect="trino").lower())
        if isinstance(node, exp.Column):
            hive = self._column_type(node)
            return _kind_of_type(hive.lower()) if hive else None
        if isinstance(node, (exp.Array, exp.Split, exp.RegexpSplit, exp.RegexpExtractAll, exp.ArrayAgg)):
            return "array", ()
        if isinstance(node, exp.Map):
            keys = node.args.get("keys")
            textual = isinstance(keys, exp.Array) and keys.expressions and all(_string(k) is not None for k in keys.expressions)
            return "map", (("varchar", 0) if textual else None)
        return None

    def _Typeof(self, node: exp.Typeof) -> exp.Expression:
        literal = _string(node.this)
        if literal is not None:
            return exp.Literal.string(f"varchar({len(literal)})")
        if any(_text_literal(n) for n in node.this.find_all(exp.Literal)):
            # Trino types text built from literals as varchar(n) with computed lengths; DuckDB has no lengths.
            raise SqlError("NOT_SUPPORTED: typeof of an expression over text literals is not supported locally")
        return _call("__trino_typeof", exp.Typeof(this=node.this))

    # --- date and time
    def _DateAdd(self, node: exp.DateAdd) -> exp.Expression:
        if self._type_of(node.this) == "date" and _unit(node) in ("day", "week", "month", "quarter", "year"):
            return exp.Cast(this=node, to=exp.DataType.build("DATE"))
        if _whole_seconds(node.this):
            return _as_whole_seconds(node)
        return node

    def _FromISO8601Timestamp(self, node: exp.Expression) -> exp.Expression:
        return _call("__trino_from_iso8601_timestamp", node.this)

    def _UnixToTime(self, node: exp.UnixToTime) -> exp.Expression:
        zone = node.args.get("zone")
        if node.args.get("hours") is not None or (zone is not None and (_string(zone) or "").upper() != "UTC"):
            raise SqlError("NOT_SUPPORTED: from_unixtime with a time zone other than UTC is not supported locally")
        node.set("zone", None)
        return node

    def _CurrentTimezone(self, node: exp.Expression) -> exp.Expression:
        return exp.Literal.string("UTC")

    def _AtTimeZone(self, node: exp.AtTimeZone) -> exp.Expression:
        zone = _string(node.args.get("zone"))
        if zone is not None and zone.upper() in ("UTC", "Z", "+00:00"):
            return exp.Cast(this=node.this, to=exp.DataType.build("TIMESTAMPTZ"))
        raise SqlError("NOT_SUPPORTED: AT TIME ZONE other than 'UTC' is not supported by the local Athena engine")

    def _ParseDatetime(self, node: exp.Expression) -> exp.Expression:
        pattern = _string(node.args.get("format"))
        if pattern is None:
            raise SqlError("NOT_SUPPORTED: parse_datetime with a non-literal pattern is not supported locally")
        fmt = joda_to_strftime(pattern, "parse_datetime").replace("%-", "%")
        parsed = exp.StrToTime(this=node.this, format=exp.Literal.string(fmt))
        return exp.Cast(this=parsed, to=exp.DataType.build("TIMESTAMPTZ"))

    def _GenerateSeries(self, node: exp.GenerateSeries) -> exp.Expression:
        start, end = node.args["start"], node.args["end"]
        if self._type_of(start) == "date":
            raise SqlError("NOT_SUPPORTED: sequence over dates is not supported by the local Athena engine")
        if node.args.get("step") is None:  # Trino counts down when start > stop
            step = exp.Case(ifs=[exp.If(this=exp.LTE(this=start.copy(), expression=end.copy()), true=exp.Literal.number(1))])
            node.set("step", step.else_(exp.Neg(this=exp.Literal.number(1))))
        return node

    # --- arrays and maps
    def _ArrayDistinct(self, node: exp.Expression) -> exp.Expression:
        return _call("__trino_array_distinct", node.this)

    def _ArraySlice(self, node: exp.ArraySlice) -> exp.Expression:
        return _call("__trino_slice", node.this, node.args["start"], node.args["end"])

    def _ArrayMax(self, node: exp.Expression) -> exp.Expression:
        return _call("__trino_array_max", node.this)

    def _ArrayMin(self, node: exp.Expression) -> exp.Expression:
        return _call("__trino_array_min", node.this)

    def _ArrayContains(self, node: exp.Expression) -> exp.Expression:
        return _call("__trino_contains", node.this, node.expression)

    def _ArrayPosition(self, node: exp.Expression) -> exp.Expression:
        return _call("__trino_array_position", node.this, node.expression)

    def _ArrayIntersect(self, node: exp.Expression) -> exp.Expression:
        arrays = node.expressions or [node.this, node.expression]
        if len(arrays) != 2:
            return node
        return _call("__trino_array_intersect", *arrays)

    def _ArrayExcept(self, node: exp.Expression) -> exp.Expression:
        return _call("__trino_array_except", node.this, node.expression)

    def _ApproxQuantile(self, node: exp.ApproxQuantile) -> exp.Expression:
        if node.args.get("weight") is not None or node.args.get("accuracy") is not None:
            raise SqlError("NOT_SUPPORTED: approx_percentile with a weight or an accuracy is not supported locally")
        quantile = node.args.get("quantile")
        if quantile is not None:  # DuckDB takes the percentage as a float (Athena's 0.5 is a double)
            to = "FLOAT[]" if isinstance(quantile, exp.Array) else "FLOAT"
            node.set("quantile", exp.Cast(this=quantile, to=exp.DataType.build(to, dialect="duckdb")))
        return node

    def _ArraySize(self, node: exp.Expression) -> exp.Expression:
        return _call("__trino_cardinality", node.this)

    def _Reduce(self, node: exp.Reduce) -> exp.Expression:
        finish = node.args.get("finish")
        if finish is None:
            return node
        node.set("finish", None)
        applied = _call("list_transform", exp.Array(expressions=[node]), finish)
        return _call("list_extract", applied, exp.Literal.number(1))

    # --- strings and regular expressions
    def _DateDiff(self, node: exp.DateDiff) -> exp.Expression:
        """Trino counts whole units elapsed (DuckDB's date_sub), not boundaries crossed (date_diff)."""
        unit = _unit(node) or "day"
        return _call("date_sub", exp.Literal.string(unit), node.expression, node.this)

    def _Split(self, node: exp.Split) -> exp.Expression:
        limit = node.args.get("limit")
        if limit is None:
            return node
        return _call("__trino_split", node.this, node.expression, limit)

    def _Reverse(self, node: exp.Reverse) -> exp.Expression:
        kind = self._static(node.this)
        return _call("list_reverse", node.this) if kind and kind[0] == "array" else node

    def _Avg(self, node: exp.Avg) -> exp.Expression:
        """avg of decimal(p,s) is decimal(p,s) in Trino, rounded half up (DuckDB averages as a double)."""
        kind = self._static(node.this)
        if kind is None and self._oracle.get(id(node), (None,))[0]:
            kind = _kind_of_type(self._oracle[id(node)][0] or "")
        if not kind or kind[0] != "decimal" or node.find(exp.Distinct):
            return node
        precision, scale = kind[1]
        template = (
            "CASE WHEN count(x) = 0 THEN NULL ELSE "
            f"CAST(CAST(__trino_div_half_up(CAST(sum(x) * {10 ** scale} AS HUGEINT), count(x)) AS DECIMAL(38, 0))"
            + (f" * CAST('0.{'0' * (scale - 1)}1' AS DECIMAL({scale}, {scale}))" if scale else "")
            + f" AS DECIMAL({precision}, {scale})) END"
        )
        parsed = sqlglot.parse_one(template, read="duckdb")
        for column in list(parsed.find_all(exp.Column)):
            if column.name == "x":
                column.replace(node.this.copy())
        return parsed

    def _Format(self, node: exp.Format) -> exp.Expression:
        """Trino's format is Java's String.format; DuckDB's printf agrees on the plain specifiers."""
        pattern = _string(node.this)
        if pattern is None or not _PRINTF_SAFE.fullmatch(pattern):
            raise SqlError(
                "NOT_SUPPORTED: format with this pattern is not supported by the local Athena engine "
                "(literal patterns of %s, %d, %x, %o, %f and %% are)"
            )
        return _call("printf", node.this, *node.expressions)

    def _RegexpExtract(self, node: exp.RegexpExtract) -> exp.Expression:
        group = node.args.get("group") or exp.Literal.number(0)
        return _call("__trino_regexp_extract", node.this, node.expression, group)

    def _RegexpReplace(self, node: exp.RegexpReplace) -> exp.Expression:
        replacement = node.args.get("replacement")
        text = _string(replacement)
        if text is not None:  # Java's $1 -> RE2's \1
            node.set("replacement", exp.Literal.string(re.sub(r"\$(\d)", r"\\\1", text)))
        elif isinstance(replacement, exp.Lambda):
            raise SqlError("NOT_SUPPORTED: regexp_replace with a lambda is not supported by the local Athena engine")
        return node

    def _Substring(self, node: exp.Substring) -> exp.Expression:
        start, length = node.args.get("start"), node.args.get("length")
        if start is None:
            return node
        if length is None:
            return _call("__trino_substr", node.this, start)
        return _call("__trino_substr_for", node.this, start, length)

    def _SplitPart(self, node: exp.SplitPart) -> exp.Expression:
        return _call("__trino_split_part", node.this, node.args["delimiter"], node.args["part_index"])

    # --- JSON
    def _JSONExtractScalar(self, node: exp.Expression) -> exp.Expression:
        return _call("__trino_json_extract_scalar", node.this, node.expression)

    # --- functions sqlglot leaves as they are written
    def _Anonymous(self, node: exp.Anonymous) -> exp.Expression:
        name = str(node.this).lower()
        args = list(node.expressions)
        if name in _ANONYMOUS_MACROS:
            return _call(_ANONYMOUS_MACROS[name], *args)
        if name == "format_datetime":
            pattern = _string(args[1]) if len(args) == 2 else None
            if pattern is None:
                raise SqlError("NOT_SUPPORTED: format_datetime with a non-literal pattern is not supported locally")
            return exp.TimeToStr(this=args[0], format=exp.Literal.string(joda_to_strftime(pattern, "format_datetime")))
        if name == "map_agg" and len(args) == 2:
            keys = exp.Filter(
                this=_call("list", args[0]), expression=exp.Where(this=exp.Not(this=exp.Is(this=args[0].copy(), expression=exp.Null())))
            )
            values = exp.Filter(
                this=_call("list", args[1]),
                expression=exp.Where(this=exp.Not(this=exp.Is(this=args[0].copy(), expression=exp.Null()))),
            )
            return _call("map", keys, values)
        if name in _PASS_THROUGH or name.startswith("__"):
            return node
        if name in TRINO_UNSUPPORTED:
            raise SqlError(f"NOT_SUPPORTED: Function '{name}' is not supported by the local Athena engine")
        raise SqlError(f"FUNCTION_NOT_FOUND: Function '{name}' not registered")


_ANONYMOUS_MACROS = {
    "to_iso8601": "__trino_to_iso8601",
    "array_union": "__trino_array_union",
    "arrays_overlap": "__trino_arrays_overlap",
    "millisecond": "__trino_millisecond",
    "every": "bool_and",
    "codepoint": "unicode",
    "yow": "isoyear",
    "json_array_length": "__trino_json_array_length",
    "json_size": "__trino_json_size",
    "url_extract_host": "__trino_url_extract_host",
    "url_extract_path": "__trino_url_extract_path",
    "url_extract_port": "__trino_url_extract_port",
    "url_extract_protocol": "__trino_url_extract_protocol",
    "url_extract_query": "__trino_url_extract_query",
    "url_extract_fragment": "__trino_url_extract_fragment",
    "url_extract_parameter": "__trino_url_extract_parameter",
}

# Names Trino and DuckDB share with the same meaning (sqlglot keeps them as written).
_PASS_THROUGH = frozenset({"map_values", "map_concat", "url_encode", "url_decode", "list", "map", "list_transform", "range"})

# Trino functions (from the Trino function reference) this engine does not reproduce.
TRINO_UNSUPPORTED = frozenset(
    """
    human_readable_seconds word_stem hamming_distance transform_values transform_keys map_filter
    map_zip_with zip zip_with shuffle
    combinations ngrams all_match any_match none_match array_frequency map_entries
    map_from_entries multimap_agg multimap_from_entries histogram numeric_histogram approx_most_frequent
    approx_set merge cardinality_hll empty_approx_set qdigest_agg tdigest_agg value_at_quantile
    values_at_quantiles json_array_contains json_array_get is_json_scalar json_query json_value json_exists
    to_milliseconds parse_duration format_number parse_data_size timezone_hour timezone_minute
    with_timezone to_unixtime_ms date_trunc_tz at_timezone from_unixtime_nanos current_time localtime
    bing_tile geometry st_point st_distance st_geometryfromtext luhn_check soundex translate
    normalize to_utf8 from_utf8 regexp_position regexp_count split_to_map split_to_multimap
    xxhash64 spooky_hash_v2_32 spooky_hash_v2_64 murmur3 hmac_md5 hmac_sha1 hmac_sha256 hmac_sha512 crc32
    from_base64url to_base64url from_big_endian_32 to_big_endian_32 from_big_endian_64 to_big_endian_64
    from_ieee754_32 to_ieee754_32 from_ieee754_64 to_ieee754_64 beta_cdf inverse_beta_cdf
    inverse_normal_cdf normal_cdf wilson_interval_lower wilson_interval_upper cosine_similarity
    bitwise_and bitwise_or bitwise_xor bitwise_not bit_count bitwise_left_shift bitwise_right_shift
    bitwise_right_shift_arithmetic classify features learn_classifier learn_regressor regress
    evaluate_classifier_predictions make_set_digest merge_set_digest intersection_cardinality
    jaccard_index hash_counts reduce_agg array_histogram geometric_mean checksum
    """.split()
)

