"""ETL_OPENLINEAGE_TRANSPORT: where the run events go."""

from __future__ import annotations

import pytest

from runners.openlineage_events import transport_config


def test_off_by_default_and_each_transport_spelled_as_documented(monkeypatch):
    monkeypatch.delenv("ETL_OPENLINEAGE_TRANSPORT", raising=False)
    monkeypatch.delenv("OPENLINEAGE_API_KEY", raising=False)
    assert transport_config() is None and transport_config("off") is None
    assert transport_config("console") == {"type": "console"}
    assert transport_config("file:/tmp/events.jsonl") == {"type": "file", "log_file_path": "/tmp/events.jsonl", "append": True}
    assert transport_config("http://marquez:5000/") == {"type": "http", "url": "http://marquez:5000", "timeout": 5.0}
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
