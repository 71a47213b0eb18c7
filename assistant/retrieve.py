"""The retrieve stage: dense (FAISS) + BM25 (SQLite FTS5), fused, with question understanding and
article/outlet diversity.

How a question is answered with passages:
1. `query.understand` finds the outlets and dates the question names (against the index's own
   outlets and dates) and splits a multi-article question into parts.
2. The question and its parts are encoded in one call and searched densely in one FAISS call;
   each is searched with BM25 too.
3. Per query (the question, each part), every candidate chunk gets a reciprocal-rank-fusion score
   of its dense and BM25 ranks, plus a boost when its article is from an outlet, or dated within
   the dates, that this query names. Named outlets and dates are boosts, not filters: a question
   naming two outlets wants evidence from each, and a misrecognised name (or an article whose
   outlet or date the source never gave) must not empty the result. Explicit `Filters` are hard.
4. Articles are ranked by their best chunk. The overall score adds the parts' scores to the whole
   question's, and the order is coverage-first: after the best article overall, the best article
   for each part (and for each named outlet) not yet shown comes next, so every part of a
   comparison has evidence near the top.
5. Passages follow the article order: the best chunk of each article first; an article's second
   chunk only after the other articles' best ones (at most MAX_CHUNKS_PER_ARTICLE per article).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from .embed import Embedder
from .index import Index
from .query import QueryHints, understand
from .records import Filters, Passage
from .settings import Settings

log = logging.getLogger(__name__)

MAX_CHUNKS_PER_ARTICLE = 2
SECOND_CHUNK_RATIO = 0.9  # a second chunk this close to its article's best stays beside it


@dataclass(frozen=True)
class Tuning:
    """The knobs of fusion and boosting (defaults measured on MultiHop-RAG, see bench/)."""

    pool: int = 60  # candidates taken from each of dense and BM25, per query
    rrf_k: int = 60  # reciprocal rank fusion constant
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    outlet_boost: float = 1.0  # in units of a first-rank RRF contribution (1 / (rrf_k + 1))
    date_boost: float = 1.0
    unknown_share: float = 0.5  # share of a boost for an article with no outlet (date) recorded
    part_weight: float = 0.5  # weight of each part's score in the overall score
    coverage: bool = True  # the best article of each part moves up (see module doc)
    outlet_coverage: bool = True  # so does the best article of each named outlet not yet shown
    inherit: bool = True  # a part naming no outlet/date is boosted by the question's
    fusion: str = "rrf"  # "rrf" (ranks) or "score" (scaled cosine + BM25)
    score_unit: float = 0.3
    combine: str = "sum"


@dataclass(frozen=True)
class Retrieval:
    question: str
    passages: tuple[Passage, ...]  # best first; Passage.score is the fused score
    filters: Filters  # filters applied (the explicit ones; named outlets/dates are boosts, see `recognised`)
    recognised: QueryHints  # outlets/dates named in the question, sub-queries
    dense_scores: Mapping[str, float] = field(default_factory=dict)  # chunk id -> cosine with the question
    bm25_scores: Mapping[str, float] = field(default_factory=dict)  # chunk id -> BM25 score (question)
    query_vector: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))


@dataclass(frozen=True)
class _Query:
    """The whole question or one part of it, with what it names."""

    text: str
    outlets: frozenset[str]
    since: str | None
    until: str | None


@dataclass
class _Candidate:
    rowid: int
    chunk_id: str
    article_id: str
    outlets: tuple[str, ...]
    published: str | None


@dataclass(frozen=True)
class _Gathered:
    """Everything the searches found for one question: the input of the (pure) ranking step."""

    queries: tuple[_Query, ...]  # the whole question first, then its parts
    vectors: np.ndarray
    dense: tuple[tuple[tuple[int, float], ...], ...]  # per query: (rowid, cosine), best first
    bm25: tuple[tuple[tuple[int, float], ...], ...]  # per query: (rowid, bm25), best first
    candidates: Mapping[int, _Candidate]
    cosines: tuple[Mapping[int, float], ...] = ()  # per query: rowid -> cosine, every candidate


class Retriever:
    def __init__(self, index: Index, embedder: Embedder, settings: Settings, tuning: Tuning = Tuning()) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.tuning = tuning
        self._vocabulary_lock = threading.Lock()
        self._vocabulary: tuple[int, list[str], list[str]] | None = None  # (generation, outlets, dates)

    def retrieve(self, question: str, filters: Filters = Filters(), k: int = 10) -> Retrieval:
        hints = self.understand(question)
        gathered = self.gather(question, hints, filters)
        article_order, overall = rank(gathered, hints, self.tuning)
        chosen = _passage_order(article_order, overall, gathered.candidates, k)
        return Retrieval(
            question=question,
            passages=self._passages(chosen, overall),
            filters=filters,
            recognised=hints,
            dense_scores=self._cosines(gathered.dense[0], chosen, gathered.vectors[0], gathered.candidates),
            bm25_scores=_by_chunk_id(dict(gathered.bm25[0]), gathered.candidates),
            query_vector=gathered.vectors[0],
        )

    def understand(self, question: str) -> QueryHints:
        outlets, dates = self._outlets_and_dates()
        return understand(question, outlets, dates)

    def gather(self, question: str, hints: QueryHints, filters: Filters = Filters()) -> _Gathered:
        """Encode the question and its parts in one call; search each densely and with BM25."""
        queries = _queries_for(question, hints, self.tuning.inherit)
        vectors = self.embedder.embed([q.text for q in queries])
        dense = self.index.search_dense_many(vectors, self.tuning.pool, filters)
        bm25 = [self.index.search_bm25(_bm25_text(q.text), self.tuning.pool, filters) for q in queries]
        meta = self.index.chunk_articles({r for ranking in dense + bm25 for r, _ in ranking})
        cosines: tuple[Mapping[int, float], ...] = ()
        if self.tuning.fusion == "score":
            stored = self.index.chunk_vectors(list(meta))
            rows = list(stored)
            matrix = np.vstack([stored[r] for r in rows]) if rows else np.zeros((0, vectors.shape[1]), np.float32)
            sims = matrix @ vectors.T
            cosines = tuple({r: float(sims[i, j]) for i, r in enumerate(rows)} for j in range(len(queries)))
        return _Gathered(
            queries=tuple(queries),
            vectors=vectors,
            dense=tuple(tuple(d) for d in dense),
            bm25=tuple(tuple(b) for b in bm25),
            candidates={r: _Candidate(r, *m) for r, m in meta.items()},
            cosines=cosines,
        )

    # ------------------------------------------------------------------ steps

    def _outlets_and_dates(self) -> tuple[list[str], list[str]]:
        """The index's outlet names and dates, re-read only when the index changed."""
        generation = self.index.generation
        with self._vocabulary_lock:
            if self._vocabulary is None or self._vocabulary[0] != generation:
                self._vocabulary = (generation, [o for o, _ in self.index.outlets()], self.index.dates())
            return self._vocabulary[1], self._vocabulary[2]

    def _passages(self, chosen: Sequence[int], overall: Mapping[int, float]) -> tuple[Passage, ...]:
        chunks = self.index.chunks_by_rowid(chosen)
        infos = self.index.article_infos(c.article_id for c in chunks.values())
        return tuple(
            Passage(chunk=chunks[r], article=infos[chunks[r].article_id], score=float(overall.get(r, 0.0)))
            for r in chosen
            if r in chunks and chunks[r].article_id in infos
        )

    def _cosines(
        self,
        dense: Sequence[tuple[int, float]],
        chosen: Sequence[int],
        vector: np.ndarray,
        candidates: Mapping[int, _Candidate],
    ) -> dict[str, float]:
        """Cosine with the question for the dense candidates and every returned passage."""
        by_row = dict(dense)
        missing = [r for r in chosen if r not in by_row]
        for rowid, stored in self.index.chunk_vectors(missing).items():
            by_row[rowid] = float(np.dot(stored, vector))
        return _by_chunk_id(by_row, candidates)


# ------------------------------------------------------------------------- ranking


def rank(gathered: _Gathered, hints: QueryHints, tuning: Tuning) -> tuple[list[str], dict[int, float]]:
    """(article ids best first, chunk rowid -> overall score) from what the searches found."""
    if tuning.fusion == "score":
        per_query = [
            _fused_by_score(q, c, b, gathered.candidates, tuning)
            for q, c, b in zip(gathered.queries, gathered.cosines, gathered.bm25)
        ]
    else:
        per_query = [
            _chunk_scores(q, d, b, gathered.candidates, tuning)
            for q, d, b in zip(gathered.queries, gathered.dense, gathered.bm25)
        ]
    overall = _combine(per_query, tuning.part_weight, tuning.combine)
    return _article_order(per_query, overall, gathered.candidates, hints, tuning), overall


def _chunk_scores(
    query: _Query,
    dense: Sequence[tuple[int, float]],
    bm25: Sequence[tuple[int, float]],
    candidates: Mapping[int, _Candidate],
    t: Tuning,
) -> dict[int, float]:
    """RRF of the dense and BM25 ranks, plus the boosts for outlets/dates the query names."""
    scores: dict[int, float] = {}
    for ranking, weight in ((dense, t.dense_weight), (bm25, t.bm25_weight)):
        for rank_, (rowid, _) in enumerate(ranking, start=1):
            scores[rowid] = scores.get(rowid, 0.0) + weight / (t.rrf_k + rank_)
    unit = 1.0 / (t.rrf_k + 1)
    for rowid in scores:
        candidate = candidates.get(rowid)
        if candidate is None:
            continue
        # An article whose outlet (date) the source never gave may well be from the named outlet
        # (date): it gets part of the boost; one known to be from another outlet gets none.
        if query.outlets:
            if query.outlets.intersection(candidate.outlets):
                scores[rowid] += t.outlet_boost * unit
            elif not candidate.outlets:
                scores[rowid] += t.unknown_share * t.outlet_boost * unit
        if query.since or query.until:
            if _within(candidate.published, query.since, query.until):
                scores[rowid] += t.date_boost * unit
            elif not candidate.published:
                scores[rowid] += t.unknown_share * t.date_boost * unit
    return scores


def _fused_by_score(
    query: _Query,
    cosines: Mapping[int, float],
    bm25: Sequence[tuple[int, float]],
    candidates: Mapping[int, _Candidate],
    t: Tuning,
) -> dict[int, float]:
    """Weighted sum of min-max-scaled cosine and max-scaled BM25, plus the boosts (unit: 1)."""
    if not cosines:
        return {}
    low, high = min(cosines.values()), max(cosines.values())
    spread = (high - low) or 1.0
    top_bm25 = max((s for _, s in bm25), default=0.0) or 1.0
    lexical = {r: s / top_bm25 for r, s in bm25}
    scores = {r: t.dense_weight * (c - low) / spread + t.bm25_weight * lexical.get(r, 0.0) for r, c in cosines.items()}
    for rowid in scores:
        candidate = candidates.get(rowid)
        if candidate is None:
            continue
        if query.outlets:
            if query.outlets.intersection(candidate.outlets):
                scores[rowid] += t.outlet_boost * t.score_unit
            elif not candidate.outlets:
                scores[rowid] += t.unknown_share * t.outlet_boost * t.score_unit
        if query.since or query.until:
            if _within(candidate.published, query.since, query.until):
                scores[rowid] += t.date_boost * t.score_unit
            elif not candidate.published:
                scores[rowid] += t.unknown_share * t.date_boost * t.score_unit
    return scores


def _article_order(
    per_query: Sequence[Mapping[int, float]],
    overall: Mapping[int, float],
    candidates: Mapping[int, _Candidate],
    hints: QueryHints,
    tuning: Tuning,
) -> list[str]:
    """Articles best first; with coverage on, each part's and named outlet's best comes early."""
    best = _article_scores(overall, candidates)
    ranked = sorted(best, key=lambda a: best[a], reverse=True)
    if not ranked:
        return ranked
    order = [ranked[0]]
    if tuning.coverage:
        for scores in per_query[1:]:
            part_best = _article_scores(scores, candidates)
            top = max(part_best, key=lambda a: part_best[a], default=None)
            if top is not None and top not in order:
                order.append(top)
    if tuning.outlet_coverage:
        outlets_of = {c.article_id: c.outlets for c in candidates.values()}
        for outlet in hints.outlets:
            if any(outlet in outlets_of.get(a, ()) for a in order):
                continue
            match = next((a for a in ranked if outlet in outlets_of.get(a, ())), None)
            if match is not None:
                order.append(match)
    order.extend(a for a in ranked if a not in order)
    return order


# ------------------------------------------------------------------------- helpers


def _queries_for(question: str, hints: QueryHints, inherit: bool = True) -> list[_Query]:
    """The question and its parts. A part naming no outlet (or date) inherits the question's: in
    "What did TechCrunch report about X, and is Y?" both clauses speak of TechCrunch's coverage."""
    queries = [_Query(hints.search_text or question, frozenset(hints.outlets), hints.since, hints.until)]
    for part in hints.parts:
        outlets = part.outlets or (hints.outlets if inherit else ())
        since, until = (part.since, part.until) if (part.since or part.until or not inherit) else (hints.since, hints.until)
        queries.append(_Query(part.search_text or part.text, frozenset(outlets), since, until))
    return queries


# Words about the reporting rather than the story: every article "reports", so as BM25 terms they
# only add noise ("Does the article suggest that X" should match X).
_REPORTING_WORDS = frozenset(
    "article articles report reports reported reporting piece pieces story stories according "
    "published publication suggest suggests suggested indicate indicates indicated mention mentions "
    "mentioned outlet outlets coverage".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)


def _bm25_text(text: str) -> str:
    return " ".join(w for w in _WORD.findall(text) if w.lower() not in _REPORTING_WORDS)


def _by_chunk_id(by_row: Mapping[int, float], candidates: Mapping[int, _Candidate]) -> dict[str, float]:
    """Keyed by chunk id, which callers know (rowids are internal to the index)."""
    return {candidates[r].chunk_id: s for r, s in by_row.items() if r in candidates}


def _within(published: str | None, since: str | None, until: str | None) -> bool:
    if not published:
        return False
    day = published[:10]
    return (since is None or day >= since[:10]) and (until is None or day <= until[:10])


def _combine(per_query: Sequence[Mapping[int, float]], part_weight: float, how: str = "sum") -> dict[int, float]:
    """"sum": the whole question's score plus `part_weight` times each part's.
    "max": the best of the whole question's score and `part_weight` times each part's, plus a
    hundredth of the sum (ties go to chunks that serve several parts)."""
    if how == "max":
        overall: dict[int, float] = {}
        total: dict[int, float] = {}
        for i, scores in enumerate(per_query):
            weight = 1.0 if i == 0 else part_weight
            for rowid, value in scores.items():
                overall[rowid] = max(overall.get(rowid, float("-inf")), weight * value)
                total[rowid] = total.get(rowid, 0.0) + value
        return {r: v + 0.01 * total[r] for r, v in overall.items()}
    overall = dict(per_query[0])
    for scores in per_query[1:]:
        for rowid, value in scores.items():
            overall[rowid] = overall.get(rowid, 0.0) + part_weight * value
    return overall


def _article_scores(chunk_scores: Mapping[int, float], candidates: Mapping[int, _Candidate]) -> dict[str, float]:
    """An article scores as its best chunk."""
    best: dict[str, float] = {}
    for rowid, value in chunk_scores.items():
        candidate = candidates.get(rowid)
        if candidate is not None and value > best.get(candidate.article_id, float("-inf")):
            best[candidate.article_id] = value
    return best


def _passage_order(
    article_order: Sequence[str], overall: Mapping[int, float], candidates: Mapping[int, _Candidate], k: int
) -> list[int]:
    """Chunk rowids: each article's best chunk in article order. An article's next chunk follows
    its best at once when it scores nearly as well (the story goes on there); other extra chunks
    come after every article's best one, up to MAX_CHUNKS_PER_ARTICLE per article."""
    chunks_of: dict[str, list[int]] = {}
    for rowid in sorted(overall, key=lambda r: overall[r], reverse=True):
        candidate = candidates.get(rowid)
        if candidate is not None and len(chunks_of.get(candidate.article_id, ())) < MAX_CHUNKS_PER_ARTICLE:
            chunks_of.setdefault(candidate.article_id, []).append(rowid)
    chosen: list[int] = []
    later: list[int] = []
    for article in article_order:
        best, *rest = chunks_of.get(article) or [None]
        if best is None:
            continue
        chosen.append(best)
        for rowid in rest:
            (chosen if overall[rowid] >= SECOND_CHUNK_RATIO * overall[best] else later).append(rowid)
    return (chosen + later)[:k]
