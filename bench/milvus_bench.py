"""The scale-out path (PostgreSQL records + Milvus vectors) against the embedded index, at 10k,
100k or 1M chunks.

Takes an index built by bench/scale_bench.py (`$NEWSDESK_BENCH_DIR/scale/index-<N>`), migrates it
with `assistant.migrate.migrate` into a fresh PostgreSQL database and a fresh milvus-lite folder
(timed: rows/s). A few Milvus searches are timed on the collection as the migration leaves it
(milvus-lite's in-memory table); then it is flushed into indexed segments (timed) and, in this one
process, on the same questions and query vectors as the scale
benchmark, times for each backend:

  dense       Index.search_dense_many, one query vector per call, top 10
  bm25        Index.search_bm25 (embedded: SQLite FTS5; scale-out: Milvus' BM25 function), top 10
  hybrid      Index.search_hybrid (Milvus only: dense + BM25 fused server-side with RRF), top 10
  retrieval   assistant.retrieve.Retriever.retrieve (query embedding included), settings.top_k

and the overlap of the top-10 chunk rowids between the backends (for dense search: Milvus'
recall@10 against the exact FAISS search). The two backends are timed question by question, in
alternating order, so a change of machine load falls on both.

Every Milvus figure is milvus-lite: Milvus' embedded Python engine, serving this process over a
local gRPC server in a thread. It says nothing about the latency or capacity of a Milvus cluster.

    python -m bench.milvus_bench --chunks 100000 [--queries 50] [--keep]

PostgreSQL: the server of $NEWSDESK_BENCH_POSTGRES_URL (default: the test server,
postgresql://newsdesk:newsdesk@127.0.0.1:5432/newsdesk_test); the benchmark creates its own
database there and drops it at the end (and removes the milvus-lite folder) unless --keep.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from bench.common import (
    RESULTS_DIR, default_workdir, dir_bytes, latency_summary, machine, peak_rss_mib, table, write_json,
)
from bench.corpus import make_questions
from bench.scale_bench import CONFIGS, bench_embedder, bench_settings

log = logging.getLogger("bench.milvus_bench")

ADMIN_URL = os.environ.get(
    "NEWSDESK_BENCH_POSTGRES_URL", "postgresql://newsdesk:newsdesk@127.0.0.1:5432/newsdesk_test"
)
TOP = 10
LITE_NOTE = (
    "Milvus figures are milvus-lite 3.x (Milvus' embedded pure-Python engine, run in this process behind a "
    "local gRPC server; HNSW via FAISS per segment). They bound nothing about a Milvus cluster."
)


# ------------------------------------------------------------------------------------ inputs


def load_questions(scale_dir: Path, count: int) -> tuple[list[str], np.ndarray | None, str]:
    """The scale benchmark's questions and, when it saved them, their query vectors.

    scale_bench writes questions-<size>.json and queries-<chunks>.npy (the same questions embedded
    by the same model at every size); without them the questions are made again the same way.
    """
    for name in ("questions-full.json", "questions-small.json"):
        path = scale_dir / name
        if path.exists():
            questions = json.loads(path.read_text())
            break
    else:
        pool = json.loads((scale_dir / "pool-current.json").read_text())
        config = CONFIGS["full"]
        questions = make_questions(config.questions, config.seed, corpus_articles=pool["articles"])
        path = scale_dir / "pool-current.json"
    questions = questions[:count]
    for vectors_path in sorted(scale_dir.glob("queries-*.npy")):
        vectors = np.load(vectors_path)
        if len(vectors) >= len(questions):
            return questions, vectors[: len(questions)].astype(np.float32), f"{path.name} + {vectors_path.name}"
    return questions, None, path.name


# ------------------------------------------------------------------------------------ PostgreSQL


def create_database(name: str) -> str:
    """A new, empty database on the benchmark's PostgreSQL server; returns its URL."""
    from assistant import db

    return db.create_database(ADMIN_URL, name)


def drop_database(url: str) -> None:
    from assistant import db

    db.drop_database(ADMIN_URL, url)


def database_sizes(url: str) -> dict[str, Any]:
    """The database's size and each table's (with its indexes and TOAST), in bytes."""
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as db:
        total = int(db.execute("SELECT pg_database_size(current_database())").fetchone()[0])
        rows = db.execute(
            "SELECT relname, pg_total_relation_size(relid), n_live_tup FROM pg_stat_user_tables ORDER BY 2 DESC"
        ).fetchall()
    return {"database_bytes": total,
            "tables": {name: {"bytes": int(size), "rows_estimate": int(live)} for name, size, live in rows}}


# ------------------------------------------------------------------------------------ migration


def timed_migration(source: Path, target) -> dict[str, Any]:
    """assistant.migrate.migrate, with the records copy and the Milvus apply timed apart.

    The copy phase ends at the last progress report (the last batch of the last table); what
    follows is the outbox insert, the PostgreSQL commit and applying the outbox to Milvus.
    """
    from assistant.migrate import migrate

    started = time.perf_counter()
    marks: dict[str, float] = {}
    last_logged: dict[str, int] = {}

    def progress(table_name: str, done: int, total: int) -> None:
        now = time.perf_counter() - started
        marks["copy_end"] = now
        step = max(1, total // 10)
        if done == total or done - last_logged.get(table_name, 0) >= step:
            last_logged[table_name] = done
            log.warning("migrate: %s %d/%d rows at %.0f s (load %s)", table_name, done, total, now, load_average())

    report = migrate(source, target, progress)
    total_s = time.perf_counter() - started
    rows = sum(report.rows.values())
    copy_s = marks.get("copy_end", 0.0)
    return {
        "rows": report.rows, "rows_total": rows, "vectors": report.vectors, "seconds": round(total_s, 1),
        "rows_per_s": round(rows / total_s, 1), "chunks_per_s": round(report.vectors / total_s, 1),
        "records_copy_s": round(copy_s, 1), "records_copy_rows_per_s": round(rows / copy_s, 1) if copy_s else None,
        "commit_and_milvus_apply_s": round(total_s - copy_s, 1),
        "milvus_apply_chunks_per_s": round(report.vectors / (total_s - copy_s), 1) if total_s > copy_s else None,
        "load_after": load_average(),
    }


# ------------------------------------------------------------------------------------ measuring


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def overlap_at_k(found: Sequence[Sequence[Any]], truth: Sequence[Sequence[Any]], k: int = TOP) -> float | None:
    """Share of the reference's top-k (per question, summed) that the other list's top-k also holds."""
    hits = sum(len(set(f[:k]) & set(t[:k])) for f, t in zip(found, truth))
    wanted = sum(len(t[:k]) for t in truth)
    return round(hits / wanted, 4) if wanted else None


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def compare_backends(embedded, scale, retrievers: dict[str, Any], questions: Sequence[str], vectors: np.ndarray,
                     top_k: int) -> dict[str, Any]:
    """Time each search on both backends, question by question, alternating which goes first."""
    from assistant.retrieve import Tuning, _rank_fusion

    backends = {"embedded": embedded, "milvus_lite": scale}
    times: dict[str, dict[str, list[float]]] = {b: {"dense": [], "bm25": [], "retrieval": []} for b in backends}
    times["milvus_lite"]["hybrid"] = []
    found: dict[str, dict[str, list[list[Any]]]] = {b: {"dense": [], "bm25": [], "retrieval": []} for b in backends}
    found["milvus_lite"]["hybrid"] = []
    client_rrf: list[list[int]] = []  # embedded exact dense + FTS5 fused with RRF here, as Milvus does
    pool = Tuning().pool
    for number, (question, vector) in enumerate(zip(questions, vectors)):
        order = list(backends) if number % 2 == 0 else list(reversed(backends))
        for name in order:
            index = backends[name]
            hits, seconds = _timed(lambda: index.search_dense_many(vector.reshape(1, -1), TOP)[0])
            times[name]["dense"].append(seconds)
            found[name]["dense"].append([r for r, _ in hits])
            hits, seconds = _timed(lambda: index.search_bm25(question, TOP))
            times[name]["bm25"].append(seconds)
            found[name]["bm25"].append([r for r, _ in hits])
            if name == "milvus_lite":
                hits, seconds = _timed(lambda: index.search_hybrid(vector, question, TOP))
                times[name]["hybrid"].append(seconds)
                found[name]["hybrid"].append([r for r, _ in hits])
            retrieval, seconds = _timed(lambda: retrievers[name].retrieve(question, k=top_k))
            times[name]["retrieval"].append(seconds)
            found[name]["retrieval"].append([p.chunk.id for p in retrieval.passages])
        fused = _rank_fusion(embedded.search_dense_many(vector.reshape(1, -1), pool)[0],
                             embedded.search_bm25(question, pool), Tuning(fusion="rrf"))
        client_rrf.append(sorted(fused, key=lambda r: fused[r], reverse=True)[:TOP])
    latency = {name: {op: latency_summary(values) for op, values in ops.items()} for name, ops in times.items()}
    overlap = {
        "dense_recall_at_10_vs_exact_faiss": overlap_at_k(found["milvus_lite"]["dense"], found["embedded"]["dense"]),
        "bm25_overlap_at_10_vs_fts5": overlap_at_k(found["milvus_lite"]["bm25"], found["embedded"]["bm25"]),
        "hybrid_overlap_at_10_vs_client_rrf_of_faiss_and_fts5": overlap_at_k(found["milvus_lite"]["hybrid"], client_rrf),
        f"retrieval_overlap_at_{top_k}_passages": overlap_at_k(found["milvus_lite"]["retrieval"],
                                                             found["embedded"]["retrieval"], top_k),
        "milvus_dense_hits_per_query_min": min((len(h) for h in found["milvus_lite"]["dense"]), default=0),
    }
    return {"latency": latency, "overlap": overlap}


def first_calls(embedded, scale, retrievers: dict[str, Any], question: str, vector: np.ndarray, top_k: int) -> dict[str, float]:
    """The first search on each backend pays one-off costs (FAISS load, Milvus collection load)."""
    out = {}
    for name, index in (("embedded", embedded), ("milvus_lite", scale)):
        _, dense_s = _timed(lambda: index.search_dense_many(vector.reshape(1, -1), TOP))
        _, retrieval_s = _timed(lambda: retrievers[name].retrieve(question, k=top_k))
        out[f"{name}_first_dense_s"] = round(dense_s, 3)
        out[f"{name}_first_retrieval_s"] = round(retrieval_s, 3)
    return out


def sample_milvus(scale, questions: Sequence[str], vectors: np.ndarray, count: int = 5) -> dict[str, Any]:
    """A few dense and BM25 searches on Milvus alone (the state right after the migration)."""
    dense, bm25 = [], []
    for question, vector in list(zip(questions, vectors))[:count]:
        dense.append(_timed(lambda: scale.search_dense_many(vector.reshape(1, -1), TOP))[1])
        bm25.append(_timed(lambda: scale.search_bm25(question, TOP))[1])
    return {"dense": latency_summary(dense), "bm25": latency_summary(bm25), "load": load_average()}


def flush_and_wait(scale) -> dict[str, Any]:
    """Seal milvus-lite's in-memory table into segments and wait for their indexes.

    migrate leaves what it applied in milvus-lite's memtable (flushed on its own only every
    128 MB), and lite searches the memtable by brute force and rebuilds its BM25 index on every
    query. A cluster seals growing segments by itself; this makes lite search its sealed,
    HNSW-indexed segments instead. The wait uses a milvus-lite internal (its background
    compaction/index queue): there is no public call for it.
    """
    from milvus_lite.server_manager import server_manager_instance

    milvus = scale.milvus
    flush_s = _timed(lambda: milvus.client.flush(milvus.collection))[1]
    started = time.perf_counter()
    try:
        lite = server_manager_instance._servers[str(Path(milvus.uri).resolve())][1]
        lite.get_collection(milvus.collection)._wait_for_bg(timeout=3 * 3600)
        waited = "background compaction + index build drained"
    except Exception as exc:  # noqa: BLE001 - recorded; the searches still run
        waited = f"could not wait for milvus-lite's background work: {exc.__class__.__name__}: {exc}"
    return {"flush_s": round(flush_s, 1), "index_build_wait_s": round(time.perf_counter() - started, 1),
            "wait": waited, "load": load_average()}


def milvus_index_description(scale) -> Any:
    try:
        return scale.milvus.client.describe_index(scale.milvus.collection, "vector")
    except Exception as exc:  # noqa: BLE001 - informative only
        return f"unavailable: {exc.__class__.__name__}: {exc}"


# ------------------------------------------------------------------------------------ run


def run(chunks: int, queries: int, keep: bool, workdir: Path | None = None, faiss_threads: int = 0) -> dict[str, Any]:
    from assistant.index import Index, ScaleOut
    from assistant.retrieve import Retriever

    scale_dir = Path(workdir or default_workdir()) / "scale"
    source = scale_dir / f"index-{chunks}"
    if not (source / "manifest.json").exists():
        raise SystemExit(f"No index at {source}: build it with python -m bench.scale_bench --size full --sizes {chunks}")
    manifest = json.loads((source / "manifest.json").read_text())
    build = json.loads((source / "bench-build.json").read_text()) if (source / "bench-build.json").exists() else {}
    questions, query_vectors, questions_from = load_questions(scale_dir, queries)
    if faiss_threads:
        import faiss

        faiss.omp_set_num_threads(faiss_threads)

    result: dict[str, Any] = {
        "benchmark": "milvus", "note": LITE_NOTE, "machine": machine(), "load_start": load_average(),
        "source": {"path": str(source), "counts": manifest["counts"], "model": manifest["embedding_model"],
                   "dimension": manifest["dimension"], "vectors": build.get("vectors", "see bench-build.json")},
        "questions": {"count": len(questions), "from": questions_from},
    }
    url = create_database(f"nd_milvus_bench_{chunks}")
    milvus_dir = scale_dir / f"milvus-{chunks}"
    shutil.rmtree(milvus_dir, ignore_errors=True)
    target = ScaleOut(url, str(milvus_dir / "chunks.db"))
    result["target"] = target.describe()
    embedded = scale = None
    try:
        log.warning("migrating %s into %s (load %s)", source, target.describe(), load_average())
        result["migration"] = timed_migration(source, target)
        result["migration"]["peak_rss_mib_after"] = peak_rss_mib()
        log.warning("migration: %s", result["migration"])

        settings = bench_settings(scale_dir)
        embedder = bench_embedder("real", settings)
        getattr(embedder, "warm_up", lambda: None)()
        if query_vectors is None:
            query_vectors = embedder.embed(list(questions)).astype(np.float32)
        embedded = Index.open(source, manifest["embedding_model"], manifest["dimension"])
        scale = Index.connect(target, manifest["embedding_model"], manifest["dimension"], create=False)
        retrievers = {"embedded": Retriever(embedded, embedder, settings),
                      "milvus_lite": Retriever(scale, embedder, settings)}
        result["milvus_lite_as_migrated"] = sample_milvus(scale, questions, query_vectors)
        log.warning("as migrated: %s; flushing", result["milvus_lite_as_migrated"])
        result["milvus_lite_flush"] = flush_and_wait(scale)
        log.warning("flushed: %s", result["milvus_lite_flush"])
        result["first_calls"] = first_calls(embedded, scale, retrievers, questions[0], query_vectors[0], settings.top_k)
        result["load_before_searches"] = load_average()
        log.warning("timing %d questions on both backends (load %s)", len(questions), load_average())
        result.update(compare_backends(embedded, scale, retrievers, questions, query_vectors, settings.top_k))
        result["load_after_searches"] = load_average()
        import faiss

        result["faiss_omp_threads"] = faiss.omp_get_max_threads()
        result["milvus_vector_index"] = milvus_index_description(scale)
        result["peak_rss_mib"] = peak_rss_mib()
        result["sizes"] = {
            "embedded_folder_bytes": sum(p.stat().st_size for p in source.iterdir() if p.is_file()),
            "postgresql": database_sizes(url),
            "milvus_lite_folder_bytes": dir_bytes(milvus_dir),
        }
    finally:
        for index in (embedded, scale):
            if index is not None:
                index.close()
        if not keep:
            drop_database(url)
            shutil.rmtree(milvus_dir, ignore_errors=True)
    result["kept"] = {"records_url": url, "milvus": str(milvus_dir)} if keep else None
    return result


def format_result(result: dict[str, Any]) -> str:
    m, lat, o = result["migration"], result["latency"], result["overlap"]
    counts = result["source"]["counts"]
    lines = [
        result["note"],
        f"source: {result['source']['path']} ({counts['chunks']:,} chunks, {counts['articles']:,} articles); "
        f"questions: {result['questions']['count']} ({result['questions']['from']})",
        f"load average (1/5/15 min): start {result['load_start']}, after migration {m['load_after']}, "
        f"searches {result['load_before_searches']} -> {result['load_after_searches']}",
        "",
        f"migration: {m['rows_total']:,} rows in {m['seconds']} s = {m['rows_per_s']:,} rows/s "
        f"({m['chunks_per_s']:,} chunks/s); records copy {m['records_copy_s']} s "
        f"({m['records_copy_rows_per_s']} rows/s), commit + milvus-lite apply {m['commit_and_milvus_apply_s']} s "
        f"({m['milvus_apply_chunks_per_s']} chunks/s)",
        f"milvus-lite right after the migration (memtable, {result['milvus_lite_as_migrated']['dense']['n']} "
        f"queries): dense p50 {result['milvus_lite_as_migrated']['dense']['p50_ms']} ms, "
        f"bm25 p50 {result['milvus_lite_as_migrated']['bm25']['p50_ms']} ms; then flush "
        f"{result['milvus_lite_flush']['flush_s']} s + index build {result['milvus_lite_flush']['index_build_wait_s']} s; "
        "the table below is after the flush",
        "",
    ]
    rows = []
    for op in ("dense", "bm25", "hybrid", "retrieval"):
        e = lat["embedded"].get(op, {})
        s = lat["milvus_lite"][op]
        rows.append([op, e.get("p50_ms"), e.get("p95_ms"), s["p50_ms"], s["p95_ms"]])
    lines.append(table(["search", "embedded p50 ms", "embedded p95 ms", "milvus-lite p50 ms", "milvus-lite p95 ms"], rows))
    lines += ["", "overlap of top-10 (milvus-lite vs embedded): " + ", ".join(f"{k} {v}" for k, v in o.items())]
    sizes = result["sizes"]
    lines.append(
        f"peak RSS {result['peak_rss_mib']:,} MiB (this process: migration, FAISS, milvus-lite, model); "
        f"PostgreSQL database {sizes['postgresql']['database_bytes'] / 2**20:,.0f} MiB; "
        f"milvus-lite folder {sizes['milvus_lite_folder_bytes'] / 2**20:,.0f} MiB; "
        f"embedded folder {sizes['embedded_folder_bytes'] / 2**20:,.0f} MiB"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Scale-out path (PostgreSQL + milvus-lite) against the embedded index.")
    parser.add_argument("--chunks", type=int, required=True, help="use $NEWSDESK_BENCH_DIR/scale/index-<chunks>")
    parser.add_argument("--queries", type=int, default=50, help="questions to time (at most 60)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database and milvus-lite folder")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--faiss-threads", type=int, default=0, help="FAISS OpenMP threads (0: library default)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    result = run(args.chunks, args.queries, args.keep, args.workdir, args.faiss_threads)
    print(format_result(result))
    path = write_json(args.json or RESULTS_DIR / f"milvus_{args.chunks}.json", result)
    print(f"result: {path}")


if __name__ == "__main__":
    main()
