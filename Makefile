# Newsdesk: `make run` (set up + chat app on the bundled sample), `make test` (set up + all tests).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: setup setup-test run test test-fast bench bench-smoke eval clean-index large-model

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0   # the CPU build; an unpinned torch pulls several GB of CUDA
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -q -e '.[test]'
	scripts/install-test-deps.sh $(PY)
	touch $@

setup: $(VENV)/.installed

setup-test: $(VENV)/.installed-test

## The chat app on the bundled sample (first start builds indexes/default from data/sample).
run: setup
	GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 $(PY) app.py

## Every test: unit, integration (real model, index, app), browser, LLM server, and the scale-out
## backend (PostgreSQL from Debian, started here; milvus-lite in-process).
test: setup-test
	scripts/start-postgres.sh
	$(PY) -m pytest

## Unit tests only (fake embedder; seconds).
test-fast: setup-test
	scripts/start-postgres.sh
	$(PY) -m pytest -m "not integration and not browser and not llm"

## The larger embedding model (all-mpnet-base-v2) for NEWSDESK_MODEL_PATH: README, "Settings".
large-model: setup
	scripts/install-large-model.sh $(PY)

bench: setup-test
	$(PY) -m bench.run --size full

bench-smoke: setup-test
	$(PY) -m bench.run --size smoke

clean-index:
	rm -rf indexes/default
