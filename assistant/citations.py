"""Citation checking for LLM answers: parse `[n]` markers, verify support, renumber, point to spans.

An LLM's `[n]` markers are claims, not facts. This module turns a raw model answer into text whose
every shown citation is (1) a passage that was really given to the model, (2) a passage whose text
supports the sentence that cites it, and (3) an exact character span of the stored article text.

Rules (all pure functions, no model):
- A marker is `[n]`, `[n, m]`, `[n-m]` (a range) or `[Passage n]` / `[Source n]`. Markers whose
  numbers are out of range, and malformed ones (`[1a]`, `[]`, `[n]`, `[^2]`, an unclosed `[3`), are
  removed. Markers between two sentences ("... denied it. [1] The ...") belong to the sentence
  before them.
- A sentence is supported when at least SUPPORT_THRESHOLD of its content words (lower-cased,
  lightly stemmed, stopwords and speech verbs left out) occur in the passages it cites, and every
  number and capitalised name in it occurs there too. Unsupported and uncited sentences keep their
  text but lose their markers and get a visible flag; they never show a citation.
- Article sentences that address a language model ("ignore previous instructions ...") are never
  evidence, so an answer that obeyed one is flagged rather than cited.
- Each kept citation points to the sentence of the cited chunk that best supports the answer
  sentence; citations are numbered 1..n in order of first use, one number per distinct span.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal, Sequence

from .records import Citation, Passage
from .segment import sentence_spans

log = logging.getLogger(__name__)

# Share of an answer sentence's content words that must occur in the passages it cites.
# 0.6 lets a model paraphrase lightly ("the ministry denied the reports" against "The Defense
# Ministry on Tuesday denied reports ...") and rejects sentences that add most of their content.
SUPPORT_THRESHOLD = 0.6
# A passage cited next to others must carry at least this share of the sentence by itself, or its
# marker is dropped (a model often appends every passage number it saw).
CONTRIBUTION_THRESHOLD = 0.25

UNSUPPORTED_FLAG = "⚠ unsupported"
UNCITED_FLAG = "⚠ unsupported (no source cited)"

Status = Literal["supported", "unsupported", "uncited"]

# `[3]`, `[1, 2]`, `[1-3]`, `[Passage 2]`, `[source 4]`.
_VALID_MARKER = re.compile(
    r"\[\s*(?:(?:passage|source|ref)\s*#?\s*)?(\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*)\s*\]", re.IGNORECASE
)
# Bracketed text that is a failed attempt at a citation: starts with a digit, is empty, is a
# placeholder ("n", "x", "?", "citation needed"), a footnote (`[^2]`), or is an unclosed `[3`.
_MALFORMED_MARKER = re.compile(
    r"\[\s*(?:\d[^\[\]\n]{0,20}|\^\s*\d{1,3}|[nx?]|(?:citation|source|passage|ref)[^\[\]\n]{0,20}|)\s*\]"
    r"|\[\d{1,3}(?![\d\]])",
    re.IGNORECASE,
)
_ANY_MARKER = re.compile(f"(?:{_VALID_MARKER.pattern})|(?:{_MALFORMED_MARKER.pattern})", re.IGNORECASE)

# Sentences in an article that address a language model ("ignore previous instructions ..."). They
# are never evidence: a model that obeyed one must not get the obeyed sentence marked as sourced.
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.?!\n]{0,40}\b(?:instructions?|prompts?|rules|guidelines)\b"
    r"|\b(?:system prompt|you are now|as an ai\b|language model\b|new instructions)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+(?:[’'.,][^\W_]+)*", re.UNICODE)
_HAS_DIGIT = re.compile(r"\d")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+([.,;:!?])")
_MULTIPLE_SPACES = re.compile(r"[ \t]{2,}")

# Function words and speech verbs: they say nothing about whether a passage supports a claim
# ("said" and "stated" are interchangeable in a paraphrase).
_STOPWORDS = frozenset(
    """
    a an the and or but nor so yet if then than that this these those there here of in on at to
    for from by with without about into onto over under after before during since until as per
    via is are was were be been being am do does did done has have had having will would shall
    should can could may might must it its it's he she they them their theirs his her hers him we
    us our you your i me my who whom whose which what when where why how not no also just only
    very too more most much many some any all both each every other such own same again further
    once while whereas although though however according s
    said say says saying stated states told tell tells added adds noted notes reported reports
    announced claimed claims
    """.split()
)


@dataclass(frozen=True)
class Marker:
    """One bracketed marker in the raw answer, located in the marker-free text."""

    position: int  # offset in the marker-free text where the marker stood
    numbers: tuple[int, ...]  # in-range passage numbers (1-based); empty when malformed/out of range
    raw: str


@dataclass(frozen=True)
class Support:
    coverage: float  # share of the sentence's content words found in the evidence
    missing: tuple[str, ...]  # numbers and names of the sentence absent from the evidence

    def passes(self, threshold: float = SUPPORT_THRESHOLD) -> bool:
        return self.coverage >= threshold and not self.missing


@dataclass(frozen=True)
class CheckedSentence:
    text: str  # the sentence as shown (renumbered markers or a flag)
    claim: str  # the sentence without markers
    cited: tuple[int, ...]  # passage numbers (1-based, in range) the model cited
    status: Status
    support: Support | None  # None when nothing was cited


@dataclass(frozen=True)
class VerifiedAnswer:
    text: str
    citations: tuple[Citation, ...]
    sentences: tuple[CheckedSentence, ...]

    @property
    def supported_count(self) -> int:
        return sum(1 for sentence in self.sentences if sentence.status == "supported")


# ---------------------------------------------------------------------------- markers


def strip_markers(text: str, passage_count: int) -> tuple[str, list[Marker]]:
    """The text without any marker, and the markers with their positions in that text.

    The white space before a marker goes with it, so "denied it [1]." becomes "denied it.".
    """
    pieces: list[str] = []
    markers: list[Marker] = []
    cursor = 0
    length = 0
    for match in _ANY_MARKER.finditer(text):
        before = text[cursor:match.start()].rstrip(" \t")
        pieces.append(before)
        length += len(before)
        markers.append(Marker(length, _marker_numbers(match.group(0), passage_count), match.group(0)))
        cursor = match.end()
    pieces.append(text[cursor:])
    dropped = [marker.raw for marker in markers if not marker.numbers]
    if dropped:
        log.info("removed %d malformed or out-of-range citation marker(s): %s", len(dropped), dropped)
    return "".join(pieces), markers


def _marker_numbers(raw: str, passage_count: int) -> tuple[int, ...]:
    """The in-range numbers a marker names, in written order, without repeats."""
    match = _VALID_MARKER.fullmatch(raw)
    if not match:
        return ()
    numbers: list[int] = []
    for part in re.split(r"\s*[,;]\s*", match.group(1)):
        bounds = [int(value) for value in re.split(r"\s*[–-]\s*", part)]
        low, high = bounds[0], bounds[-1]
        if len(bounds) > 2 or high < low or high - low > 20:
            return ()  # "[1-2-3]", "[5-2]", "[1-999]": not a citation anyone meant
        numbers.extend(range(low, high + 1))
    in_range = [number for number in numbers if 1 <= number <= passage_count]
    return tuple(dict.fromkeys(in_range))


def assign_markers(spans: Sequence[tuple[int, int]], markers: Sequence[Marker]) -> list[list[Marker]]:
    """Markers per sentence: inside a sentence's span (end included) or, between sentences, the
    sentence before. Markers before the first sentence belong to the first."""
    per_sentence: list[list[Marker]] = [[] for _ in spans]
    if not spans:
        return per_sentence
    for marker in markers:
        owner = 0
        for index, (start, _end) in enumerate(spans):
            if start < marker.position:
                owner = index
        per_sentence[owner].append(marker)
    return per_sentence


# ---------------------------------------------------------------------------- support


def _stem(word: str) -> str:
    """A light English stem: "denied"/"denies"/"deny", "reports"/"reported"/"report" and
    "closes"/"closed"/"close" each share one stem. Numbers lose their thousands commas."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if _HAS_DIGIT.search(word):
        return word.replace(",", "")
    if len(word) >= 5 and word.endswith(("ies", "ied")):
        return word[:-3] + "y"
    if len(word) >= 5 and word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith("ed") and len(word) >= 5:
        return word[:-2]  # "closed" -> "clos", "agreed" -> "agre": like "close"/"agree" below
    if word.endswith("ing") and len(word) >= 6:
        word = word[:-3]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) >= 4:
        word = word[:-1]
    return word[:-1] if len(word) >= 4 and word.endswith("e") else word


def _words(text: str) -> list[str]:
    return [word.strip(".,'’") for word in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    """Stems of the words that carry content (no stopwords, no speech verbs), in order."""
    stems = [_stem(word) for word in _words(text) if word.lower() not in _STOPWORDS]
    return [stem for stem in stems if stem and stem not in _STOPWORDS]


def required_tokens(text: str) -> list[str]:
    """Numbers and capitalised names: a supported sentence may not add or change any of them."""
    required: list[str] = []
    for index, word in enumerate(_words(text)):
        if _HAS_DIGIT.search(word):
            required.append(_stem(word))
        # The first word is capitalised by position, not because it is a name (it still counts
        # towards coverage).
        elif index > 0 and word[:1].isupper() and word.lower() not in _STOPWORDS:
            required.append(_stem(word))
    return list(dict.fromkeys(required))


def looks_like_injection(sentence: str) -> bool:
    """True for text that speaks to a language model rather than reporting news."""
    return bool(_INJECTION.search(sentence))


def evidence_sentences(chunk_text: str) -> list[tuple[int, int]]:
    """The sentence spans of a chunk that can support a claim (injected instructions left out)."""
    spans = sentence_spans(chunk_text) or [(0, len(chunk_text))]
    return [(start, end) for start, end in spans if not looks_like_injection(chunk_text[start:end])]


def evidence_text(chunk_text: str) -> str:
    return "\n".join(chunk_text[start:end] for start, end in evidence_sentences(chunk_text))


def support(claim: str, evidence: str) -> Support:
    """How well `evidence` (passage text) supports `claim` (one answer sentence without markers)."""
    claim_words = content_words(claim)
    evidence_words = set(content_words(evidence)) | set(_stem(word) for word in _words(evidence))
    if not claim_words:
        return Support(0.0, ())
    found = sum(1 for word in claim_words if word in evidence_words)
    missing = tuple(token for token in required_tokens(claim) if token not in evidence_words)
    return Support(found / len(claim_words), missing)


def best_sentence_span(claim: str, chunk_text: str) -> tuple[int, int]:
    """The span (offsets into `chunk_text`) of the chunk sentence that best supports `claim`.

    Best means the highest share of the claim's content words; ties go to the earlier sentence.
    """
    spans = evidence_sentences(chunk_text) or [(0, len(chunk_text))]
    scored = [(support(claim, chunk_text[start:end]).coverage, -start, (start, end)) for start, end in spans]
    return max(scored)[2]


# ---------------------------------------------------------------------------- the whole answer


def verify_answer(
    raw: str,
    passages: Sequence[Passage],
    threshold: float = SUPPORT_THRESHOLD,
    unsupported: Literal["flag", "drop"] = "flag",
) -> VerifiedAnswer:
    """Check a model answer against the numbered passages it was given (passage n is passages[n-1]).

    Returns the text to show, with markers renumbered 1..k in order of first use, and the
    citations those numbers name. Unsupported and uncited sentences are flagged (or dropped).
    """
    clean, markers = strip_markers(raw, len(passages))
    spans = sentence_spans(clean)
    per_sentence = assign_markers(spans, markers)
    numbering: dict[tuple[str, int, int], Citation] = {}
    checked: list[CheckedSentence] = []
    rebuilt: list[str | None] = []
    for (start, end), sentence_markers in zip(spans, per_sentence):
        sentence = _check_sentence(clean, start, end, sentence_markers, passages, numbering, threshold)
        checked.append(sentence)
        keep = sentence.status == "supported" or unsupported == "flag"
        rebuilt.append(sentence.text if keep else None)
    text = _join_sentences(clean, spans, rebuilt)
    citations = tuple(sorted(numbering.values(), key=lambda citation: citation.number))
    return VerifiedAnswer(text=text, citations=citations, sentences=tuple(checked))


def _check_sentence(
    clean: str,
    start: int,
    end: int,
    markers: Sequence[Marker],
    passages: Sequence[Passage],
    numbering: dict[tuple[str, int, int], Citation],
    threshold: float,
) -> CheckedSentence:
    claim = _tidy(clean[start:end])
    cited = tuple(dict.fromkeys(number for marker in markers for number in marker.numbers))
    if not cited:
        return CheckedSentence(f"{claim} {UNCITED_FLAG}", claim, (), "uncited", None)
    evidence = "\n".join(evidence_text(passages[number - 1].chunk.text) for number in cited)
    result = support(claim, evidence)
    contributing = [number for number in cited if _contributes(claim, passages[number - 1], len(cited))]
    if not result.passes(threshold) or not contributing:
        log.info("unsupported answer sentence (coverage %.2f, missing %s): %r", result.coverage, result.missing, claim)
        return CheckedSentence(f"{claim} {UNSUPPORTED_FLAG}", claim, cited, "unsupported", result)
    new_numbers = {number: _citation_for(claim, passages[number - 1], numbering).number for number in contributing}
    text = _insert_markers(clean, start, end, markers, new_numbers)
    return CheckedSentence(text, claim, cited, "supported", result)


def _contributes(claim: str, passage: Passage, cited_count: int) -> bool:
    """A lone citation always counts (support was checked); one of several must carry a share."""
    return cited_count == 1 or support(claim, evidence_text(passage.chunk.text)).coverage >= CONTRIBUTION_THRESHOLD


def _citation_for(claim: str, passage: Passage, numbering: dict[tuple[str, int, int], Citation]) -> Citation:
    """The citation (existing or new, next number) for the chunk sentence that best supports claim."""
    chunk = passage.chunk
    relative_start, relative_end = best_sentence_span(claim, chunk.text)
    key = (chunk.article_id, chunk.start + relative_start, chunk.start + relative_end)
    if key not in numbering:
        numbering[key] = Citation(
            number=len(numbering) + 1,
            article=passage.article,
            start=key[1],
            end=key[2],
            text=chunk.text[relative_start:relative_end],  # == article text[start:end]
        )
    return numbering[key]


def _insert_markers(
    clean: str, start: int, end: int, markers: Sequence[Marker], new_numbers: dict[int, int]
) -> str:
    """The sentence with its markers renumbered where the model put them (or at its end)."""
    pieces: list[str] = []
    cursor = start
    written: set[int] = set()
    for marker in sorted(markers, key=lambda item: item.position):
        labels = [new_numbers[number] for number in marker.numbers if number in new_numbers]
        labels = [label for label in dict.fromkeys(labels) if label not in written]
        if not labels:
            continue
        # Markers between sentences or before this one's start go to its end.
        position = marker.position if start <= marker.position <= end else end
        position = max(position, cursor)
        # "[1][2]" stays together; a marker after text gets a space before it.
        follows_marker = bool(written) and position == cursor
        pieces.append(clean[cursor:position])
        pieces.append(("" if follows_marker else " ") + "".join(f"[{label}]" for label in labels))
        written.update(labels)
        cursor = position
    pieces.append(clean[cursor:end])
    return _tidy("".join(pieces))


def _tidy(text: str) -> str:
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    return _MULTIPLE_SPACES.sub(" ", text).strip()


def _join_sentences(clean: str, spans: Sequence[tuple[int, int]], rebuilt: Sequence[str | None]) -> str:
    """Sentences back together, keeping the model's paragraph and list breaks between them."""
    pieces: list[str] = []
    for index, ((start, _end), text) in enumerate(zip(spans, rebuilt)):
        if text is None:
            continue
        if pieces:
            gap = clean[spans[index - 1][1]:start]
            pieces.append("\n\n" if "\n\n" in gap else "\n" if "\n" in gap else " ")
        pieces.append(text)
    return "".join(pieces).strip()


__all__ = [
    "CONTRIBUTION_THRESHOLD",
    "CheckedSentence",
    "Marker",
    "SUPPORT_THRESHOLD",
    "Support",
    "UNCITED_FLAG",
    "UNSUPPORTED_FLAG",
    "VerifiedAnswer",
    "assign_markers",
    "best_sentence_span",
    "content_words",
    "evidence_sentences",
    "evidence_text",
    "looks_like_injection",
    "required_tokens",
    "strip_markers",
    "support",
    "verify_answer",
]
