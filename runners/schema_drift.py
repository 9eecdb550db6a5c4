"""Schema drift of a pipeline's input files, checked when their wait releases.

Before any step reads a new input, the wait that found it compares each file's
columns with the table over it:

* CSV: the header line (names snake_cased: ``Lead Name`` is ``lead_name``)
  and the values of the first rows against the declared types. CSV maps
  columns by position, so a new column is only safe at the end;
* JSON lines: the keys and value kinds of the first records;
* Parquet: the file's schema, read from its footer (a ranged GET; no
  Parquet library needed where the check runs).

The table's columns are the catalog's (Glue GetTable) once the table exists,
else the pipeline file's, so a table that evolved last week is not evolved
again. Verdict: removed, renamed (a removal plus an addition), reordered
(CSV) or retyped columns always fail the wait with ``SchemaDriftError``
naming them, so no step starts; new columns either fail it too, or evolve
the table and the tables downstream that carry its columns through (Glue
UpdateTable, appended after the existing columns: what ALTER TABLE ADD
COLUMNS does), then the wait releases with what changed in its output.
"""

from __future__ import annotations

import csv
import io
import json
import re
import struct
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .errors import InvalidTaskInputError, RunnerError

HEAD_BYTES = 64 * 1024  # what a header and the sample rows are read from
SAMPLE_ROWS = 200
MAX_FILES = 100  # files checked per wait (each costs one or two ranged GETs)
FORMATS = ("csv", "json", "parquet")
POLICIES = ("evolve", "fail")
# Glue TableInput's fields (GetTable answers more, UpdateTable refuses those).
TABLE_INPUT_FIELDS = ("Name", "Description", "Owner", "LastAccessTime", "LastAnalyzedTime", "Retention", "StorageDescriptor",
                      "PartitionKeys", "ViewOriginalText", "ViewExpandedText", "TableType", "Parameters", "TargetTable")


class SchemaDriftError(RunnerError):
    """An input's files do not have the columns of the table over them
    (removed, renamed, reordered or retyped columns, or new columns the
    pipeline does not evolve); the cause names them and the files."""

    error_name = "SchemaDriftError"


@dataclass(frozen=True)
class SchemaExpectation:
    """The wait task's ``Schema`` field (rendered from the input's ``schema``)."""

    database: str
    table: str
    format: str
    columns: tuple[tuple[str, str], ...]
    on_new_columns: str = "fail"
    delimiter: str = ","
    evolve: tuple[str, ...] = ()


def parse_expectation(value: Any) -> SchemaExpectation:
    if not isinstance(value, dict):
        raise InvalidTaskInputError("Schema must be an object")
    unknown = sorted(set(value) - {"Database", "Table", "Format", "Columns", "OnNewColumns", "Delimiter", "Evolve"})
    if unknown:
        raise InvalidTaskInputError(f"unknown Schema field(s) {', '.join(unknown)}")
    for name in ("Database", "Table", "Format"):
        if not isinstance(value.get(name), str) or not value[name]:
            raise InvalidTaskInputError(f"Schema.{name} must be a non-empty string")
    if value["Format"] not in FORMATS:
        raise InvalidTaskInputError(f"Schema.Format must be one of {', '.join(FORMATS)}")
    columns = value.get("Columns")
    if not isinstance(columns, list) or not columns or not all(
            isinstance(c, list) and len(c) == 2 and all(isinstance(x, str) and x for x in c) for c in columns):
        raise InvalidTaskInputError("Schema.Columns must be a list of [name, type] pairs")
    policy = value.get("OnNewColumns", "fail")
    if policy not in POLICIES:
        raise InvalidTaskInputError(f"Schema.OnNewColumns must be one of {', '.join(POLICIES)}")
    delimiter = value.get("Delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise InvalidTaskInputError("Schema.Delimiter must be one character")
    evolve = value.get("Evolve", [])
    if not isinstance(evolve, list) or not all(isinstance(t, str) and t for t in evolve):
        raise InvalidTaskInputError("Schema.Evolve must be a list of table names")
    return SchemaExpectation(value["Database"], value["Table"], value["Format"], tuple((n, t) for n, t in columns), policy,
                             delimiter, tuple(evolve))


# -- reading a file's columns ------------------------------------------------------------------
@dataclass
class FileColumns:
    """What one file says: its columns in order, a type for each (None: any), and
    for text formats the sample values the declared types are checked against."""

    key: str
    columns: list[tuple[str, str | None]]
    samples: dict[str, list[Any]] = field(default_factory=dict)


def snake_case(name: str) -> str:
    """A header name as a column name: ``Forecasted Monthly Revenue`` -> ``forecasted_monthly_revenue``."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


def _head(s3: Any, bucket: str, key: str) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{HEAD_BYTES - 1}")["Body"].read()


def _complete_lines(data: bytes, whole: bool) -> str:
    text = data.decode("utf-8-sig", errors="replace")
    if not whole and "\n" in text:
        text = text[: text.rfind("\n")]  # the last line may be cut
    return text


def read_csv(s3: Any, bucket: str, key: str, size: int | None, delimiter: str) -> FileColumns:
    data = _head(s3, bucket, key)
    text = _complete_lines(data, size is not None and len(data) >= size)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        return FileColumns(key, [])
    names = [snake_case(n) for n in rows[0]]
    samples: dict[str, list[Any]] = {n: [] for n in names}
    for row in rows[1: SAMPLE_ROWS + 1]:
        for name, value in zip(names, row):
            samples[name].append(value)
    return FileColumns(key, [(n, None) for n in names], samples)


def read_json_lines(s3: Any, bucket: str, key: str, size: int | None) -> FileColumns:
    data = _head(s3, bucket, key)
    text = _complete_lines(data, size is not None and len(data) >= size)
    columns: dict[str, None] = {}
    samples: dict[str, list[Any]] = {}
    for line in text.splitlines()[:SAMPLE_ROWS]:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            for name, value in record.items():
                column = name.lower()
                columns.setdefault(column, None)
                samples.setdefault(column, []).append(value)
    return FileColumns(key, [(n, None) for n in columns], samples)


def read_parquet(s3: Any, bucket: str, key: str) -> FileColumns:
    """The top-level columns of a Parquet file, from its footer."""
    tail = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=-{HEAD_BYTES}")["Body"].read()
    if len(tail) < 12 or tail[-4:] != b"PAR1":
        raise SchemaReadError(f"s3://{bucket}/{key} is not a Parquet file (no PAR1 footer)")
    length = struct.unpack("<i", tail[-8:-4])[0]
    if length + 8 > len(tail):
        tail = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=-{length + 8}")["Body"].read()
    footer = tail[len(tail) - 8 - length: len(tail) - 8]
    elements = _ThriftCompact(footer).schema_elements()
    return FileColumns(key, _top_level_columns(elements))


class SchemaReadError(ValueError):
    """A file whose columns cannot be read (not the format its table says)."""


class _ThriftCompact:
    """Just enough of Thrift's compact protocol to read FileMetaData.schema."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise SchemaReadError("the Parquet footer ends early")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def binary(self) -> bytes:
        length = self.varint()
        value = self.data[self.pos: self.pos + length]
        self.pos += length
        return value

    def fields(self) -> Iterable[tuple[int, int]]:
        """(field id, type) of a struct's fields, until its stop."""
        last = 0
        while True:
            header = self.byte()
            if header == 0:
                return
            delta, kind = header >> 4, header & 0x0F
            last = last + delta if delta else self.zigzag()
            yield last, kind

    def value(self, kind: int) -> Any:
        if kind in (1, 2):
            return kind == 1
        if kind == 3:
            return self.byte()
        if kind in (4, 5, 6):
            return self.zigzag()
        if kind == 7:
            self.pos += 8
            return None
        if kind == 8:
            return self.binary()
        if kind in (9, 10):
            return [self.value(element) for element in self.list_header()[1]]
        if kind == 11:
            size = self.varint()
            if size:
                types = self.byte()
                for _ in range(size):
                    self.value(types >> 4)
                    self.value(types & 0x0F)
            return None
        if kind == 12:
            return {fid: self.value(k) for fid, k in self.fields()}
        raise SchemaReadError(f"unknown Thrift type {kind} in the Parquet footer")

    def list_header(self) -> tuple[int, list[int]]:
        header = self.byte()
        size, element = header >> 4, header & 0x0F
        if size == 15:
            size = self.varint()
        return size, [element] * size

    def schema_elements(self) -> list[dict[int, Any]]:
        for fid, kind in self.fields():
            if fid == 2 and kind == 9:
                _, kinds = self.list_header()
                return [self.value(k) for k in kinds]
            self.value(kind)
        raise SchemaReadError("the Parquet footer has no schema")


_PHYSICAL = {0: "boolean", 1: "int", 2: "bigint", 3: "timestamp", 4: "float", 5: "double", 6: "binary", 7: "binary"}


def _parquet_type(element: dict[int, Any]) -> str:
    physical, converted, logical = element.get(1), element.get(6), element.get(10) or {}
    if converted == 5 or 5 in logical:
        decimal = logical.get(5) or {}
        precision = decimal.get(2, element.get(8, 38))
        scale = decimal.get(1, element.get(7, 0))
        return f"decimal({precision},{scale})"
    if converted == 6 or 6 in logical:
        return "date"
    if converted in (9, 10) or 8 in logical or physical == 3:
        return "timestamp"
    if physical == 6 and (converted in (0, 4, 19) or any(k in logical for k in (1, 4, 12))):
        return "string"
    if physical == 1 and converted in (15, 11):
        return "tinyint"
    if physical == 1 and converted in (16, 12):
        return "smallint"
    return _PHYSICAL.get(physical, "binary")


def _top_level_columns(elements: list[dict[int, Any]]) -> list[tuple[str, str | None]]:
    """The root's children, nested groups typed by their kind (struct, array, map)."""
    if not elements:
        return []
    columns: list[tuple[str, str | None]] = []
    index = 1
    for _ in range(elements[0].get(5, 0)):
        element = elements[index]
        name = element.get(4, b"").decode("utf-8", errors="replace").lower()
        children = element.get(5, 0)
        if children:
            converted = element.get(6)
            columns.append((name, "map" if converted in (1, 2) else "array" if converted == 3 else "struct"))
            index = _skip_group(elements, index)
        else:
            columns.append((name, _parquet_type(element)))
            index += 1
    return columns


def _skip_group(elements: list[dict[int, Any]], index: int) -> int:
    children = elements[index].get(5, 0)
    index += 1
    for _ in range(children):
        index = _skip_group(elements, index) if elements[index].get(5, 0) else index + 1
    return index


# -- comparing -----------------------------------------------------------------------------------
@dataclass
class Drift:
    added: list[tuple[str, str]] = field(default_factory=list)  # (name, type to add)
    removed: list[str] = field(default_factory=list)
    retyped: list[str] = field(default_factory=list)
    reordered: list[str] = field(default_factory=list)
    files: dict[str, list[str]] = field(default_factory=dict)  # key -> what differs in it

    @property
    def breaking(self) -> bool:
        return bool(self.removed or self.retyped or self.reordered)

    def describe(self) -> str:
        parts = []
        if self.removed:
            parts.append(f"removed: {', '.join(self.removed)}")
        if self.added:
            parts.append(f"added: {', '.join(n for n, _ in self.added)}")
        if self.retyped:
            parts.append(f"retyped: {'; '.join(self.retyped)}")
        if self.reordered:
            parts.append(f"reordered: {'; '.join(self.reordered)}")
        return ", ".join(parts)


def _base(kind: str) -> str:
    kind = kind.strip().lower()
    kind = {"integer": "int"}.get(kind, kind)
    return re.sub(r"\s+", "", kind)


_INTEGERS = ("tinyint", "smallint", "int", "bigint")
_INT = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def _type_fits(file_type: str, table_type: str) -> bool:
    """Can Athena read a column the file writes as ``file_type`` as ``table_type``?"""
    f, t = _base(file_type), _base(table_type)
    if f == t or t.split("(")[0] in ("string", "varchar", "char") and f.split("(")[0] in ("string", "varchar", "char"):
        return True
    if f in _INTEGERS and t in _INTEGERS:
        return _INTEGERS.index(f) <= _INTEGERS.index(t)
    if f == "float" and t == "double":
        return True
    if f.startswith("decimal(") and t.startswith("decimal("):
        fp, fs = (int(x) for x in f[8:-1].split(","))
        tp, ts = (int(x) for x in t[8:-1].split(","))
        return fs == ts and fp <= tp
    if f in ("struct", "array", "map"):
        return t.startswith(f)
    return False


def _value_fits(value: Any, table_type: str) -> bool:
    """Does a sample value (CSV text, or a JSON value) read as ``table_type``?"""
    t = _base(table_type)
    if value is None or value == "" or value == "\\N":
        return True
    head = t.split("(")[0].split("<")[0]
    if isinstance(value, bool):
        return head in ("boolean", "string", "varchar", "char")
    if isinstance(value, (dict, list)):
        return head in ("struct", "map", "array", "string")
    if head in ("string", "varchar", "char", "binary"):
        return True
    if isinstance(value, (int, float)):
        if head in _INTEGERS:
            return isinstance(value, int) or float(value).is_integer()
        return head in ("double", "float", "decimal")
    text = str(value).strip()
    if head in _INTEGERS:
        return bool(_INT.match(text))
    if head in ("double", "float", "decimal"):
        try:
            float(text)
            return True
        except ValueError:
            return False
    if head == "boolean":
        return text.lower() in ("true", "false")
    if head == "date":
        return bool(_DATE.match(text))
    if head == "timestamp":
        return bool(_TIMESTAMP.match(text))
    return True


def _inferred(samples: Sequence[Any]) -> str:
    """The type a new JSON column gets: what its values are."""
    kinds = {type(v) for v in samples if v is not None}
    if kinds <= {bool} and kinds:
        return "boolean"
    if kinds <= {int} and kinds:
        return "bigint"
    if kinds <= {int, float} and kinds:
        return "double"
    return "string"


def compare(expected: Sequence[tuple[str, str]], found: FileColumns, fmt: str) -> Drift:
    """How one file differs from the table's columns."""
    drift = Drift()
    table = [(n.lower(), t) for n, t in expected]
    names = [n for n, _ in table]
    file_names = [n for n, _ in found.columns]
    types = dict(table)
    drift.removed = [n for n in names if n not in file_names]
    new = [n for n in file_names if n not in types]
    file_types = dict(found.columns)
    if fmt == "csv":
        drift.added = [(n, "string") for n in new]
        present = [n for n in file_names if n in types]
        if not drift.removed and file_names[: len(names)] != names:
            drift.reordered.append(f"the header is {', '.join(file_names)}; the table's columns are {', '.join(names)} "
                                   "(CSV maps columns by position: new columns can only be added at the end)")
        elif drift.removed and present != [n for n in names if n in present]:
            drift.reordered.append(f"the header's order {', '.join(present)} differs from the table's")
    elif fmt == "json":
        drift.added = [(n, _inferred(found.samples.get(n, []))) for n in new]
    else:
        drift.added = [(n, file_types[n] or "string") for n in new]
    for name in names:
        if name not in file_types:
            continue
        if file_types[name] is not None and not _type_fits(file_types[name] or "", types[name]):
            drift.retyped.append(f"{name} is {file_types[name]} in the file, {types[name]} in the table")
            continue
        bad = next((v for v in found.samples.get(name, []) if not _value_fits(v, types[name])), None)
        if bad is not None:
            drift.retyped.append(f"{name} holds {bad!r}, not a {types[name]} (the table's type)")
    what = drift.describe()
    if what:
        drift.files[found.key] = [what]
    return drift


def merge(drifts: Iterable[Drift]) -> Drift:
    total = Drift()
    for d in drifts:
        for name, kind in d.added:
            if name not in {n for n, _ in total.added}:
                total.added.append((name, kind))
        total.removed += [n for n in d.removed if n not in total.removed]
        total.retyped += [r for r in d.retyped if r not in total.retyped]
        total.reordered += [r for r in d.reordered if r not in total.reordered]
        total.files.update(d.files)
    return total


# -- the catalog ---------------------------------------------------------------------------------
def catalog_table(glue: Any, database: str, table: str) -> dict[str, Any] | None:
    try:
        return glue.get_table(DatabaseName=database, Name=table)["Table"]
    except glue.exceptions.EntityNotFoundException:
        return None


def catalog_columns(table: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["Name"], c["Type"]) for c in (table.get("StorageDescriptor") or {}).get("Columns", [])]


def add_columns(glue: Any, database: str, name: str, columns: Sequence[tuple[str, str]]) -> list[str]:
    """Append the columns the table lacks (UpdateTable; what ALTER TABLE ADD COLUMNS
    does); the names added. A table that is not (yet) there raises EntityNotFoundException."""
    table = glue.get_table(DatabaseName=database, Name=name)["Table"]
    descriptor = dict(table.get("StorageDescriptor") or {})
    existing = descriptor.get("Columns", [])
    known = {c["Name"].lower() for c in existing} | {k["Name"].lower() for k in table.get("PartitionKeys", [])}
    new = [{"Name": n, "Type": t, "Comment": "added by etl-runner schema evolution"} for n, t in columns if n.lower() not in known]
    if not new:
        return []
    descriptor["Columns"] = list(existing) + new
    table_input = {k: table[k] for k in TABLE_INPUT_FIELDS if k in table}
    table_input["StorageDescriptor"] = descriptor
    glue.update_table(DatabaseName=database, TableInput=table_input)
    return [c["Name"] for c in new]
