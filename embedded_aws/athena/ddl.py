"""Athena's Hive DDL for the local Athena: its statements and their effects on the catalog.

``CREATE EXTERNAL TABLE`` is read by sqlglot's Athena dialect (see
``ddl_table``). The statements sqlglot's dialect does not model (it falls
back to a bare command for them) keep a small strict parser here
(keywords case-insensitive, names lower-cased as Athena does)::

    CREATE (DATABASE|SCHEMA) [IF NOT EXISTS] db [COMMENT '..'] [LOCATION 's3://..']
        [WITH DBPROPERTIES ('k'='v', ..)]
    DROP (DATABASE|SCHEMA) [IF EXISTS] db [RESTRICT|CASCADE]
    DROP TABLE [IF EXISTS] [db.]t
    MSCK REPAIR TABLE [db.]t
    ALTER TABLE [db.]t ADD [IF NOT EXISTS] PARTITION (k='v', ..) [LOCATION 's3://..'] [PARTITION ..]
    ALTER TABLE [db.]t DROP [IF EXISTS] PARTITION (k='v', ..) [, PARTITION ..]
    ALTER TABLE [db.]t SET TBLPROPERTIES ('k'='v', ..)
    SHOW TBLPROPERTIES [db.]t [('k')]
    SHOW (DATABASES|SCHEMAS) [LIKE 'pattern']
    SHOW TABLES [IN db] ['pattern']
    SHOW PARTITIONS [db.]t
    SHOW COLUMNS (IN|FROM) [db.]t
    DESCRIBE [db.]t

Tables are Parquet, text (Hive's LazySimpleSerDe or OpenCSVSerde) or JSON
(OpenX or Hive JSON SerDe). CTAS, INSERT INTO, UNLOAD, views and SHOW
CREATE are ``statements``' business. What is not supported fails with
``NOT_SUPPORTED: ...`` instead of being half done; errors read like
Athena's (``FAILED: SemanticException ...``).
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable

from embedded_aws.glue import catalog as cat
from embedded_aws.athena.s3_tables import folder_prefix, is_hidden, list_objects
from embedded_aws.s3.objects import S3LocationError, S3Uri
from embedded_aws.athena.results import Column, ResultTable, SqlError
from embedded_aws.athena.ddl_table import parse_create_table

# --- errors -------------------------------------------------------------------------


def _not_supported(what: str) -> SqlError:
    return SqlError(f"NOT_SUPPORTED: {what} is not supported by the local Athena engine")


def _semantic(message: str) -> SqlError:
    return SqlError(f"FAILED: SemanticException {message}")


def _ddl_task(exception: str, message: str) -> SqlError:
    return SqlError(
        "FAILED: Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.DDLTask. "
        f"{exception}(message:{message})"
    )


def catalog_error(error: cat.CatalogError) -> SqlError:
    """Athena's wording for a missing or existing catalog object."""
    if isinstance(error, cat.NotFound):
        if error.kind == "Database":
            return _semantic(f"[Error 10072]: Database does not exist: {error.name}")
        if error.kind == "Table":
            return _semantic(f"[Error 10001]: Table not found {error.name}")
        return _semantic(f"[Error 10006]: Partition not found {error.name}")
    if isinstance(error, cat.AlreadyExists):
        return _ddl_task("AlreadyExistsException", f"{error.kind} {error.name} already exists")
    return _ddl_task("InvalidOperationException", f"{error.kind} {error.name} {error.problem}")


# --- tokens ---------------------------------------------------------------------------

WORD, QUOTED, STRING, NUMBER, PUNCT, END = "word", "quoted", "string", "number", "punct", "end"


@dataclass(frozen=True)
class Token:
    kind: str
    text: str  # the value: unescaped for strings and quoted names
    line: int
    column: int  # 0-based, as Hive reports it

    def is_word(self, *words: str) -> bool:
        return self.kind == WORD and self.text.upper() in words

    def shown(self) -> str:
        return "<EOF>" if self.kind == END else self.text


_TOKEN = re.compile(
    r"""
    (?P<space>\s+|--[^\n]*|/\*.*?\*/)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>\d+(?:\.\d+)?)
  | `(?P<quoted>(?:[^`]|``)*)`
  | '(?P<single>(?:[^'\\]|\\.|'')*)'
  | "(?P<double>(?:[^"\\]|\\.)*)"
  | (?P<punct>[(),.=;<>:])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|[0-7]{3}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "0": "\0", "Z": "\x1a"}


def _unescape(text: str) -> str:
    """Hive's string literal escapes: ``\\t``, ``\\001``, ``\\u0001``, ``\\'``, ``\\\\``."""

    def replace(match: re.Match[str]) -> str:
        escape = match.group(1)
        if escape[0] == "u" and len(escape) == 5:
            return chr(int(escape[1:], 16))
        if len(escape) == 3 and escape.isdigit():
            return chr(int(escape, 8))
        return _SIMPLE_ESCAPES.get(escape, escape)

    return _ESCAPE.sub(replace, text)


def tokenize(sql: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(sql):
        match = _TOKEN.match(sql, position)
        line = sql.count("\n", 0, position) + 1
        column = position - (sql.rfind("\n", 0, position) + 1)
        if match is None:
            raise SqlError(f"FAILED: ParseException line {line}:{column} character '{sql[position]}' not supported here")
        kind = match.lastgroup
        if kind == "word":
            tokens.append(Token(WORD, match.group("word"), line, column))
        elif kind == "number":
            tokens.append(Token(NUMBER, match.group("number"), line, column))
        elif kind == "quoted":
            tokens.append(Token(QUOTED, match.group("quoted").replace("``", "`"), line, column))
        elif kind == "single":
            tokens.append(Token(STRING, _unescape(match.group("single").replace("''", "\\'")), line, column))
        elif kind == "double":
            tokens.append(Token(STRING, _unescape(match.group("double")), line, column))
        elif kind == "punct":
            tokens.append(Token(PUNCT, match.group("punct"), line, column))
        position = match.end()
    line = sql.count("\n") + 1
    tokens.append(Token(END, "", line, len(sql) - (sql.rfind("\n") + 1)))
    return tokens


# --- statements ------------------------------------------------------------------------


@dataclass(frozen=True)
class TableName:
    database: str | None
    name: str

    def resolve(self, default_database: str) -> tuple[str, str]:
        return (self.database or default_database, self.name)


@dataclass(frozen=True)
class CreateDatabase:
    name: str
    if_not_exists: bool
    comment: str | None
    location: str | None
    properties: dict[str, str]


@dataclass(frozen=True)
class DropDatabase:
    name: str
    if_exists: bool
    cascade: bool


@dataclass(frozen=True)
class CreateTable:
    table: TableName
    if_not_exists: bool
    columns: list[cat.ColumnDef]
    partition_keys: list[cat.ColumnDef]
    comment: str | None
    serde: str | None  # ROW FORMAT SERDE class
    delimited: dict[str, str] | None  # ROW FORMAT DELIMITED's SerDe parameters
    serde_properties: dict[str, str]
    stored_as: str | None
    input_format: str | None
    output_format: str | None
    location: str
    properties: dict[str, str]


@dataclass(frozen=True)
class DropTable:
    table: TableName
    if_exists: bool


@dataclass(frozen=True)
class RepairTable:
    table: TableName


@dataclass(frozen=True)
class AddPartitions:
    table: TableName
    if_not_exists: bool
    partitions: list[tuple[dict[str, str], str | None]]


@dataclass(frozen=True)
class SetTableProperties:
    table: TableName
    properties: dict[str, str]


@dataclass(frozen=True)
class ShowTableProperties:
    table: TableName
    name: str | None


@dataclass(frozen=True)
class DropPartitions:
    table: TableName
    if_exists: bool
    partitions: list[dict[str, str]]


@dataclass(frozen=True)
class ShowDatabases:
    pattern: str | None


@dataclass(frozen=True)
class ShowTables:
    database: str | None
    pattern: str | None


@dataclass(frozen=True)
class ShowPartitions:
    table: TableName


@dataclass(frozen=True)
class ShowColumns:
    table: TableName


@dataclass(frozen=True)
class Describe:
    table: TableName


Statement = Any  # one of the dataclasses above


# --- parser -----------------------------------------------------------------------------


class Parser:
    """Recursive descent over the tokens of one DDL statement."""

    def __init__(self, sql: str):
        self.sql = sql
        self.tokens = tokenize(sql)
        self.index = 0

    # --- token helpers --------------------------------------------------------

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.current
        if token.kind != END:
            self.index += 1
        return token

    def error(self, expecting: str) -> SqlError:
        token = self.current
        return SqlError(
            f"FAILED: ParseException line {token.line}:{token.column} "
            f"mismatched input '{token.shown()}' expecting {expecting}"
        )

    def accept(self, *words: str) -> bool:
        if self.current.is_word(*words):
            self.advance()
            return True
        return False

    def accept_all(self, *words: str) -> bool:
        """Consume ``words`` in sequence if they all follow; else consume nothing."""
        for offset, word in enumerate(words):
            token = self.tokens[min(self.index + offset, len(self.tokens) - 1)]
            if not token.is_word(word):
                return False
        self.index += len(words)
        return True

    def expect(self, *words: str) -> str:
        if not self.current.is_word(*words):
            raise self.error(" or ".join(words))
        return self.advance().text.upper()

    def punct(self, symbol: str) -> bool:
        if self.current.kind == PUNCT and self.current.text == symbol:
            self.advance()
            return True
        return False

    def expect_punct(self, symbol: str) -> None:
        if not self.punct(symbol):
            raise self.error(f"'{symbol}'")

    def string(self) -> str:
        if self.current.kind != STRING:
            raise self.error("a string literal")
        return self.advance().text

    def identifier(self) -> str:
        token = self.current
        if token.kind in (WORD, QUOTED) and token.text:
            self.advance()
            return token.text.lower()
        raise self.error("an identifier")

    def table_name(self) -> TableName:
        first = self.identifier()
        if self.punct("."):
            return TableName(first, self.identifier())
        if "." in first:  # `db.table` in one pair of backticks, as Hive and Athena accept (and print) it
            database, name = first.split(".", 1)
            return TableName(database, name)
        return TableName(None, first)

    def end(self) -> None:
        self.punct(";")
        if self.current.kind != END:
            raise self.error("<EOF>")

    def properties(self) -> dict[str, str]:
        """``('k'='v', ...)``."""
        self.expect_punct("(")
        found: dict[str, str] = {}
        while True:
            key = self.string()
            self.expect_punct("=")
            found[key] = self.string()
            if not self.punct(","):
                break
        self.expect_punct(")")
        return found

    # --- statements -------------------------------------------------------------

    def statement(self) -> Statement:
        verb = self.expect("CREATE", "DROP", "ALTER", "MSCK", "SHOW", "DESCRIBE", "DESC")
        parse: Callable[[], Statement] = {
            "CREATE": self.create,
            "DROP": self.drop,
            "ALTER": self.alter,
            "MSCK": self.msck,
            "SHOW": self.show,
            "DESCRIBE": self.describe,
            "DESC": self.describe,
        }[verb]
        statement = parse()
        self.end()
        return statement

    def create(self) -> Statement:
        if self.accept("DATABASE", "SCHEMA"):
            return self.create_database()
        external = self.accept("EXTERNAL")
        if self.current.is_word("VIEW") or self.current.is_word("OR"):
            raise _not_supported("CREATE VIEW")
        self.expect("TABLE")
        if not external:
            raise SqlError(
                "NOT_SUPPORTED: Only external table creation is supported: use CREATE EXTERNAL TABLE "
                "(Iceberg tables and CREATE TABLE AS SELECT are not supported by the local Athena engine)"
            )
        self.index = len(self.tokens) - 1  # the whole statement is read by sqlglot
        return parse_create_table(self.sql)

    def create_database(self) -> CreateDatabase:
        if_not_exists = self.accept_all("IF", "NOT", "EXISTS")
        name = self.identifier()
        comment = location = None
        properties: dict[str, str] = {}
        while True:
            if self.accept("COMMENT"):
                comment = self.string()
            elif self.accept("LOCATION"):
                location = self.location()
            elif self.accept_all("WITH", "DBPROPERTIES"):
                properties = self.properties()
            else:
                break
        return CreateDatabase(name, if_not_exists, comment, location, properties)

    def location(self) -> str:
        token = self.current
        text = self.string()
        try:
            S3Uri.parse(text)
        except S3LocationError:
            raise SqlError(
                f"FAILED: ParseException line {token.line}:{token.column} "
                f"LOCATION must be an s3:// URI, got '{text}'"
            ) from None
        return text

    def drop(self) -> Statement:
        if self.accept("DATABASE", "SCHEMA"):
            if_exists = self.accept_all("IF", "EXISTS")
            name = self.identifier()
            cascade = False
            if self.accept("CASCADE"):
                cascade = True
            else:
                self.accept("RESTRICT")
            return DropDatabase(name, if_exists, cascade)
        if self.current.is_word("VIEW"):
            raise _not_supported("DROP VIEW")
        self.expect("TABLE")
        if_exists = self.accept_all("IF", "EXISTS")
        return DropTable(self.table_name(), if_exists)

    def msck(self) -> RepairTable:
        self.expect("REPAIR")
        self.expect("TABLE")
        return RepairTable(self.table_name())

    def partition_spec(self) -> dict[str, str]:
        self.expect("PARTITION")
        self.expect_punct("(")
        spec: dict[str, str] = {}
        while True:
            key = self.identifier()
            self.expect_punct("=")
            token = self.current
            if token.kind in (STRING, NUMBER):
                spec[key] = self.advance().text
            elif token.is_word("DATE", "TIMESTAMP") and self.tokens[self.index + 1].kind == STRING:
                self.advance()
                spec[key] = self.advance().text
            else:
                raise self.error("a partition value literal")
            if not self.punct(","):
                break
        self.expect_punct(")")
        return spec

    def alter(self) -> Statement:
        self.expect("TABLE")
        table = self.table_name()
        if self.accept("ADD"):
            if not self.current.is_word("IF", "PARTITION"):
                raise _not_supported("ALTER TABLE ADD " + self.current.shown().upper())
            if_not_exists = self.accept_all("IF", "NOT", "EXISTS")
            partitions: list[tuple[dict[str, str], str | None]] = []
            while self.current.is_word("PARTITION"):
                spec = self.partition_spec()
                location = self.location() if self.accept("LOCATION") else None
                partitions.append((spec, location))
            if not partitions:
                raise self.error("PARTITION")
            return AddPartitions(table, if_not_exists, partitions)
        if self.accept("DROP"):
            if_exists = self.accept_all("IF", "EXISTS")
            specs = [self.partition_spec()]
            while self.punct(","):
                specs.append(self.partition_spec())
            return DropPartitions(table, if_exists, specs)
        if self.accept_all("SET", "TBLPROPERTIES"):
            return SetTableProperties(table, self.properties())
        raise _not_supported(f"ALTER TABLE ... {self.current.shown().upper()}")

    def show(self) -> Statement:
        if self.accept("DATABASES", "SCHEMAS"):
            pattern = None
            if self.accept("LIKE") or self.current.kind == STRING:
                pattern = self.string()
            return ShowDatabases(pattern)
        if self.accept("TABLES"):
            database = self.identifier() if self.accept("IN", "FROM") else None
            pattern = self.string() if self.current.kind == STRING else None
            return ShowTables(database, pattern)
        if self.accept("PARTITIONS"):
            return ShowPartitions(self.table_name())
        if self.accept("COLUMNS"):
            self.expect("IN", "FROM")
            table = self.table_name()
            if self.accept("IN", "FROM"):
                table = TableName(self.identifier(), table.name)
            return ShowColumns(table)
        if self.accept("TBLPROPERTIES"):
            table = self.table_name()
            name = None
            if self.punct("("):
                name = self.string()
                self.expect_punct(")")
            return ShowTableProperties(table, name)
        if self.current.is_word("CREATE", "VIEWS", "FUNCTIONS"):
            raise _not_supported(f"SHOW {self.current.text.upper()}")
        raise self.error("DATABASES, SCHEMAS, TABLES, PARTITIONS or COLUMNS")

    def describe(self) -> Describe:
        if self.current.is_word("FORMATTED", "EXTENDED", "DATABASE", "SCHEMA"):
            raise _not_supported(f"DESCRIBE {self.current.text.upper()}")
        return Describe(self.table_name())


def parse(sql: str) -> Statement:
    """One DDL statement, or SqlError with Athena-like wording."""
    return Parser(sql).statement()


# --- effects ----------------------------------------------------------------------------


@dataclass
class DdlContext:
    catalog: cat.Catalog
    account_id: str
    region: str
    database: str = cat.DEFAULT_DATABASE
    messages: list[str] = field(default_factory=list)


def _rows(name: str, values: list[str]) -> ResultTable:
    return ResultTable([Column(name, "varchar")], [(value,) for value in values])


def _like(pattern: str | None, names: list[str]) -> list[str]:
    """Hive's SHOW pattern: ``*`` matches anything, ``|`` separates alternatives."""
    if not pattern:
        return names
    alternatives = [re.escape(p.strip().lower()).replace(r"\*", ".*") for p in pattern.split("|")]
    regex = re.compile("|".join(f"(?:{a})" for a in alternatives))
    return [name for name in names if regex.fullmatch(name)]


def table_input(statement: CreateTable) -> dict[str, Any]:
    """The Glue TableInput Athena would store for a CREATE EXTERNAL TABLE."""
    serde_library, serde_parameters, input_format, output_format = _storage(statement)
    parameters = {"EXTERNAL": "TRUE", **statement.properties}
    if statement.comment:
        parameters["comment"] = statement.comment
    descriptor: dict[str, Any] = {
        "Columns": [c.as_glue() for c in statement.columns],
        "Location": statement.location,
        "InputFormat": input_format,
        "OutputFormat": output_format,
        "Compressed": False,
        "NumberOfBuckets": -1,
        "SerdeInfo": {"SerializationLibrary": serde_library, "Parameters": serde_parameters},
        "BucketColumns": [],
        "SortColumns": [],
        "Parameters": {},
        "StoredAsSubDirectories": False,
    }
    return {
        "Name": statement.table.name,
        "Owner": "hadoop",
        "Retention": 0,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "StorageDescriptor": descriptor,
        "PartitionKeys": [c.as_glue() for c in statement.partition_keys],
    }


def _storage(statement: CreateTable) -> tuple[str, dict[str, str], str, str]:
    """(SerDe class, SerDe parameters, InputFormat, OutputFormat) of a CREATE TABLE."""
    serde = statement.serde
    lowered_serde = (serde or "").lower()
    input_format = statement.input_format or ""
    parquet = statement.stored_as == "PARQUET" or "parquet" in input_format.lower()
    if parquet:
        if statement.delimited is not None or (serde and "parquet" not in lowered_serde):
            raise _semantic(f"STORED AS PARQUET cannot be combined with ROW FORMAT {serde or 'DELIMITED'}")
        return (
            cat.PARQUET_SERDE,
            {"serialization.format": "1", **statement.serde_properties},
            input_format or cat.PARQUET_INPUT_FORMAT,
            statement.output_format or cat.PARQUET_OUTPUT_FORMAT,
        )
    if input_format and input_format != cat.TEXT_INPUT_FORMAT:
        raise _not_supported(f"INPUTFORMAT '{input_format}'")
    text_formats = (cat.TEXT_INPUT_FORMAT, statement.output_format or cat.TEXT_OUTPUT_FORMAT)
    if statement.stored_as == "JSON":  # Athena's STORED AS JSON is Hive's JsonSerDe
        if statement.delimited is not None or (serde and serde not in cat.JSON_SERDES):
            raise _semantic(f"STORED AS JSON cannot be combined with ROW FORMAT {serde or 'DELIMITED'}")
        serde = serde or cat.HIVE_JSON_SERDE
    if serde is None or serde == cat.LAZY_SIMPLE_SERDE:
        parameters = dict(statement.delimited or {})
        parameters.update(statement.serde_properties)
        parameters.setdefault("serialization.format", parameters.get("field.delim", "1"))
        return (cat.LAZY_SIMPLE_SERDE, parameters, *text_formats)
    if serde == cat.OPEN_CSV_SERDE:
        return (cat.OPEN_CSV_SERDE, dict(statement.serde_properties), *text_formats)
    if serde in cat.JSON_SERDES:
        return (serde, dict(statement.serde_properties), *text_formats)
    raise _not_supported(f"SerDe '{serde}' (supported: Parquet, LazySimpleSerDe, OpenCSVSerde, JSON SerDes)")


def partition_path(keys: list[str], values: list[str]) -> str:
    """Hive's folder for a partition: ``k1=v1/k2=v2/`` with special characters escaped."""
    return "".join(f"{k}={urllib.parse.quote(v, safe=' ')}/" for k, v in zip(keys, values))


def _location_folder(location: str) -> str:
    uri = S3Uri.parse(location)
    return f"s3://{uri.bucket}/{folder_prefix(uri)}"


def _ordered_values(table: cat.TableDef, spec: dict[str, str]) -> list[str]:
    keys = [k.name.lower() for k in table.partition_keys]
    if not keys:
        raise _semantic(f"[Error 10241]: Table is not partitioned but partition spec exists: {spec}")
    extra = [k for k in spec if k not in keys]
    if extra:
        raise _semantic(f"[Error 10098]: Non-Partition column appears in the partition specification: {extra[0]}")
    missing = [k for k in keys if k not in spec]
    if missing:
        raise _semantic(f"partition spec {spec} is missing partition column(s): {', '.join(missing)}")
    return [spec[k] for k in keys]


def _repair(context: DdlContext, table: cat.TableDef) -> list[str]:
    """MSCK REPAIR TABLE: register every ``k=v/`` folder under the location not yet known."""
    keys = [k.name.lower() for k in table.partition_keys]
    if not keys:
        return []
    try:
        objects = list_objects(context.account_id, context.region, table.location)
    except S3LocationError as exc:
        raise SqlError(f"HIVE_FILESYSTEM_ERROR: {exc}") from None
    found: dict[tuple[str, ...], str] = {}
    for obj in objects:
        folders = obj.relative_key.split("/")[:-1]  # a "k=v/" marker has an empty last part
        if len(folders) < len(keys) or is_hidden("/".join(folders[: len(keys)]) + "/x"):
            continue
        values = []
        for key, folder in zip(keys, folders):
            name, equals, value = folder.partition("=")
            if not equals or name.lower() != key:
                break
            values.append(urllib.parse.unquote(value))
        else:
            found.setdefault(tuple(values), "/".join(folders[: len(keys)]) + "/")
    known = {p.values for p in table.partitions}
    missing = [values for values in sorted(found) if values not in known]
    if not missing:
        return []
    base = _location_folder(table.location)
    described = [f"{table.name}:{found[v].rstrip('/')}" for v in missing]
    messages = ["Partitions not in metastore:\t" + "\t".join(described)]
    for values, text in zip(missing, described):
        context.catalog.add_partition(table.database, table.name, list(values), base + found[values], if_not_exists=True)
        messages.append(f"Repair: Added partition to metastore {text}")
    return messages


def execute(statement: Statement, context: DdlContext) -> ResultTable:
    """Apply a parsed DDL statement to the catalog; rows for SHOW/DESCRIBE, none otherwise."""
    try:
        return _execute(statement, context)
    except cat.CatalogError as exc:
        raise catalog_error(exc) from None


def _execute(statement: Statement, context: DdlContext) -> ResultTable:
    catalog = context.catalog
    empty = ResultTable([], [])
    if isinstance(statement, CreateDatabase):
        catalog.create_database(
            statement.name, if_not_exists=statement.if_not_exists, description=statement.comment,
            location=statement.location, properties=statement.properties,
        )
        return empty
    if isinstance(statement, DropDatabase):
        catalog.drop_database(statement.name, if_exists=statement.if_exists, cascade=statement.cascade)
        return empty
    if isinstance(statement, CreateTable):
        database, _ = statement.table.resolve(context.database)
        catalog.create_table(database, table_input(statement), if_not_exists=statement.if_not_exists)
        return empty
    if isinstance(statement, DropTable):
        database, name = statement.table.resolve(context.database)
        try:
            is_view = catalog.table(database, name).table_type == "VIRTUAL_VIEW"
        except cat.NotFound:
            is_view = False
        if is_view:  # Hive's rule, which Athena's DROP TABLE follows
            raise _semantic("[Error 10131]: To drop a view you need to use the DROP VIEW command.")
        catalog.drop_table(database, name, if_exists=statement.if_exists)
        return empty
    if isinstance(statement, RepairTable):
        table = catalog.table(*statement.table.resolve(context.database))
        return _rows("result", _repair(context, table))
    if isinstance(statement, AddPartitions):
        table = catalog.table(*statement.table.resolve(context.database))
        keys = [k.name.lower() for k in table.partition_keys]
        planned = []
        for spec, location in statement.partitions:
            values = _ordered_values(table, spec)
            planned.append((values, location or _location_folder(table.location) + partition_path(keys, values)))
        for values, location in planned:
            catalog.add_partition(table.database, table.name, values, location, if_not_exists=statement.if_not_exists)
        return empty
    if isinstance(statement, SetTableProperties):
        database, name = statement.table.resolve(context.database)
        catalog.set_table_parameters(database, name, statement.properties)
        return empty
    if isinstance(statement, ShowTableProperties):
        table = catalog.table(*statement.table.resolve(context.database))
        if statement.name is not None:
            value = table.parameters.get(statement.name)
            text = value if value is not None else f"Table {table.qualified_name} does not have property: {statement.name}"
            return _rows("prpt_value", [text])
        columns = [Column("prpt_name", "varchar"), Column("prpt_value", "varchar")]
        return ResultTable(columns, sorted(table.parameters.items()))
    if isinstance(statement, DropPartitions):
        table = catalog.table(*statement.table.resolve(context.database))
        for spec in statement.partitions:
            catalog.drop_partition(table.database, table.name, _ordered_values(table, spec), if_exists=statement.if_exists)
        return empty
    if isinstance(statement, ShowDatabases):
        return _rows("database_name", _like(statement.pattern, catalog.databases()))
    if isinstance(statement, ShowTables):
        return _rows("tab_name", _like(statement.pattern, catalog.tables(statement.database or context.database)))
    if isinstance(statement, ShowPartitions):
        table = catalog.table(*statement.table.resolve(context.database))
        keys = [k.name.lower() for k in table.partition_keys]
        if not keys:
            raise _semantic(f"[Error 10241]: Table {table.name} is not a partitioned table")
        return _rows("partition", sorted(partition_path(keys, list(p.values)).rstrip("/") for p in table.partitions))
    if isinstance(statement, ShowColumns):
        table = catalog.table(*statement.table.resolve(context.database))
        return _rows("field", [c.name for c in table.all_columns])
    if isinstance(statement, Describe):
        table = catalog.table(*statement.table.resolve(context.database))
        columns = [Column("col_name", "varchar"), Column("data_type", "varchar"), Column("comment", "varchar")]
        rows: list[tuple[Any, ...]] = [(c.name, c.type, c.comment or "") for c in table.all_columns]
        if table.partition_keys:
            rows += [("", "", ""), ("# Partition Information", "", ""), ("# col_name", "data_type", "comment")]
            rows += [("", "", "")] + [(c.name, c.type, c.comment or "") for c in table.partition_keys]
        return ResultTable(columns, rows)
    raise _not_supported(type(statement).__name__)
