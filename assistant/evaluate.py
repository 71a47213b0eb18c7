"""Retrieval benchmark on MultiHop-RAG (Tang & Yang 2024, ODC-BY 1.0), against llama-index baselines.

Scoring is at article level, null queries excluded (see the dataset README): a query's gold
articles are the titles in its evidence; a ranking is the list of distinct articles in the order
they first appear in the top passages.

Our index is built through the product's own ingest (clean, dedup, segment, embed, index). The
near-duplicate detector may fold a wire copy into its original; the copy then has no chunks of its
own, so an original counts as retrieving the titles of its copies too (its gold "key" is the
original's id). The baselines index every article as given, keyed by title.

Baselines, run in the same process on the same articles and the same embedding model:
- llama-index VectorStoreIndex with its default chunking, top 10 nodes (our embedder wrapped in a
  BaseEmbedding: llama-index's HuggingFaceEmbedding is not installed and must not touch a hub);
- llama-index-retrievers-bm25 BM25Retriever, top 10 nodes.
"""

from __future__ import annotations

import json
import logging
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from .embed import Embedder
from .errors import InputError
from .index import Index
from .retrieve import Retriever
from .settings import Settings

log = logging.getLogger(__name__)

METRICS = ("hits@4", "hits@10", "mrr@10", "evidence_recall@10", "all_evidence@4", "all_evidence@10")
TOP_ARTICLES = 10


@dataclass(frozen=True)
class MultiHopQuery:
    id: str
    query: str
    question_type: str
    gold_titles: tuple[str, ...]


@dataclass(frozen=True)
class MultiHopData:
    folder: Path
    articles: tuple[dict, ...]
    queries: tuple[MultiHopQuery, ...]  # answerable queries only (null queries have no evidence)


# ------------------------------------------------------------------------- loading


def load_multihop(folder: str | Path, limit: int | None = None) -> MultiHopData:
    """articles.jsonl and the answerable queries of queries.jsonl (the first `limit` of them)."""
    folder = Path(folder)
    articles = tuple(_read_jsonl(folder / "articles.jsonl"))
    queries = []
    for record in _read_jsonl(folder / "queries.jsonl"):
        titles = tuple(dict.fromkeys(e["title"] for e in record.get("evidence") or ()))
        if not titles:  # null query: measures refusal, not retrieval
            continue
        queries.append(MultiHopQuery(str(record["id"]), record["query"], record.get("question_type", ""), titles))
    if limit:
        queries = queries[:limit]
    return MultiHopData(folder, articles, tuple(queries))


def _read_jsonl(path: Path) -> Iterable[dict]:
    if not path.is_file():
        raise InputError(str(path), "the MultiHop-RAG file is missing (expected articles.jsonl and queries.jsonl)")
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(str(path), f"not valid JSON ({exc.msg})", f"line {number}") from None


# ------------------------------------------------------------------------- scoring


def score(rankings: Sequence[Sequence[str]], golds: Sequence[Iterable[str]]) -> dict[str, float]:
    """The six article-level metrics, averaged over queries. A ranking lists distinct article keys."""
    totals = dict.fromkeys(METRICS, 0.0)
    for ranking, gold in zip(rankings, golds):
        gold = set(gold)
        top = list(dict.fromkeys(ranking))[:TOP_ARTICLES]
        first = next((rank for rank, key in enumerate(top, start=1) if key in gold), None)
        totals["hits@4"] += first is not None and first <= 4
        totals["hits@10"] += first is not None
        totals["mrr@10"] += 1.0 / first if first else 0.0
        totals["evidence_recall@10"] += len(gold & set(top)) / len(gold)
        totals["all_evidence@4"] += gold <= set(top[:4])
        totals["all_evidence@10"] += gold <= set(top)
    n = max(len(rankings), 1)
    return {name: value / n for name, value in totals.items()}


def score_by_type(
    rankings: Sequence[Sequence[str]], golds: Sequence[Iterable[str]], types: Sequence[str]
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for kind in sorted(set(types)):
        picked = [i for i, t in enumerate(types) if t == kind]
        out[kind] = {"queries": len(picked), **score([rankings[i] for i in picked], [golds[i] for i in picked])}
    return out


# ------------------------------------------------------------------------- our index


@dataclass(frozen=True)
class BuiltIndex:
    index: Index
    key_of_title: Mapping[str, str]  # dataset title -> id of the stored original that holds it
    duplicates: int
    seconds: float


def build_index(data: MultiHopData, path: Path, embedder: Embedder, settings: Settings) -> BuiltIndex:
    """Ingest the dataset's articles.jsonl into a new index at `path` with the product's ingest
    (the .jsonl reader, cleaning, near-duplicate folding, chunking, embedding)."""
    from . import ingest  # late: ingest pulls in the readers and the attribution rules

    started = time.perf_counter()
    dimension = embedder.dimension or _warm_dimension(embedder)
    index = Index.create(path, embedder.model_id, dimension)
    report = ingest.ingest([data.folder / "articles.jsonl"], index, embedder, settings)
    for problem in report.problems:
        log.warning("MultiHop article skipped: %s", problem)
    return BuiltIndex(index, _keys_by_title(index), len(report.duplicates), time.perf_counter() - started)


def _warm_dimension(embedder: Embedder) -> int:
    warm = getattr(embedder, "warm_up", None)
    if warm:
        warm()
    return embedder.dimension


def _keys_by_title(index: Index) -> dict[str, str]:
    """Stored title -> id of the original; copies map to the story that stands for them."""
    rows = index.list_articles()
    original = {r.id: r.duplicate_of or r.id for r in rows}

    def root(article_id: str) -> str:
        seen = set()
        while original.get(article_id, article_id) != article_id and article_id not in seen:
            seen.add(article_id)
            article_id = original[article_id]
        return article_id

    return {_norm_title(r.title): root(r.id) for r in rows}


def _norm_title(title: str) -> str:
    return " ".join(title.split())


def run_newsdesk(
    built: BuiltIndex,
    embedder: Embedder,
    settings: Settings,
    queries: Sequence[MultiHopQuery],
    retriever: Retriever | None = None,
) -> tuple[list[list[str]], list[set[str]], list[float]]:
    """Rankings (original ids), gold keys and per-query seconds for our Retriever."""
    retriever = retriever or Retriever(built.index, embedder, settings)
    rankings, golds, seconds = [], [], []
    for q in queries:
        started = time.perf_counter()
        # Twice as many passages as articles scored: an article may contribute two chunks.
        result = retriever.retrieve(q.query, k=2 * TOP_ARTICLES)
        seconds.append(time.perf_counter() - started)
        rankings.append(list(dict.fromkeys(p.article.id for p in result.passages))[:TOP_ARTICLES])
        golds.append({built.key_of_title.get(_norm_title(t), "missing:" + t) for t in q.gold_titles})
    return rankings, golds, seconds


# ------------------------------------------------------------------------- llama-index baselines


def _llama_documents(data: MultiHopData):
    from llama_index.core import Document

    # Title, outlet and date ride along as metadata, which llama-index embeds and BM25-indexes with
    # the text by default: a plain llama-index pipeline over these records. (This reproduces the
    # dataset README's baseline figures; with the title alone both baselines score lower.)
    return [
        Document(
            text=a.get("body") or "",
            metadata={key: str(a.get(key) or "") for key in ("title", "source", "published_at")},
            id_=str(a.get("id")),
        )
        for a in data.articles
    ]


def _wrap_embedder(embedder: Embedder):
    """Our embedder as a llama-index BaseEmbedding (same model, no hub access)."""
    from llama_index.core.base.embeddings.base import BaseEmbedding

    class _Wrapped(BaseEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            return embedder.embed([query])[0].tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return embedder.embed([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed(texts).tolist()

    return _Wrapped(model_name=embedder.model_id, embed_batch_size=64)


def run_llama_dense(data: MultiHopData, embedder: Embedder, queries: Sequence[MultiHopQuery]) -> list[list[str]]:
    from llama_index.core import VectorStoreIndex

    vector_index = VectorStoreIndex.from_documents(_llama_documents(data), embed_model=_wrap_embedder(embedder))
    retriever = vector_index.as_retriever(similarity_top_k=TOP_ARTICLES)
    return [[n.node.metadata.get("title", "") for n in retriever.retrieve(q.query)] for q in queries]


def run_llama_bm25(data: MultiHopData, queries: Sequence[MultiHopQuery]) -> list[list[str]]:
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.retrievers.bm25 import BM25Retriever

    nodes = SentenceSplitter().get_nodes_from_documents(_llama_documents(data))
    retriever = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=TOP_ARTICLES)
    return [[n.node.metadata.get("title", "") for n in retriever.retrieve(q.query)] for q in queries]


# ------------------------------------------------------------------------- the report


def retrieval_report(
    data_dir: str | Path,
    embedder: Embedder,
    settings: Settings,
    limit: int | None = None,
    baselines: bool = True,
    workdir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    scale_out_records: str | None = None,
) -> dict:
    """Build a temporary index, run our Retriever (and the baselines), return every figure.

    With `scale_out_records` (the URL of an empty PostgreSQL database), the index is also migrated
    into that database + a milvus-lite file and the same queries run there ("scale_out").

    {"queries": n, "newsdesk": {metrics, "by_type": ..., "latency_ms": {...}},
     "baselines": {"llama-index dense": {...}, "llama-index BM25": {...}},
     "ratios": {"llama-index dense": {metric: ours/theirs}, ...}, "index": {...}}
    """
    say = progress or (lambda message: None)
    data = load_multihop(data_dir, limit)
    types = [q.question_type for q in data.queries]
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        say(f"building the index of {len(data.articles)} articles")
        built = build_index(data, Path(tmp) / "multihop", embedder, settings)
        say(f"retrieving for {len(data.queries)} queries")
        rankings, golds, seconds = run_newsdesk(built, embedder, settings, data.queries)
        built.index.close()
        scale_out = None
        if scale_out_records:
            say("migrating the index into PostgreSQL + milvus-lite and retrieving there")
            scale_out = _run_scale_out(built, Path(tmp), scale_out_records, embedder, settings, data.queries)
    ours = {**score(rankings, golds), "by_type": score_by_type(rankings, golds, types),
            "latency_ms": _latency(seconds)}
    report: dict = {
        "queries": len(data.queries),
        "newsdesk": ours,
        "index": {"articles": len(data.articles), "folded_copies": built.duplicates,
                  "build_seconds": round(built.seconds, 1)},
        "baselines": {},
        "ratios": {},
    }
    if scale_out is not None:
        their_rankings, their_golds, their_seconds = scale_out
        report["scale_out"] = {**score(their_rankings, their_golds), "latency_ms": _latency(their_seconds)}
    if baselines:
        gold_titles = [set(q.gold_titles) for q in data.queries]
        say("running the llama-index dense baseline")
        dense = run_llama_dense(data, embedder, data.queries)
        say("running the llama-index BM25 baseline")
        bm25 = run_llama_bm25(data, data.queries)
        for name, ranking in (("llama-index dense", dense), ("llama-index BM25", bm25)):
            theirs = score(ranking, gold_titles)
            report["baselines"][name] = {**theirs, "by_type": score_by_type(ranking, gold_titles, types)}
            report["ratios"][name] = {m: (ours[m] / theirs[m] if theirs[m] else float("inf")) for m in METRICS}
    return report


def _run_scale_out(built: BuiltIndex, folder: Path, records_url: str, embedder: Embedder, settings: Settings,
                   queries: Sequence[MultiHopQuery]) -> tuple[list[list[str]], list[set[str]], list[float]]:
    """The same queries over the same index migrated into PostgreSQL + milvus-lite."""
    from .index import ScaleOut
    from .migrate import migrate

    target = ScaleOut(records_url, str(folder / "milvus" / "chunks.db"))
    migrate(built.index.path, target)
    index = Index.connect(target, embedder.model_id, built.index.dimension, create=False)
    try:
        return run_newsdesk(BuiltIndex(index, built.key_of_title, built.duplicates, built.seconds), embedder, settings, queries)
    finally:
        index.close()


def _latency(seconds: Sequence[float]) -> dict[str, float]:
    if not seconds:
        return {"p50": 0.0, "p95": 0.0}
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50": round(statistics.median(ordered) * 1000, 1), "p95": round(p95 * 1000, 1)}


def format_report(report: dict) -> str:
    """The comparison table as markdown: ours, each baseline, and our ratio to each."""
    header = "| retriever | " + " | ".join(METRICS) + " |"
    lines = [f"MultiHop-RAG retrieval, {report['queries']} answerable queries", "", header,
             "|" + "---|" * (len(METRICS) + 1)]
    rows = [("newsdesk", report["newsdesk"])]
    if "scale_out" in report:
        rows.append(("newsdesk on PostgreSQL + milvus-lite", report["scale_out"]))
    rows += list(report["baselines"].items())
    for name, figures in rows:
        lines.append(f"| {name} | " + " | ".join(f"{figures[m]:.3f}" for m in METRICS) + " |")
    for name, ratios in report["ratios"].items():
        lines.append(f"| newsdesk / {name} | " + " | ".join(f"{ratios[m]:.2f}x" for m in METRICS) + " |")
    lines += ["", "newsdesk by question type:", "| type | queries | " + " | ".join(METRICS) + " |",
              "|" + "---|" * (len(METRICS) + 2)]
    for kind, figures in report["newsdesk"]["by_type"].items():
        lines.append(f"| {kind} | {figures['queries']} | " + " | ".join(f"{figures[m]:.3f}" for m in METRICS) + " |")
    latency = report["newsdesk"]["latency_ms"]
    lines += ["", f"newsdesk retrieval latency: p50 {latency['p50']} ms, p95 {latency['p95']} ms "
              f"(question encoding included); index: {report['index']}"]
    if "scale_out" in report:
        latency = report["scale_out"]["latency_ms"]
        lines.append(f"on PostgreSQL + milvus-lite: p50 {latency['p50']} ms, p95 {latency['p95']} ms "
                     "(milvus-lite searches in Python in-process: says nothing about a Milvus cluster)")
    return "\n".join(lines)
