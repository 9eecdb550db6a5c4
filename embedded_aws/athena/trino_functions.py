"""Trino functions on DuckDB: where sqlglot's transpilation is not Trino's meaning.

sqlglot translates most of Trino's function library to DuckDB. Where the
result would differ (a non-matching ``regexp_extract`` is NULL in Trino,
``array_distinct`` keeps order, ``slice`` takes a length, ``date_add`` on a
date is a date, ``DECIMAL '12.50'`` is ``decimal(4,2)``, ...) ``rewrite``
replaces the node with an exact equivalent, mostly a DuckDB macro named
``__trino_*`` (installed by ``install_macros``). A Trino function this
engine cannot reproduce exactly fails with ``NOT_SUPPORTED``; a name Trino
does not know fails with ``FUNCTION_NOT_FOUND``, both at planning time.

A macro signals a Trino runtime error by casting a marked text to a number
(``__athena_error:<NAME>: <message>``): unlike DuckDB's ``error()`` this is
not volatile, so ``try(...)`` can still catch it, as in Trino.
"""

from __future__ import annotations

import re
from typing import Callable

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from embedded_aws.athena.results import SqlError

ERROR_MARK = "__athena_error:"
_ERROR_MARK = re.compile(re.escape(ERROR_MARK) + r"([^\"']*)")

_URL = r"^(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?"


def _raise(message: str, sql_type: str = "BIGINT") -> str:
    """SQL that fails with ``message`` when evaluated (and that ``try`` catches)."""
    return f"CAST('{ERROR_MARK}{message}' AS {sql_type})"


MACROS = {
    "__trino_div_half_up(n, d)": (  # integer n / d rounded half away from zero; d = 0 fails as in Trino
        "CASE WHEN d = 0 THEN CAST(CAST('" + ERROR_MARK + "DIVISION_BY_ZERO: Division by zero' AS INTEGER) AS HUGEINT)"
        " WHEN (n < 0) = (d < 0) THEN (abs(n) * 2 + abs(d)) // (abs(d) * 2)"
        " ELSE -((abs(n) * 2 + abs(d)) // (abs(d) * 2)) END"
    ),
    "__trino_int_div(a, b)": (  # b + 0 keeps b's type, so integer / integer stays integer
        f"a // (b + CAST(CASE WHEN b = 0 THEN '{ERROR_MARK}DIVISION_BY_ZERO: Division by zero' ELSE '0' END AS INTEGER))"
    ),
    "__trino_regexp_extract(s, p, g)": "CASE WHEN regexp_matches(s, p) THEN regexp_extract(s, p, g) END",
    "__trino_array_distinct(a)": "list_filter(a, lambda v, i: list_position(a, v) = i)",
    "__trino_slice(a, s, n)": (
        f"CASE WHEN n < 0 THEN list_slice(a, 1, {_raise('INVALID_FUNCTION_ARGUMENT: length must be greater than or equal to 0')})"
        f" WHEN s = 0 THEN list_slice(a, 1, {_raise('INVALID_FUNCTION_ARGUMENT: SQL array indices start at 1')})"
        " WHEN s > 0 THEN list_slice(a, s, s + n - 1)"
        " WHEN -s > len(a) THEN list_slice(a, 1, 0)"
        " ELSE list_slice(a, len(a) + s + 1, least(len(a), len(a) + s + n)) END"
    ),
    "__trino_json_extract_scalar(j, p)": (
        "CASE WHEN json_type(j, p) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(j, p) END"
    ),
    "__trino_json_array_length(j)": "CASE WHEN json_type(j) = 'ARRAY' THEN CAST(json_array_length(j) AS BIGINT) END",
    "__trino_json_size(j, p)": (
        "CASE WHEN json_type(j, p) IS NULL THEN NULL"
        " WHEN json_type(j, p) = 'ARRAY' THEN CAST(json_array_length(j, p) AS BIGINT)"
        " WHEN json_type(j, p) = 'OBJECT' THEN CAST(len(json_keys(j, p)) AS BIGINT)"
        " ELSE CAST(0 AS BIGINT) END"
    ),
    "__trino_url_part(u, g)": f"nullif(regexp_extract(u, '{_URL}', g), '')",
    "__trino_url_extract_protocol(u)": "__trino_url_part(u, 1)",
    "__trino_url_extract_host(u)": (
        "regexp_extract(__trino_url_part(u, 2), '^(?:[^@]*@)?(\\[[^\\]]*\\]|[^:]*)', 1)"
    ),
    "__trino_url_extract_port(u)": (
        "TRY_CAST(nullif(regexp_extract(__trino_url_part(u, 2), ':(\\d+)$', 1), '') AS BIGINT)"
    ),
    "__trino_url_extract_path(u)": f"regexp_extract(u, '{_URL}', 3)",
    "__trino_url_extract_query(u)": (
        f"CASE WHEN regexp_matches(u, '^[^#]*\\?') THEN regexp_extract(u, '{_URL}', 4) END"
    ),
    "__trino_url_extract_fragment(u)": f"CASE WHEN strpos(u, '#') > 0 THEN regexp_extract(u, '{_URL}', 5) END",
    "__trino_url_extract_parameter(u, n)": (
        "list_filter(list_transform(string_split(__trino_url_extract_query(u), '&'),"
        " lambda kv: CASE WHEN strpos(kv, '=') > 0 THEN [substr(kv, 1, strpos(kv, '=') - 1),"
        " substr(kv, strpos(kv, '=') + 1)] ELSE [kv, ''] END), lambda kv: kv[1] = n)[1][2]"
    ),
    "__trino_split_part(s, d, i)": (
        f"CASE WHEN i <= 0 THEN CAST({_raise('INVALID_FUNCTION_ARGUMENT: Index must be greater than zero')} AS VARCHAR)"
        " WHEN i > len(string_split(s, d)) THEN NULL ELSE split_part(s, d, i) END"
    ),
    "__trino_from_iso8601_timestamp(s)": (
        "CASE WHEN regexp_matches(s, 'T[^+-]*[+-]\\d\\d(:?\\d\\d)?$') AND NOT regexp_matches(s, '[+-]00(:?00)?$')"
        f" THEN {_raise('NOT_SUPPORTED: a time zone other than UTC is not supported by the local Athena engine', 'TIMESTAMPTZ')}"
        " ELSE CAST(s AS TIMESTAMPTZ) END"
    ),
    "__trino_cardinality(x)": "CAST(cardinality(x) AS BIGINT)",
    "__trino_has_null(a)": "len(list_filter(a, lambda v: v IS NULL)) > 0",
    "__trino_array_max(a)": "CASE WHEN __trino_has_null(a) THEN NULL ELSE list_max(a) END",
    "__trino_array_min(a)": "CASE WHEN __trino_has_null(a) THEN NULL ELSE list_min(a) END",
    "__trino_contains(a, x)": (
        "CASE WHEN x IS NULL THEN NULL WHEN list_contains(a, x) THEN true WHEN __trino_has_null(a) THEN NULL ELSE false END"
    ),
    "__trino_array_position(a, x)": "CASE WHEN x IS NULL THEN NULL ELSE CAST(coalesce(list_position(a, x), 0) AS BIGINT) END",
    "__trino_array_except(a, b)": (
        "list_filter(__trino_array_distinct(a), lambda e: len(list_filter(b, lambda x: x IS NOT DISTINCT FROM e)) = 0)"
    ),
    "__trino_array_union(a, b)": "__trino_array_distinct(list_concat(a, b))",
    "__trino_array_intersect(a, b)": (
        "__trino_array_distinct(list_filter(a, lambda v: list_contains(b, v) OR (v IS NULL AND __trino_has_null(b))))"
    ),
    "__trino_arrays_overlap(a, b)": (
        "CASE WHEN len(list_filter(a, lambda v: v IS NOT NULL AND list_contains(b, v))) > 0 THEN true"
        " WHEN __trino_has_null(a) OR __trino_has_null(b) THEN NULL ELSE false END"
    ),
    "__trino_millisecond(x)": "CAST(date_part('millisecond', x) % 1000 AS BIGINT)",
    "__trino_array_subscript(a, i)": (
        "a[i + CAST(CASE WHEN i > len(a) THEN '" + ERROR_MARK + "INVALID_FUNCTION_ARGUMENT: "
        "Array subscript must be less than or equal to array length: ' || i || ' > ' || len(a)"
        " WHEN i = 0 THEN '" + ERROR_MARK + "INVALID_FUNCTION_ARGUMENT: SQL array indices start at 1'"
        " WHEN i < 0 THEN '" + ERROR_MARK + "INVALID_FUNCTION_ARGUMENT: Array subscript is negative: ' || i"
        " ELSE '0' END AS INTEGER)]"
    ),
    "__trino_varchar_map_subscript(m, k)": (
        "m[CASE WHEN list_contains(map_keys(m), k) THEN k"
        " ELSE CAST(CAST('" + ERROR_MARK + "INVALID_FUNCTION_ARGUMENT: Key not present in map: ' || k AS INTEGER) AS VARCHAR) END]"
    ),
    # Java's Double.toString, which Trino uses to turn a double into text.
    "__trino_sci(neg, digits, e)": (
        "(CASE WHEN neg THEN '-' ELSE '' END) || substr(digits, 1, 1) || '.'"
        " || (CASE WHEN length(digits) > 1 THEN substr(digits, 2) ELSE '0' END) || 'E' || CAST(e AS VARCHAR)"
    ),
    "__trino_double_text(d)": (
        "CASE WHEN isnan(d) THEN 'NaN' WHEN isinf(d) AND d > 0 THEN 'Infinity' WHEN isinf(d) THEN '-Infinity'"
        " WHEN d = 0 THEN '0.0'"
        " WHEN abs(d) >= 0.001 AND abs(d) < 10000000 THEN CAST(d AS VARCHAR)"
        " WHEN strpos(CAST(abs(d) AS VARCHAR), 'e') > 0 THEN __trino_sci(d < 0,"
        " replace(split_part(CAST(abs(d) AS VARCHAR), 'e', 1), '.', ''), CAST(split_part(CAST(abs(d) AS VARCHAR), 'e', 2) AS INTEGER))"
        " WHEN abs(d) >= 1 THEN __trino_sci(d < 0,"
        " coalesce(nullif(rtrim(replace(CAST(abs(d) AS VARCHAR), '.', ''), '0'), ''), '0'),"
        " length(split_part(CAST(abs(d) AS VARCHAR), '.', 1)) - 1)"
        " ELSE __trino_sci(d < 0, rtrim(ltrim(split_part(CAST(abs(d) AS VARCHAR), '.', 2), '0'), '0'),"
        " -(length(split_part(CAST(abs(d) AS VARCHAR), '.', 2)) - length(ltrim(split_part(CAST(abs(d) AS VARCHAR), '.', 2), '0')) + 1)) END"
    ),
    "__trino_varchar(x)": (
        "CASE WHEN typeof(x) IN ('DOUBLE', 'FLOAT') THEN __trino_double_text(CAST(CAST(x AS VARCHAR) AS DOUBLE))"
        " WHEN typeof(x) IN ('TIMESTAMP', 'TIMESTAMP_MS') THEN strftime(CAST(CAST(x AS VARCHAR) AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%g')"
        " WHEN typeof(x) = 'TIMESTAMP WITH TIME ZONE'"
        " THEN strftime(CAST(CAST(x AS VARCHAR) AS TIMESTAMPTZ), '%Y-%m-%d %H:%M:%S.%g') || ' UTC'"
        " ELSE CAST(x AS VARCHAR) END"
    ),
    "__trino_typeof(t)": (
        "regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace("
        "regexp_replace(regexp_replace(regexp_replace(regexp_replace(lower(t),"
        " 'timestamp with time zone', 'timestamp(3) with time zone', 'g'),"
        " 'timestamp_s\\b', 'timestamp(0)', 'g'), 'timestamp_ms\\b', 'timestamp(3)', 'g'),"
        " 'timestamp_ns\\b', 'timestamp(9)', 'g'), 'timestamp(\\s|,|\\)|\\[|$)', 'timestamp(3)\\1', 'g'),"
        " 'struct\\(', 'row(', 'g'), '\\bfloat\\b', 'real', 'g'), '\\b(hugeint|ubigint|uinteger)\\b', 'bigint', 'g'),"
        " '(\\w+(\\([^()]*\\))?)\\[\\]', 'array(\\1)', 'g'), '(\\w+(\\([^()]*\\))?)\\[\\]', 'array(\\1)', 'g'),"
        " '\"_\\d+\" ', '', 'g')"
    ),
}


def install_macros(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the ``__trino_*`` macros in ``connection``'s database (idempotent)."""
    for signature, body in MACROS.items():
        connection.execute(f"CREATE OR REPLACE MACRO {signature} AS {body}")


def engine_error(message: str) -> str | None:
    """The Trino error a macro raised, from DuckDB's message; None for any other error."""
    match = _ERROR_MARK.search(message)
    return match.group(1) if match else None


# --- Joda (format_datetime / parse_datetime) -> strftime ----------------------------------

_JODA = {
    "yyyy": "%Y", "YYYY": "%Y", "y": "%Y", "yy": "%y", "YY": "%y",
    "MMMM": "%B", "MMM": "%b", "MM": "%m", "M": "%-m",
    "dd": "%d", "d": "%-d", "DDD": "%j", "D": "%-j",
    "HH": "%H", "H": "%-H", "hh": "%I", "h": "%-I",
    "mm": "%M", "m": "%-M", "ss": "%S", "s": "%-S",
    "SSS": "%g", "SSSSSS": "%f", "a": "%p",
    "EEEE": "%A", "EEE": "%a", "EE": "%a", "E": "%a",
}  # fmt: skip


def joda_to_strftime(pattern: str, function: str) -> str:
    """A Joda-Time pattern as a DuckDB strftime format; NOT_SUPPORTED for fields it lacks."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "'":
            end = pattern.find("'", index + 1)
            if end == index + 1:
                out.append("'")
                index += 2
                continue
            if end < 0:
                raise SqlError(f"INVALID_FUNCTION_ARGUMENT: Invalid format: unterminated quote in '{pattern}'")
            out.append(pattern[index + 1 : end].replace("%", "%%"))
            index = end + 1
            continue
        if char.isalpha():
            end = index
            while end < len(pattern) and pattern[end] == char:
                end += 1
            field = pattern[index:end]
            if field not in _JODA:
                raise SqlError(
                    f"NOT_SUPPORTED: {function} pattern field '{field}' is not supported by the local Athena engine"
                )
            out.append(_JODA[field])
            index = end
            continue
        out.append("%%" if char == "%" else char)
        index += 1
    return "".join(out)


# --- the rewrite ---------------------------------------------------------------------------


def _call(name: str, *args: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _string(node: exp.Expression | None) -> str | None:
    return node.this if isinstance(node, exp.Literal) and node.is_string else None


def _kind_of_type(name: str) -> tuple[str, tuple] | None:
    """(kind, detail) of a Trino or Hive type name: decimal -> (p, s); map -> its key type."""
    name = name.replace(" ", "")
    if match := re.fullmatch(r"decimal\((\d+),(\d+)\)", name):
        return "decimal", (int(match.group(1)), int(match.group(2)))
    if name == "decimal":
        return "decimal", (38, 0)
    if name in ("int", "integer"):
        return "integer", (10, 0)
    if name == "bigint":
        return "bigint", (19, 0)
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
    return node.is_string


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


class Rewriter:
    """Rewrites one parsed Athena query for DuckDB, with Trino's meanings."""

    def __init__(
        self,
        text: str,
        type_of: Callable[[exp.Expression], str | None],
        column_type: Callable[[exp.Column], str | None] = lambda column: None,
    ):
        self._type_of = type_of
        self._column_type = column_type
        self._decimal_flags = iter(typed_decimal_literals(text))

    def rewrite(self, tree: exp.Expression) -> exp.Expression:
        # Decimal literals first, in text order (pre-order), before other rewrites move nodes.
        for cast in [n for n in tree.dfs() if isinstance(n, exp.Cast)]:
            self._decimal(cast)
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
        if not (left and right) or "decimal" not in (left[0], right[0]):
            return node
        if not all(kind in ("decimal", "integer", "bigint") for kind, _ in (left, right)):
            return node
        (p1, s1), (p2, s2) = left[1], right[1]
        scale = max(s1, s2)
        precision = min(38, p1 + s2 + max(s2 - s1, 0))
        shift = scale + s2 - s1
        numerator = f"CAST(CAST(a AS DECIMAL(38, {s1})) * {10 ** s1} AS HUGEINT) * {10 ** shift}"
        denominator = f"CAST(CAST(b AS DECIMAL(38, {s2})) * {10 ** s2} AS HUGEINT)"
        template = (
            f"CAST(CAST(__trino_div_half_up({numerator}, {denominator}) AS DECIMAL(38, 0))"
            f" * CAST(1 AS DECIMAL(38, 0)) / {10 ** scale} AS DECIMAL({precision}, {scale}))"
        )
        if scale:
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
        if isinstance(node, exp.Literal) and not node.is_string:
            text = node.this
            if re.search(r"[eE]", text):
                return "double", ()
            if "." in text:
                whole, _, fraction = text.partition(".")
                return "decimal", (max(len(whole.lstrip("0")) + len(fraction), 1), len(fraction))
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
        return node

    def _FromISO8601Timestamp(self, node: exp.Expression) -> exp.Expression:
        return _call("__trino_from_iso8601_timestamp", node.this)

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
    "array_union": "__trino_array_union",
    "arrays_overlap": "__trino_arrays_overlap",
    "millisecond": "__trino_millisecond",
    "every": "bool_and",
    "codepoint": "unicode",
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
    to_iso8601 human_readable_seconds word_stem hamming_distance transform_values transform_keys map_filter
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


def translate_error(message: str) -> str | None:
    """Trino's wording of an error a ``__trino_*`` macro raised inside DuckDB."""
    return engine_error(message)
