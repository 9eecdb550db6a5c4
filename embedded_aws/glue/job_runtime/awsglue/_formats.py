"""Glue's S3 formats on Spark: reading files, writing frames, and the catalog's SerDe for each format.

Glue format names: ``csv``, ``json``, ``parquet`` / ``glueparquet``, ``orc``;
``avro``, ``xml``, ``ion``, ``grokLog`` and ``hudi``/``delta``/``iceberg`` need
libraries local Spark does not have and fail with "not supported locally".
"""

from __future__ import annotations

import re
from typing import Any

NOT_LOCAL = {"avro", "xml", "ion", "groklog", "hudi", "delta", "iceberg", "excel"}

#: Glue / Hive type names (mappings, catalog columns) -> Spark SQL types.
_TYPE_NAMES = {
    "string": "string", "varchar": "string", "char": "string",
    "long": "bigint", "bigint": "bigint", "int": "int", "integer": "int",
    "short": "smallint", "smallint": "smallint", "byte": "tinyint", "tinyint": "tinyint",
    "double": "double", "float": "float", "real": "float", "boolean": "boolean",
    "date": "date", "timestamp": "timestamp", "binary": "binary", "decimal": "decimal(10,2)", "null": "void",
}
_COMPLEX = re.compile(r"^\s*(array|struct|map)\s*<", re.I)


class NotSupportedLocally(NotImplementedError):
    def __init__(self, what: str):
        super().__init__(f"{what} is not supported locally by the embedded AWS Glue")


def spark_type(name: str) -> str | None:
    """The Spark SQL type of a Glue/Hive type name; None for a bare complex name (keep the value)."""
    text = name.strip().lower()
    if text in ("array", "struct", "map", "choice", "object"):
        return None
    if _COMPLEX.match(text) or text.startswith("decimal("):
        return re.sub(r"\s+", "", text) if text.startswith("decimal(") else text
    base = re.sub(r"\(.*\)$", "", text)
    if base in _TYPE_NAMES:
        return _TYPE_NAMES[base]
    raise ValueError(f"unknown type {name!r}")


def normalise_format(fmt: str | None) -> str:
    name = (fmt or "").strip().lower()
    if name in NOT_LOCAL:
        raise NotSupportedLocally(f"format {fmt!r}")
    if name == "glueparquet":
        return "parquet"
    if name not in ("csv", "json", "parquet", "orc", "text"):
        raise NotSupportedLocally(f"format {fmt!r}")
    return name


def _flag(value: Any) -> bool:
    return str(value).strip().lower() == "true" if not isinstance(value, bool) else value


def read_files(spark: Any, uris: list[str], fmt: str, options: dict[str, Any], schema: Any = None) -> Any:
    """A DataFrame of the files, read the way Glue reads ``fmt`` with ``format_options``."""
    fmt = normalise_format(fmt)
    reader = spark.read
    if schema is not None:
        reader = reader.schema(schema)
    if fmt == "csv":
        quote = options.get("quoteChar", '"')
        header = _flag(options.get("withHeader", False))
        skip_first = _flag(options.get("skipFirst", False))
        reader = (
            reader.option("sep", options.get("separator", ","))
            .option("quote", "" if str(quote) == "-1" else quote)
            .option("escape", options.get("escaper", "\\") or "\\")
            .option("header", header or skip_first)  # Spark skips a file's first line only as a header
            .option("multiLine", _flag(options.get("multiLine", options.get("multiline", False))))
            .option("inferSchema", False)
        )
        frame = reader.csv(uris)
        if schema is None and not header:
            frame = frame.toDF(*[f"col{i}" for i in range(len(frame.columns))])
        return frame
    if fmt == "json":
        reader = reader.option("multiLine", _flag(options.get("multiline", options.get("multiLine", False))))
        json_path = options.get("jsonPath")
        frame = reader.json(uris)
        if json_path:
            raise NotSupportedLocally("the json format option 'jsonPath'")
        return frame
    if fmt == "parquet":
        return reader.option("mergeSchema", _flag(options.get("mergeSchema", False))).parquet(*uris)
    if fmt == "orc":
        return reader.option("mergeSchema", _flag(options.get("mergeSchema", False))).orc(uris)
    return reader.text(uris)


def write_frame(frame: Any, path: str, fmt: str, options: dict[str, Any], partition_keys: list[str], compression: str | None) -> None:
    """Append ``frame`` under ``path`` as Glue's S3 sink does (Glue sinks never overwrite)."""
    fmt = normalise_format(fmt)
    writer = frame.write.mode("append")
    if partition_keys:
        writer = writer.partitionBy(*partition_keys)
    codec = (compression or options.get("compression") or "").lower() or None
    if fmt == "csv":
        quote = options.get("quoteChar", '"')
        writer = (
            writer.option("sep", options.get("separator", ","))
            .option("quote", "" if str(quote) == "-1" else quote)
            .option("header", _flag(options.get("writeHeader", True)))
        )
        if options.get("escaper"):
            writer = writer.option("escape", options["escaper"])
        writer.csv(path, compression=codec)
    elif fmt == "json":
        writer.json(path, compression=codec)
    elif fmt == "parquet":
        writer.parquet(path, compression=codec or "snappy")
    elif fmt == "orc":
        writer.orc(path, compression=codec)
    else:
        writer.text(path, compression=codec)


# --- the Data Catalog's description of each format ----------------------------

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
OPENX_JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
HIVE_JSON_SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
ORC_SERDE = "org.apache.hadoop.hive.ql.io.orc.OrcSerde"
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"


def storage_for(fmt: str, options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(StorageDescriptor parts, table Parameters) the catalog records for a Glue sink's format."""
    fmt = normalise_format(fmt)
    if fmt == "parquet":
        return (
            {
                "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE, "Parameters": {"serialization.format": "1"}},
            },
            {"classification": "parquet"},
        )
    if fmt == "orc":
        return (
            {
                "InputFormat": "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
                "SerdeInfo": {"SerializationLibrary": ORC_SERDE, "Parameters": {}},
            },
            {"classification": "orc"},
        )
    if fmt == "json":
        return (
            {"InputFormat": TEXT_INPUT, "OutputFormat": TEXT_OUTPUT,
             "SerdeInfo": {"SerializationLibrary": OPENX_JSON_SERDE, "Parameters": {"paths": ""}}},
            {"classification": "json"},
        )
    if fmt == "csv":
        header = _flag(options.get("writeHeader", True))
        return (
            {"InputFormat": TEXT_INPUT, "OutputFormat": TEXT_OUTPUT,
             "SerdeInfo": {"SerializationLibrary": LAZY_SIMPLE_SERDE,
                           "Parameters": {"field.delim": options.get("separator", ",")}}},
            {"classification": "csv", **({"skip.header.line.count": "1"} if header else {})},
        )
    raise NotSupportedLocally(f"a catalog table of format {fmt!r}")


def format_of_table(table: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(Glue format, format options) to read a catalog table's files."""
    descriptor = table.get("StorageDescriptor") or {}
    serde = (descriptor.get("SerdeInfo") or {})
    library = serde.get("SerializationLibrary") or ""
    serde_params = serde.get("Parameters") or {}
    params = {**(table.get("Parameters") or {})}
    header = str(params.get("skip.header.line.count", "0")).strip() not in ("", "0")
    input_format = (descriptor.get("InputFormat") or "").lower()
    if library == PARQUET_SERDE or "parquet" in input_format or params.get("classification") == "parquet":
        return "parquet", {}
    if library == ORC_SERDE or "orc" in input_format or params.get("classification") == "orc":
        return "orc", {}
    if library in (OPENX_JSON_SERDE, HIVE_JSON_SERDE) or params.get("classification") == "json":
        return "json", {}
    if library == OPEN_CSV_SERDE:
        return "csv", {
            "separator": serde_params.get("separatorChar", ","),
            "quoteChar": serde_params.get("quoteChar", '"'),
            "escaper": serde_params.get("escapeChar", "\\"),
            "withHeader": header,
        }
    if library == LAZY_SIMPLE_SERDE or params.get("classification") == "csv" or "text" in input_format:
        delimiter = serde_params.get("field.delim", serde_params.get("serialization.format", "\x01"))
        if delimiter in ("1", ""):
            delimiter = "\x01"
        return "csv", {"separator": delimiter, "quoteChar": "-1", "withHeader": header}
    raise NotSupportedLocally(f"reading a catalog table with SerDe {library or 'unknown'!r}")
