"""The compatibility check names what changed in moto instead of failing obscurely."""

from __future__ import annotations

import moto
import pytest
from moto.glue.responses import GlueResponse
from moto.stepfunctions.parser.asl.eval.callback.callback import HeartbeatEndpoint
from moto.stepfunctions.responses import StepFunctionResponse

from embedded_aws import EmulatorCompatibilityError
from embedded_aws import compat
from embedded_aws import extensions


def test_the_pinned_moto_passes_even_after_install():
    extensions.install()
    compat.check()


def test_another_moto_version_is_named(monkeypatch):
    monkeypatch.setattr(moto, "__version__", "5.3.0")
    with pytest.raises(EmulatorCompatibilityError) as excinfo:
        compat.check()
    assert "'5.3.0'" in str(excinfo.value) and compat.EXPECTED_MOTO_VERSION in str(excinfo.value)


def test_a_changed_internal_is_named(monkeypatch):
    monkeypatch.delattr(HeartbeatEndpoint, "clear_and_wait")
    monkeypatch.delattr(GlueResponse, "get_job_runs")
    with pytest.raises(EmulatorCompatibilityError) as excinfo:
        compat.check()
    problems = excinfo.value.problems
    assert any("HeartbeatEndpoint.clear_and_wait" in p for p in problems)
    assert any("GlueResponse.get_job_runs" in p for p in problems)


def test_install_is_idempotent():
    extensions.install()
    patched = StepFunctionResponse.get_activity_task, GlueResponse.create_job
    extensions.install()
    assert (StepFunctionResponse.get_activity_task, GlueResponse.create_job) == patched
    assert not hasattr(GlueResponse.create_job.__wrapped__, "__wrapped__")  # wrapped once, not twice
