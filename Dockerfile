# syntax=docker/dockerfile:1
# The always-on runner: `etl-runner serve all` (every configured activity in
# one process). Built by `python build.py buildimage` for linux/amd64 (the
# ECS task's RuntimePlatform: Fargate Spot runs only x86_64); runs as a numeric non-root user on a read-only
# root filesystem, writing only under /tmp (the health file).
#
# The base is pinned to an exact Python patch release on Debian bookworm.
# To pin by digest as well, append @sha256:<index digest> after checking it
# with `docker buildx imagetools inspect python:3.12.12-slim-bookworm`.
ARG PYTHON_IMAGE=python:3.12.12-slim-bookworm

# -- build: the wheel, and a venv with the locked runtime dependencies ------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/etl-runner \
 && python -m pip install --no-cache-dir setuptools==75.8.0 wheel==0.45.1
# The lock first: its layer is reused while only the package changes.
COPY deploy/requirements-runtime.txt /src/deploy/requirements-runtime.txt
RUN /opt/etl-runner/bin/pip install --no-deps -r deploy/requirements-runtime.txt
COPY setup.cfg pyproject.toml README.md /src/
COPY runners /src/runners
# --no-deps: the lock above is the whole dependency set; pip check proves it complete.
RUN python -m pip wheel --no-deps --no-build-isolation --wheel-dir /wheels . \
 && /opt/etl-runner/bin/pip install --no-deps /wheels/*.whl \
 && /opt/etl-runner/bin/pip check \
 && /opt/etl-runner/bin/python -m compileall -q /opt/etl-runner

# -- runtime: the venv only -------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
COPY --from=build /opt/etl-runner /opt/etl-runner
# HOME under /tmp: botocore looks for ~/.aws there (the task role is used instead).
ENV PATH=/opt/etl-runner/bin:/usr/local/bin:/usr/bin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    ETL_LOG_FORMAT=json \
    ETL_HEALTH_FILE=/tmp/etl-runner-health.json
WORKDIR /tmp
USER 10001:10001
# SIGTERM drains (ECS waits up to the task definition's StopTimeout), a second exits.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["etl-runner", "health", "--max-age", "30"]
ENTRYPOINT ["etl-runner"]
CMD ["serve", "all"]
