"""Corrections to moto's ASL interpreter where it runs a state machine differently from AWS.

One module per documented behaviour; this installs them all:

jsonpath        a definite JSONPath (``$.books[0].title``) selects one value
error_names     States.NoChoiceMatched, States.HeartbeatTimeout, what States.Timeout/States.ALL match
wait_timestamp  Wait Timestamp/TimestampPath in UTC, never early
map_tolerance   Distributed Map ToleratedFailureCount/Percentage (integers too)
intrinsic_strings  intrinsic functions read from the decoded JSON string (escaped quotes work)
"""

from __future__ import annotations

from embedded_aws.stepfunctions import error_names, intrinsic_strings, jsonpath, map_tolerance, wait_timestamp


def install() -> None:
    """Apply every interpreter fix (idempotent)."""
    jsonpath.install()
    error_names.install()
    wait_timestamp.install()
    map_tolerance.install()
    intrinsic_strings.install()
