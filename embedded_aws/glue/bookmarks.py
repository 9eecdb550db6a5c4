"""Glue job bookmarks kept by the embedded Glue, and the GetJobBookmark / ResetJobBookmark actions.

A bookmark is the state the job's bookmarked sources committed
(``awsglue.job.Job.commit`` in the run, see ``job_setup``), plus Glue's
counters: ``Version`` (commits), ``Run`` (runs that committed), ``Attempt``,
``RunId`` and ``PreviousRunId``. moto has no bookmarks; they live on each
moto Glue backend, so moto's reset drops them.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from moto.core.responses import ActionResult
from moto.glue.exceptions import EntityNotFoundException
from moto.glue.models import GlueBackend
from moto.glue.responses import GlueResponse

from embedded_aws.backend_state import backend_state


@dataclass
class Bookmark:
    version: int = 0
    run: int = 0
    attempt: int = 0
    run_id: str = ""
    previous_run_id: str = ""
    state: dict[str, Any] = field(default_factory=dict)

    def entry(self, job_name: str) -> dict[str, Any]:
        return {
            "JobName": job_name,
            "Version": self.version,
            "Run": self.run,
            "Attempt": self.attempt,
            "PreviousRunId": self.previous_run_id,
            "RunId": self.run_id,
            "JobBookmark": json.dumps(self.state, sort_keys=True),
        }


class BookmarkStore:
    """The bookmarks of one (account, region), by job name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bookmarks: dict[str, Bookmark] = {}

    def state(self, job_name: str) -> dict[str, Any]:
        with self._lock:
            bookmark = self._bookmarks.get(job_name)
            return dict(bookmark.state) if bookmark else {}

    def commit(self, job_name: str, run_id: str, state: dict[str, Any]) -> None:
        with self._lock:
            bookmark = self._bookmarks.setdefault(job_name, Bookmark())
            bookmark.version += 1
            bookmark.run += 1
            bookmark.attempt = 0
            bookmark.previous_run_id, bookmark.run_id = bookmark.run_id, run_id
            bookmark.state = state

    def get(self, job_name: str) -> Bookmark | None:
        with self._lock:
            return self._bookmarks.get(job_name)

    def reset(self, job_name: str) -> Bookmark:
        with self._lock:
            old = self._bookmarks.pop(job_name, None) or Bookmark()
            return Bookmark(version=old.version, run=old.run, attempt=old.attempt,
                            run_id=old.run_id, previous_run_id=old.previous_run_id)

    def forget(self, job_name: str) -> None:
        with self._lock:
            self._bookmarks.pop(job_name, None)


def store(backend: GlueBackend) -> BookmarkStore:
    return backend_state(backend, "glue_bookmarks", BookmarkStore)


def get_job_bookmark(self: GlueResponse) -> ActionResult:
    job_name = self._get_param("JobName")
    self.glue_backend.get_job(job_name)  # EntityNotFoundException for an unknown job
    bookmark = store(self.glue_backend).get(job_name)
    if bookmark is None:
        raise EntityNotFoundException(f"Continuation for job {job_name} not found")
    return ActionResult({"JobBookmarkEntry": bookmark.entry(job_name)})


def reset_job_bookmark(self: GlueResponse) -> ActionResult:
    job_name = self._get_param("JobName")
    self.glue_backend.get_job(job_name)
    bookmark = store(self.glue_backend).reset(job_name)
    return ActionResult({"JobBookmarkEntry": bookmark.entry(job_name)})


def install() -> None:
    """Bind the bookmark actions onto moto's Glue API (idempotent)."""
    GlueResponse.get_job_bookmark = get_job_bookmark  # type: ignore[attr-defined]
    GlueResponse.reset_job_bookmark = reset_job_bookmark  # type: ignore[attr-defined]
