"""Encoding time of embedding models against the small MiniLM (torch), in one process.

    python -m bench.model_encode --model PATH [--model PATH ...] [--questions 60]

Why: the default model (all-mpnet-base-v2, which `make setup` installs) finds more of the
evidence on MultiHop-RAG than the small all-MiniLM-L6-v2 (docs/quality.md, session 15), and every
question and every ingested text pays for it. This prints p50/p95 of encoding one question (the MultiHop questions, and short ones like a
reader's), each model in turn on the same text so both see the same load, and the texts per
second of a batch encode of the sample's sentences (what ingest does), with the ratios. A folder
holding an ONNX export (scripts/export_onnx.py) runs on onnxruntime, as in the product: give the
torch folder and the exported one to see what the export buys.
"""

from __future__ import annotations

import argparse
import os
import time

from bench.common import RESULTS_DIR, SAMPLE_DIR, latency_summary, machine, table, write_json
from bench.query_threads import questions

SHORT_QUESTIONS = [
    "Who denied that the solvent reached the river?", "How much toluene leaked?", "What did Marcus Obi say?",
    "When was the city told about the leak?", "What did the minister warn Kessler about?",
    "Did the agency and Kessler agree on how much leaked?",
]


def _sample_sentences() -> list[str]:
    """The sentences of the sample's Markdown articles, as ingest splits them."""
    from assistant.segment import split_sentences

    texts: list[str] = []
    for path in sorted(SAMPLE_DIR.glob("*.md")):
        if path.name != "README.md":
            texts.extend(s.text for s in split_sentences(path.stem, path.read_text(encoding="utf-8")))
    return texts


def run(model_paths: list[str], n: int) -> dict:
    from assistant.embed import OnnxEmbedder, make_embedder
    from assistant.settings import SMALL_MODEL_NAME, load_settings

    embedders = {"MiniLM (torch)": make_embedder(load_settings(environ={}, model_path=SMALL_MODEL_NAME))}
    for path in model_paths:
        embedder = make_embedder(load_settings(environ={}, model_path=path))
        runtime = "onnx" if isinstance(embedder, OnnxEmbedder) else "torch"
        embedders[f"{os.path.basename(path.rstrip('/'))} ({runtime})"] = embedder
    for embedder in embedders.values():
        embedder.warm_up()
    sets = {"MultiHop questions": questions(n), "short questions": (SHORT_QUESTIONS * n)[:n]}
    times: dict[tuple[str, str], list[float]] = {}
    for set_name, texts in sets.items():
        for text in texts[:3]:
            for embedder in embedders.values():
                embedder.embed([text])
        for text in texts:
            for name, embedder in embedders.items():
                started = time.perf_counter()
                embedder.embed([text])
                times.setdefault((set_name, name), []).append(time.perf_counter() - started)
    sentences = _sample_sentences()
    throughput = {}
    for name, embedder in embedders.items():
        started = time.perf_counter()
        embedder.embed(sentences)
        throughput[name] = round(len(sentences) / (time.perf_counter() - started), 1)
    latency = {f"{s} / {m}": latency_summary(t) for (s, m), t in times.items()}
    baseline, *others = list(embedders)
    ratios = {f"{s} / {m}": round(latency[f"{s} / {m}"]["p50_ms"] / latency[f"{s} / {baseline}"]["p50_ms"], 2)
              for s in sets for m in others}
    return {"machine": machine(), "load_after": os.getloadavg(), "models": model_paths, "questions": n,
            "latency_ms": latency, "p50_ratio_over_minilm": ratios, "sentences": len(sentences),
            "batch_texts_per_s": throughput,
            "batch_ratio_minilm_over_model": {m: round(throughput[baseline] / throughput[m], 2) for m in others}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, action="append",
                        help="a sentence-transformers folder (NEWSDESK_MODEL_PATH); repeat to compare several")
    parser.add_argument("--questions", type=int, default=60)
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()}")
    result = run(args.model, args.questions)
    rows = [[name, s["p50_ms"], s["p95_ms"]] for name, s in result["latency_ms"].items()]
    print(table(["one question encoded (set / model)", "p50 ms", "p95 ms"], rows))
    for name, ratio in result["p50_ratio_over_minilm"].items():
        print(f"{name}: {ratio:.2f}x MiniLM's p50")
    print(f"batch encode of {result['sentences']} sample sentences, texts/s: {result['batch_texts_per_s']} "
          f"(MiniLM's rate over each: {result['batch_ratio_minilm_over_model']}); load after: {result['load_after']}")
    write_json(RESULTS_DIR / "model_encode.json", result)


if __name__ == "__main__":
    main()
