"""Retrieval and answer latency, memory, disk and cold start at 10k, 100k and 1M chunks.

Encoding a million chunks with a real model takes hours on 2 cores, so the indexes are built like this
(and every result says so):
- text: real generated articles (bench/corpus.py), segmented and chunked by assistant.segment,
  so BM25 (SQLite FTS5) indexes real news-like text at every size;
- vectors: a pool of real embeddings (the configured model) of the chunks of the first articles (10k chunks at
  full size). Chunks inside the pool get their real vector; every other chunk gets a generated
  vector: a mix of two pool vectors plus Gaussian noise, renormalised (so the vector space keeps
  the clusters of real embeddings, which is what approximate indexes are sensitive to);
- sentence vectors (schema 3: one vector per sentence, int8 with a scale, keyed by
  assistant.index.text_hash of the sentence text, as ingest stores them): the same split. Every sentence of the pool's
  articles is embedded (a second, sentence pool, cached beside the chunk pool: ~21
  sentences per article, 36.6k short texts at full size, embedded once in ~12 min on the shared
  2 cores with MiniLM); the sentences of every other article get generated vectors drawn the same way from
  the sentence pool (not from their chunk's vector: timing, not ranking, is measured above the
  pool). Retrieval then scores
  candidates by their best sentence and answers read the stored vectors, as in the product. An
  index built without sentence vectors (schema 2, or an older bench build) is rebuilt, never
  measured;
- statements are not extracted in the bulk build (attribution costs ~40 ms per article).
Indexes are written inside Index.writer() transactions of 250k chunks (the rows put_article
writes, inserted with executemany; the writer's commit updates FAISS and the manifest as ingest).
Questions are really embedded questions about stories in the real-vector part. The default model
(all-mpnet-base-v2 on onnxruntime since session 17) is measured; NEWSDESK_MODEL_PATH measures
another (`minilm`: the small one; give each model its own --workdir).

Each step runs in a fresh process (honest peak memory and cold start):
  build    generate + write an index of N chunks (reused on later runs if it exists, was built
           from the same pools and has a vector for every sentence)
  measure  cold start (imports + open index + load model + first answer), then retrieval and
           answer latency p50/p95 over the questions, the time of each retrieval part (the
           sentence-vector read + best-sentence scoring is one), and an A/B of whole retrievals
           with sentence matching on and off, alternated question by question
  ann      FAISS exact IndexFlatIP vs IVF (and HNSW) on the index's vectors: recall@10, latency
  llama    the plain llama-index pipeline (VectorStoreIndex, SimpleVectorStore, same embedder)
           on the same chunks, vectors and questions

    python -m bench.scale_bench --size full
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import multiprocessing
import os
import shutil
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

T_PROCESS = time.time()  # for cold start: as early as this module can see

import numpy as np  # noqa: E402

from bench.common import (  # noqa: E402
    RESULTS_DIR, default_workdir, latency_summary, machine, peak_rss_mib, run_python, table, write_json,
)
from bench.corpus import generate_article, make_questions  # noqa: E402

log = logging.getLogger(__name__)

RETRIEVAL_TARGET_MS = {100_000: 50.0, 1_000_000: 150.0}
RECALL_TARGET = 0.95
GENERATED_NOISE = 0.35


@dataclass(frozen=True)
class ScaleConfig:
    sizes: tuple[int, ...]  # chunks per index
    embedder: str  # "real" or "hashing"
    pool_chunks: int  # chunks with real vectors (and the pool the generated ones are drawn from)
    questions: int
    answers: int  # questions also answered by the answer engine
    llama_sizes: tuple[int, ...]
    hnsw_max: int  # build HNSW only up to this many vectors (it is slow to build on 2 cores)
    ann_queries: int
    seed: int = 11
    commit_chunks: int = 250_000  # chunks per Index.writer() transaction in the bulk build


CONFIGS = {
    "smoke": ScaleConfig(sizes=(300,), embedder="hashing", pool_chunks=100, questions=6, answers=2,
                         llama_sizes=(300,), hnsw_max=1000, ann_queries=6),
    "small": ScaleConfig(sizes=(10_000,), embedder="real", pool_chunks=10_000, questions=60, answers=20,
                         llama_sizes=(10_000,), hnsw_max=10_000, ann_queries=100),
    "full": ScaleConfig(sizes=(10_000, 100_000, 1_000_000), embedder="real", pool_chunks=10_000,
                        questions=60, answers=20, llama_sizes=(10_000,), hnsw_max=100_000,
                        ann_queries=100),
}


# ------------------------------------------------------------------------------------ shared


def bench_settings(workdir: Path):
    """The defaults, whatever else the environment sets, except the model: NEWSDESK_MODEL_PATH
    measures another one (its pools and indexes are its own; give it its own --workdir)."""
    from assistant.settings import load_settings

    model = {k: v for k, v in os.environ.items() if k == "NEWSDESK_MODEL_PATH"}
    return load_settings(environ=model, indexes_dir=workdir)


def bench_embedder(kind: str, settings):
    from assistant.embed import HashingEmbedder, make_embedder

    if kind == "hashing":
        return HashingEmbedder()
    return make_embedder(settings)


@dataclass
class PreparedArticle:
    """An article ready for put_article, in a compact form that pickles cheaply between processes."""

    number: int
    fields: dict[str, Any]
    sentence_spans: np.ndarray  # (n, 2) start, end
    chunk_spans: np.ndarray  # (m, 2) start, end
    vectors: np.ndarray | None = None  # (m, d)
    sentence_vectors: np.ndarray | None = None  # (n, d), float16 (pickled between processes; stored int8)


def prepare_article(number: int, seed: int, max_chars: int, overlap: int) -> PreparedArticle:
    """Generate article `number` and cut it into chunks with the real chunker.

    Sentences come from the generator, which knows where it put them (checked identical to
    assistant.segment.split_sentences on the 10k-chunk pool: segmenting 170k articles again would
    double the build time on a shared 2-core machine).
    """
    from assistant import dedup, segment
    from assistant.ingest import article_id_for
    from assistant.records import Sentence

    generated = generate_article(number, seed, wire_copy_rate=0.0)
    text = generated.body
    content_hash = dedup.content_hash(generated.title, text)
    article_id, _identity = article_id_for(generated.external_id, generated.url, generated.outlet, content_hash)
    sentences = [Sentence(article_id, i, s, e, "") for i, (s, e) in enumerate(generated.sentence_spans)]
    chunks = segment.make_chunks(article_id, text, sentences, max_chars, overlap)
    return PreparedArticle(
        number=number,
        fields=dict(id=article_id, title=generated.title, text=text, outlet=generated.outlet,
                    author=generated.author, published_at=generated.published_at, url=generated.url,
                    source="bench-generated", where=f"record {number + 1}", content_hash=content_hash),
        sentence_spans=np.asarray(generated.sentence_spans, dtype=np.int32).reshape(-1, 2),
        chunk_spans=np.asarray([(c.start, c.end) for c in chunks], dtype=np.int32).reshape(-1, 2),
    )


def chunk_texts(article: PreparedArticle) -> list[str]:
    text = article.fields["text"]
    return [text[s:e] for s, e in article.chunk_spans]


def sentence_texts(article: PreparedArticle) -> list[str]:
    text = article.fields["text"]
    return [text[s:e] for s, e in article.sentence_spans]


def synthetic_vectors(pool: np.ndarray, n: int, seed: int, number: int) -> np.ndarray:
    """Generated unit vectors: a mix of two real pool vectors plus noise (deterministic)."""
    rng = np.random.default_rng([seed, number])
    first = pool[rng.integers(0, len(pool), n)]
    second = pool[rng.integers(0, len(pool), n)]
    weight = rng.uniform(0.0, 0.6, (n, 1)).astype(np.float32)
    noise = rng.standard_normal((n, pool.shape[1])).astype(np.float32) * (GENERATED_NOISE / math.sqrt(pool.shape[1]))
    vectors = first + weight * second + noise
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


# ------------------------------------------------------------------------------------ pool


def pool_paths(workdir: Path, config_key: str) -> tuple[Path, Path]:
    return workdir / f"pool-{config_key}.npy", workdir / f"pool-{config_key}.json"


def build_pool(config: ScaleConfig, workdir: Path) -> dict[str, Any]:
    """Real embeddings of the chunks of the first articles, and of those articles' sentences
    (meta["sentences"]); both cached in the workdir."""
    settings = bench_settings(workdir)
    embedder = bench_embedder(config.embedder, settings)
    key = f"{config.embedder}-{embedder.model_id.replace('/', '_')}-{config.seed}-{config.pool_chunks}-{settings.chunk_max_chars}"
    meta = _chunk_pool(config, workdir, settings, embedder, key)
    meta["sentences"] = _sentence_pool(config, workdir, settings, embedder, key, meta["articles"])
    return meta


def _chunk_pool(config: ScaleConfig, workdir: Path, settings, embedder, key: str) -> dict[str, Any]:
    reused = _reused_pool(workdir, key)
    if reused is not None:
        return reused
    texts: list[str] = []
    offsets = [0]
    number = 0
    while len(texts) < config.pool_chunks:
        article = prepare_article(number, config.seed, settings.chunk_max_chars, settings.chunk_overlap_sentences)
        texts.extend(chunk_texts(article))
        offsets.append(len(texts))
        number += 1
    vectors, seconds = _embed_into_pool(workdir, key, embedder, texts)
    return _save_pool_meta(workdir, key, {
        "articles": number, "chunks": len(texts), "offsets": offsets, "model_id": embedder.model_id,
        "dimension": int(vectors.shape[1]), "embed_s": round(seconds, 2),
        "chunks_per_s": round(len(texts) / seconds, 1) if seconds else None,
    })


def _sentence_pool(config: ScaleConfig, workdir: Path, settings, embedder, key: str, articles: int) -> dict[str, Any]:
    """Real embeddings of every sentence of the chunk pool's articles (what ingest stores for
    them), with each article's first row in `offsets`."""
    key = f"{key}-sentences"
    reused = _reused_pool(workdir, key)
    if reused is not None:
        return reused
    texts: list[str] = []
    offsets = [0]
    for number in range(articles):
        article = prepare_article(number, config.seed, settings.chunk_max_chars, settings.chunk_overlap_sentences)
        texts.extend(sentence_texts(article))
        offsets.append(len(texts))
    _vectors, seconds = _embed_into_pool(workdir, key, embedder, texts)
    return _save_pool_meta(workdir, key, {
        "articles": articles, "sentences": len(texts), "offsets": offsets, "embed_s": round(seconds, 2),
        "sentences_per_s": round(len(texts) / seconds, 1) if seconds else None,
    })


def _reused_pool(workdir: Path, key: str) -> dict[str, Any] | None:
    """The cached pool's meta (marked reused), or None when it was not built yet."""
    vectors_path, meta_path = pool_paths(workdir, key)
    if not (vectors_path.exists() and meta_path.exists()):
        return None
    meta = json.loads(meta_path.read_text())
    meta["reused"] = True
    return meta


def _embed_into_pool(workdir: Path, key: str, embedder, texts: list[str]) -> tuple[np.ndarray, float]:
    """Embed the texts and save their vectors as the pool `key`; (vectors, seconds embedding)."""
    started = time.perf_counter()
    vectors = embedder.embed(texts)
    seconds = time.perf_counter() - started
    workdir.mkdir(parents=True, exist_ok=True)
    np.save(pool_paths(workdir, key)[0], vectors.astype(np.float32))
    return vectors, seconds


def _save_pool_meta(workdir: Path, key: str, figures: dict[str, Any]) -> dict[str, Any]:
    vectors_path, meta_path = pool_paths(workdir, key)
    meta = {"key": key, "vectors": str(vectors_path), **figures}
    meta_path.write_text(json.dumps(meta))
    return meta


# ------------------------------------------------------------------------------------ build

_WORKER: dict[str, Any] = {}


def _worker_init(pool_path: str, offsets: list[int], sentence_pool_path: str, sentence_offsets: list[int],
                 seed: int, max_chars: int, overlap: int) -> None:
    _WORKER.update(pool=np.load(pool_path), offsets=offsets, sentence_pool=np.load(sentence_pool_path),
                   sentence_offsets=sentence_offsets, seed=seed, max_chars=max_chars, overlap=overlap)


def _worker_batch(numbers: range) -> list[PreparedArticle]:
    seed = _WORKER["seed"]
    out = []
    for number in numbers:
        article = prepare_article(number, seed, _WORKER["max_chars"], _WORKER["overlap"])
        article.vectors = _pool_or_generated(_WORKER["pool"], _WORKER["offsets"], number,
                                             len(article.chunk_spans), seed, "chunk")
        # A separate random stream for sentences (seed + 1), so chunk vectors stay what they were.
        article.sentence_vectors = _pool_or_generated(_WORKER["sentence_pool"], _WORKER["sentence_offsets"], number,
                                                      len(article.sentence_spans), seed + 1, "sentence")
        article.sentence_vectors = article.sentence_vectors.astype(np.float16)  # half the pickling; stored int8
        out.append(article)
    return out


def _pool_or_generated(pool: np.ndarray, offsets: list[int], number: int, n: int, seed: int, what: str) -> np.ndarray:
    """Article `number`'s own real vectors when it is in the pool, else n generated ones."""
    if number + 1 < len(offsets):
        vectors = pool[offsets[number] : offsets[number + 1]]
        if len(vectors) != n:
            raise RuntimeError(f"{what} pool does not match article {number}: {len(vectors)} != {n}")
        return vectors
    return synthetic_vectors(pool, n, seed, number)


def _batches_of_articles(start: int, size: int) -> Iterator[range]:
    while True:
        yield range(start, start + size)
        start += size


def build_index(path: Path, chunks: int, pool_meta: dict[str, Any], config: ScaleConfig) -> dict[str, Any]:
    """Write an index of at least `chunks` chunks through Index.writer() (see _write_batches)."""
    from assistant.index import SENTENCE_VECTOR_FORMAT, Index

    settings = bench_settings(path.parent)
    shutil.rmtree(path, ignore_errors=True)
    index = Index.create(path, pool_meta["model_id"], pool_meta["dimension"])
    started = time.perf_counter()
    sentence_pool = pool_meta["sentences"]
    init = (pool_meta["vectors"], pool_meta["offsets"], sentence_pool["vectors"], sentence_pool["offsets"],
            config.seed, settings.chunk_max_chars, settings.chunk_overlap_sentences)
    # Two worker processes generate and segment while this one writes; small indexes need none
    # (and forking inside a test process that has torch threads is best avoided).
    if chunks >= 20_000:
        with multiprocessing.get_context("fork").Pool(2, initializer=_worker_init, initargs=init) as workers:
            counts = _write_batches(index, workers.imap(_worker_batch, _batches_of_articles(0, 200)), chunks, config)
            workers.terminate()
    else:
        _worker_init(*init)
        counts = _write_batches(index, map(_worker_batch, _batches_of_articles(0, 200)), chunks, config)
    build_s = time.perf_counter() - started
    index.close()
    _checkpoint(path)
    written_chunks = counts["chunks"]
    info = {
        "chunks": written_chunks, "articles": counts["articles"], "build_s": round(build_s, 1),
        "chunks_per_s": round(written_chunks / build_s, 1), "insert_rows_s": round(counts["put_article_s"], 1),
        "commits": counts["commits"],
        "real_vector_chunks": min(written_chunks, pool_meta["chunks"]),
        "generated_vector_chunks": max(0, written_chunks - pool_meta["chunks"]),
        "vectors": f"real {pool_meta['model_id']}" if written_chunks <= pool_meta["chunks"] else
                   f"real {pool_meta['model_id']} for the first {pool_meta['chunks']:,} chunks, generated for the rest",
        "sentence_vectors": counts["sentences"],
        "real_sentence_vectors": min(counts["sentences"], sentence_pool["sentences"]),
        "generated_sentence_vectors": max(0, counts["sentences"] - sentence_pool["sentences"]),
        "sentence_pool_key": sentence_pool["key"],
        "sentence_vector_format": SENTENCE_VECTOR_FORMAT,
        "statements": "not extracted (bulk build)",
        "disk_bytes": _disk_bytes(path),
        "build_peak_rss_mib": peak_rss_mib(),
        "pool_key": pool_meta["key"], "seed": config.seed,
    }
    (path / "bench-build.json").write_text(json.dumps(info))
    return info


def _write_batches(index, batches: Iterator[list[PreparedArticle]], chunks: int, config: ScaleConfig) -> dict[str, Any]:
    """Write prepared articles until `chunks` are written, in big Index.writer() transactions.

    Rows go in with executemany on the writer's connection (put_article's per-row statements
    cost more than generating the text at a million chunks); the writer's own commit then
    updates FAISS, the generation and the manifest exactly as after an ingest.
    """
    counts = {"chunks": 0, "articles": 0, "sentences": 0, "put_article_s": 0.0, "commits": 0}
    done = False
    while not done:
        with index.writer(lock_timeout_s=60) as writer:
            in_this_commit = 0
            next_rowid = int(writer.db.execute("SELECT COALESCE(MAX(rowid), 0) + 1 FROM chunks").fetchone()[0])
            for batch in batches:
                put_started = time.perf_counter()
                take = []
                for item in batch:
                    take.append(item)
                    counts["chunks"] += len(item.chunk_spans)
                    in_this_commit += len(item.chunk_spans)
                    if counts["chunks"] >= chunks:
                        done = True
                        break
                next_rowid = _insert_rows(writer, take, next_rowid)
                counts["articles"] += len(take)
                counts["sentences"] += sum(len(item.sentence_spans) for item in take)
                counts["put_article_s"] += time.perf_counter() - put_started
                if done or in_this_commit >= config.commit_chunks:
                    break
        counts["commits"] += 1
        log.info("build: %d chunks written", counts["chunks"])
    return counts


def _insert_rows(writer, items: Sequence[PreparedArticle], next_rowid: int) -> int:
    """The rows put_article writes (articles, sentences + their vectors, chunks + vectors, FTS), in bulk."""
    from assistant.index import encode_sentence_vector, fts_text, now_iso, text_hash

    stamp = now_iso()
    articles, sentences, sentence_vectors, chunk_rows, fts_rows = [], [], [], [], []
    for item in items:
        f = item.fields
        articles.append((f["id"], f["title"], f["text"], f["outlet"], f["author"], f["published_at"], f["url"],
                         f["source"], f["where"], "id", f["content_hash"], "[]", '{"format": "bench"}', None, None,
                         stamp, stamp))
        sentences.extend((f["id"], i, int(s), int(e)) for i, (s, e) in enumerate(item.sentence_spans))
        text = f["text"]
        # As IndexWriter.put_sentence_vectors: int8 + scale, keyed by the hash of the sentence's text.
        sentence_vectors.extend((f["id"], i, text_hash(text[s:e]), encode_sentence_vector(v))
                                for i, ((s, e), v) in enumerate(zip(item.sentence_spans, item.sentence_vectors)))
        for i, (start, end) in enumerate(item.chunk_spans):
            chunk_text = text[start:end]
            chunk_rows.append((next_rowid, f"{f['id']}:{i}", f["id"], i, int(start), int(end),
                               hashlib.sha1(chunk_text.encode("utf-8")).hexdigest(), item.vectors[i].tobytes()))
            fts_rows.append((next_rowid, fts_text(f["title"], chunk_text)))
            writer.added_ids.append(next_rowid)
            next_rowid += 1
        writer.added_vectors.append(np.asarray(item.vectors, dtype=np.float32))
    db = writer.db
    db.executemany("INSERT INTO articles (id, title, text, outlet, author, published_at, url, source, source_where, "
                   "identity, content_hash, removed, metadata, duplicate_of, signature, added_at, updated_at) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", articles)
    db.executemany("INSERT INTO sentences (article_id, idx, start, end) VALUES (?,?,?,?)", sentences)
    db.executemany("INSERT INTO sentence_vectors (article_id, idx, text_hash, vector) VALUES (?,?,?,?)",
                   sentence_vectors)
    db.executemany("INSERT INTO chunks (rowid, id, article_id, idx, start, end, text_hash, vector) "
                   "VALUES (?,?,?,?,?,?,?,?)", chunk_rows)
    db.executemany("INSERT INTO chunks_fts (rowid, text) VALUES (?, ?)", fts_rows)
    writer.term_change.add(text for _, text in fts_rows)  # the keyword statistics (bm25.py), saved on commit
    writer.changed = True
    return next_rowid


def _checkpoint(path: Path) -> None:
    db = sqlite3.connect(str(path / "records.sqlite"))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def _disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file() and p.name != "bench-build.json")


# ------------------------------------------------------------------------------------ measure


def measure(path: Path, embedder_kind: str, questions: Sequence[str], answers: int, spawned_at: float,
            query_vectors_out: Path | None = None) -> dict[str, Any]:
    """Cold start, then warm retrieval/answer latency and the time of each retrieval part."""
    t_import = time.time()
    from assistant.index import Index  # noqa: F401  (imports are part of cold start)
    from assistant.retrieve import Retriever

    engine_class, engine_note = _answer_engine_class()
    settings = bench_settings(path.parent)
    embedder = bench_embedder(embedder_kind, settings)
    if embedder_kind == "real":
        import sentence_transformers  # noqa: F401
    imports_s = time.time() - t_import

    started = time.perf_counter()
    index = Index.open(path, embedder.model_id, embedder.dimension)
    open_s = time.perf_counter() - started
    started = time.perf_counter()
    getattr(embedder, "warm_up", lambda: None)()
    model_s = time.perf_counter() - started
    started = time.perf_counter()
    retriever = Retriever(index, embedder, settings)
    engine = engine_class(index, embedder, settings) if engine_class else None
    if engine is not None:
        engine.ask(questions[0], mode="ask")
        first = "answer"
    else:
        retriever.retrieve(questions[0], k=settings.top_k)
        first = "retrieval"
    first_s = time.perf_counter() - started
    cold = {
        "process_start_to_first_" + first + "_s": round(time.time() - spawned_at, 2),
        "imports_s": round(imports_s, 2), "open_index_s": round(open_s, 3),
        "load_model_s": round(model_s, 2), "first_" + first + "_s": round(first_s, 2),
    }

    # Warm: one pass over the questions to fill caches would flatter the numbers; the first
    # question already paid for loading FAISS, so every question is timed once, as asked.
    retrieval = []
    for question in questions:
        started = time.perf_counter()
        retriever.retrieve(question, k=settings.top_k)
        retrieval.append(time.perf_counter() - started)

    parts = _retrieval_parts(retriever, questions, settings.top_k)
    sentence_match_ab = _sentence_match_ab(retriever, questions, settings.top_k)
    # FAISS parallelises a single query with OpenMP; on a busy 2-core machine the thread hand-off
    # can cost more than the search. The same questions with FAISS on one thread:
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    single = []
    for question in questions:
        started = time.perf_counter()
        retriever.retrieve(question, k=settings.top_k)
        single.append(time.perf_counter() - started)
    faiss_single = _retrieval_parts(retriever, questions, settings.top_k)["faiss_dense"]
    faiss.omp_set_num_threads(threads)
    embed_1_thread = _embed_query_one_thread(embedder, questions)
    if query_vectors_out is not None:
        np.save(query_vectors_out, embedder.embed(list(questions)))

    answer_times: list[float] = []
    if engine is not None:
        for question in questions[1 : answers + 1]:
            started = time.perf_counter()
            engine.ask(question, mode="ask")
            answer_times.append(time.perf_counter() - started)

    stats = index.stats()
    return {
        "chunks": stats.chunks, "articles": stats.articles,
        "cold_start": cold,
        "retrieval": latency_summary(retrieval),
        "retrieval_parts": parts,
        "sentence_match_ab": sentence_match_ab,
        "sentences_without_vectors": sentences_without_vectors(path),
        "faiss_threads": threads,
        "retrieval_faiss_1_thread": latency_summary(single),
        "faiss_dense_1_thread": faiss_single,
        "embed_query_1_torch_thread": embed_1_thread,
        "answer": latency_summary(answer_times) if answer_times else {"skipped": engine_note or "no questions"},
        "peak_rss_mib": peak_rss_mib(),
        "disk_bytes": _disk_bytes(path),
    }


def _embed_query_one_thread(embedder, questions: Sequence[str]) -> dict[str, Any]:
    """Query embedding with torch on one thread (one short text gains little from two)."""
    if getattr(embedder, "_model", None) is None:
        return {"skipped": "not a torch model"}
    try:
        import torch
    except ImportError:
        return {"skipped": "no torch"}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        times = []
        for question in questions:
            started = time.perf_counter()
            embedder.embed([question])
            times.append(time.perf_counter() - started)
    finally:
        torch.set_num_threads(threads)
    return {**latency_summary(times), "default_threads": threads}


def _sentence_match_ab(retriever, questions: Sequence[str], k: int) -> dict[str, Any]:
    """Whole retrievals with sentence matching on and off (Tuning.sentence_match), alternated
    question by question (which goes first alternates too), after the timed pass has warmed the
    caches: what reading and scoring the sentence vectors adds, with the load drift cancelled."""
    from dataclasses import replace

    tuning = retriever.tuning
    variants = {"on": tuning, "off": replace(tuning, sentence_match=False)}
    times: dict[str, list[float]] = {"on": [], "off": []}
    try:
        for number, question in enumerate(questions):
            for name in (("on", "off") if number % 2 == 0 else ("off", "on")):
                retriever.tuning = variants[name]
                started = time.perf_counter()
                retriever.retrieve(question, k=k)
                times[name].append(time.perf_counter() - started)
    finally:
        retriever.tuning = tuning
    return {name: latency_summary(values) for name, values in times.items()}


def _answer_engine_class():
    try:
        from assistant.answer import AnswerEngine
    except ImportError as exc:
        return None, f"assistant.answer not available ({exc})"
    return AnswerEngine, ""


def _retrieval_parts(retriever, questions: Sequence[str], k: int) -> dict[str, Any]:
    """Where a retrieval's time goes: query embedding, FAISS, BM25, record look-ups.

    bm25_fts5 searches the words the Retriever searches (the rarest within its postings budget);
    bm25_all_words every word of the question, as before that budget. outlets_dates is paid once
    per index generation by the product (cached), here on every question."""
    from assistant.retrieve import _best_sentence_cosines

    index, embedder = retriever.index, retriever.embedder
    pool = max(50, k * 5)
    times: dict[str, list[float]] = {"embed_query": [], "faiss_dense": [], "bm25_fts5": [], "bm25_all_words": [],
                                     "outlets_dates": [], "chunks_by_rowid": [], "sentence_vectors": []}
    sentence_rows: list[int] = []
    for question in questions:
        started = time.perf_counter()
        vector = embedder.embed([question])[0]
        times["embed_query"].append(time.perf_counter() - started)
        started = time.perf_counter()
        dense = index.search_dense(vector, pool)
        times["faiss_dense"].append(time.perf_counter() - started)
        started = time.perf_counter()
        bm25 = index.search_bm25(retriever._bm25_text(question), pool)
        times["bm25_fts5"].append(time.perf_counter() - started)
        started = time.perf_counter()
        index.search_bm25(question, pool)
        times["bm25_all_words"].append(time.perf_counter() - started)
        started = time.perf_counter()
        index.outlets()
        index.dates()
        times["outlets_dates"].append(time.perf_counter() - started)
        started = time.perf_counter()
        index.chunks_by_rowid([r for r, _ in dense] + [r for r, _ in bm25])
        times["chunks_by_rowid"].append(time.perf_counter() - started)
        # What Retriever.gather adds for sentence matching: read the stored sentence vectors of
        # the candidates (the product's pool from each search) and take each one's best cosine.
        candidates = list(dict.fromkeys(r for r, _ in [*dense[: retriever.tuning.pool], *bm25[: retriever.tuning.pool]]))
        started = time.perf_counter()
        _best_sentence_cosines(index.sentence_vectors_in_chunks(candidates), vector.reshape(1, -1))
        times["sentence_vectors"].append(time.perf_counter() - started)
        sentence_rows.append(len(candidates))
    out = {name: latency_summary(values) for name, values in times.items()}
    out["sentence_vectors"]["candidates_mean"] = round(sum(sentence_rows) / len(sentence_rows), 1) if sentence_rows else 0
    return out


# ------------------------------------------------------------------------------------ ann


def faiss_vectors(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors): from vectors.faiss when it is the exact index, else from the records
    (above 200k vectors the index keeps an IVF copy, which does not hand its vectors back in order)."""
    import faiss

    stored = faiss.read_index(str(path / "vectors.faiss"))
    if not hasattr(stored, "id_map"):
        return _record_vectors(path)
    ids = faiss.vector_to_array(stored.id_map).astype(np.int64)
    flat = faiss.downcast_index(stored.index)
    vectors = faiss.rev_swig_ptr(flat.get_xb(), stored.ntotal * stored.d).reshape(stored.ntotal, stored.d).copy()
    return ids, vectors


def _record_vectors(path: Path) -> tuple[np.ndarray, np.ndarray]:
    import sqlite3

    db = sqlite3.connect(str(path / "records.sqlite"))
    try:
        count = db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        dimension = int(db.execute("SELECT value FROM meta WHERE key='dimension'").fetchone()[0])
        ids = np.empty(count, dtype=np.int64)
        vectors = np.empty((count, dimension), dtype=np.float32)
        for row, (rowid, blob) in enumerate(db.execute("SELECT rowid, vector FROM chunks ORDER BY rowid")):
            ids[row] = rowid
            vectors[row] = np.frombuffer(blob, dtype=np.float32)
    finally:
        db.close()
    return ids, vectors


def ann(path: Path, queries: np.ndarray, hnsw_max: int) -> dict[str, Any]:
    """Exact IndexFlatIP against IVF-Flat (nprobe sweep) and HNSW (efSearch sweep)."""
    import faiss

    from assistant.vector_index import ivf_nlist

    ids, vectors = faiss_vectors(path)
    n, dimension = vectors.shape
    k = 10
    results: dict[str, Any] = {"vectors": n, "queries": len(queries)}

    exact = faiss.IndexFlatIP(dimension)
    exact.add(vectors)
    truth, exact_times = _search_each(exact, queries, k)
    results["flat"] = {"latency": latency_summary(exact_times), "recall_at_10": 1.0,
                       "memory_mib": round(vectors.nbytes / 2**20, 1)}

    nlist = ivf_nlist(n)
    started = time.perf_counter()
    quantizer = faiss.IndexFlatIP(dimension)
    ivf = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
    train = vectors[np.random.default_rng(0).choice(n, min(n, 64 * nlist), replace=False)]
    ivf.train(train)
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    ivf.add(vectors)
    add_s = time.perf_counter() - started
    sweep = []
    for nprobe in (4, 8, 16, 32, 64, 128):
        if nprobe > nlist:
            break
        ivf.nprobe = nprobe
        found, times = _search_each(ivf, queries, k)
        sweep.append({"nprobe": nprobe, "recall_at_10": _recall(found, truth), "latency": latency_summary(times)})
    results["ivf_flat"] = {"nlist": nlist, "train_s": round(train_s, 1), "add_s": round(add_s, 1),
                           "train_vectors": len(train), "sweep": sweep}

    if n <= hnsw_max:
        started = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 40
        hnsw.add(vectors)
        build_s = time.perf_counter() - started
        sweep = []
        for ef in (16, 32, 64, 128, 256):
            hnsw.hnsw.efSearch = ef
            found, times = _search_each(hnsw, queries, k)
            sweep.append({"efSearch": ef, "recall_at_10": _recall(found, truth), "latency": latency_summary(times)})
        results["hnsw_flat"] = {"M": 32, "efConstruction": 40, "build_s": round(build_s, 1), "sweep": sweep}
    else:
        results["hnsw_flat"] = {"skipped": f"not built above {hnsw_max:,} vectors (build time on 2 cores)"}
    results["single_thread"] = _single_thread(exact, ivf, hnsw if n <= hnsw_max else None, queries, k)
    results["peak_rss_mib"] = peak_rss_mib()
    del ids
    return results


def _single_thread(exact, ivf, hnsw, queries: np.ndarray, k: int) -> dict[str, Any]:
    """The same searches with FAISS on one OpenMP thread (see measure())."""
    import faiss

    from assistant.vector_index import IVF_NPROBE

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        out = {"flat": latency_summary(_search_each(exact, queries, k)[1])}
        ivf.nprobe = IVF_NPROBE
        out[f"ivf_nprobe_{IVF_NPROBE}"] = latency_summary(_search_each(ivf, queries, k)[1])
        if hnsw is not None:
            hnsw.hnsw.efSearch = 64
            out["hnsw_ef_64"] = latency_summary(_search_each(hnsw, queries, k)[1])
    finally:
        faiss.omp_set_num_threads(threads)
    out["default_threads"] = threads
    return out


def _search_each(index, queries: np.ndarray, k: int) -> tuple[np.ndarray, list[float]]:
    """One query at a time, as the app searches: per-request latency, not batch throughput."""
    found = np.zeros((len(queries), k), dtype=np.int64)
    times = []
    for row, query in enumerate(queries):
        started = time.perf_counter()
        _scores, labels = index.search(query.reshape(1, -1), k)
        times.append(time.perf_counter() - started)
        found[row] = labels[0]
    return found, times


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    hits = sum(len(set(f) & set(t)) for f, t in zip(found.tolist(), truth.tolist()))
    return round(hits / truth.size, 4)


# ------------------------------------------------------------------------------------ llama-index


def llama_baseline(path: Path, embedder_kind: str, questions: Sequence[str]) -> dict[str, Any]:
    """The plain llama-index pipeline on the same chunks, vectors and questions (dense only)."""
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.core.schema import TextNode
    from llama_index.core.vector_stores import SimpleVectorStore

    from bench.llama_embedding import NewsdeskEmbedding

    settings = bench_settings(path.parent)
    embedder = bench_embedder(embedder_kind, settings)
    getattr(embedder, "warm_up", lambda: None)()
    started = time.perf_counter()
    nodes = [TextNode(id_=cid, text=text, embedding=vector.tolist()) for cid, text, vector in _chunks_with_vectors(path)]
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    storage = StorageContext.from_defaults(vector_store=SimpleVectorStore())
    index = VectorStoreIndex(nodes, storage_context=storage, embed_model=NewsdeskEmbedding(embedder=embedder))
    build_s = time.perf_counter() - started
    retriever = index.as_retriever(similarity_top_k=10)
    retriever.retrieve(questions[0])  # first call pays one-off costs, like our first answer
    # SimpleVectorStore turns every stored embedding into an array on each query: seconds per
    # query at 100k nodes, so large stores get fewer questions (the first ones, same as ours).
    questions = questions[: 10 if len(nodes) > 50_000 else len(questions)]
    times = []
    for question in questions:
        started = time.perf_counter()
        retriever.retrieve(question)
        times.append(time.perf_counter() - started)
    return {"nodes": len(nodes), "load_from_sqlite_s": round(load_s, 1), "build_s": round(build_s, 1),
            "retrieval": latency_summary(times), "peak_rss_mib": peak_rss_mib()}


def _chunks_with_vectors(path: Path) -> Iterator[tuple[str, str, np.ndarray]]:
    db = sqlite3.connect(str(path / "records.sqlite"))
    texts: dict[str, str] = {}
    rows = db.execute("SELECT c.id, c.article_id, c.start, c.end, c.vector FROM chunks c ORDER BY c.rowid")
    for cid, aid, start, end, blob in rows:
        if aid not in texts:
            texts.clear()  # chunks of an article are consecutive: keep one article's text
            texts[aid] = db.execute("SELECT text FROM articles WHERE id=?", (aid,)).fetchone()[0]
        yield cid, texts[aid][start:end], np.frombuffer(blob, dtype=np.float32)
    db.close()


# ------------------------------------------------------------------------------------ orchestration


def run(size: str, workdir: Path | None = None, rebuild: bool = False, sizes: Sequence[int] | None = None,
        hnsw_max: int | None = None, in_process: bool = False) -> dict[str, Any]:
    """All sizes of one configuration. `in_process` runs the steps here instead of in fresh
    processes (for the smoke test: faster, but cold start and peak memory then mean little)."""
    config = CONFIGS[size]
    if sizes:
        config = ScaleConfig(**{**asdict(config), "sizes": tuple(sizes)})
    if hnsw_max is not None:
        config = ScaleConfig(**{**asdict(config), "hnsw_max": hnsw_max})
    workdir = Path(workdir or default_workdir()) / "scale"
    workdir.mkdir(parents=True, exist_ok=True)
    pool_meta = build_pool(config, workdir)
    questions = make_questions(config.questions, config.seed, corpus_articles=pool_meta["articles"])
    questions_path = workdir / f"questions-{size}.json"
    questions_path.write_text(json.dumps(questions))
    pool_meta_path = workdir / "pool-current.json"
    pool_meta_path.write_text(json.dumps(pool_meta))
    summary: dict[str, Any] = {
        "benchmark": "scale", "size": size, "machine": machine(), "config": asdict(config),
        "pool": {k: v for k, v in pool_meta.items() if k not in ("offsets", "sentences")},
        "sentence_pool": {k: v for k, v in pool_meta["sentences"].items() if k != "offsets"},
        "vectors_note": (f"real {pool_meta['model_id']} vectors for the first {pool_meta['chunks']:,} chunks and the "
                         f"{pool_meta['sentences']['sentences']:,} sentences of their articles; above that, generated "
                         f"vectors (mix of two real pool vectors + noise {GENERATED_NOISE}, renormalised; sentences "
                         "from the sentence pool, stored int8) over real generated text (BM25 sees real text "
                         "at every size)"),
        "sizes": [],
    }
    for chunks in config.sizes:
        summary["sizes"].append(
            _run_size(chunks, config, workdir, pool_meta, pool_meta_path, questions_path, rebuild, in_process))
    return summary


def _run_size(chunks: int, config: ScaleConfig, workdir: Path, pool_meta: dict[str, Any], pool_meta_path: Path,
              questions_path: Path, rebuild: bool, in_process: bool = False) -> dict[str, Any]:
    partial = workdir / f"partial-{chunks}.json"

    def run_step(args: list[str], timeout_s: float) -> dict[str, Any]:
        """One step; a failure or time-out is recorded (the other sizes still run) and every
        result is saved as it comes, so an interrupted run keeps what it measured."""
        try:
            if in_process:
                out = json.loads(json.dumps(_step(args[0], args[1:]), default=str))
            else:
                out = run_python("bench.scale_bench", args, timeout_s)
        except Exception as exc:  # noqa: BLE001 - reported in the results, not raised
            if in_process:
                raise
            log.error("step %s at %d chunks failed: %s", args[0], chunks, exc)
            out = {"failed": f"{exc.__class__.__name__}: {str(exc)[:500]}"}
        saved = json.loads(partial.read_text()) if partial.exists() else {}
        saved[args[0]] = out
        partial.write_text(json.dumps(saved, default=str))
        return out

    path = workdir / f"index-{chunks}"
    info_path = path / "bench-build.json"
    info = json.loads(info_path.read_text()) if info_path.exists() else None
    if rebuild or not _reusable(path, info, pool_meta, chunks):
        info = run_step(["build", str(path), "--chunks", str(chunks), "--pool", str(pool_meta_path),
                         "--size-config", _config_arg(config)], timeout_s=3600)
        info["reused"] = False
    else:
        info["reused"] = True
    result: dict[str, Any] = {"target_chunks": chunks, "build": info}
    query_vectors = path.parent / f"queries-{chunks}.npy"
    result["measure"] = run_step(
        ["measure", str(path), "--embedder", config.embedder, "--questions", str(questions_path),
         "--answers", str(config.answers), "--spawned-at", repr(time.time()), "--query-vectors", str(query_vectors)],
        timeout_s=3600,
    )
    result["ann"] = run_step(
        ["ann", str(path), "--query-vectors", str(query_vectors), "--queries", str(config.ann_queries),
         "--hnsw-max", str(config.hnsw_max)],
        timeout_s=3600,
    )
    if chunks in config.llama_sizes:
        result["llama"] = run_step(
            ["llama", str(path), "--embedder", config.embedder, "--questions", str(questions_path)],
            timeout_s=3600,
        )
    return result


def _reusable(path: Path, info: dict[str, Any] | None, pool_meta: dict[str, Any], chunks: int) -> bool:
    """An earlier build of the same pools, large enough, that stores a vector for every sentence.
    An index from before sentence vectors (schema 2, or schema 3 after the upgrade on open, with
    the table empty) would be measured without sentence matching, and one storing them float16
    (before session 11) as it no longer stores them: both are rebuilt instead."""
    if info is None or info.get("pool_key") != pool_meta["key"] or info.get("chunks", 0) < chunks:
        return False
    if info.get("sentence_pool_key") != pool_meta["sentences"]["key"]:
        log.warning("rebuilding %s: built without the sentence pool %s", path, pool_meta["sentences"]["key"])
        return False
    from assistant.index import SENTENCE_VECTOR_FORMAT

    if info.get("sentence_vector_format") != SENTENCE_VECTOR_FORMAT:
        log.warning("rebuilding %s: its sentence vectors are not stored as %s", path, SENTENCE_VECTOR_FORMAT)
        return False
    missing = sentences_without_vectors(path)
    if missing:
        log.warning("rebuilding %s: %s sentences have no stored vector", path, f"{missing:,}")
        return False
    return True


def sentences_without_vectors(path: Path) -> int:
    """How many of the index's sentences have no row in sentence_vectors (all of them when the
    index predates the table)."""
    db = sqlite3.connect(f"file:{path / 'records.sqlite'}?mode=ro", uri=True)
    try:
        sentences = db.execute("SELECT COUNT(*) FROM sentences").fetchone()[0]
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name='sentence_vectors'").fetchone():
            return sentences
        return sentences - db.execute("SELECT COUNT(*) FROM sentence_vectors").fetchone()[0]
    finally:
        db.close()


def _config_arg(config: ScaleConfig) -> str:
    return json.dumps(asdict(config))


def format_summary(summary: dict[str, Any]) -> str:
    lines = [summary["vectors_note"], ""]
    for item in summary["sizes"]:
        for step in ("build", "measure", "ann", "llama"):
            if "failed" in item.get(step, {}):
                lines.append(f"{item['target_chunks']:,} chunks: {step} failed: {item[step]['failed'][:200]}")
    measured = [i for i in summary["sizes"] if "chunks" in i["measure"] and "chunks" in i["build"]]
    rows = []
    for item in measured:
        m, b = item["measure"], item["build"]
        cold = m["cold_start"]
        cold_total = next((v for k, v in cold.items() if k.startswith("process_start")), None)
        answer = m["answer"]
        llama = item.get("llama", {}).get("retrieval", {}) if "failed" not in item.get("llama", {}) else {}
        ours = m["retrieval"]["p50_ms"]
        rows.append([
            m["chunks"], "real" if b["generated_vector_chunks"] == 0 else "generated*",
            ours, m["retrieval"]["p95_ms"], answer.get("p50_ms"), answer.get("p95_ms"),
            m["peak_rss_mib"], round(m["disk_bytes"] / 2**20, 1),
            round(m["disk_bytes"] / m["chunks"] * 1e6 / 2**30, 2) if m["chunks"] else None,
            cold_total, llama.get("p50_ms"),
            round(llama["p50_ms"] / ours, 2) if llama.get("p50_ms") and ours else None,
        ])
    lines.append(table(
        ["chunks", "vectors", "retrieve p50 ms", "retrieve p95 ms", "answer p50 ms", "answer p95 ms",
         "peak RSS MiB", "disk MiB", "disk GiB per 1M chunks", "cold start s", "llama-index p50 ms",
         "llama / ours"],
        rows,
    ))
    part_rows = []
    for item in measured:
        parts = item["measure"]["retrieval_parts"]
        part_rows.append([item["measure"]["chunks"], *(parts[p]["p50_ms"] for p in parts),
                          *(parts[p]["p95_ms"] for p in ("faiss_dense", "bm25_fts5", "sentence_vectors") if p in parts)])
    names = list(measured[0]["measure"]["retrieval_parts"]) if measured else []
    lines += ["", "retrieval parts, p50 ms (one question at a time):",
              table(["chunks", *names, "faiss p95", "bm25 p95", *(["sentence_vectors p95"] if "sentence_vectors" in names else [])],
                    part_rows)]
    ab = [f"{i['measure']['chunks']:,} chunks: on {w['on']['p50_ms']} / {w['on']['p95_ms']} ms, "
          f"off {w['off']['p50_ms']} / {w['off']['p95_ms']} ms"
          for i in measured if (w := i["measure"].get("sentence_match_ab"))]
    if ab:
        lines += ["", "retrieval p50 / p95 with sentence matching on and off, alternated question by question:", *ab]
    ann_rows = []
    for item in summary["sizes"]:
        a = item["ann"]
        if "flat" not in a:
            continue
        ann_rows.append([a["vectors"], "flat (exact)", "-", 1.0, a["flat"]["latency"]["p50_ms"], a["flat"]["latency"]["p95_ms"], "-"])
        for s in a["ivf_flat"]["sweep"]:
            ann_rows.append([a["vectors"], f"IVF{a['ivf_flat']['nlist']},Flat", f"nprobe={s['nprobe']}", s["recall_at_10"],
                             s["latency"]["p50_ms"], s["latency"]["p95_ms"], a["ivf_flat"]["train_s"] + a["ivf_flat"]["add_s"]])
        if "sweep" in a["hnsw_flat"]:
            for s in a["hnsw_flat"]["sweep"]:
                ann_rows.append([a["vectors"], "HNSW32,Flat", f"efSearch={s['efSearch']}", s["recall_at_10"],
                                 s["latency"]["p50_ms"], s["latency"]["p95_ms"], a["hnsw_flat"]["build_s"]])
    lines += ["", "FAISS index types (recall@10 against exact search, per-query latency):",
              table(["vectors", "index", "param", "recall@10", "p50 ms", "p95 ms", "build s"], ann_rows)]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ CLI


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if argv and argv[0] in ("build", "measure", "ann", "llama"):
        print(json.dumps(_step(argv[0], argv[1:]), default=str))
        return
    parser = argparse.ArgumentParser(description="Scale benchmark: 10k / 100k / 1M chunks.")
    parser.add_argument("--size", choices=sorted(CONFIGS), default="small")
    parser.add_argument("--sizes", type=int, nargs="*", help="override the chunk counts")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--rebuild", action="store_true", help="rebuild indexes even if the workdir has them")
    parser.add_argument("--hnsw-max", type=int, default=None, help="build HNSW up to this many vectors")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    summary = run(args.size, args.workdir, args.rebuild, args.sizes, args.hnsw_max)
    print(format_summary(summary))
    path = write_json(args.json or RESULTS_DIR / f"scale_{args.size}.json", summary)
    print(f"result: {path}")


def _step(step: str, argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog=f"bench.scale_bench {step}")
    parser.add_argument("index", type=Path)
    parser.add_argument("--chunks", type=int)
    parser.add_argument("--pool", type=Path)
    parser.add_argument("--size-config")
    parser.add_argument("--embedder", default="real")
    parser.add_argument("--questions", type=Path)
    parser.add_argument("--answers", type=int, default=0)
    parser.add_argument("--spawned-at", type=float, default=T_PROCESS)
    parser.add_argument("--query-vectors", type=Path)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--hnsw-max", type=int, default=100_000)
    args = parser.parse_args(argv)
    if step == "build":
        config = ScaleConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(args.size_config).items()})
        return build_index(args.index, args.chunks, json.loads(args.pool.read_text()), config)
    questions = json.loads(args.questions.read_text()) if args.questions else []
    if step == "measure":
        return measure(args.index, args.embedder, questions, args.answers, args.spawned_at, args.query_vectors)
    if step == "ann":
        return ann(args.index, np.load(args.query_vectors)[: args.queries], args.hnsw_max)
    return llama_baseline(args.index, args.embedder, questions)


if __name__ == "__main__":
    main()
