"""`newsdesk doctor`: what it finds in damaged index folders and what repair brings back."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from assistant import doctor
from assistant.errors import IndexCorrupt, IndexLocked
from assistant.facade import Assistant
from assistant.index import MANIFEST, RECORDS, VECTORS, Index, _write_lock

WORDS = ("ministry denied strike officials army fired missiles port residents fled grain exports "
         "resumed talks collapsed harbour council budget vote court ruling appeal").split()


def write_articles(folder: Path, count: int, start: int = 0) -> dict[str, str]:
    """Markdown articles; article i mentions the made-up word `kw{i}x` so a search can find it."""
    folder.mkdir(parents=True, exist_ok=True)
    keywords = {}
    for i in range(start, start + count):
        paragraphs = []
        for p in range(4):
            words = [WORDS[(i * 7 + p * 3 + k) % len(WORDS)] for k in range(14)]
            paragraphs.append(f"Officials in town {i} said the {' '.join(words)} on day {p}. "
                              f"The council confirmed kw{i}x report number {p} on Monday.")
        (folder / f"story-{i:03d}.md").write_text(
            f"---\ntitle: Story {i}\noutlet: Outlet {i % 4}\ndate: 2024-03-{i % 28 + 1:02d}\n---\n\n"
            + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
        keywords[f"story-{i:03d}.md"] = f"kw{i}x"
    return keywords


def open_index(assistant: Assistant) -> Index:
    return Index.open(assistant.index_path, assistant.embedder.model_id, assistant.embedder.dimension)


def snapshot(index: Index) -> dict:
    """What a user can see of an index: its articles and what a few searches return."""
    return {
        "articles": sorted((r.id, r.title, r.chunks) for r in index.list_articles()),
        "bm25": [index.search_bm25(q, 5) for q in ("kw3x", "grain exports", "council budget")],
    }


def codes(findings) -> set[str]:
    return {f.code for f in findings}


@pytest.fixture
def built(tmp_path, settings, fake_embedder):
    """An index of 12 generated articles, as `newsdesk ingest` builds it."""
    source = tmp_path / "coverage"
    write_articles(source, 12)
    assistant = Assistant(settings, tmp_path / "idx", embedder=fake_embedder)
    report = assistant.ingest([source])
    assert len(report.added) == 12 and not report.problems
    return assistant, source


def test_a_healthy_index_has_no_findings_and_repair_changes_nothing(built):
    assistant, _ = built
    path = assistant.index_path
    before = {p.name: p.read_bytes() for p in path.iterdir() if p.name != "write.lock"}
    assert doctor.diagnose(path) == []
    assert doctor.repair(path) == []
    after = {p.name: p.read_bytes() for p in path.iterdir() if p.name != "write.lock"}
    assert after.keys() == before.keys()
    assert after[MANIFEST] == before[MANIFEST] and after[VECTORS] == before[VECTORS]


def test_no_index_folder_is_one_clear_finding(tmp_path):
    (finding,) = doctor.diagnose(tmp_path / "nowhere")
    assert finding.severity == "error" and finding.code == "index-missing"
    assert "newsdesk ingest" in finding.repair


def test_damaged_manifest_is_found_and_rewritten_from_the_records(built):
    assistant, _ = built
    path = assistant.index_path
    expected = snapshot(open_index(assistant))
    (path / MANIFEST).write_text('{"schema_version": 1, "embedd', encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="manifest.json is damaged.*newsdesk doctor"):
        open_index(assistant)
    (finding,) = doctor.diagnose(path)
    assert (finding.severity, finding.file, finding.code) == ("error", MANIFEST, "manifest-unreadable")
    assert "Rewrites manifest.json from the records" in finding.repair
    actions = doctor.repair(path)
    assert any("Rewrote manifest.json" in a for a in actions)
    assert doctor.diagnose(path) == []
    assert snapshot(open_index(assistant)) == expected


def test_missing_manifest_is_not_mistaken_for_a_new_index(built, settings, fake_embedder):
    """Ingesting into a folder whose manifest is gone must not reset the stored records."""
    assistant, source = built
    path = assistant.index_path
    (path / MANIFEST).unlink()
    with pytest.raises(IndexCorrupt, match="manifest.json is missing.*doctor --repair"):
        open_index(assistant)
    with pytest.raises(IndexCorrupt, match="manifest.json is missing"):
        Assistant(settings, path, embedder=fake_embedder).ingest([source])
    assert "manifest-missing" in codes(doctor.diagnose(path))
    doctor.repair(path)
    assert len(open_index(assistant).list_articles()) == 12


def test_manifest_that_disagrees_with_the_records_is_rewritten(built):
    assistant, _ = built
    path = assistant.index_path
    manifest = json.loads((path / MANIFEST).read_text())
    manifest["counts"]["articles"] = 999
    (path / MANIFEST).write_text(json.dumps(manifest))
    assert codes(doctor.diagnose(path)) == {"manifest-counts"}
    manifest["embedding_model"] = "some-other-model@123"
    (path / MANIFEST).write_text(json.dumps(manifest))
    (finding,) = doctor.diagnose(path)
    assert finding.code == "manifest-disagrees" and "some-other-model@123" in finding.problem
    doctor.repair(path)
    assert json.loads((path / MANIFEST).read_text())["counts"]["articles"] == 12
    assert doctor.diagnose(path) == []


@pytest.mark.parametrize("damage", ["garbage", "truncated", "stale", "missing"])
def test_damaged_or_stale_vectors_file_is_rebuilt_from_the_stored_vectors(built, damage, fake_embedder):
    assistant, _ = built
    path = assistant.index_path
    query = fake_embedder.embed(["grain exports resumed"])[0]
    expected = open_index(assistant).search_dense(query, 5)
    data = (path / VECTORS).read_bytes()
    if damage == "garbage":
        (path / VECTORS).write_bytes(os.urandom(len(data)))
    elif damage == "truncated":
        (path / VECTORS).write_bytes(data[: len(data) // 2])
    elif damage == "stale":  # a valid file of an older generation
        (path / VECTORS).write_bytes(data[:-20] + b"%020d" % 0)
    else:
        (path / VECTORS).unlink()
    (finding,) = doctor.diagnose(path)
    assert finding.file == VECTORS and finding.severity == "warning"
    assert "rebuilds it" in finding.problem  # the user learns opening copes on its own
    assert any(f"Rebuilt {VECTORS}" in a for a in doctor.repair(path))
    assert doctor.diagnose(path) == []
    assert open_index(assistant).search_dense(query, 5) == expected


def test_bm25_table_out_of_step_with_the_chunks_is_rebuilt(built):
    assistant, _ = built
    path = assistant.index_path
    expected = snapshot(open_index(assistant))
    change_records(path, "DELETE FROM chunks_fts WHERE rowid IN (SELECT rowid FROM chunks_fts LIMIT 3)",
                   "INSERT INTO chunks_fts (rowid, text) VALUES (99999, 'a phantom chunk about grain')")
    (finding,) = doctor.diagnose(path)
    assert finding.code == "fts-mismatch" and "3 chunk(s) missing" in finding.problem and "1 row(s) without" in finding.problem
    repaired_as_before(assistant, "Rebuilt the BM25 table", expected)


def change_records(path, *statements: str) -> None:
    """Change records.sqlite behind the index's back, as a crash or a buggy tool might."""
    db = sqlite3.connect(path / RECORDS)
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


def repaired_as_before(assistant, action: str, expected: dict) -> None:
    """doctor --repair reports `action`, leaves nothing to find, and the index reads as before."""
    assert any(action in a for a in doctor.repair(assistant.index_path))
    assert doctor.diagnose(assistant.index_path) == []
    assert snapshot(open_index(assistant)) == expected


def test_keyword_statistics_out_of_step_with_the_chunks_are_recounted(built):
    assistant, _ = built
    path = assistant.index_path
    expected = snapshot(open_index(assistant))
    change_records(path, "DELETE FROM bm25_terms WHERE term IN ('grain', 'export')",
                   "UPDATE meta SET value = value + 5 WHERE key = 'bm25_chunks'")
    assert open_index(assistant).search_bm25("grain exports", 5) != expected["bm25"][1]  # scores are off
    (finding,) = doctor.diagnose(path)
    assert finding.code == "keyword-stats-mismatch" and "count" in finding.problem
    repaired_as_before(assistant, "recounted the keyword statistics", expected)


@pytest.mark.parametrize("change, named", [
    ("UPDATE bm25_terms SET chunks = chunks + 1 WHERE term = 'grain'", "1 term(s) are counted wrongly: 'grain'"),
    ("INSERT INTO bm25_terms (term, chunks) VALUES ('zzznever', 3)", "'zzznever'"),
    ("UPDATE meta SET value = value - 40 WHERE key = 'bm25_tokens'", "word(s) but the records hold"),
])
def test_keyword_statistics_are_recounted_term_by_term(built, change, named):
    assistant, _ = built
    expected = snapshot(open_index(assistant))
    change_records(assistant.index_path, change)
    (finding,) = doctor.diagnose(assistant.index_path)
    assert finding.code == "keyword-stats-mismatch" and named in finding.problem, finding.problem
    repaired_as_before(assistant, "recounted the keyword statistics", expected)


def test_an_index_of_the_previous_schema_is_reported_as_upgradable_and_repair_upgrades_it(built):
    assistant, _ = built
    path = assistant.index_path
    expected = snapshot(open_index(assistant))
    change_records(path, "DROP TABLE bm25_terms", "DROP TABLE chunks_fts",  # schema 1: Porter FTS, no statistics
                   "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, tokenize = 'porter unicode61')",
                   "UPDATE meta SET value='1' WHERE key='schema_version'")
    manifest = json.loads((path / MANIFEST).read_text())
    (path / MANIFEST).write_text(json.dumps({**manifest, "schema_version": 1}))
    (finding,) = doctor.diagnose(path)
    assert (finding.code, finding.severity) == ("records-upgrade", "warning")
    assert "upgrades them when the index is next opened" in finding.problem
    assert doctor.repair(path)[0] == "Upgraded the records to schema version 3."
    assert doctor.diagnose(path) == []
    assert snapshot(open_index(assistant)) == expected


def test_an_index_from_before_sentence_vectors_is_upgraded_and_ingesting_again_completes_it(built):
    assistant, source = built
    path = assistant.index_path
    expected = snapshot(open_index(assistant))
    change_records(path, "DROP TABLE sentence_vectors", "UPDATE meta SET value='2' WHERE key='schema_version'")
    manifest = json.loads((path / MANIFEST).read_text())
    (path / MANIFEST).write_text(json.dumps({**manifest, "schema_version": 2}))
    (finding,) = doctor.diagnose(path)
    assert finding.code == "records-upgrade" and "adding the table of sentence vectors" in finding.problem
    assert doctor.repair(path)[0] == "Upgraded the records to schema version 3."
    (finding,) = doctor.diagnose(path)
    assert (finding.code, finding.severity) == ("sentence-vectors-missing", "info")
    assert finding.problem.startswith("12 article(s) have no sentence vectors") and "ingest their files" in finding.repair
    index = open_index(assistant)
    assert snapshot(index) == expected and index.sentence_vectors_in_chunks(range(1, 100)) == {}
    index.close()
    again = Assistant(assistant.settings, path, embedder=assistant.embedder).ingest([source])
    assert len(again.unchanged) == 12 and again.chunks_embedded == 0 and again.sentences_embedded > 0
    assert doctor.diagnose(path) == []
    index = open_index(assistant)
    sentences = index.sentences(index.list_articles()[0].id)
    assert len(index.sentence_vectors(sentences[0].article_id)) == len(sentences)
    index.close()
    assert Assistant(assistant.settings, path, embedder=assistant.embedder).ingest([source]).sentences_embedded == 0


def test_a_sentence_vector_of_the_wrong_size_is_found_and_its_article_embedded_again(built):
    """A damaged sentence vector would fail every search that reads it. Both stored sizes (int8 +
    scale, and float16 as session 10 wrote them) are accepted; any other marks the article."""
    assistant, source = built
    path = assistant.index_path
    db = sqlite3.connect(path / RECORDS)
    dimension = int(db.execute("SELECT value FROM meta WHERE key='dimension'").fetchone()[0])
    damaged, second = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id LIMIT 2")]
    db.close()
    change_records(path, f"UPDATE sentence_vectors SET vector=zeroblob({2 * dimension}) WHERE article_id='{second}'")
    assert doctor.diagnose(path) == []
    change_records(path, f"UPDATE sentence_vectors SET vector=zeroblob(7) WHERE article_id='{damaged}' AND idx=0")
    (finding,) = doctor.diagnose(path)
    assert finding.code == "chunks-invalid" and damaged in finding.problem and "wrong size" in finding.problem
    assert any(damaged in action for action in doctor.repair(path))
    index = open_index(assistant)
    assert index.sentence_vectors(damaged) == {}
    index.close()
    again = Assistant(assistant.settings, path, embedder=assistant.embedder).ingest([source])
    assert again.updated == (damaged,) and again.sentences_embedded > 0
    assert doctor.diagnose(path) == []
    index = open_index(assistant)
    assert len(index.sentence_vectors(damaged)) == len(index.sentences(damaged)) > 0
    index.close()


def test_rows_without_an_article_are_found_and_deleted(built):
    assistant, _ = built
    path = assistant.index_path
    db = sqlite3.connect(path / RECORDS)
    article_id = db.execute("SELECT id FROM articles ORDER BY id LIMIT 1").fetchone()[0]
    db.execute("DELETE FROM articles WHERE id=?", (article_id,))  # as a buggy writer might
    db.commit()
    db.close()
    found = codes(doctor.diagnose(path))
    assert {"orphan-chunks", "orphan-sentences"} <= found
    actions = doctor.repair(path)
    assert any("belonged to no stored article" in a for a in actions)
    assert doctor.diagnose(path) == []
    index = open_index(assistant)
    assert len(index.list_articles()) == 11
    hits = index.search_bm25("council confirmed report", 100)
    assert all(index.chunks_by_rowid([r])[r].article_id != article_id for r, _ in hits)


def test_only_temp_files_of_dead_writers_are_deleted(built):
    assistant, _ = built
    path = assistant.index_path
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        dead_tmp = path / ".vectors.faiss.999999999.tmp"
        live_tmp = path / f".manifest.json.{live.pid}.tmp"
        dead_tmp.write_bytes(b"half a file")
        live_tmp.write_bytes(b"being written")
        (finding,) = doctor.diagnose(path)
        assert finding.code == "temp-files" and finding.file == dead_tmp.name
        doctor.repair(path)
        assert not dead_tmp.exists() and live_tmp.exists()
    finally:
        live.kill()
        live.wait()


def test_repair_waits_for_a_running_writer_then_says_so(built):
    assistant, _ = built
    path = assistant.index_path
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with _write_lock(path):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(5)
        assert "writer-running" in codes(doctor.diagnose(path))
        with pytest.raises(IndexLocked, match="being written by another process"):
            doctor.repair(path, lock_timeout_s=0.3)
    finally:
        release.set()
        holder.join(10)


def _corrupt_pages_of(records: Path, table: str, how_many: int) -> list[int]:
    """Overwrite leaf pages of one table with junk, as a bad sector or a torn copy would."""
    db = sqlite3.connect(records)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    pages = [r[0] for r in db.execute(
        "SELECT pageno FROM dbstat WHERE name=? AND pagetype='leaf' ORDER BY pageno", (table,))]
    db.close()
    chosen = pages[len(pages) // 2: len(pages) // 2 + how_many]
    with open(records, "r+b") as fh:
        for page in chosen:
            fh.seek((page - 1) * page_size)
            fh.write(b"\xde\xad" * (page_size // 2))
    return chosen


def test_damaged_records_are_salvaged_into_a_new_file_and_the_damaged_one_is_kept(tmp_path, settings, fake_embedder):
    source = tmp_path / "coverage"
    keywords = write_articles(source, 120)
    assistant = Assistant(settings, tmp_path / "idx", embedder=fake_embedder)
    assistant.ingest([source])
    path = assistant.index_path
    assert _corrupt_pages_of(path / RECORDS, "chunks", 2)
    damaged_bytes = (path / RECORDS).read_bytes()

    (finding,) = [f for f in doctor.diagnose(path) if f.severity == "error"]
    assert finding.code == "records-damaged" and finding.file == RECORDS
    assert "records.sqlite.damaged" in finding.repair

    actions = doctor.repair(path)
    assert "salvaged 120 article(s)" in actions[0] and "kept as records.sqlite.damaged" in actions[0]
    assert (path / "records.sqlite.damaged").read_bytes() == damaged_bytes  # kept exactly as found
    assert any("marked for re-embedding" in a and "story-" in a for a in actions)

    index = open_index(assistant)
    assert len(index.list_articles()) == 120  # every article is still listed
    remaining = {f.code for f in doctor.diagnose(path)}
    assert remaining == {"articles-await-reingest", "damaged-copy"}

    # The files named in the repair message are ingested again: everything is searchable again.
    report = Assistant(settings, path, embedder=fake_embedder).ingest([source])
    assert report.updated and not report.problems
    assert {f.code for f in doctor.diagnose(path)} == {"damaged-copy"}
    index = open_index(assistant)
    for name in ("story-000.md", "story-059.md", "story-119.md"):
        hits = index.search_bm25(keywords[name], 1)
        assert hits and index.chunks_by_rowid([hits[0][0]])[hits[0][0]].text


def test_records_that_are_not_a_database_at_all(built, settings, fake_embedder):
    assistant, source = built
    path = assistant.index_path
    junk = os.urandom(50_000)
    (path / RECORDS).write_bytes(junk)
    for extra in ("-wal", "-shm"):
        (path / (RECORDS + extra)).unlink(missing_ok=True)
    with pytest.raises(IndexCorrupt, match="records"):
        open_index(assistant)
    assert "records-damaged" in codes(doctor.diagnose(path))
    actions = doctor.repair(path)
    assert "salvaged 0 article(s)" in actions[0]
    assert "12 of the 12 articles the manifest counts are lost: ingest your source files again" in actions[0]
    assert (path / "records.sqlite.damaged").read_bytes() == junk
    assert open_index(assistant).list_articles() == []  # opens again, empty
    Assistant(settings, path, embedder=fake_embedder).ingest([source])
    assert len(open_index(assistant).list_articles()) == 12


def test_unusable_records_and_manifest_change_nothing(built):
    assistant, _ = built
    path = assistant.index_path
    (path / RECORDS).write_bytes(b"not a database" * 1000)
    for extra in ("-wal", "-shm"):  # the write-ahead log alone would let SQLite rebuild the pages
        (path / (RECORDS + extra)).unlink(missing_ok=True)
    (path / MANIFEST).write_text("{")
    before = {p.name: p.read_bytes() for p in path.iterdir() if p.name != "write.lock"}
    with pytest.raises(IndexCorrupt, match="Nothing was changed. Rebuild the index from your files"):
        doctor.repair(path)
    after = {p.name: p.read_bytes() for p in path.iterdir() if p.name != "write.lock"}
    assert after == before


def test_findings_have_a_stable_json_shape(built):
    assistant, _ = built
    (assistant.index_path / MANIFEST).write_text("[]")
    (finding,) = doctor.diagnose(assistant.index_path)
    assert finding.as_dict() == {
        "severity": "error", "file": MANIFEST, "problem": "The manifest is not a JSON object.",
        "repair": "Rewrites manifest.json from the records.", "code": "manifest-unreadable",
    }
    assert str(finding).startswith("error: manifest.json: The manifest is not a JSON object.")


def test_records_that_lost_their_model_take_it_from_the_manifest(built):
    assistant, _ = built
    path = assistant.index_path
    expected = snapshot(open_index(assistant))
    db = sqlite3.connect(path / RECORDS)
    db.execute("DELETE FROM meta WHERE key='embedding_model'")
    db.execute("UPDATE meta SET value='garbled' WHERE key='dimension'")
    db.commit()
    db.close()
    (finding,) = doctor.diagnose(path)
    assert finding.code == "records-meta-missing" and "embedding_model" in finding.problem and "dimension" in finding.problem
    assert any("Restored dimension, embedding_model" in a for a in doctor.repair(path))
    assert doctor.diagnose(path) == []
    assert snapshot(open_index(assistant)) == expected


def test_lost_tables_are_recreated_and_their_articles_derived_again_on_ingest(built, settings, fake_embedder):
    assistant, source = built
    path = assistant.index_path
    statements_before = len(open_index(assistant).statements())
    assert statements_before > 0
    db = sqlite3.connect(path / RECORDS)
    db.execute("DROP TABLE chunks_fts")
    db.execute("DROP TABLE statements")
    db.commit()
    db.close()
    (finding,) = [f for f in doctor.diagnose(path) if f.severity == "error"]
    assert finding.code == "records-tables-missing" and "chunks_fts, statements" in finding.problem
    actions = doctor.repair(path)
    assert any("marked all 12 article(s)" in a for a in actions)
    assert open_index(assistant).search_bm25("kw3x", 1)  # BM25 rebuilt straight away
    assert {f.code for f in doctor.diagnose(path)} == {"articles-await-reingest"}
    report = Assistant(settings, path, embedder=fake_embedder).ingest([source])
    assert len(report.updated) == 12
    assert doctor.diagnose(path) == []
    assert len(open_index(assistant).statements()) == statements_before


def test_a_repair_interrupted_after_keeping_the_damaged_file_is_finished_by_the_next(built):
    assistant, _ = built
    path = assistant.index_path
    db = sqlite3.connect(path / RECORDS)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    (path / RECORDS).rename(path / "records.sqlite.damaged")  # as if killed right after moving it aside
    (path / ".records.sqlite.salvage.999999999.tmp").write_bytes(b"half")
    finding = next(f for f in doctor.diagnose(path) if f.code == "records-missing")
    assert "records.sqlite.damaged" in finding.repair
    doctor.repair(path)
    assert len(open_index(assistant).list_articles()) == 12
    assert {f.code for f in doctor.diagnose(path)} == {"damaged-copy"}
