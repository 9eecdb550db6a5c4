"""Glue's transform classes (``from awsglue.transforms import *``): each ``apply`` calls the DynamicFrame method.

The keyword names follow Glue's (``frame``, ``mappings``, ``specs``, ``f`` ...);
``transformation_ctx``, ``info``, ``stageThreshold`` and ``totalThreshold``
are accepted everywhere.
"""

from __future__ import annotations

from typing import Any

from awsglue.dynamicframe import DynamicFrame, DynamicFrameCollection

__all__ = [
    "GlueTransform", "ApplyMapping", "ResolveChoice", "DropNullFields", "DropFields", "SelectFields",
    "RenameField", "Filter", "Map", "Join", "Relationalize", "SplitFields", "SplitRows", "Unbox",
    "UnnestFrame", "Spigot", "SelectFromCollection", "MapToCollection", "FlatMap", "ErrorsAsDynamicFrame",
    "Repartition", "Coalesce", "DropDuplicates", "Union",
]

_COMMON = ("transformation_ctx", "info", "stageThreshold", "totalThreshold")


class GlueTransform:
    """Base of the transforms: ``Transform.apply(**kwargs)`` == ``Transform()(**kwargs)``."""

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        return cls()(*args, **kwargs)

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {"name": cls.__name__}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


def _common(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: kwargs[k] for k in _COMMON if k in kwargs}


class ApplyMapping(GlueTransform):
    def __call__(self, frame: DynamicFrame, mappings: list[Any], case_sensitive: bool = False, **kwargs: Any) -> DynamicFrame:
        return frame.apply_mapping(mappings, case_sensitive, **_common(kwargs))


class ResolveChoice(GlueTransform):
    def __call__(self, frame: DynamicFrame, specs: list[Any] | None = None, choice: str = "", database: str | None = None,
                 table_name: str | None = None, catalog_id: str | None = None, **kwargs: Any) -> DynamicFrame:
        return frame.resolveChoice(specs, choice, database, table_name, catalog_id=catalog_id, **_common(kwargs))


class DropNullFields(GlueTransform):
    """Drops the fields that are null (or missing) in every record."""

    def __call__(self, frame: DynamicFrame, **kwargs: Any) -> DynamicFrame:
        from pyspark.sql import functions as F

        df = frame.toDF()
        if not df.columns:
            return frame
        counts = df.agg(*[F.count(F.col(f"`{c}`")).alias(str(i)) for i, c in enumerate(df.columns)]).first()
        empty = [c for i, c in enumerate(df.columns) if counts[str(i)] == 0]
        return frame.drop_fields([f"`{c}`" for c in empty]) if empty else frame


class DropFields(GlueTransform):
    def __call__(self, frame: DynamicFrame, paths: list[str], **kwargs: Any) -> DynamicFrame:
        return frame.drop_fields(paths, **_common(kwargs))


class SelectFields(GlueTransform):
    def __call__(self, frame: DynamicFrame, paths: list[str], **kwargs: Any) -> DynamicFrame:
        return frame.select_fields(paths, **_common(kwargs))


class RenameField(GlueTransform):
    def __call__(self, frame: DynamicFrame, old_name: str, new_name: str, **kwargs: Any) -> DynamicFrame:
        return frame.rename_field(old_name, new_name, **_common(kwargs))


class Filter(GlueTransform):
    def __call__(self, frame: DynamicFrame, f: Any, **kwargs: Any) -> DynamicFrame:
        return frame.filter(f, **_common(kwargs))


class Map(GlueTransform):
    def __call__(self, frame: DynamicFrame, f: Any, preservesPartitioning: bool = False, **kwargs: Any) -> DynamicFrame:
        return frame.map(f, preservesPartitioning, **_common(kwargs))


class Join(GlueTransform):
    def __call__(self, frame1: DynamicFrame, frame2: DynamicFrame, keys1: Any, keys2: Any, **kwargs: Any) -> DynamicFrame:
        return frame1.join(keys1, keys2, frame2, **_common(kwargs))


class Relationalize(GlueTransform):
    def __call__(self, frame: DynamicFrame, staging_path: str = "", name: str = "roottable",
                 options: dict[str, Any] | None = None, **kwargs: Any) -> DynamicFrameCollection:
        return frame.relationalize(name, staging_path, options, **_common(kwargs))


class SplitFields(GlueTransform):
    def __call__(self, frame: DynamicFrame, paths: list[str], name1: str | None = None, name2: str | None = None,
                 **kwargs: Any) -> DynamicFrameCollection:
        return frame.split_fields(paths, name1 or "selected", name2 or "remaining", **_common(kwargs))


class SplitRows(GlueTransform):
    def __call__(self, frame: DynamicFrame, comparison_dict: dict[str, dict[str, Any]], name1: str = "",
                 name2: str = "", **kwargs: Any) -> DynamicFrameCollection:
        return frame.split_rows(comparison_dict, name1 or "frame1", name2 or "frame2", **_common(kwargs))


class Unbox(GlueTransform):
    def __call__(self, frame: DynamicFrame, path: str, format: str, **kwargs: Any) -> DynamicFrame:
        common = _common(kwargs)
        options = {k: v for k, v in kwargs.items() if k not in _COMMON}
        return frame.unbox(path, format, **common, **options)


class UnnestFrame(GlueTransform):
    def __call__(self, frame: DynamicFrame, **kwargs: Any) -> DynamicFrame:
        return frame.unnest(**_common(kwargs))


class Spigot(GlueTransform):
    def __call__(self, frame: DynamicFrame, path: str, options: dict[str, Any] | None = None, **kwargs: Any) -> DynamicFrame:
        return frame.spigot(path, options, **_common(kwargs))


class SelectFromCollection(GlueTransform):
    def __call__(self, dfc: DynamicFrameCollection, key: str, **kwargs: Any) -> DynamicFrame:
        return dfc.select(key)


class MapToCollection(GlueTransform):
    def __call__(self, dfc: DynamicFrameCollection, callable: Any, **kwargs: Any) -> DynamicFrameCollection:
        return dfc.map(callable, kwargs.get("transformation_ctx", ""))


class FlatMap(GlueTransform):
    def __call__(self, dfc: DynamicFrameCollection, BaseTransform: Any, frame_name: str = "", **base_kwargs: Any) -> DynamicFrameCollection:
        frames = {key: BaseTransform.apply(frame=dfc[key], **base_kwargs) for key in dfc.keys()}
        return DynamicFrameCollection(frames, None)


class ErrorsAsDynamicFrame(GlueTransform):
    def __call__(self, frame: DynamicFrame, **kwargs: Any) -> DynamicFrame:
        return frame.errorsAsDynamicFrame()


class Repartition(GlueTransform):
    def __call__(self, frame: DynamicFrame, num_partitions: int, **kwargs: Any) -> DynamicFrame:
        return frame.repartition(num_partitions)


class Coalesce(GlueTransform):
    def __call__(self, frame: DynamicFrame, num_partitions: int, shuffle: bool = False, **kwargs: Any) -> DynamicFrame:
        return frame.coalesce(num_partitions, shuffle)


class DropDuplicates(GlueTransform):
    def __call__(self, frame: DynamicFrame, keys: list[str] | None = None, **kwargs: Any) -> DynamicFrame:
        df = frame.toDF()
        return DynamicFrame(df.dropDuplicates(keys) if keys else df.dropDuplicates(), frame.glue_ctx, frame.name)


class Union(GlueTransform):
    def __call__(self, frame1: DynamicFrame, frame2: DynamicFrame, **kwargs: Any) -> DynamicFrame:
        return frame1.union(frame2)
