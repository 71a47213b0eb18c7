"""Answerability: does the coverage answer this question, or should Newsdesk say it does not?

An extractive engine always finds *some* sentences; showing them as an answer when the coverage
is silent is the worst thing it can do. The decision uses signals that are cheap at query time:

- how similar the best sentence and the best chunk are to the question (dense cosine), and how
  much of the question's wording the best evidence holds ("support");
- outlets the question names that the index has no article from ("according to Bloomberg"):
  decisive when the index knows the outlet of (nearly) every article, otherwise a doubt that
  refuses unless support is strong;
- names the question relies on that appear nowhere in the coverage (one FTS lookup per name):
  a doubt that refuses unless support is strong.

The thresholds were calibrated on MultiHop-RAG (Tang & Yang 2024, ODC-BY 1.0): its 301 null
queries must be refused, its 2,255 answerable ones must not be. `calibrate()` re-runs that
measurement so anyone can check it (`newsdesk eval` calls it).
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .answer_evidence import QUESTION_WORDS, STOPWORDS, content_stems, words
from .errors import InputError
from .index import Index

log = logging.getLogger(__name__)

NOT_ANSWERED = "The coverage does not answer this question."

# Calibrated on MultiHop-RAG (see module docstring and `calibrate`). Support is the weighted
# similarity of the best evidence (Signals.support); answerable queries have a median of ~0.54,
# null queries ~0.35.
MIN_SUPPORT = 0.36  # below this nothing in the coverage says it: refuse
# A name the question relies on that no article contains, or an outlet the index has no article
# from, is evidence too, but not proof (a name may be spelled differently, an article's outlet may
# be unknown): they refuse when support is also middling.
MIN_SUPPORT_WITH_MISSING_NAMES = 0.45
MIN_SUPPORT_WITH_UNKNOWN_OUTLET = 0.50
MAX_MISSING_NAMES = 0.5  # share of the question's names absent from the whole coverage
# An outlet missing from an index whose articles nearly all carry their outlet is decisive.
COMPLETE_OUTLET_METADATA = 0.9


@dataclass(frozen=True)
class Signals:
    """What the answerability decision looked at (kept for the eval report and for tuning)."""

    best_sentence: float = 0.0  # cosine of the best sentence with the question
    best_chunk: float = 0.0  # cosine of the best retrieved chunk with the question
    coverage: float = 0.0  # weighted share of question words found in the best evidence
    names: tuple[str, ...] = ()  # names the question relies on
    missing_names: tuple[str, ...] = ()  # of those, the ones nowhere in the coverage
    unknown_outlets: tuple[str, ...] = ()  # outlets named in the question with no article here
    outlet_metadata: float = 1.0  # share of the index's articles whose outlet is known

    @property
    def support(self) -> float:
        """One number: how well the best evidence matches the question (0..1)."""
        return 0.55 * self.best_sentence + 0.25 * self.best_chunk + 0.20 * self.coverage


@dataclass(frozen=True)
class Answerability:
    answerable: bool
    reason: str  # a sentence for the user when not answerable; "" otherwise
    signals: Signals = field(default_factory=Signals)


def decide(signals: Signals) -> Answerability:
    """The rule: weak evidence refuses; a missing outlet or name refuses unless the evidence is strong."""
    support = signals.support
    if signals.unknown_outlets and (signals.outlet_metadata >= COMPLETE_OUTLET_METADATA
                                    or support < MIN_SUPPORT_WITH_UNKNOWN_OUTLET):
        names = _join(signals.unknown_outlets)
        return Answerability(False, f"{NOT_ANSWERED} The coverage has no articles from {names}.", signals)
    missing_share = len(signals.missing_names) / len(signals.names) if signals.names else 0.0
    if missing_share >= MAX_MISSING_NAMES and support < MIN_SUPPORT_WITH_MISSING_NAMES:
        missing = _join(f"“{n}”" for n in signals.missing_names[:3])
        return Answerability(False, f"{NOT_ANSWERED} No article mentions {missing}.", signals)
    if support < MIN_SUPPORT:
        return Answerability(False, f"{NOT_ANSWERED} These are the closest passages.", signals)
    return Answerability(True, "", signals)


def _join(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


# ----------------------------------------------------------------------------- outlets named


# Words that make a capitalised name an outlet rather than a person or an agency.
MEDIA_WORDS = frozenset(
    """
    news times post journal herald tribune daily weekly magazine wire radio tv television press
    review chronicle gazette telegraph guardian observer independent standard mail express mirror
    bloomberg reuters cnn bbc npr nbc cbs abc fox msnbc cnbc espn ap afp politico axios verge
    techcrunch wired engadget mashable economist forbes fortune insider atlantic monitor globe
    sun star hindu today channel network networks blog media broadcasting jazeera associated
    """.split()
)
_NAME = r"((?:The\s+)?[A-Z][\w&.'’-]*(?:\s+(?:of|the|and|&|for|de|-|–|\|)?\s*[A-Z][\w&.'’-]*){0,5})"
_STRONG_OUTLET_PATTERNS = [
    # "an article from The Verge", "a report by Bloomberg", "a review in Rolling Stone"
    re.compile(r"\b(?:article|report|piece|story|stories|review|coverage|analysis|op-ed|editorial|"
               r"post|column|feature|segment|investigation|interview|profile|article's|report's)s?"
               r"\s+(?:from|by|in|published\s+by|published\s+in)\s+" + _NAME),
    # "as reported by both The Verge and TechCrunch", "published in Fortune"
    re.compile(r"\b(?:reported|published|covered|written|released|noted|stated|highlighted)\s+"
               r"(?:by|in)\s+(?:both\s+)?" + _NAME),
    # "a Bloomberg article", "The Guardian's report"
    re.compile(_NAME + r"(?:'s|’s)?\s+(?:article|report|piece|story|review|coverage|analysis|"
               r"op-ed|editorial|column|investigation|segment|podcast|newsletter)s?\b"),
]
_WEAK_OUTLET_PATTERN = re.compile(r"\baccording\s+to\s+(?:an?\s+|the\s+)?" + _NAME)
_GENERIC_NAME_WORDS = frozenset(
    {"the", "a", "an", "both", "each", "this", "that", "which", "what", "another", "one", "two",
     "first", "second", "recent", "latest", "same", "separate", "news", "an", "its", "their"}
    | {m.lower() for m in ("January February March April May June July August September October "
                          "November December Monday Tuesday Wednesday Thursday Friday Saturday "
                          "Sunday").split()}
)
# Question openers a name pattern may pick up: "Did The Age report ..." -> "The Age".
_LEADING_AUXILIARY = re.compile(r"^(?:Did|Does|Do|Is|Was|Were|Has|Have|Had|According|Both|Which|What|"
                                r"While|Although|After|Before|Between|Considering|Based)\s+")


def outlets_named(question: str) -> list[str]:
    """Outlet names a question cites as its sources ("according to a Bloomberg article")."""
    found: list[tuple[int, str]] = []  # (position, name): reported in the order they are named
    for pattern in _STRONG_OUTLET_PATTERNS:
        for match in pattern.finditer(question):
            found.extend((match.start(1), name) for name in _split_names(match.group(1)))
    for match in _WEAK_OUTLET_PATTERN.finditer(question):
        for name in _split_names(match.group(1)):
            if any(w in MEDIA_WORDS for w in name.lower().replace("'", " ").split()):
                found.append((match.start(1), name))
    cleaned = []
    for _, name in sorted(found, key=lambda f: f[0]):
        name = re.sub(r"(?:'s|’s|')$", "", name.strip(" .,;:-–|"))
        name = _LEADING_AUXILIARY.sub("", name)
        if name and name.lower() not in _GENERIC_NAME_WORDS and name[:1].isupper():
            cleaned.append(name)
    return list(dict.fromkeys(cleaned))


def _split_names(text: str) -> list[str]:
    """"The Verge and TechCrunch" -> ["The Verge", "TechCrunch"]."""
    parts = re.split(r"\s+(?:and|or)\s+|,\s*", text)
    return [p.strip() for p in parts if p.strip()]


def _squash(name: str) -> str:
    name = name.lower()
    name = re.sub(r"^the\s+", "", name)
    return re.sub(r"[^a-z0-9]", "", name)


def outlet_known(name: str, known_outlets: Sequence[str]) -> bool:
    """Loose match: "BBC" ~ "BBC News - Entertainment & Arts", "Fox News" ~ "FOX News - Health",
    "CBS Sports" ~ "CBSSports.com"."""
    wanted = _squash(name)
    if len(wanted) < 2:
        return True  # too short to judge: do not refuse on it
    for outlet in known_outlets:
        have = _squash(outlet)
        if not have:
            continue
        if wanted == have or have.startswith(wanted) or wanted.startswith(have):
            return True
        if len(wanted) >= 4 and wanted in have:
            return True
        # An outlet labelled "(fictional)" or with a section suffix: compare the first words.
        first = _squash(re.split(r"\s+[-–|(]\s*", outlet)[0])
        if first and (wanted == first or (len(first) >= 4 and first in wanted)):
            return True
    return False


def unknown_outlets(question: str, known_outlets: Sequence[str]) -> tuple[str, ...]:
    if not known_outlets:
        return ()  # coverage without outlet metadata: cannot judge
    return tuple(name for name in outlets_named(question) if not outlet_known(name, known_outlets))


# ----------------------------------------------------------------------------- names used


def names_in(question: str, skip: Iterable[str] = ()) -> list[str]:
    """Capitalised words a question relies on (not its first word, outlets or framing words)."""
    skip_words = {w.lower() for name in skip for w in words(name)}
    names: list[str] = []
    for match in re.finditer(r"[A-Za-z][\w'’-]*", question):
        token = match.group()
        if match.start() == 0 or not token[:1].isupper():
            continue
        lowered = words(token)
        if not lowered:
            continue
        word = lowered[0]
        if word in STOPWORDS or word in QUESTION_WORDS or word in skip_words or len(word) < 3:
            continue
        if word in _CALENDAR_WORDS:  # "on 15 March": a date, matched against publication dates
            continue
        if _sentence_start(question, match.start()):
            continue
        names.append(re.sub(r"(?:'s|’s)$", "", token))
    return list(dict.fromkeys(names))


_CALENDAR_WORDS = frozenset(
    "january february march april may june july august september october november december jan feb mar "
    "apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday".split()
)


def _sentence_start(text: str, position: int) -> bool:
    before = text[:position].rstrip()
    return not before or before[-1] in ".?!:\"“"


def missing_from_coverage(index: Index, names: Sequence[str]) -> list[str]:
    """Names that no chunk of the index contains (one cheap FTS5 lookup each)."""
    return [n for n in names if not index.search_bm25(n.lower(), 1)]


# ----------------------------------------------------------------------------- coverage


def coverage(question: str, evidence_texts: Sequence[str]) -> float:
    """Share of the question's content words found in the evidence (longer words weigh more)."""
    stems = [s for s in dict.fromkeys(content_stems(question, QUESTION_WORDS))]
    if not stems:
        return 0.0
    found = set()
    for text in evidence_texts:
        found.update(content_stems(text))
    weight = lambda s: min(len(s), 8)  # noqa: E731 - long words are more telling than short ones
    total = sum(weight(s) for s in stems)
    return sum(weight(s) for s in stems if s in found) / total


def gather_signals(
    index: Index,
    question: str,
    known_outlets: Sequence[str],
    best_sentence: float,
    best_chunk: float,
    evidence_texts: Sequence[str],
    outlet_metadata: float = 1.0,
) -> Signals:
    named_outlets = outlets_named(question)
    names = names_in(question, skip=[*named_outlets, *known_outlets])
    return Signals(
        best_sentence=best_sentence,
        best_chunk=best_chunk,
        coverage=coverage(question, evidence_texts),
        names=tuple(names),
        missing_names=tuple(missing_from_coverage(index, names)),
        unknown_outlets=unknown_outlets(question, known_outlets),
        outlet_metadata=outlet_metadata,
    )


# ----------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class RefusalReport:
    null_queries: int
    null_refused: int
    answerable_queries: int
    answerable_refused: int
    seconds: float
    by_reason: dict = field(default_factory=dict)
    signals: tuple = ()  # (is_null, Signals) per query, to try other thresholds without re-running

    @property
    def null_refused_rate(self) -> float:
        return self.null_refused / self.null_queries if self.null_queries else 0.0

    @property
    def answerable_refused_rate(self) -> float:
        return self.answerable_refused / self.answerable_queries if self.answerable_queries else 0.0

    def summary(self) -> str:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(self.by_reason.items()))
        return (
            f"null queries refused: {self.null_refused}/{self.null_queries} "
            f"({self.null_refused_rate:.1%}); answerable queries refused: "
            f"{self.answerable_refused}/{self.answerable_queries} ({self.answerable_refused_rate:.1%}) "
            f"[{reasons}]; {self.seconds:.0f} s"
        )


def load_queries(folder: str | Path, limit: int | None = None) -> list[dict]:
    """MultiHop-RAG queries.jsonl: id, query, question_type (null_query = not answerable).
    With `limit`, every n-th query, so the null/answerable mix is kept."""
    path = Path(folder) / "queries.jsonl"
    if not path.is_file():
        raise InputError(str(path), "not found: expected the MultiHop-RAG queries.jsonl there")
    queries = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                record["query"], record["question_type"]  # noqa: B018 - presence check
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(str(path), f"not a MultiHop-RAG query ({exc.__class__.__name__})",
                                 f"line {number}") from None
            queries.append(record)
    if limit:
        step = max(1, len(queries) // limit)
        queries = queries[::step][:limit]
    return queries


def calibrate(index: Index, embedder, settings, folder: str | Path, limit: int | None = None,
              progress=None, rule=None) -> RefusalReport:
    """Refusal rates on MultiHop-RAG: its null queries should be refused, the others answered.

    `index` must hold the MultiHop-RAG articles (ingest `articles.jsonl` from `folder`). Each
    query goes through the ask-mode answerability check of the extractive engine. `rule` (default
    `decide`) can be swapped to try other thresholds on the signals of a previous report:
    `rescore(report, rule)`.
    """
    from .answer import AnswerEngine  # the engine imports this module

    started = time.perf_counter()
    engine = AnswerEngine(index, embedder, settings)
    queries = load_queries(folder, limit)
    collected = []
    for done, query in enumerate(queries, start=1):
        verdict = engine.answerability(query["query"])
        collected.append((query.get("question_type") == "null_query", verdict.signals))
        if progress:
            progress(done, len(queries))
    return rescore(collected, rule or decide, time.perf_counter() - started)


def rescore(signals, rule=None, seconds: float = 0.0) -> RefusalReport:
    """Count refusals under `rule` for (is_null, Signals) pairs (a report's `signals`)."""
    rule = rule or decide
    if isinstance(signals, RefusalReport):
        seconds = seconds or signals.seconds
        signals = signals.signals
    counts = {True: [0, 0], False: [0, 0]}
    reasons: dict[str, int] = {}
    for is_null, sig in signals:
        counts[is_null][0] += 1
        verdict = rule(sig)
        if not verdict.answerable:
            counts[is_null][1] += 1
            key = f"{'null' if is_null else 'answerable'}: {_reason_kind(verdict.reason)}"
            reasons[key] = reasons.get(key, 0) + 1
    return RefusalReport(
        null_queries=counts[True][0], null_refused=counts[True][1],
        answerable_queries=counts[False][0], answerable_refused=counts[False][1],
        seconds=seconds, by_reason=reasons, signals=tuple(signals),
    )


def _reason_kind(text: str) -> str:
    if "has no articles from" in text:
        return "unknown outlet"
    if "No article mentions" in text:
        return "missing names"
    return "low similarity"


__all__ = [
    "Answerability", "NOT_ANSWERED", "RefusalReport", "Signals", "calibrate", "decide",
    "gather_signals", "load_queries", "outlets_named", "rescore", "unknown_outlets",
]
