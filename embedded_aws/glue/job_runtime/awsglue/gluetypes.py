"""Glue's schema types (what ``DynamicFrame.schema()`` returns), built from Spark's.

Glue names types ``long``, ``int``, ``string``, ``double`` ... and has a
``choice`` type for a field seen with several types; see ``dynamicframe``.
"""

from __future__ import annotations

from typing import Any, Iterable

_SPARK_TO_GLUE = {
    "string": "string", "bigint": "long", "int": "int", "smallint": "short", "tinyint": "byte",
    "double": "double", "float": "float", "boolean": "boolean", "date": "date",
    "timestamp": "timestamp", "timestamp_ntz": "timestamp", "binary": "binary", "void": "null",
}


class DataType:
    def typeName(self) -> str:
        return type(self).__name__[: -len("Type")].lower()

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class AtomicType(DataType):
    pass


class StringType(AtomicType): pass
class LongType(AtomicType): pass
class IntegerType(AtomicType):
    def typeName(self) -> str:
        return "int"
class ShortType(AtomicType): pass
class ByteType(AtomicType): pass
class DoubleType(AtomicType): pass
class FloatType(AtomicType): pass
class BooleanType(AtomicType): pass
class DateType(AtomicType): pass
class TimestampType(AtomicType): pass
class BinaryType(AtomicType): pass
class NullType(AtomicType): pass


class DecimalType(AtomicType):
    def __init__(self, precision: int = 10, scale: int = 2):
        self.precision, self.scale = precision, scale

    def __repr__(self) -> str:
        return f"DecimalType({self.precision}, {self.scale})"


class ArrayType(DataType):
    def __init__(self, elementType: DataType):
        self.elementType = elementType

    def __repr__(self) -> str:
        return f"ArrayType({self.elementType!r})"


class MapType(DataType):
    def __init__(self, valueType: DataType):
        self.valueType = valueType

    def __repr__(self) -> str:
        return f"MapType({self.valueType!r})"


class Field:
    def __init__(self, name: str, dataType: DataType, properties: dict[str, Any] | None = None):
        self.name, self.dataType, self.properties = name, dataType, properties or {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Field) and (self.name, self.dataType) == (other.name, other.dataType)

    def __repr__(self) -> str:
        return f"Field({self.name}, {self.dataType!r})"


class StructType(DataType):
    def __init__(self, fields: Iterable[Field] = ()):
        self.fields = list(fields)
        self.field_map = {f.name: f for f in self.fields}

    def getField(self, name: str) -> Field | None:
        return self.field_map.get(name)

    def hasField(self, name: str) -> bool:
        return name in self.field_map

    def __iter__(self):
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __repr__(self) -> str:
        return f"StructType([{', '.join(map(repr, self.fields))}])"


class ChoiceType(DataType):
    def __init__(self, choices: Iterable[DataType]):
        self.choices = {c.typeName(): c for c in choices}

    def __repr__(self) -> str:
        return f"ChoiceType([{', '.join(self.choices)}])"


def from_spark(spark_type: Any) -> DataType:
    """The Glue type of a Spark SQL type."""
    from pyspark.sql import types as T

    if isinstance(spark_type, T.StructType):
        return StructType(Field(f.name, from_spark(f.dataType)) for f in spark_type.fields)
    if isinstance(spark_type, T.ArrayType):
        return ArrayType(from_spark(spark_type.elementType))
    if isinstance(spark_type, T.MapType):
        return MapType(from_spark(spark_type.valueType))
    if isinstance(spark_type, T.DecimalType):
        return DecimalType(spark_type.precision, spark_type.scale)
    name = _SPARK_TO_GLUE.get(spark_type.simpleString(), "string")
    return _BY_NAME[name]()


_BY_NAME: dict[str, type[DataType]] = {
    "string": StringType, "long": LongType, "int": IntegerType, "short": ShortType, "byte": ByteType,
    "double": DoubleType, "float": FloatType, "boolean": BooleanType, "date": DateType,
    "timestamp": TimestampType, "binary": BinaryType, "null": NullType,
}


def by_name(name: str) -> DataType:
    return _BY_NAME[name]()


def render(schema: StructType) -> str:
    """The text ``DynamicFrame.printSchema()`` prints."""
    lines = ["root"]

    def walk(data_type: DataType, depth: int, name: str) -> None:
        prefix = "|    " * depth + "|-- "
        lines.append(f"{prefix}{name}: {data_type.typeName()}")
        if isinstance(data_type, StructType):
            for child in data_type.fields:
                walk(child.dataType, depth + 1, child.name)
        elif isinstance(data_type, ArrayType):
            walk(data_type.elementType, depth + 1, "element")
        elif isinstance(data_type, MapType):
            walk(data_type.valueType, depth + 1, "value")
        elif isinstance(data_type, ChoiceType):
            for choice in data_type.choices.values():
                lines.append("|    " * (depth + 1) + "|-- " + choice.typeName())

    for top in schema.fields:
        walk(top.dataType, 0, top.name)
    return "\n".join(lines) + "\n"
