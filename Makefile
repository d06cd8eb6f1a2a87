# MinBil backend. `make run` serves the API on http://localhost:$(PORT); `make test` runs the suite.
# Both create .venv and install what they need on first use (and again when requirements change).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000

.DEFAULT_GOAL := help
.PHONY: help install install-dev run test lint format schema bench-images bench-outages clean

help:
	@echo "make run     migrate, seed demo data (seed_demo), serve on 0.0.0.0:$(PORT) (PORT=... overrides)"
	@echo "make test    run the whole test suite"
	@echo "make lint    ruff check and format check"
	@echo "make format  ruff fix and format"
	@echo "make schema  regenerate openapi.yaml (a test fails when it is stale)"
	@echo "make bench-images  photo pipeline vs bare Pillow decode, then 8 uploads at the limits at once (gunicorn)"
	@echo "make bench-outages 5xx under a Redis stop and PostgreSQL connection exhaustion (gunicorn)"

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

# Development values unless the environment says otherwise (DATABASE_URL, PORT, ... are honoured).
run: export DEBUG ?= 1
run: export ALLOWED_HOSTS ?= *
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 0.0.0.0:$(PORT)

test: install-dev
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
	$(BIN)/python bench/photo_uploads.py

# Private Redis (6393) and PostgreSQL (5443) instances, started and removed by the script.
bench-outages: install
	$(BIN)/python bench/outages.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis staticfiles test-artifacts
