"""A tiny pynt-compatible task runner.

pynt imports a module that Python 3.12 removed, so ``build.py`` uses this
instead; the invocation style stays pynt's::

    python build.py                       # list the tasks with their help
    python build.py -l                    # the same
    python build.py -h createstack        # one task's whole help
    python build.py clean packagelambda   # several tasks, in order
    python build.py createstack[glue-resources]
    python build.py packagelambda[all_runners,job_events]
    python build.py deletes3bucket[my-bucket,confirm=yes]

A task is a function decorated with ``@task(*dependencies)``; its docstring
is its help (the first line is the summary in the listing). Arguments in
brackets are split on commas; ``name=value`` items are keyword arguments;
all values are strings. Dependencies run first, without arguments, and at
most once per invocation; a task named on the command line always runs.

The listing shows each task's arguments: ``name`` is required, ``name?``
optional, ``name...`` any number. A task fails by raising
:class:`TaskError`, printed as ``error: ...`` without a traceback (exit
status 1; 2 for a bad command line, before any task runs). AWS errors
(botocore) are printed the same way. Any other exception is a bug and is
printed with its traceback (exit status 1).
"""

from __future__ import annotations

import inspect
import re
import sys
import traceback
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Iterable, Sequence, TextIO

from botocore.exceptions import BotoCoreError, ClientError

_TASK_ATTR = "__build_task__"
_INVOCATION = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<args>.*)\])?$", re.DOTALL)


class TaskError(Exception):
    """A task failed for a reason the user can act on (no traceback shown)."""


class UsageError(TaskError):
    """The command line names an unknown task or passes bad arguments."""


@dataclass(frozen=True)
class Task:
    func: Callable[..., Any]
    dependencies: tuple[Callable[..., Any], ...]

    @property
    def name(self) -> str:
        return self.func.__name__

    @property
    def help(self) -> str:
        return inspect.cleandoc(self.func.__doc__ or "(no help)")

    @property
    def summary(self) -> str:
        return self.help.split("\n\n", 1)[0].replace("\n", " ")

    @property
    def usage(self) -> str:
        parts: list[str] = []
        for param in inspect.signature(self.func).parameters.values():
            if param.kind is param.VAR_POSITIONAL:
                parts.append(f"{param.name}...")
            elif param.kind is param.VAR_KEYWORD:
                parts.append(f"{param.name}=...")
            elif param.default is param.empty:
                parts.append(param.name)
            elif param.default is None:
                parts.append(f"{param.name}?")
            else:
                parts.append(f"{param.name}?={param.default}")
        return f"{self.name}[{','.join(parts)}]" if parts else self.name


def task(*dependencies: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a function as a build task that depends on ``dependencies`` (other tasks)."""
    for dependency in dependencies:
        if not hasattr(dependency, _TASK_ATTR):
            raise TypeError(f"@task dependency {dependency!r} is not a task (decorate it with @task() first)")

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        setattr(func, _TASK_ATTR, Task(func, tuple(dependencies)))
        return func

    return decorate


def _all_tasks(module: ModuleType) -> dict[str, Task]:
    found = [getattr(value, _TASK_ATTR) for value in vars(module).values() if callable(value) and hasattr(value, _TASK_ATTR)]
    return {t.name: t for t in found if t.func.__module__ == module.__name__}


def tasks_of(module: ModuleType) -> list[Task]:
    """The module's public tasks in definition order (``_private`` ones run but are not listed)."""
    found = [t for t in _all_tasks(module).values() if not t.name.startswith("_")]
    return sorted(found, key=lambda t: t.func.__code__.co_firstlineno)


@dataclass(frozen=True)
class Invocation:
    task: Task
    args: tuple[str, ...]
    kwargs: dict[str, str]


def parse(argv: Sequence[str], module: ModuleType) -> list[Invocation]:
    """``["createstack[a,b]", "clean"]`` -> invocations, or :class:`UsageError`."""
    by_name = _all_tasks(module)
    invocations: list[Invocation] = []
    for word in argv:
        match = _INVOCATION.match(word)
        if not match:
            raise UsageError(f"cannot read {word!r}: write TASK or TASK[arg,...] (quote it if your shell expands brackets)")
        name = match.group("name")
        found = by_name.get(name)
        if found is None:
            hint = _close_names(name, by_name)
            raise UsageError(f"unknown task {name!r}{hint}; `python build.py -l` lists the tasks")
        try:
            args, kwargs = _split_args(match.group("args"))
        except UsageError as exc:
            raise UsageError(f"bad arguments for {name}: {exc}; usage: {found.usage}") from None
        _check_binding(found, args, kwargs)
        invocations.append(Invocation(found, args, kwargs))
    return invocations


def _close_names(name: str, known: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=2)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def _split_args(text: str | None) -> tuple[tuple[str, ...], dict[str, str]]:
    if text is None or text.strip() == "":
        return (), {}
    args: list[str] = []
    kwargs: dict[str, str] = {}
    for item in (part.strip() for part in text.split(",")):
        if item == "":
            raise UsageError(f"empty argument in [{text}]")
        key, sep, value = item.partition("=")
        if sep and key.isidentifier():
            if key in kwargs:
                raise UsageError(f"argument {key} given twice in [{text}]")
            kwargs[key] = value
        else:
            if kwargs:
                raise UsageError(f"positional argument {item!r} after a keyword argument in [{text}]")
            args.append(item)
    return tuple(args), kwargs


def _check_binding(found: Task, args: tuple[str, ...], kwargs: dict[str, str]) -> None:
    try:
        inspect.signature(found.func).bind(*args, **kwargs)
    except TypeError as exc:
        raise UsageError(f"bad arguments for {found.name}: {exc}; usage: {found.usage}") from None


class Runner:
    """Runs invocations with their dependencies, each dependency at most once."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._done: set[str] = set()

    def run(self, invocation: Invocation) -> None:
        self._dependencies_of(invocation.task, chain=())
        self._call(invocation.task, invocation.args, invocation.kwargs)

    def _dependencies_of(self, current: Task, chain: tuple[str, ...]) -> None:
        for func in current.dependencies:
            dependency: Task = getattr(func, _TASK_ATTR)
            if dependency.name in chain:
                raise TaskError(f"dependency cycle: {' -> '.join((*chain, dependency.name))}")
            if dependency.name in self._done:
                continue
            self._dependencies_of(dependency, (*chain, current.name))
            self._call(dependency, (), {})

    def _call(self, current: Task, args: tuple[str, ...], kwargs: dict[str, str]) -> None:
        shown = current.name + (f"[{','.join([*args, *(f'{k}={v}' for k, v in kwargs.items())])}]" if args or kwargs else "")
        print(f"[ {shown} ]", file=self._out, flush=True)
        current.func(*args, **kwargs)
        self._done.add(current.name)


def listing(module: ModuleType) -> str:
    """The task list with each task's usage and summary, then the module's help."""
    found = tasks_of(module)
    width = max((len(t.usage) for t in found), default=0)
    lines = ["Tasks (python build.py TASK[arg,...] [TASK ...]; -h TASK for a task's whole help):", ""]
    for item in found:
        lines.append(f"  {item.usage.ljust(width)}  {item.summary}")
        if item.dependencies:
            names = ", ".join(getattr(d, _TASK_ATTR).name for d in item.dependencies)
            lines.append(f"  {''.ljust(width)}  (runs first: {names})")
    doc = inspect.cleandoc(module.__doc__ or "")
    if doc:
        lines += ["", doc]
    return "\n".join(lines)


def task_help(module: ModuleType, name: str) -> str:
    found = {t.name: t for t in tasks_of(module)}
    if name not in found:
        raise UsageError(f"unknown task {name!r}{_close_names(name, found)}")
    item = found[name]
    return f"{item.usage}\n\n{item.help}"


def main(module: ModuleType, argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Entry point of ``build.py``; returns the process exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        if not argv or argv in (["-l"], ["--list"]):
            print(listing(module), file=out)
            return 0
        if argv[0] in ("-h", "--help"):
            if len(argv) == 1:
                print(listing(module), file=out)
            else:
                print("\n\n".join(task_help(module, name) for name in argv[1:]), file=out)
            return 0
        options = [word for word in argv if word.startswith("-")]
        if options:
            raise UsageError(f"unknown option {options[0]!r} (options: -l/--list, -h/--help [TASK])")
        runner = Runner(out)
        for invocation in parse(argv, module):
            runner.run(invocation)
        return 0
    except TaskError as exc:
        out.flush()
        print(f"error: {exc}", file=err, flush=True)
        return 2 if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        print("interrupted", file=err, flush=True)
        return 130
    except (ClientError, BotoCoreError) as exc:  # AWS refused or could not be reached
        out.flush()
        print(f"error: {exc}", file=err, flush=True)
        return 1
    except Exception:  # a bug in a task: show where
        out.flush()
        traceback.print_exc(file=err)
        return 1
