"""Tables with a JSON SerDe (OpenX ``org.openx.data.jsonserde.JsonSerDe`` or Hive
``org.apache.hive.hcatalog.data.JsonSerDe``), read the way those SerDes read.

Both read one JSON object per line and match keys to columns without
regard to case; struct field names too, but not map keys (they are data).
The OpenX SerDe also knows ``ignore.malformed.json`` (a bad line reads as a
row of NULLs instead of failing the query), ``dots.in.keys`` (``a.b`` is
matched as ``a_b``) and ``mapping.<column>`` (the JSON key of a column).

Python normalises each file once into newline-delimited JSON whose keys are
the column names; DuckDB's ``read_json`` then casts the values to the
columns' types (a value that does not fit fails as HIVE_BAD_DATA).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

from sqlglot import exp

from embedded_aws.athena.results import SqlError
from embedded_aws.glue import catalog as cat
from embedded_aws.glue import hive_types

_T = exp.DataType.Type


def _fold(value: Any, node: exp.DataType, dots: bool) -> Any:
    """Struct keys lower-cased (recursively, guided by the column type); map keys kept."""
    if value is None:
        return None
    if node.this == _T.STRUCT and isinstance(value, dict):
        fields = dict(hive_types.struct_fields(node))
        folded = {_key(k, dots): v for k, v in value.items()}
        return {name: _fold(folded.get(name), kind, dots) for name, kind in fields.items()}
    if node.this == _T.ARRAY and isinstance(value, list) and node.expressions:
        return [_fold(v, node.expressions[0], dots) for v in value]
    if node.this == _T.MAP and isinstance(value, dict) and len(node.expressions) == 2:
        return {k: _fold(v, node.expressions[1], dots) for k, v in value.items()}
    if isinstance(value, (dict, list)) and node.this not in (_T.STRUCT, _T.ARRAY, _T.MAP):
        return json.dumps(value, separators=(",", ":"))  # Hive reads a nested value of a string column as its text
    return value


def _key(key: str, dots: bool) -> str:
    key = key.lower()
    return key.replace(".", "_") if dots else key


def _opened(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def normalised_file(table: cat.TableDef, path: Path) -> Path:
    """A local NDJSON copy of ``path`` whose keys are exactly the table's columns."""
    parameters = table.serde_parameters
    openx = table.serde_library == cat.OPENX_JSON_SERDE
    ignore_malformed = openx and parameters.get("ignore.malformed.json", "false").lower() == "true"
    dots = openx and parameters.get("dots.in.keys", "false").lower() == "true"
    columns = [(c.name.lower(), hive_types.parse(c.type)) for c in table.columns]
    mapping = {k[len("mapping."):].lower(): v.lower() for k, v in parameters.items() if k.startswith("mapping.")}
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
                raise ValueError("not a JSON object")
        except ValueError as exc:
            if ignore_malformed:
                lines.append("{}")
                continue
            raise SqlError(
                f"HIVE_BAD_DATA: Error parsing field value at row {number} of {table.qualified_name}: "
                f"Row is not a valid JSON Object - JSONException: {exc}"
            ) from None
        keyed = {_key(k, dots): v for k, v in record.items()}
        row = {}
        for name, node in columns:
            source = mapping.get(name, name)
            row[name] = _fold(keyed.get(source), node, dots)
        lines.append(json.dumps(row, separators=(",", ":")))
    partial = target.with_name(target.name + ".partial")
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
