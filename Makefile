# devkeys.aws — two commands for a newcomer: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
export PATH := $(BIN):$(PATH)
PYTEST := $(BIN)/python -m pytest -c tests/pytest.ini --rootdir tests
# A line a minute while a long command runs: no silent minutes.
HEARTBEAT := $(BIN)/python tests/tools/heartbeat.py
# Every check `make test` runs, in order; each is also a target of its own.
CHECKS := unit integration molecule sanity lint docs build bench-smoke

.PHONY: help venv demo test check $(CHECKS) bench changelog clean

help:
	@echo "make demo   - set up .venv, start a local AWS stand-in, run playbooks/setup-dev.yml twice"
	@echo "make test   - set up .venv, then every check: $(CHECKS)"
	@echo "make check  - the fast inner loop: unit tests, lint and sanity on the files you changed (< 3 min)"
	@echo "make bench  - benchmarks; writes docs/benchmarks.md"

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(STAMP)

demo: venv
	$(BIN)/python tests/tools/demo.py

test: venv
	$(BIN)/python tests/tools/checks.py $(CHECKS)

check: venv
	bash tests/tools/check.sh

unit: venv
	$(PYTEST) tests/unit -n 2 -p no:cacheprovider --durations=10

# -v: a line per test as it ends; --durations: the slowest at the end.
integration: venv
	$(HEARTBEAT) "make integration" $(PYTEST) tests/integration -n 2 -p no:cacheprovider -v --durations=25

molecule: venv
	bash tests/tools/molecule.sh

sanity: venv
	bash tests/tools/sanity.sh

lint: venv
	bash tests/tools/lint.sh

docs: venv
	bash tests/tools/docs.sh

build: venv
	bash tests/tools/build.sh

bench-smoke: venv
	$(HEARTBEAT) "make bench-smoke" $(BIN)/python bench/run.py --smoke

bench: venv
	$(BIN)/python bench/run.py

changelog: venv
	$(BIN)/antsibull-changelog release

clean:
	rm -rf $(VENV) tests/output demo reports bench/results devkeys-aws-*.tar.gz
