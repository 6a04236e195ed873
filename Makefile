# Périscope — the two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The slowest tests are listed after each run, to keep the suite well under 20 minutes.
PYTEST_ARGS ?= --durations=15
STAMP := $(VENV)/.installed

# Find a Python >= 3.12 by itself: PATH first, then pyenv's versions folder
# (the pyenv shims fail without PYENV_VERSION, so the real binaries are used).
PYTHON_BIN := $(shell for p in python3.13 python3.12 python3; do \
	  c=$$(command -v $$p 2>/dev/null) && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$c; exit 0; }; \
	done; \
	root=$$(pyenv root 2>/dev/null || echo $$HOME/.pyenv); \
	for c in $$(ls -d $$root/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$c; exit 0; }; \
	done)

.PHONY: help setup run test lint check-python system-deps chromium db-ready worker backup restore messages

help:
	@echo "make run    - set everything up and run the portal with demo data on http://$(HOST):$(PORT)"
	@echo "make test   - set everything up and run the whole test suite"

check-python:
	@if [ -z "$(PYTHON_BIN)" ]; then \
	  echo "ERROR: Périscope needs Python >= 3.12 and none was found (looked on PATH and in pyenv's versions)."; \
	  echo "Install one (e.g. 'pyenv install 3.12' or 'apt-get install python3.12 python3.12-venv') and run make again."; \
	  exit 1; fi

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory check-python
	@if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	  echo "Creating virtualenv with $(PYTHON_BIN)"; rm -rf $(VENV); $(PYTHON_BIN) -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

# System packages the suite needs, installed with apt only when missing.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium fonts-dejavu-core"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 $$missing >/dev/null; \
	fi

chromium: system-deps

db-ready: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py import_territories
	$(PY) manage.py load_demo

run: db-ready
	@command -v msgfmt >/dev/null && $(PY) manage.py compilemessages --ignore=.venv --ignore=var -v 0 || echo "gettext missing: English pages fall back to French"
	@bash scripts/run.sh "$(HOST)" "$(PORT)"

# Database (pg_dump custom format) + media archive into $(BACKUP_DIR)/periscope-<UTC time>/;
# KEEP=N deletes all but the N newest. Restore: make restore BACKUP=<that folder> [CONFIRM=yes]
BACKUP_DIR ?= var/backups
backup: setup
	@bash scripts/backup.sh $(if $(KEEP),--keep $(KEEP)) "$(BACKUP_DIR)"

restore: setup
	@if [ -z "$(BACKUP)" ]; then echo "Usage: make restore BACKUP=$(BACKUP_DIR)/periscope-<date> [CONFIRM=yes]"; \
	  ls -1d $(BACKUP_DIR)/periscope-* 2>/dev/null | tail -5; exit 2; fi
	@bash scripts/restore.sh "$(BACKUP)" $(if $(filter yes,$(CONFIRM)),--yes)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: setup system-deps lint
	DJANGO_SETTINGS_MODULE=benchmark_portal.settings.test $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=benchmark_portal.settings.test $(PY) manage.py check
	$(PY) manage.py compilemessages --ignore=.venv --ignore=var -v 0
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# English catalogue: locale/en/LC_MESSAGES/django.po is the source of truth, edited directly or
# with Poedit/Weblate. This target extracts new strings into it (file references only, no line
# numbers, so that unrelated edits do not touch every entry), compiles it and prints how many
# messages still lack a translation (tests/test_i18n.py fails on any).
messages: setup
	$(PY) manage.py makemessages -l en --add-location=file --no-obsolete -v 0 \
	  --ignore=.venv --ignore=var --ignore=node_modules --ignore=tests --ignore=bench
	$(PY) manage.py compilemessages --ignore=.venv --ignore=var -v 0
	@msgfmt --statistics -o /dev/null locale/en/LC_MESSAGES/django.po
