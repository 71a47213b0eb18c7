"""Shared fixtures. Unit tests use the HashingEmbedder (fast, deterministic, still ranks);
tests marked `integration` use the real bundled model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from assistant.embed import HashingEmbedder  # noqa: E402
from assistant.settings import Settings, load_settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "data" / "sample"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(environ={}, indexes_dir=tmp_path / "indexes")


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session")
def real_embedder():
    """The bundled all-MiniLM-L6-v2, loaded once per test session."""
    from assistant.embed import make_embedder

    embedder = make_embedder(load_settings(environ={}))
    embedder.warm_up()
    return embedder
