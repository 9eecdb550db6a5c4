# `make test` creates .venv and installs what it needs when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed-stamp
# cfn-lint and checkov live in their own venv: their pins clash with moto's.
SCAN_VENV := .venv-scan
SCAN_STAMP := $(SCAN_VENV)/.installed-stamp

.PHONY: test demo venv scan-tools clean local-up bench

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e ".[local,test,bench]"
	touch $(STAMP)

scan-tools: $(SCAN_STAMP)

$(SCAN_STAMP): requirements-scan.txt
	test -x $(SCAN_VENV)/bin/python || $(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SCAN_VENV)/bin/python -m pip install --quiet -r requirements-scan.txt
	touch $(SCAN_STAMP)

test: $(STAMP) $(SCAN_STAMP)
	$(VENV)/bin/python -m pytest

demo: $(STAMP)
	$(VENV)/bin/etl-runner demo $(DEMO_ARGS)

# Every benchmark, one after another (about N minutes); each alone:
# .venv/bin/python -m bench.<latency|api_calls|throughput|engine|glue_overhead|soak>
bench: $(STAMP)
	for name in latency api_calls throughput engine glue_overhead soak; do $(VENV)/bin/python -m bench.$$name || exit 1; done

local-up: $(STAMP)
	$(VENV)/bin/etl-runner local up

clean:
	rm -rf $(VENV) $(SCAN_VENV) build dist *.egg-info .pytest_cache
