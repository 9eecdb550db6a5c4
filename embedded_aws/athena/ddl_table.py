"""``CREATE EXTERNAL TABLE`` read by sqlglot's Athena (Hive) dialect.

sqlglot parses the whole Hive table DDL: columns with nested types,
``PARTITIONED BY``, ``ROW FORMAT SERDE ... WITH SERDEPROPERTIES``, ``ROW
FORMAT DELIMITED``, ``STORED AS``, ``LOCATION`` and ``TBLPROPERTIES``. This
module only turns its tree into the ``CreateTable`` statement the DDL
executor stores, and words sqlglot's errors as Hive's ``ParseException``.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from embedded_aws.athena.results import SqlError
from embedded_aws.glue import catalog as cat
from embedded_aws.glue import hive_types
from embedded_aws.s3.objects import S3LocationError, S3Uri

_READABLE_STORED_AS = {"PARQUET", "TEXTFILE", "JSON"}
_KNOWN_STORED_AS = {"ORC", "AVRO", "ION", "RCFILE", "SEQUENCEFILE"}
_OCTAL = re.compile(r"\\([0-7]{1,3})|\\u([0-9a-fA-F]{4})")


def _not_supported(what: str) -> SqlError:
    return SqlError(f"NOT_SUPPORTED: {what} is not supported by the local Athena engine")


def _semantic(message: str) -> SqlError:
    return SqlError(f"FAILED: SemanticException {message}")


def _position(sql: str, offset: int) -> str:
    """Hive's ``line:column`` (column 0-based) of an offset."""
    line = sql.count("\n", 0, offset) + 1
    return f"{line}:{offset - (sql.rfind(chr(10), 0, offset) + 1)}"


def _offset(sql: str, line: int, col: int) -> int:
    start = 0
    for _ in range(line - 1):
        start = sql.index("\n", start) + 1
    return start + col


def _parse_error(sql: str, error: ParseError) -> SqlError:
    first = error.errors[0] if error.errors else {}
    highlight = first.get("highlight") or ""
    if first.get("line") is None:
        return SqlError(f"FAILED: ParseException line 1:0 {str(error).splitlines()[0]}")
    end = _offset(sql, int(first["line"]), int(first.get("col") or 0))
    start = max(0, end - len(highlight))
    if re.fullmatch(r"[A-Za-z_]\w*", highlight) and first.get("description", "").startswith("Expecting"):
        # sqlglot stops at a word it does not know as a type: say what Hive says.
        before = sql[:start].rstrip()
        if before.endswith(("(", ",", "<", ":")) or re.search(r"\w\s*$", before):
            return SqlError(f"FAILED: ParseException line {_position(sql, start)} Unsupported column type: {highlight}")
    description = first.get("description") or "cannot recognize input"
    return SqlError(f"FAILED: ParseException line {_position(sql, start)} {description} near '{highlight}'")


def _leftover(sql: str) -> SqlError:
    """The first token sqlglot could not place (it fell back to a bare command)."""
    tokens = sqlglot.tokenize(sql, read="athena")
    for count in range(len(tokens) - 1, 0, -1):
        prefix = sql[: tokens[count - 1].end + 1]
        try:
            tree = sqlglot.parse_one(prefix, read="athena")
        except (ParseError, TokenError):
            continue
        if isinstance(tree, exp.Create):
            token = tokens[count]
            return SqlError(
                f"FAILED: ParseException line {_position(sql, token.start)} mismatched input '{token.text}' expecting <EOF>"
            )
    return SqlError("FAILED: ParseException line 1:0 cannot recognize input near 'CREATE'")


def _text(node: exp.Expression | None) -> str | None:
    if node is None:
        return None
    return _unescape(node.name if isinstance(node, exp.Literal) else node.sql())


def _unescape(text: str) -> str:
    """Hive's octal / unicode escapes sqlglot leaves as they are (``'\\001'``)."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)) if m.group(1) else chr(int(m.group(2), 16)), text)


def _columns(definitions: list[exp.Expression], sql: str) -> list[cat.ColumnDef]:
    found = []
    for definition in definitions:
        if not isinstance(definition, exp.ColumnDef) or not isinstance(definition.args.get("kind"), exp.DataType):
            raise SqlError(f"FAILED: ParseException line 1:0 cannot recognize column definition '{definition.sql()}'")
        kind = definition.args["kind"]
        type_text = kind.sql(dialect="hive")
        try:
            column_type = hive_types.normalize_type(type_text)
        except hive_types.UnsupportedType as exc:
            raise SqlError(f"FAILED: ParseException line 1:0 {exc}") from None
        comment = None
        for constraint in definition.args.get("constraints") or []:
            if isinstance(constraint.kind, exp.CommentColumnConstraint):
                comment = _text(constraint.kind.this)
            else:
                raise _not_supported(f"Column constraint {constraint.sql(dialect='hive')}")
        found.append(cat.ColumnDef(definition.name.lower(), column_type, comment))
    names = [c.name for c in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise _semantic(f"[Error 10036]: Duplicate column name: {duplicates[0]}")
    return found


def _properties(node: exp.Expression | None) -> dict[str, str]:
    if node is None:
        return {}
    return {_text(p.this) or "": _text(p.args.get("value")) or "" for p in node.expressions}


def _location(node: exp.Expression) -> str:
    text = _text(node) or ""
    try:
        S3Uri.parse(text)
    except S3LocationError:
        raise SqlError(f"FAILED: ParseException LOCATION must be an s3:// URI, got '{text}'") from None
    return text


def parse_create_table(sql: str):  # -> ddl.CreateTable (imported late: ddl imports this module)
    """A ``CREATE EXTERNAL TABLE`` statement, or SqlError worded like Hive's."""
    from embedded_aws.athena.ddl import CreateTable, TableName

    try:
        tree = sqlglot.parse_one(sql, read="athena")
    except ParseError as exc:
        raise _parse_error(sql, exc) from None
    except TokenError as exc:
        raise SqlError(f"FAILED: ParseException line 1:0 {exc}") from None
    if isinstance(tree, exp.Command):
        raise _leftover(sql)
    if not isinstance(tree, exp.Create) or tree.kind != "TABLE":
        raise SqlError("FAILED: ParseException line 1:0 cannot recognize input near 'CREATE'")
    if tree.expression is not None:
        raise _not_supported("CREATE EXTERNAL TABLE ... AS SELECT (use CREATE TABLE ... WITH (...) AS SELECT)")
    schema = tree.this
    if not isinstance(schema, exp.Schema):
        if any(isinstance(p, exp.LikeProperty) for p in (tree.args.get("properties") or exp.Properties()).expressions):
            raise _not_supported("CREATE TABLE LIKE")
        raise SqlError("FAILED: ParseException line 1:0 missing '(' and column definitions")
    table = schema.this
    name = TableName(table.db.lower() or None, table.name.lower())
    if name.database is None and "." in name.name:  # `db.table` in one pair of backticks (Hive's way)
        name = TableName(*name.name.split(".", 1))
    columns = _columns(list(schema.expressions), sql)
    partition_keys: list[cat.ColumnDef] = []
    comment = serde = stored_as = input_format = output_format = location = None
    delimited: dict[str, str] | None = None
    serde_properties: dict[str, str] = {}
    properties: dict[str, str] = {}
    for prop in (tree.args.get("properties") or exp.Properties()).expressions:
        if isinstance(prop, exp.ExternalProperty):
            continue
        if isinstance(prop, exp.SchemaCommentProperty):
            comment = _text(prop.this)
        elif isinstance(prop, exp.PartitionedByProperty):
            keys = prop.this
            if not isinstance(keys, exp.Schema):
                raise SqlError("FAILED: ParseException PARTITIONED BY needs column definitions (name type)")
            partition_keys = _columns(list(keys.expressions), sql)
        elif isinstance(prop, exp.ClusteredByProperty):
            raise _not_supported("CLUSTERED BY (bucketed tables)")
        elif isinstance(prop, exp.RowFormatSerdeProperty):
            serde = _text(prop.this)
            serde_properties.update(_properties(prop.args.get("serde_properties")))
        elif isinstance(prop, exp.SerdeProperties):
            serde_properties.update(_properties(prop))
        elif isinstance(prop, exp.RowFormatDelimitedProperty):
            delimited = _delimited(prop)
        elif isinstance(prop, exp.FileFormatProperty):
            fmt = prop.this
            if isinstance(fmt, exp.InputOutputFormat):
                input_format = _text(fmt.args.get("input_format"))
                output_format = _text(fmt.args.get("output_format"))
            else:
                kind = (_text(fmt) or "").upper()
                if kind in _KNOWN_STORED_AS:
                    raise _not_supported(f"STORED AS {kind}")
                if kind not in _READABLE_STORED_AS:
                    raise SqlError(f"FAILED: ParseException unknown file format '{kind}' expecting PARQUET, TEXTFILE or JSON")
                stored_as = kind
        elif isinstance(prop, exp.LocationProperty):
            location = _location(prop.this)
        elif isinstance(prop, exp.Property):
            properties[_text(prop.this) or ""] = _text(prop.args.get("value")) or ""
        else:
            raise _not_supported(prop.sql(dialect="hive").split(" (")[0] or type(prop).__name__)
    if location is None:
        raise SqlError("FAILED: SemanticException LOCATION is required for an external table (s3://bucket/folder/)")
    clash = {c.name for c in columns} & {c.name for c in partition_keys}
    if clash:
        raise _semantic(f"[Error 10035]: Column repeated in partitioning columns: {sorted(clash)[0]}")
    return CreateTable(
        name, bool(tree.args.get("exists")), columns, partition_keys, comment, serde, delimited,
        serde_properties, stored_as, input_format, output_format, location, properties,
    )


def _delimited(prop: exp.RowFormatDelimitedProperty) -> dict[str, str]:
    """``ROW FORMAT DELIMITED`` as LazySimpleSerDe's parameters."""
    parameters: dict[str, str] = {}
    fields = _text(prop.args.get("fields"))
    if fields is not None:
        parameters["field.delim"] = fields
        parameters["serialization.format"] = fields
    if (escaped := _text(prop.args.get("escaped"))) is not None:
        parameters["escape.delim"] = escaped
    if (items := _text(prop.args.get("collection_items"))) is not None:
        parameters["collection.delim"] = items
    if (keys := _text(prop.args.get("map_keys"))) is not None:
        parameters["mapkey.delim"] = keys
    if (lines := _text(prop.args.get("lines"))) is not None:
        if lines != "\n":
            raise SqlError("FAILED: SemanticException LINES TERMINATED BY only supports newline '\\n' right now")
        parameters["line.delim"] = lines
    if (null := _text(prop.args.get("null"))) is not None:
        parameters["serialization.null.format"] = null
    return parameters
