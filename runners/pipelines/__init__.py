"""Pipelines as data: one file per pipeline under ``pipelines/``, rendered into
everything AWS needs (state machine, Glue jobs, tables' DDL, stacks).

The package's names load lazily: the trigger function (a Lambda handler)
imports ``runners.pipelines.triggers`` without the file loader's YAML and
JSON Schema dependencies.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .loader import load_pipeline
    from .model import Pipeline
    from .source import PipelineFileError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PIPELINES_DIR = PROJECT_ROOT / "pipelines"
SAMPLE_PIPELINE = PIPELINES_DIR / "sales_marketing.yaml"
SUFFIXES = (".yaml", ".yml")

_LAZY = {"load_pipeline": ".loader", "Pipeline": ".model", "PipelineFileError": ".source"}


class PipelinesExtraMissing(ValueError):
    """Reading pipeline files needs the 'pipelines' extra (YAML, JSON Schema)."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        try:
            return getattr(import_module(_LAZY[name], __name__), name)
        except ModuleNotFoundError as exc:
            raise PipelinesExtraMissing(f"reading pipeline files needs {exc.name!r}: pip install 'etl-runner[pipelines]'") from None
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def pipeline_files(folder: Path = PIPELINES_DIR) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file())


def find_pipeline_file(name_or_path: str, folder: Path = PIPELINES_DIR) -> Path:
    """A path to a file, or the name of a pipeline in ``folder`` (by its
    ``pipeline:`` name or its file name)."""
    load_pipeline = __getattr__("load_pipeline")
    PipelineFileError = __getattr__("PipelineFileError")  # noqa: N806

    candidate = Path(name_or_path)
    if candidate.suffix in SUFFIXES and candidate.is_file():
        return candidate
    for path in pipeline_files(folder):
        if path.stem in (name_or_path, name_or_path.replace("-", "_")):
            return path
    for path in pipeline_files(folder):
        try:
            if load_pipeline(path).name == name_or_path:
                return path
        except PipelineFileError:
            continue
    known = ", ".join(p.stem for p in pipeline_files(folder)) or "none"
    raise PipelineFileError([f"no pipeline named {name_or_path!r} in {folder.name}/ (found: {known})"])


__all__ = ["Pipeline", "PipelineFileError", "load_pipeline", "pipeline_files", "find_pipeline_file", "PIPELINES_DIR", "SAMPLE_PIPELINE", "PROJECT_ROOT"]
