"""Retrieval on a cold and a warm disk cache: sentence matching off, on, and on with the records
read serially (as before retrieve.READ_PARTS).

Each measurement is one fresh process answering the scale benchmark's questions once (a "first
pass"), timing `Retriever.retrieve`. With --drop-caches (root only), the OS page cache is dropped
before the first of each pair of processes, so that one reads the records from disk (an index
just opened after a reboot) and the second finds them cached (an app that has been serving).
Variants alternate, so load drifts hit both:

    .venv/bin/python -m bench.first_pass --chunks 100000 [--pairs 2] [--drop-caches]

Uses an index built by bench/scale_bench.py ($NEWSDESK_BENCH_DIR/scale/index-<chunks>) and its
questions (questions-<size>.json). Prints p50/p95 per variant and cache state, and per cache
state the ratios of the mean p50 and p95 of "on" to "off" and to "on, serial".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

from bench.common import default_workdir, latency_summary, machine, run_python, table
from bench.scale_bench import CONFIGS, bench_embedder, bench_settings

# "off"/"on": sentence matching (retrieve.Tuning.sentence_match), the records read in
# retrieve.READ_PARTS parallel parts; "on, serial": sentence matching, the records read in one part
# after the other (as before the parallel reads).
VARIANTS = ("off", "on", "on, serial")


def one_pass(chunks: int, variant: str, workdir: str, size: str) -> dict:
    """Runs inside the fresh process: the questions once, on an index opened just now."""
    import faiss

    from assistant import retrieve
    from assistant.index import Index
    from assistant.retrieve import Retriever, Tuning

    if variant == "on, serial":
        retrieve.READ_PARTS = 1

    scale_dir = Path(workdir) / "scale"
    path = scale_dir / f"index-{chunks}"
    questions = json.loads((scale_dir / f"questions-{size}.json").read_text())
    settings = bench_settings(path.parent)
    embedder = bench_embedder(CONFIGS[size].embedder, settings)
    embedder.warm_up()
    faiss.omp_set_num_threads(1)  # as the app serves (docs/benchmarks.md, findings)
    index = Index.open(path, embedder.model_id, embedder.dimension)
    retriever = Retriever(index, embedder, settings, Tuning(sentence_match=variant != "off"))
    retriever.understand("")  # the outlets and dates, which the product caches per index generation
    seconds = []
    for question in questions:
        started = time.perf_counter()
        retriever.retrieve(question, k=settings.top_k)
        seconds.append(time.perf_counter() - started)
    index.close()
    return latency_summary(seconds)


def drop_page_cache() -> None:
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def run(chunks: int, pairs: int, drop_caches: bool, workdir: Path | None = None, size: str = "full") -> dict:
    workdir = Path(workdir or default_workdir())
    args = ["--one-pass", "--chunks", str(chunks), "--workdir", str(workdir), "--size", size]
    results: dict[str, list[dict]] = {}
    for _ in range(pairs):
        for variant in VARIANTS:
            for cache in ("cold", "warm") if drop_caches else ("warm",):
                if cache == "cold":
                    drop_page_cache()
                figures = run_python("bench.first_pass", [*args, "--variant", variant], timeout_s=600)
                results.setdefault(f"{variant}, {cache}", []).append(figures)
    return {"benchmark": "first_pass", "chunks": chunks, "machine": machine(), "runs": results}


def summary_rows(report: dict) -> list[list[str]]:
    rows = []
    for key, runs in report["runs"].items():
        p50 = ", ".join(f"{r['p50_ms']:.1f}" for r in runs)
        p95 = ", ".join(f"{r['p95_ms']:.1f}" for r in runs)
        rows.append([key, p50, p95])
    return rows


RATIOS = (("on", "off"), ("on", "on, serial"))  # (variant, its baseline)


def ratio_rows(report: dict) -> list[list[str]]:
    """Per cache state: mean p50 and p95 of a variant over its processes, divided by its baseline's."""
    rows = []
    caches = dict.fromkeys(key.rsplit(", ", 1)[1] for key in report["runs"])
    for cache in caches:
        for variant, baseline in RATIOS:
            mine, theirs = report["runs"].get(f"{variant}, {cache}"), report["runs"].get(f"{baseline}, {cache}")
            if mine and theirs:
                rows.append([f"{variant} / {baseline}, {cache}"] + [
                    f"{_mean(mine, key) / _mean(theirs, key):.2f}" for key in ("p50_ms", "p95_ms")])
    return rows


def _mean(runs: list[dict], key: str) -> float:
    return sum(r[key] for r in runs) / len(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=2, help="rounds of every variant")
    parser.add_argument("--drop-caches", action="store_true", help="drop the OS page cache before each cold pass (root)")
    parser.add_argument("--size", default="full", choices=sorted(CONFIGS))
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    parser.add_argument("--one-pass", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--variant", choices=VARIANTS, default="on", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_pass:
        print(json.dumps(one_pass(args.chunks, args.variant, str(args.workdir or default_workdir()), args.size)))
        return
    if args.drop_caches and os.geteuid() != 0:
        parser.error("--drop-caches needs root (it writes /proc/sys/vm/drop_caches)")
    report = run(args.chunks, args.pairs, args.drop_caches, args.workdir, args.size)
    print(table(["variant, disk cache", "p50 ms (each process)", "p95 ms (each process)"],
                summary_rows(report)))
    print(table(["ratio, disk cache", "p50", "p95"], ratio_rows(report)))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
