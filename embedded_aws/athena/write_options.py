"""The ``WITH (...)`` properties of CTAS and UNLOAD, checked as Athena checks them.

CTAS: ``format`` (default PARQUET), ``external_location``,
``partitioned_by = ARRAY[...]``, ``bucketed_by = ARRAY[...]``,
``bucket_count``, ``write_compression`` (also the older
``parquet_compression``), ``field_delimiter`` (TEXTFILE, default
``\\001``), ``table_type`` (only HIVE locally). UNLOAD takes ``format``,
``compression``, ``field_delimiter`` and ``partitioned_by``.

DuckDB writes Parquet, delimited text and JSON; ORC, Avro and Ion fail
with NOT_SUPPORTED, as do codecs DuckDB cannot write for a format.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from embedded_aws.athena.results import SqlError

WRITABLE_FORMATS = ("PARQUET", "TEXTFILE", "JSON")
ATHENA_FORMATS = ("PARQUET", "ORC", "AVRO", "JSON", "TEXTFILE", "ION")
# Athena's codec names -> DuckDB's, by format.
_CODECS = {
    "PARQUET": {"GZIP": "gzip", "SNAPPY": "snappy", "ZSTD": "zstd", "LZ4": "lz4_raw", "NONE": "uncompressed"},
    "TEXTFILE": {"GZIP": "gzip", "ZSTD": "zstd", "NONE": "none"},
    "JSON": {"GZIP": "gzip", "NONE": "none"},  # the JSON reader here decompresses gzip only
}
_EXTENSIONS = {"gzip": ".gz", "zstd": ".zst"}
_CTAS_PROPERTIES = {
    "format", "external_location", "partitioned_by", "bucketed_by", "bucket_count", "write_compression",
    "parquet_compression", "orc_compression", "field_delimiter", "table_type", "location",
}
_UNLOAD_PROPERTIES = {"format", "compression", "field_delimiter", "partitioned_by"}


@dataclass(frozen=True)
class WriteOptions:
    format: str = "PARQUET"
    compression: str = "GZIP"  # Athena's name
    location: str | None = None
    partitioned_by: list[str] = field(default_factory=list)
    bucketed_by: list[str] = field(default_factory=list)
    bucket_count: int | None = None
    field_delimiter: str = "\x01"
    header: bool = False  # a header line first (text tables with skip.header.line.count = 1)

    @property
    def duckdb_codec(self) -> str:
        return _CODECS[self.format][self.compression]

    @property
    def extension(self) -> str:
        """The file name suffix readers use to detect compression (none for Parquet)."""
        return "" if self.format == "PARQUET" else _EXTENSIONS.get(self.duckdb_codec, "")


def _value(node: exp.Expression) -> object:
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else int(node.this) if node.this.isdigit() else node.this
    if isinstance(node, exp.Array):
        return [_value(item) for item in node.expressions]
    if isinstance(node, (exp.Var, exp.Identifier, exp.Column)):
        return node.name
    if isinstance(node, exp.Boolean):
        return node.this
    raise SqlError(f"INVALID_TABLE_PROPERTY: Invalid value for table property: {node.sql()}")


def _pairs(properties: exp.Properties | None) -> dict[str, object]:
    """Property name -> value from sqlglot's parse of ``WITH (...)``."""
    found: dict[str, object] = {}
    for prop in (properties.expressions if properties is not None else []):
        if isinstance(prop, exp.FileFormatProperty):
            found["format"] = _value(prop.this)
        elif isinstance(prop, exp.PartitionedByProperty):
            found["partitioned_by"] = _value(prop.this)
        elif isinstance(prop, exp.LocationProperty):
            found["location"] = _value(prop.this)
        elif isinstance(prop, exp.Property):
            found[prop.name.lower()] = _value(prop.args["value"])
        else:
            raise SqlError(f"INVALID_TABLE_PROPERTY: Unsupported table property: {prop.sql(dialect='athena')}")
    return found


def _names(value: object, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SqlError(f"INVALID_TABLE_PROPERTY: {what} must be an ARRAY of column names, e.g. ARRAY['col']")
    return [v.lower() for v in value]


def _format(value: object) -> str:
    fmt = str(value).upper()
    if fmt not in ATHENA_FORMATS:
        raise SqlError(f"INVALID_TABLE_PROPERTY: Unsupported format '{value}' (expected one of {', '.join(ATHENA_FORMATS)})")
    if fmt not in WRITABLE_FORMATS:
        raise SqlError(
            f"NOT_SUPPORTED: format '{fmt}' cannot be written by the local Athena engine "
            f"(supported: {', '.join(WRITABLE_FORMATS)})"
        )
    return fmt


def _compression(fmt: str, value: object | None) -> str:
    codec = "GZIP" if value is None else str(value).upper()
    if codec == "UNCOMPRESSED":
        codec = "NONE"
    if codec not in _CODECS[fmt]:
        raise SqlError(
            f"NOT_SUPPORTED: compression '{codec}' for {fmt} cannot be written by the local Athena engine "
            f"(supported: {', '.join(_CODECS[fmt])})"
        )
    return codec


def _delimiter(value: object | None, fmt: str) -> str:
    if value is None:
        return "\x01"
    if fmt != "TEXTFILE":
        raise SqlError(f"INVALID_TABLE_PROPERTY: field_delimiter is only valid for TEXTFILE, not {fmt}")
    text = str(value)
    if len(text) != 1:
        raise SqlError(f"INVALID_TABLE_PROPERTY: field_delimiter must be a single character, got '{text}'")
    return text


def ctas_options(properties: exp.Properties | None) -> WriteOptions:
    pairs = _pairs(properties)
    unknown = sorted(set(pairs) - _CTAS_PROPERTIES)
    if unknown:
        raise SqlError(f"INVALID_TABLE_PROPERTY: Catalog 'awsdatacatalog' table property '{unknown[0]}' does not exist")
    table_type = str(pairs.get("table_type", "HIVE")).upper()
    if table_type != "HIVE":
        raise SqlError(f"NOT_SUPPORTED: table_type '{table_type}' is not supported by the local Athena engine (HIVE only)")
    if "location" in pairs:
        raise SqlError("INVALID_TABLE_PROPERTY: 'location' is for Iceberg tables; use external_location for a Hive table")
    fmt = _format(pairs.get("format", "PARQUET"))
    codec = pairs.get("write_compression", pairs.get("parquet_compression"))
    bucket_count = pairs.get("bucket_count")
    bucketed_by = _names(pairs["bucketed_by"], "bucketed_by") if "bucketed_by" in pairs else []
    if bool(bucketed_by) != (bucket_count is not None):
        raise SqlError("INVALID_TABLE_PROPERTY: bucketed_by and bucket_count must be given together")
    if bucket_count is not None and (not isinstance(bucket_count, int) or bucket_count < 1):
        raise SqlError(f"INVALID_TABLE_PROPERTY: bucket_count must be a positive integer, got {bucket_count}")
    location = pairs.get("external_location")
    if location is not None and not str(location).startswith("s3://"):
        raise SqlError(f"INVALID_TABLE_PROPERTY: external_location must be an s3:// URI, got '{location}'")
    return WriteOptions(
        format=fmt,
        compression=_compression(fmt, codec),
        location=str(location) if location is not None else None,
        partitioned_by=_names(pairs["partitioned_by"], "partitioned_by") if "partitioned_by" in pairs else [],
        bucketed_by=bucketed_by,
        bucket_count=bucket_count if isinstance(bucket_count, int) else None,
        field_delimiter=_delimiter(pairs.get("field_delimiter"), fmt),
    )


def unload_options(properties: exp.Properties | None, location: str) -> WriteOptions:
    pairs = _pairs(properties)
    unknown = sorted(set(pairs) - _UNLOAD_PROPERTIES)
    if unknown:
        raise SqlError(f"INVALID_TABLE_PROPERTY: UNLOAD property '{unknown[0]}' does not exist")
    if "format" not in pairs:
        raise SqlError("INVALID_TABLE_PROPERTY: UNLOAD requires the format property, e.g. WITH (format = 'PARQUET')")
    fmt = _format(pairs["format"])
    return WriteOptions(
        format=fmt,
        compression=_compression(fmt, pairs.get("compression")),
        location=location,
        partitioned_by=_names(pairs["partitioned_by"], "partitioned_by") if "partitioned_by" in pairs else [],
        field_delimiter=_delimiter(pairs.get("field_delimiter"), fmt),
    )
