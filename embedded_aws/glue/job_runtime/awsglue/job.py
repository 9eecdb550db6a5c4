"""``Job``: a run's start (``init``) and its bookmark commit (``commit``)."""

from __future__ import annotations

from typing import Any

from awsglue import _bookmarks


class Job:
    @classmethod
    def continuation_options(cls) -> list[str]:
        return ["--continuation-option", "continuation-enabled", "continuation-readonly", "continuation-ignore"]

    @classmethod
    def job_bookmark_options(cls) -> list[str]:
        return ["--job-bookmark-option", "job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable"]

    @classmethod
    def job_bookmark_range_options(cls) -> list[str]:
        return ["--job-bookmark-from", "--job-bookmark-to"]

    @classmethod
    def id_params(cls) -> list[str]:
        return ["--JOB_NAME", "--JOB_ID", "--JOB_RUN_ID", "--SECURITY_CONFIGURATION"]

    @classmethod
    def encryption_type_options(cls) -> list[str]:
        return ["--encryption-type", "sse-s3"]

    def __init__(self, glue_context: Any):
        self._glue_context = glue_context
        self._session: _bookmarks.BookmarkSession | None = None

    def init(self, job_name: str, args: dict[str, Any] | None = None) -> None:
        """Start the job: its bookmark (per ``--job-bookmark-option``, default disabled) applies to sources from now on."""
        option = (args or {}).get("job_bookmark_option") or "job-bookmark-disable"
        self._session = _bookmarks.start(job_name, option)

    def isInitialized(self) -> bool:
        return self._session is not None

    def commit(self) -> None:
        """Record what the bookmarked sources read (kept by the embedded Glue when the run succeeds)."""
        if self._session is None:
            raise RuntimeError("Job.commit() called before Job.init()")
        self._session.commit()
