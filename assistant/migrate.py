"""Migrate: copy an embedded index (SQLite + FAISS folder) into the scale-out setup
(PostgreSQL records + Milvus vectors), keeping every id, so answers match before and after.

The records are copied in one PostgreSQL transaction with every chunk queued in the outbox; after
the commit the outbox is applied to Milvus (vectors from the records, BM25 built by Milvus). An
interrupted migration leaves the target empty (the transaction rolls back) or with its outbox
still to apply (the next writer, or running migrate again, finishes it).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .db import connect_postgresql, connect_sqlite
from .errors import IndexError_, IndexIncompatible
from .index import RECORDS, Index, ScaleOut

log = logging.getLogger(__name__)

# Tables in copy order; meta is handled on its own (the target's own timestamps stay).
TABLES = ("articles", "sentences", "sentence_vectors", "chunks", "statements", "dedup_bands", "ingest_log", "bm25_terms")
BATCH = 1000

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class MigrationReport:
    target: str
    rows: dict[str, int]
    vectors: int  # chunks in the Milvus collection afterwards
    seconds: float


def migrate(source: Path, target: ScaleOut, progress: Progress | None = None) -> MigrationReport:
    started = time.perf_counter()
    embedded = Index.open(source)  # checks the manifest and records are sound
    embedded.close()
    index = Index.connect(target, embedded.model_id, embedded.dimension, create=True)
    try:
        rows = _copy_records(Path(source) / RECORDS, index, progress)
        index.apply_pending_vectors()
        index.milvus.flush()  # a bulk load: index it now, not on the first searches
        vectors = index.milvus.count()
    finally:
        index.close()
    if vectors != rows.get("chunks", 0):
        raise IndexError_(
            f"Milvus holds {vectors} chunks after the migration but the records hold {rows.get('chunks', 0)}. "
            "Run the migration again (it finishes what is left)."
        )
    return MigrationReport(target=target.describe(), rows=rows, vectors=vectors, seconds=time.perf_counter() - started)


def _copy_records(records: Path, index: Index, progress: Progress | None) -> dict[str, int]:
    source = connect_sqlite(str(records))
    target = connect_postgresql(index.scale_out.records_url)
    copied: dict[str, int] = {}
    try:
        target.hold_writer_lock(600)
        try:
            existing = int(target.one("SELECT COUNT(*) FROM articles")[0])
            if existing:
                if int(target.one("SELECT COUNT(*) FROM vector_outbox")[0]):
                    log.info("target holds a migration whose vectors were not all applied; finishing it")
                    return {t: int(target.one(f"SELECT COUNT(*) FROM {t}")[0]) for t in TABLES}
                raise IndexIncompatible(
                    f"The target {index.location} already holds {existing} articles. Migrate into an empty "
                    "database (and a new Milvus collection), or ingest your files there instead."
                )
            index.milvus.drop_all()  # vectors of an earlier, rolled-back attempt
            target.begin_write()
            for table in TABLES:
                copied[table] = _copy_table(source, target, table, progress)
            _copy_meta(source, target)
            target.execute("INSERT INTO vector_outbox (rowid, op) SELECT rowid, 'put' FROM chunks")
            # Chunk rowids were copied as they are (they are the vector ids); new chunks continue after them.
            target.execute("SELECT setval(pg_get_serial_sequence('chunks', 'rowid'), COALESCE(MAX(rowid), 0) + 1, false) FROM chunks")
            target.commit()
        finally:
            target.rollback()
            target.release_writer_lock()
    finally:
        source.close()
        target.close()
    return copied


def _copy_table(source, target, table: str, progress: Progress | None) -> int:
    total = int(source.one(f"SELECT COUNT(*) FROM {table}")[0])
    cursor = source.execute(f"SELECT {'rowid, ' if table == 'chunks' else ''}* FROM {table}")
    columns = [d[0] for d in cursor.description]
    if table == "chunks":  # SELECT rowid, * names the rowid column twice
        columns = columns[:1] + columns[2:]
    names = ", ".join(f'"{c}"' for c in columns)
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    done = 0
    while True:
        rows = cursor.fetchmany(BATCH)
        if not rows:
            break
        if table == "chunks":
            rows = [row[:1] + row[2:] for row in rows]
        target.executemany(insert, rows)
        done += len(rows)
        if progress:
            progress(table, done, total)
    return done


def _copy_meta(source, target) -> None:
    meta = dict(source.execute("SELECT key, value FROM meta").fetchall())
    for key in ("generation", "vectors_generation", "created_at", "updated_at", "bm25_chunks", "bm25_tokens"):
        if key in meta:
            target.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                (key, meta[key]),
            )
