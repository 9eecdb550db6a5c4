"""``DynamicFrame``: Glue's self-describing frame, here a Spark DataFrame plus Glue's choice types.

What is approximated (see ``_fields``): choice types exist for top-level
columns whose text mixes numbers and other text (Glue's CSV reader, or a
catalog column whose declared number type some values do not fit); nested
fields and JSON are typed by Spark's inference (a JSON field mixing an int and
a string is a string, not a choice). Records never fail to parse, so the error
counts are zero. ``map`` results are typed by inference over all records.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Iterator

from awsglue import _fields, gluetypes
from awsglue._fields import col, quote, split_path


class DynamicRecord(dict):
    """A record as ``filter`` and ``map`` functions see it: a dict of its fields (nested as dicts)."""


def _to_record(row: Any, choices: dict[str, tuple[str, ...]]) -> DynamicRecord:
    record = DynamicRecord(row.asDict(recursive=True))
    for name, types in choices.items():
        if name in record:
            record[name] = _fields.python_value(record[name], types)
    return record


def _json_default(value: Any) -> Any:
    import datetime
    import decimal

    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", errors="replace")
    return str(value)


class DynamicFrame:
    """A distributed collection of self-describing records (``DynamicRecord``)."""

    def __init__(self, jdf: Any, glue_ctx: Any, name: str = "", choices: dict[str, tuple[str, ...]] | None = None):
        self._df = jdf
        self.glue_ctx = glue_ctx
        self._ctx = glue_ctx
        self.name = name
        self._choices = {k: v for k, v in (choices or {}).items() if k in jdf.columns}

    # --- conversion ---------------------------------------------------------------

    @classmethod
    def fromDF(cls, dataframe: Any, glue_ctx: Any, name: str) -> "DynamicFrame":
        return cls(dataframe, glue_ctx, name)

    def toDF(self, options: Any = None) -> Any:
        """A Spark DataFrame; an unresolved choice becomes a struct with one field per type."""
        if not self._choices:
            return self._df
        return self._df.select(
            *[
                _fields.choice_struct(name, self._choices[name]).alias(name) if name in self._choices else col([name])
                for name in self._df.columns
            ]
        )

    def _with(self, df: Any, choices: dict[str, tuple[str, ...]] | None = None, name: str | None = None) -> "DynamicFrame":
        return DynamicFrame(df, self.glue_ctx, self.name if name is None else name, self._choices if choices is None else choices)

    # --- inspection ---------------------------------------------------------------

    def count(self) -> int:
        return self._df.count()

    def schema(self) -> gluetypes.StructType:
        fields = []
        for field in self._df.schema.fields:
            if field.name in self._choices:
                data_type: gluetypes.DataType = gluetypes.ChoiceType(gluetypes.by_name(t) for t in self._choices[field.name])
            else:
                data_type = gluetypes.from_spark(field.dataType)
            fields.append(gluetypes.Field(field.name, data_type))
        return gluetypes.StructType(fields)

    def printSchema(self) -> None:
        print(gluetypes.render(self.schema()), end="")

    def show(self, num_rows: int = 20) -> None:
        for row in self._df.limit(num_rows).collect():
            print(json.dumps(_to_record(row, self._choices), default=_json_default))

    def toJSON(self) -> Any:
        return self.toDF().toJSON()

    def errorsCount(self) -> int:
        return 0

    def stageErrorsCount(self) -> int:
        return 0

    def errorsAsDynamicFrame(self) -> "DynamicFrame":
        return DynamicFrame(self._df.sparkSession.createDataFrame([], "error string"), self.glue_ctx, self.name + "_errors")

    def assertErrorThreshold(self) -> None:
        return None

    def getNumPartitions(self) -> int:
        return self._df.rdd.getNumPartitions()

    # --- fields -------------------------------------------------------------------

    def select_fields(self, paths: Iterable[str], transformation_ctx: str = "", info: str = "",
                      stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        tree: dict[str, Any] = {}
        for path in ([paths] if isinstance(paths, str) else paths):
            parts = split_path(path)
            if _fields.has_path(self._df.schema, parts):
                _fields.insert(tree, parts, col(parts))
        return self._with(self._df.select(*_fields.build_struct(tree)))

    def drop_fields(self, paths: Iterable[str], transformation_ctx: str = "", info: str = "",
                    stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        df = self._df
        for path in ([paths] if isinstance(paths, str) else paths):
            parts = split_path(path)
            if not _fields.has_path(df.schema, parts):
                continue
            if len(parts) == 1:
                df = df.drop(df[quote(parts)])
            else:
                df = df.withColumn(parts[0], col(parts[:1]).dropFields(quote(parts[1:])))
        return self._with(df)

    def rename_field(self, oldName: str, newName: str, transformation_ctx: str = "", info: str = "",
                     stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        old, new = split_path(oldName), split_path(newName)
        if not _fields.has_path(self._df.schema, old):
            return self
        choices = dict(self._choices)
        if len(old) == 1 and len(new) == 1:
            if old[0] in choices:
                choices[new[0]] = choices.pop(old[0])
            return self._with(self._df.withColumnRenamed(old[0], new[0]), choices)
        value = col(old)
        df = self._df
        if len(new) == 1:
            df = df.withColumn(new[0], value)
        else:
            base = col(new[:1]) if _fields.has_path(df.schema, new[:1]) else None
            if base is None:
                from pyspark.sql import functions as F

                base = F.struct()
            df = df.withColumn(new[0], base.withField(quote(new[1:]), value))
        df = df.drop(df[quote(old)]) if len(old) == 1 else df.withColumn(old[0], col(old[:1]).dropFields(quote(old[1:])))
        return self._with(df, choices)

    def apply_mapping(self, mappings: Iterable[Any], case_sensitive: bool = False, transformation_ctx: str = "",
                      info: str = "", stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        from awsglue import _formats

        tree: dict[str, Any] = {}
        for mapping in mappings:
            if len(mapping) != 4:
                raise ValueError(f"a mapping is (source path, source type, target path, target type), not {mapping!r}")
            source, source_type, target, target_type = mapping
            parts = split_path(source)
            if not _fields.has_path(self._df.schema, parts):
                continue  # a source field no record has: the target is absent too
            if len(parts) == 1 and parts[0] in self._choices:
                values = _fields.choice_parts(parts[0], self._choices[parts[0]])
                kind = {"bigint": "long", "integer": "int"}.get(str(source_type).lower(), str(source_type).lower())
                value = values.get(kind, col(parts))
            else:
                value = col(parts)
            spark_type = _formats.spark_type(target_type)
            if spark_type is not None:
                value = value.cast(spark_type)
            _fields.insert(tree, split_path(target), value)
        return self._with(self._df.select(*_fields.build_struct(tree)), {})

    def resolveChoice(self, specs: Iterable[tuple[str, str]] | None = None, choice: str = "",
                      database: str | None = None, table_name: str | None = None, transformation_ctx: str = "",
                      info: str = "", stageThreshold: int = 0, totalThreshold: int = 0,
                      catalog_id: str | None = None) -> "DynamicFrame":
        from awsglue import _choice_resolution

        return _choice_resolution.resolve(self, list(specs or []), choice, database, table_name, catalog_id)

    # --- records ------------------------------------------------------------------

    def filter(self, f: Callable[[DynamicRecord], bool], transformation_ctx: str = "", info: str = "",
               stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        choices = dict(self._choices)
        kept = self._df.rdd.filter(lambda row: bool(f(_to_record(row, choices))))
        return self._with(self._df.sparkSession.createDataFrame(kept, self._df.schema))

    def map(self, f: Callable[[DynamicRecord], Any], preservesPartitioning: bool = False, transformation_ctx: str = "",
            info: str = "", stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        from awsglue import _records

        return self._with(_records.map_records(self._df, self._choices, f), {})

    def join(self, paths1: Iterable[str], paths2: Iterable[str], frame2: "DynamicFrame", transformation_ctx: str = "",
             info: str = "", stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        """Inner join on equal keys; a field of ``frame2`` whose name is taken is renamed ``.name``, as on Glue."""
        keys1 = [paths1] if isinstance(paths1, str) else list(paths1)
        keys2 = [paths2] if isinstance(paths2, str) else list(paths2)
        left, right = self.toDF(), frame2.toDF()
        taken = {c.lower() for c in left.columns}
        renamed = {c: ("." + c if c.lower() in taken else c) for c in right.columns}
        right = right.select(*[col([c]).alias(renamed[c]) for c in right.columns])
        condition = None
        for a, b in zip(keys1, keys2):
            b_parts = split_path(b)
            b_parts[0] = renamed.get(b_parts[0], b_parts[0])
            clause = left[quote(split_path(a))] == right[quote(b_parts)]
            condition = clause if condition is None else condition & clause
        return self._with(left.join(right, condition, "inner"), {})

    def mergeDynamicFrame(self, stage_dynamic_frame: "DynamicFrame", primary_keys: list[str], transformation_ctx: str = "",
                          options: dict[str, Any] | None = None, info: str = "", stageThreshold: int = 0,
                          totalThreshold: int = 0) -> "DynamicFrame":
        """Records of the stage frame replace the records with the same primary keys; the rest are kept."""
        source, stage = self.toDF(), stage_dynamic_frame.toDF()
        keys = [quote(split_path(k)) for k in primary_keys]
        kept = source.join(stage.select(*keys), [split_path(k)[0] for k in primary_keys], "left_anti")
        return self._with(kept.unionByName(stage, allowMissingColumns=True), {})

    def union(self, other_frame: "DynamicFrame", transformation_ctx: str = "", info: str = "",
              stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        return self._with(self.toDF().unionByName(other_frame.toDF(), allowMissingColumns=True), {})

    # --- shape --------------------------------------------------------------------

    def unnest(self, transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
               totalThreshold: int = 0) -> "DynamicFrame":
        from awsglue import _records

        return self._with(_records.flatten_structs(self.toDF()), {})

    def relationalize(self, root_table_name: str, staging_path: str, options: dict[str, Any] | None = None,
                      transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
                      totalThreshold: int = 0) -> "DynamicFrameCollection":
        from awsglue import _records

        tables = _records.relationalize(self.toDF(), root_table_name)
        return DynamicFrameCollection({name: DynamicFrame(df, self.glue_ctx, name) for name, df in tables.items()}, self.glue_ctx)

    def unbox(self, path: str, format: str, transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
              totalThreshold: int = 0, **options: Any) -> "DynamicFrame":
        from awsglue import _records

        return self._with(_records.unbox(self.toDF(), split_path(path), format, options), {})

    def split_fields(self, paths: list[str], name1: str, name2: str, transformation_ctx: str = "", info: str = "",
                     stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrameCollection":
        selected = self.select_fields(paths)
        chosen = {split_path(p)[0] for p in paths if len(split_path(p)) == 1}
        rest = self._with(self._df.select(*[col([c]) for c in self._df.columns if c not in chosen]))
        return DynamicFrameCollection({name1: selected._with(selected._df, name=name1), name2: rest._with(rest._df, name=name2)}, self.glue_ctx)

    def split_rows(self, comparison_dict: dict[str, dict[str, Any]], name1: str, name2: str,
                   transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
                   totalThreshold: int = 0) -> "DynamicFrameCollection":
        from pyspark.sql import functions as F

        operators: dict[str, Callable[[Any, Any], Any]] = {
            "<": lambda c, v: c < v, ">": lambda c, v: c > v, "<=": lambda c, v: c <= v, ">=": lambda c, v: c >= v,
            "=": lambda c, v: c == v, "==": lambda c, v: c == v, "!=": lambda c, v: c != v,
        }
        condition = F.lit(True)
        for path, tests in comparison_dict.items():
            for op, value in tests.items():
                if op not in operators:
                    raise ValueError(f"unknown comparison {op!r} in split_rows")
                condition = condition & operators[op](col(path), F.lit(value))
        matched = F.coalesce(condition, F.lit(False))
        return DynamicFrameCollection(
            {name1: self._with(self._df.where(matched), name=name1), name2: self._with(self._df.where(~matched), name=name2)},
            self.glue_ctx,
        )

    def spigot(self, path: str, options: dict[str, Any] | None = None, transformation_ctx: str = "", info: str = "",
               stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        """Write a sample of the records (``topk``, default 100; ``prob``) as JSON under ``path``; the frame is unchanged."""
        options = options or {}
        sample = self.toDF()
        if "prob" in options:
            sample = sample.sample(fraction=float(options["prob"]), seed=0)
        sample = sample.limit(int(options.get("topk", 100)))
        sample.coalesce(1).write.mode("overwrite").json(path)
        return self

    def repartition(self, num_partitions: int, transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
                    totalThreshold: int = 0) -> "DynamicFrame":
        return self._with(self._df.repartition(num_partitions))

    def coalesce(self, num_partitions: int, shuffle: bool = False, transformation_ctx: str = "", info: str = "",
                 stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        return self._with(self._df.repartition(num_partitions) if shuffle else self._df.coalesce(num_partitions))

    def __repr__(self) -> str:
        return f"DynamicFrame({self.name!r}, {len(self._df.columns)} fields)"


class DynamicFrameCollection:
    """Named DynamicFrames, as multi-output transforms (Relationalize, SplitFields ...) return them."""

    def __init__(self, dynamic_frames: dict[str, DynamicFrame], glue_ctx: Any):
        self._frames = dict(dynamic_frames)
        self._glue_ctx = glue_ctx

    def __getitem__(self, key: str) -> DynamicFrame:
        return self._frames[key]

    def __len__(self) -> int:
        return len(self._frames)

    def __iter__(self) -> Iterator[str]:
        return iter(self._frames)

    def keys(self) -> Any:
        return self._frames.keys()

    def values(self) -> Any:
        return self._frames.values()

    def select(self, key: str, transformation_ctx: str = "") -> DynamicFrame:
        return self._frames[key]

    def map(self, callable: Callable[[DynamicFrame, str], DynamicFrame], transformation_ctx: str = "") -> "DynamicFrameCollection":
        return DynamicFrameCollection({k: callable(v, transformation_ctx) for k, v in self._frames.items()}, self._glue_ctx)

    def flatmap(self, f: Callable[[DynamicFrame, str], Any], transformation_ctx: str = "") -> "DynamicFrameCollection":
        frames: dict[str, DynamicFrame] = {}
        for key, frame in self._frames.items():
            result = f(frame, transformation_ctx)
            if isinstance(result, DynamicFrameCollection):
                frames.update({f"{key}_{k}": v for k, v in result._frames.items()})
            else:
                frames[key] = result
        return DynamicFrameCollection(frames, self._glue_ctx)


class DynamicFrameReader:
    """``glueContext.create_dynamic_frame``: ``from_options``, ``from_catalog``, ``from_rdd``."""

    def __init__(self, glue_context: Any):
        self._glue_context = glue_context

    def from_options(self, connection_type: str, connection_options: dict[str, Any] | None = None, format: str | None = None,
                     format_options: dict[str, Any] | None = None, transformation_ctx: str = "",
                     push_down_predicate: str = "", **kwargs: Any) -> DynamicFrame:
        from awsglue import _sources

        df, choices = _sources.read_options(self._glue_context, connection_type, connection_options or {}, format,
                                            format_options or {}, transformation_ctx, dynamic=True)
        return DynamicFrame(df, self._glue_context, transformation_ctx, choices)

    def from_catalog(self, database: str | None = None, table_name: str | None = None, redshift_tmp_dir: str = "",
                     transformation_ctx: str = "", push_down_predicate: str = "",
                     additional_options: dict[str, Any] | None = None, catalog_id: str | None = None,
                     **kwargs: Any) -> DynamicFrame:
        from awsglue import _sources

        database = database or kwargs.pop("name_space", None)
        df, choices = _sources.read_catalog(self._glue_context, database, table_name, transformation_ctx,
                                            push_down_predicate, additional_options or {}, catalog_id, dynamic=True)
        return DynamicFrame(df, self._glue_context, transformation_ctx, choices)

    def from_rdd(self, data: Any, name: str, schema: Any = None, sample_ratio: float | None = None,
                 transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        spark = self._glue_context.spark_session
        return DynamicFrame(spark.createDataFrame(data, schema, samplingRatio=sample_ratio), self._glue_context, name)


class DynamicFrameWriter:
    """``glueContext.write_dynamic_frame``: ``from_options`` and ``from_catalog`` (S3 targets)."""

    def __init__(self, glue_context: Any):
        self._glue_context = glue_context

    def from_options(self, frame: DynamicFrame, connection_type: str, connection_options: dict[str, Any] | None = None,
                     format: str | None = None, format_options: dict[str, Any] | None = None,
                     transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        from awsglue import _sinks

        _sinks.write_options(self._glue_context, frame.toDF(), connection_type, connection_options or {}, format,
                             format_options or {})
        return frame

    def from_catalog(self, frame: DynamicFrame, database: str | None = None, table_name: str | None = None,
                     redshift_tmp_dir: str = "", transformation_ctx: str = "",
                     additional_options: dict[str, Any] | None = None, catalog_id: str | None = None,
                     **kwargs: Any) -> DynamicFrame:
        from awsglue import _sinks

        database = database or kwargs.pop("name_space", None)
        _sinks.write_catalog(self._glue_context, frame.toDF(), database, table_name, additional_options or {}, catalog_id)
        return frame

    def from_jdbc_conf(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        from awsglue._formats import NotSupportedLocally

        raise NotSupportedLocally("write_dynamic_frame.from_jdbc_conf (JDBC connections)")
