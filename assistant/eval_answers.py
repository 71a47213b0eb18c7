"""Answer quality on MultiHop-RAG through the product's own ingest, retrieval and answer engine.

Figures (see docs/quality.md for the commands and the last results):
- answer_in_citations: inference queries whose cited sentences contain the gold answer string;
- evidence_cited: share of gold evidence facts that the answer cites (a citation of the fact's
  article whose span overlaps where the fact sits in the stored text);
- null_refused / answerable_refused: refusal of the 301 null queries, and false refusals;
- citation_exact: cited span == stored text[start:end] (must be 1.0);
- latency of a whole extractive answer (retrieval included).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from .embed import Embedder
from .evaluate import _latency, _norm_title, build_index, load_multihop
from .refusal import load_queries
from .settings import Settings


@dataclass(frozen=True)
class EvalQuery:
    query: str
    question_type: str
    answer: str
    evidence: tuple[tuple[str, str], ...]  # (title, fact)

    @property
    def is_null(self) -> bool:
        return self.question_type == "null_query" or not self.evidence


def load_eval_queries(folder: str | Path, limit: int | None = None) -> list[EvalQuery]:
    """All queries (null ones included). With `limit`, every n-th one, keeping the type mix."""
    return [
        EvalQuery(r["query"], r.get("question_type", ""), str(r.get("answer", "")),
                  tuple((e["title"], e["fact"]) for e in r.get("evidence") or ()))
        for r in load_queries(folder, limit)
    ]


def answer_report(
    data_dir: str | Path,
    embedder: Embedder,
    settings: Settings,
    limit: int | None = None,
    workdir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    from .answer import AnswerEngine  # late: the engine pulls in retrieval

    say = progress or (lambda message: None)
    data = load_multihop(data_dir)
    queries = load_eval_queries(data_dir, limit)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        say(f"building the index of {len(data.articles)} articles")
        built = build_index(data, Path(tmp) / "multihop-answers", embedder, settings)
        engine = AnswerEngine(built.index, embedder, settings)
        say(f"answering {len(queries)} queries")
        tally = _Tally()
        for q in queries:
            started = time.perf_counter()
            answer = engine.ask(q.query, mode="ask")
            tally.seconds.append(time.perf_counter() - started)
            _score_one(q, answer, built, tally)
        built.index.close()
    return tally.report(len(queries))


@dataclass
class _Tally:
    null: int = 0
    null_refused: int = 0
    answerable: int = 0
    answerable_refused: int = 0
    inference: int = 0
    answer_in_citations: int = 0
    facts: int = 0
    facts_cited: int = 0
    citations: int = 0
    citations_exact: int = 0
    seconds: list = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.seconds = []

    def report(self, total: int) -> dict:
        rate = lambda a, b: round(a / b, 4) if b else None  # noqa: E731
        return {
            "queries": total,
            "null_refused": rate(self.null_refused, self.null),
            "answerable_refused": rate(self.answerable_refused, self.answerable),
            "answer_in_citations": rate(self.answer_in_citations, self.inference),
            "evidence_cited": rate(self.facts_cited, self.facts),
            "citation_exact": rate(self.citations_exact, self.citations),
            "counts": {
                "null": self.null, "answerable": self.answerable, "inference": self.inference,
                "facts": self.facts, "citations": self.citations,
            },
            "latency_ms": _latency(self.seconds),
        }


def _score_one(q: EvalQuery, answer, built, tally: _Tally) -> None:
    index = built.index
    for citation in answer.citations:
        tally.citations += 1
        stored = index.article_text(citation.article.id) or ""
        tally.citations_exact += stored[citation.start:citation.end] == citation.text
    if q.is_null:
        tally.null += 1
        tally.null_refused += not answer.answerable
        return
    tally.answerable += 1
    tally.answerable_refused += not answer.answerable
    cited_text = " ".join(c.text for c in answer.citations).lower()
    if q.question_type == "inference_query":
        tally.inference += 1
        tally.answer_in_citations += bool(q.answer) and q.answer.lower() in cited_text
    for title, fact in q.evidence:
        tally.facts += 1
        tally.facts_cited += _fact_cited(title, fact, answer.citations, built)


def _fact_cited(title: str, fact: str, citations: Sequence, built) -> bool:
    article_id = built.key_of_title.get(_norm_title(title))
    if article_id is None:
        return False
    text = built.index.article_text(article_id) or ""
    start = text.find(fact.strip()[:80])
    if start < 0:
        return False
    end = start + len(fact.strip())
    return any(c.article.id == article_id and c.start < end and start < c.end for c in citations)


def format_answer_report(report: dict) -> str:
    pct = lambda v: "n/a" if v is None else f"{v:.1%}"  # noqa: E731
    c = report["counts"]
    return "\n".join([
        f"MultiHop-RAG answers, {report['queries']} queries ({c['answerable']} answerable, {c['null']} null)",
        f"  null queries refused:              {pct(report['null_refused'])}  (target >= 80%)",
        f"  answerable queries refused:        {pct(report['answerable_refused'])}  (target <= 10%)",
        f"  inference answers in citations:    {pct(report['answer_in_citations'])}  ({c['inference']} queries)",
        f"  gold evidence facts cited:         {pct(report['evidence_cited'])}  ({c['facts']} facts)",
        f"  citation exactness:                {pct(report['citation_exact'])}  ({c['citations']} citations; must be 100%)",
        f"  answer latency: p50 {report['latency_ms']['p50']} ms, p95 {report['latency_ms']['p95']} ms",
    ])
