"""Keyword scoring of our own: BM25 over statistics the records keep, the same on every backend.

The keyword engines (SQLite FTS5 embedded, Milvus' BM25 function scale-out) only *find*
candidates. Each used to tokenise and score its own way (FTS5: its Porter tokenizer, which leaves
words under 3 letters alone and stems "assembly" like "assembled", classic IDF; Milvus: its
analyzer, Lucene's IDF), so the same question found and ranked passages differently on the two
backends and answers changed after `newsdesk migrate`. Now both index our terms (`terms()`,
space-separated, with no stemmer of their own), so they find the same chunks, and every candidate
is scored with one formula over one set of statistics (`bm25_terms`: chunks holding each term, plus the number of
chunks and their total length), kept by the index stage in the same transaction as the chunks.

Terms: lower-case words (`\\w+`), Porter-stemmed (PyStemmer),
the article title included (it is part of every chunk's keyword text). A chunk's length is its
whitespace-separated words. Scoring is Okapi BM25 with Lucene's IDF,
ln(1 + (N - df + 0.5) / (df + 0.5)), which stays positive for common words.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import Stemmer

K1 = 1.2  # term-frequency saturation (the usual value; FTS5's and Lucene's default too)
B = 0.75  # length normalisation

_WORD = re.compile(r"\w+", re.UNICODE)
_STEMMERS = threading.local()  # a PyStemmer object must not be used by two threads at once


_STEMS: dict[str, str] = {}  # word -> stem; a plain dict: scoring looks up ~100 words per chunk
_STEMS_MAX = 500_000


def stem(word: str) -> str:
    """The term a (lower-case) word counts as."""
    term = _STEMS.get(word)
    if term is None:
        term = _stemmer().stemWord(word) or word  # ("s" would stem to nothing)
        if len(_STEMS) < _STEMS_MAX:
            _STEMS[word] = term
    return term


def _stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_STEMMERS, "porter", None)
    if stemmer is None:
        stemmer = _STEMMERS.porter = Stemmer.Stemmer("porter")
    return stemmer


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def terms(text: str) -> list[str]:
    """Every term of `text`, in order, repeats kept."""
    return [stem(w) for w in _words(text)]


def length(text: str) -> int:
    """A chunk's length for BM25: its whitespace-separated words (cheap to count at query time;
    the statistics count the same way)."""
    return len(text.split())


@dataclass(frozen=True)
class TermStats:
    """Corpus statistics for scoring: chunks, their total length (bm25.length), and for the
    terms asked about, how many chunks hold each."""

    chunks: int
    tokens: int
    holding: Mapping[str, int] = field(default_factory=dict)

    @property
    def average_length(self) -> float:
        return self.tokens / self.chunks if self.chunks else 1.0

    def idf(self, term: str) -> float:
        held = self.holding.get(term, 0)
        return math.log(1.0 + (self.chunks - held + 0.5) / (held + 0.5))


class TermTally:
    """A running change to the statistics: chunks added (+1) or removed (-1), their terms, and
    per term how many of those chunks hold it. Mutable on purpose: one write adds thousands of
    chunks, and copying the tally per article would cost more than counting."""

    def __init__(self) -> None:
        self.chunks = 0
        self.tokens = 0
        self.holding: Counter[str] = Counter()

    def add(self, texts: Iterable[str], sign: int = 1) -> "TermTally":
        for text in texts:
            self.add_chunk(terms(text), length(text), sign)
        return self

    def add_chunk(self, chunk_terms: Sequence[str], chunk_length: int, sign: int = 1) -> None:
        """One chunk whose terms (bm25.terms) and length (bm25.length) are already known."""
        self.chunks += sign
        self.tokens += sign * chunk_length
        for term in set(chunk_terms):
            self.holding[term] += sign

    def changes(self) -> dict[str, int]:
        """Per term, the change in chunks holding it (terms whose count did not change left out)."""
        return {t: n for t, n in self.holding.items() if n}

    @property
    def empty(self) -> bool:
        return not self.chunks and not self.tokens and not self.changes()


def query_terms(words: Sequence[str]) -> list[str]:
    """The distinct terms of a query's words, in order (two words with one stem count once)."""
    return list(dict.fromkeys(stem(w.lower()) for w in words))


def score(query: Sequence[str], text: str, stats: TermStats) -> float:
    """BM25 of one chunk text for distinct query terms."""
    return _scorer(query, stats)(text)


def _scorer(query: Sequence[str], stats: TermStats):
    wanted = frozenset(query)
    if not wanted:
        return lambda text: 0.0
    # Porter only rewrites a word's ending: its first letter stays. So only the words starting
    # like a query term are found and stemmed (scoring ~80 candidates is most of a search's cost).
    initials = "".join(sorted({re.escape(term[:1]) for term in wanted}))
    candidates = re.compile(rf"(?<!\w)[{initials}]\w*", re.UNICODE)
    idf = {term: stats.idf(term) for term in wanted}
    average = stats.average_length

    def scored(text: str) -> float:
        frequency: Counter[str] = Counter()
        for word in candidates.findall(text.lower()):
            term = stem(word)
            if term in wanted:
                frequency[term] += 1
        if not frequency:
            return 0.0
        norm = K1 * (1.0 - B + B * length(text) / average)
        return sum(idf[t] * tf * (K1 + 1.0) / (tf + norm) for t, tf in frequency.items())

    return scored


def ranked(query: Sequence[str], texts: Mapping[int, str], stats: TermStats, k: int) -> list[tuple[int, float]]:
    """(rowid, score) of the k best-scoring texts holding a query term, best first; ties by rowid
    so both backends order them alike."""
    scorer = _scorer(query, stats)
    scored = [(rowid, scorer(text)) for rowid, text in texts.items()]
    scored = [(r, s) for r, s in scored if s > 0.0]
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored[:k]
