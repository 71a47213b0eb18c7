"""The retrieve stage: dense (FAISS) + BM25 (FTS5 candidates scored by bm25.py), fused, with
question understanding and article/outlet diversity.

How a question becomes passages:
1. `query.understand` finds the outlets and dates the question names (against the index's own
   outlets and dates), splits a multi-article question into clauses ("parts") and gives the text
   to search with (outlet names and dates taken out: they are matched as metadata).
2. The question is encoded, its parts are encoded in one more call, and all are searched in one
   FAISS call; each is also searched with BM25 (without words about the reporting: "article",
   "reported", nor, in a big index, words most chunks hold), in a worker thread while the
   encoding runs.
3. Per query (the question, each part) every candidate chunk gets a fused score: its cosine
   min-max scaled over the candidates plus its BM25 score divided by the best one. Scores rather
   than ranks (RRF, kept as `fusion="rrf"`): on MultiHop-RAG score fusion found all the evidence
   in the top 4 for 0.64 of the questions, RRF for 0.55, because a far-ahead BM25 match stays far
   ahead. Then a boost when the chunk's article is from an outlet, or dated within the dates,
   that this query names.
   Named outlets and dates are boosts, not filters: a question naming two outlets wants evidence
   from each, a misrecognised name must not empty the result, and an article whose source gave
   no outlet or date gets part of the boost (it may well be from that outlet). `Filters` passed
   in by the caller are hard filters.
4. Articles score as their best chunk. The overall score of a chunk is the best of its score for
   the whole question and (slightly discounted) for each part, so every clause of a comparison
   can bring its own evidence up. The order is then coverage-first: after the best article
   overall, the best article of each part and of each named outlet not yet shown.
   A many-clause question that asks for a name ("Which company ...", "Who ...") whose top
   articles share a name it does not write is searched and ranked once more with that name
   added to it and to each part (bridge.py); a second shared name re-ranks the articles below
   the first four.
5. Passages follow the article order: each article's best chunk, its second chunk beside it only
   when nearly as good, other second chunks after everything else (at most 2 per article).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import AbstractSet, Callable, Mapping, Sequence, TypeVar

import numpy as np

from . import bm25
from .bm25 import stem
from .bridge import BRIDGE_ARTICLES, SECOND_NAME_BELOW, asks_for_a_name, bridging_names, toward_name, with_bridge
from .embed import Embedder
from .index import Index, bm25_query_words
from .query import QueryHints, understand
from .records import Filters, Passage
from .settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_CHUNKS_PER_ARTICLE = 3
# BM25 (FTS5) scores every chunk holding any of the question's words, so its time grows with the
# chunks those words are in ("postings"). In an index of at least PRUNE_FROM_CHUNKS chunks the
# question's words go in rarest first while their postings add up to at most BM25_POSTINGS_BUDGET
# (the rarest word always, unless even it is in more than COMMON_WORD_SHARE of the chunks: such a
# word ranks almost nothing, idf < 3, and dense search carries the question). Common words rank
# little (idf below ~3 against ~9 for a rare word) but cost the most. Measured at 100k chunks: one
# BM25 query from 12-92 ms p50-p95 with the older rule (drop words in > 5 %, unless < 3 words were
# left) to the figures in docs/benchmarks.md. Document counts are read for words in more than
# COUNTED_WORD_SHARE of the chunks; a word not among them is rare and counted at that share.
BM25_POSTINGS_BUDGET = 10_000
COMMON_WORD_SHARE = 0.05
COUNTED_WORD_SHARE = 0.001
PRUNE_FROM_CHUNKS = 10_000

SECOND_CHUNK_RATIO = 0.9  # a second chunk this close to its article's best stays beside it
# Below the cut, an article's extra chunk scoring this many times another article's best chunk
# above the cut takes its place: diversity is for comparable matches. ("What was the company's
# estimate?": the Sentinel's "raised its estimate ... to 9,500 liters", 1.51, had stayed below five
# reports that only say "company", 0.73-0.89.)
FAR_AHEAD = 1.6

# The candidates' records (article, chunk vector, sentence vectors) are read in this many parts at
# once, each on its own connection. On a cold disk cache a read is mostly waiting for the disk, and
# SQLite releases the GIL while it waits, so parts read in parallel keep several requests in flight.
READ_PARTS = 4


@dataclass(frozen=True)
class Tuning:
    """Fusion and boosting knobs. Defaults measured on MultiHop-RAG (bench/multihop_retrieval.py)."""

    pool: int = 40  # candidates from each of dense and BM25, per query (30 and 100 scored the same)
    fusion: str = "score"  # "score": scaled cosine + scaled BM25; "rrf": reciprocal rank fusion
    dense_weight: float = 1.1  # 1.0 before sentence matching; 1.1 with it (+0.003 all_evidence@10)
    bm25_weight: float = 1.0
    rrf_k: int = 60  # only for fusion="rrf"
    outlet_boost: float = 0.8  # added for a named outlet, in units of a top score in one list
    date_boost: float = 0.5  # added for a date within the named dates
    unknown_share: float = 0.5  # share of a boost for an article with no outlet (date) recorded
    part_weight: float = 0.9  # a part's score counts this much against the whole question's
    coverage: bool = True  # the best article of each part and named outlet moves up
    bridge: bool = True  # search again with a name the top articles share (bridge.py)
    runner_up: bool = True  # and re-rank below the top articles with a second such name
    sentence_match: bool = True  # a chunk's cosine is its best sentence's when higher (see rank)


@dataclass(frozen=True)
class Retrieval:
    question: str
    passages: tuple[Passage, ...]  # best first; Passage.score is the fused score
    filters: Filters  # the filters applied: the caller's (named outlets/dates are boosts: `recognised`)
    recognised: QueryHints  # outlets/dates named in the question, sub-queries
    dense_scores: Mapping[str, float] = field(default_factory=dict)  # chunk id -> cosine with the question
    bm25_scores: Mapping[str, float] = field(default_factory=dict)  # chunk id -> BM25 score (question)
    query_vector: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))


@dataclass(frozen=True)
class _Query:
    """The whole question or one part of it, with the outlets and dates it names."""

    text: str
    outlets: frozenset[str]
    since: str | None
    until: str | None


@dataclass(frozen=True)
class _Candidate:
    rowid: int
    chunk_id: str
    article_id: str
    outlets: tuple[str, ...]  # the article's and its wire copies'
    published: tuple[str, ...]  # the article's date and its wire copies' (those recorded)


@dataclass(frozen=True)
class Gathered:
    """Everything the searches found for one question: the input of the (pure) ranking step."""

    queries: tuple[_Query, ...]  # the whole question first, then its parts
    vectors: np.ndarray
    dense: tuple[tuple[tuple[int, float], ...], ...]  # per query: (rowid, cosine), best first
    bm25: tuple[tuple[tuple[int, float], ...], ...]  # per query: (rowid, bm25), best first
    candidates: Mapping[int, _Candidate]
    cosines: tuple[Mapping[int, float], ...] = ()  # per query: rowid -> cosine, every candidate
    # per query: rowid -> best cosine of one sentence of the chunk (chunks with sentence vectors)
    sentence_cosines: tuple[Mapping[int, float], ...] = ()


class Retriever:
    def __init__(self, index: Index, embedder: Embedder, settings: Settings, tuning: Tuning = Tuning()) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.tuning = tuning
        self._vocabulary_lock = threading.Lock()
        self._vocabulary: tuple[int, list[str], list[str]] | None = None  # (generation, outlets, dates)
        self._counts: tuple[int, int, Mapping[str, int]] | None = None  # (generation, chunks, term counts)
        # Keyword searches run here while the question is encoded (they do not need its vector).
        # The SQLite/PostgreSQL part overlaps fully (the GIL is released); the rescoring in
        # bm25.py is Python and competes with the encoder. Long-lived threads keep their records
        # connection, and its page cache, from one question to the next.
        self._keyword_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="keyword-search")
        self._read_threads = ThreadPoolExecutor(max_workers=READ_PARTS, thread_name_prefix="records-read")

    def retrieve(self, question: str, filters: Filters = Filters(), k: int = 10) -> Retrieval:
        hints = self.understand(question)
        asked = gathered = self.gather(question, hints, filters)
        article_order, overall = rank(gathered, hints, self.tuning)
        bridged = self._bridged(question, hints, article_order, overall, gathered) if self.tuning.bridge else None
        if bridged is not None:
            # The question's and parts' vectors moved toward the name's: one short encoding
            # instead of all of them again (on MultiHop-RAG 0.879 against 0.881 all_evidence@10).
            vectors = toward_name(asked.vectors, self.embedder.embed([bridged.bridge])[0])
            hints = bridged
            gathered = self.gather(question, hints, filters, vectors)
            article_order, overall = rank(gathered, hints, self.tuning)
            if hints.runner_up:
                article_order = self._runner_up_order(article_order, gathered, hints)
        keyword_found = {rowid for ranking in gathered.bm25 for rowid, _ in ranking}
        chosen = _passage_order(article_order, overall, gathered.candidates, k, keyword_found)
        # The scores that describe the question as asked (the answer's sentence picking and the
        # refusal read them) come from the first search, without the bridging name.
        candidates = {**gathered.candidates, **asked.candidates}
        question_cosines = dict(asked.cosines[0]) if asked.cosines else dict(asked.dense[0])
        return Retrieval(
            question=question,
            passages=self._passages(chosen, overall),
            filters=filters,
            recognised=hints,
            dense_scores=_by_chunk_id(self._with_cosines(question_cosines, chosen, asked.vectors[0]), candidates),
            bm25_scores=_by_chunk_id(dict(asked.bm25[0]), candidates),
            query_vector=asked.vectors[0],
        )

    def _bridged(
        self, question: str, hints: QueryHints, order: Sequence[str], overall: Mapping[int, float], gathered: Gathered
    ) -> QueryHints | None:
        """The hints with a bridging name (and a runner-up, if any; bridge.py) for a many-clause
        question that asks for a name, when the best passages of its top articles share one;
        else None."""
        if not hints.parts or not asks_for_a_name(question):
            return None
        best_of = _best_chunk_of(overall, gathered.candidates)
        best = [best_of[a] for a in order[:BRIDGE_ARTICLES] if a in best_of]
        texts = self.index.keyword_texts(best)
        names = bridging_names(question, [texts[r] for r in best if r in texts])
        if not names:
            return None
        runner_up = names[1] if len(names) > 1 and self.tuning.runner_up else ""
        return dataclasses.replace(with_bridge(question, hints, names[0]), runner_up=runner_up)

    def _runner_up_order(self, order: Sequence[str], gathered: Gathered, hints: QueryHints) -> list[str]:
        """`order` with the articles below the first SECOND_NAME_BELOW ranked again as if every
        query also named `hints.runner_up`: its BM25 score in each candidate is added to the
        candidate's keyword scores (no new search: the candidates already found)."""
        terms = bm25.query_terms(bm25_query_words(hints.runner_up))
        texts = self.index.keyword_texts(list(gathered.candidates))
        stats = self.index.term_stats(terms)
        extra = {r: bm25.score(terms, texts.get(r, ""), stats) for r in gathered.candidates}
        widened = dataclasses.replace(gathered, bm25=tuple(_plus(ranking, extra) for ranking in gathered.bm25))
        again, _ = rank(widened, hints, self.tuning)
        top = list(order[:SECOND_NAME_BELOW])
        return top + [a for a in again if a not in top]

    def understand(self, question: str) -> QueryHints:
        outlets, dates = self._outlets_and_dates()
        return understand(question, outlets, dates)

    def gather(self, question: str, hints: QueryHints, filters: Filters = Filters(),
               vectors: np.ndarray | None = None) -> Gathered:
        """Encode the question and its parts (unless their `vectors` are given); search each
        densely and with BM25."""
        queries = _queries_for(question, hints)
        keyword_search = self._keyword_threads.submit(self._search_keywords, queries, filters)
        if vectors is None:
            vectors = self.embedder.embed([queries[0].text])
        if len(vectors) < len(queries):
            # The parts in their own call: batched with the (longer) question they would all be
            # padded to its length; measured 73 ms instead of 103 ms for a 4-part question.
            vectors = np.vstack([vectors, self.embedder.embed([q.text for q in queries[1:]])])
        dense = self.index.search_dense_many(vectors, self.tuning.pool, filters)
        bm25 = keyword_search.result()
        rowids = sorted({r for ranking in dense + bm25 for r, _ in ranking})
        scored = self.tuning.fusion == "score"
        meta_parts = self._read_in_parts(self.index.chunk_articles, rowids)
        vector_parts = self._read_in_parts(self.index.chunk_vectors, rowids) if scored else []
        sentence_parts = (self._read_in_parts(self.index.sentence_vectors_in_chunks, rowids)
                          if scored and self.tuning.sentence_match else [])
        meta = _joined(meta_parts)
        cosines = _cosines(_joined(vector_parts), vectors) if scored else ()
        sentence_cosines = _best_sentence_cosines(_joined(sentence_parts), vectors) if sentence_parts else ()
        return Gathered(
            queries=tuple(queries),
            vectors=vectors,
            dense=tuple(tuple(d) for d in dense),
            bm25=tuple(tuple(b) for b in bm25),
            candidates={r: _Candidate(r, *m) for r, m in meta.items()},
            cosines=cosines,
            sentence_cosines=sentence_cosines,
        )

    # ------------------------------------------------------------------ steps

    def _search_keywords(self, queries: Sequence[_Query], filters: Filters) -> list[list[tuple[int, float]]]:
        return [self.index.search_bm25(self._bm25_text(q.text), self.tuning.pool, filters) for q in queries]

    def _outlets_and_dates(self) -> tuple[list[str], list[str]]:
        """The index's outlet names and dates, re-read only when the index changed."""
        generation = self.index.generation
        with self._vocabulary_lock:
            if self._vocabulary is None or self._vocabulary[0] != generation:
                self._vocabulary = (generation, [o for o, _ in self.index.outlets()], self.index.dates())
            return self._vocabulary[1], self._vocabulary[2]

    def _bm25_text(self, text: str) -> str:
        """The words worth a BM25 search: no reporting words; in a big index, the rarest words
        within the postings budget (see BM25_POSTINGS_BUDGET)."""
        words = [w for w in _WORD.findall(text) if len(w) > 1 and w.lower() not in _REPORTING_WORDS]
        total, counts = self._term_counts()
        if total < PRUNE_FROM_CHUNKS:
            return " ".join(words)
        return " ".join(_rarest_within_budget(bm25_query_words(" ".join(words)), counts, total))

    def _term_counts(self) -> tuple[int, Mapping[str, int]]:
        """(chunks, term -> chunks holding it for terms in more than COUNTED_WORD_SHARE of them),
        read once per index generation."""
        generation = self.index.generation
        with self._vocabulary_lock:
            if self._counts is None or self._counts[0] != generation:
                total, counts = self.index.bm25_term_counts(COUNTED_WORD_SHARE)
                self._counts = (generation, total, counts)
            return self._counts[1], self._counts[2]

    def _read_in_parts(self, read: Callable[[list[int]], dict[int, T]], rowids: list[int]) -> list[Future[dict[int, T]]]:
        """`read` of the (sorted) rowids in up to READ_PARTS runs of neighbours, started at once."""
        size = -(-len(rowids) // READ_PARTS) or 1
        return [self._read_threads.submit(read, rowids[i:i + size]) for i in range(0, len(rowids), size)]

    def _with_cosines(self, by_row: dict[int, float], chosen: Sequence[int], vector: np.ndarray) -> dict[int, float]:
        """Cosines with the question for the candidates and every returned passage."""
        missing = [r for r in chosen if r not in by_row]
        for rowid, stored in self.index.chunk_vectors(missing).items():
            by_row[rowid] = float(np.dot(stored, vector))
        return by_row

    def _passages(self, chosen: Sequence[int], overall: Mapping[int, float]) -> tuple[Passage, ...]:
        chunks = self.index.chunks_by_rowid(chosen)
        infos = self.index.article_infos(c.article_id for c in chunks.values())
        return tuple(
            Passage(chunk=chunks[r], article=infos[chunks[r].article_id], score=float(overall.get(r, 0.0)))
            for r in chosen
            if r in chunks and chunks[r].article_id in infos
        )


# ------------------------------------------------------------------------- candidates' records


def _joined(parts: Sequence[Future[dict[int, T]]]) -> dict[int, T]:
    out: dict[int, T] = {}
    for part in parts:
        out.update(part.result())
    return out


def _cosines(stored: Mapping[int, np.ndarray], vectors: np.ndarray) -> tuple[dict[int, float], ...]:
    """Cosine of every candidate with every query (BM25 finds chunks dense search did not)."""
    rows = list(stored)
    if not rows:
        return tuple({} for _ in range(len(vectors)))
    similarities = np.vstack([stored[r] for r in rows]) @ np.asarray(vectors, dtype=np.float32).T
    return tuple({r: float(similarities[i, j]) for i, r in enumerate(rows)} for j in range(similarities.shape[1]))


def _best_sentence_cosines(stored: Mapping[int, np.ndarray], vectors: np.ndarray) -> tuple[dict[int, float], ...]:
    """Per query, each candidate's best cosine with one of its sentences (`stored`: rowid -> one
    row per sentence). A chunk of an article stored without sentence vectors (before schema 3) is
    not in `stored`: its chunk cosine stands."""
    rows = list(stored)
    if not rows:
        return tuple({} for _ in range(len(vectors)))
    similarities = np.vstack([stored[r] for r in rows]) @ np.asarray(vectors, dtype=np.float32).T
    first_rows = np.cumsum([0] + [len(stored[r]) for r in rows[:-1]])
    best = np.maximum.reduceat(similarities, first_rows, axis=0)
    return tuple({r: float(best[i, j]) for i, r in enumerate(rows)} for j in range(best.shape[1]))


# ------------------------------------------------------------------------- queries


def _queries_for(question: str, hints: QueryHints) -> list[_Query]:
    """The question and its parts. A part naming no outlet (or date) inherits the question's: in
    "What did TechCrunch report about X, and is Y true?" both clauses ask about TechCrunch."""
    queries = [_Query(hints.search_text or question, frozenset(hints.outlets), hints.since, hints.until)]
    for part in hints.parts:
        outlets = part.outlets or hints.outlets
        since, until = (part.since, part.until) if (part.since or part.until) else (hints.since, hints.until)
        queries.append(_Query(part.search_text or part.text, frozenset(outlets), since, until))
    return queries


def _rarest_within_budget(words: Sequence[str], counts: Mapping[str, int], total: int) -> list[str]:
    """`words` (distinct, lower case; in their order) whose postings, rarest first, fit
    BM25_POSTINGS_BUDGET."""
    rare = total * COUNTED_WORD_SHARE
    by_rarity = sorted(((w, counts.get(stem(w), rare)) for w in words), key=lambda item: item[1])
    kept: set[str] = set()
    spent = 0
    for word, postings in by_rarity:
        if spent + postings > BM25_POSTINGS_BUDGET and kept:
            break
        if postings > total * COMMON_WORD_SHARE:
            break
        kept.add(word)
        spent += postings
    return [w for w in words if w in kept]


# Words about the reporting rather than the story: every article "reports", so as BM25 terms they
# only add noise ("Does the article suggest that X" should match X).
_REPORTING_WORDS = frozenset(
    "article articles report reports reported reporting piece pieces story stories according "
    "published publication suggest suggests suggested indicate indicates indicated mention mentions "
    "mentioned outlet outlets coverage".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)


# ------------------------------------------------------------------------- ranking


def rank(gathered: Gathered, hints: QueryHints, tuning: Tuning) -> tuple[list[str], dict[int, float]]:
    """(article ids best first, chunk rowid -> overall score) from what the searches found."""
    if tuning.fusion == "score":
        cosines = _best_sentence_or_chunk(gathered) if tuning.sentence_match else gathered.cosines
        fused = [_score_fusion(c, b, tuning) for c, b in zip(cosines, gathered.bm25)]
    else:
        fused = [_rank_fusion(d, b, tuning) for d, b in zip(gathered.dense, gathered.bm25)]
    unit = 1.0 if tuning.fusion == "score" else 1.0 / (tuning.rrf_k + 1)
    per_query = [_boosted(scores, q, gathered.candidates, tuning, unit) for scores, q in zip(fused, gathered.queries)]
    overall = _best_of_queries(per_query, tuning.part_weight)
    return _article_order(per_query, overall, gathered.candidates, hints, tuning), overall


def _best_sentence_or_chunk(gathered: Gathered) -> tuple[dict[int, float], ...]:
    """Per query, a chunk's cosine or its best sentence's, whichever is higher: a clause that one
    sentence of a longer chunk answers is not diluted by the rest of the chunk (on MultiHop-RAG
    all_evidence@4 0.676 -> 0.690, @10 0.892 -> 0.903 with dense_weight 1.1; docs/quality.md)."""
    if not gathered.sentence_cosines:
        return tuple(dict(c) for c in gathered.cosines)
    return tuple(
        {r: max(c, sentences.get(r, c)) for r, c in cosines.items()}
        for cosines, sentences in zip(gathered.cosines, gathered.sentence_cosines)
    )


def _score_fusion(cosines: Mapping[int, float], bm25: Sequence[tuple[int, float]], t: Tuning) -> dict[int, float]:
    """Cosine min-max scaled over the candidates, plus BM25 divided by the best BM25 score."""
    if not cosines:
        return {}
    low, high = min(cosines.values()), max(cosines.values())
    spread = (high - low) or 1.0
    best_bm25 = max((s for _, s in bm25), default=0.0) or 1.0
    lexical = {r: s / best_bm25 for r, s in bm25}
    return {
        r: t.dense_weight * (c - low) / spread + t.bm25_weight * lexical.get(r, 0.0) for r, c in cosines.items()
    }


def _rank_fusion(dense: Sequence[tuple[int, float]], bm25: Sequence[tuple[int, float]], t: Tuning) -> dict[int, float]:
    """Reciprocal rank fusion: each list adds weight / (rrf_k + rank)."""
    scores: dict[int, float] = {}
    for ranking, weight in ((dense, t.dense_weight), (bm25, t.bm25_weight)):
        for position, (rowid, _) in enumerate(ranking, start=1):
            scores[rowid] = scores.get(rowid, 0.0) + weight / (t.rrf_k + position)
    return scores


def _boosted(
    scores: Mapping[int, float], query: _Query, candidates: Mapping[int, _Candidate], t: Tuning, unit: float
) -> dict[int, float]:
    """Add the outlet and date boosts. An article with no outlet (date) on record gets a share:
    it may be from the named outlet; one known to be from another outlet gets nothing."""
    out = dict(scores)
    for rowid in out:
        candidate = candidates.get(rowid)
        if candidate is None:
            continue
        if query.outlets:
            if query.outlets.intersection(candidate.outlets):
                out[rowid] += t.outlet_boost * unit
            elif not candidate.outlets:
                out[rowid] += t.unknown_share * t.outlet_boost * unit
        if query.since or query.until:
            if _within(candidate.published, query.since, query.until):
                out[rowid] += t.date_boost * unit
            elif not candidate.published:
                out[rowid] += t.unknown_share * t.date_boost * unit
    return out


def _within(published: Sequence[str], since: str | None, until: str | None) -> bool:
    """Whether one of the dates (the article's, its copies') is within since..until (inclusive)."""
    return any((since is None or d[:10] >= since[:10]) and (until is None or d[:10] <= until[:10]) for d in published)


def _best_of_queries(per_query: Sequence[Mapping[int, float]], part_weight: float) -> dict[int, float]:
    """A chunk's best score over the question and its parts (parts weighted `part_weight`), plus a
    hundredth of the sum, so among equals a chunk serving several parts wins."""
    best: dict[int, float] = {}
    total: dict[int, float] = {}
    for i, scores in enumerate(per_query):
        weight = 1.0 if i == 0 else part_weight
        for rowid, value in scores.items():
            best[rowid] = max(best.get(rowid, float("-inf")), weight * value)
            total[rowid] = total.get(rowid, 0.0) + value
    return {r: v + 0.01 * total[r] for r, v in best.items()}


def _article_scores(chunk_scores: Mapping[int, float], candidates: Mapping[int, _Candidate]) -> dict[str, float]:
    """An article scores as its best chunk."""
    return {a: chunk_scores[r] for a, r in _best_chunk_of(chunk_scores, candidates).items()}


def _best_chunk_of(chunk_scores: Mapping[int, float], candidates: Mapping[int, _Candidate]) -> dict[str, int]:
    """Article id -> the rowid of its best-scoring chunk."""
    best: dict[str, int] = {}
    for rowid, value in chunk_scores.items():
        candidate = candidates.get(rowid)
        if candidate is not None and (candidate.article_id not in best or value > chunk_scores[best[candidate.article_id]]):
            best[candidate.article_id] = rowid
    return best


def _article_order(
    per_query: Sequence[Mapping[int, float]],
    overall: Mapping[int, float],
    candidates: Mapping[int, _Candidate],
    hints: QueryHints,
    tuning: Tuning,
) -> list[str]:
    """Articles best first; with coverage on, the best article of each part and of each named
    outlet comes right after the overall best (so a comparison gets evidence for each side)."""
    best = _article_scores(overall, candidates)
    ranked = sorted(best, key=lambda a: best[a], reverse=True)
    if not ranked or not tuning.coverage:
        return ranked
    order = [ranked[0]]
    for scores in per_query[1:]:
        part_best = _article_scores(scores, candidates)
        top = max(part_best, key=lambda a: part_best[a], default=None)
        if top is not None and top not in order:
            order.append(top)
    outlets_of = {c.article_id: c.outlets for c in candidates.values()}
    for outlet in hints.outlets:
        if not any(outlet in outlets_of.get(a, ()) for a in order):
            match = next((a for a in ranked if outlet in outlets_of.get(a, ())), None)
            if match is not None:
                order.append(match)
    order.extend(a for a in ranked if a not in order)
    return order


def _passage_order(
    article_order: Sequence[str], overall: Mapping[int, float], candidates: Mapping[int, _Candidate], k: int,
    keyword_found: AbstractSet[int] = frozenset(),
) -> list[int]:
    """Chunk rowids: each article's best chunk in article order. An article's next chunk follows
    its best at once when it scores nearly as well (the story goes on there); other extra chunks
    come after every article's best one (or ahead of weak matches, below), up to
    MAX_CHUNKS_PER_ARTICLE per article."""
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
        for nth, rowid in enumerate(rest):
            beside = nth == 0 and overall[rowid] >= SECOND_CHUNK_RATIO * overall[best]
            (chosen if beside else later).append(rowid)
    merged = _extras_ahead_of_vector_only(chosen, later, overall, keyword_found)
    return _first_k_keeping_strong_extras(merged, set(later), overall, k)


def _first_k_keeping_strong_extras(merged: list[int], extras: AbstractSet[int], overall: Mapping[int, float],
                                   k: int) -> list[int]:
    """The first k of `merged`, except that an extra chunk below the cut replaces the weakest
    article's best chunk above it that it outscores FAR_AHEAD times over; the rest keep their
    order, and the extra comes last."""
    kept = merged[:k]
    for rowid in merged[k:]:
        if rowid not in extras:
            continue
        weak = [r for r in kept if r not in extras and FAR_AHEAD * overall[r] < overall[rowid]]
        if weak:
            kept.remove(min(weak, key=lambda r: overall[r]))
            kept.append(rowid)
    return kept


def _extras_ahead_of_vector_only(chosen: list[int], later: list[int], overall: Mapping[int, float],
                                 keyword_found: AbstractSet[int]) -> list[int]:
    """`chosen` then `later`, except that a later chunk (an article's 2nd or 3rd) moves ahead of
    the chosen chunks that the keyword search did not find and that score below it: a match by
    vectors alone from another story (the Wagner articles, for a question about the spill) should not keep
    out the rest of the best article ("Whitcombe ... disputed the agency's figures", in its 3rd
    chunk). Each list keeps its own order."""
    merged = list(chosen)
    floor = 0  # a later chunk never goes ahead of the one before it
    for rowid in later:
        weak = next((i for i in range(floor, len(merged))
                     if merged[i] not in keyword_found and overall[merged[i]] < overall[rowid]), len(merged))
        merged.insert(weak, rowid)
        floor = weak + 1
    return merged


def _plus(ranking: Sequence[tuple[int, float]], extra: Mapping[int, float]) -> tuple[tuple[int, float], ...]:
    """A keyword ranking with `extra` added to each chunk's score (a chunk it lacked joins it
    when its extra is positive), best first."""
    scores = dict(ranking)
    for rowid, value in extra.items():
        if value > 0 or rowid in scores:
            scores[rowid] = scores.get(rowid, 0.0) + value
    return tuple(sorted(scores.items(), key=lambda item: item[1], reverse=True))


def _by_chunk_id(by_row: Mapping[int, float], candidates: Mapping[int, _Candidate]) -> dict[str, float]:
    """Keyed by chunk id, which callers know (rowids are internal to the index)."""
    return {candidates[r].chunk_id: s for r, s in by_row.items() if r in candidates}
