"""Tables with a JSON SerDe (OpenX ``org.openx.data.jsonserde.JsonSerDe`` or Hive
``org.apache.hive.hcatalog.data.JsonSerDe``), read the way those SerDes read.

Both read one JSON object per line and match keys to columns without
regard to case; struct field names too, but not map keys (they are data).
Two keys equal but for case make the row invalid (HIVE_CURSOR_ERROR, as
the Athena documentation shows). The OpenX SerDe also knows
``ignore.malformed.json`` (a bad line reads as a row of NULLs instead of
failing the query), ``case.insensitive = false`` (keys must match exactly,
``mapping.<column>`` names the key), ``dots.in.keys`` (``a.b`` is matched
as ``a_b``) and ``mapping.<column>`` (the JSON key of a column). The Hive
SerDe knows ``timestamp.formats`` (Java patterns tried in order for
timestamp columns).

Python normalises each file once into newline-delimited JSON whose keys are
the column names; DuckDB's ``read_json`` then casts the values to the
columns' types (a value that does not fit fails as HIVE_BAD_DATA).
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from sqlglot import exp

from embedded_aws.athena import java_dates
from embedded_aws.athena.results import SqlError
from embedded_aws.glue import catalog as cat
from embedded_aws.glue import hive_types

_T = exp.DataType.Type


class _Reading:
    """How one table's SerDe reads keys and values."""

    def __init__(self, table: cat.TableDef):
        parameters = table.serde_parameters
        openx = table.serde_library == cat.OPENX_JSON_SERDE
        self.ignore_malformed = openx and parameters.get("ignore.malformed.json", "false").lower() == "true"
        self.dots = openx and parameters.get("dots.in.keys", "false").lower() == "true"
        self.fold_case = not (openx and parameters.get("case.insensitive", "true").lower() == "false")
        self.timestamp_formats = [
            java_dates.to_strftime(f.strip()) for f in parameters.get("timestamp.formats", "").split(",") if f.strip()
        ]

    def key(self, key: str) -> str:
        key = key.lower() if self.fold_case else key
        return key.replace(".", "_") if self.dots else key

    def keyed(self, record: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, value in record.items():
            folded = self.key(key)
            if folded in found:
                raise ValueError(f'Duplicate key "{folded}"')
            found[folded] = value
        return found

    def fold(self, value: Any, node: exp.DataType) -> Any:
        """Struct keys matched to fields (recursively, guided by the column type); map keys kept."""
        if value is None:
            return None
        if node.this == _T.STRUCT and isinstance(value, dict):
            keyed = self.keyed(value)
            return {name: self.fold(keyed.get(name), kind) for name, kind in hive_types.struct_fields(node)}
        if node.this == _T.ARRAY and isinstance(value, list) and node.expressions:
            return [self.fold(v, node.expressions[0]) for v in value]
        if node.this == _T.MAP and isinstance(value, dict) and len(node.expressions) == 2:
            return {k: self.fold(v, node.expressions[1]) for k, v in value.items()}
        if isinstance(value, (dict, list)) and node.this not in (_T.STRUCT, _T.ARRAY, _T.MAP):
            return json.dumps(value, separators=(",", ":"))  # a nested value of a string column reads as its text
        if node.this in (_T.TIMESTAMP, _T.DATETIME) and isinstance(value, str) and self.timestamp_formats:
            for fmt in self.timestamp_formats:
                try:
                    return datetime.datetime.strptime(value, fmt).isoformat(sep=" ")
                except ValueError:
                    continue
        return value


def _opened(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def normalised_file(table: cat.TableDef, path: Path) -> Path:
    """A local NDJSON copy of ``path`` whose keys are exactly the table's columns."""
    parameters = table.serde_parameters
    try:
        reading = _Reading(table)
    except ValueError as exc:
        raise SqlError(f"HIVE_INVALID_METADATA: Table {table.qualified_name}: {exc}") from None
    columns = [(c.name.lower(), hive_types.parse(c.type)) for c in table.columns]
    mapping = {k[len("mapping."):].lower(): reading.key(v) for k, v in parameters.items() if k.startswith("mapping.")}
    signature = json.dumps([table.serde_library, sorted(parameters.items()), [(c.name, c.type) for c in table.columns]])
    digest = hashlib.sha256(signature.encode()).hexdigest()[:16]
    target = path.with_name(f"{path.name}.{digest}.athena.ndjson")
    if target.exists():
        return target
    lines = []
    for number, raw in enumerate(_opened(path).decode("utf-8", errors="replace").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            if not isinstance(record, dict):
                raise ValueError("A JSONObject text must begin with '{'")
            keyed = reading.keyed(record)
            row = {name: reading.fold(keyed.get(mapping.get(name, name)), node) for name, node in columns}
        except ValueError as exc:
            if reading.ignore_malformed:
                lines.append("{}")
                continue
            raise SqlError(
                f"HIVE_CURSOR_ERROR: Row is not a valid JSON Object - JSONException: {exc} "
                f"(line {number} of a file of {table.qualified_name})"
            ) from None
        lines.append(json.dumps(row, separators=(",", ":")))
    partial = target.with_name(f"{target.name}.{threading.get_ident()}.partial")  # concurrent queries may race here
    partial.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    partial.replace(target)
    return target


def json_select(table: cat.TableDef, paths: list[Path]) -> str:
    """DuckDB SELECT of the table's columns over JSON files."""
    files = [str(normalised_file(table, Path(p))) for p in paths]
    columns = ", ".join(f"'{c.name}': '{cat.duckdb_type(c.type)}'" for c in table.columns)
    listing = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    names = ", ".join('"' + c.name.replace('"', '""') + '"' for c in table.columns) or "NULL AS __athena_no_columns"
    return (
        f"SELECT {names} FROM read_json({listing}, format = 'newline_delimited', columns = {{{columns}}}, "
        "hive_partitioning = false)"
    )
