"""Ingest throughput of the real pipeline against the bundled encoder's raw `encode()`.

For the bundled sample (data/sample) and a generated corpus (2,000 articles at full size):
- first ingest into a fresh index (read, clean, dedup, segment, attribute, embed, write);
- the encoder alone on exactly the texts the pipeline embedded (its chunks and, since schema 3,
  its sentences: ingest stores a vector per sentence), measured right after in the same process:
  the ratio pipeline / encode says what the pipeline adds on top of encoding (target: at most 1.15);
- re-ingest of the unchanged inputs (target: at least 50x faster than the first ingest);
- adding one new article to the finished index (incremental cost).
When the pipeline adds more than 15 %, a cProfile run says where the time goes, per module and
per pipeline step (also written to bench/results/ingest_profile_<size>.txt).

    python -m bench.ingest_bench --size full
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import logging
import pstats
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from bench.common import RESULTS_DIR, SAMPLE_DIR, default_workdir, machine, peak_rss_mib, table, write_json
from bench.corpus import generate_article, write_corpus

log = logging.getLogger(__name__)

OVERHEAD_TARGET = 1.15
REINGEST_TARGET = 50.0
BATCHING_SAMPLE = 1024


@dataclass(frozen=True)
class IngestConfig:
    articles: int  # generated articles (besides the sample)
    embedder: str  # "real" (the default model) or "hashing" (smoke tests)
    profile_articles: int  # articles in the profiled run (0: no profile)
    seed: int = 7


CONFIGS = {
    "smoke": IngestConfig(articles=12, embedder="hashing", profile_articles=6),
    "small": IngestConfig(articles=300, embedder="real", profile_articles=150),
    "full": IngestConfig(articles=2000, embedder="real", profile_articles=300),
}


class TimingEmbedder:
    """Wraps an embedder: counts the seconds spent in embed() and keeps the texts it was given."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.seconds = 0.0
        self.texts: list[str] = []

    def warm_up(self) -> None:
        getattr(self.inner, "warm_up", lambda: None)()

    def embed(self, texts: Sequence[str], progress=None) -> np.ndarray:
        started = time.perf_counter()
        try:
            return self.inner.embed(texts, progress=progress)
        finally:
            self.seconds += time.perf_counter() - started
            self.texts.extend(texts)


def make_bench_embedder(kind: str, settings):
    from assistant.embed import HashingEmbedder, make_embedder

    if kind == "hashing":
        return HashingEmbedder()
    embedder = make_embedder(settings)
    embedder.warm_up()
    embedder.embed(["A warm-up sentence so the first timed batch pays no start-up cost."] * 8)
    return embedder


def raw_encode_seconds(embedder: Any, texts: Sequence[str], batch_size: int) -> float:
    """The encoder alone: SentenceTransformer.encode over all texts at once (no pipeline)."""
    if not texts:
        return 0.0
    model = getattr(embedder, "_model", None)
    started = time.perf_counter()
    if model is None:  # the hashing embedder has no separate encoder
        embedder.embed(list(texts))
    else:
        model.encode(list(texts), batch_size=batch_size, convert_to_numpy=True,
                     normalize_embeddings=True, show_progress_bar=False)
    return time.perf_counter() - started


def measure_corpus(name: str, inputs: Sequence[Path], embedder: Any, settings, workdir: Path,
                   add_one: Path | None = None) -> dict[str, Any]:
    """First ingest, raw encode of the same chunks, re-ingest, and (optionally) adding one file."""
    from assistant.index import Index
    from assistant.ingest import ingest

    index_path = workdir / f"index-{name}"
    shutil.rmtree(index_path, ignore_errors=True)
    index = Index.create(index_path, embedder.model_id, embedder.dimension)
    timing = TimingEmbedder(embedder)

    started = time.perf_counter()
    report = ingest(list(inputs), index, timing, settings)
    first_s = time.perf_counter() - started
    if report.problems:
        log.warning("%s: %d problems, first: %s", name, len(report.problems), report.problems[0])

    raw_s = raw_encode_seconds(embedder, timing.texts, settings.embed_batch_size)
    # The embedder's own batching (one encode call per 64 texts, so no length sorting across
    # calls) against one encode call, on a sample of the same texts.
    sample = timing.texts[:BATCHING_SAMPLE]
    started = time.perf_counter()
    embedder.embed(sample) if sample else None
    embedder_sample_s = time.perf_counter() - started
    raw_sample_s = raw_encode_seconds(embedder, sample, settings.embed_batch_size)

    started = time.perf_counter()
    again = ingest(list(inputs), index, TimingEmbedder(embedder), settings)
    reingest_s = time.perf_counter() - started

    result: dict[str, Any] = {
        "corpus": name,
        "articles_read": len(report.added) + len(report.duplicates) + len(report.unchanged),
        "articles_added": len(report.added),
        "duplicates": len(report.duplicates),
        "problems": len(report.problems),
        "chunks_embedded": report.chunks_embedded,
        "sentences_embedded": report.sentences_embedded,  # a sentence whose text is a chunk's is embedded once
        "texts_embedded": len(timing.texts),
        "first_ingest_s": round(first_s, 3),
        "articles_per_s": round(len(report.added) / first_s, 1) if first_s else None,
        "chunks_per_s": round(report.chunks_embedded / first_s, 1) if first_s else None,
        "embed_in_pipeline_s": round(timing.seconds, 3),
        "embedder_vs_raw_on_sample": round(embedder_sample_s / raw_sample_s, 3) if raw_sample_s else None,
        "batching_sample_texts": len(sample),
        "raw_encode_s": round(raw_s, 3),
        "pipeline_over_encode": round(first_s / raw_s, 3) if raw_s else None,
        "non_embed_share_pct": round(100 * (first_s - timing.seconds) / first_s, 1) if first_s else None,
        "reingest_s": round(reingest_s, 3),
        "reingest_unchanged": len(again.unchanged),
        "reingest_speedup": round(first_s / reingest_s, 1) if reingest_s else None,
    }
    if add_one is not None:
        started = time.perf_counter()
        added = ingest([add_one], index, TimingEmbedder(embedder), settings)
        add_s = time.perf_counter() - started
        result.update({
            "add_one_s": round(add_s, 3),
            "add_one_chunks": added.chunks_embedded,
            "first_ingest_per_article_s": round(first_s / max(1, len(report.added)), 4),
        })
    result["disk_bytes"] = sum(p.stat().st_size for p in index_path.iterdir() if p.is_file())
    index.close()
    return result


# ------------------------------------------------------------------------------------ profile

# Pipeline steps: (label, file suffix, function name); cumulative seconds come from cProfile.
STEPS = [
    ("read files", "assistant/read.py", "read_path"),
    ("clean", "assistant/clean.py", "clean_text"),
    ("segment: sentences", "assistant/segment.py", "split_sentences"),
    ("segment: chunks", "assistant/segment.py", "make_chunks"),
    ("attribute: statements", "assistant/attribute.py", "extract_statements"),
    ("dedup: fingerprint", "assistant/dedup.py", "fingerprint"),
    ("dedup: find original", "assistant/ingest.py", "_original_of"),
    ("classify: unchanged?", "assistant/ingest.py", "_status"),
    ("embed (model)", "assistant/embed.py", "embed"),
    ("index: put_article", "assistant/index.py", "put_article"),
    ("index: vectors_by_text_hash", "assistant/index.py", "vectors_by_text_hash"),
    ("index: commit + FAISS + manifest", "assistant/index.py", "_apply_to_faiss"),
    ("index: manifest", "assistant/index.py", "_rewrite_manifest"),
]


def profile_ingest(inputs: Sequence[Path], embedder: Any, settings, workdir: Path, label: str,
                   results_dir: Path = RESULTS_DIR) -> dict[str, Any]:
    """cProfile one first ingest and one re-ingest; time per step and per module."""
    from assistant.index import Index
    from assistant.ingest import ingest

    index_path = workdir / f"index-profile-{label}"
    shutil.rmtree(index_path, ignore_errors=True)
    index = Index.create(index_path, embedder.model_id, embedder.dimension)
    out: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for run in ("first", "reingest"):
        profiler = cProfile.Profile()
        with _profiling_the_preparing_thread() as thread_profilers:
            started = time.perf_counter()
            profiler.enable()
            ingest(list(inputs), index, embedder, settings)
            profiler.disable()
            total = time.perf_counter() - started
        stats = pstats.Stats(profiler)
        for other in thread_profilers:
            stats.add(other)
        out[run] = {"total_s": round(total, 3), "steps": _step_times(stats), "modules": _module_times(stats)}
        buffer = io.StringIO()
        stats.stream = buffer  # type: ignore[attr-defined]
        stats.sort_stats("cumulative").print_stats(45)
        texts[run] = buffer.getvalue()
    index.close()
    report_path = Path(results_dir) / f"ingest_profile_{label}.txt"
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text("\n\n".join(f"==== {run} ingest ====\n{text}" for run, text in texts.items()))
    out["report"] = str(report_path)
    return out


@contextlib.contextmanager
def _profiling_the_preparing_thread() -> Iterator[list[cProfile.Profile]]:
    """cProfile sees one thread; ingest prepares articles in a second one (overlapping the
    encoder), so that thread gets its own profiler, added to the main one's figures. Steps of
    the two threads overlap in time: their seconds can add up to more than the total."""
    from assistant import ingest as ingest_module

    profilers: list[cProfile.Profile] = []
    original = ingest_module._prepare_into

    def profiled(*args: Any) -> None:
        profiler = cProfile.Profile()
        profilers.append(profiler)
        profiler.enable()
        try:
            original(*args)
        finally:
            profiler.disable()

    ingest_module._prepare_into = profiled
    try:
        yield profilers
    finally:
        ingest_module._prepare_into = original


def _step_times(stats: pstats.Stats) -> dict[str, float]:
    times: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        for label, suffix, name in STEPS:
            if function == name and filename.endswith(suffix):
                times[label] = round(times.get(label, 0.0) + cumulative, 3)
    return times


def _module_times(stats: pstats.Stats, top: int = 12) -> dict[str, float]:
    """Own time (tottime) summed per module: assistant modules by name, the rest grouped."""
    totals: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        totals[_module_of(filename, function)] = totals.get(_module_of(filename, function), 0.0) + own
    ranked = sorted(totals.items(), key=lambda kv: kv[1], reverse=True)[:top]
    return {name: round(seconds, 3) for name, seconds in ranked}


def _module_of(filename: str, function: str) -> str:
    if "/assistant/" in filename:
        return "assistant." + Path(filename).stem
    if any(part in filename for part in ("/torch/", "/transformers/", "/sentence_transformers/", "/tokenizers/")):
        return "model (torch/transformers)"
    if filename == "~":  # built-ins: name them by what they are
        if "sqlite3" in function:
            return "sqlite3 (C)"
        if "torch" in function or "tokenizers" in function:
            return "model (torch/transformers)"
        if "re.Pattern" in function or "_sre" in function:
            return "regex (C)"
        return "builtins"
    if "/faiss/" in filename:
        return "faiss"
    return "other python: " + Path(filename).parent.name + "/" + Path(filename).stem


# ------------------------------------------------------------------------------------ main


def run(size: str, workdir: Path | None = None, profile: bool | None = None,
        results_dir: Path = RESULTS_DIR) -> dict[str, Any]:
    from assistant.settings import load_settings

    config = CONFIGS[size]
    workdir = Path(workdir or default_workdir()) / f"ingest-{size}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    settings = load_settings(environ={}, indexes_dir=workdir)
    started = time.perf_counter()
    embedder = make_bench_embedder(config.embedder, settings)
    model_load_s = time.perf_counter() - started

    corpus = workdir / "corpus"
    write_corpus(corpus, config.articles, seed=config.seed, fmt="jsonl")
    extra = workdir / "one-more"
    extra.mkdir()
    one_more = extra / "one-more.jsonl"
    one_more.write_text(json.dumps(generate_article(config.articles, config.seed, wire_copy_rate=0).as_record()) + "\n")

    results = [
        measure_corpus("sample", [SAMPLE_DIR], embedder, settings, workdir),
        measure_corpus(f"generated-{config.articles}", [corpus], embedder, settings, workdir, add_one=one_more),
    ]
    summary: dict[str, Any] = {
        "benchmark": "ingest",
        "size": size,
        "machine": machine(),
        "embedder": embedder.model_id,
        "model_load_s": round(model_load_s, 2),
        "targets": {"pipeline_over_encode_max": OVERHEAD_TARGET, "reingest_speedup_min": REINGEST_TARGET},
        "runs": results,
    }
    generated = results[-1]
    over = generated["pipeline_over_encode"] or 0
    if profile or (profile is None and config.profile_articles and over > OVERHEAD_TARGET):
        subset = workdir / "profile-corpus"
        write_corpus(subset, config.profile_articles, seed=config.seed + 1, fmt="jsonl")
        summary["profile"] = profile_ingest([subset], embedder, settings, workdir, size, results_dir)
        summary["profile"]["articles"] = config.profile_articles
    summary["peak_rss_mib"] = peak_rss_mib()
    return summary


def format_summary(summary: dict[str, Any]) -> str:
    rows = []
    for r in summary["runs"]:
        rows.append([
            r["corpus"], r["articles_added"], r["chunks_embedded"], r.get("sentences_embedded"), r["first_ingest_s"],
            r["articles_per_s"],
            r["chunks_per_s"], r["raw_encode_s"], r["pipeline_over_encode"], r["non_embed_share_pct"],
            r["reingest_s"], r["reingest_speedup"], r.get("add_one_s"),
        ])
    text = table(
        ["corpus", "articles", "chunks", "sentences", "ingest s", "art/s", "chunks/s", "raw encode s",
         "pipeline/encode", "non-embed %", "re-ingest s", "re-ingest x", "add 1 s"],
        rows,
    )
    profile = summary.get("profile")
    if profile:
        for run in ("first", "reingest"):
            part = profile[run]
            steps = sorted(part["steps"].items(), key=lambda kv: kv[1], reverse=True)
            text += f"\n\nprofile, {run} ingest of {profile['articles']} articles ({part['total_s']} s under cProfile):\n"
            text += table(["step (cumulative)", "s", "% of total"],
                          [[k, v, round(100 * v / part["total_s"], 1)] for k, v in steps])
            text += "\n" + table(["module (own time)", "s"], list(part["modules"].items()))
        text += f"\nfull profile: {profile['report']}"
    return text


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(CONFIGS), default="small")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--profile", action="store_true", default=None, help="profile even under the target")
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    summary = run(args.size, args.workdir, args.profile)
    print(format_summary(summary))
    path = write_json(args.json or RESULTS_DIR / f"ingest_{args.size}.json", summary)
    print(f"result: {path}")


if __name__ == "__main__":
    main()
