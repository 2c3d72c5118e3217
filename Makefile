# GWE: `make run` serves the demo on http://$(HOST):$(PORT); `make test` runs every test.
HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
# Django 6 needs Python 3.12 or newer: the first one found on PATH or in pyenv.
PYTHON ?= $(shell for p in python3.13 python3.12 $(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3) python3; do \
	$$p -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null && { command -v $$p; break; }; done)

.PHONY: run test test-db lint format bench messages install clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "GWE needs Python 3.12 or newer: install it, or run make PYTHON=/path/to/python3.12"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,uvicorn]"
	touch $@

run: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py gwe_demo --url http://$(HOST):$(PORT)
	@$(BIN)/python manage.py gwe_serve --host $(HOST) --port $(PORT)

# This checkout's development settings, read by gwe/settings.py (so by manage.py too); the
# environment's own values win. Written once: delete it for a new secret.
.env: | install
	@umask 077 && { echo "# Development settings of this checkout, written by make run. Not for production."; \
	  echo "GWE_DEBUG=1"; \
	  echo "GWE_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')"; } > $@
	@echo "wrote $@ (GWE_DEBUG=1 and a secret key of this checkout's own)"

test: lint
	$(BIN)/pytest

# The tests that touch the database, again on another database (DATABASE_URL).
test-db: install
	$(BIN)/pytest -m "django_db or server"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The visitor's words in each language (docs/tracker.md, Languages): LOCALE=de adds German.
messages: install
	GWE_DEBUG=1 $(BIN)/python manage.py makemessages --no-location --ignore=.venv --ignore=tests \
	  --ignore=staticfiles --ignore=docs $(if $(LOCALE),-l $(LOCALE),--all)
	GWE_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv

bench: install
	$(BIN)/python -m tests.bench.run

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 db.sqlite3-* .env
