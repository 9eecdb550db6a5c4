"""Athena's hidden columns of every table: ``"$path"``, ``"$file_size"``, ``"$file_modified_time"``.

They name the S3 object a row was read from, its size in bytes and its
last-modified time. Like Athena, ``SELECT *`` does not show them: when a
query names one, the stars of its SELECTs over catalog tables are spelled
out as the tables' columns, and each file is read on its own with the
three values as constants.
"""

from __future__ import annotations

from sqlglot import exp

from embedded_aws.athena.s3_tables import S3Object
from embedded_aws.glue import catalog as cat

PATH, FILE_SIZE, FILE_MODIFIED_TIME = "$path", "$file_size", "$file_modified_time"
NAMES = (PATH, FILE_SIZE, FILE_MODIFIED_TIME)


def used(tree: exp.Expression) -> bool:
    return any(column.name.lower() in NAMES for column in tree.find_all(exp.Column))


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def with_file_columns(select: str, obj: S3Object) -> str:
    """``select`` (one file's rows) with the file's pseudo-columns added."""
    modified = obj.last_modified.isoformat() if obj.last_modified is not None else None
    modified_sql = f"CAST({_string(modified)} AS TIMESTAMPTZ)" if modified else "CAST(NULL AS TIMESTAMPTZ)"
    return (
        f'SELECT *, {_string(obj.uri)} AS "{PATH}", CAST({obj.size} AS BIGINT) AS "{FILE_SIZE}", '
        f'{modified_sql} AS "{FILE_MODIFIED_TIME}" FROM ({select})'
    )


def null_projections() -> list[str]:
    return [
        f'CAST(NULL AS VARCHAR) AS "{PATH}"',
        f'CAST(NULL AS BIGINT) AS "{FILE_SIZE}"',
        f'CAST(NULL AS TIMESTAMPTZ) AS "{FILE_MODIFIED_TIME}"',
    ]


def expand_stars(tree: exp.Expression, tables: dict[str, cat.TableDef]) -> None:
    """``*`` / ``t.*`` over catalog tables -> their columns, so the hidden columns stay hidden."""
    for select in list(tree.find_all(exp.Select)):
        sources = []
        from_ = select.args.get("from_") or select.args.get("from")
        if from_ is not None:
            sources.append(from_.this)
        sources += [join.this for join in select.args.get("joins") or []]
        aliases = [s.alias_or_name.lower() for s in sources if isinstance(s, exp.Table)]
        if len(aliases) != len(sources) or not all(a in tables for a in aliases):
            continue
        projections = []
        for projection in select.expressions:
            if isinstance(projection, exp.Star):
                owners = aliases
            elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                owners = [projection.table.lower()]
            else:
                projections.append(projection)
                continue
            for alias in owners:
                projections += [exp.column(c.name, table=alias, quoted=True) for c in tables[alias].all_columns]
        select.set("expressions", projections)
