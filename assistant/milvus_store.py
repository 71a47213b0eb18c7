"""The scale-out search stage: chunk vectors and BM25 in one Milvus collection.

Built on llama-index's MilvusVectorStore (collection, schema, BM25 function, server-side RRF hybrid
search), with its defaults that are wrong for us overridden:

- index: HNSW (M=16, efConstruction=200) instead of FLAT, which scans every vector on a cluster;
- metric: COSINE instead of IP, so a model whose vectors are not unit length still ranks right;
- metadata: outlet, day and article id as real scalar fields with INVERTED indexes (the store keeps
  extra metadata in one JSON field), so outlet/date/article filters are pushed down into the search;
- sparse search: `drop_ratio_search=0` (the store hard-codes 0.2, which milvus-lite refuses).

milvus-lite ignores index build parameters (it searches exactly) and the scalar indexes; a Milvus
server or cluster builds them. milvus-lite also allows one process per .db file: several processes
(ingest workers, app replicas) need `milvus-lite server` or a real Milvus.

Rows: id = str(chunk rowid) (the records' chunk key, so deletes and upserts are by chunk and by
article), rowid, article_id, text, vector, outlet, day. `text` is the chunk's keyword terms
(bm25.terms of headline + chunk: lower case, Porter-stemmed), analysed by Milvus with no stemmer of
its own, so its BM25 finds candidates by exactly the terms the embedded index's statistics count
(Milvus' English stemmer did not even match "accounts" to "account" in milvus-lite).

URIs: a path ending in .db is milvus-lite in this process (one process per file: a second process
gets a clear error, run a server for several); http(s)://host:port or milvus://host:port is a
Milvus server or cluster, with an optional token.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import IndexError_, IndexLocked
from .records import Filters

log = logging.getLogger(__name__)

TEXT_MAX_BYTES = 65_535  # Milvus VARCHAR limit; a chunk plus its headline stays far below it
HNSW = {"index_type": "HNSW", "M": 16, "efConstruction": 200}
KEYWORD_ANALYZER = {"tokenizer": "standard", "filter": ["lowercase"]}  # the text is stemmed already
SEARCH_EF = 128


@dataclass(frozen=True)
class VectorRow:
    """One chunk as Milvus stores it."""

    rowid: int
    article_id: str
    text: str  # keyword terms, space-separated
    vector: np.ndarray
    outlet: str
    day: str  # YYYY-MM-DD or "" when undated


def milvus_uri(uri: str) -> str:
    """The URI pymilvus takes: milvus://host:port becomes http://host:port; a lite file
    (./file.db, /path/file.db or milvus:///path/file.db) becomes an absolute path."""
    if uri.startswith("milvus://"):
        rest = uri[len("milvus://"):]
        if not rest.endswith(".db"):
            return "http://" + rest
        uri = rest
    if uri.startswith(("http://", "https://", "tcp://", "unix:")):
        return uri
    return str(Path(uri).expanduser().resolve())


def is_lite(uri: str) -> bool:
    return not milvus_uri(uri).startswith(("http://", "https://", "tcp://", "unix:"))


class MilvusChunks:
    def __init__(self, uri: str, token: str, collection: str, dimension: int) -> None:
        self.uri = uri
        self.collection = collection
        self.dimension = dimension
        self.token = token
        self._lock = threading.Lock()  # milvus-lite's in-process engine is not shared across threads safely
        if is_lite(uri):
            # pymilvus asks for timestamps (AllocTimestamp) that milvus-lite's in-process server
            # does not implement; the client then carries on, but the server logs a traceback each time.
            logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
        self.store = _open_store(uri, token, collection, dimension)
        self.client = self.store.client
        self._ensure_scalar_indexes()
        self.client.load_collection(collection)  # a reopened collection starts released

    # ------------------------------------------------------------------ writing

    def upsert(self, rows: Sequence[VectorRow], batch: int = 1000) -> None:
        for start in range(0, len(rows), batch):
            part = rows[start : start + batch]
            data = [
                {
                    "id": str(r.rowid), "rowid": int(r.rowid), "article_id": r.article_id,
                    "text": _fit(r.text), "vector": np.asarray(r.vector, dtype=np.float32).tolist(),
                    "outlet": r.outlet, "day": r.day,
                }
                for r in part
            ]
            with self._lock:
                self.client.upsert(self.collection, data)

    def delete(self, rowids: Sequence[int], batch: int = 1000) -> None:
        ids = [str(int(r)) for r in rowids]
        for start in range(0, len(ids), batch):
            with self._lock:
                self.client.delete(self.collection, ids=ids[start : start + batch])

    def delete_article(self, article_id: str) -> None:
        with self._lock:
            self.client.delete(self.collection, filter=f"article_id == {json.dumps(article_id)}")

    def flush(self) -> None:
        """Seal what was written into indexed segments (after a bulk load: unsealed rows are
        searched by brute force, and milvus-lite rebuilds their BM25 statistics on every query)."""
        with self._lock:
            self.client.flush(self.collection)

    def count(self) -> int:
        with self._lock:
            rows = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def drop_all(self) -> None:
        """Delete every row (the collection and its indexes stay)."""
        with self._lock:
            self.client.delete(self.collection, filter="rowid >= 0")

    def keyword_analyzer_outdated(self) -> bool:
        """Whether the collection analyses `text` otherwise than KEYWORD_ANALYZER (made by an
        older Newsdesk)."""
        with self._lock:
            fields = self.client.describe_collection(self.collection).get("fields", [])
        params = next((f.get("params", {}) for f in fields if f.get("name") == "text"), {})
        analyzer = params.get("analyzer_params")
        if analyzer is None:
            return False
        analyzer = json.loads(analyzer) if isinstance(analyzer, str) else analyzer  # lite: JSON text
        # Only what we set is compared: a server may echo defaults of its own.
        return any(analyzer.get(key) != value for key, value in KEYWORD_ANALYZER.items())

    def recreate(self) -> None:
        """Drop the collection and make it again, empty, with the current schema and indexes."""
        with self._lock:
            self.client.drop_collection(self.collection)
        self.store = _open_store(self.uri, self.token, self.collection, self.dimension)
        self.client = self.store.client
        self._ensure_scalar_indexes()
        self.client.load_collection(self.collection)

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:  # closing must never mask the error being handled
            log.debug("closing Milvus client failed", exc_info=True)

    # ------------------------------------------------------------------ searching

    def search_dense_many(self, vectors: np.ndarray, k: int, filters: Filters = Filters(),
                          copied: Sequence[str] = ()) -> list[list[tuple[int, float]]]:
        """(rowid, cosine) per query vector, best first; `copied`: see filter_expression."""
        queries = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dimension)
        if k <= 0 or len(queries) == 0:
            return [[] for _ in range(len(queries))]
        with self._lock:
            results = self.client.search(
                self.collection, data=queries.tolist(), anns_field="vector", limit=k,
                filter=filter_expression(filters, copied), output_fields=["rowid"],
                search_params={"metric_type": "COSINE", "params": {"ef": max(SEARCH_EF, k)}},
            )
        return [[(int(hit["id"]), float(hit["distance"])) for hit in hits] for hits in results]

    def search_bm25(self, text: str, k: int, filters: Filters = Filters(),
                    copied: Sequence[str] = ()) -> list[tuple[int, float]]:
        if not text.strip() or k <= 0:
            return []
        with self._lock:
            results = self.client.search(
                self.collection, data=[text], anns_field="sparse", limit=k,
                filter=filter_expression(filters, copied), output_fields=["rowid"],
                # The llama-index store hard-codes 0.2; milvus-lite supports only 0 (and 0 drops
                # no query terms on a cluster either: exact BM25).
                search_params={"metric_type": "BM25", "params": {"drop_ratio_search": 0}},
            )
        # A cluster returns BM25 scores positive; milvus-lite returns them negated. Higher is better here.
        return [(int(hit["id"]), abs(float(hit["distance"]))) for hit in results[0]]

    def search_hybrid(self, vector: np.ndarray, text: str, k: int, filters: Filters = Filters(),
                      copied: Sequence[str] = ()) -> list[tuple[int, float]]:
        """Dense + BM25 fused server-side with RRF (k=60), through the llama-index store."""
        from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryMode

        query = VectorStoreQuery(
            query_embedding=np.asarray(vector, dtype=np.float32).tolist(), query_str=text or " ",
            similarity_top_k=k, mode=VectorStoreQueryMode.HYBRID, output_fields=["rowid"],
        )
        with self._lock:
            result = self.store.query(query, string_expr=filter_expression(filters, copied))
        return [(int(i), float(s)) for i, s in zip(result.ids or [], result.similarities or [])]

    # ------------------------------------------------------------------ setup

    def _ensure_scalar_indexes(self) -> None:
        """INVERTED indexes on the filter fields (ignored by milvus-lite, used by a cluster)."""
        existing = set(self.client.list_indexes(self.collection))
        wanted = [f for f in ("outlet", "day", "article_id") if f not in existing]
        if not wanted:
            return
        params = self.client.prepare_index_params()
        for field in wanted:
            params.add_index(field_name=field, index_type="INVERTED")
        self.client.create_index(self.collection, params)


def filter_expression(filters: Filters, copied: Sequence[str] = ()) -> str:
    """Filters as a Milvus boolean expression over the scalar fields (pushed down into the search).

    `copied`: the articles whose recorded wire copies pass the outlet and date filters (read from
    the records: a copy has no chunks here). They pass those filters too, as on the embedded
    backend (index._filter_sql)."""
    published = []
    if filters.outlets:
        published.append(f"outlet in {json.dumps(list(filters.outlets))}")
    if filters.since:
        published.append(f"day >= {json.dumps(filters.since[:10])}")
    if filters.until:
        published.append(f'day != "" and day <= {json.dumps(filters.until[:10])}')
    clauses = published
    if published and copied:
        clauses = [f"(({' and '.join(published)}) or article_id in {json.dumps(list(copied))})"]
    if filters.article_ids:
        clauses.append(f"article_id in {json.dumps(list(filters.article_ids))}")
    return " and ".join(clauses)


def _fit(text: str) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= TEXT_MAX_BYTES else data[:TEXT_MAX_BYTES].decode("utf-8", "ignore")


def _open_store(uri: str, token: str, collection: str, dimension: int):
    try:
        from llama_index.vector_stores.milvus import MilvusVectorStore
        from llama_index.vector_stores.milvus.utils import BM25BuiltInFunction
        from pymilvus import DataType
    except ImportError:
        raise IndexError_(
            "NEWSDESK_VECTORS_URI points at Milvus but its packages are not installed: "
            "pip install llama-index-vector-stores-milvus pymilvus milvus-lite."
        ) from None
    target = milvus_uri(uri)
    if is_lite(uri):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    bm25 = BM25BuiltInFunction(input_field_names="text", output_field_names="sparse",
                               analyzer_params=dict(KEYWORD_ANALYZER))
    try:
        return MilvusVectorStore(
            uri=target, token=token or "", collection_name=collection, dim=dimension,
            embedding_field="vector", text_key="text", doc_id_field="article_id",
            enable_sparse=True, sparse_embedding_function=bm25, sparse_embedding_field="sparse",
            scalar_field_names=["rowid", "outlet", "day"],
            scalar_field_types=[DataType.INT64, DataType.VARCHAR, DataType.VARCHAR],
            similarity_metric="COSINE", index_config=dict(HNSW), search_config={"ef": SEARCH_EF},
            hybrid_ranker="RRFRanker", hybrid_ranker_params={"k": 60},
            consistency_level="Strong", output_fields=["rowid"],
        )
    except Exception as exc:
        raise _open_error(uri, exc) from None


def _open_error(uri: str, exc: Exception) -> IndexError_:
    text = str(exc)
    # milvus-lite reports a file held by another process only as "Open local milvus failed".
    if is_lite(uri) and ("Open local milvus failed" in text or "lock" in text.lower()):
        return IndexLocked(
            f"The milvus-lite file {uri} is open in another process (milvus-lite allows one process per "
            "file). Stop that process, or run a Milvus server (`milvus-lite server` for development, a "
            "Milvus cluster in production) and set NEWSDESK_VECTORS_URI=http://host:19530."
        )
    return IndexError_(f"Cannot open the Milvus collection at {uri}: {text.strip().splitlines()[0] if text.strip() else exc.__class__.__name__}.")
