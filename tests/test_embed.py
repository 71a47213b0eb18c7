"""The embedding stage as a user meets it: the real bundled model loads quietly."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.integration
def test_loading_the_model_prints_no_progress_bar_even_when_transformers_was_imported_first():
    # gradio and llama-index import transformers before Newsdesk loads the model; a "Loading
    # weights" bar on stderr then broke `newsdesk ask --json` read with stderr merged.
    script = (
        "import transformers\n"
        "from assistant.settings import load_settings\n"
        "from assistant.embed import make_embedder\n"
        "make_embedder(load_settings()).embed(['a sentence'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_DISABLE_PROGRESS_BARS", "NEWSDESK_MODEL_PATH")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Loading weights" not in done.stderr
