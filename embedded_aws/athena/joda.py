"""Joda-Time patterns (Trino's format_datetime / parse_datetime) as DuckDB strftime formats."""

from __future__ import annotations

from embedded_aws.athena.results import SqlError

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
