# Two commands: `make run` and `make test`. Each bootstraps what it needs, idempotently.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || ls -d $(HOME)/.pyenv/versions/3.11*/bin/python3.11 2>/dev/null | tail -n 1)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
RASA_STAMP := .venv-rasa/.installed-stamp
# The Rasa server's auth token: the caller's NLU__TOKEN, else a new one for this run.
ifndef NLU__TOKEN
NLU__TOKEN := $(shell od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
endif
export NLU__TOKEN

.PHONY: browser run test lint typecheck unit chat migrate clean lock nlu-setup nlu-model nlu-eval

# The versions CI tested come from requirements.lock (`make lock` renews it from pyproject.toml).
$(STAMP): pyproject.toml requirements.lock
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.11 is required: install it or set PYTHON=/path/to/python3.11"; exit 1; fi
	@echo "==> creating $(VENV) with $(PYTHON) and installing the locked dependencies"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

lock: $(STAMP)
	@$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
		--python-platform x86_64-unknown-linux-gnu --no-header --annotation-style line \
		-o requirements.lock

$(RASA_STAMP): nlu/requirements.txt nlu/constraints.txt | $(STAMP)
	@$(BIN)/python -m nlu setup

nlu-setup: $(RASA_STAMP)

# Trains only when nlu/config.yml, domain.yml, data/ or components/ changed.
nlu-model: $(RASA_STAMP)
	@$(BIN)/python -m nlu train

nlu-eval: nlu-model
	@$(BIN)/python -m nlu eval

# Rasa starts in the background (about 50 s to load) and stops when the bot exits; until it
# is ready the bot answers through its local matcher.
run: $(STAMP) nlu-model
	@echo "==> applying database migrations"
	@$(BIN)/python -m app migrate
	@if [ -n "$$BOT__TOKEN" ]; then echo "==> starting the Telegram bot"; else echo "==> BOT__TOKEN is not set: starting the console chat"; fi
	@$(BIN)/python -m nlu serve & rasa=$$!; \
	trap 'kill $$rasa 2>/dev/null; wait $$rasa 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python -m app

chat: $(STAMP)
	@$(BIN)/python -m app chat

migrate: $(STAMP)
	@$(BIN)/python -m app migrate

lint: $(STAMP)
	@echo "==> ruff"
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@echo "==> import-linter (layers, feature independence)"
	@$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	@echo "==> mypy --strict"
	@$(BIN)/mypy .

# The web desk's browser tests drive Debian's chromium through Playwright (no browser download).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@test -x $(CHROMIUM) || { echo "==> installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# NLU_REQUIRED: the Rasa integration tests and the F1 gate fail, not skip, without Rasa.
unit: $(STAMP) nlu-model browser
	@echo "==> pytest$${TEST_POSTGRES_URL:+ (PostgreSQL too: $$TEST_POSTGRES_URL)}"
	@NLU_REQUIRED=1 $(BIN)/python -m pytest

test: lint typecheck unit

clean:
	rm -rf $(VENV) .venv-rasa nlu/models nlu/results .mypy_cache .ruff_cache .pytest_cache
