"""newsdesk migrate: an embedded index copied into PostgreSQL + Milvus answers exactly as before."""

from __future__ import annotations

import re

import pytest

from assistant import index as index_module
from assistant import milvus_store
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
    for question, mode in QUESTIONS:
        old, new = embedded.ask(question, mode=mode), migrated.ask(question, mode=mode)
        check_citations(migrated, new)
        # Word for word: the keyword backends differ (FTS5, Milvus' BM25) but only find
        # candidates; both score them with the same statistics (bm25.py), copied by migrate.
        assert (new.answerable, new.text, new.citations) == (old.answerable, old.text, old.citations), question
    filtered = Filters(outlets=("Harbor Ledger (fictional)",))
    assert migrated.ask("What happened at the port?", filters=filtered).text == embedded.ask(
        "What happened at the port?", filters=filtered).text
    for words in ("accounts of the solvent", "Wagner camps strikes denied", "river", "US assembly", "zzz unheard-of"):
        for chosen in (Filters(), filtered):  # the same chunks with the same keyword scores
            assert migrated.index.search_bm25(words, 8, chosen) == embedded.index.search_bm25(words, 8, chosen), words
    migrated.index.close()


def test_a_collection_from_before_our_keyword_terms_is_rebuilt_when_the_index_is_opened(embedded, target, tmp_path, monkeypatch):
    old_analyzer = {"tokenizer": "standard", "filter": ["lowercase", {"type": "stemmer", "language": "english"}]}
    monkeypatch.setattr(milvus_store, "KEYWORD_ANALYZER", old_analyzer)
    migrate(embedded.index_path, target)
    monkeypatch.undo()
    migrated = scale_out_assistant(target, tmp_path)
    assert not migrated.index.milvus.keyword_analyzer_outdated()
    assert migrated.index.milvus.count() == embedded.stats().chunks
    question = "How do the outlets' accounts of whether the solvent reached the river differ?"
    assert migrated.ask(question, mode="compare").text == embedded.ask(question, mode="compare").text
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


def doctor_then_repair(target: ScaleOut):
    """`newsdesk doctor`, then `newsdesk doctor --repair`, on the scale-out index (CLI results)."""
    from click.testing import CliRunner

    from assistant.cli import cli

    env = {"NEWSDESK_RECORDS_URL": target.records_url, "NEWSDESK_VECTORS_URI": target.vectors_uri,
           "NEWSDESK_MODEL_PATH": "hashing"}
    return CliRunner().invoke(cli, ["doctor"], env=env), CliRunner().invoke(cli, ["doctor", "--repair"], env=env)


def test_doctor_finds_and_repairs_a_milvus_collection_out_of_step_with_the_records(embedded, target, tmp_path):
    migrate(embedded.index_path, target)
    migrated = scale_out_assistant(target, tmp_path)
    migrated.index.milvus.delete([1, 2, 3])  # vectors lost behind the records' back
    migrated.index.close()
    found, repaired = doctor_then_repair(target)
    assert found.exit_code == 1 and "Milvus holds 21 chunks but the records hold 24" in found.output
    assert repaired.exit_code == 0, repaired.output
    assert "re-sent all 24 chunks" in repaired.output and "Healthy now." in repaired.output


def test_doctor_finds_and_recounts_keyword_statistics_out_of_step_on_postgresql(embedded, target, tmp_path):
    from assistant.db import connect_postgresql

    migrate(embedded.index_path, target)
    question = "Who denied that the solvent reached the river?"
    expected = embedded.ask(question).text
    db = connect_postgresql(target.records_url)  # as a crashed bulk tool might leave them
    db.execute("DELETE FROM bm25_terms WHERE term IN ('solvent', 'river')")
    db.execute("UPDATE meta SET value = '3' WHERE key = 'bm25_chunks'")
    db.close()
    found, repaired = doctor_then_repair(target)
    assert found.exit_code == 1 and re.search(r"keyword statistics count 3 chunk\(s\) of \d+ word\(s\) but the "
                                              r"records hold 24 of \d+; 2 term\(s\) are counted wrongly: 'river', "
                                              r"'solvent'", " ".join(found.output.split())), found.output
    assert repaired.exit_code == 0, repaired.output
    assert "recounted the keyword statistics from 24 chunk(s)" in repaired.output
    migrated = scale_out_assistant(target, tmp_path)
    assert migrated.ask(question).text == expected
    migrated.index.close()
