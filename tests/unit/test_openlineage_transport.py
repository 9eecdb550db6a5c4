"""ETL_OPENLINEAGE_TRANSPORT: where the run events go."""

from __future__ import annotations

import time

import pytest

from runners.openlineage_events import transport_config


def test_off_by_default_and_each_transport_spelled_as_documented(monkeypatch):
    monkeypatch.delenv("ETL_OPENLINEAGE_TRANSPORT", raising=False)
    monkeypatch.delenv("OPENLINEAGE_API_KEY", raising=False)
    assert transport_config() is None and transport_config("off") is None
    assert transport_config("console") == {"type": "console"}
    assert transport_config("file:/tmp/events.jsonl") == {"type": "file", "log_file_path": "/tmp/events.jsonl", "append": True}
    http = transport_config("http://marquez:5000/")
    assert (http["type"], http["url"], http["timeout"], http["retry"]["total"]) == ("http", "http://marquez:5000", 5.0, 1)
    assert transport_config("client") == {}
    monkeypatch.setenv("OPENLINEAGE_API_KEY", "k")
    assert transport_config("https://lineage.example.com")["auth"] == {"type": "api_key", "apiKey": "k"}


@pytest.mark.parametrize("value", ["kafka", "ftp://x"])
def test_anything_else_is_refused_naming_the_choices(value):
    with pytest.raises(ValueError, match="expected off, console, file:PATH"):
        transport_config(value)


def test_a_file_transport_needs_a_path():
    with pytest.raises(ValueError, match="needs a path"):
        transport_config("file:")


def test_an_unreachable_backend_stops_the_sending_at_once():
    """The run report waits for the events: a backend that is down costs one refused event, not one per event."""
    import socket
    from datetime import datetime, timezone

    from runners.execution_report import ExecutionReport
    from runners.openlineage_events import emit

    with socket.socket() as probe:  # a local port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = ExecutionReport("p", "arn:aws:states:us-east-1:123456789012:execution:m:e", "e", "arn:m", "FAILED", "2026-11-30",
                             datetime(2026, 11, 30, tzinfo=timezone.utc), datetime(2026, 11, 30, 0, 5, tzinfo=timezone.utc))
    started = time.monotonic()
    with pytest.raises(Exception):  # the transport's own error, logged by the caller
        emit(report, f"http://127.0.0.1:{port}")
    assert time.monotonic() - started < 10
