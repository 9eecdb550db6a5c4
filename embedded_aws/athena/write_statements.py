"""Routes the Athena statements that write data or views to their modules.

``execute`` answers None for anything else (a SELECT, Hive DDL), which the
session then runs as before. Recognised here:

* ``CREATE TABLE ... [WITH (...)] AS SELECT`` (CTAS) and ``INSERT INTO``
  (``writes``); ``UNLOAD (SELECT ...) TO 's3://...' WITH (...)``
  (``writes``);
* ``CREATE [OR REPLACE] VIEW``, ``DROP VIEW [IF EXISTS]``, ``SHOW VIEWS``
  (``views``);
* ``SHOW CREATE TABLE`` / ``SHOW CREATE VIEW`` (``show_create``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from embedded_aws.athena.results import ResultTable, SqlError

if TYPE_CHECKING:
    from embedded_aws.athena.session import SqlSession

_NOISE = re.compile(r"(\s+|--[^\n]*(\n|$)|/\*.*?\*/)*", re.DOTALL)
_WORDS = re.compile(r"[A-Za-z_]+")


def leading_words(query: str, count: int = 4) -> list[str]:
    """The statement's first words in upper case, after comments."""
    rest = query[_NOISE.match(query).end() :]  # type: ignore[union-attr]
    words: list[str] = []
    for match in _WORDS.finditer(rest):
        words.append(match.group(0).upper())
        if len(words) == count:
            break
    return words


def parse_one(query: str) -> exp.Expression:
    """sqlglot's Athena parse of one statement, errors worded as Athena's."""
    try:
        statements = [s for s in sqlglot.parse(query, read="athena") if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f"line {first['line']}:{first.get('col', 1)}: " if first.get("line") else ""
        raise SqlError(f"SYNTAX_ERROR: {where}{first.get('description') or str(exc).splitlines()[0]}") from None
    except TokenError as exc:
        raise SqlError(f"SYNTAX_ERROR: {exc}") from None
    if len(statements) != 1:
        raise SqlError("SYNTAX_ERROR: Only one sql statement is allowed. Got: " + str(len(statements)))
    return statements[0]


def execute(session: "SqlSession", query: str, parameters: Sequence[Any]) -> ResultTable | None:
    words = leading_words(query)
    from embedded_aws.athena import show_create, views, writes

    if words[:1] == ["UNLOAD"]:
        return writes.unload(session, query, parameters)
    if words[:1] == ["INSERT"]:
        return writes.insert_into(session, parse_one(query), parameters, query)
    if words[:2] == ["SHOW", "CREATE"]:
        return show_create.show_create(session, query)
    if words[:2] == ["SHOW", "VIEWS"]:
        return views.show_views(session, query)
    if words[:2] == ["DROP", "VIEW"]:
        tree = parse_one(query)
        assert isinstance(tree, exp.Drop)
        return views.drop_view(session, tree)
    if words[:2] == ["CREATE", "VIEW"] or words[:4] == ["CREATE", "OR", "REPLACE", "VIEW"]:
        return views.create_view(session, query, parse_one(query))
    if words[:2] == ["CREATE", "TABLE"]:
        tree = parse_one(query)  # a CTAS whose SELECT does not parse fails here, as a syntax error
        if isinstance(tree, exp.Create) and isinstance(tree.expression, exp.Query):
            return writes.create_table_as(session, tree, parameters, query)
    return None
