# Everyday tasks for contributors. Each target is one line you could type
# yourself; CI runs .ci/run (which calls .ci/lint, the same linters).
#   make help    lists the targets

# uv from PATH, or the one bootstrap.py installs beside the project (.tools/).
UV ?= $(shell python3 bootstrap.py --which-uv)
# A small warehouse of its own, so the scratch build never touches .analytics/.
SMALL_HOME ?= .analytics-small

.PHONY: help setup lint format test-fast test coverage-html build-small docs-tables check infra up

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: ## install the locked dependencies (and uv, if missing) and the git hooks
	$(UV) sync --frozen --compile-bytecode
	$(UV) run pre-commit install

lint: ## ruff, ruff format, mypy, import contracts, sqlfluff (as CI)
	UV="$(UV)" .ci/lint

format: ## rewrite Python files in the house format, fix what ruff can
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

test-fast: ## the fast lane: every test that needs no dbt build and no browser
	$(UV) run pytest -m "not slow"

test: ## the whole suite, as CI runs it
	$(UV) run pytest

coverage-html: ## htmlcov/: the HTML coverage report of the last test run
	$(UV) run coverage html

build-small: ## generate scale 0.05 and build it with dbt, in .analytics-small
	ANALYTICS_HOME=$(SMALL_HOME) $(UV) run analytics generate --scale 0.05
	ANALYTICS_HOME=$(SMALL_HOME) $(UV) run analytics build

docs-tables: ## rewrite the generated tables of docs/ and the dbt docs overview
	$(UV) run python -m orchestration.contract_docs

infra: ## terraform fmt, checkov and hadolint on infra/
	infra/check

check: lint test-fast ## what to run before pushing

up: ## the whole platform on the embedded warehouse, until Ctrl-C
	$(UV) run analytics up
