"""Reading a pipeline file: YAML to plain data, remembering where each value
came from, so every error can name the line and the field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

FieldPath = tuple[str | int, ...]


class PipelineFileError(ValueError):
    """A pipeline file is malformed; the message names the file, line and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def field_name(path: Iterable[str | int]) -> str:
    """``('steps', 'join', 'after', 0)`` -> ``steps.join.after[0]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


@dataclass(frozen=True)
class SourceFile:
    """A parsed pipeline file: its data and the line of every field."""

    path: Path
    data: Any
    lines: dict[FieldPath, int]

    def line_of(self, path: FieldPath) -> int:
        """The line of the field, or of its nearest parent that exists."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def problem(self, path: FieldPath, message: str) -> str:
        return f"{self.path.name}:{self.line_of(path)}: {field_name(path)}: {message}"


def read_source(path: Path) -> SourceFile:
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise PipelineFileError([f"{path.name}:{line}: not valid YAML: {exc.problem}"]) from None
    if node is None:
        raise PipelineFileError([f"{path.name}:1: the file is empty; expected a pipeline (see pipeline.schema.json)"])
    lines: dict[FieldPath, int] = {}
    data = _convert(node, (), lines, path)
    return SourceFile(path, data, lines)


def _convert(node: yaml.Node, path: FieldPath, lines: dict[FieldPath, int], file: Path) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            # Keys are names: YAML 1.1 would read `on:` or `yes:` as booleans.
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(_scalar(key_node))
            if key in result:
                raise PipelineFileError([f"{file.name}:{key_node.start_mark.line + 1}: {field_name(path + (key,))}: defined twice"])
            result[key] = _convert(value_node, path + (key,), lines, file)
            lines[path + (key,)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (index,), lines, file) for index, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()
