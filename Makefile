# Two commands: `make run` and `make test`. Each bootstraps what it needs, idempotently.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || ls -d $(HOME)/.pyenv/versions/3.11*/bin/python3.11 2>/dev/null | tail -n 1)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck unit chat migrate clean

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.11 is required: install it or set PYTHON=/path/to/python3.11"; exit 1; fi
	@echo "==> creating $(VENV) with $(PYTHON) and installing the project and its test tools"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	@echo "==> applying database migrations"
	@$(BIN)/python -m bot migrate
	@if [ -n "$$BOT__TOKEN" ]; then echo "==> starting the Telegram bot"; else echo "==> BOT__TOKEN is not set: starting the console chat"; fi
	@$(BIN)/python -m bot

chat: $(STAMP)
	@$(BIN)/python -m bot chat

migrate: $(STAMP)
	@$(BIN)/python -m bot migrate

lint: $(STAMP)
	@echo "==> ruff"
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

typecheck: $(STAMP)
	@echo "==> mypy --strict"
	@$(BIN)/mypy .

unit: $(STAMP)
	@echo "==> pytest$${TEST_POSTGRES_URL:+ (PostgreSQL too: $$TEST_POSTGRES_URL)}"
	@$(BIN)/python -m pytest

test: lint typecheck unit

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
