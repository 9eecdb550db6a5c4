# `make demo` and `make test` create .venv and install what each needs when missing.
# Options for the demo: make demo DEMO_ARGS="--rows 200000 --out out"
# Afterwards run the tools from the venv: .venv/bin/etl-runner ..., .venv/bin/python build.py ...
# (or `source .venv/bin/activate` once, then etl-runner ... and python build.py ...).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PIP := $(VENV)/bin/python -m pip install --progress-bar off --disable-pip-version-check
# What runs the product and the embedded AWS; the tests' and benchmarks' extras come on top.
RUNTIME_STAMP := $(VENV)/.runtime-stamp
TEST_STAMP := $(VENV)/.test-stamp
BENCH_STAMP := $(VENV)/.bench-stamp
# cfn-lint and checkov live in their own venv: their pins clash with moto's.
SCAN_VENV := .venv-scan
SCAN_STAMP := $(SCAN_VENV)/.installed-stamp

.PHONY: test demo venv scan-tools clean local-up bench

venv: $(RUNTIME_STAMP)

$(RUNTIME_STAMP): setup.cfg pyproject.toml
	@echo "==> Installing etl-runner and the embedded AWS (moto, PySpark, DuckDB) into $(VENV); the first time takes a few minutes"
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --quiet --upgrade pip
	$(PIP) -e ".[local]"
	touch $(RUNTIME_STAMP)
	@echo "==> Installed. Commands: $(VENV)/bin/etl-runner --help, $(VENV)/bin/python build.py -l"

$(TEST_STAMP): $(RUNTIME_STAMP)
	@echo "==> Installing the test extras"
	$(PIP) --quiet -e ".[local,test]"
	touch $(TEST_STAMP)

$(BENCH_STAMP): $(RUNTIME_STAMP)
	@echo "==> Installing the benchmark extras"
	$(PIP) --quiet -e ".[local,bench]"
	touch $(BENCH_STAMP)

scan-tools: $(SCAN_STAMP)

$(SCAN_STAMP): requirements-scan.txt
	@echo "==> Installing cfn-lint and checkov into $(SCAN_VENV)"
	test -x $(SCAN_VENV)/bin/python || $(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SCAN_VENV)/bin/python -m pip install --quiet -r requirements-scan.txt
	touch $(SCAN_STAMP)

test: $(TEST_STAMP) $(BENCH_STAMP) $(SCAN_STAMP)
	$(VENV)/bin/python -m pytest

demo: $(RUNTIME_STAMP)
	$(VENV)/bin/etl-runner demo $(DEMO_ARGS)

# Every benchmark, one after another (about N minutes); each alone:
# .venv/bin/python -m bench.<latency|api_calls|throughput|engine|glue_overhead|soak>
bench: $(BENCH_STAMP)
	for name in latency api_calls throughput engine glue_overhead soak; do $(VENV)/bin/python -m bench.$$name || exit 1; done

local-up: $(RUNTIME_STAMP)
	$(VENV)/bin/etl-runner local up

clean:
	rm -rf $(VENV) $(SCAN_VENV) build dist *.egg-info .pytest_cache
