"""``getResolvedOptions``: a job's ``--name value`` arguments, resolved as AWS Glue resolves them.

Behaviour kept from Glue: every requested name is required (``--name value``
or ``--name=value``); arguments not asked for are ignored; Glue's own
arguments are always parsed and returned (``job_bookmark_option`` defaults to
``job-bookmark-disable``; ``--continuation-option`` is the old spelling of it);
asking for one of Glue's reserved names raises ``RuntimeError``; a missing
argument raises ``GlueArgumentError`` with argparse's message
("the following arguments are required: --name").
"""

from __future__ import annotations

import argparse
from typing import Any, Sequence

BOOKMARK_OPTION = "--job-bookmark-option"
BOOKMARK_CHOICES = ("job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable")
CONTINUATION_OPTION = "--continuation-option"
CONTINUATION_CHOICES = ("continuation-enabled", "continuation-readonly", "continuation-ignore")
BOOKMARK_RANGE = ("--job-bookmark-from", "--job-bookmark-to")
#: Passed by Glue to every run; JOB_NAME may be requested, the others are reserved.
ID_ARGUMENTS = ("--JOB_NAME", "--JOB_ID", "--JOB_RUN_ID", "--SECURITY_CONFIGURATION")
ENCRYPTION_TYPE = "--encryption-type"
TEMP_DIRS = ("TempDir", "RedshiftTempDir")

_global_args: dict[str, Any] = {}


class GlueArgumentError(Exception):
    """A required job argument is missing or an argument's value is not allowed."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise GlueArgumentError(message)


def _reserved(options: Sequence[str]) -> None:
    reserved = [BOOKMARK_OPTION, CONTINUATION_OPTION, *BOOKMARK_RANGE, *ID_ARGUMENTS[1:], ENCRYPTION_TYPE]
    for option in reserved:
        if option[2:] in options:
            raise RuntimeError("Using reserved arguments " + option)


def getResolvedOptions(args: Sequence[str], options: Sequence[str]) -> dict[str, Any]:
    """The values of ``options`` (names without ``--``) in ``args`` (``sys.argv``), plus Glue's own."""
    _reserved(options)
    parser = _Parser()  # argparse defaults, as on Glue (prefix abbreviations included)
    parser.add_argument(BOOKMARK_OPTION, choices=BOOKMARK_CHOICES, required=False)
    parser.add_argument(CONTINUATION_OPTION, choices=CONTINUATION_CHOICES, required=False)
    for option in BOOKMARK_RANGE:
        parser.add_argument(option, required=False)
    for option in ID_ARGUMENTS[1:]:
        parser.add_argument(option, required=False)
    parser.add_argument(ENCRYPTION_TYPE, choices=["sse-s3"])
    for name in TEMP_DIRS:
        parser.add_argument("--" + name, required=False)
    for name in options:
        if name not in TEMP_DIRS:
            parser.add_argument("--" + name, required=True)
    parsed, _unknown = parser.parse_known_args(list(args[1:]))
    resolved = vars(parsed)

    if resolved.get("TempDir") is not None:
        resolved["RedshiftTempDir"] = resolved["TempDir"]
    elif resolved.get("RedshiftTempDir") is not None:
        resolved["TempDir"] = resolved["RedshiftTempDir"]

    continuation = resolved.pop("continuation_option", None)
    if resolved.get("job_bookmark_option") is None:
        resolved["job_bookmark_option"] = (
            BOOKMARK_CHOICES[CONTINUATION_CHOICES.index(continuation)] if continuation else "job-bookmark-disable"
        )
    absent = [option for option in BOOKMARK_RANGE if resolved.get(option[2:].replace("-", "_")) is None]
    if resolved["job_bookmark_option"] == "job-bookmark-pause":
        if len(absent) == 1:
            raise RuntimeError("Missing option or value for " + absent[0])
    elif not absent:
        raise RuntimeError("Invalid option(s)" + " ".join(BOOKMARK_RANGE))
    _global_args.update(resolved)
    return resolved
