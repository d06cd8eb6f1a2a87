# MinBil backend. `make run` serves the API on http://localhost:$(PORT); `make test` runs the suite.
# Both create .venv and install what they need on first use (and again when requirements change).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000

.DEFAULT_GOAL := help
.PHONY: help install install-dev compilemessages messages run test lint format schema bench-images bench-outages bench-register-outage bench-reminders bench-push bench-api clean

# Translation catalogues: the committed locale/<lang>/LC_MESSAGES/django.po files, compiled to
# .mo by the build (Babel, pure Python: no GNU gettext needed). The .mo files are never committed.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)

help:
	@echo "make run     migrate, seed demo data (seed_demo), serve on 0.0.0.0:$(PORT) (PORT=... overrides)"
	@echo "             with one job worker and the scheduler (beat); Ctrl-C stops all three;"
	@echo "             emails (password reset links, reminders) are printed in the terminal"
	@echo "make test    run the whole test suite"
	@echo "make lint    ruff check and format check"
	@echo "make format  ruff fix and format"
	@echo "make schema  regenerate openapi.yaml (a test fails when it is stale)"
	@echo "make bench-images  photo pipeline vs bare Pillow decode, then 8 uploads at the limits at once (gunicorn)"
	@echo "make bench-outages 5xx under a Redis stop and PostgreSQL connection exhaustion (gunicorn)"
	@echo "make messages  extract new translatable strings into locale/nb (needs GNU gettext)"
	@echo "make bench-register-outage  gunicorn against a hanging register: calls, 503 latency, /healthz"
	@echo "make bench-reminders  the reminder run over 100 000 vehicles and 150 000 links: time, queries"
	@echo "make bench-push  1 000 sender-API calls through gunicorn and one worker to an FCM stand-in"
	@echo "make bench-api  the most used API calls under gunicorn as ratios to a bare WSGI app (ab;"
	@echo "             SQLite, then PostgreSQL when DATABASE_URL points at it)"

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11+ is required (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

%.mo: %.po | $(VENV)/.runtime
	$(BIN)/pybabel compile --domain=django --input-file=$< --output-file=$@

compilemessages: $(MO_FILES)

# Adds the strings marked for translation in the code and templates to locale/nb (new ones
# untranslated: tests/test_translations.py fails until they are). Uses GNU gettext's xgettext.
messages: export DEBUG ?= 1
messages: install
	$(BIN)/python manage.py makemessages --locale nb --no-obsolete --no-location \
		--ignore '.venv/*' --ignore 'tests/*' --ignore 'staticfiles/*' --ignore 'media/*'

# Development values unless the environment says otherwise (DATABASE_URL, PORT, ... are honoured).
run: export DEBUG ?= 1
run: export ALLOWED_HOSTS ?= *
run: export EMAIL_URL ?= consolemail://
run: export PASSWORD_RESET_URL ?= http://localhost:$(PORT)/reset?uid={uid}&token={token}
run: export PUBLIC_BASE_URL ?= http://localhost:$(PORT)
run: install compilemessages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile.dev --port $(PORT)

test: install-dev compilemessages
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: export DEBUG ?= 1
schema: install
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file openapi.yaml

# The pipeline in one process, then 8 worst-case uploads at once through gunicorn (port 8094).
bench-images: export DEBUG ?= 1
bench-images: install
	$(BIN)/python manage.py bench_images
	$(BIN)/python -m bench.photo_uploads

# Private Redis (6393) and PostgreSQL (5443) instances, started and removed by the script.
bench-outages: install
	$(BIN)/python -m bench.outages

# A scratch database: a temporary SQLite file, or DATABASE_URL (REDIS_URL shares the breaker).
bench-register-outage: install
	$(BIN)/python -m bench.register_outage

# A scratch database: a temporary SQLite file, or one made next to DATABASE_URL's PostgreSQL one.
bench-reminders: install
	$(BIN)/python -m bench.reminders

# gunicorn and one worker on the embedded broker; a scratch database (SQLite, or next to
# DATABASE_URL's PostgreSQL one); an FCM stand-in on localhost.
bench-push: install
	$(BIN)/python -m bench.push
# Three gunicorns (the app, the reference views, a bare WSGI app) over a scratch database: a
# temporary SQLite file, then one made next to DATABASE_URL's PostgreSQL one. Installs ab if missing.
bench-api: install
	$(BIN)/python -m bench.api

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis staticfiles test-artifacts $(MO_FILES)
