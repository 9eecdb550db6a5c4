"""The health signal: the file a serving process rewrites, `etl-runner health`
judging it, and what a worker and a group of workers count as a problem."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import pytest

from runners.cli import main
from runners.health import HealthBeacon, read_health
from runners.worker import Worker
from runners.worker_group import WorkerGroup


def beacon(path, problems: list[str], clock=lambda: 1000.0) -> HealthBeacon:
    return HealthBeacon(path, interval=0.05, probe=lambda: list(problems), clock=clock)


def test_a_healthy_process_writes_a_fresh_healthy_file(tmp_path):
    path = tmp_path / "sub" / "health.json"
    beacon(path, []).write_once()
    assert json.loads(path.read_text())["healthy"] is True
    assert read_health(path, max_age_seconds=30, now=1010.0).healthy


def test_a_stale_file_is_unhealthy_whatever_it_says(tmp_path):
    path = tmp_path / "health.json"
    beacon(path, []).write_once()
    verdict = read_health(path, max_age_seconds=30, now=1031.0)
    assert not verdict.healthy and "31 s old" in verdict.reason


def test_problems_are_written_and_named_by_the_verdict(tmp_path):
    path = tmp_path / "health.json"
    beacon(path, ["glue: thread poller-1 has died"]).write_once()
    verdict = read_health(path, max_age_seconds=30, now=1000.0)
    assert not verdict.healthy and "glue: thread poller-1 has died" in verdict.reason


@pytest.mark.parametrize("content", [None, "", "{not json", '{"healthy": true}', '{"healthy": "yes", "written_at": 1000}'])
def test_a_missing_or_malformed_file_is_unhealthy(tmp_path, content):
    path = tmp_path / "health.json"
    if content is not None:
        path.write_text(content)
    assert not read_health(path, max_age_seconds=30, now=1000.0).healthy


def test_a_failing_probe_is_a_problem_not_a_crash(tmp_path):
    def probe() -> list[str]:
        raise RuntimeError("boom")

    path = tmp_path / "health.json"
    assert HealthBeacon(path, 1.0, probe).write_once() == ["health probe failed: boom"]
    assert not read_health(path, 30).healthy


def test_the_beacon_rewrites_until_stopped_then_removes_its_file(tmp_path):
    path = tmp_path / "health.json"
    times = iter(range(1, 10_000))
    running = beacon(path, [], clock=lambda: float(next(times))).start()
    first = json.loads(path.read_text())["written_at"]
    threading.Event().wait(0.3)
    assert json.loads(path.read_text())["written_at"] > first
    running.stop()
    assert not path.exists()


@pytest.mark.parametrize(("problems", "age", "code"), [([], 1.0, 0), ([], 100.0, 1), (["athena: checker loop stuck"], 1.0, 1)])
def test_the_health_command_exits_0_only_when_fresh_and_healthy(tmp_path, capsys, monkeypatch, problems, age, code):
    path = tmp_path / "health.json"
    import time

    beacon(path, problems, clock=lambda: time.time() - age).write_once()
    assert main(["health", "--file", str(path), "--max-age", "30"]) == code
    out = capsys.readouterr()
    assert ("healthy" in out.out) if code == 0 else (out.err.strip() != "")
    monkeypatch.setenv("ETL_HEALTH_FILE", str(path))
    assert main(["health", "--max-age", "30"]) == code  # the same file through the environment


def fake_worker(kind: str = "glue") -> Worker:
    lifecycle = SimpleNamespace(events=None, adapter=SimpleNamespace(kind=kind), settings=SimpleNamespace(sweep_interval_seconds=60.0))
    return Worker(lifecycle, f"arn:aws:states:us-east-1:123456789012:activity:{kind}", pollers=1, check_interval_seconds=0.5)


def test_a_worker_is_well_while_its_loops_come_round_and_its_threads_live():
    worker = fake_worker()
    now = worker._checker_at + 10
    assert worker.health_problems(stuck_after=60, now=now) == []
    assert worker.health_problems(stuck_after=5, now=now) == [
        "glue: checker loop has not come round for 10 s",
        "glue: heartbeats loop has not come round for 10 s",
    ]
    dead = threading.Thread(target=lambda: None, name="poller-0")
    dead.start()
    dead.join()
    worker._threads = [dead]
    assert worker.health_problems(stuck_after=60, now=now) == ["glue: thread poller-0 has died"]
    worker.request_shutdown()
    assert worker.health_problems(stuck_after=5, now=now) == [], "a draining worker's threads end on purpose"


class ServeStub:
    """A worker whose serve() returns when told to stop, or at once when it 'dies'."""

    def __init__(self, kind: str, dies: bool = False) -> None:
        self.activity_arn = f"arn:aws:states:us-east-1:123456789012:activity:{kind}"
        self.stopped = threading.Event()
        self.cold = False
        self.dies = dies

    def serve(self) -> None:
        if self.dies:
            raise RuntimeError("table is gone")
        self.stopped.wait(10)

    def request_shutdown(self) -> None:
        self.stopped.set()

    def stop_now(self) -> bool:
        self.cold = True
        return True

    def health_problems(self, stuck_after: float, now: float) -> list[str]:
        return []


def test_a_group_drains_every_worker_on_one_request_and_exits_0():
    workers = {"glue": ServeStub("glue"), "wait": ServeStub("wait")}
    group = WorkerGroup(workers, stuck_after_seconds=60)  # type: ignore[arg-type]
    threading.Timer(0.2, group.request_shutdown).start()
    assert group.serve() == 0
    assert all(w.stopped.is_set() for w in workers.values()) and group.stopping


def test_a_group_whose_worker_dies_stops_the_others_reports_it_and_exits_1():
    workers = {"glue": ServeStub("glue"), "athena": ServeStub("athena", dies=True)}
    group = WorkerGroup(workers, stuck_after_seconds=60)  # type: ignore[arg-type]
    assert group.serve() == 1
    assert workers["glue"].stopped.is_set()
    assert group.health_problems() == ["athena: worker stopped (RuntimeError: table is gone)"]


def test_a_cold_stop_reaches_every_worker():
    workers = {"glue": ServeStub("glue"), "athena": ServeStub("athena")}
    group = WorkerGroup(workers, stuck_after_seconds=60)  # type: ignore[arg-type]
    assert group.stop_now() is True and all(w.cold and w.stopped.is_set() for w in workers.values())
