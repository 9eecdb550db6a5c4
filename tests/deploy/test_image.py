"""The runner image, checked without Docker: the Dockerfile's promises
(pinned base, multi-stage, non-root numeric user, read-only friendly,
entry point and health check), the lock covering exactly the runtime
dependencies, and the content tag that names an image by its sources.
No image is built here (that needs Docker: `python build.py buildimage`)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from runners import config
from runners.build import image
from runners.build.runner import TaskError

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", "\n".join(l for l in DOCKERFILE.splitlines() if not l.lstrip().startswith("#")))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "") for line in text.splitlines() if line.strip()]


def final_stage() -> list[tuple[str, str]]:
    found = instructions()
    last_from = max(i for i, (op, _) in enumerate(found) if op == "FROM")
    return found[last_from:]


def test_the_base_image_is_pinned_to_an_exact_release_or_digest_and_never_latest():
    (arg,) = [a for op, a in instructions() if op == "ARG" and a.startswith("PYTHON_IMAGE=")]
    base = arg.split("=", 1)[1]
    assert "latest" not in base
    assert re.fullmatch(r"python:3\.12\.\d+-slim(-bookworm)?(@sha256:[0-9a-f]{64})?", base), base
    froms = [a for op, a in instructions() if op == "FROM"]
    assert len(froms) >= 2 and all(a.startswith("${PYTHON_IMAGE}") for a in froms), "multi-stage, every stage on the pinned base"


def test_the_image_runs_as_a_numeric_non_root_user_with_the_cli_as_entry_point():
    stage = final_stage()
    users = [a for op, a in stage if op == "USER"]
    assert users and re.fullmatch(r"[1-9]\d*:[1-9]\d*", users[-1]), users
    assert ("ENTRYPOINT", '["etl-runner"]') in stage and ("CMD", '["serve", "all"]') in stage
    (health,) = [a for op, a in stage if op == "HEALTHCHECK"]
    assert 'CMD ["etl-runner", "health"' in health
    # The runtime stage holds the venv only: nothing is installed or compiled in it.
    assert not [a for op, a in stage if op == "RUN"]
    assert [a for op, a in stage if op == "COPY"] == ["--from=build /opt/etl-runner /opt/etl-runner"]


def test_the_image_works_on_a_read_only_root_filesystem():
    env = " ".join(a for op, a in final_stage() if op == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "HOME=/tmp" in env
    health_file = re.search(r"ETL_HEALTH_FILE=(\S+)", env).group(1)
    assert health_file.startswith("/tmp/")
    names = set(re.findall(r"\b(ETL_[A-Z_]+)=", env))
    known = {v for k, v in vars(config).items() if k.startswith("ENV_") and isinstance(v, str)}
    assert names and names <= known, names - known
    assert "compileall" in DOCKERFILE, "bytecode is compiled at build time, not written at run time"


def test_dependencies_come_from_the_lock_only_and_pip_check_proves_it_complete():
    runs = " ".join(a for op, a in instructions() if op == "RUN")
    assert f"--no-deps -r {image.LOCK_FILE}" in runs and "pip install --no-deps /wheels/" in runs and "pip check" in runs
    assert "--no-build-isolation" in runs and re.search(r"setuptools==\d", runs) and re.search(r"wheel==\d", runs)


def test_the_lock_pins_exactly_the_runtime_closure_installed_here():
    closure = image.runtime_closure(image.install_requires(ROOT / "setup.cfg"))
    locked = image.read_lock(ROOT / image.LOCK_FILE)
    assert locked == closure, "run `python build.py lockimage`"
    direct = {canonicalize_name(r.name) for r in image.install_requires(ROOT / "setup.cfg")}
    assert direct <= set(locked)
    for tool in ("pytest", "moto", "pyspark", "duckdb", "setuptools", "pip", "checkov", "cfn-lint"):
        assert tool not in locked, f"{tool} is not a runtime dependency"
    assert (ROOT / image.LOCK_FILE).read_text(encoding="utf-8") == image.lock_text(closure)


def test_a_dependency_missing_here_is_a_clear_error():
    from packaging.requirements import Requirement

    with pytest.raises(TaskError, match="no-such-dependency"):
        image.runtime_closure([Requirement("no-such-dependency>=1")])


def test_dockerignore_admits_exactly_what_the_dockerfile_copies():
    ignore = [l.strip() for l in (ROOT / ".dockerignore").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert ignore[0] == "*", "everything is left out unless admitted"
    admitted = {l[1:].rstrip("/") for l in ignore if l.startswith("!")}
    copied = set()
    for op, args in instructions():
        if op == "COPY" and not args.startswith("--from"):
            copied.update(args.split()[:-1])
    assert copied <= admitted, copied - admitted
    assert not (admitted - copied - {"Dockerfile"}), "admitted but never copied"


def test_the_content_tag_names_the_sources(tmp_path):
    copy = tmp_path / "src"
    for name in (*image.PACKAGE_SOURCES, image.DOCKERFILE, image.DOCKERIGNORE, image.LOCK_FILE):
        source = ROOT / name
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, copy / name)
    tag = image.content_tag(copy)
    assert re.fullmatch(r"src-[0-9a-f]{20}", tag) and tag == image.content_tag(ROOT)
    (copy / "runners" / "__pycache__").mkdir(exist_ok=True)
    (copy / "runners" / "__pycache__" / "x.pyc").write_bytes(b"cache")
    assert image.content_tag(copy) == tag, "caches are not sources"
    for changed in (image.DOCKERFILE, image.LOCK_FILE, "runners/worker.py"):
        path = copy / changed
        original = path.read_bytes()
        path.write_bytes(original + b"\n# changed\n")
        assert image.content_tag(copy) != tag, changed
        path.write_bytes(original)
    (copy / image.LOCK_FILE).unlink()
    with pytest.raises(TaskError, match="requirements-runtime.txt is missing"):
        image.content_tag(copy)
