"""A/B of the keyword path in one process: FTS5's own BM25 scores, searched after the question is
encoded (how the keyword path worked up to session 3, here over the same FTS5 table of terms),
against candidates rescored by assistant/bm25.py and searched while the question is encoded (now).
Same index, same questions, the two alternated question by question; prints p50/p95 of
`Retriever.retrieve` for each and the ratios.

    .venv/bin/python -m bench.keyword_ab --chunks 100000 [--rounds 3] [--size full]

Uses an index built by bench/scale_bench.py ($NEWSDESK_BENCH_DIR/scale/index-<chunks>), its
questions (questions-<size>.json) and the embedder of that size (the default model; hashing for smoke).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from bench.common import default_workdir
from bench.scale_bench import CONFIGS, bench_embedder, bench_settings


def run(chunks: int, rounds: int, workdir: Path | None = None, size: str = "full") -> dict[str, dict[str, float]]:
    from assistant import bm25
    from assistant.index import Index, bm25_query_words
    from assistant.records import Filters
    from assistant.retrieve import Retriever

    class FtsScoresAfterEncoding(Retriever):
        """The baseline: FTS5's scores as they come, keyword search after the encoding."""

        def gather(self, question, hints, filters=Filters()):
            threads, self._keyword_threads = self._keyword_threads, _Inline()
            try:
                return super().gather(question, hints, filters)
            finally:
                self._keyword_threads = threads

        def _search_keywords(self, queries, filters):
            terms = [bm25.query_terms(bm25_query_words(self._bm25_text(q.text))) for q in queries]
            return [self.index._search_fts(t, self.tuning.pool, filters) if t else [] for t in terms]

    scale_dir = Path(workdir or default_workdir()) / "scale"
    path = scale_dir / f"index-{chunks}"
    questions = json.loads((scale_dir / f"questions-{size}.json").read_text())
    settings = bench_settings(path.parent)
    embedder = bench_embedder(CONFIGS[size].embedder, settings)
    index = Index.open(path, embedder.model_id, embedder.dimension)
    variants = {"baseline": FtsScoresAfterEncoding(index, embedder, settings), "now": Retriever(index, embedder, settings)}
    for retriever in variants.values():
        retriever.retrieve(questions[0], k=settings.top_k)  # loads FAISS, warms the model
    times: dict[str, list[float]] = {name: [] for name in variants}
    for round_ in range(rounds):
        for i, question in enumerate(questions):
            order = list(variants.items()) if (i + round_) % 2 == 0 else list(reversed(variants.items()))
            for name, retriever in order:
                started = time.perf_counter()
                retriever.retrieve(question, k=settings.top_k)
                times[name].append((time.perf_counter() - started) * 1000)
    return {name: {"p50_ms": round(statistics.median(xs), 1), "p95_ms": round(_quantile(xs, 0.95), 1), "n": len(xs)}
            for name, xs in times.items()}


class _Inline:
    """An executor that runs the task at once (the baseline searches after encoding)."""

    def submit(self, fn, *args):
        return _Done(fn(*args))


class _Done:
    def __init__(self, value) -> None:
        self.value = value

    def result(self):
        return self.value


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, required=True, help="use $NEWSDESK_BENCH_DIR/scale/index-<chunks>")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--size", choices=sorted(CONFIGS), default="full", help="which questions and embedder")
    args = parser.parse_args()
    result = run(args.chunks, args.rounds, args.workdir, args.size)
    for name, figures in result.items():
        print(f"{name:9s} retrieval p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms (n={figures['n']})")
    base, now = result["baseline"], result["now"]
    print(f"now / baseline: p50 {now['p50_ms'] / base['p50_ms']:.2f}, p95 {now['p95_ms'] / base['p95_ms']:.2f}")


if __name__ == "__main__":
    main()
