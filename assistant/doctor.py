"""`newsdesk doctor`: diagnose an index folder and repair what can be rebuilt.

What can be rebuilt and from what (see index.py for the layout):
- manifest.json   from records.sqlite (meta table + counts).
- vectors.faiss   from the chunk vectors stored in records.sqlite.
- chunks_fts      (BM25) from the chunk spans + the stored article text.
- leftover temp files of a killed writer, and orphan rows (chunks, sentences, statements,
  near-duplicate bands whose article is gone) are removed.

records.sqlite holds the articles themselves: it is never deleted or overwritten. When it is
damaged, repair salvages what is readable into a new records.sqlite and keeps the damaged file
beside it as records.sqlite.damaged. Articles whose chunks or vectors were lost stay listed and
are marked so that ingesting their source files again re-embeds them (no re-embedding here: that
needs the embedding model, which doctor does not load).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Literal

import faiss
import numpy as np

from . import bm25
from .errors import IndexCorrupt, IndexNotFound, NewsdeskError
from .db import SCHEMA_VERSION, SQLITE, schema_statements

if TYPE_CHECKING:
    from .index import Index
from .index import (
    _disk_nearly_full,
    MANIFEST,
    RECORDS,
    VECTORS,
    _manifest_from,
    _read_faiss_generation,
    _set_meta,
    _write_faiss_atomically,
    _write_json_atomically,
    _write_lock,
    build_faiss_from_records,
    count_keywords,
    now_iso,
    stored_keyword_stats,
    UPGRADABLE_VERSIONS,
    upgrade_work,
    fts_text,
    rebuild_keywords,
    upgrade_records_file,
)

log = logging.getLogger(__name__)

Severity = Literal["error", "warning", "info"]

DAMAGED_SUFFIX = ".damaged"
# Marks an article whose chunks/vectors were lost: ingest compares content hashes, so the next
# ingest of its source file sees a change and derives and embeds it again.
NEEDS_REINGEST = "needs-reingest"

_SQLITE_HEADER = b"SQLite format 3\x00"
_TABLES = ("meta", "articles", "sentences", "chunks", "chunks_fts", "statements", "dedup_bands", "ingest_log",
           "bm25_terms", "sentence_vectors")
_ARTICLE_TABLES = ("chunks", "sentences", "sentence_vectors", "statements", "dedup_bands")  # rows of an article
_REQUIRED_META = ("schema_version", "embedding_model", "dimension", "generation")
_MANIFEST_FIELDS = ("format", "schema_version", "embedding_model", "dimension", "generation", "counts")
_SHOWN = 5  # how many examples a finding names
# Findings that repair fixes inside records.sqlite (one transaction, then new derived files).
_RECORD_REPAIRS = frozenset({
    "records-damaged", "records-missing", "records-tables-missing", "records-meta-missing",
    "orphan-chunks", "orphan-sentences", "orphan-sentence_vectors", "orphan-statements", "orphan-dedup_bands",
    "chunks-invalid",
    "copies-without-original", "fts-mismatch", "fts-damaged", "fts-unreadable", "articles-unsearchable",
    "keyword-stats-mismatch",
})


@dataclass(frozen=True)
class Finding:
    """One thing wrong with an index: how bad, which file, what is wrong, what repair does."""

    severity: Severity  # error: cannot open or answers may be wrong; warning: opening or repair fixes it
    file: str  # file name inside the index folder
    problem: str
    repair: str  # what `newsdesk doctor --repair` does about it
    code: str  # stable short name, for scripts and tests

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.severity}: {self.file}: {self.problem} Repair: {self.repair}"


@dataclass
class _Records:
    """What the records file says, for checking the derived files against it."""

    meta: dict[str, str]
    counts: dict[str, int]
    chunk_rowids: np.ndarray

    @property
    def dimension(self) -> int:
        return int(self.meta.get("dimension", 0) or 0)

    @property
    def vectors_generation(self) -> int:
        return int(self.meta.get("vectors_generation", 0) or 0)


# ============================================================================== diagnose


def diagnose(path: str | Path) -> list[Finding]:
    """Everything wrong with the index folder at `path` (an empty list: healthy). Changes nothing."""
    path = Path(path)
    if not path.is_dir():
        return [Finding("error", str(path), "There is no index folder here.",
                        f"Nothing to repair. Create an index with: newsdesk ingest YOUR_FILES --index {path}",
                        "index-missing")]
    full = _disk_full_finding(path)
    if full:  # SQLite cannot even open the records: checking further would report false damage
        return [full]
    findings: list[Finding] = []
    findings += _check_writer_running(path)
    records = _check_records(path, findings)
    findings += _check_manifest(path, records)
    findings += _check_vectors(path, records)
    findings += _check_leftovers(path)
    return findings


def _disk_full_finding(path: Path) -> Finding | None:
    if not _disk_nearly_full(path):
        return None
    free = shutil.disk_usage(path).free
    return Finding("error", str(path), f"The disk holding the index is full ({free // 1024} KB free): SQLite "
                   "cannot open the records and no ingest can be saved. The files themselves are not damaged.",
                   "None: free some disk space first (repair needs room too), then run doctor again.", "disk-full")


def _check_writer_running(path: Path) -> list[Finding]:
    if not _lock_is_held(path):
        return []
    return [Finding("info", "write.lock", "Another process is writing to this index right now; "
                    "temporary files and a stale vectors file are expected until it finishes.",
                    "Repair waits for that process to finish.", "writer-running")]


def _lock_is_held(path: Path) -> bool:
    import fcntl

    lock = path / "write.lock"
    if not lock.exists():
        return False
    try:
        with open(lock, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
    except OSError:
        return False
    return False


# ------------------------------------------------------------------------------ records.sqlite


def _check_records(path: Path, findings: list[Finding]) -> _Records | None:
    """Check records.sqlite; returns what it holds when it is readable enough to compare with."""
    file = path / RECORDS
    if not file.is_file():
        findings.append(Finding(
            "error", RECORDS, "The records file is missing; it holds the articles themselves.",
            f"Salvages what it can again from {_damaged_copies(path)[-1].name}, kept by an earlier repair."
            if _damaged_copies(path) else "Cannot be rebuilt: ingest your source files again into a new index.",
            "records-missing"))
        return None
    damage = _records_damage(file)
    if damage:
        findings.append(Finding(
            "error", RECORDS, f"The records file is damaged: {damage}.",
            f"Salvages every readable row into a new {RECORDS}, keeps the damaged file as "
            f"{RECORDS}{DAMAGED_SUFFIX}, then rebuilds the search tables, manifest and vectors.",
            "records-damaged"))
        return None
    with _reader(file) as db:
        version = _schema_version(db)
        if version in UPGRADABLE_VERSIONS:
            findings.append(Finding(
                "warning", RECORDS, f"The records have schema version {version}; this Newsdesk reads "
                f"{SCHEMA_VERSION} and upgrades them when the index is next opened "
                f"({upgrade_work(version, embedded=True)}).",
                "Upgrades them now.", "records-upgrade"))
            return None  # judged by the rules of their own version, they would look broken
        missing_tables = [t for t in _TABLES if t not in _table_names(db)]
        if missing_tables:
            findings.append(Finding(
                "error", RECORDS, f"Tables missing from the records file: {', '.join(missing_tables)}.",
                "Creates the missing tables (rebuilding the search table from the chunks); articles whose "
                "chunks, sentences or statements were lost are marked to be derived again on their next "
                "ingest; rows of a lost articles table need their files ingested again.",
                "records-tables-missing"))
        if "meta" not in _table_names(db):
            return None
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        missing_meta = _missing_meta(meta)
        if missing_meta:
            findings.append(Finding(
                "error", RECORDS, f"The records file does not say (or garbles) its {', '.join(missing_meta)}.",
                f"Takes them from {MANIFEST} when it has them.", "records-meta-missing"))
            meta = {k: v for k, v in meta.items() if k not in missing_meta}
        elif meta.get("schema_version") != str(SCHEMA_VERSION):
            findings.append(Finding(
                "error", RECORDS, f"The records file has schema version {meta.get('schema_version')}; "
                f"this Newsdesk reads version {SCHEMA_VERSION}.",
                "None: rebuild the index from your files with this version of Newsdesk.", "records-schema"))
            return None  # another schema: its rows cannot be judged by this one
        if missing_tables:
            return None
        try:
            findings += _check_rows(db, meta)
            recount = bm25.TermTally()
            fts_findings = _check_fts(db, recount)
            findings += fts_findings
            if not any(f.code == "fts-unreadable" for f in fts_findings):  # else the recount is partial
                findings += _check_keyword_stats(db, recount)
            return _Records(meta=meta, counts=_counts(db), chunk_rowids=_chunk_rowids(db))
        except sqlite3.DatabaseError as exc:  # e.g. a table that lost a column
            findings.append(Finding(
                "error", RECORDS, f"The records file passes SQLite's check but cannot be read as an index ({exc}).",
                f"Salvages every readable row into a new {RECORDS}, keeps this one as {RECORDS}{DAMAGED_SUFFIX}.",
                "records-damaged"))
            return None


def _schema_version(db: sqlite3.Connection) -> int | None:
    try:
        row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else None
    except (sqlite3.DatabaseError, ValueError, TypeError):
        return None  # judged below, with the rest of the file


def _missing_meta(meta: dict[str, str]) -> list[str]:
    """Required meta keys that are absent, or not a number where one is needed."""
    missing = []
    for key in _REQUIRED_META:
        value = meta.get(key)
        if value is None or (key != "embedding_model" and not value.lstrip("-").isdigit()) or not value:
            missing.append(key)
    return missing


def _records_damage(file: Path) -> str:
    """Why the records file cannot be trusted at all ("" when SQLite's own check passes)."""
    try:
        with open(file, "rb") as fh:
            header = fh.read(len(_SQLITE_HEADER))
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    if header != _SQLITE_HEADER:
        return "it is not an SQLite database (its first bytes are wrong)"
    try:
        with _reader(file) as db:
            rows = [r[0] for r in db.execute("PRAGMA integrity_check(20)")]
    except sqlite3.DatabaseError as exc:
        return f"SQLite cannot read it ({exc})"
    if rows == ["ok"]:
        return ""
    return "SQLite's integrity check reports: " + "; ".join(rows[:3]) + (" ..." if len(rows) > 3 else "")


def _check_rows(db: sqlite3.Connection, meta: dict[str, str]) -> list[Finding]:
    findings: list[Finding] = []
    for table in _ARTICLE_TABLES:
        orphans = db.execute(
            f"SELECT COUNT(*) FROM {table} WHERE article_id NOT IN (SELECT id FROM articles)"
        ).fetchone()[0]
        if orphans:
            findings.append(Finding(
                "error", RECORDS, f"{orphans} row(s) of the {table} table belong to no stored article "
                "(they can show up in answers without a source).",
                "Deletes them.", f"orphan-{table}"))
    lacking = db.execute("SELECT COUNT(DISTINCT article_id) FROM sentences WHERE article_id NOT IN "
                         "(SELECT article_id FROM sentence_vectors)").fetchone()[0]
    if lacking:
        findings.append(Finding(
            "info", RECORDS, f"{lacking} article(s) have no sentence vectors (stored before schema 3): search "
            "matches them by whole chunks only.",
            "None: ingest their files again; only their sentences are embedded.", "sentence-vectors-missing"))
    bad = _bad_chunk_articles(db, meta)
    if bad:
        findings.append(Finding(
            "error", RECORDS, f"{len(bad)} article(s) have chunks or sentences that are missing, lie outside "
            f"the article text or have a vector of the wrong size (e.g. {', '.join(bad[:_SHOWN])}).",
            "Removes those chunks and marks the articles for re-embedding: ingest their source files "
            "again to make them searchable.", "chunks-invalid"))
    lost_original = db.execute(
        "SELECT COUNT(*) FROM articles WHERE duplicate_of IS NOT NULL "
        "AND duplicate_of NOT IN (SELECT id FROM articles)"
    ).fetchone()[0]
    if lost_original:
        findings.append(Finding(
            "error", RECORDS, f"{lost_original} article(s) are recorded as copies of an article that is "
            "not stored, so nothing stands for them in answers.",
            "Makes them articles of their own and marks them for re-embedding: ingest their source "
            "files again to make them searchable.", "copies-without-original"))
    findings += _unsearchable_findings(db)
    return findings


def _unsearchable_findings(db: sqlite3.Connection) -> list[Finding]:
    """Articles (not copies) without chunks, and articles a repair marked for re-embedding."""
    findings = []
    unmarked = db.execute(
        "SELECT a.source FROM articles a WHERE a.duplicate_of IS NULL AND a.content_hash <> ? "
        "AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.article_id = a.id)",
        (NEEDS_REINGEST,),
    ).fetchall()
    if unmarked:
        findings.append(Finding(
            "warning", RECORDS, f"{len(unmarked)} article(s) have no chunks, so searches cannot find them; "
            f"their source files: {_listed(r[0] for r in unmarked)}.",
            "Marks them for re-embedding; then ingest those files again (repair does not load the model).",
            "articles-unsearchable"))
    marked = db.execute("SELECT source FROM articles WHERE content_hash = ?", (NEEDS_REINGEST,)).fetchall()
    if marked:
        findings.append(Finding(
            "warning", RECORDS, f"{len(marked)} article(s) wait to be derived and embedded again after a repair; "
            f"their source files: {_listed(r[0] for r in marked)}.",
            "None: run `newsdesk ingest` on those files (unchanged articles are skipped, these are not).",
            "articles-await-reingest"))
    return findings


def _listed(sources) -> str:
    names = sorted(set(sources))
    return f"{', '.join(names[:_SHOWN])}{' ...' if len(names) > _SHOWN else ''}"


def _bad_chunk_articles(db: sqlite3.Connection, meta: dict[str, str]) -> list[str]:
    """Ids of articles whose stored chunks or sentences cannot be cited or searched as they are.

    A chunk span outside the text, a vector of the wrong size, or gaps in the chunk or sentence
    numbering (rows lost to damage) make the article's derived rows untrustworthy.
    """
    dimension = int(meta.get("dimension", 0) or 0)  # 0: unknown, sizes not checked
    vector_bytes = dimension * 4
    # A sentence vector is int8 + a float32 scale, or float16 as session 10 stored them.
    sentence_sizes = (dimension + 4, 2 * dimension)
    queries = [
        ("SELECT DISTINCT article_id FROM sentence_vectors WHERE ? > 0 AND length(vector) NOT IN (?, ?)",
         (dimension, *sentence_sizes)),
        ("SELECT DISTINCT c.article_id FROM chunks c JOIN articles a ON a.id = c.article_id "
         "WHERE c.start < 0 OR c.end <= c.start OR c.end > length(a.text) "
         "OR (? > 0 AND length(c.vector) <> ?)", (vector_bytes, vector_bytes)),
        ("SELECT article_id FROM chunks GROUP BY article_id HAVING MIN(idx) <> 0 OR MAX(idx) + 1 <> COUNT(*)", ()),
        ("SELECT article_id FROM sentences GROUP BY article_id HAVING MIN(idx) <> 0 OR MAX(idx) + 1 <> COUNT(*)", ()),
        ("SELECT s.article_id FROM sentences s JOIN articles a ON a.id = s.article_id "
         "WHERE s.start < 0 OR s.end < s.start OR s.end > length(a.text)", ()),
        # One without the other: both come from the same text, so one was lost.
        ("SELECT DISTINCT article_id FROM chunks WHERE article_id NOT IN (SELECT article_id FROM sentences)", ()),
        ("SELECT DISTINCT article_id FROM sentences WHERE article_id NOT IN (SELECT article_id FROM chunks)", ()),
    ]
    bad: set[str] = set()
    for sql, args in queries:
        bad.update(r[0] for r in db.execute(sql, args))
    known = {r[0] for r in db.execute("SELECT id FROM articles")}
    return sorted(bad & known)  # rows of unknown articles are orphans, reported separately


def _check_keyword_stats(db: sqlite3.Connection, recount: bm25.TermTally) -> list[Finding]:
    """The keyword statistics (bm25_terms, meta bm25_chunks / bm25_tokens) must equal `recount`,
    the terms of every chunk counted again (by _check_fts, which reads each chunk's text anyway)."""
    problem = keyword_stats_problem(stored_keyword_stats(db), recount)
    return [Finding("error", RECORDS, problem, "Recounts them from the chunks.", "keyword-stats-mismatch")] if problem else []


def keyword_stats_problem(stored: tuple[int, int, dict[str, int]], recount: bm25.TermTally) -> str | None:
    """What differs between the stored keyword statistics and a recount, for a user; None if nothing."""
    chunks, tokens, holding = stored
    terms = sorted({term for term, _ in set(holding.items()) ^ set(recount.changes().items())})
    if (chunks, tokens) == (recount.chunks, recount.tokens) and not terms:
        return None
    shown = ", ".join(repr(t) for t in terms[:_SHOWN]) + (" ..." if len(terms) > _SHOWN else "")
    return (f"The keyword statistics count {chunks} chunk(s) of {tokens} word(s) but the records hold "
            f"{recount.chunks} of {recount.tokens}; {len(terms)} term(s) are counted wrongly"
            f"{': ' + shown if terms else ''}. Keyword scores are off.")


def _check_fts(db: sqlite3.Connection, recount: bm25.TermTally) -> list[Finding]:
    """The BM25 table must hold exactly one row per chunk, with the chunk's terms (bm25.terms of
    index.fts_text: the article title, a line break, the chunk text). Counts every chunk's terms
    into `recount` on the way, for the keyword statistics check."""
    repair = "Rebuilds the BM25 table from the chunk spans and the stored article text."
    chunks = db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    try:
        fts = db.execute("SELECT COUNT(*) FROM chunks_fts").fetchone()[0]
        rows = db.execute(
            "SELECT a.title, substr(a.text, c.start + 1, c.end - c.start), f.text FROM chunks c "
            "JOIN articles a ON a.id = c.article_id LEFT JOIN chunks_fts f ON f.rowid = c.rowid"
        )
        mismatched = 0
        for title, text, stored in rows:
            keyword_text = fts_text(title, text)
            chunk_terms = bm25.terms(keyword_text)
            recount.add_chunk(chunk_terms, bm25.length(keyword_text))
            mismatched += stored != " ".join(chunk_terms)
        extra = db.execute(
            "SELECT COUNT(*) FROM chunks_fts WHERE rowid NOT IN (SELECT rowid FROM chunks)"
        ).fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return [Finding("error", RECORDS, f"The BM25 (full-text) table cannot be read ({exc}).", repair, "fts-unreadable")]
    findings = []
    if fts != chunks or mismatched or extra:
        findings.append(Finding(
            "error", RECORDS, f"The BM25 (full-text) table disagrees with the chunks: {fts} rows for "
            f"{chunks} chunks, {mismatched} chunk(s) missing or with other text, {extra} row(s) "
            "without a chunk.", repair, "fts-mismatch"))
    try:
        db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES('integrity-check')")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "readonly" in str(exc):
            log.info("skipped the FTS5 integrity check: %s", exc)
        else:
            findings.append(Finding("error", RECORDS, f"The BM25 (full-text) index is damaged ({exc}).",
                                    repair, "fts-damaged"))
    except sqlite3.DatabaseError as exc:
        findings.append(Finding("error", RECORDS, f"The BM25 (full-text) index is damaged ({exc}).",
                                repair, "fts-damaged"))
    return findings


def _counts(db: sqlite3.Connection) -> dict[str, int]:
    count = lambda sql: int(db.execute(sql).fetchone()[0])  # noqa: E731
    return {
        "articles": count("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NULL"),
        "duplicates": count("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NOT NULL"),
        "chunks": count("SELECT COUNT(*) FROM chunks"),
        "sentences": count("SELECT COUNT(*) FROM sentences"),
        "statements": count("SELECT COUNT(*) FROM statements"),
    }


def _chunk_rowids(db: sqlite3.Connection) -> np.ndarray:
    return np.fromiter((r[0] for r in db.execute("SELECT rowid FROM chunks ORDER BY rowid")), dtype=np.int64)


# ------------------------------------------------------------------------------ manifest.json


def _check_manifest(path: Path, records: _Records | None) -> list[Finding]:
    import json

    repair = f"Rewrites {MANIFEST} from the records."
    if records is None or not all(k in records.meta for k in _REQUIRED_META):
        repair = f"Rewritten from the records once {RECORDS} is repaired."
    file = path / MANIFEST
    if not file.is_file():
        return [Finding("error", MANIFEST, "The manifest is missing, so the index cannot be opened.", repair,
                        "manifest-missing")]
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return [Finding("error", MANIFEST, f"The manifest is not readable JSON ({exc.__class__.__name__}: {exc}).",
                        repair, "manifest-unreadable")]
    if not isinstance(manifest, dict):
        return [Finding("error", MANIFEST, "The manifest is not a JSON object.", repair, "manifest-unreadable")]
    missing = [f for f in _MANIFEST_FIELDS if f not in manifest]
    if missing:
        return [Finding("error", MANIFEST, f"The manifest lacks the field(s) {', '.join(missing)}.", repair,
                        "manifest-fields")]
    if records is None:
        return []
    meta = records.meta
    for key in ("schema_version", "embedding_model", "dimension"):
        if key in meta and str(manifest[key]) != meta[key]:
            return [Finding("error", MANIFEST, f"The manifest says {key} {manifest[key]!r} but the records "
                            f"say {meta[key]!r} (the records are what the index holds).", repair,
                            "manifest-disagrees")]
    generation = str(manifest.get("generation"))
    if "generation" in meta and generation != meta["generation"]:
        return [Finding("warning", MANIFEST, f"The manifest describes generation {generation}, the records are "
                        f"at generation {meta['generation']} (a write was interrupted after it was saved). "
                        "Opening the index brings it up to date.", repair, "manifest-stale")]
    if manifest.get("counts") != records.counts:
        return [Finding("warning", MANIFEST, f"The manifest counts {manifest.get('counts')} differ from the "
                        f"records {records.counts}.", repair, "manifest-counts")]
    return []


# ------------------------------------------------------------------------------ vectors.faiss


def _check_vectors(path: Path, records: _Records | None) -> list[Finding]:
    if records is None or not records.dimension:
        return []
    file = path / VECTORS
    repair = "Rebuilds it from the vectors stored in the records."
    auto = "Opening the index rebuilds it (slower first search)."
    if not file.is_file():
        if len(records.chunk_rowids) == 0:
            return []
        return [Finding("warning", VECTORS, f"The vectors file is missing. {auto}", repair, "vectors-missing")]
    tag = _read_faiss_generation(file)
    if tag is None:
        return [Finding("warning", VECTORS, f"The vectors file is damaged or half-written (no generation tag). {auto}",
                        repair, "vectors-damaged")]
    if tag != records.vectors_generation:
        return [Finding("warning", VECTORS, f"The vectors file holds generation {tag}, the records are at "
                        f"{records.vectors_generation}. {auto}", repair, "vectors-stale")]
    try:
        index = faiss.read_index(str(file))
    except RuntimeError as exc:
        return [Finding("warning", VECTORS, f"FAISS cannot read the vectors file ({_first_line(exc)}). {auto}",
                        repair, "vectors-damaged")]
    if index.d != records.dimension:
        return [Finding("warning", VECTORS, f"The vectors file holds {index.d}-dimensional vectors, the records "
                        f"{records.dimension}-dimensional ones. {auto}", repair, "vectors-mismatch")]
    ids = _faiss_ids(index)
    same_ids = ids is not None and np.array_equal(np.sort(ids), records.chunk_rowids)
    if index.ntotal != len(records.chunk_rowids) or not same_ids:
        return [Finding("warning", VECTORS, f"The vectors file holds {index.ntotal} vectors for "
                        f"{len(records.chunk_rowids)} chunks (or other chunk ids). {auto}", repair,
                        "vectors-mismatch")]
    return []


def _faiss_ids(index: faiss.Index) -> np.ndarray | None:
    """The chunk rowids a FAISS index holds: its id map (exact index) or its inverted lists (IVF)."""
    id_map = getattr(faiss.downcast_index(index), "id_map", None)
    if id_map is not None:
        return faiss.vector_to_array(id_map).astype(np.int64)
    try:
        ivf = faiss.extract_index_ivf(index)
    except RuntimeError:
        return None
    lists = ivf.invlists
    parts = [faiss.rev_swig_ptr(lists.get_ids(n), lists.list_size(n)).astype(np.int64)
             for n in range(ivf.nlist) if lists.list_size(n)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else exc.__class__.__name__


# ------------------------------------------------------------------------------ leftovers


def _check_leftovers(path: Path) -> list[Finding]:
    findings = []
    stale = _stale_temp_files(path)
    if stale:
        findings.append(Finding(
            "warning", ", ".join(p.name for p in stale[:_SHOWN]),
            f"{len(stale)} temporary file(s) left by an interrupted write.", "Deletes them.", "temp-files"))
    for copy in _damaged_copies(path):
        findings.append(Finding(
            "info", copy.name, "A damaged records file kept by an earlier repair.",
            "None (kept for you): delete it once the repaired index has everything you need.", "damaged-copy"))
    return findings


def _stale_temp_files(path: Path) -> list[Path]:
    """`.NAME.PID.tmp` files whose writing process is gone (a live one may still be renaming)."""
    stale = []
    for tmp in sorted(path.glob(".*.tmp")):
        pid = _pid_in_name(tmp.name)
        if pid is not None and pid != os.getpid() and _process_alive(pid):
            continue
        stale.append(tmp)
    return stale


def _pid_in_name(name: str) -> int | None:
    parts = name.split(".")
    return int(parts[-2]) if len(parts) >= 3 and parts[-2].isdigit() else None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _damaged_copies(path: Path) -> list[Path]:
    return sorted(p for p in path.glob(RECORDS + DAMAGED_SUFFIX + "*") if not p.name.endswith(("-wal", "-shm")))


# ============================================================================== repair


def repair(path: str | Path, lock_timeout_s: float = 30.0) -> list[str]:
    """Repair the index at `path`; returns what was done, one sentence per action.

    Holds the index's write lock throughout (waits for a running ingest, else IndexLocked).
    Never deletes articles: a damaged records file is kept as records.sqlite.damaged.
    Raises IndexNotFound / IndexCorrupt when there is nothing that can be repaired.
    """
    path = Path(path)
    if not path.is_dir():
        raise IndexNotFound(f"No index at {path}: nothing to repair.")
    try:
        with _write_lock(path, timeout_s=lock_timeout_s):
            return _repair_locked(path)
    except sqlite3.DatabaseError as exc:
        raise IndexCorrupt(
            f"Repair of {path} could not finish: SQLite reports {exc}. The records were left as they "
            "were. Rebuild the index from your files."
        ) from None
    except OSError as exc:
        raise NewsdeskError(
            f"Could not repair the index at {path}: {exc.strerror or exc} ({getattr(exc, 'filename', '') or path}). "
            "Check free disk space and permissions, then run `newsdesk doctor --repair` again."
        ) from None


def _repair_locked(path: Path) -> list[str]:
    findings = [f for f in diagnose(path) if f.code not in ("writer-running", "damaged-copy")]
    if not findings:
        return []
    codes = {f.code for f in findings}
    if "disk-full" in codes:
        raise NewsdeskError(f"{findings[0].problem} Free some disk space, then run `newsdesk doctor --repair` again.")
    actions: list[str] = []
    if "records-upgrade" in codes:
        upgrade_records_file(path)
        actions.append(f"Upgraded the records to schema version {SCHEMA_VERSION}.")
        return actions + _repair_locked(path)
    if "temp-files" in codes:
        actions += _remove_temp_files(path)
    if "records-missing" in codes:
        copies = _damaged_copies(path)
        if not copies:
            actions.append(f"{RECORDS} is missing: the articles cannot be recovered from the other files. "
                           "Ingest your source files again into a new index.")
            return actions
        # An earlier repair stopped between keeping the damaged file and installing the salvage.
        actions += _salvage_records(path, from_copy=copies[-1])
    if "records-damaged" in codes:
        actions += _salvage_records(path)
    records_changed = bool(codes & _RECORD_REPAIRS)
    if records_changed:
        actions += _repair_records(path)
    derived = {f.file for f in findings} & {MANIFEST, VECTORS}
    if records_changed or MANIFEST in derived:
        actions += _rewrite_manifest(path)
    if records_changed or VECTORS in derived:
        actions += _rebuild_vectors(path)
    return actions


def _remove_temp_files(path: Path) -> list[str]:
    stale = _stale_temp_files(path)
    for tmp in stale:
        tmp.unlink(missing_ok=True)
    return [f"Deleted {len(stale)} temporary file(s) left by an interrupted write: "
            f"{', '.join(p.name for p in stale[:_SHOWN])}."] if stale else []


# ------------------------------------------------------------------------------ records repair


def _repair_records(path: Path) -> list[str]:
    """Schema, meta, orphans, invalid chunks and the BM25 table: one transaction."""
    actions: list[str] = []
    db = sqlite3.connect(str(path / RECORDS), timeout=30, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        missing = [t for t in _TABLES if t not in _table_names(db)]
        db.execute("BEGIN IMMEDIATE")
        for statement in _schema_statements():
            db.execute(statement)
        if missing:
            actions.append(f"Created the missing table(s) {', '.join(missing)}.")
        actions += _restore_meta(path, db)
        actions += _delete_orphans(db)
        actions += _release_copies_without_original(db)
        actions += _drop_invalid_chunks(db)
        if "statements" in missing:  # who-said-what data is gone: the next ingest derives it again
            # raw_hash cleared too, or re-ingest would skip the unchanged source files.
            marked = db.execute("UPDATE articles SET content_hash=?, raw_hash='' WHERE duplicate_of IS NULL",
                                (NEEDS_REINGEST,)).rowcount
            actions.append(f"The statements were lost: marked all {marked} article(s) to be derived again "
                           "on their next ingest.")
        actions += _mark_unsearchable(db)
        chunks = rebuild_keywords(db, fts_table=True)
        actions.append(f"Rebuilt the BM25 table and recounted the keyword statistics from {chunks} chunk(s).")
        generation = int(db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0]) + 1
        # A new vectors generation makes every open copy of the index (the app) reload its vectors.
        _set_meta(db, generation=generation, vectors_generation=generation, updated_at=now_iso())
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    finally:
        db.close()
    return actions


def _schema_statements() -> list[str]:
    """The embedded schema, one statement at a time (executescript would commit our transaction)."""
    return schema_statements(SQLITE)


def _restore_meta(path: Path, db: sqlite3.Connection) -> list[str]:
    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    missing = _missing_meta(meta)
    if not missing:
        return []
    manifest = _manifest_or_empty(path)
    usable = {k: str(v) for k, v in manifest.items() if k in _REQUIRED_META and isinstance(v, (str, int))}
    restored: dict[str, object] = {k: usable[k] for k in missing if k in usable and k not in _missing_meta(usable)}
    if "dimension" in missing and "dimension" not in restored:
        row = db.execute("SELECT length(vector) FROM chunks LIMIT 1").fetchone()
        if row:
            restored["dimension"] = int(row[0]) // 4
    if "generation" in missing and "generation" not in restored:
        restored["generation"] = 0
    if "schema_version" in missing and "schema_version" not in restored:
        restored["schema_version"] = SCHEMA_VERSION
    still_missing = [k for k in missing if k not in restored]
    if still_missing:
        raise IndexCorrupt(
            f"The records of {path} do not say which {', '.join(still_missing)} built the index and "
            f"{MANIFEST} does not either. Rebuild the index from your files."
        )
    if "created_at" not in meta:
        restored["created_at"] = manifest.get("created_at") or now_iso()
    _set_meta(db, **restored)
    return [f"Restored {', '.join(sorted(restored))} in the records (from {MANIFEST} where it had them)."]


def _manifest_or_empty(path: Path) -> dict:
    import json

    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _delete_orphans(db: sqlite3.Connection) -> list[str]:
    actions = []
    for table in _ARTICLE_TABLES:
        gone = db.execute(f"DELETE FROM {table} WHERE article_id NOT IN (SELECT id FROM articles)").rowcount
        if gone:
            actions.append(f"Deleted {gone} {table} row(s) that belonged to no stored article.")
    return actions


def _release_copies_without_original(db: sqlite3.Connection) -> list[str]:
    released = db.execute(
        "UPDATE articles SET duplicate_of = NULL WHERE duplicate_of IS NOT NULL "
        "AND duplicate_of NOT IN (SELECT id FROM articles)"
    ).rowcount
    if not released:
        return []
    return [f"{released} article(s) recorded as copies of a missing article now stand on their own."]


def _drop_invalid_chunks(db: sqlite3.Connection) -> list[str]:
    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    bad = _bad_chunk_articles(db, meta)
    for article_id in bad:
        for table in ("chunks", "sentences", "sentence_vectors", "statements"):
            db.execute(f"DELETE FROM {table} WHERE article_id=?", (article_id,))
    if not bad:
        return []
    return [f"Removed the incomplete chunks, sentences (and their vectors) and statements of {len(bad)} article(s) "
            f"({', '.join(bad[:_SHOWN])})."]


def _mark_unsearchable(db: sqlite3.Connection) -> list[str]:
    rows = db.execute(
        "SELECT a.id, a.source FROM articles a WHERE a.duplicate_of IS NULL AND a.content_hash <> ? "
        "AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.article_id = a.id)",
        (NEEDS_REINGEST,),
    ).fetchall()
    if not rows:
        return []
    db.executemany("UPDATE articles SET content_hash=?, raw_hash='' WHERE id=?", [(NEEDS_REINGEST, r[0]) for r in rows])
    return [f"{len(rows)} article(s) have no searchable chunks and are marked for re-embedding; run "
            f"`newsdesk ingest` again on: {_listed(r[1] for r in rows)}."]


# ------------------------------------------------------------------------------ salvage


def _salvage_records(path: Path, from_copy: Path | None = None) -> list[str]:
    """Copy every readable row of a damaged records file into a new one; keep the damaged file.

    `from_copy`: salvage from a damaged copy kept earlier (records.sqlite itself is missing).
    (The sqlite3 shell's `.recover` would be the tool of choice, but the Debian build here fails
    on any database; the Python copy below reads around damaged pages instead.)
    """
    damaged = from_copy or path / RECORDS
    salvage = path / f".{RECORDS}.salvage.{os.getpid()}.tmp"
    salvage.unlink(missing_ok=True)
    try:
        copied = _copy_rows(damaged, salvage)
        manifest = _manifest_or_empty(path)
        if copied.get("meta", 0) == 0 and not manifest.get("embedding_model"):
            raise IndexCorrupt(
                f"{damaged} is damaged beyond what repair can use: neither it nor {MANIFEST} says which "
                f"embedding model built the index. Nothing was changed. Rebuild the index from your files "
                f"(move {path} aside first)."
            )
        kept = from_copy or _move_aside(damaged)
        os.replace(salvage, path / RECORDS)
    finally:
        salvage.unlink(missing_ok=True)
    articles = copied.get("articles", 0)
    counts = manifest.get("counts") if isinstance(manifest.get("counts"), dict) else {}
    expected = sum(int(counts.get(k, 0) or 0) for k in ("articles", "duplicates"))
    lost = f"; {expected - articles} of the {expected} articles the manifest counts are lost: ingest your " \
           "source files again to restore them" if expected > articles else ""
    return [f"{RECORDS} was damaged: salvaged {articles} article(s) and {copied.get('chunks', 0)} chunk(s) into "
            f"a new {RECORDS}{lost}. The damaged file is kept as {kept.name} (never deleted)."]


def _copy_rows(source: Path, target: Path) -> dict[str, int]:
    """Rows copied per table into a fresh database with the current schema."""
    copied: dict[str, int] = {}
    out = sqlite3.connect(str(target), isolation_level=None)
    try:
        for statement in _schema_statements():
            out.execute(statement)
        try:
            # Read-only: the damaged file is kept exactly as it was found.
            src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
            available = _table_names(src)
        except sqlite3.DatabaseError as exc:
            log.warning("nothing readable in %s: %s", source, exc)
            return copied
        try:
            out.execute("BEGIN")
            for table in _TABLES:  # articles come before the tables that refer to them
                if table in ("chunks_fts", "bm25_terms") or table not in available:
                    continue  # BM25 and its statistics are rebuilt from the chunks afterwards
                copied[table] = _copy_table(src, out, table)
            out.execute("COMMIT")
        finally:
            src.close()
    finally:
        out.close()
    return copied


def _copy_table(src: sqlite3.Connection, out: sqlite3.Connection, table: str) -> int:
    """Copy the readable rows of one table, reading around damaged pages."""
    try:
        have = {r[1] for r in src.execute(f"PRAGMA table_info({table})")}
    except sqlite3.DatabaseError as exc:
        log.warning("cannot read the columns of %s: %s", table, exc)
        return 0
    columns = [r[1] for r in out.execute(f"PRAGMA table_info({table})") if r[1] in have]
    copier = _copy_by_rowid if _has_rowid(src, table) else _copy_by_article
    copied = copier(src, out, table, columns)
    log.info("salvaged %d row(s) of %s", copied, table)
    return copied


def _has_rowid(src: sqlite3.Connection, table: str) -> bool:
    try:
        src.execute(f"SELECT rowid FROM {table} LIMIT 0")
        return True
    except sqlite3.DatabaseError:
        return False  # a WITHOUT ROWID table


def _insert_row(out: sqlite3.Connection, table: str, columns: list[str], row: tuple) -> bool:
    try:
        marks = ",".join("?" * len(columns))
        out.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES ({marks})", row)
        return True
    except sqlite3.DatabaseError as exc:  # e.g. a NOT NULL column read back as NULL
        log.info("skipped a damaged %s row: %s", table, exc)
        return False


def _copy_by_rowid(src: sqlite3.Connection, out: sqlite3.Connection, table: str, columns: list[str]) -> int:
    """Scan in rowid order; after a damaged page, seek to the next rowid that can be read."""
    names = ", ".join(columns)
    last = -(2**63)
    copied = 0
    while True:
        try:
            for row in src.execute(f"SELECT rowid, {names} FROM {table} WHERE rowid > ? ORDER BY rowid", (last,)):
                last = row[0]
                copied += _insert_row(out, table, columns, row[1:])
            return copied
        except sqlite3.DatabaseError as exc:
            log.info("%s: unreadable after rowid %s (%s); skipping ahead", table, last, exc)
        following = _next_readable_rowid(src, table, last)
        if following is None:
            return copied
        last = following - 1  # progress: `following` is beyond the row that failed


def _next_readable_rowid(src: sqlite3.Connection, table: str, after: int) -> int | None:
    """The first rowid past `after` + a growing gap whose page can be read (None: none left)."""
    step = 1
    while step < 2**62 and after + step < 2**63 - 1:
        try:
            row = src.execute(f"SELECT rowid FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT 1",
                              (after + step,)).fetchone()
            return None if row is None else int(row[0])
        except sqlite3.DatabaseError:
            step *= 2
    return None


def _copy_by_article(src: sqlite3.Connection, out: sqlite3.Connection, table: str, columns: list[str]) -> int:
    """WITHOUT ROWID tables are keyed by article: after a damaged page, read article by article."""
    names = ", ".join(columns)
    copied = 0
    try:
        for row in src.execute(f"SELECT {names} FROM {table}"):
            copied += _insert_row(out, table, columns, row)
        return copied
    except sqlite3.DatabaseError as exc:
        log.info("%s: full scan failed (%s); reading article by article", table, exc)
    for (article_id,) in out.execute("SELECT id FROM articles").fetchall():
        try:
            rows = src.execute(f"SELECT {names} FROM {table} WHERE article_id = ?", (article_id,)).fetchall()
        except sqlite3.DatabaseError:
            continue  # this article's rows sit on a damaged page: it is marked incomplete later
        for row in rows:
            before = out.total_changes
            _insert_row(out, table, columns, row)
            copied += out.total_changes - before
    return copied


def _move_aside(damaged: Path) -> Path:
    """records.sqlite -> records.sqlite.damaged (-wal/-shm too); never overwrite an earlier copy."""
    target = damaged.with_name(damaged.name + DAMAGED_SUFFIX)
    number = 1
    while target.exists():
        target = damaged.with_name(f"{damaged.name}{DAMAGED_SUFFIX}.{number}")
        number += 1
    os.replace(damaged, target)
    for extra in ("-wal", "-shm"):
        side = damaged.with_name(damaged.name + extra)
        if side.exists():
            os.replace(side, target.with_name(target.name + extra))
    return target


# ------------------------------------------------------------------------------ derived files


def _rewrite_manifest(path: Path) -> list[str]:
    with _reader(path / RECORDS) as db:
        manifest = _manifest_from(path, db)
    _write_json_atomically(path / MANIFEST, manifest)
    return [f"Rewrote {MANIFEST} from the records (generation {manifest['generation']}, "
            f"{manifest['counts']['articles']} articles, {manifest['counts']['chunks']} chunks)."]


def _rebuild_vectors(path: Path) -> list[str]:
    with _reader(path / RECORDS) as db:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        index = build_faiss_from_records(db, int(meta["dimension"]))
    _write_faiss_atomically(index, path / VECTORS, int(meta.get("vectors_generation", 0)))
    return [f"Rebuilt {VECTORS} from {index.ntotal} stored vector(s)."]


# ------------------------------------------------------------------------------ helpers


@contextlib.contextmanager
def _reader(file: Path) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(str(file), timeout=5, isolation_level=None)
    try:
        yield db
    finally:
        db.close()


def _table_names(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


__all__ = ["Finding", "diagnose", "repair", "NEEDS_REINGEST"]


# --------------------------------------------------------------------- scale-out (PostgreSQL + Milvus)


def diagnose_scale_out(index: "Index") -> list[Finding]:
    """The Milvus collection against the records: chunk changes left in the outbox, and chunk
    counts that differ (vectors lost or left behind)."""
    db = index._db()
    pending = int(db.one("SELECT COUNT(*) FROM vector_outbox")[0])
    chunks = int(db.one("SELECT COUNT(*) FROM chunks")[0])
    in_milvus = index.milvus.count() if index.milvus else 0
    findings = []
    if pending:
        findings.append(Finding(
            "warning", index.scale_out.vectors_uri,
            f"{pending} committed chunk change(s) have not reached Milvus yet (a worker stopped after its commit).",
            "apply them from the records (the next ingest does this too).", "outbox_pending"))
    if in_milvus != chunks and not pending:
        findings.append(Finding(
            "error", index.scale_out.vectors_uri,
            f"Milvus holds {in_milvus} chunks but the records hold {chunks}: searches miss or return stale chunks.",
            "re-send every chunk from the records to Milvus (the records are the source of truth).", "milvus_out_of_sync"))
    problem = keyword_stats_problem(stored_keyword_stats(db), count_keywords(db))  # reads every chunk
    if problem:
        findings.append(Finding("error", index.location, problem, "recount them from the chunks.", "keyword_stats_mismatch"))
    return findings


def repair_scale_out(index: "Index") -> list[str]:
    """Apply the outbox; if Milvus still disagrees with the records, rebuild the collection's rows."""
    actions = []
    applied = index.apply_pending_vectors()
    if applied:
        actions.append(f"applied {applied} pending chunk change(s) to Milvus")
    found = {f.code for f in diagnose_scale_out(index)}
    if "milvus_out_of_sync" in found:
        sent = index.resync_vectors()
        actions.append(f"re-sent all {sent} chunks from the records to Milvus")
    if "keyword_stats_mismatch" in found:
        with index.writer() as writer:
            counted = rebuild_keywords(writer.db, fts_table=False)
            writer.changed = True
        actions.append(f"recounted the keyword statistics from {counted} chunk(s)")
    return actions
