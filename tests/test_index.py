"""The index on disk: self-description, compatibility checks, damage, crash recovery, locking."""

import json
import multiprocessing
import sqlite3

import numpy as np
import pytest

from assistant import bm25, segment
from assistant.errors import IndexCorrupt, IndexIncompatible, IndexLocked, IndexNotFound
from assistant.db import SCHEMA_VERSION
from assistant.index import (
    MANIFEST, RECORDS, VECTORS, Index, _write_lock, decode_sentence_vectors, encode_sentence_vector, rebuild_keywords,
)
from assistant.index import text_hash as index_text_hash
from assistant.records import Article, Filters

TEXT = "The ministry denied the strike. Prigozhin said his camps were hit. He vowed revenge on everyone."


def _article(article_id="a1", text=TEXT, outlet="Fox News", date="2023-06-23"):
    return Article(id=article_id, title="Wagner", text=text, outlet=outlet, author=None, published_at=date,
                   url=None, source="test", where=article_id, content_hash=article_id)


def _put(index, embedder, article):
    sentences = segment.split_sentences(article.id, article.text)
    chunks = segment.make_chunks(article.id, article.text, sentences, 60, 0)
    vectors = embedder.embed([c.text for c in chunks])
    with index.writer() as w:
        w.put_article(article, "content", None, (), sentences, chunks, vectors,
                      [f"{article.id}{c.index}" for c in chunks], ())


@pytest.fixture
def index(tmp_path, fake_embedder):
    return Index.create(tmp_path / "idx", fake_embedder.model_id, fake_embedder.dimension)


def test_manifest_describes_the_index(index, fake_embedder):
    _put(index, fake_embedder, _article())
    manifest = json.loads((index.path / MANIFEST).read_text())
    assert manifest["embedding_model"] == fake_embedder.model_id
    assert manifest["dimension"] == fake_embedder.dimension
    assert manifest["schema_version"] == SCHEMA_VERSION == 3
    assert manifest["counts"]["articles"] == 1 and manifest["counts"]["chunks"] == 3
    assert manifest["generation"] == 1


def test_dense_and_bm25_search_with_filters(index, fake_embedder):
    _put(index, fake_embedder, _article())
    _put(index, fake_embedder, _article("b2", "Reuters reported that grain exports resumed in Odesa.", "Reuters", "2023-07-01"))
    hits = index.search_bm25("grain exports", 5)
    assert [index.chunks_by_rowid([r])[r].article_id for r, _ in hits] == ["b2"]
    dense = index.search_dense(fake_embedder.embed(["camps were hit"])[0], 5)
    assert index.chunks_by_rowid([dense[0][0]])[dense[0][0]].text == "Prigozhin said his camps were hit."
    only_reuters = index.search_dense(fake_embedder.embed(["camps were hit"])[0], 5, Filters(outlets=("Reuters",)))
    assert {index.chunks_by_rowid([r])[r].article_id for r, _ in only_reuters} == {"b2"}
    assert index.search_bm25("camps", 5, Filters(since="2023-06-30")) == []


def test_close_closes_every_threads_connection_and_a_later_use_reopens(index, fake_embedder):
    import threading

    _put(index, fake_embedder, _article())
    used = {}

    def search_in_a_thread():
        index.search_bm25("camps", 5)
        used["db"] = index._db()

    worker = threading.Thread(target=search_in_a_thread)
    worker.start()
    worker.join()
    index.close()
    with pytest.raises(sqlite3.ProgrammingError):  # the other thread's connection is closed too
        used["db"].raw.execute("SELECT 1")
    assert [r for r, _ in index.search_bm25("camps", 5)]  # this thread opens a new one


def test_chunk_text_is_cut_from_the_stored_text(index, fake_embedder):
    _put(index, fake_embedder, _article())
    for chunk in index.chunks_of("a1"):
        assert index.article_text("a1")[chunk.start:chunk.end] == chunk.text


def test_missing_index_says_how_to_create_one(tmp_path):
    with pytest.raises(IndexNotFound, match="newsdesk ingest"):
        Index.open(tmp_path / "nothing")


def test_other_model_or_dimension_is_refused_with_rebuild_advice(index, fake_embedder):
    with pytest.raises(IndexIncompatible, match="built with the embedding model hashing-256.*Rebuild it"):
        Index.open(index.path, "all-MiniLM-L6-v2@abc", 384)
    with pytest.raises(IndexIncompatible, match="256-dimensional"):
        Index.open(index.path, fake_embedder.model_id, 384)


def test_damaged_manifest_is_a_clear_error(index):
    (index.path / MANIFEST).write_text('{"schema_version": 1, "embedd')
    with pytest.raises(IndexCorrupt, match="manifest.*damaged"):
        Index.open(index.path)


def test_damaged_records_file_is_a_clear_error(index):
    (index.path / RECORDS).write_bytes(b"this is not a database" * 100)
    for extra in ("-wal", "-shm"):
        (index.path / (RECORDS + extra)).unlink(missing_ok=True)
    with pytest.raises(IndexCorrupt, match="records.sqlite"):
        Index.open(index.path)


def test_stale_or_damaged_faiss_file_is_rebuilt_from_records(index, fake_embedder):
    _put(index, fake_embedder, _article())
    query = fake_embedder.embed(["camps were hit"])[0]
    before = index.search_dense(query, 3)
    (index.path / VECTORS).write_bytes(b"garbage")
    reopened = Index.open(index.path, fake_embedder.model_id, fake_embedder.dimension)
    assert reopened.search_dense(query, 3) == before
    assert (index.path / VECTORS).stat().st_size > 100  # written again


def test_crash_after_commit_before_derived_files_recovers(index, fake_embedder):
    """Simulate a kill between the SQLite commit and the FAISS/manifest rename."""
    _put(index, fake_embedder, _article())
    manifest_before = (index.path / MANIFEST).read_bytes()
    faiss_before = (index.path / VECTORS).read_bytes()
    _put(index, fake_embedder, _article("b2", "Reuters reported that grain exports resumed.", "Reuters"))
    (index.path / MANIFEST).write_bytes(manifest_before)
    (index.path / VECTORS).write_bytes(faiss_before)
    reopened = Index.open(index.path, fake_embedder.model_id, fake_embedder.dimension)
    assert reopened.stats().articles == 2
    assert json.loads((index.path / MANIFEST).read_text())["counts"]["articles"] == 2
    hits = reopened.search_dense(fake_embedder.embed(["grain exports resumed"])[0], 1)
    assert reopened.chunks_by_rowid([hits[0][0]])[hits[0][0]].article_id == "b2"


def test_failed_write_leaves_the_previous_state(index, fake_embedder):
    _put(index, fake_embedder, _article())
    with pytest.raises(RuntimeError):
        with index.writer() as w:
            w.remove_article("a1")
            raise RuntimeError("killed halfway")
    assert index.stats().articles == 1 and index.stats().chunks == 3
    assert len(index.search_dense(fake_embedder.embed(["ministry"])[0], 5)) == 3


def _hold_lock(path, ready, release):
    with _write_lock(path):
        ready.set()
        release.wait(10)


def test_a_second_writer_gets_a_clear_message(index):
    ctx = multiprocessing.get_context("spawn")  # a fork would copy threads earlier tests left (gRPC)
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(index.path, ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(IndexLocked, match=f"being written by another process \\(pid {holder.pid}\\)"):
            with index.writer(lock_timeout_s=0.3):
                pass
    finally:
        release.set()
        holder.join(10)


def _put_with_sentence_vectors(index, fake_embedder):
    """The test article, one sentence a chunk, stored with its sentences' vectors."""
    article = _article()
    sentences = segment.split_sentences(article.id, article.text)
    chunks = segment.make_chunks(article.id, article.text, sentences, 60, 0)
    by_sentence = fake_embedder.embed([s.text for s in sentences])
    with index.writer() as w:
        w.put_article(article, "content", None, (), sentences, chunks, fake_embedder.embed([c.text for c in chunks]),
                      [f"c{c.index}" for c in chunks], (), sentence_vectors=by_sentence)
    return article, sentences, by_sentence


def test_sentence_vectors_are_stored_found_by_chunk_and_text_and_removed_with_the_article(index, fake_embedder):
    article, sentences, by_sentence = _put_with_sentence_vectors(index, fake_embedder)
    rowids = [r for r, _ in index.search_dense(fake_embedder.embed(["strike"])[0], 10)]
    in_chunks = index.sentence_vectors_in_chunks(rowids)
    assert sum(len(m) for m in in_chunks.values()) == len(sentences) == 3  # each sentence in its chunk
    stored = index.sentence_vectors(article.id)
    for sentence, vector in zip(sentences, by_sentence):
        # int8 with a scale: each component within half a step of the largest one / 127
        assert np.allclose(stored[(sentence.start, sentence.end)], vector, atol=np.abs(vector).max() / 254 + 1e-6)
    # A later article holding the same sentence reuses its vector instead of embedding it again.
    assert set(index.vectors_by_text_hash([index_text_hash(sentences[1].text)])) == {index_text_hash(sentences[1].text)}
    with index.writer() as w:
        w.remove_article(article.id)
    assert index.sentence_vectors(article.id) == {} and index.sentence_vectors_in_chunks(rowids) == {}


def test_sentence_vectors_are_int8_and_float16_rows_of_earlier_indexes_still_read(index, fake_embedder):
    """Session 10's schema-3 indexes stored float16 (2 bytes a component); now int8 + a float32
    scale. Both are read, in one call, each row as written; any other size is an error."""
    vectors = np.asarray(fake_embedder.embed(["Ministry denies strike", "Prigozhin says camps were hit"]))
    assert len(encode_sentence_vector(vectors[0])) == index.dimension + 4
    old = vectors[1].astype(np.float16).tobytes()
    decoded = decode_sentence_vectors([encode_sentence_vector(vectors[0]), old], index.dimension)
    assert np.abs(decoded[0] - vectors[0]).max() <= np.abs(vectors[0]).max() / 254 + 1e-6
    assert np.array_equal(decoded[1], vectors[1].astype(np.float16).astype(np.float32))
    assert abs(float(decoded[0] @ vectors[0]) - 1.0) < 1e-3
    with pytest.raises(ValueError, match="stored sentence vector of 7 bytes"):
        decode_sentence_vectors([b"\0" * 7], index.dimension)

    article, sentences, by_sentence = _put_with_sentence_vectors(index, fake_embedder)
    db = sqlite3.connect(index.path / RECORDS)
    db.execute("UPDATE sentence_vectors SET vector=? WHERE idx=0", (np.asarray(by_sentence[0], np.float16).tobytes(),))
    db.commit()
    db.close()
    stored = index.sentence_vectors(article.id)
    first, second = sentences[0], sentences[1]
    assert np.allclose(stored[(first.start, first.end)], by_sentence[0], atol=1e-3)
    assert np.allclose(stored[(second.start, second.end)], by_sentence[1], atol=np.abs(by_sentence[1]).max() / 254 + 1e-6)
    rowids = [r for r, _ in index.search_dense(fake_embedder.embed(["strike"])[0], 10)]
    assert sum(len(m) for m in index.sentence_vectors_in_chunks(rowids).values()) == 3


def test_remove_article_removes_vectors_and_bm25(index, fake_embedder):
    _put(index, fake_embedder, _article())
    with index.writer() as w:
        assert w.remove_article("a1")
    assert index.search_bm25("ministry", 5) == []
    assert index.search_dense(fake_embedder.embed(["ministry"])[0], 5) == []
    assert sqlite3.connect(index.path / RECORDS).execute("SELECT COUNT(*) FROM sentences").fetchone()[0] == 0


def test_past_the_flat_limit_the_vectors_move_to_ivf_and_stay_searchable(tmp_path, monkeypatch):
    """The FAISS type follows the collection size (vector_index.choose_faiss_index): exact search up
    to FLAT_MAX_VECTORS, IVF above, rebuilt when a write crosses the line; doctor accepts both."""
    import subprocess
    import sys

    from assistant import doctor, vector_index
    from assistant.embed import HashingEmbedder
    from assistant.facade import Assistant
    from assistant.records import Filters
    from assistant.settings import load_settings

    from .conftest import ROOT, SAMPLE_DIR

    monkeypatch.setattr(vector_index, "FLAT_MAX_VECTORS", 60)
    corpus = tmp_path / "corpus"
    subprocess.run([sys.executable, "-m", "bench.corpus", str(corpus), "--n", "40", "--seed", "3", "--format", "md"],
                   cwd=ROOT, check=True, capture_output=True)
    assistant = Assistant(load_settings(environ={}, indexes_dir=tmp_path / "indexes"), embedder=HashingEmbedder())
    assistant.ingest([SAMPLE_DIR])
    assert assistant.index.manifest["faiss_index"] == "IndexIDMap2(IndexFlatIP)"  # 24 chunks: exact
    assistant.ingest([corpus])
    index = assistant.index
    assert index.stats().chunks > 60
    assert index.manifest["faiss_index"].startswith("IVF64,Flat")
    assert vector_index.describe(index._faiss_index()).startswith("IVF64,Flat")
    assert not [f for f in doctor.diagnose(index.path) if f.file == "vectors.faiss"]
    question = "Who denied that the solvent reached the river?"
    hits = index.search_dense(assistant.embedder.embed([question])[0], 5, Filters(outlets=("Harbor Ledger (fictional)",)))
    assert hits and {index.chunk_articles([r for r, _ in hits])[r][2][0] for r, _ in hits} == {"Harbor Ledger (fictional)"}
    answer = assistant.ask(question)
    assert answer.answerable and "Whitcombe" in answer.text
    reopened = Index.open(index.path)  # the saved file is the IVF index, not rebuilt on open
    assert vector_index.describe(reopened._faiss_index()) == vector_index.describe(index._faiss_index())


def _keyword_stats(index) -> tuple[dict, dict]:
    db = index._db()
    terms = dict(db.execute("SELECT term, chunks FROM bm25_terms").fetchall())
    totals = dict(db.execute("SELECT key, value FROM meta WHERE key LIKE 'bm25_%'").fetchall())
    return terms, totals


def _recounted(index) -> tuple[dict, dict]:
    with index.writer() as w:
        rebuild_keywords(w.db, fts_table=True)
        w.changed = True
    return _keyword_stats(index)


def test_keyword_statistics_follow_every_add_update_and_remove(index, fake_embedder):
    _put(index, fake_embedder, _article())
    _put(index, fake_embedder, _article("b2", "Reuters reported that grain exports resumed in Odesa.", "Reuters"))
    _put(index, fake_embedder, _article("a1", "The ministry denied everything again."))  # a new version
    with index.writer() as w:
        w.remove_article("b2")
    kept = _keyword_stats(index)
    assert kept[0]["deni"] == 1 and "grain" not in kept[0] and "prigozhin" not in kept[0]
    assert kept[1] == {"bm25_chunks": "1", "bm25_tokens": str(bm25.length("Wagner\nThe ministry denied everything again."))}
    assert kept == _recounted(index)


def test_keyword_scores_use_the_stored_statistics(index, fake_embedder):
    _put(index, fake_embedder, _article())
    _put(index, fake_embedder, _article("b2", "Reuters reported that grain exports resumed in Odesa.", "Reuters"))
    hits = index.search_bm25("grain camps", 5)
    texts = index.keyword_texts([r for r, _ in hits])
    stats = index.term_stats(["grain", "camp"])
    assert stats.chunks == 4 and stats.holding == {"grain": 1, "camp": 1}
    assert hits == [(r, pytest.approx(bm25.score(["grain", "camp"], texts[r], stats))) for r, _ in hits]
    assert len(hits) == 2


def test_keyword_search_finds_what_the_terms_hold_short_words_and_all(index, fake_embedder):
    # FTS5's own Porter tokenizer left "us" whole and stemmed "assembly" like "assembled": it found
    # other chunks than Milvus (which indexes our terms) and crowded out the one that scores.
    _put(index, fake_embedder, _article("us", "U.S. officials met in Geneva.", "Reuters"))
    for n in range(4):
        _put(index, fake_embedder, _article(f"x{n}", f"Crews assembled the crane, part {n}.", "Reuters"))
    _put(index, fake_embedder, _article("as", "The assembly voted on the crane.", "Reuters"))
    assert [index.chunks_by_rowid([r])[r].article_id for r, _ in index.search_bm25("US", 3)] == ["us"]
    assert [index.chunks_by_rowid([r])[r].article_id for r, _ in index.search_bm25("assembly", 1)] == ["as"]


def test_an_index_from_before_keyword_statistics_is_upgraded_on_open(index, fake_embedder):
    _put(index, fake_embedder, _article())
    expected, hits = _keyword_stats(index), index.search_bm25("camps revenge", 5)
    db = sqlite3.connect(index.path / RECORDS)  # what schema version 1 looked like
    db.execute("DROP TABLE bm25_terms")
    db.execute("DROP TABLE chunks_fts")  # version 1: Porter tokenizer over the raw text
    db.execute("CREATE VIRTUAL TABLE chunks_fts USING fts5(text, tokenize = 'porter unicode61')")
    db.execute("INSERT INTO chunks_fts (rowid, text) SELECT c.rowid, a.title || char(10) || "
               "substr(a.text, c.start + 1, c.end - c.start) FROM chunks c JOIN articles a ON a.id = c.article_id")
    db.execute("DELETE FROM meta WHERE key LIKE 'bm25_%'")
    db.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    db.commit()
    db.close()
    manifest = json.loads((index.path / MANIFEST).read_text())
    (index.path / MANIFEST).write_text(json.dumps({**manifest, "schema_version": 1}))
    index.close()
    upgraded = Index.open(index.path, fake_embedder.model_id, fake_embedder.dimension)
    assert json.loads((index.path / MANIFEST).read_text())["schema_version"] == SCHEMA_VERSION
    assert _keyword_stats(upgraded) == expected
    assert upgraded.search_bm25("camps revenge", 5) == hits


# ----------------------------------------------------------------------------- wire copies and filters

NORTHBANK, RIVERLINE = "Northbank Daily (fictional)", "Riverline Wire (fictional)"
COPY_PUBDATE = "Wed, 13 Mar 2024 16:30:00 +0100"  # Northbank's run of Riverline's story, in its feed


def wire_sample(folder):
    """The bundled sample with Northbank Daily's copy of the Riverline Wire story dated two days
    after the original (the sample dates both the same day)."""
    import shutil

    from .conftest import SAMPLE_DIR

    shutil.copytree(SAMPLE_DIR, folder)
    feed = folder / "2024-03-14-northbankdaily-feed.xml"
    text = feed.read_text(encoding="utf-8")
    assert text.count(COPY_PUBDATE) == 1
    feed.write_text(text.replace(COPY_PUBDATE, "Fri, 15 Mar 2024 08:00:00 +0100"), encoding="utf-8")
    return folder


@pytest.fixture(params=["embedded", "scale-out"])
def wire_assistant(request, tmp_path, fake_embedder):
    from assistant.facade import Assistant

    from .conftest import backend_settings, release_backend

    settings = backend_settings(request.param, tmp_path)
    request.addfinalizer(lambda: release_backend(settings))
    assistant = Assistant(settings, embedder=fake_embedder)
    request.addfinalizer(lambda: assistant.index.close())
    assert assistant.ingest([wire_sample(tmp_path / "sample")]).ok
    return assistant


def _wire_ids(assistant) -> tuple[str, str, str]:
    """(the original's id, its copy's id, Northbank's own article's id)."""
    rows = assistant.list_articles()
    copy = next(r for r in rows if r.duplicate_of)
    own = next(r for r in rows if r.outlet == NORTHBANK and not r.duplicate_of)
    return copy.duplicate_of, copy.id, own.id


def _found(assistant, filters) -> set[str]:
    """The articles every kind of search lets through `filters` (k above the sample's chunks)."""
    index = assistant.index
    vector = assistant.embedder.embed(["Kessler leak mayor minister"])[0]
    dense = {r for r, _ in index.search_dense(vector, 100, filters)}
    keyword = {r for r, _ in index.search_bm25("Kessler Marlow Bend", 100, filters)}
    assert dense == keyword  # every chunk of the sample holds "Kessler" or "Marlow Bend" in its headline
    if index.milvus is not None:
        assert {r for r, _ in index.search_hybrid(vector, "Kessler Marlow Bend", 100, filters)} == dense
    return {m[1] for m in index.chunk_articles(sorted(dense)).values()}


def test_an_outlet_filter_finds_the_wire_stories_the_outlet_ran_as_its_original(wire_assistant):
    original, copy, own = _wire_ids(wire_assistant)
    assert _found(wire_assistant, Filters(outlets=(NORTHBANK,))) == {own, original}
    assert _found(wire_assistant, Filters(outlets=(RIVERLINE,))) == {original}
    # Outlet and date hold for the same publication: Northbank ran the story on the 15th.
    assert _found(wire_assistant, Filters(outlets=(NORTHBANK,), since="2024-03-15")) == {original}
    assert _found(wire_assistant, Filters(outlets=(NORTHBANK,), until="2024-03-14")) == {own}
    assert _found(wire_assistant, Filters(outlets=(RIVERLINE,), since="2024-03-14")) == set()
    assert original in _found(wire_assistant, Filters(since="2024-03-15", until="2024-03-15"))
    info = wire_assistant.index.article_infos([original])[original]
    assert info.also_published_by == (NORTHBANK,)
    assert [(outlet, day[:10]) for outlet, day in info.copies] == [(NORTHBANK, "2024-03-15")]


def test_removing_the_copy_ends_the_match_and_removing_the_original_lets_the_copy_stand(wire_assistant):
    original, copy, own = _wire_ids(wire_assistant)
    wire_assistant.remove(original)  # the copy is promoted and indexed with its own text and outlet
    assert _found(wire_assistant, Filters(outlets=(NORTHBANK,))) == {own, copy}
    assert _found(wire_assistant, Filters(outlets=(RIVERLINE,))) == set()
    wire_assistant.remove(copy)
    assert _found(wire_assistant, Filters(outlets=(NORTHBANK,))) == {own}


def test_removing_a_copy_ends_its_outlets_match_with_the_original(wire_assistant):
    original, copy, own = _wire_ids(wire_assistant)
    wire_assistant.remove(copy)
    assert _found(wire_assistant, Filters(outlets=(NORTHBANK,))) == {own}
    assert _found(wire_assistant, Filters(outlets=(RIVERLINE,))) == {original}
    assert wire_assistant.index.article_infos([original])[original].copies == ()
