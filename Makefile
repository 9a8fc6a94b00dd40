# Every routine command of the project. `make run` to chat, `make test` to test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.10: `python3.10` (a .python-version file makes pyenv resolve it here), else pyenv's 3.10.13.
PYTHON310 ?= $(shell command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys; print(sys.executable)' 2>/dev/null || PYENV_VERSION=3.10.13 pyenv which python 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
MODEL := models/assistant.tar.gz
# Rasa's defaults: domain.yml, config.yml, data/. The model also depends on the custom NLU
# components that config.yml names.
TRAINING_FILES := config.yml domain.yml bot/nlu_components.py $(shell find data -name '*.yml' 2>/dev/null)

# Quiet TensorFlow; reproducible training (seeds are in config.yml).
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_DETERMINISTIC_OPS := 1
export PYTHONHASHSEED := 0
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: help install train run test test-fast lint validate content-check catalogue-check test-stories test-nlu test-conversations test-formations test-python browser-deps bench bench-search purge clean
.PHONY: report review-export review-merge bench-report

help:
	@echo "make run    chat with the assistant in a browser"
	@echo "make test   run every test"
	@echo "other targets: install train test-fast lint validate content-check catalogue-check test-stories test-nlu"
	@echo "               test-conversations test-formations test-python test-browser"
	@echo "               bench bench-search run-scale purge web-deps clean"
	@echo "counsellors:   report review-export review-merge FILE=... bench-report"

# Runtime pins (requirements.lock) and development tools (requirements-dev.lock).
$(VENV)/.installed: requirements.lock requirements-dev.lock
	@if [ -z "$(PYTHON310)" ]; then \
	  echo "Python 3.10 is required and was not found."; \
	  echo "Install it (e.g. 'pyenv install 3.10.13') or run: make PYTHON310=/path/to/python3.10"; \
	  exit 1; fi
	$(PYTHON310) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed

$(MODEL): $(VENV)/.installed $(TRAINING_FILES)
	@# Rasa's training cache knows the components' names and settings, not their code.
	@if [ -f $@ ] && [ bot/nlu_components.py -nt $@ ]; then rm -rf .rasa/cache; fi
	@mkdir -p models && touch models/.training-started
	$(BIN)/python -m bot.patched_rasa train --fixed-model-name assistant --out models
	@# Dated when training started (rasa keeps the file as it was when nothing changed), so that a
	@# file edited during the training makes the next `make train` train again.
	@touch -r models/.training-started $@

train: $(MODEL)

run: install train web-deps
	@mkdir -p var
	@echo "Starting the assistant: chat at http://localhost:8080 (REST: http://localhost:5005/webhooks/rest/webhook)"
	$(BIN)/python -m cli run

# Rasa warns about each response no story uses, the sentences only the actions say (text_...)
# too, but does not fail on it: tests/actions/test_wording.py fails on a response nothing uses.
validate: install
	set -o pipefail; $(BIN)/rasa data validate --fail-on-warnings 2>&1 | grep -v "The utterance 'text_"

# Every FAQ answer sourced, re-read within 12 months, still valid, at most 90 words; lists those due.
# TODAY=YYYY-MM-DD rehearses a date (what expires in January, seen in December).
content-check: install
	$(BIN)/python -m cli content-check $(if $(TODAY),--today $(TODAY))

# Campus data files (orientation/data/CATALOGUE.md): fails on a problem, lists the rows due for a new look.
catalogue-check: install
	$(BIN)/python -m ops.catalogue_check $(if $(TODAY),--today $(TODAY))

# The model measured is noted beside the results (results/stories/model.json), even on failure.
test-stories: train
	$(BIN)/python -m bot.patched_rasa test core --stories tests/conversations --model $(MODEL) --fail-on-prediction-errors --out results/stories; \
	  status=$$?; $(BIN)/python -m ops.quality results/stories --model $(MODEL); exit $$status

# Thresholds of the independent sets (tests/nlu_students/, all together): the targets (intent
# accuracy 0.92, sector found 0.90, confident wrong answers under 2 %).
# FAQ answers (held-out set and tests/nlu_faq/): answer macro F1 0.91 on each (measured 0.923 and
# 0.935, target 0.92), confident wrong answers (another answer of the topic at 0.8 or more) under 3 %.
test-nlu: train
	$(BIN)/python -m cli evaluate --min-intent-f1 0.95 --min-entity-f1 0.95 --min-students-intent 0.92 --min-students-sector 0.90 --max-confident-wrong 0.02 \
	  --min-faq-f1 0.92 --min-faq-answer-f1 0.74 --max-faq-confident-wrong 0.03

# Conversations of several turns written by someone who saw neither the training data nor the
# stories (tests/multiturn/): each turn is replayed against the model and the actions. Gates at
# the targets (measured 0.950, 85.6 %, 0 %): 0.93 turn success, 85 % of conversations right
# throughout, confident wrong turns (a failed turn answered on another topic at 0.8 or more) at
# most 1 %.
test-conversations: train
	$(BIN)/python -m cli evaluate-conversations --min-turn-success 0.93 --min-conversations-right 0.85 --max-confident-wrong 0.01

# Questions about a diploma near a place, written blind (tests/formations_questions/): the share
# answered with a real establishment preparing it, or the right "not in our data"; never an
# invented one. Target 0.90 and none invented; measured 0.932 and 0.
test-formations: train
	$(BIN)/python -m cli evaluate-formations --min-found 0.9 --max-invented 0

test-python: train browser-deps web-deps balancer-deps
	$(BIN)/python -m pytest tests

# Tests that need neither the trained model, nor PostgreSQL or Redis, nor a browser, and start no
# server (devtools/pytest_markers.py).
test-fast: install
	$(BIN)/python -m pytest tests -m unit -q

# Debian's Chromium for the browser tests (nothing downloads a browser).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

test: lint validate content-check catalogue-check test-stories test-nlu test-conversations test-formations test-python

# Lint and type checks of the Python packages (settings: pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench-search: install
	$(BIN)/python -m cli bench-search

clean:
	rm -rf models results var .pytest_cache

# --- Website widget ------------------------------------------------------------------------------
# The widget's browser libraries come from npm, pinned in bot/web/package-lock.json, and are copied
# into the folder the web server serves: the page loads nothing from the internet.
WEB_DIR := bot/web
WEB_VENDOR := $(WEB_DIR)/widget/vendor

.PHONY: web-deps web test-browser

$(WEB_VENDOR)/.installed: $(WEB_DIR)/package.json $(WEB_DIR)/package-lock.json
	cd $(WEB_DIR) && npm ci --ignore-scripts --no-audit --no-fund
	mkdir -p $(WEB_VENDOR)
	cp $(WEB_DIR)/node_modules/socket.io-client/dist/socket.io.min.js $(WEB_VENDOR)/
	cp $(WEB_DIR)/node_modules/socket.io-client/LICENSE $(WEB_VENDOR)/socket.io-client.LICENSE
	cp $(WEB_DIR)/node_modules/axe-core/axe.min.js $(WEB_VENDOR)/
	cp $(WEB_DIR)/node_modules/axe-core/LICENSE $(WEB_VENDOR)/axe-core.LICENSE
	touch $@

web-deps: $(WEB_VENDOR)/.installed

# The school page alone (the assistant itself runs with `make run`).
web: install web-deps
	$(BIN)/python -m bot.web_server --port 8080

test-browser: install train web-deps browser-deps
	$(BIN)/python -m pytest tests/browser

# --- Production profile: benchmark, scale-out, retention ------------------------------------------
# Secrets of the scale-out services come from the environment (deploy/endpoints.yml reads them);
# export real values in production. `make run-scale` refuses an empty TRACKER_DB_PASSWORD unless
# TRACKER_DB_TRUST_LOCAL=1 says the database is a development machine's own PostgreSQL trusting
# local connections, and only when deploy/endpoints.yml reaches it on 127.0.0.1. The tests use
# such a database (their own endpoints files, no password).
TRACKER_DB_USER ?= postgres
TRACKER_DB_PASSWORD ?=
REDIS_PASSWORD ?=
TRACKER_DB_TRUST_LOCAL ?=
export TRACKER_DB_USER TRACKER_DB_PASSWORD REDIS_PASSWORD TRACKER_DB_TRUST_LOCAL
# Which profile `make purge` cleans: endpoints.yml (SQLite) or deploy/endpoints.yml (PostgreSQL).
ENDPOINTS ?= endpoints.yml

.PHONY: balancer-deps run-scale scale-secrets

# Latency and throughput of the REST channel, beside a reference Rasa bot; one vs two processes.
bench: train
	$(BIN)/python -m cli bench

# Deletes conversations older than privacy.retention_days (school.yml).
purge: install
	$(BIN)/python -m cli purge --endpoints $(ENDPOINTS)

# --- Counsellors: report, teaching from real messages ------------------------------------------
# SINCE=YYYY-MM-DD starts the period (default: privacy.retention_days of school.yml).
PERIOD := $(if $(SINCE),--since $(SINCE))

# One self-contained page: results/report.html.
report: install
	$(BIN)/python -m cli report $(PERIOD) --endpoints $(ENDPOINTS)

# Messages that fell back or were understood with a low confidence, to review: results/review.yml.
review-export: install
	$(BIN)/python -m cli review-export $(PERIOD) --endpoints $(ENDPOINTS)

# The reviewed file's examples into data/nlu/ (then `make train`).
review-merge: install
	@if [ -z "$(FILE)" ]; then echo "Usage: make review-merge FILE=results/review.yml"; exit 2; fi
	$(BIN)/python -m cli review-merge $(FILE)

# Time and memory of `make report` over 100,000 messages (throwaway SQLite store).
bench-report: install
	$(BIN)/python -m cli bench-report

# Debian's nginx, the load balancer of the scale-out profile.
balancer-deps:
	@command -v nginx >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }

# The database password rule above (before anything is installed or trained).
scale-secrets:
	@if [ -z "$$TRACKER_DB_PASSWORD" ]; then \
	  host=$$(sed -n '/^tracker_store:/,/^[a-z]/s/^  url: *//p' deploy/endpoints.yml | tr -d "\"' "); \
	  if [ "$$TRACKER_DB_TRUST_LOCAL" != 1 ]; then \
	    echo "Démarrage refusé : TRACKER_DB_PASSWORD est vide. Donnez le mot de passe de PostgreSQL" \
	      "(make run-scale TRACKER_DB_PASSWORD=... ou export), ou, sur une machine de développement dont" \
	      "le PostgreSQL local accepte les connexions locales sans mot de passe, TRACKER_DB_TRUST_LOCAL=1."; \
	    exit 2; \
	  elif [ "$$host" != 127.0.0.1 ] && [ "$$host" != localhost ]; then \
	    echo "Démarrage refusé : TRACKER_DB_TRUST_LOCAL=1 ne vaut que pour un PostgreSQL local (127.0.0.1)," \
	      "or deploy/endpoints.yml le cherche sur « $$host ». Donnez TRACKER_DB_PASSWORD."; \
	    exit 2; \
	  fi; \
	fi

# Two Rasa processes and the action server behind nginx on port 5005 (deploy/Procfile), each
# restarted when it dies (ops/supervision.py).
run-scale: scale-secrets install train balancer-deps web-deps
	$(BIN)/python -m bot.preflight --endpoints deploy/endpoints.yml
	@echo "Scale-out profile: chat at http://localhost:8080 (REST: http://localhost:5005/webhooks/rest/webhook)"
	$(BIN)/python -m ops.supervision deploy/Procfile
