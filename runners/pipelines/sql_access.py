"""What one Athena statement touches: the tables it reads, the table it
writes, and the S3 locations it writes outside any table.

Athena acts with the caller's permissions (the Glue Data Catalog and S3), so
this is what the Athena runner's role must allow. sqlglot (a dependency of
the ``local`` extra) reads the statement; Hive DDL it models only as a bare
command (MSCK, UNLOAD) is read here with a small pattern. A statement
this module cannot read raises ``SqlAccessError``: an unknown access is a
problem for the permission check, never a silent pass.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

Table = tuple[str, str]  # (database, table), lower case as the catalog stores them


class SqlAccessError(ValueError):
    """The statement cannot be read, so what it touches is unknown."""


@dataclass(frozen=True)
class SqlAccess:
    kind: str  # select, insert, ctas, unload, create_table, create_database, drop_table, repair, ...
    reads: frozenset[Table] = frozenset()
    writes: frozenset[Table] = frozenset()  # data written into these tables' locations
    creates: frozenset[Table] = frozenset()  # catalog entries created (CREATE TABLE, CTAS)
    drops: frozenset[Table] = frozenset()
    repairs: frozenset[Table] = frozenset()  # partitions added from the table's location
    databases: frozenset[str] = frozenset()  # databases created
    write_locations: tuple[str, ...] = ()  # s3:// URIs written outside a table (UNLOAD TO, CTAS external_location)
    table_locations: dict[Table, str] = field(default_factory=dict)  # LOCATION of a CREATE TABLE

    @property
    def tables(self) -> frozenset[Table]:
        return self.reads | self.writes | self.creates | self.drops | self.repairs


_MSCK = re.compile(r"^\s*MSCK\s+REPAIR\s+TABLE\s+(?P<name>\S+)\s*$", re.I | re.S)
_UNLOAD = re.compile(r"^\s*UNLOAD\s*\((?P<query>.*)\)\s*TO\s*'(?P<location>[^']*)'(?P<rest>.*)$", re.I | re.S)


def sql_access(sql: str, database: str) -> SqlAccess:
    """Tables and locations of one statement; unqualified names are in ``database``."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    text = _strip_comments(sql).strip().rstrip(";").strip()
    repair = _MSCK.match(text)
    if repair:
        return SqlAccess("repair", repairs=frozenset({_name_of(repair.group("name"), database)}))
    unload = _UNLOAD.match(text)
    if unload:
        inner = sql_access(unload.group("query"), database)
        return SqlAccess("unload", reads=inner.reads, write_locations=(unload.group("location"),))
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)  # "falling back to parsing as a Command" is our case to handle
    try:
        tree = sqlglot.parse_one(text, read="athena")
    except (ParseError, TokenError) as exc:
        raise SqlAccessError(f"cannot read the statement: {str(exc).splitlines()[0]}") from None
    finally:
        logger.setLevel(level)

    if isinstance(tree, exp.Command):
        raise SqlAccessError(f"cannot tell what {tree.name.upper()} statements touch")
    if isinstance(tree, exp.Create):
        kind = str(tree.args.get("kind") or "").upper()
        if kind in ("DATABASE", "SCHEMA"):
            return SqlAccess("create_database", databases=frozenset({_identifier(tree.this).lower()}))
        if kind == "TABLE":
            target = _table(tree.this, database)
            query = tree.expression
            if query is not None:  # CTAS: creates the table and writes its data
                location = _ctas_location(tree)
                return SqlAccess("ctas", reads=_reads(query, database), creates=frozenset({target}), writes=frozenset({target}),
                                 write_locations=(location,) if location else ())
            location = _location(tree)
            return SqlAccess("create_table", creates=frozenset({target}), table_locations={target: location} if location else {})
        if kind == "VIEW":
            return SqlAccess("create_view", reads=_reads(tree.expression, database), creates=frozenset({_table(tree.this, database)}))
        raise SqlAccessError(f"cannot tell what CREATE {kind} touches")
    if isinstance(tree, exp.Drop):
        kind = str(tree.args.get("kind") or "").upper()
        if kind in ("TABLE", "VIEW"):
            tables = tree.args.get("tables") or [tree.this]
            return SqlAccess("drop_table", drops=frozenset(_table(t, database) for t in tables))
        raise SqlAccessError(f"cannot tell what DROP {kind} touches")
    if isinstance(tree, exp.Insert):
        target = _table(tree.this if isinstance(tree.this, exp.Table) else tree.this.this, database)
        return SqlAccess("insert", reads=_reads(tree.expression, database), writes=frozenset({target}))
    if isinstance(tree, (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)):
        return SqlAccess("select", reads=_reads(tree, database))
    raise SqlAccessError(f"cannot tell what a {type(tree).__name__.upper()} statement touches")


def _reads(tree: object, database: str) -> frozenset[Table]:
    from sqlglot import exp

    assert isinstance(tree, exp.Expression)
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    found = set()
    for table in tree.find_all(exp.Table):
        if not table.name:
            continue  # e.g. UNNEST
        if not table.db and table.name.lower() in ctes:
            continue
        found.add(_table(table, database))
    return frozenset(found)


def _table(node: object, database: str) -> Table:
    from sqlglot import exp

    if isinstance(node, exp.Schema):
        node = node.this
    assert isinstance(node, exp.Table), node
    if node.catalog and node.catalog.lower() != "awsdatacatalog":
        raise SqlAccessError(f"table {node.sql()} is in catalog {node.catalog!r}, not the account's Glue Data Catalog")
    return ((node.db or database).lower(), node.name.lower())


def _identifier(node: object) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Table):
        return node.name
    if isinstance(node, exp.Identifier):
        return node.this
    return str(node)


def _name_of(text: str, database: str) -> Table:
    parts = [p.strip("`\"") for p in re.findall(r"`[^`]*`|\"[^\"]*\"|[^.]+", text)]
    if len(parts) == 1 and "." in parts[0]:  # `db.table` in one pair of backquotes
        parts = parts[0].split(".", 1)
    if len(parts) == 1:
        return (database.lower(), parts[0].lower())
    return (parts[-2].lower(), parts[-1].lower())


def _location(create: object) -> str | None:
    from sqlglot import exp

    assert isinstance(create, exp.Expression)
    prop = create.find(exp.LocationProperty)
    return prop.this.name if prop is not None else None


def _ctas_location(create: object) -> str | None:
    """``WITH (external_location = 's3://...')`` of a CTAS (None: Athena picks one under the results location)."""
    from sqlglot import exp

    assert isinstance(create, exp.Expression)
    for prop in create.find_all(exp.Property):
        if prop.name.lower() == "external_location":
            return prop.args["value"].name
    location = create.find(exp.LocationProperty)
    return location.this.name if location is not None else None


def _strip_comments(sql: str) -> str:
    """Line comments (``--``) outside string literals, so patterns see the statement."""
    out: list[str] = []
    for line in sql.splitlines():
        quoted = False
        for index, char in enumerate(line):
            if char == "'":
                quoted = not quoted
            elif not quoted and line.startswith("--", index):
                line = line[:index]
                break
        out.append(line)
    return "\n".join(out)
