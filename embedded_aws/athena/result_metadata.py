"""The ``<QueryExecutionId>.csv.metadata`` file Athena writes next to a query's CSV result.

Athena documents it only as "query metadata files ... saved in binary
format"; clients such as the Athena JDBC 3.x driver (``ResultFetcher=S3``)
read it to learn the result's columns without GetQueryResults. It is a
protocol-buffers message. A published hexdump of one (a single ``array``
column) shows its layout::

    0a 1b "20190423_125128_00001_ehtur"      field 1: the engine's query id
    22 19                                     field 4: one column, 25 bytes:
        0a 04 "hive"                              1 catalog name
        22 03 "ary"   2a 03 "ary"                 4 name, 5 label
        32 05 "array"                             6 type
        48 03                                     9 nullable (3 = UNKNOWN)

so a column message carries ColumnInfo's members in the API's order
(catalog, schema, table, name, label, type, precision, scale, nullable,
case sensitive = fields 1..10). Empty texts are left out; precision, scale
and case sensitivity are written (even as 0) for the types that have them,
as files Athena wrote for a SELECT of every type show (published by the
athena-local project, measured 2026-09-17): numbers, text, binary and
times carry all three, ``date`` scale and case, ``boolean`` and intervals
case only, ``array``/``map``/``row``/``json`` none. This module writes the
file for a SELECT's columns; statements with an update count (INSERT, CTAS;
fields 2 and 3) are not written here.
"""

from __future__ import annotations

import datetime
import random
import string

from embedded_aws.athena.results import Column

_NULLABLE_UNKNOWN = 3


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _text(field: int, value: str) -> bytes:
    data = value.encode("utf-8")
    return (_varint(field << 3 | 2) + _varint(len(data)) + data) if data else b""


def _number(field: int, value: int, always: bool = False) -> bytes:
    return (_varint(field << 3) + _varint(value)) if value or always else b""


# Which of precision (7), scale (8) and case sensitivity (10) a column carries depends on
# its type, not on the values (a 0 is written): as in metadata files Athena wrote.
_WITH_ALL = frozenset(
    {"tinyint", "smallint", "integer", "bigint", "double", "float", "decimal", "varchar", "char", "varbinary",
     "timestamp", "time", "timestamp with time zone", "time with time zone"}
)
_CASE_ONLY = frozenset({"boolean", "interval day to second", "interval year to month"})


def _column(column: Column) -> bytes:
    kind = column.athena_type
    fields = [_text(1, "hive"), _text(4, column.name), _text(5, column.name), _text(6, kind)]
    if kind in _WITH_ALL:
        fields += [_number(7, column.precision, always=True), _number(8, column.scale, always=True)]
    elif kind == "date":
        fields.append(_number(8, column.scale, always=True))
    fields.append(_number(9, _NULLABLE_UNKNOWN))
    if kind in _WITH_ALL or kind in _CASE_ONLY or kind == "date":
        fields.append(_number(10, 1 if kind in ("varchar", "char") else 0, always=True))
    return b"".join(fields)


def engine_query_id(now: datetime.datetime | None = None) -> str:
    """A query id in the engine's (Trino's) form: ``20190423_125128_00001_ehtur``."""
    now = now or datetime.datetime.now(tz=datetime.timezone.utc)
    suffix = "".join(random.choices(string.ascii_lowercase, k=5))
    return f"{now:%Y%m%d_%H%M%S}_{random.randint(0, 99999):05d}_{suffix}"


def csv_metadata(columns: list[Column], query_id: str | None = None) -> bytes:
    """The ``.csv.metadata`` bytes for a result with ``columns``."""
    body = _text(1, query_id or engine_query_id())
    for column in columns:
        encoded = _column(column)
        body += _varint(4 << 3 | 2) + _varint(len(encoded)) + encoded
    return body
