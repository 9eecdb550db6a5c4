"""Partition projection: a table's partitions computed from its properties, not the catalog.

With ``projection.enabled = true`` Athena ignores the partitions registered
in Glue and derives them from table properties, per partition column:

* ``projection.<col>.type = integer``: ``range = 'a,b'``, optional
  ``interval`` (default 1) and ``digits`` (zero padding);
* ``enum``: ``values = 'a,b,c'``;
* ``date``: ``range = 'start,end'`` in ``format`` (a Java date pattern) or
  ``NOW[+-N UNIT]``, ``interval`` and ``interval.unit`` (default 1 DAYS);
* ``injected``: the values the query's WHERE clause states with ``=`` or
  ``IN`` (a query without them fails with CONSTRAINT_VIOLATION, as Athena's).

A partition's folder is ``storage.location.template`` with ``${col}``
replaced, or ``<table location>/col=value/`` without one. Values the
query's WHERE pins with ``=`` / ``IN`` narrow the partitions first, so a
long date range costs nothing when the query names its day.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import re
from typing import Any

from sqlglot import exp

from embedded_aws.athena import java_dates
from embedded_aws.athena.results import SqlError
from embedded_aws.glue import catalog as cat

MAX_PARTITIONS = 1_000_000
_UNITS = {
    "YEARS": "years", "MONTHS": "months", "WEEKS": "weeks", "DAYS": "days",
    "HOURS": "hours", "MINUTES": "minutes", "SECONDS": "seconds", "MILLISECONDS": "milliseconds",
}
# The relative-date pattern the Athena documentation gives for projection ranges.
_NOW = re.compile(r"\s*NOW\s*(?:([+-])\s*([0-9]+)\s*(YEARS?|MONTHS?|WEEKS?|DAYS?|HOURS?|MINUTES?|SECONDS?)\s*)?", re.I)


def enabled(table: cat.TableDef) -> bool:
    return table.parameters.get("projection.enabled", "").strip().lower() == "true"


def _invalid(table: cat.TableDef, message: str) -> SqlError:
    return SqlError(f"HIVE_METASTORE_ERROR: Table {table.qualified_name} has invalid partition projection: {message}")


def _shift(moment: datetime.datetime, amount: int, unit: str) -> datetime.datetime:
    unit = _UNITS[unit.upper() if unit.upper().endswith("S") else unit.upper() + "S"]
    if unit == "milliseconds":
        return moment + datetime.timedelta(milliseconds=amount)
    if unit in ("years", "months"):
        months = moment.month - 1 + amount * (12 if unit == "years" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        day = min(moment.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31,
                               30, 31, 31, 30, 31, 30, 31][month - 1])
        return moment.replace(year=year, month=month, day=day)
    return moment + datetime.timedelta(**{unit: amount})


def _date_bound(text: str, fmt: str) -> datetime.datetime:
    if match := _NOW.fullmatch(text):
        now = datetime.datetime.now(tz=datetime.timezone.utc).replace(tzinfo=None)
        if match.group(1):
            amount = int(match.group(2)) * (1 if match.group(1) == "+" else -1)
            now = _shift(now, amount, match.group(3))
        return now
    return datetime.datetime.strptime(text, fmt)  # white space in a date literal is part of it


def _values(table: cat.TableDef, key: str) -> list[str] | None:
    """Every value a projected column can take (None for ``injected``)."""
    prefix = f"projection.{key}."
    props = {k[len(prefix):].lower(): v for k, v in table.parameters.items() if k.lower().startswith(prefix)}
    kind = props.get("type", "").strip().lower()  # case-insensitive, surrounding white space allowed
    if kind == "injected":
        return None
    if kind == "enum":  # white space is part of an enum value
        return [v for v in props.get("values", "").split(",") if v]
    if kind == "integer":
        try:
            low, high = (int(v.strip()) for v in props["range"].split(","))
            step = int(props.get("interval", "1").strip())
            digits = int(props.get("digits", "0").strip())
        except (KeyError, ValueError):
            raise _invalid(table, f"integer column {key} needs range = 'min,max'") from None
        if step < 1:
            raise _invalid(table, f"interval of {key} must be positive")
        return [str(v).zfill(digits) for v in range(low, high + 1, step)]
    if kind == "date":
        try:
            fmt = java_dates.to_strftime(props["format"])
            low, high = (_date_bound(v, fmt) for v in props["range"].split(","))
        except (KeyError, ValueError) as exc:
            raise _invalid(table, f"date column {key} needs range and format ({exc})") from None
        # Day- or month-precision formats default to an interval of 1 day / 1 month; finer ones must say.
        finest = java_dates.precision(props["format"])
        default_unit = {"DAYS": "DAYS", "MONTHS": "MONTHS", "YEARS": "YEARS"}.get(finest)
        unit = props.get("interval.unit", "").strip().upper() or default_unit
        if unit is None or ("interval" not in props and default_unit is None):
            raise _invalid(table, f"date column {key} with format '{props['format']}' needs interval and interval.unit")
        unit = unit if unit.endswith("S") else unit + "S"
        try:
            step = int(props.get("interval", "1").strip())
        except ValueError:
            step = 0
        if unit not in _UNITS or step < 1:
            raise _invalid(table, f"interval.unit of {key} must be one of {', '.join(_UNITS)} with a positive interval")
        found, moment = [], low
        while moment <= high:
            found.append(moment.strftime(fmt))
            moment = _shift(moment, step, unit)
            if len(found) > MAX_PARTITIONS:
                raise _invalid(table, f"date range of {key} is too long")
        return found
    raise _invalid(table, f"projection.{key}.type must be integer, enum, date or injected, got '{kind}'")


def _pinned(table_node: exp.Table, table: cat.TableDef, parameters: list[Any]) -> dict[str, list[str]]:
    """Partition key -> the values the reference's WHERE states with ``=`` / ``IN``."""
    from embedded_aws.athena.sql import _conjuncts, _sources_of, _value_of

    select = table_node.parent_select
    if select is None or not isinstance(table_node.parent, (exp.From, exp.Join)):
        return {}
    alias = table_node.alias_or_name.lower()
    alone = len(_sources_of(select)) == 1
    keys = {k.name.lower() for k in table.partition_keys}
    where = select.args.get("where")
    found: dict[str, list[str]] = {}
    for conjunct in _conjuncts(where.this if where is not None else None):
        column, candidates = None, []
        if isinstance(conjunct, exp.EQ):
            for side, other in ((conjunct.this, conjunct.expression), (conjunct.expression, conjunct.this)):
                if isinstance(side, exp.Column):
                    column, candidates = side, [other]
                    break
        elif isinstance(conjunct, exp.In) and isinstance(conjunct.this, exp.Column):
            column, candidates = conjunct.this, list(conjunct.expressions)
        if column is None or column.name.lower() not in keys:
            continue
        qualifier = column.table.lower()
        if (qualifier and qualifier != alias) or (not qualifier and not alone):
            continue
        values = [_value_of(c, parameters) for c in candidates]
        if values and all(known for known, _ in values):
            pinned = [str(v) for _, v in values]
            name = column.name.lower()
            found[name] = [v for v in found[name] if v in pinned] if name in found else pinned
    return found


def location_of(table: cat.TableDef, keys: list[str], values: tuple[str, ...]) -> str:
    """A projected partition's folder (the template, or ``<location>/key=value/``)."""
    template = table.parameters.get("storage.location.template")
    if template:
        location = template
        for key, value in zip(keys, values):
            location = re.sub(r"\$\{" + re.escape(key) + r"\}", lambda _m, v=value: v, location, flags=re.I)
        return location
    from embedded_aws.athena.ddl import partition_path

    base = table.location if table.location.endswith("/") else table.location + "/"
    return base + partition_path(keys, list(values))


def apply(table: cat.TableDef, table_node: exp.Table, parameters: list[Any]) -> cat.TableDef:
    """``table`` with its partitions projected for this reference (registered ones ignored)."""
    keys = [k.name.lower() for k in table.partition_keys]
    if not keys:
        return table
    configured = {k.lower() for k in table.parameters if k.lower().startswith("projection.") and k.lower().endswith(".type")}
    missing = [k for k in keys if f"projection.{k}.type" not in configured]
    if missing:  # the message the Athena guide's "Setting up partition projection" page shows
        raise SqlError(
            f"HIVE_METASTORE_ERROR: Table {table.qualified_name} is configured for partition projection, but the "
            f"following partition columns are missing projection configuration: [{', '.join(missing)}] "
            f"(table {table.qualified_name})"
        )
    template = table.parameters.get("storage.location.template")
    if template:
        absent = [k for k in keys if not re.search(r"\$\{" + re.escape(k) + r"\}", template, re.I)]
        if absent:
            raise _invalid(table, f"storage.location.template has no placeholder for {', '.join(absent)}")
    pinned = _pinned(table_node, table, parameters)
    choices = []
    for key in keys:
        allowed = _values(table, key)
        if allowed is None:
            if key not in pinned:
                raise SqlError(
                    f"CONSTRAINT_VIOLATION: For the injected projected partition column {key}, the WHERE clause "
                    "must contain only static equality conditions, and at least one such condition must be present."
                )
            if len(pinned[key]) != 1:
                raise SqlError(
                    f"CONSTRAINT_VIOLATION: For the injected projected partition column {key}, the WHERE clause "
                    "must contain only static equality conditions, and at least one such condition must be present."
                )
            choices.append(pinned[key])
        elif key in pinned:
            wanted = set(pinned[key])
            choices.append([v for v in allowed if v in wanted])
        else:
            choices.append(allowed)
    total = 1
    for values in choices:
        total *= len(values)
    if total > MAX_PARTITIONS:
        raise SqlError(
            f"HIVE_EXCEEDED_PARTITION_LIMIT: Query over table '{table.qualified_name}' can potentially read more than "
            f"{MAX_PARTITIONS} partitions; narrow it with WHERE conditions on the partition columns"
        )
    partitions = tuple(
        cat.PartitionDef(values, location_of(table, keys, values)) for values in itertools.product(*choices)
    )
    return dataclasses.replace(table, partitions=partitions)
