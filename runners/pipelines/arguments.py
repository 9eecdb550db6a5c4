"""What a Glue argument's name says about its S3 location: written or read.

Shared by the permission check (which grants a job role PutObject on written
locations) and the run report (which lists them as a run's outputs), so the
two can never disagree. No dependencies: the trigger function imports it.
"""

from __future__ import annotations

import re

# Words of an argument's name that say the job writes its S3 location; every other s3:// argument is read.
WRITTEN_ARGUMENT_WORDS = frozenset({"out", "output", "outputs", "target", "dest", "destination", "sink", "write", "temp", "tmp", "tempdir"})
# Scratch space a job writes but nobody reads as a result.
SCRATCH_ARGUMENT_WORDS = frozenset({"temp", "tmp", "tempdir"})


def _words(name: str) -> set[str]:
    return {w.lower() for w in re.split(r"[-_.]+|(?<=[a-z0-9])(?=[A-Z])", name.strip("-")) if w}


def written_argument(name: str) -> bool:
    """``--output_path``, ``--targetPrefix``, ``--TempDir`` are written; ``--input_path``, ``--route_table`` read."""
    return bool(_words(name) & WRITTEN_ARGUMENT_WORDS)


def output_argument(name: str) -> bool:
    """A written argument that holds a result (``--output_path``), not scratch space (``--TempDir``)."""
    words = _words(name)
    return bool(words & WRITTEN_ARGUMENT_WORDS) and not words & SCRATCH_ARGUMENT_WORDS
