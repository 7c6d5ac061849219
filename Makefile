# Two commands on a fresh machine: `make demo` and `make test`. Both set up .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed

.PHONY: setup demo test ui simulator doctor validate clean lock

setup: $(STAMP)

# uv installs the locked set in seconds; pip only bootstraps uv itself (pinned).
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/python -m pipelines.demo

# Dagster's UI on the demo's data, against the simulator (started and stopped with it).
ui: $(STAMP)
	$(BIN)/python -m pipelines.ui

validate: $(STAMP)
	$(BIN)/dagster definitions validate -w workspace.yaml

simulator: $(STAMP)
	$(BIN)/python -m afas_simulator --port 8765

doctor: $(STAMP)
	$(BIN)/afas-pipeline doctor

# Regenerate the lock after changing pyproject.toml dependencies.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache data
