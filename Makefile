# Quartiers en dialogue — developer commands. `make run` serves the portal, `make test` tests it.
# GNU make; every recipe runs in bash with errors stopping it.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory
# The setup steps build on one another: never run them side by side, even under -j.
.NOTPARALLEL:

VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
PYTHON ?= $(shell command -v python3.11 || command -v python3)

# uv installs the locked dependencies (uv.lock). It comes from PyPI, at the version pyproject.toml
# requires, into a virtual environment of its own (.tools/), and always uses the machine's Python.
UV_VERSION := $(shell sed -n 's/^required-version = "==\(.*\)"/\1/p' pyproject.toml)
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_LINK_MODE := copy

# Django commands run with the local-run settings (SQLite in var/, emails in var/mail/, Celery eager)
# unless the caller chose otherwise. DATABASE_URL and REDIS_URL pass through from the environment.
DEBUG ?= true
export DEBUG

# Only `make worker` and `make beat` default to a local Redis: the web side stays eager unless the
# caller exports REDIS_URL too.
REDIS_URL ?= redis://127.0.0.1:6379/0

PYTEST_ARGS ?=
VAR := $(or $(VAR_DIR),var)
TEMPLATE_DIRS := $(wildcard templates */templates)
I18N_IGNORE := --ignore=.venv --ignore=node_modules --ignore=var --ignore=static/vendor

PY_STAMP := $(VENV)/.installed-lock
NPM_STAMP := node_modules/.installed-lock
ASSETS_STAMP := static/vendor/.copied

.PHONY: help run demo-code setup system-deps python-deps assets compilemessages migrate test lint format \
	upgrade worker beat messages clean system-deps-test system-deps-bench

help:
	@echo "make run      set up, load the demo data, serve http://127.0.0.1:8000 with a worker (DEBUG=true)"
	@echo "make test     set up and run the test suite (PYTEST_ARGS='-k name' to select)"
	@echo "make setup    system packages, .venv (uv.lock), npm assets, translations, migrations"
	@echo "make lint     lock up to date, compose file, import layers, ruff, mypy, djlint, migrations"
	@echo "make format   ruff fixes and formatting"
	@echo "make upgrade  renew uv.lock to the newest versions pyproject.toml allows, and install them"
	@echo "make worker   a Celery worker on Redis (REDIS_URL, default $(REDIS_URL))"
	@echo "make beat     the Celery beat scheduler on Redis"
	@echo "make messages update the French catalogue locale/fr/LC_MESSAGES/django.po"
	@echo "make clean    delete the local database and the emails in var/"
	@echo "make backup   pg_dump + media, encrypted with age to BACKUP_AGE_RECIPIENT, into var/backups/;"
	@echo "              deletes backups older than BACKUP_RETENTION_DAYS (35) (DATABASE_URL on PostgreSQL)"
	@echo "make restore  FILE=var/backups/<folder> BACKUP_AGE_IDENTITY=<key file>: restore a backup"
	@echo "              (DEBUG on, or FORCE=1)"

# The development server and a Celery worker beside it on an embedded broker (files under
# $(VAR)/broker/): background jobs run as in production, with no service to install. Ctrl-C stops both.
run: setup
	$(MANAGE) load_demo
	@echo "Emails sent by the portal (login codes, confirmations) are written to $(VAR)/mail/."
	$(PY) scripts/run_local.py --addr 127.0.0.1:8000

# The current two-factor code of the demo staff accounts (they share one demo secret).
demo-code:
	@$(MANAGE) demo_code

setup: system-deps python-deps assets compilemessages migrate

# Running needs gettext, Pango and fonts only; the tests and the benchmark add their own packages.
system-deps:
	@bash scripts/system_deps.sh run

system-deps-test:
	@bash scripts/system_deps.sh test

system-deps-bench:
	@bash scripts/system_deps.sh bench

python-deps: $(PY_STAMP)

$(UV): pyproject.toml
	@if [[ -z "$(PYTHON)" ]]; then echo "Python 3.11 is required (python3.11 or python3)." >&2; exit 1; fi
	@if [[ "$$($(UV) --version 2>/dev/null | cut -d" " -f2)" != "$(UV_VERSION)" ]]; then \
		echo "Installing uv $(UV_VERSION) into $(TOOLS)/..."; \
		rm -rf $(TOOLS); \
		$(PYTHON) -m venv $(TOOLS); \
		$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)'; \
	fi
	touch $@

# Exactly the locked set (uv.lock), dev group included; packages that are not in the lock are
# removed. Reinstalled only when uv.lock or pyproject.toml changed since the last install.
# `--locked` refuses a lock that no longer matches pyproject.toml instead of resolving anew.
$(PY_STAMP): uv.lock pyproject.toml | $(UV)
	@echo "Installing the locked Python dependencies (uv.lock) into $(VENV)..."
	$(UV) sync --locked --python '$(PYTHON)' --quiet
	touch $@

ifneq ($(wildcard package-lock.json),)
assets: $(ASSETS_STAMP)

# `npm ci` only when package-lock.json changed since the last install.
$(NPM_STAMP): package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(ASSETS_STAMP): $(NPM_STAMP) scripts/copy_assets.sh
	bash scripts/copy_assets.sh
	touch $@
else
assets:
	@echo "No package-lock.json: front-end assets skipped."
endif

compilemessages: $(PY_STAMP)
ifneq ($(wildcard locale */locale),)
	$(MANAGE) compilemessages $(I18N_IGNORE)
else
	@echo "No locale/ directory: no translations to compile."
endif

migrate: $(PY_STAMP)
	mkdir -p $(VAR)
	$(MANAGE) migrate --noinput

# The test settings are the local-run ones, plus DATABASE_URL / REDIS_URL when the caller sets them.
# The browser tests, the fuzzing and the access matrix run beside the others, in a second process
# (scripts/run_tests.py).
test: setup system-deps-test
	DEBUG=true $(PY) scripts/run_tests.py $(PYTEST_ARGS)

lint: $(PY_STAMP)
	@echo "uv.lock matches pyproject.toml:"
	$(UV) lock --check --python '$(PYTHON)'
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@echo "Types (mypy + django-stubs, [tool.mypy] in pyproject.toml):"
	$(VENV)/bin/mypy
	$(VENV)/bin/djlint --lint $(TEMPLATE_DIRS)
	$(MANAGE) makemigrations --check --dry-run
	@echo "Start-up raises no deprecation warning (the tests fail on any, see pyproject.toml):"
	$(PY) -W error::DeprecationWarning -W error::PendingDeprecationWarning manage.py check

format: $(PY_STAMP)
	$(VENV)/bin/ruff check --fix-only .
	$(VENV)/bin/ruff format .

# The newest versions pyproject.toml allows: then `make test`, and commit pyproject.toml and uv.lock
# together (README, "Upgrading dependencies").
upgrade: | $(UV)
	$(UV) lock --upgrade --python '$(PYTHON)'
	$(MAKE) python-deps

worker: setup
	REDIS_URL='$(REDIS_URL)' $(VENV)/bin/celery -A participation worker --loglevel=INFO

beat: setup
	REDIS_URL='$(REDIS_URL)' $(VENV)/bin/celery -A participation beat --loglevel=INFO \
		--schedule=$(VAR)/celerybeat-schedule

messages: $(PY_STAMP)
	mkdir -p locale
	$(MANAGE) makemessages -l fr --no-location --no-wrap $(I18N_IGNORE)

clean:
	rm -f $(VAR)/db.sqlite3 $(VAR)/db.sqlite3-journal $(VAR)/db.sqlite3-wal $(VAR)/db.sqlite3-shm
	rm -rf $(VAR)/mail

# Performance: a synthetic 7-year dataset, the load benchmark (gunicorn + wrk, then the indicator /
# report benchmark) and the indicator / report benchmark alone (PostgreSQL only: set DATABASE_URL;
# `make bench` also needs Redis, REDIS_URL). Not part of `make test`; see bench/README.md.
# BENCH_ARGS passes options to bench/load.py (--sweep, --duration 30, --workers 3...).
BENCH_ARGS ?=
.PHONY: bench bench-data bench-indicators
bench: system-deps-bench $(PY_STAMP)
	REDIS_URL='$(REDIS_URL)' $(PY) bench/load.py $(BENCH_ARGS)

bench-data: $(PY_STAMP)
	$(MANAGE) generate_scale_dataset $(if $(RESET),--reset)

bench-indicators: $(PY_STAMP)
	$(PY) bench/indicators.py

# EXPLAIN (ANALYZE, BUFFERS) of the main queries of the pages on the scale dataset, seq scans of
# big tables flagged (bench/explain.py). EXPLAIN_ARGS: --compare before.json, --json, --write...
EXPLAIN_ARGS ?=
.PHONY: bench-explain
bench-explain: $(PY_STAMP)
	$(PY) bench/explain.py $(EXPLAIN_ARGS)

# Backups (PostgreSQL only: set DATABASE_URL): the database and the media, encrypted with age to the
# public key BACKUP_AGE_RECIPIENT, in one folder under $(VAR)/backups (BACKUP_DIR to change it); the
# folders older than BACKUP_RETENTION_DAYS (default 35) are deleted. A restore needs the secret key
# (BACKUP_AGE_IDENTITY, a file). See README.md "Backups".
.PHONY: backup restore
backup:
	bash scripts/backup.sh

# This Makefile defaults DEBUG to true for local runs; a restore only counts DEBUG as on when the
# caller set it, so that a production host without DEBUG in its environment still needs FORCE=1.
restore:
	@if [[ -z "$(FILE)" ]]; then echo "make restore FILE=$(VAR)/backups/<database>-<timestamp>" >&2; exit 1; fi
	DEBUG='$(if $(filter file,$(origin DEBUG)),false,$(DEBUG))' FILE='$(FILE)' bash scripts/restore.sh
