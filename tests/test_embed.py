"""The embedding stage as a user meets it: the real bundled model loads quietly, and a model folder
holding an ONNX export runs on onnxruntime with the torch model's vectors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
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


# ----------------------------------------------------------------------------- the ONNX runtime
# scripts/export_onnx.py on a copy of the bundled MiniLM (12 s): the same path `make large-model`
# takes for all-mpnet-base-v2, with a model every machine running the tests has.

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = [
    "Who denied attacking the Wagner Group?",
    "The port authority said the spill was contained by noon.",
    "A much longer sentence about the river, the diesel that leaked into it overnight, the mayor's "
    "order to close the beaches, and the union's claim that its members had warned of the risk.",
]


@pytest.fixture(scope="module")
def onnx_model(tmp_path_factory) -> Path:
    from assistant.settings import load_settings

    folder = tmp_path_factory.mktemp("model") / "all-MiniLM-L6-v2"
    shutil.copytree(load_settings(environ={}).resolved_model_path, folder)
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "export_onnx.py"), str(folder)],
                          capture_output=True, text=True, timeout=600, env=_offline_env())
    assert done.returncode == 0, done.stderr
    assert f"Wrote {folder / 'onnx' / 'model.onnx'}." in done.stdout
    assert "cosine worst 0.9" in done.stdout  # it measured itself against torch
    return folder


def _offline_env() -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k != "NEWSDESK_MODEL_PATH"}, "HF_HUB_OFFLINE": "1"}


@pytest.mark.integration
def test_a_model_folder_with_an_onnx_export_runs_on_onnxruntime_with_the_torch_models_vectors(onnx_model, real_embedder):
    from assistant.embed import OnnxEmbedder, make_embedder
    from assistant.settings import load_settings

    embedder = make_embedder(load_settings(environ={"NEWSDESK_MODEL_PATH": str(onnx_model)}))
    assert isinstance(embedder, OnnxEmbedder)
    assert embedder.dimension == real_embedder.dimension == 384
    # Its own model id: an index built by torch is not silently searched with other vectors.
    assert embedder.model_id != real_embedder.model_id
    # Many texts (an ingest batch, padded, sorted by length and restored) and few (a question).
    many = SENTENCES * 4
    for texts in (many, SENTENCES[:1]):
        vectors = embedder.embed(texts)
        assert vectors.shape == (len(texts), 384) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        cosines = (vectors * real_embedder.embed(texts)).sum(axis=1)
        assert cosines.min() > 0.97, cosines
    assert embedder.embed([]).shape == (0, 384)


@pytest.mark.integration
def test_the_assistant_answers_from_an_index_built_with_the_onnx_model(onnx_model, tmp_path):
    from assistant.facade import Assistant
    from assistant.settings import load_settings
    from tests.conftest import SAMPLE_DIR

    settings = load_settings(environ={"NEWSDESK_MODEL_PATH": str(onnx_model)}, indexes_dir=tmp_path / "indexes")
    assistant = Assistant(settings)
    assistant.ingest([SAMPLE_DIR])
    answer = assistant.ask("Who denied attacking the Wagner Group?")
    assert answer.answerable
    assert "Wagner" in answer.text and answer.citations
    for citation in answer.citations:
        assert assistant.index.article_text(citation.article.id)[citation.start : citation.end] == citation.text


@pytest.mark.integration
def test_an_index_built_with_torch_does_not_open_with_the_onnx_export(onnx_model, tmp_path):
    from assistant.errors import NewsdeskError
    from assistant.facade import Assistant
    from assistant.settings import load_settings
    from tests.conftest import SAMPLE_DIR

    indexes = tmp_path / "indexes"
    Assistant(load_settings(environ={}, indexes_dir=indexes)).ingest([SAMPLE_DIR])
    with pytest.raises(NewsdeskError, match="was built with the embedding model"):
        onnx_assistant = Assistant(load_settings(environ={"NEWSDESK_MODEL_PATH": str(onnx_model)}, indexes_dir=indexes))
        onnx_assistant.ask("Who denied attacking the Wagner Group?")


def test_a_broken_onnx_file_is_a_clear_error_naming_the_folder(tmp_path):
    from assistant.embed import OnnxEmbedder
    from assistant.errors import ModelError
    from assistant.settings import load_settings

    folder = tmp_path / "model"
    shutil.copytree(load_settings(environ={}).resolved_model_path, folder)
    (folder / "onnx").mkdir()
    (folder / "onnx" / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelError, match=f"Cannot load the ONNX model in {folder}"):
        OnnxEmbedder(str(folder)).embed(["a sentence"])


def test_without_onnxruntime_the_error_says_what_to_install(tmp_path, monkeypatch):
    from assistant.embed import OnnxEmbedder
    from assistant.errors import ModelError
    from assistant.settings import load_settings

    folder = tmp_path / "model"
    shutil.copytree(load_settings(environ={}).resolved_model_path, folder)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now fails
    with pytest.raises(ModelError, match="is an ONNX export and onnxruntime is not installed: pip install onnxruntime"):
        OnnxEmbedder(str(folder)).embed(["a sentence"])


def test_the_export_refuses_a_folder_that_is_not_a_model(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "export_onnx.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=120, env=_offline_env())
    assert done.returncode == 2
    assert f"{tmp_path} is not a sentence-transformers model folder (no modules.json)" in done.stderr


@pytest.mark.integration
def test_the_cli_ingests_and_answers_with_the_onnx_model_as_a_user_would(onnx_model, tmp_path):
    env = {**_offline_env(), "NEWSDESK_MODEL_PATH": str(onnx_model), "NEWSDESK_INDEXES_DIR": str(tmp_path / "idx")}

    def newsdesk(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True,
                              timeout=600, env=env, cwd=ROOT)

    from tests.conftest import SAMPLE_DIR

    ingested = newsdesk("ingest", str(SAMPLE_DIR))
    assert ingested.returncode == 0, ingested.stderr
    asked = newsdesk("ask", "Who denied that the solvent reached the river?", "--json")
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["answerable"] and answer["engine"] == "extractive"
    assert "Kessler" in answer["text"] and answer["citations"]
    stats = newsdesk("stats", "--json")
    assert "+onnx" in stats.stdout  # the index says which model (and runtime) built it
