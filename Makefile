# Kindling. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
FLASK := FLASK_APP=app:create_app $(BIN)/flask
DEV := KINDLING_ENV=development
HOST ?= 127.0.0.1
PORT ?= 5000

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast worker scheduler lint db-upgrade db-migrate seed reindex bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP) ## Create the virtual environment and install everything

run: $(STAMP) ## Migrate, load demo data once, serve http://127.0.0.1:5000 (SQLite, in-process jobs)
	$(DEV) $(FLASK) db upgrade
	$(DEV) $(FLASK) seed-demo
	$(DEV) $(FLASK) run --host $(HOST) --port $(PORT)

test: $(STAMP) ## Run the whole test suite (also on PostgreSQL/Redis when TEST_DATABASE_URL/TEST_REDIS_URL are set)
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: $(STAMP) ## The suite without slow and browser tests
	$(BIN)/pytest -m "not slow and not browser" $(PYTEST_ARGS)

worker: $(STAMP) ## Start an rq worker (needs REDIS_URL)
	$(FLASK) worker

scheduler: $(STAMP) ## Run the periodic jobs (phase changes, ...) in production; `make run` does it in-process
	$(FLASK) scheduler

lint: $(STAMP) ## Check the code with ruff
	$(BIN)/ruff check .

db-upgrade: $(STAMP) ## Apply migrations to DATABASE_URL (default: the development SQLite file)
	$(DEV) $(FLASK) db upgrade

db-migrate: $(STAMP) ## Generate a migration from model changes: make db-migrate m="what changed"
	$(DEV) $(FLASK) db migrate -m "$(m)"

seed: $(STAMP) ## Load the demo data (once)
	$(DEV) $(FLASK) seed-demo

bench: $(STAMP) ## Run the benchmarks in bench/ and print their figures (make bench only=challenges_pages)
	$(BIN)/python -m bench $(only)

clean: ## Remove the virtual environment and the development database
	rm -rf $(VENV) instance
