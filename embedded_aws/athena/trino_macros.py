"""DuckDB macros with Trino's meaning, used by the rewrite in ``trino_functions``.

Each ``__trino_*`` macro computes what the Trino function of the same name
computes (NULL handling, order, result type), in DuckDB SQL. They are
created once per DuckDB database (``install_macros``).

A macro signals a Trino runtime error by casting a marked text to a number
(``__athena_error:<NAME>: <message>``): unlike DuckDB's ``error()`` this is
not volatile, so ``try(...)`` can still catch it, as in Trino;
``engine_error`` reads the Trino error back out of DuckDB's message.
"""

from __future__ import annotations

import re

import duckdb

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
    # Trino: a start of 0 or beyond either end, or a length <= 0, is the empty text.
    "__trino_substr(s, p)": "CASE WHEN p = 0 OR abs(p) > length(s) THEN '' ELSE substr(s, p) END",
    "__trino_substr_for(s, p, n)": "CASE WHEN p = 0 OR abs(p) > length(s) OR n <= 0 THEN '' ELSE substr(s, p, n) END",
    "__trino_split_parts(parts, d, n)": (
        f"CASE WHEN n <= 0 THEN list_slice(parts, 1, {_raise('INVALID_FUNCTION_ARGUMENT: Limit must be positive')})"
        " WHEN len(parts) <= n THEN parts"
        " ELSE list_concat(list_slice(parts, 1, n - 1), [array_to_string(list_slice(parts, n, len(parts)), d)]) END"
    ),
    "__trino_split(s, d, n)": "__trino_split_parts(string_split(s, d), d, n)",
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
    "__trino_to_iso8601(x)": (
        "CASE WHEN typeof(x) = 'DATE' THEN strftime(CAST(CAST(x AS VARCHAR) AS DATE), '%Y-%m-%d')"
        " WHEN typeof(x) = 'TIMESTAMP_S' THEN strftime(CAST(CAST(x AS VARCHAR) AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S')"
        " WHEN typeof(x) IN ('TIMESTAMP', 'TIMESTAMP_MS')"
        " THEN strftime(CAST(CAST(x AS VARCHAR) AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%g')"
        " WHEN typeof(x) = 'TIMESTAMP WITH TIME ZONE'"
        " THEN strftime(CAST(CAST(x AS VARCHAR) AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%S.%g') || 'Z'"
        f" ELSE CAST({_raise('NOT_SUPPORTED: to_iso8601 of this type is not supported by the local Athena engine')} AS VARCHAR) END"
    ),
    "__trino_varchar(x)": (
        "CASE WHEN typeof(x) IN ('DOUBLE', 'FLOAT') THEN __trino_double_text(CAST(CAST(x AS VARCHAR) AS DOUBLE))"
        " WHEN typeof(x) IN ('TIMESTAMP', 'TIMESTAMP_MS') THEN strftime(CAST(CAST(x AS VARCHAR) AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%g')"
        " WHEN typeof(x) = 'TIMESTAMP WITH TIME ZONE'"
        " THEN strftime(CAST(CAST(x AS VARCHAR) AS TIMESTAMPTZ), '%Y-%m-%d %H:%M:%S.%g') || ' UTC'"
        " WHEN typeof(x) = 'JSON' THEN CASE WHEN json_type(CAST(x AS VARCHAR)) IN ('OBJECT', 'ARRAY')"
        f" THEN CAST({_raise('INVALID_CAST_ARGUMENT: Cannot cast to varchar')} AS VARCHAR)"
        " ELSE json_extract_string(CAST(x AS VARCHAR), '$') END"
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
