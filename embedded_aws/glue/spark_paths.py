"""Make the local Spark driver accept what Glue scripts hand Spark: s3:// paths and new SparkContexts.

Installed once in the warm driver process (``install``), active per run
(``activate(stage)`` / ``deactivate()``):

- every path argument of ``DataFrameReader`` (``load``, ``csv``, ``json``,
  ``parquet``, ``orc``, ``text``) and of ``SparkContext.textFile`` /
  ``wholeTextFiles`` / ``binaryFiles`` that is an ``s3://`` URI reads the run's
  ``S3Stage`` mirror; every ``DataFrameWriter`` save (``save``, ``csv``,
  ``json``, ``parquet``, ``orc``, ``text``) to an ``s3://`` URI writes the
  mirror and syncs it back to S3 before returning, so later reads, other jobs
  and Athena see the data at once;
- ``SparkContext()`` (what the Glue console template writes) returns the running
  context instead of failing with "Cannot run multiple SparkContexts at once";
  ``spark.sql.*`` settings of a ``conf`` passed to it apply to the run's session;
- the job's own modules (beside the script, ``--extra-py-files``) are pickled by
  value into Spark's Python workers, which cannot import them (they started
  before the job); the registration ends with the run.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any, Callable

from embedded_aws.glue.s3_stage import S3Stage, is_s3_uri

_ACTIVE: list[S3Stage] = []
#: Folders and archives holding the running job's own modules.
_JOB_PATHS: list[str] = []
#: Top-level modules registered with cloudpickle for this run.
_BY_VALUE: set[str] = set()
_READERS = ("load", "csv", "json", "parquet", "orc", "text")
_WRITERS = ("save", "csv", "json", "parquet", "orc", "text")
_RDD_READERS = ("textFile", "wholeTextFiles", "binaryFiles")


def activate(stage: S3Stage, job_paths: list[str] | None = None) -> None:
    _ACTIVE[:] = [stage]
    _JOB_PATHS[:] = [p.rstrip(os.sep) + os.sep for p in job_paths or []]


def deactivate() -> None:
    _ACTIVE.clear()
    _JOB_PATHS.clear()
    if _BY_VALUE:
        from pyspark import cloudpickle

        for name in _BY_VALUE:
            if name in sys.modules:
                try:
                    cloudpickle.unregister_pickle_by_value(sys.modules[name])
                except ValueError:
                    pass
        _BY_VALUE.clear()


def _ship_job_modules() -> None:
    """Register the job's imported modules to be pickled by value (workers cannot import them)."""
    if not _JOB_PATHS:
        return
    from pyspark import cloudpickle

    for name, module in list(sys.modules.items()):
        top = name.partition(".")[0]
        source = getattr(module, "__file__", None) or ""
        if top in _BY_VALUE or not source.startswith(tuple(_JOB_PATHS)) or top not in sys.modules:
            continue
        cloudpickle.register_pickle_by_value(sys.modules[top])
        _BY_VALUE.add(top)


def _shipping(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def prepare(sc: Any, command: Any) -> Any:
        _ship_job_modules()
        return original(sc, command)

    prepare.__embedded_glue__ = True  # type: ignore[attr-defined]
    return prepare


def _stage() -> S3Stage:
    if not _ACTIVE:
        raise RuntimeError("s3:// paths are only available to Glue job runs of the embedded AWS")
    return _ACTIVE[0]


def _map_read_paths(value: Any) -> Any:
    if is_s3_uri(value):
        return ",".join(_stage().for_read(part) for part in value.split(",")) if "," in value else _stage().for_read(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_map_read_paths(v) for v in value)
    return value


def _reader(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def read(self: Any, path: Any = None, *args: Any, **kwargs: Any) -> Any:
        if "path" in kwargs:
            kwargs["path"] = _map_read_paths(kwargs["path"])
        elif "paths" in kwargs:
            kwargs["paths"] = _map_read_paths(kwargs["paths"])
        path = _map_read_paths(path)
        args = tuple(_map_read_paths(a) for a in args) if original.__name__ in ("parquet", "orc") else args
        if path is None:
            return original(self, *args, **kwargs)
        return original(self, path, *args, **kwargs)

    return read


def _writer(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def write(self: Any, path: Any = None, *args: Any, **kwargs: Any) -> Any:
        keyword = "path" in kwargs
        target = kwargs.get("path") if keyword else path
        if not is_s3_uri(target):
            return original(self, path, *args, **kwargs) if not keyword else original(self, *args, **kwargs)
        stage = _stage()
        local = stage.before_write(target)
        if keyword:
            kwargs["path"] = local
            result = original(self, *args, **kwargs)
        else:
            result = original(self, local, *args, **kwargs)
        stage.after_write(target)
        return result

    return write


def _rdd_reader(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def read(self: Any, name: Any, *args: Any, **kwargs: Any) -> Any:
        return original(self, _map_read_paths(name), *args, **kwargs)

    return read


def _patch(cls: type, names: tuple[str, ...], wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    for name in names:
        original = getattr(cls, name)
        if not getattr(original, "__embedded_glue__", False):
            patched = wrap(original)
            patched.__embedded_glue__ = True  # type: ignore[attr-defined]
            setattr(cls, name, patched)


def _patch_spark_context(context_cls: type) -> None:
    if getattr(context_cls.__init__, "__embedded_glue__", False):
        return
    original_new = context_cls.__new__
    original_init = context_cls.__init__

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        active = context_cls._active_spark_context  # type: ignore[attr-defined]
        if active is not None and isinstance(active, cls):
            return active
        return original_new(cls) if original_new is object.__new__ else original_new(cls, *args, **kwargs)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if self is context_cls._active_spark_context and getattr(self, "_jsc", None) is not None:  # type: ignore[attr-defined]
            conf = kwargs.get("conf") if "conf" in kwargs else (args[2] if len(args) > 2 else None)
            if conf is not None:
                from pyspark.sql import SparkSession

                session = SparkSession.getActiveSession()
                running = dict(self.getConf().getAll())
                for key, value in conf.getAll():
                    changed = running.get(key) != value
                    if session is not None and changed and key.startswith("spark.sql.") and session.conf.isModifiable(key):
                        session.conf.set(key, value)
            return
        original_init(self, *args, **kwargs)

    __init__.__embedded_glue__ = True  # type: ignore[attr-defined]
    context_cls.__new__ = __new__  # type: ignore[method-assign,assignment]
    context_cls.__init__ = __init__  # type: ignore[method-assign]


def install() -> None:
    """Patch pyspark in this (driver) process; idempotent."""
    from pyspark import SparkContext
    from pyspark.sql.readwriter import DataFrameReader, DataFrameWriter

    _patch(DataFrameReader, _READERS, _reader)
    _patch(DataFrameWriter, _WRITERS, _writer)
    _patch(SparkContext, _RDD_READERS, _rdd_reader)
    _patch_spark_context(SparkContext)
    import pyspark.rdd
    import pyspark.sql.udf

    for module in (pyspark.rdd, pyspark.sql.udf):
        if not getattr(module._prepare_for_python_RDD, "__embedded_glue__", False):
            module._prepare_for_python_RDD = _shipping(module._prepare_for_python_RDD)  # type: ignore[attr-defined]
