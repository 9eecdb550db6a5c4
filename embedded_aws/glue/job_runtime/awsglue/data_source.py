"""``DataSource``: what ``glueContext.getSource`` returns."""

from __future__ import annotations

from typing import Any


class DataSource:
    def __init__(self, glue_context: Any, connection_type: str, options: dict[str, Any], transformation_ctx: str = ""):
        self._glue_context = glue_context
        self._connection_type = connection_type
        self._options = dict(options)
        self._format: str | None = options.pop("format", None)
        self._format_options: dict[str, Any] = {}
        self._ctx = transformation_ctx

    def setFormat(self, format: str, **options: Any) -> None:
        self._format = format
        self._format_options = options

    def getFrame(self, **options: Any) -> Any:
        return self._glue_context.create_dynamic_frame.from_options(
            self._connection_type, {**self._options, **options}, self._format, self._format_options, self._ctx
        )
