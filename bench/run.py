"""Run every benchmark in sequence and print one summary table against the targets.

    python -m bench.run --size smoke   # seconds: hashing embedder, tiny sizes (the test suite runs this)
    python -m bench.run --size small   # minutes: the default model, 300-article ingest, 10k-chunk index
    python -m bench.run --size full    # ~1 hour: 2,000-article ingest; 10k, 100k and 1M-chunk indexes

Results go to bench/results/<benchmark>_<size>.json (and run_<size>.json); work files (corpora,
indexes: several GB at full size) to $NEWSDESK_BENCH_DIR or /tmp/newsdesk-bench. Built scale
indexes are reused by later runs unless --rebuild is given.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any, Sequence

from bench import ingest_bench, scale_bench
from bench.common import RESULTS_DIR, machine, table, write_json


def run(size: str, workdir: Path | None = None, results_dir: Path = RESULTS_DIR, rebuild: bool = False,
        skip: Sequence[str] = (), in_process: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    out: dict[str, Any] = {"size": size, "machine": machine()}
    if "ingest" not in skip:
        out["ingest"] = ingest_bench.run(size, workdir, results_dir=results_dir)
        write_json(Path(results_dir) / f"ingest_{size}.json", out["ingest"])
        print(ingest_bench.format_summary(out["ingest"]), flush=True)
    if "scale" not in skip:
        out["scale"] = scale_bench.run(size, workdir, rebuild=rebuild, in_process=in_process)
        write_json(Path(results_dir) / f"scale_{size}.json", out["scale"])
        print("\n" + scale_bench.format_summary(out["scale"]), flush=True)
    out["targets"] = target_rows(out)
    out["seconds"] = round(time.perf_counter() - started, 1)
    write_json(Path(results_dir) / f"run_{size}.json", out)
    return out


def target_rows(out: dict[str, Any]) -> list[list[Any]]:
    """[what, measured, target, met?] for every target the benchmarks check."""
    rows: list[list[Any]] = []
    ingest = out.get("ingest")
    if ingest:
        generated = ingest["runs"][-1]
        rows.append([f"ingest {generated['corpus']}: pipeline / raw encode", generated["pipeline_over_encode"],
                     f"<= {ingest_bench.OVERHEAD_TARGET}", _met(generated["pipeline_over_encode"], ingest_bench.OVERHEAD_TARGET, "max")])
        for run in ingest["runs"]:
            rows.append([f"re-ingest unchanged {run['corpus']}: speed-up", run["reingest_speedup"],
                         f">= {ingest_bench.REINGEST_TARGET:g}x", _met(run["reingest_speedup"], ingest_bench.REINGEST_TARGET, "min")])
        rows.append([f"add 1 article to {generated['corpus']} index (s)", generated.get("add_one_s"),
                     f"first ingest per article: {generated.get('first_ingest_per_article_s')} s", "info"])
    scale = out.get("scale")
    if scale:
        for item in scale["sizes"]:
            if "failed" in item["measure"] or "failed" in item["ann"]:
                rows.append([f"scale at {item['target_chunks']:,} chunks", "failed", "-", "NO"])
                continue
            measured = item["measure"]
            chunks = measured["chunks"]
            target = _retrieval_target(chunks)
            rows.append([f"retrieval p95 at {chunks:,} chunks (ms)", measured["retrieval"]["p95_ms"],
                         f"< {target:g}" if target else "-", _met(measured["retrieval"]["p95_ms"], target, "max") if target else "info"])
            ivf = _recommended_ivf(item["ann"])
            if ivf:
                rows.append([f"IVF{item['ann']['ivf_flat']['nlist']} nprobe={ivf['nprobe']} recall@10 at {chunks:,}",
                             ivf["recall_at_10"], f">= {scale_bench.RECALL_TARGET}", _met(ivf["recall_at_10"], scale_bench.RECALL_TARGET, "min")])
            llama = item.get("llama")
            if llama and "failed" not in llama:
                ratio = llama["retrieval"]["p50_ms"] / measured["retrieval"]["p50_ms"] if measured["retrieval"]["p50_ms"] else None
                rows.append([f"llama-index retrieval p50 / ours at {chunks:,}", round(ratio, 2) if ratio else None,
                             "baseline ratio", "info"])
    return rows


def _retrieval_target(chunks: int) -> float | None:
    # Targets are set at 100k and 1M chunks; a size within 10 % of one counts as that size.
    for size, target in scale_bench.RETRIEVAL_TARGET_MS.items():
        if abs(chunks - size) <= 0.1 * size:
            return target
    return None


def _recommended_ivf(ann: dict[str, Any]) -> dict[str, Any] | None:
    from assistant.vector_index import IVF_NPROBE

    for step in ann["ivf_flat"]["sweep"]:
        if step["nprobe"] == IVF_NPROBE:
            return step
    return None


def _met(value: Any, target: float | None, kind: str) -> str:
    if value is None or target is None:
        return "-"
    ok = value <= target if kind == "max" else value >= target
    return "yes" if ok else "NO"


def format_targets(out: dict[str, Any]) -> str:
    return table(["target", "measured", "target", "met"], out["targets"])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run all Newsdesk benchmarks and print a summary.")
    parser.add_argument("--size", choices=("smoke", "small", "full"), default="small")
    parser.add_argument("--workdir", type=Path, default=None, help="corpora and indexes (default /tmp/newsdesk-bench)")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where the JSON results go")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the scale indexes")
    parser.add_argument("--skip", nargs="*", choices=("ingest", "scale"), default=())
    parser.add_argument("--in-process", action="store_true", help="no subprocesses (smoke tests)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    out = run(args.size, args.workdir, args.results, args.rebuild, args.skip, args.in_process)
    m = out["machine"]
    print(f"\nsummary ({args.size}; {m['nproc']} cores, {m['cpu']}, {m['memory_gib']} GiB, "
          f"load {m['load_average_1m']} at start; {out['seconds']} s):")
    print(format_targets(out))
    print(f"results: {Path(args.results).resolve()}")


if __name__ == "__main__":
    main()
