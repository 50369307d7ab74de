# Kindling. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: `make run` installs only what running needs; the test tools come with `make test`.
HASH := $(shell cksum pyproject.toml | cut -d' ' -f1)
STAMP := $(VENV)/.installed-run-$(HASH)
TEST_STAMP := $(VENV)/.installed-test-$(HASH)
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
	$(BIN)/pip install --quiet -e .
	@rm -f $(VENV)/.installed-run-*
	@touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-test-*
	@touch $@

install: $(TEST_STAMP) ## Create the virtual environment and install everything (running and testing)

run: $(STAMP) ## Migrate, load demo data once, serve http://127.0.0.1:5000 (PORT=8000 for another port)
	$(DEV) $(FLASK) db upgrade
	$(DEV) $(FLASK) seed-demo
	$(DEV) $(FLASK) run --host $(HOST) --port $(PORT)

test: $(TEST_STAMP) ## Run the whole test suite (also on PostgreSQL/Redis when TEST_DATABASE_URL/TEST_REDIS_URL are set)
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: $(TEST_STAMP) ## The suite without slow and browser tests
	$(BIN)/pytest -m "not slow and not browser" $(PYTEST_ARGS)

worker: $(STAMP) ## Start an rq worker (needs REDIS_URL)
	$(FLASK) worker

scheduler: $(STAMP) ## Run the periodic jobs (phase changes, ...) in production; `make run` does it in-process
	$(FLASK) scheduler

lint: $(TEST_STAMP) ## Check the code with ruff
	$(BIN)/ruff check .

db-upgrade: $(STAMP) ## Apply migrations to DATABASE_URL (default: the development SQLite file)
	$(DEV) $(FLASK) db upgrade

db-migrate: $(STAMP) ## Generate a migration from model changes: make db-migrate m="what changed"
	$(DEV) $(FLASK) db migrate -m "$(m)"

reindex: $(STAMP) ## Rebuild the search index from the database (switched in atomically)
	$(DEV) $(FLASK) search rebuild

seed: $(STAMP) ## Load the demo data (once)
	$(DEV) $(FLASK) seed-demo

bench: $(TEST_STAMP) ## Run the benchmarks in bench/ and print their figures (make bench only=challenges_pages)
	$(BIN)/python -m bench $(only)

clean: ## Remove the virtual environment and the development database
	rm -rf $(VENV) instance
