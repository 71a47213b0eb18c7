"""The Milvus search stage on milvus-lite: dense, BM25 and hybrid search with pushed-down filters."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from assistant import bm25, milvus_store
from assistant.milvus_store import MilvusChunks, VectorRow, filter_expression, is_lite, milvus_uri
from assistant.records import Filters

from .conftest import ROOT

TEXTS = [
    ("a1", "The mayor denied that solvent reached the river", "Harbor Ledger", "2024-03-12"),
    ("a1", "Crews pumped the storm drain overnight", "Harbor Ledger", "2024-03-12"),
    ("a2", "State tests found toluene in the river downstream", "Ostra Courier", "2024-03-13"),
    ("a3", "The company apologised for the drain", "Daily Sentinel", "2024-03-15"),
    ("a4", "An undated note about the river", "", ""),
]


@pytest.fixture
def chunks(tmp_path):
    rng = np.random.default_rng(3)
    store = MilvusChunks(str(tmp_path / "chunks.db"), "", "test_chunks", 16)
    rows = []
    for rowid, (article, text, outlet, day) in enumerate(TEXTS, start=1):
        vector = rng.normal(size=16).astype(np.float32)
        rows.append(VectorRow(rowid, article, keywords(text), vector / np.linalg.norm(vector), outlet, day))
    store.upsert(rows)
    yield store, rows
    store.close()


def keywords(text: str) -> str:
    """What the index stage stores and searches for a text: its bm25 terms."""
    return " ".join(bm25.terms(text))


def test_dense_search_finds_the_same_vector_first(chunks):
    store, rows = chunks
    hits = store.search_dense_many(np.vstack([rows[2].vector, rows[3].vector]), 2)
    assert [h[0][0] for h in hits] == [3, 4]
    assert hits[0][0][1] == pytest.approx(1.0, abs=1e-4)  # cosine


def test_bm25_search_matches_our_stems_and_ranks_higher_is_better(chunks):
    store, _ = chunks
    hits = store.search_bm25(keywords("denies solvents"), 3)  # stems: "deni", "solvent"
    assert hits[0][0] == 1 and hits[0][1] > 0
    assert store.search_bm25("denies", 3) == []  # Milvus stems nothing itself: the terms are ours


def test_a_collection_analysing_keywords_the_old_way_is_found_and_made_again(tmp_path, monkeypatch):
    old = {"tokenizer": "standard", "filter": ["lowercase", {"type": "stemmer", "language": "english"}]}
    monkeypatch.setattr(milvus_store, "KEYWORD_ANALYZER", old)
    store = MilvusChunks(str(tmp_path / "old.db"), "", "old_chunks", 4)
    store.upsert([VectorRow(1, "a1", "The mayor denied it", np.ones(4, dtype=np.float32) / 2, "", "")])
    store.close()
    monkeypatch.undo()
    store = MilvusChunks(str(tmp_path / "old.db"), "", "old_chunks", 4)
    assert store.keyword_analyzer_outdated()
    store.recreate()
    assert not store.keyword_analyzer_outdated() and store.count() == 0
    store.close()


def test_filters_are_pushed_into_every_search(chunks):
    store, rows = chunks
    only_harbor = Filters(outlets=("Harbor Ledger",))
    assert {r for r, _ in store.search_bm25(keywords("river drain"), 10, only_harbor)} == {1, 2}
    in_march_13_on = Filters(since="2024-03-13")
    assert {r for r, _ in store.search_dense_many(rows[0].vector[None, :], 10, in_march_13_on)[0]} == {3, 4}
    until_12 = Filters(until="2024-03-12")  # undated articles do not pass a date filter
    assert {r for r, _ in store.search_bm25("river", 10, until_12)} == {1}
    assert {r for r, _ in store.search_hybrid(rows[4].vector, "river", 10, Filters(article_ids=("a2",)))} == {3}


def test_articles_whose_wire_copies_pass_are_let_through_the_outlet_and_date_filters(chunks):
    store, rows = chunks
    # a3 (Daily Sentinel) was also run by Harbor Ledger: the index passes it as `copied`.
    harbor = Filters(outlets=("Harbor Ledger",))
    assert {r for r, _ in store.search_bm25(keywords("river drain"), 10, harbor, copied=("a3",))} == {1, 2, 4}
    dense = store.search_dense_many(rows[0].vector[None, :], 10, Filters(until="2024-03-12"), copied=("a3",))[0]
    assert {r for r, _ in dense} == {1, 2, 4}
    only_a1 = Filters(outlets=("Harbor Ledger",), article_ids=("a1",))  # the article filter still holds
    assert {r for r, _ in store.search_hybrid(rows[0].vector, "river", 10, only_a1, copied=("a3",))} == {1, 2}
    assert {r for r, _ in store.search_bm25(keywords("river"), 10, Filters(), copied=("a3",))} == {1, 3, 5}


def test_hybrid_search_fuses_dense_and_bm25_server_side(chunks):
    store, rows = chunks
    hits = store.search_hybrid(rows[3].vector, keywords("toluene downstream"), 5)
    assert {hits[0][0], hits[1][0]} == {4, 3}  # the dense match and the keyword match lead
    assert all(s <= 2 / 61 + 1e-6 for _, s in hits)  # RRF scores (k=60), not cosines


def test_deletes_by_chunk_and_by_article(chunks):
    store, _ = chunks
    store.delete([2])
    store.delete_article("a2")
    assert store.count() == 3
    assert {r for r, _ in store.search_bm25(keywords("river drain toluene"), 10)} == {1, 4, 5}


def test_a_second_process_on_a_lite_file_gets_a_clear_message(chunks, tmp_path):
    code = (
        "import sys; sys.path.insert(0, sys.argv[2]);"
        "from assistant.milvus_store import MilvusChunks;"
        "from assistant.errors import IndexLocked\n"
        "try:\n MilvusChunks(sys.argv[1], '', 'test_chunks', 16)\n"
        "except IndexLocked as e: print('LOCKED', e)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "chunks.db"), str(ROOT)],
                          capture_output=True, text=True, timeout=120)
    assert "LOCKED" in done.stdout and "one process per" in done.stdout and "milvus-lite server" in done.stdout


def test_uri_forms():
    assert milvus_uri("milvus://db.internal:19530") == "http://db.internal:19530"
    assert milvus_uri("http://h:19530") == "http://h:19530"
    assert is_lite("./chunks.db") and is_lite("milvus:///tmp/x.db") and not is_lite("milvus://h:19530")
    assert milvus_uri("milvus:///tmp/x.db") == "/tmp/x.db"


def test_filter_expression_quotes_values():
    expression = filter_expression(Filters(outlets=('Say "hi"',), since="2024-01-01T10:00:00"))
    assert expression == 'outlet in ["Say \\"hi\\""] and day >= "2024-01-01"'
    assert filter_expression(Filters()) == ""
    copied = filter_expression(Filters(outlets=("Wire",), until="2024-03-12"), copied=("a3",))
    assert copied == '((outlet in ["Wire"] and day != "" and day <= "2024-03-12") or article_id in ["a3"])'
    assert filter_expression(Filters(article_ids=("a1",)), copied=("a3",)) == 'article_id in ["a1"]'

