# Two commands on a fresh machine: `make demo` and `make test`. Both set up .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed

.PHONY: setup browser demo test test-fast bench bench-scale ui simulator doctor validate clean lock

setup: $(STAMP)

# uv installs the locked set in seconds; pip only bootstraps uv itself (pinned).
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

# The browser tests drive Debian's Chromium (Playwright's own browser downloads are never used).
browser:
	test -x /usr/bin/chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

test: $(STAMP) browser
	$(BIN)/python -m pytest

# The edit-test loop (under 2 minutes on 2 cores): everything but what is marked slow (large volumes,
# many Dagster runs), services (PostgreSQL, RabbitMQ, a browser) or end_to_end (separate processes).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not services and not end_to_end"

# Benchmarks (about 15 minutes on 2 cores): writes benchmarks/results.json and benchmarks/RESULTS.md.
# dlt, the peer measured against, gets its own locked virtual environment.
DLT_VENV := benchmarks/.venv-dlt
DLT_STAMP := $(DLT_VENV)/.installed

$(DLT_STAMP): benchmarks/requirements-dlt.lock
	test -x $(DLT_VENV)/bin/python || $(PYTHON) -m venv $(DLT_VENV)
	$(BIN)/uv pip sync --quiet --python $(DLT_VENV)/bin/python benchmarks/requirements-dlt.lock
	touch $(DLT_STAMP)

bench: $(STAMP) $(DLT_STAMP)
	$(BIN)/python -m benchmarks

# Only the scale benchmark (300 simulated environments; about 3 minutes): updates its entry in the results.
bench-scale: $(STAMP)
	$(BIN)/python -m benchmarks scale

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
	rm -rf $(VENV) $(DLT_VENV) .pytest_cache data
