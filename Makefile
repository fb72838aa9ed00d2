# The two commands of the README, and a few conveniences. Everything else is `fleetcast ...`.
#   make up     bring up the real local fleet (Kafka + 2 Kubernetes clusters); first run builds them
#   make test   lint, type-check, and run every test (unit + integration on the real fleet)
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
# prereqs.sh prints a Go directory when it had to install Go itself; put it first on PATH.
WITH_PREREQS = GOBIN_DIR="$$(bash deploy/local/prereqs.sh)"; export PATH="$${GOBIN_DIR:+$$GOBIN_DIR:}$$PATH";

.PHONY: up status down test unit lint

$(VENV)/.installed: pyproject.toml
	@bash deploy/local/prereqs.sh >/dev/null
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "[make] installing fleetcast and its dependencies into $(VENV)" >&2
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[dev]'
	@touch $@

up: $(VENV)/.installed
	@$(WITH_PREREQS) $(VENV)/bin/fleetcast dev up

status: $(VENV)/.installed
	@$(VENV)/bin/fleetcast dev status

down: $(VENV)/.installed
	@$(VENV)/bin/fleetcast dev down

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

unit: $(VENV)/.installed
	$(VENV)/bin/pytest -m unit

test: lint
	@$(WITH_PREREQS) $(VENV)/bin/pytest
