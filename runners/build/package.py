"""Deterministic Lambda package: same sources and dependencies -> same bytes.

One zip serves every function (they differ only in their handler). It
holds the ``runners`` package (without ``runners/local`` and
``runners/build``, which Lambda never runs) and the runtime dependencies the
Lambda Python runtime lacks (boto3 and botocore are in the runtime). The
dependencies are copied from the installed distributions (their
``importlib.metadata`` file lists), so packaging works offline and only
pure-Python distributions are accepted; a compiled one would need
``pip install --target DIR --platform manylinux2014_x86_64
--only-binary=:all: --python-version 3.12`` instead, and packaging stops
with that advice.

Determinism: entries sorted by name, every timestamp 1980-01-01 00:00, mode
0644 for every file, no directory entries, fixed compression level, no
``__pycache__`` or ``.pyc`` files. The S3 key carries the zip's SHA-256, so
a changed package gets a new key and CloudFormation sees the change.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Mapping

from runners.build.runner import TaskError

# Lambda handler of each function, by the names the build tasks accept.
HANDLERS: dict[str, str] = {
    "all_runners": "runners.handlers.all_runners",
    "job_events": "runners.handlers.job_events",
    "object_created": "runners.handlers.object_created",
    "pipeline_trigger": "runners.handlers.pipeline_trigger",
}

# Distributions the Lambda Python runtime already provides.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"})
# Distributions the package carries (runners' install_requires minus the runtime's):
# the runners' own, then the OpenLineage client the trigger function sends run
# events with (runners.openlineage_events) and what it imports.
BUNDLED = ("pynamodb", "structlog", "tenacity", "aws-croniter",
           "openlineage-python", "attrs", "pyyaml", "requests", "charset-normalizer", "idna", "certifi", "packaging",
           "httpx2", "httpcore2", "h11", "anyio", "truststore", "typing-extensions")
# Distributions whose compiled modules are optional accelerators with a pure-Python
# twin beside them: the package leaves the compiled files out instead of refusing.
PURE_FALLBACK = {
    "pyyaml": "yaml.CLoader and friends are optional; yaml.SafeLoader is pure Python",
    "charset-normalizer": "cd.py and md.py are the sources mypyc compiled",
}
PROJECT_DISTRIBUTION = "etl-runner"
TARGET_PYTHON = "3.12"

PACKAGE_NAME = "etl-runner-lambda.zip"
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
COMPRESSLEVEL = 9

_EXCLUDED_RUNNERS_DIRS = {"local", "build", "tests", "__pycache__"}
_EXCLUDED_SUFFIXES = {".pyc", ".pyo"}
_NATIVE_SUFFIXES = {".so", ".pyd", ".dylib", ".dll"}
_SKIPPED_METADATA = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


@dataclass(frozen=True)
class Package:
    path: Path
    sha256: str
    size: int
    entries: int
    bundled: dict[str, str]  # distribution -> version

    @property
    def s3_key(self) -> str:
        """Content-addressed key: a new package gets a new key."""
        return f"lambda/etl-runner-{self.sha256[:16]}.zip"


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def functions_from(names: Iterable[str]) -> list[str]:
    """Validate function names (none means all of them)."""
    chosen = list(names) or list(HANDLERS)
    unknown = [n for n in chosen if n not in HANDLERS]
    if unknown:
        raise TaskError(f"unknown Lambda function(s) {', '.join(unknown)}; known: {', '.join(HANDLERS)}")
    return chosen


def runners_files(repo_root: Path) -> dict[str, Path]:
    """The runners package's files a Lambda needs, by archive name."""
    package_dir = repo_root / "runners"
    files: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*")):
        relative = path.relative_to(package_dir)
        if not path.is_file() or path.suffix in _EXCLUDED_SUFFIXES:
            continue
        if any(part in _EXCLUDED_RUNNERS_DIRS for part in relative.parts[:-1]):
            continue
        files[f"runners/{relative.as_posix()}"] = path
    return files


def _required(requirement: str) -> str | None:
    """The distribution a requirement needs on the target Python, or None."""
    name_part, _, marker = requirement.partition(";")
    name = normalize(re.split(r"[\s\[<>=!~(]", name_part.strip(), maxsplit=1)[0])
    if not marker.strip():
        return name
    try:
        from packaging.markers import Marker
    except ImportError:  # without packaging, assume a marker excludes it
        return None
    applies = Marker(marker.strip()).evaluate({"python_version": TARGET_PYTHON, "python_full_version": f"{TARGET_PYTHON}.0", "extra": ""})
    return name if applies else None


def check_bundle_complete() -> None:
    """Every runtime requirement of the project and of the bundled distributions
    is either bundled or in the Lambda runtime; otherwise fail, naming it."""
    bundled = {normalize(n) for n in BUNDLED}
    requirements: list[tuple[str, str]] = []
    try:
        project = importlib.metadata.distribution(PROJECT_DISTRIBUTION)
        requirements += [(PROJECT_DISTRIBUTION, r) for r in project.requires or []]
    except importlib.metadata.PackageNotFoundError:
        pass  # a checkout that is not installed: only the bundle's own requirements
    for name in BUNDLED:
        requirements += [(name, r) for r in _distribution(name).requires or []]
    missing = sorted({f"{needed} (required by {owner})" for owner, req in requirements if (needed := _required(req)) and needed not in bundled and needed not in RUNTIME_PROVIDED})
    if missing:
        raise TaskError(f"the Lambda package would lack {', '.join(missing)}: add it to runners.build.package.BUNDLED")


def _distribution(name: str) -> importlib.metadata.Distribution:
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise TaskError(f"{name} is not installed in this environment; `pip install -e .` first") from None


def dependency_files(names: Iterable[str] = BUNDLED) -> tuple[dict[str, Path], dict[str, str]]:
    """Installed files of the bundled distributions, by archive name, and their versions."""
    files: dict[str, Path] = {}
    versions: dict[str, str] = {}
    for name in names:
        dist = _distribution(name)
        versions[name] = dist.version
        for entry in dist.files or []:
            posix = PurePosixPath(entry.as_posix())
            if posix.parts[0] == ".." or "__pycache__" in posix.parts or posix.suffix in _EXCLUDED_SUFFIXES:
                continue  # scripts outside site-packages, byte code
            if posix.parent.name.endswith(".dist-info") and posix.name in _SKIPPED_METADATA:
                continue  # install-time records, not part of the distribution's content
            if posix.suffix in _NATIVE_SUFFIXES or ".cpython-" in posix.name:
                if normalize(name) in PURE_FALLBACK:
                    continue
                raise TaskError(
                    f"{name} {dist.version} is not pure Python ({posix}); install it for Lambda with "
                    f"`pip install --target DIR --no-deps --only-binary=:all: --platform manylinux2014_x86_64 --python-version {TARGET_PYTHON} {name}`"
                )
            path = Path(str(dist.locate_file(entry)))
            if not path.is_file():
                raise TaskError(f"{name}: installed file {path} is missing; reinstall {name}")
            files[str(posix)] = path
    return files, versions


def build_zip(files: Mapping[str, Path]) -> bytes:
    """The zip of ``files`` (archive name -> path), byte-for-byte reproducible."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            info.create_system = 3  # Unix, so external_attr holds the mode
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name].read_bytes(), compresslevel=COMPRESSLEVEL)
    return buffer.getvalue()


def package_lambda(repo_root: Path, out_dir: Path) -> Package:
    """Build the Lambda zip into ``out_dir`` and describe it."""
    check_bundle_complete()
    files = runners_files(repo_root)
    for name, handler in HANDLERS.items():
        module = "runners/" + handler.split(".")[1] + ".py"
        if module not in files:
            raise TaskError(f"handler module {module} of {name} is missing")
    deps, versions = dependency_files()
    clash = sorted(set(files) & set(deps))
    if clash:
        raise TaskError(f"dependency files clash with runners files: {', '.join(clash[:5])}")
    data = build_zip({**files, **deps})
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / PACKAGE_NAME
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return Package(path, hashlib.sha256(data).hexdigest(), len(data), len(files) + len(deps), versions)


def built_package(out_dir: Path) -> Package:
    """The package ``packagelambda`` left in ``out_dir`` (without rebuilding)."""
    path = out_dir / PACKAGE_NAME
    if not path.is_file():
        raise TaskError(f"no Lambda package at {path}: run `python build.py packagelambda` first")
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = len(archive.namelist())
    return Package(path, hashlib.sha256(data).hexdigest(), len(data), entries, {})
