"""Glue field paths (``a.b``, ``` `a.b`.c ```) on Spark columns, and Glue's choice types.

A DynamicFrame here is a Spark DataFrame plus the top-level columns whose type
Glue would call a *choice* (``choice<long,string>``: values of several types,
as Glue's CSV reader finds when a column mixes numbers and text). Such a
column is kept as its raw text; ``choice_parts`` splits it by type.
"""

from __future__ import annotations

from typing import Any, Iterable

INT_LIKE = r"^\s*[+-]?\d{1,18}\s*$"
DOUBLE_LIKE = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"
_SPARK_OF_CHOICE = {"long": "bigint", "int": "int", "double": "double", "string": "string", "boolean": "boolean"}


def split_path(path: str) -> list[str]:
    """``a.b`` -> [a, b]; backticks quote a name holding dots: ```` `a.b`.c ```` -> [a.b, c]."""
    parts: list[str] = []
    current, quoted = "", False
    for char in path:
        if char == "`":
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def quote(parts: Iterable[str]) -> str:
    """A Spark column reference for a path: ``\\`a\\`.\\`b\\```."""
    return ".".join("`" + p.replace("`", "``") + "`" for p in parts)


def col(path: str | list[str]) -> Any:
    from pyspark.sql import functions as F

    return F.col(quote(split_path(path) if isinstance(path, str) else path))


def has_path(schema: Any, parts: list[str]) -> bool:
    from pyspark.sql import types as T

    current = schema
    for part in parts:
        if not isinstance(current, T.StructType):
            return False
        match = next((f for f in current.fields if f.name.lower() == part.lower()), None)
        if match is None:
            return False
        current = match.dataType
    return True


def field_type(schema: Any, parts: list[str]) -> Any:
    from pyspark.sql import types as T

    current = schema
    for part in parts:
        assert isinstance(current, T.StructType)
        current = next(f for f in current.fields if f.name.lower() == part.lower()).dataType
    return current


def build_struct(tree: dict[str, Any]) -> list[Any]:
    """Columns for a tree {name: Column | subtree}: subtrees become structs, in insertion order."""
    from pyspark.sql import functions as F

    columns = []
    for name, node in tree.items():
        value = F.struct(*build_struct(node)) if isinstance(node, dict) else node
        columns.append(value.alias(name))
    return columns


def insert(tree: dict[str, Any], parts: list[str], value: Any) -> None:
    node = tree
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


# --- choice types -----------------------------------------------------------------


def infer_choices(frame: Any, columns: Iterable[str] | None = None) -> tuple[Any, dict[str, tuple[str, ...]]]:
    """Type text columns as Glue's CSV reader does: long, double, string, or a choice of a number and string."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    names = [f.name for f in frame.schema.fields if isinstance(f.dataType, T.StringType)]
    if columns is not None:
        wanted = set(columns)
        names = [n for n in names if n in wanted]
    if not names:
        return frame, {}
    aggregates = []
    for i, name in enumerate(names):
        c = F.col(quote([name]))
        aggregates += [
            F.count(c).alias(f"n{i}"),
            F.count(F.when(c.rlike(INT_LIKE), 1)).alias(f"i{i}"),
            F.count(F.when(c.rlike(DOUBLE_LIKE), 1)).alias(f"d{i}"),
        ]
    counts = frame.agg(*aggregates).first()
    choices: dict[str, tuple[str, ...]] = {}
    casts: dict[str, str] = {}
    for i, name in enumerate(names):
        total, ints, doubles = counts[f"n{i}"], counts[f"i{i}"], counts[f"d{i}"]
        if total == 0 or doubles == 0:
            continue
        number = "long" if ints == doubles else "double"
        if doubles == total:
            casts[name] = _SPARK_OF_CHOICE[number]
        else:
            choices[name] = (number, "string")
    if casts:
        frame = frame.select(
            *[F.trim(F.col(quote([f])))
              .cast(casts[f]).alias(f) if f in casts else F.col(quote([f])) for f in frame.columns]
        )
    return frame, choices


def choice_parts(name: str, types: tuple[str, ...]) -> dict[str, Any]:
    """The value of each type in a raw choice column (NULL where the value is of another type)."""
    from pyspark.sql import functions as F

    raw = F.col(quote([name]))
    parts: dict[str, Any] = {}
    numbers = [t for t in types if t != "string"]
    numeric = None
    for kind in numbers:
        pattern = INT_LIKE if kind in ("long", "int") else DOUBLE_LIKE
        matches = raw.rlike(pattern)
        parts[kind] = F.when(matches, F.trim(raw).cast(_SPARK_OF_CHOICE[kind]))
        numeric = matches if numeric is None else (numeric | matches)
    if "string" in types:
        parts["string"] = F.when(~numeric, raw) if numeric is not None else raw
    return parts


def choice_struct(name: str, types: tuple[str, ...]) -> Any:
    from pyspark.sql import functions as F

    return F.struct(*[value.alias(kind) for kind, value in choice_parts(name, types).items()])


def python_value(raw: Any, types: tuple[str, ...]) -> Any:
    """A choice column's raw text as the typed value a Glue record holds."""
    if raw is None:
        return None
    text = str(raw).strip()
    for kind in types:
        try:
            if kind in ("long", "int"):
                return int(text)
            if kind == "double":
                return float(text)
        except ValueError:
            continue
    return raw
