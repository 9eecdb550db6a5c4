"""Trino's view of DuckDB result values: type names, column info and text rendering.

Athena (Trino) renders a result value in GetQueryResults and the result CSV
the way Trino's client does: arrays ``[a, b]``, maps ``{a=1}``, rows
``{x=1, y=a}`` (unnamed fields are ``field0``, ``field1``, ...), decimals
with their scale, doubles as Java prints them (``1.0E10``), timestamps with
milliseconds and a time zone as ``2020-06-10 15:55:23.383 UTC``. DuckDB
returns Python values and a ``DuckDBPyType`` per column; this module turns
the pair into Athena's text and column metadata, so the rest of the engine
never formats a value itself.
"""

from __future__ import annotations

import datetime
import decimal
import math
from typing import Any

from embedded_aws.athena.results import Column

# DuckDB type id -> Trino type name (scalars).
_SCALARS = {
    "boolean": "boolean",
    "tinyint": "tinyint",
    "smallint": "smallint",
    "integer": "integer",
    "bigint": "bigint",
    "hugeint": "bigint",
    "utinyint": "smallint",
    "usmallint": "integer",
    "uinteger": "bigint",
    "ubigint": "bigint",
    "float": "real",
    "double": "double",
    "varchar": "varchar",
    "date": "date",
    "time": "time(3)",
    "blob": "varbinary",
    "uuid": "uuid",
    "interval": "interval day to second",
    "timestamp": "timestamp(3)",
    "timestamp_ms": "timestamp(3)",
    "timestamp_s": "timestamp(0)",
    "timestamp_ns": "timestamp(9)",
    "timestamp with time zone": "timestamp(3) with time zone",
    "null": "unknown",
}

# Athena's ColumnInfo Precision per type (what its JDBC-style metadata reports).
_PRECISION = {
    "boolean": 0,
    "tinyint": 3,
    "smallint": 5,
    "integer": 10,
    "bigint": 19,
    "real": 17,  # as Athena reports a real column
    "double": 17,
    "varchar": 2147483647,
    "json": 2147483647,
    "varbinary": 1073741824,
    "date": 0,
    "time": 3,
    "timestamp": 3,
    "char": 0,
    "timestamp with time zone": 3,
}


_NUMERIC_IDS = frozenset(
    {"tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint", "uinteger", "ubigint", "float", "double", "decimal"}
)


def _children(duck_type: Any) -> list[tuple[str, Any]]:
    return list(duck_type.children)


def _type_id(duck_type: Any) -> str:
    identifier = str(getattr(duck_type, "id", duck_type)).lower()
    if identifier == "varchar" and str(duck_type).upper() == "JSON":
        return "json"
    return identifier


def trino_type(duck_type: Any) -> str:
    """The Trino type name of a DuckDB type, as ``typeof`` spells it (lower case)."""
    identifier = _type_id(duck_type)
    if identifier == "json":
        return "json"
    if identifier == "decimal":
        return f"decimal({duck_type.children[0][1]},{duck_type.children[1][1]})"
    if identifier in ("list", "array"):
        return f"array({trino_type(_children(duck_type)[0][1])})"
    if identifier == "map":
        key, value = _children(duck_type)
        return f"map({trino_type(key[1])}, {trino_type(value[1])})"
    if identifier == "struct":
        fields = ", ".join(f"{_field_name(name, i)} {trino_type(t)}" for i, (name, t) in enumerate(_children(duck_type)))
        return f"row({fields})"
    return _SCALARS.get(identifier, identifier)


def _field_name(name: str, index: int) -> str:
    """DuckDB names Trino's anonymous ROW fields ``_0``, ``_1``...; Trino calls them ``field0``..."""
    return f"field{index}" if name == f"_{index}" else name


def column_info(name: str, duck_type: Any) -> Column:
    """A result column as Athena's ColumnInfo reports it (type without parameters)."""
    full = trino_type(duck_type)
    base = full.split("(", 1)[0].strip()
    if full.endswith("with time zone"):
        base = "timestamp with time zone"
    if base == "decimal":
        precision, scale = duck_type.children[0][1], duck_type.children[1][1]
        return Column(name, "decimal", int(precision), int(scale))
    if base == "real":  # ColumnInfo names real "float" (typeof says real)
        return Column(name, "float", _PRECISION["real"], 0)
    return Column(name, base, _PRECISION.get(base, 0), 0)


# --- rendering ---------------------------------------------------------------------


def java_double(value: float, single: bool = False) -> str:
    """A double (or a real) as Java's ``Double.toString`` writes it, which Trino uses."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    shortest = repr(float(_as_float32(value))) if single else repr(value)
    digits = decimal.Decimal(shortest)
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        text = format(digits, "f")
        return text if "." in text else text + ".0"
    sign, digit_tuple, exponent = digits.as_tuple()
    numerals = "".join(str(d) for d in digit_tuple).rstrip("0") or "0"
    power = len(digit_tuple) + int(exponent) - 1
    mantissa = numerals[0] + "." + (numerals[1:] or "0")
    return ("-" if sign else "") + f"{mantissa}E{power}"


def _as_float32(value: float) -> float:
    import struct

    rounded = struct.unpack("f", struct.pack("f", value))[0]
    # The shortest decimal that rounds back to the same float32.
    for digits in range(1, 10):
        candidate = float(f"{rounded:.{digits}g}")
        if struct.unpack("f", struct.pack("f", candidate))[0] == rounded:
            return candidate
    return rounded


def _timestamp(value: datetime.datetime, fraction_digits: int) -> str:
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if fraction_digits:
        text += "." + f"{value.microsecond:06d}"[:fraction_digits].ljust(fraction_digits, "0")
    return text


def _zone(value: datetime.datetime) -> str:
    offset = value.utcoffset()
    if offset is None or offset == datetime.timedelta(0):
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def render(value: Any, duck_type: Any, nested: bool = False) -> str | None:
    """``value`` of DuckDB type ``duck_type`` as Athena writes it (None stays NULL).

    Inside arrays, maps and rows a NULL is written ``null``, as Trino does.
    """
    if value is None:
        return "null" if nested else None
    identifier = _type_id(duck_type)
    if identifier in ("list", "array"):
        child = _children(duck_type)[0][1]
        return "[" + ", ".join(render(v, child, True) or "" for v in value) + "]"
    if identifier == "map":
        key_type, value_type = _children(duck_type)[0][1], _children(duck_type)[1][1]
        pairs = list(value.items() if isinstance(value, dict) else zip(value["key"], value["value"]))
        if _type_id(key_type) in _NUMERIC_IDS:  # Athena lists numeric keys in order ({9=a, 10=b})
            pairs.sort(key=lambda pair: pair[0])
        return "{" + ", ".join(f"{render(k, key_type, True)}={render(v, value_type, True)}" for k, v in pairs) + "}"
    if identifier == "struct":
        fields = _children(duck_type)
        return (
            "{"
            + ", ".join(f"{_field_name(name, i)}={render(value[name], t, True)}" for i, (name, t) in enumerate(fields))
            + "}"
        )
    if identifier == "boolean":
        return "true" if value else "false"
    if identifier == "double":
        return java_double(float(value))
    if identifier == "float":
        return java_double(float(value), single=True)
    if identifier == "timestamp with time zone":
        return f"{_timestamp(value, 3)} {_zone(value)}"
    if identifier == "timestamp_s":
        return _timestamp(value, 0)
    if identifier == "timestamp_ns":
        return _timestamp(value, 6) + "000"
    if identifier in ("timestamp", "timestamp_ms"):
        return _timestamp(value, 3)
    if identifier == "time":
        return value.strftime("%H:%M:%S") + f".{value.microsecond // 1000:03d}"
    if identifier == "blob":
        return " ".join(f"{b:02x}" for b in bytes(value))
    if identifier == "decimal":
        scale = int(duck_type.children[1][1])
        return f"{decimal.Decimal(value):.{scale}f}"
    if identifier == "interval" and isinstance(value, datetime.timedelta):
        return _interval(value)
    return str(value)


def _interval(value: datetime.timedelta) -> str:
    """Trino's ``interval day to second`` text: ``2 03:04:05.000``."""
    sign = "-" if value < datetime.timedelta(0) else ""
    value = abs(value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{value.days} {hours:02d}:{minutes:02d}:{seconds:02d}.{value.microseconds // 1000:03d}"
