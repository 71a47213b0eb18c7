"""What the bridging name (assistant/bridge.py) costs: retrieval with and without it, in one process.

A question gets the second search only when it asks for a name and has several clauses, and the
benchmark's questions are one clause each, so this joins them two by two into two-clause questions
("Who accused X of Y, and who denied that Z?"). Same index, same questions, the variants (without the
bridging name, with one name, with the runner-up name too: the default) alternated question by
question; prints p50/p95 of `Retriever.retrieve` for each, over all questions and over those that
were searched again, and the ratios to "without".

    .venv/bin/python -m bench.bridge_cost --chunks 100000 [--rounds 3] [--size full]

Uses an index built by bench/scale_bench.py ($NEWSDESK_BENCH_DIR/scale/index-<chunks>), its
questions (questions-<size>.json) and the embedder of that size (the default model; hashing for smoke).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench.common import default_workdir, latency_summary, table
from bench.scale_bench import CONFIGS, bench_embedder, bench_settings


def two_clause_questions(questions: list[str]) -> list[str]:
    """Consecutive questions joined: "Who accused X of Y, and who denied that Z?"."""
    joined = []
    for first, second in zip(questions[::2], questions[1::2]):
        joined.append(f"{first.rstrip(' ?')}, and {second[:1].lower()}{second[1:]}")
    return joined


def run(chunks: int, rounds: int, workdir: Path | None = None, size: str = "full") -> dict:
    from assistant.index import Index
    from assistant.retrieve import Retriever, Tuning

    scale_dir = Path(workdir or default_workdir()) / "scale"
    path = scale_dir / f"index-{chunks}"
    questions = two_clause_questions(json.loads((scale_dir / f"questions-{size}.json").read_text()))
    settings = bench_settings(path.parent)
    embedder = bench_embedder(CONFIGS[size].embedder, settings)
    index = Index.open(path, embedder.model_id, embedder.dimension)
    variants = {"without": Retriever(index, embedder, settings, Tuning(bridge=False)),
                "one name": Retriever(index, embedder, settings, Tuning(runner_up=False)),
                "with": Retriever(index, embedder, settings)}
    for retriever in variants.values():
        retriever.retrieve(questions[0], k=settings.top_k)  # loads FAISS, warms the model
    times: dict[str, list[float]] = {name: [] for name in variants}
    bridged: set[int] = set()
    runner_up: set[int] = set()
    for round_ in range(rounds):
        for i, question in enumerate(questions):
            order = list(variants.items()) if (i + round_) % 2 == 0 else list(reversed(variants.items()))
            for name, retriever in order:
                started = time.perf_counter()
                result = retriever.retrieve(question, k=settings.top_k)
                times[name].append(time.perf_counter() - started)
                if name == "with" and result.recognised.bridge:
                    bridged.add(i)
                if name == "with" and result.recognised.runner_up:
                    runner_up.add(i)
    index.close()
    searched_again = [j for j in range(len(times["with"])) if j % len(questions) in bridged]
    report = {
        "chunks": chunks, "questions": len(questions), "rounds": rounds, "searched_again": len(bridged),
        "runner_up": len(runner_up),
        "all": {name: latency_summary(t) for name, t in times.items()},
        "searched_again_only": {name: latency_summary([t[j] for j in searched_again]) for name, t in times.items()}
        if searched_again else {},
    }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", choices=sorted(CONFIGS), default="full")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    report = run(args.chunks, args.rounds, args.workdir, args.size)
    rows = []
    for group in ("all", "searched_again_only"):
        figures = report[group]
        for name, figure in figures.items():
            without = figures["without"]
            rows.append([group, name, figure["p50_ms"], figure["p95_ms"],
                         round(figure["p50_ms"] / without["p50_ms"], 2), round(figure["p95_ms"] / without["p95_ms"], 2)])
    print(f"{report['questions']} two-clause questions x {report['rounds']} rounds on {report['chunks']} chunks; "
          f"searched again with a bridging name: {report['searched_again']}, of them with a runner-up name: "
          f"{report['runner_up']}")
    print(table(["questions", "variant", "p50 ms", "p95 ms", "ratio p50", "ratio p95"], rows))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
