"""``DataSink``: what ``glueContext.getSink`` returns (Glue Studio's way to write and update the catalog)."""

from __future__ import annotations

from typing import Any

from awsglue import _sinks


class DataSink:
    def __init__(self, glue_context: Any, connection_type: str, options: dict[str, Any]):
        self._glue_context = glue_context
        self._connection_type = connection_type
        self._options = dict(options)
        self._format: str | None = options.get("format")
        self._format_options: dict[str, Any] = {}

    def setFormat(self, format: str, **options: Any) -> None:
        self._format = format
        self._format_options = options

    def setCatalogInfo(self, catalogDatabase: str, catalogTableName: str, catalogId: str = "") -> None:
        self._options.update(catalogDatabase=catalogDatabase, catalogTableName=catalogTableName)

    def setAccumulableSize(self, size: int) -> None:
        return None

    def writeFrame(self, dynamic_frame: Any, info: str = "") -> Any:
        options = {**self._options}
        if "compression" in self._format_options and "compression" not in options:
            options["compression"] = self._format_options["compression"]
        _sinks.write_options(self._glue_context, dynamic_frame.toDF(), self._connection_type, options,
                             self._format, self._format_options)
        return dynamic_frame

    def write(self, dynamic_frame_or_dfc: Any, info: str = "") -> Any:
        return self.writeFrame(dynamic_frame_or_dfc, info)
