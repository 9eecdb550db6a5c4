"""The pynt-compatible task runner behind build.py (no AWS needed)."""

from __future__ import annotations

import io
import subprocess
import sys
import types
from pathlib import Path

import pytest

from runners.build import settings as build_settings
from runners.build import stacks
from runners.build.runner import TaskError, UsageError, main, parse, task

ROOT = Path(__file__).resolve().parents[2]


def make_module(calls: list) -> types.ModuleType:
    """A build module like build.py, recording the calls of its tasks."""
    module = types.ModuleType("fake_build")
    module.__doc__ = "Configuration: FAKE_VAR"

    @task()
    def prepare():
        """Prepare things."""
        calls.append(("prepare",))

    @task(prepare)
    def compile_(*targets):
        """Compile targets.

        More help here."""
        calls.append(("compile_", *targets))

    @task(prepare, compile_)
    def ship(where, mode="fast"):
        """Ship it."""
        calls.append(("ship", where, mode))

    @task()
    def broken():
        """Fails as a task may."""
        raise TaskError("the thing is missing")

    @task()
    def buggy():
        """Has a bug."""
        raise ZeroDivisionError("oops")

    for func in (prepare, compile_, ship, broken, buggy):
        func.__module__ = module.__name__
        setattr(module, func.__name__, func)
    return module


def run(module, *argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(module, list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_arguments_and_keyword_arguments_in_brackets():
    calls: list = []
    module = make_module(calls)
    status, out, _ = run(module, "compile_[a,b]", "ship[moon,mode=slow]")
    assert status == 0
    # prepare runs once although both tasks depend on it; compile_ named on the
    # command line ran with its arguments, so ship does not run it again.
    assert calls == [("prepare",), ("compile_", "a", "b"), ("ship", "moon", "slow")]
    assert "[ ship[moon,mode=slow] ]" in out


def test_dependencies_run_first_without_arguments():
    calls: list = []
    status, _, _ = run(make_module(calls), "ship[sea]")
    assert status == 0
    assert calls == [("prepare",), ("compile_",), ("ship", "sea", "fast")]


def test_a_task_named_twice_runs_twice():
    calls: list = []
    run(make_module(calls), "compile_[x]", "compile_[y]")
    assert calls == [("prepare",), ("compile_", "x"), ("compile_", "y")]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nosuch"], "unknown task 'nosuch'"),
        (["shp[x]"], "did you mean ship"),
        (["ship"], "missing a required argument: 'where'"),
        (["ship[a,b,c]"], "too many positional arguments"),
        (["ship[where=a,b]"], "positional argument 'b' after a keyword"),
        (["ship[a,,b]"], "empty argument"),
        (["ship[a"], "cannot read"),
        (["ship[a,colour=red]"], "unexpected keyword argument 'colour'"),
        (["-x"], "unknown option '-x'"),
    ],
)
def test_bad_command_lines_fail_before_any_task_runs(argv, message):
    calls: list = []
    status, _, err = run(make_module(calls), "prepare", *argv)
    assert status == 2
    assert message in err and err.startswith("error: ")
    assert calls == []
    if argv[0].startswith("ship") and message != "cannot read":
        assert "usage: ship[where,mode?=fast]" in err


def test_task_errors_and_bugs_exit_non_zero():
    status, _, err = run(make_module([]), "broken")
    assert status == 1 and err == "error: the thing is missing\n"
    status, _, err = run(make_module([]), "buggy")
    assert status == 1 and "Traceback" in err and "ZeroDivisionError: oops" in err


def test_a_failing_task_stops_the_run():
    calls: list = []
    status, _, _ = run(make_module(calls), "broken", "prepare")
    assert status == 1 and calls == []


def test_listing_and_task_help():
    module = make_module([])
    for argv in ([], ["-l"], ["--list"], ["-h"]):
        status, out, _ = run(module, *argv)
        assert status == 0
        rows = {line.split()[0]: " ".join(line.split()[1:]) for line in out.splitlines() if line.startswith("  ") and not line.strip().startswith("(")}
        assert rows["compile_[targets...]"] == "Compile targets."
        assert "ship[where,mode?=fast]" in out and "(runs first: prepare, compile_)" in out
        assert "Configuration: FAKE_VAR" in out
        assert "More help here" not in out  # only the summary in the list
    status, out, _ = run(module, "-h", "compile_")
    assert status == 0 and "More help here." in out
    status, _, err = run(module, "-h", "nosuch")
    assert status == 2 and "unknown task" in err


def test_dependencies_must_be_tasks():
    def plain():
        pass

    with pytest.raises(TypeError):
        task(plain)


def test_parse_keeps_values_as_strings():
    module = make_module([])
    (invocation,) = parse(["ship[ s3://b/k , mode=a=b ]"], module)
    assert invocation.args == ("s3://b/k",) and invocation.kwargs == {"mode": "a=b"}
    with pytest.raises(UsageError):
        parse(["ship[]"], module)


def test_build_py_lists_every_task_and_its_configuration_as_a_process():
    listed = subprocess.run([sys.executable, "build.py", "-l"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    bare = subprocess.run([sys.executable, "build.py"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and bare.returncode == 0
    assert listed.stdout == bare.stdout
    expected = [
        "clean", "packagelambda[functions...]", "deploylambda[functions...]", "updatelambda[functions...]",
        "renderpipelines[pipelines...]", "deploygluescripts[pipelines...]", "uploaddefinition[pipelines...]",
        "deploypipelines[pipelines...]", "deploy", "lockimage", "buildimage", "pushimage", "rolloutservice", "createstack[stacks...]", "updatestack[stacks...]",
        "deletestack[stacks...]", "stackstatus[stacks...]", "enableschedule[name?]", "disableschedule[name?]",
        "startexecution[run_date?,pipeline?]", "deletes3bucket[bucket,confirm?]",
    ]  # fmt: skip
    task_lines = [line.split()[0] for line in listed.stdout.splitlines() if line.startswith("  ") and line.split() and not line.strip().startswith("(")]
    assert task_lines[: len(expected)] == expected
    # The help documents every setting and every parameter the build fills.
    names = [getattr(build_settings, n) for n in dir(build_settings) if n.startswith("ENV_")]
    for name in [*names, *stacks.BUILD_PARAMETERS, "AWS_REGION", "AWS_ENDPOINT_URL", "<NO-DEFAULT>"]:
        assert name in listed.stdout, name


def test_build_py_unknown_task_as_a_process():
    done = subprocess.run([sys.executable, "build.py", "clean", "deploystuff[x]"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "unknown task 'deploystuff'" in done.stderr
    assert "[ clean ]" not in done.stdout  # nothing ran
