"""Job bookmarks for S3 sources: which files a bookmarked source has already processed.

The embedded Glue hands a run the job's bookmark (a JSON file named by
``EMBEDDED_GLUE_BOOKMARK_IN``) when ``--job-bookmark-option`` is
``job-bookmark-enable`` or ``job-bookmark-pause``; ``Job.commit()`` writes the
new bookmark to ``EMBEDDED_GLUE_BOOKMARK_OUT``, which the engine keeps only if
the run succeeds (and only for ``enable``).

As on Glue, a source is bookmarked by its ``transformation_ctx`` and S3 files
are judged by their last-modified time: a run reads the files modified after
the previous high-water mark, plus files at exactly that time it has not seen
(S3 times are coarse).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from awsglue._aws import S3File

BOOKMARK_IN_ENV = "EMBEDDED_GLUE_BOOKMARK_IN"
BOOKMARK_OUT_ENV = "EMBEDDED_GLUE_BOOKMARK_OUT"


@dataclass
class BookmarkSession:
    """The bookmark of one run, between ``Job.init`` and ``Job.commit``."""

    job_name: str
    option: str
    state: dict[str, Any] = field(default_factory=dict)
    pending: dict[str, Any] = field(default_factory=dict)

    @property
    def reads_bookmark(self) -> bool:
        return self.option in ("job-bookmark-enable", "job-bookmark-pause")

    def unprocessed(self, ctx: str, files: list[S3File]) -> list[S3File]:
        """The files this source has not processed yet; remembers them for ``commit``."""
        if not ctx or not self.reads_bookmark:
            return files
        previous = self.state.get(ctx, {})
        mark = int(previous.get("high_water_ms", -1))
        seen = set(previous.get("at_high_water", []))
        new = [f for f in files if f.modified_ms > mark or (f.modified_ms == mark and f.uri not in seen)]
        if new:
            top = max(max(f.modified_ms for f in new), mark)
            at_top = {f.uri for f in new if f.modified_ms == top} | (seen if top == mark else set())
            self.pending[ctx] = {"high_water_ms": top, "at_high_water": sorted(at_top)}
        return new

    def commit(self) -> None:
        if self.option != "job-bookmark-enable":
            return
        target = os.environ.get(BOOKMARK_OUT_ENV)
        if not target:
            return
        state = {**self.state, **self.pending}
        with open(target, "w", encoding="utf-8") as fh:
            json.dump(state, fh, sort_keys=True)


_SESSION: list[BookmarkSession] = []


def start(job_name: str, option: str) -> BookmarkSession:
    state: dict[str, Any] = {}
    source = os.environ.get(BOOKMARK_IN_ENV)
    if option in ("job-bookmark-enable", "job-bookmark-pause") and source and os.path.exists(source):
        with open(source, encoding="utf-8") as fh:
            state = json.load(fh)
    session = BookmarkSession(job_name, option, state)
    _SESSION[:] = [session]
    return session


def current() -> BookmarkSession | None:
    return _SESSION[0] if _SESSION else None


def end() -> None:
    _SESSION.clear()
