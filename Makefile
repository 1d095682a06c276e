# workbench: the two-command contract.
#   make demo   set up everything, then run the admissions and ticket pipelines end to end
#   make test   set up everything, then run every test (Python, TypeScript, browser)
#   make lab    start JupyterLab on this project
# Setup steps are stamped, so a second run reuses .venv and node_modules when current.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
LABEXT := labextension
export DO_NOT_TRACK := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Browser tests use Debian's chromium; no tool may download a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help setup demo demo-approve demo-portal test lint test-python test-ts test-browser lab clean pg-start pg-stop fresh-check

help:
	@echo "make demo   - install everything and run the admissions and ticket pipelines end to end"
	@echo "make test   - install everything and run all tests"
	@echo "make lab    - start JupyterLab on this project"
	@echo "make demo-portal - the demo's ending: decisions over HTTP and a canary of a retrained version"
	@echo "make fresh-check - make demo and make test in a fresh clone with empty caches"

# --- system packages (Debian): chromium for browser tests, postgresql for store tests ---
$(STAMPS)/system:
	@mkdir -p $(STAMPS)
	@need=""; \
	command -v chromium >/dev/null || need="$$need chromium"; \
	ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need="$$need postgresql"; \
	command -v git >/dev/null || need="$$need git"; \
	if [ -n "$$need" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages:$$need"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; \
	  else echo "warning: cannot install$$need (not root or no apt-get); dependent tests will skip"; fi; \
	fi
	@touch $@

# --- Python environment and the JupyterLab extension ---------------------------------
# Order matters: the extension is built before `pip install -e`, so the build hook finds
# it and skips its own build; `labextension develop` comes after the install.
$(STAMPS)/tools: requirements/constraints.txt
	@mkdir -p $(STAMPS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@# Sdists (antlr4-python3-runtime, via DVC) are built with --no-build-isolation below, so the
	@# venv needs a setuptools that builds wheels itself (Python 3.11's venv carries 65, without wheel).
	$(BIN)/python -m pip install -q -c requirements/constraints.txt setuptools wheel hatchling hatch-jupyter-builder jupyterlab editables
	@touch $@

$(STAMPS)/node: $(STAMPS)/tools $(LABEXT)/package.json $(LABEXT)/yarn.lock
	cd $(LABEXT) && jlpm install --immutable
	@touch $@

LABEXT_SOURCES := $(shell find $(LABEXT)/src $(LABEXT)/style -type f 2>/dev/null) $(LABEXT)/package.json $(LABEXT)/tsconfig.json workbench/server/openapi.yaml
$(STAMPS)/labext: $(STAMPS)/node $(LABEXT_SOURCES)
	cd $(LABEXT) && jlpm build:prod
	@touch $@

$(STAMPS)/venv: $(STAMPS)/labext pyproject.toml requirements/constraints.txt
	$(BIN)/python -m pip install -q -c requirements/constraints.txt -e ".[test]" --no-build-isolation
	@$(BIN)/python -c "import workbench, xgboost, evidently, papermill, dvc" || { echo "Python install failed"; exit 1; }
	jupyter labextension develop --overwrite . >/dev/null
	@jupyter labextension list 2>&1 | grep -iE "workbench.*enabled.*OK" >/dev/null || { echo "labextension not enabled"; exit 1; }
	@jupyter server extension list 2>&1 | grep -iE "workbench.*OK" >/dev/null || { echo "server extension not enabled"; exit 1; }
	@touch $@

# The kernelspec JupyterLab starts for the notebooks. Its display name must be the one the
# notebooks carry ("Python 3"): JupyterLab writes the installed name into a notebook it opens,
# and a changed notebook is a changed DVC stage (tests/notebooks/test_kernelspec.py).
$(STAMPS)/kernelspec: $(STAMPS)/venv Makefile
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	@touch $@

setup: $(STAMPS)/system $(STAMPS)/venv $(STAMPS)/kernelspec

# --- the two commands ---------------------------------------------------------------
demo: setup
	$(BIN)/python scripts/demo.py adopt
	WORKBENCH_KEY=$$($(BIN)/python -m workbench.examples.demo_keys analyst) $(BIN)/dvc repro
	WORKBENCH_KEY=$$($(BIN)/python -m workbench.examples.demo_keys analyst) $(BIN)/dvc repro pipelines/tickets/dvc.yaml
	WORKBENCH_KEY=$$($(BIN)/python -m workbench.examples.demo_keys analyst) $(BIN)/python scripts/demo.py close-loop
	$(BIN)/python scripts/demo.py summary

demo-approve: setup
	@test -f metrics/admissions/score.json || $(MAKE) demo
	WORKBENCH_KEY=$$($(BIN)/python -m workbench.examples.demo_keys analyst) $(BIN)/python scripts/demo.py approve

demo-portal: setup
	@test -f reports/admissions-audit-production.html || $(MAKE) demo-approve
	WORKBENCH_KEY=$$($(BIN)/python -m workbench.examples.demo_keys analyst) $(BIN)/python scripts/demo.py portal

test: setup lint test-python test-ts test-browser
	@echo "make test: all suites passed"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	cd $(LABEXT) && jlpm lint:check

test-python: setup
	@url=$$(scripts/pg-test-server.sh start) || { echo "PostgreSQL unavailable: its tests will be skipped"; url=""; }; \
	WORKBENCH_TEST_PG_URL="$$url" $(BIN)/pytest -q $(PYTEST_ARGS)

test-ts: setup
	cd $(LABEXT) && jlpm test

test-browser: setup
	cd $(LABEXT) && jlpm test:e2e

lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)"

# The two commands as a new machine runs them: a fresh clone of HEAD, empty pip and Yarn
# caches, no pip config or local wheels (sdists build from source), no Jupyter data.
fresh-check:
	scripts/fresh-check.sh

pg-start:
	@scripts/pg-test-server.sh start
pg-stop:
	@scripts/pg-test-server.sh stop

clean:
	rm -rf $(STAMPS) $(LABEXT)/lib $(LABEXT)/node_modules workbench/labextension
