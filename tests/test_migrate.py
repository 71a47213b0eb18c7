"""newsdesk migrate: an embedded index copied into PostgreSQL + Milvus answers exactly as before."""

from __future__ import annotations

import pytest

from assistant import index as index_module
from assistant.embed import HashingEmbedder
from assistant.errors import IndexIncompatible, IndexNotFound
from assistant.facade import Assistant
from assistant.index import Index, ScaleOut
from assistant.migrate import migrate
from assistant.records import Filters

from .test_answer import check_citations
from .conftest import SAMPLE_DIR, backend_settings, drop_postgres_database, fresh_postgres_database

QUESTIONS = [
    ("Who denied that the solvent reached the river?", "ask"),
    ("Who denied attacking the Wagner Group?", "ask"),
    ("What did Marcus Obi say?", "who"),
    ("How do the outlets' accounts of whether the solvent reached the river differ?", "compare"),
    ("Summarize the coverage of the Marlow Bend spill", "summarize"),
    ("What is the capital of Australia?", "ask"),
]


@pytest.fixture
def embedded(tmp_path) -> Assistant:
    assistant = Assistant(backend_settings("embedded", tmp_path), embedder=HashingEmbedder())
    assert assistant.ingest([SAMPLE_DIR]).ok
    return assistant


@pytest.fixture
def target(tmp_path):
    url = fresh_postgres_database()
    yield ScaleOut(url, str(tmp_path / "migrated" / "milvus.db"))
    drop_postgres_database(url)


def scale_out_assistant(target: ScaleOut, folder) -> Assistant:
    settings = backend_settings("embedded", folder).with_changes(records_url=target.records_url, vectors_uri=target.vectors_uri)
    return Assistant(settings, embedder=HashingEmbedder())


def test_answers_match_before_and_after_migration(embedded, target, tmp_path):
    report = migrate(embedded.index_path, target)
    before = embedded.stats()
    assert report.rows["articles"] == before.articles + before.duplicates
    assert report.rows["chunks"] == report.vectors == before.chunks

    migrated = scale_out_assistant(target, tmp_path)
    after = migrated.stats()
    assert (after.articles, after.duplicates, after.chunks, after.statements) == (
        before.articles, before.duplicates, before.chunks, before.statements)
    assert after.outlets == before.outlets
    identical = 0
    for question, mode in QUESTIONS:
        old, new = embedded.ask(question, mode=mode), migrated.ask(question, mode=mode)
        assert new.answerable == old.answerable, question  # the same questions are refused
        check_citations(migrated, new)
        if new.answerable:  # the same coverage is cited, if not always the same sentence first
            assert {c.article_id for c in new.citations} & {c.article_id for c in old.citations}, question
        identical += new.text == old.text and new.citations == old.citations
    # Dense search and the records are the same; BM25 is not: Milvus scores with Lucene's IDF
    # (log(1 + ...)), FTS5 with the classic one, so close calls can order differently.
    assert identical >= len(QUESTIONS) // 2, f"only {identical} of {len(QUESTIONS)} answers identical"
    filtered = Filters(outlets=("Harbor Ledger (fictional)",))
    assert migrated.ask("What happened at the port?", filters=filtered).text == embedded.ask(
        "What happened at the port?", filters=filtered).text
    migrated.index.close()


def test_ingesting_after_migration_continues_the_ids(embedded, target, tmp_path):
    migrate(embedded.index_path, target)
    migrated = scale_out_assistant(target, tmp_path)
    article = tmp_path / "new.md"
    article.write_text("---\ntitle: Harbor crane collapses\noutlet: Test Wire\npublished: 2024-04-01\n---\n"
                       "A crane collapsed at the harbor on Monday, the port authority said. Nobody was hurt.\n")
    report = migrated.ingest([article])
    assert len(report.added) == 1
    answer = migrated.ask("What collapsed at the harbor?")
    assert answer.answerable and "crane" in answer.text.lower()
    rowids = [r[0] for r in migrated.index._db().execute("SELECT rowid FROM chunks").fetchall()]
    assert len(rowids) == len(set(rowids))  # new chunks got new rowids after the copied ones
    assert migrated.index.milvus.count() == len(rowids)
    migrated.index.close()


def test_migrating_into_a_database_that_holds_articles_is_refused(embedded, target):
    migrate(embedded.index_path, target)
    with pytest.raises(IndexIncompatible, match="already holds 8 articles"):
        migrate(embedded.index_path, target)


def test_a_migration_interrupted_after_its_commit_is_finished_by_running_it_again(embedded, target, monkeypatch):
    calls = []
    original = Index.apply_pending_vectors

    def crash_once(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt("killed after the records commit")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(index_module.Index, "apply_pending_vectors", crash_once)
    with pytest.raises(KeyboardInterrupt):
        migrate(embedded.index_path, target)
    report = migrate(embedded.index_path, target)
    assert report.vectors == report.rows["chunks"] == embedded.stats().chunks


def test_migrating_a_missing_index_names_it(tmp_path, target):
    with pytest.raises(IndexNotFound, match=str(tmp_path / "nowhere")):
        migrate(tmp_path / "nowhere", target)


def test_doctor_finds_and_repairs_a_milvus_collection_out_of_step_with_the_records(embedded, target, tmp_path):
    from click.testing import CliRunner

    from assistant.cli import cli

    migrate(embedded.index_path, target)
    migrated = scale_out_assistant(target, tmp_path)
    migrated.index.milvus.delete([1, 2, 3])  # vectors lost behind the records' back
    migrated.index.close()
    env = {"NEWSDESK_RECORDS_URL": target.records_url, "NEWSDESK_VECTORS_URI": target.vectors_uri,
           "NEWSDESK_MODEL_PATH": "hashing"}
    found = CliRunner().invoke(cli, ["doctor"], env=env)
    assert found.exit_code == 1 and "Milvus holds 21 chunks but the records hold 24" in found.output
    repaired = CliRunner().invoke(cli, ["doctor", "--repair"], env=env)
    assert repaired.exit_code == 0, repaired.output
    assert "re-sent all 24 chunks" in repaired.output and "Healthy now." in repaired.output
