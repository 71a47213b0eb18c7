"""The bridging name: a second look for questions that ask for a name without saying it.

"Which company, reported by TechCrunch to X, is also said by The Verge to Y?" draws each clause
from a different article, and what ties those articles together is the answer ("Google"), which
the question never writes. Searched on its own, a clause such as "faced challenges managing two
companies" matches many stories; with the name added it matches the one about that name.

So, for a question that asks for a name (Which/Who/What ...) and has several clauses, the
Retriever ranks once, takes the names written in the best passages of its top articles, and
when one name recurs across them (and the question does not already hold it) searches again
with that name added to the question and to each clause (their words; their vectors are moved
toward the name's vector, so only the name is encoded). Measured on MultiHop-RAG
(docs/quality.md): all its evidence in the top 10 for 0.86 of the inference questions, 0.80
without.

The runner-up name (the second most shared) is not searched for: it only re-ranks the articles
below the first SECOND_NAME_BELOW, through its keyword score in the candidates already found.
Searched for, or ranking from the top, it lowered all_evidence@4; below the top four it finds
more of the evidence (all_evidence@10 0.880 -> 0.89 on MultiHop-RAG).

Names are found with rules: runs of capitalised words, without the function words that open
sentences ("The", "But", "What"; a day or "All" only where the run opens a sentence, so "the All
Blacks" and "Sunday Night Football" stay whole), and without runs whose every word the passages
also write in lower case ("Best", "Week": a sentence opener, not a name). No model, well under a
millisecond.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from typing import Sequence

import numpy as np

from .query import QueryHints

BRIDGE_ARTICLES = 5  # the top articles whose best passages are read for the name
MIN_ARTICLES = 2  # a bridging name is written in at least this many of them
SECOND_NAME_BELOW = 4  # the runner-up name re-ranks only the articles below this many
NAME_WEIGHT = 0.6  # how far the second search's vectors move toward the name's (MultiHop-RAG: 0.3 to 0.6 alike)

_ASKS_FOR_A_NAME = re.compile(r"^\W*(?:which|who|whose|whom|what)\b", re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][\w'’-]+(?:[ \t]+[A-Z][\w'’-]+)*")  # a line break ends a name (title, text)
_POSSESSIVE = re.compile(r"['’]s?$")
# Capitalised because they open a sentence (or are titles): stripped from the front of a name,
# and never a name of their own. "Judge Lewis Kaplan" is searched as "Lewis Kaplan".
_OPENERS = frozenset(
    "a an the in on at for but and or if when while it he she they we i you this that these those "
    "his her their its our my your as after before during since until however still also according "
    "with without from by to of about over under into around across against among between "
    "mr mrs ms dr sir what who which whose whom where why how there here so then than now today "
    "yesterday tomorrow not no yes "
    "ceo cfo cto coo chief executive president chairman judge prosecutors senator governor".split()
)
# Capitalised at the start of a sentence, but inside one they belong to a name ("the All Blacks",
# "on Sunday Night Football"): stripped only from a name that opens a sentence.
_SENTENCE_OPENERS = frozenset(
    "last next first one two three four five six some many most more all any both each every "
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june "
    "july august september october november december".split()
)
_SENTENCE_END = re.compile(r"(?:^|[.!?:;\n])[\s\"'“‘(\[—–-]*$")


def asks_for_a_name(question: str) -> bool:
    """Whether the question asks which/who/what something is (its answer is a name)."""
    return bool(_ASKS_FOR_A_NAME.match(question))


def names_in(text: str) -> set[str]:
    """Runs of capitalised words in `text`, without leading sentence openers and possessives."""
    names = set()
    for match in _NAME.finditer(text):
        words = _POSSESSIVE.sub("", match.group(0).replace("’", "'")).split()
        opens_sentence = bool(_SENTENCE_END.search(text[max(0, match.start() - 20):match.start()]))
        while words and (words[0].lower() in _OPENERS or (opens_sentence and words[0].lower() in _SENTENCE_OPENERS)):
            words = words[1:]
        if words and not all(w.lower() in _OPENERS or w.lower() in _SENTENCE_OPENERS for w in words):
            names.add(" ".join(words))
    return names


def _lower_case_words(passages: Sequence[str]) -> set[str]:
    """Words the passages write in lower case: a capitalised run made only of them is a common
    phrase in a sentence opener or a headline ("With", "Best", "Lineup Decisions"), not a name."""
    return {w for text in passages for w in re.findall(r"\b[a-z][\w'-]*", text.replace("’", "'"))}


def bridging_name(question: str, passages: Sequence[str], min_articles: int = MIN_ARTICLES) -> str | None:
    """The name written in the most of `passages` (one per article; at least `min_articles`),
    none of whose words the question holds; the longer name on a tie. None if there is none."""
    asked = {w.lower() for w in re.findall(r"[\w'’-]+", question.replace("’", "'"))}
    counts = Counter(name for text in passages for name in names_in(text))
    common = _lower_case_words(passages)
    candidates = [
        (count, len(name), name)
        for name, count in counts.items()
        if count >= min_articles
        and not any(w.lower() in asked for w in name.split())
        and not all(w.lower() in common for w in name.split())
    ]
    if not candidates:
        return None
    return max(candidates)[2]


def bridging_names(question: str, passages: Sequence[str], most: int = 2) -> tuple[str, ...]:
    """Up to `most` bridging names, best first: each one shares no word with the question or
    the names before it."""
    names: list[str] = []
    while len(names) < most:
        name = bridging_name(" ".join([question, *names]), passages)
        if name is None:
            break
        names.append(name)
    return tuple(names)


def with_bridge(question: str, hints: QueryHints, name: str) -> QueryHints:
    """`hints` whose question and clauses are searched with `name` added."""
    parts = tuple(dataclasses.replace(p, search_text=f"{p.search_text or p.text} {name}") for p in hints.parts)
    return dataclasses.replace(hints, parts=parts, search_text=f"{hints.search_text or question} {name}", bridge=name)


def toward_name(vectors: np.ndarray, name_vector: np.ndarray, weight: float = NAME_WEIGHT) -> np.ndarray:
    """Each (normalised) vector plus `weight` times the name's, normalised again."""
    moved = np.asarray(vectors, dtype=np.float32) + weight * np.asarray(name_vector, dtype=np.float32)
    norms = np.linalg.norm(moved, axis=1, keepdims=True)
    return moved / np.where(norms > 0, norms, 1.0)
