"""MultiHop-RAG retrieval: Newsdesk's Retriever against llama-index's dense and BM25 retrievers.

    python -m bench.multihop_retrieval                 # all 2,255 answerable queries (~10 min)
    python -m bench.multihop_retrieval --limit 200     # a quick run
    python -m bench.multihop_retrieval --json out.json --no-baselines

Reads the dataset from ../shared/data/multihop-rag (or --data). Builds a temporary index through
the product's ingest with the bundled model, runs all three retrievers in this process and prints
our figures, theirs and our ratio to each (see assistant/evaluate.py for the scoring).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from bench.common import ROOT

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "multihop-rag"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with articles.jsonl and queries.jsonl")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N answerable queries")
    parser.add_argument("--no-baselines", action="store_true", help="skip the llama-index baselines")
    parser.add_argument("--json", type=Path, default=None, help="also write the full report here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    from assistant.embed import make_embedder
    from assistant.evaluate import format_report, retrieval_report
    from assistant.settings import load_settings

    settings = load_settings()
    embedder = make_embedder(settings)
    started = time.perf_counter()
    report = retrieval_report(
        args.data, embedder, settings, limit=args.limit, baselines=not args.no_baselines,
        progress=lambda message: print(f"[{time.perf_counter() - started:6.0f} s] {message}", file=sys.stderr, flush=True),
    )
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(format_report(report))
    print(f"\n(total {report['seconds']} s)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
