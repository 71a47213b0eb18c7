"""Question encoding on all torch threads against one thread, in one process, same questions.

    python -m bench.query_threads [--questions 60]

Why: a retrieval starts by encoding the question; under load, torch's default (all cores) spent
565-667 ms there against 21-38 ms on one thread (docs/benchmarks.md, scale runs at load 5-8).
The embedder now narrows torch to `query_threads` (default 1) for up to 8 texts. This prints
p50/p95 of both ways, interleaved so both see the same load, and checks the vectors agree.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from bench.common import RESULTS_DIR, latency_summary, machine, table, write_json

SHARED_QUERIES = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "multihop-rag" / "queries.jsonl"


def questions(n: int) -> list[str]:
    if SHARED_QUERIES.is_file():
        with open(SHARED_QUERIES, encoding="utf-8") as fh:
            return [json.loads(line)["query"] for _, line in zip(range(n), fh)]
    return [f"Who denied the report number {i} about the solvent spill?" for i in range(n)]


def run(n: int) -> dict:
    from assistant.embed import make_embedder
    from assistant.settings import load_settings

    narrow = make_embedder(load_settings(environ={}))  # query_threads=1: the product's default
    wide = make_embedder(load_settings(environ={}, query_threads=0))
    narrow.warm_up()
    wide._model = narrow._model  # the same loaded model both ways
    wide.dimension = narrow.dimension
    texts = questions(n)
    for text in texts[:3]:  # warm both paths
        narrow.embed([text]), wide.embed([text])
    times: dict[str, list[float]] = {"all threads": [], "one thread": []}
    largest_difference = 0.0
    for text in texts:
        started = time.perf_counter()
        a = wide.embed([text])
        times["all threads"].append(time.perf_counter() - started)
        started = time.perf_counter()
        b = narrow.embed([text])
        times["one thread"].append(time.perf_counter() - started)
        largest_difference = max(largest_difference, float(np.abs(a - b).max()))
    import torch

    summary = {name: latency_summary(seconds) for name, seconds in times.items()}
    return {
        "machine": machine(), "load_after": os.getloadavg(), "questions": len(texts),
        "torch_threads_default": torch.get_num_threads(), "latency_ms": summary,
        "p50_ratio_all_over_one": summary["all threads"]["p50_ms"] / summary["one thread"]["p50_ms"],
        "largest_vector_difference": largest_difference,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=60)
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()}")
    result = run(args.questions)
    rows = [[name, s["p50_ms"], s["p95_ms"]] for name, s in result["latency_ms"].items()]
    print(table(["question encoding", "p50 ms", "p95 ms"], rows))
    print(f"all threads / one thread (p50): {result['p50_ratio_all_over_one']:.2f}x; torch default threads: "
          f"{result['torch_threads_default']}; largest vector difference: {result['largest_vector_difference']:.2e}; "
          f"load after: {result['load_after']}")
    write_json(RESULTS_DIR / "query_threads.json", result)


if __name__ == "__main__":
    main()
