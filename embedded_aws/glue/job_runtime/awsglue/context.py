"""``GlueContext``: the entry point of a Glue script (readers, writers, sinks, S3 housekeeping, logging)."""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

from awsglue import _aws, _sinks, _sources
from awsglue._formats import NotSupportedLocally
from awsglue.data_sink import DataSink
from awsglue.data_source import DataSource
from awsglue.dynamicframe import DynamicFrame, DynamicFrameReader, DynamicFrameWriter


class _DataFrameReader:
    """``glueContext.create_data_frame``: Spark DataFrames from the catalog or S3 options."""

    def __init__(self, glue_context: "GlueContext"):
        self._glue_context = glue_context

    def from_catalog(self, database: str | None = None, table_name: str | None = None, redshift_tmp_dir: str = "",
                     transformation_ctx: str = "", push_down_predicate: str = "",
                     additional_options: dict[str, Any] | None = None, catalog_id: str | None = None, **kwargs: Any) -> Any:
        df, _ = _sources.read_catalog(self._glue_context, database or kwargs.get("name_space"), table_name,
                                      transformation_ctx, push_down_predicate, additional_options or {}, catalog_id,
                                      dynamic=False)
        return df

    def from_options(self, connection_type: str, connection_options: dict[str, Any] | None = None,
                     format: str | None = None, format_options: dict[str, Any] | None = None,
                     transformation_ctx: str = "", **kwargs: Any) -> Any:
        df, _ = _sources.read_options(self._glue_context, connection_type, connection_options or {}, format,
                                      format_options or {}, transformation_ctx, dynamic=False)
        return df


class _DataFrameWriter:
    """``glueContext.write_data_frame``: write a Spark DataFrame to a catalog table."""

    def __init__(self, glue_context: "GlueContext"):
        self._glue_context = glue_context

    def from_catalog(self, frame: Any, database: str | None = None, table_name: str | None = None,
                     redshift_tmp_dir: str = "", transformation_ctx: str = "",
                     additional_options: dict[str, Any] | None = None, catalog_id: str | None = None, **kwargs: Any) -> Any:
        _sinks.write_catalog(self._glue_context, frame, database, table_name, additional_options or {}, catalog_id)
        return frame


class _GlueLogger:
    """What ``get_logger()`` returns: Glue's log4j logger API (``info``, ``warn``, ``error``) on the run's log."""

    def __init__(self) -> None:
        self._log = logging.getLogger("GlueLogger")
        if not self._log.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [GlueLogger] %(message)s"))
            self._log.addHandler(handler)
            self._log.setLevel(logging.INFO)
            self._log.propagate = False

    def info(self, message: object) -> None:
        self._log.info(str(message))

    def warn(self, message: object) -> None:
        self._log.warning(str(message))

    warning = warn

    def error(self, message: object) -> None:
        self._log.error(str(message))

    def debug(self, message: object) -> None:
        self._log.debug(str(message))


class GlueContext:
    """Wraps the SparkContext; ``spark_session`` is the run's session."""

    def __init__(self, sparkContext: Any, **options: Any):
        from pyspark.sql import SparkSession

        self._sc = sparkContext
        self.spark_session = SparkSession.builder.getOrCreate()
        self._logger = _GlueLogger()

    # --- readers and writers -----------------------------------------------------

    @property
    def create_dynamic_frame(self) -> DynamicFrameReader:
        return DynamicFrameReader(self)

    @property
    def write_dynamic_frame(self) -> DynamicFrameWriter:
        return DynamicFrameWriter(self)

    @property
    def create_data_frame(self) -> _DataFrameReader:
        return _DataFrameReader(self)

    @property
    def write_data_frame(self) -> _DataFrameWriter:
        return _DataFrameWriter(self)

    def create_dynamic_frame_from_options(self, connection_type: str, connection_options: dict[str, Any] | None = None,
                                          format: str | None = None, format_options: dict[str, Any] | None = None,
                                          transformation_ctx: str = "", push_down_predicate: str = "",
                                          **kwargs: Any) -> DynamicFrame:
        return self.create_dynamic_frame.from_options(connection_type, connection_options, format, format_options,
                                                      transformation_ctx, push_down_predicate, **kwargs)

    def create_dynamic_frame_from_catalog(self, database: str | None = None, table_name: str | None = None,
                                          redshift_tmp_dir: str = "", transformation_ctx: str = "",
                                          push_down_predicate: str = "", additional_options: dict[str, Any] | None = None,
                                          catalog_id: str | None = None, **kwargs: Any) -> DynamicFrame:
        return self.create_dynamic_frame.from_catalog(database, table_name, redshift_tmp_dir, transformation_ctx,
                                                      push_down_predicate, additional_options, catalog_id, **kwargs)

    def create_data_frame_from_catalog(self, database: str | None = None, table_name: str | None = None,
                                       redshift_tmp_dir: str = "", transformation_ctx: str = "",
                                       push_down_predicate: str = "", additional_options: dict[str, Any] | None = None,
                                       catalog_id: str | None = None, **kwargs: Any) -> Any:
        return self.create_data_frame.from_catalog(database, table_name, redshift_tmp_dir, transformation_ctx,
                                                   push_down_predicate, additional_options, catalog_id, **kwargs)

    def create_data_frame_from_options(self, connection_type: str, connection_options: dict[str, Any] | None = None,
                                       format: str | None = None, format_options: dict[str, Any] | None = None,
                                       transformation_ctx: str = "", **kwargs: Any) -> Any:
        return self.create_data_frame.from_options(connection_type, connection_options, format, format_options,
                                                   transformation_ctx, **kwargs)

    def write_dynamic_frame_from_options(self, frame: DynamicFrame, connection_type: str,
                                         connection_options: dict[str, Any] | None = None, format: str | None = None,
                                         format_options: dict[str, Any] | None = None, transformation_ctx: str = "",
                                         **kwargs: Any) -> DynamicFrame:
        return self.write_dynamic_frame.from_options(frame, connection_type, connection_options, format, format_options,
                                                     transformation_ctx, **kwargs)

    def write_dynamic_frame_from_catalog(self, frame: DynamicFrame, database: str | None = None,
                                         table_name: str | None = None, redshift_tmp_dir: str = "",
                                         transformation_ctx: str = "", additional_options: dict[str, Any] | None = None,
                                         catalog_id: str | None = None, **kwargs: Any) -> DynamicFrame:
        return self.write_dynamic_frame.from_catalog(frame, database, table_name, redshift_tmp_dir, transformation_ctx,
                                                     additional_options, catalog_id, **kwargs)

    def getSink(self, connection_type: str, format: str | None = None, transformation_ctx: str = "", **options: Any) -> DataSink:
        return DataSink(self, connection_type, {**options, **({"format": format} if format else {})})

    def getSource(self, connection_type: str, format: str | None = None, transformation_ctx: str = "",
                  push_down_predicate: str = "", **options: Any) -> DataSource:
        return DataSource(self, connection_type, {**options, **({"format": format} if format else {})}, transformation_ctx)

    # --- S3 housekeeping ------------------------------------------------------------

    def purge_s3_path(self, s3_path: str, options: dict[str, Any] | None = None, transformation_ctx: str = "") -> None:
        """Delete the objects under ``s3_path`` older than ``retentionPeriod`` hours (default 168, as on Glue)."""
        options = options or {}
        if options.get("manifestFilePath"):
            raise NotSupportedLocally("purge_s3_path's manifestFilePath")
        retention = float(options.get("retentionPeriod", 168))
        excluded = set(options.get("excludeStorageClasses") or [])
        cutoff = datetime.now(timezone.utc) - timedelta(hours=retention)
        bucket, key = _aws.split_uri(s3_path)
        s3 = _aws.client("s3")
        doomed = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
            for obj in page.get("Contents", []):
                if obj["LastModified"] <= cutoff and obj.get("StorageClass", "STANDARD") not in excluded:
                    doomed.append({"Key": obj["Key"]})
        for start in range(0, len(doomed), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed[start : start + 1000], "Quiet": True})

    def purge_table(self, database: str, table_name: str, options: dict[str, Any] | None = None,
                    transformation_ctx: str = "", catalog_id: str | None = None) -> None:
        """Purge the files under the table's location (and its partitions'), as ``purge_s3_path`` does."""
        kwargs = {"CatalogId": catalog_id} if catalog_id else {}
        table = _aws.client("glue").get_table(DatabaseName=database, Name=table_name, **kwargs)["Table"]
        location = (table.get("StorageDescriptor") or {}).get("Location")
        if location:
            self.purge_s3_path(location, options, transformation_ctx)

    def transition_s3_path(self, *args: Any, **kwargs: Any) -> None:
        raise NotSupportedLocally("transition_s3_path (S3 storage classes)")

    # --- misc -------------------------------------------------------------------------

    def get_logger(self) -> _GlueLogger:
        return self._logger

    def getLogger(self) -> _GlueLogger:
        return self._logger

    def extract_jdbc_conf(self, connection_name: str, catalog_id: str | None = None) -> dict[str, Any]:
        raise NotSupportedLocally("extract_jdbc_conf (Glue connections)")

    def forEachBatch(self, *args: Any, **kwargs: Any) -> None:
        raise NotSupportedLocally("forEachBatch (Glue streaming)")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise NotSupportedLocally(f"GlueContext.{name}")
