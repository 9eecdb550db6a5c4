"""The local awsglue (a job's side) and the embedded Glue (the emulator's side) agree on the run's variables.

The job runtime cannot import the emulator, so the names live twice; this keeps them one contract.
"""

from __future__ import annotations

import importlib
import sys

from embedded_aws.glue import job_env


def test_the_bookmark_variables_are_the_same_on_both_sides(monkeypatch):
    monkeypatch.syspath_prepend(str(job_env.JOB_RUNTIME))
    for name in [m for m in sys.modules if m == "awsglue" or m.startswith("awsglue.")]:
        monkeypatch.delitem(sys.modules, name)
    bookmarks = importlib.import_module("awsglue._bookmarks")
    assert bookmarks.__file__.startswith(str(job_env.JOB_RUNTIME))
    assert (bookmarks.BOOKMARK_IN_ENV, bookmarks.BOOKMARK_OUT_ENV) == (job_env.BOOKMARK_IN_ENV, job_env.BOOKMARK_OUT_ENV)
