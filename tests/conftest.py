"""Shared fixtures. Unit tests use the HashingEmbedder (fast, deterministic, still ranks);
tests marked `integration` use the real default model (all-mpnet-base-v2 on onnxruntime, as
`make setup` installs it)."""

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
    """The default model, loaded once per test session."""
    from assistant.embed import make_embedder

    embedder = make_embedder(load_settings(environ={}))
    embedder.warm_up()
    return embedder


# ----------------------------------------------------------------------------- scale-out backend
# The scale-out tests use a real PostgreSQL server (started by scripts/start-postgres.sh, which
# `make test` and .ci/run call) and milvus-lite files under the test's temporary folder.

POSTGRES_URL = os.environ.get(
    "NEWSDESK_TEST_POSTGRES_URL", "postgresql://newsdesk:newsdesk@127.0.0.1:5432/newsdesk_test"
)
BACKENDS = ["embedded", "scale-out"]


def fresh_postgres_database() -> str:
    """A new empty PostgreSQL database for one test module; returns its URL."""
    import uuid

    import psycopg

    from assistant.db import create_database

    try:
        return create_database(POSTGRES_URL, f"nd_{uuid.uuid4().hex[:12]}")
    except psycopg.OperationalError as exc:
        pytest.fail(f"The scale-out tests need PostgreSQL at {POSTGRES_URL} (run scripts/start-postgres.sh): {exc}")


def drop_postgres_database(url: str) -> None:
    from assistant.db import drop_database

    drop_database(POSTGRES_URL, url)


def backend_settings(backend: str, folder: Path, **overrides) -> Settings:
    """Settings for the embedded index in `folder`, or for PostgreSQL + milvus-lite."""
    if backend == "embedded":
        return load_settings(environ={}, indexes_dir=folder / "indexes", **overrides)
    return load_settings(
        environ={}, indexes_dir=folder / "indexes", records_url=fresh_postgres_database(),
        vectors_uri=str(folder / "milvus.db"), **overrides,
    )


def release_backend(settings: Settings) -> None:
    if settings.records_url:
        drop_postgres_database(settings.records_url)


def sample_on_backend(request, folder: Path, embedder):
    """An Assistant over the bundled sample on `request.param` ("embedded" or "scale-out"),
    closed and its database dropped when the requesting fixture ends."""
    from assistant.facade import Assistant

    settings = backend_settings(request.param, folder)
    request.addfinalizer(lambda: release_backend(settings))
    assistant = Assistant(settings, embedder=embedder)
    request.addfinalizer(lambda: assistant.index.close())
    report = assistant.ingest([SAMPLE_DIR])
    assert report.ok, report.problems
    return assistant
