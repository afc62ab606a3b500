# The two commands: `make run` serves the API locally; `make test` runs the whole suite.
# Each installs what is missing first: a .venv at the root and the npm packages.

# The project's Python: `python3.13` if it runs, else pyenv's 3.13 (PYTHON=... overrides).
PYTHON_VERSION := 3.13
PYTHON ?= $(shell devtools/find-python $(PYTHON_VERSION))
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed-$(PYTHON_VERSION)
IMPORT_COMMAND := $(VENV)/bin/catalog-import
NODE_STAMP := node_modules/.installed
PROTOCOL_DIR := devtools/devhost/protocol
PROTOCOL := $(PROTOCOL_DIR)/worker_pb2.py

.PHONY: install run test unit integration lint format bench import clean

install: $(VENV_STAMP) $(IMPORT_COMMAND) $(PROTOCOL) $(NODE_STAMP)

# A venv of another Python (an older checkout's, say) is replaced, not reused.
$(VENV_STAMP): requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python $(PYTHON_VERSION) is required and was not found:" \
		"install it (pyenv install $(PYTHON_VERSION), or your system's python$(PYTHON_VERSION))" \
		"or run make PYTHON=/path/to/python$(PYTHON_VERSION)" >&2; exit 1; }
	@$(PY) -c 'import platform, sys; sys.exit(not platform.python_version().startswith("$(PYTHON_VERSION)."))' \
		2>/dev/null || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The project itself, editable and without dependencies (the requirements files pin those), for
# its console script: pyproject.toml's [project.scripts].
$(IMPORT_COMMAND): pyproject.toml $(VENV_STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# The development host's protocol messages, compiled from the project's own schema.
$(PROTOCOL): $(PROTOCOL_DIR)/worker.proto $(VENV_STAMP)
	$(PY) -m grpc_tools.protoc -I$(PROTOCOL_DIR) --python_out=$(PROTOCOL_DIR) \
		--pyi_out=$(PROTOCOL_DIR) worker.proto

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: install
	$(PY) -m devtools.stack

lint: $(VENV_STAMP) $(PROTOCOL)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports
	$(PY) -m devtools.infra_check

format: $(VENV_STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

unit: $(VENV_STAMP) $(PROTOCOL)
	$(PY) -m pytest tests/unit

integration: install
	$(PY) -m pytest tests/integration

test: install lint
	$(PY) -m pytest

bench: install
	$(PY) -m bench

# make import FILE=products.ndjson [API=http://localhost:7071/api] [KEY=<function key>]
# make exits 2 whenever the command fails, whatever its own status (2: some records rejected,
# 1: the import could not be done): run .venv/bin/catalog-import itself where that matters.
API ?= http://localhost:7071/api
import: $(VENV_STAMP)
	@test -n "$(FILE)" || { echo "usage: make import FILE=products.ndjson [API=...] [KEY=...]" >&2; exit 1; }
	@$(PY) -m catalog_import "$(FILE)" --api "$(API)" $(if $(KEY),--key "$(KEY)")

clean:
	rm -rf $(VENV) node_modules .run .pytest_cache .mypy_cache .ruff_cache $(PROTOCOL_DIR)/worker_pb2.py*
