"""Segment stage: sentences with character offsets, then sentence-aligned chunks.

Everything here is rule based (regular expressions and small word lists) so that ingest can
segment tens of thousands of sentences per second without any model.

Sentence rules, in order:
- A line break is a paragraph break and always ends a sentence, except in hard-wrapped text:
  when the line before it has no closing punctuation and the next line starts with a lower-case
  letter, the break is read as a space.
- Inside a paragraph a sentence ends after ".", "?", "!" or "…" (runs of them too), followed by any
  closing quotes or brackets, followed by white space, followed by something that can start a
  sentence (an upper-case letter, a digit, an opening quote or bracket). So `“Yes?” he asked.`
  and `“...,” he said.` stay one sentence.
- A short quotation of several sentences followed by its attribution is one sentence:
  `“We won. We will keep winning,” he added.` Split inside the quote, its pieces would be a quote
  fragment with an unbalanced mark and a sentence whose attribution has lost what was said. Longer
  quotes (over `_MAX_KEPT_QUOTE_CHARS`) and quotes nobody is said to have said are split as usual.
- A "." after a known abbreviation does not end a sentence. Titles ("Mr.", "Gen.", "Sen.") never
  end one; abbreviations that often close a sentence ("U.S.", "Inc.", "p.m.", "Jan.") end one
  only when the next word is a common sentence opener ("The", "He", "But", ...) or a quote opens.
  A single capital letter with a dot is an initial ("E. Prigozhin") and never ends a sentence.
- Decimals ("3.5"), URLs and dotted numbers never contain white space after the dot, so they are
  never candidates.

Chunk rules: see `make_chunks`.
"""

from __future__ import annotations

import logging
import re
from typing import Sequence

from .records import Chunk, Sentence

log = logging.getLogger(__name__)

# Abbreviations that are followed by a name or a number: a dot after them never ends a sentence.
_NEVER_FINAL = frozenset(
    """
    mr mrs ms mx dr prof gen lt col maj capt cpt sgt cpl pvt adm cmdr cdr brig sen rep gov pres
    rev hon fr sr jr supt insp det atty amb sec secy messrs mmes mme mlle dept vs v cf approx
    fig figs vol vols pp ca est
    """.split()
)
# Abbreviations that often close a sentence too ("... founded the company in Jan. The ...").
_MAYBE_FINAL = frozenset(
    """
    inc co corp ltd llc plc bros st ave blvd rd mt ft etc al univ
    jan feb mar apr jun jul aug sep sept oct nov dec
    mon tue tues wed thu thurs fri sat sun
    """.split()
)
# Words that commonly open a sentence: after a "maybe final" abbreviation they mean a new sentence.
_SENTENCE_OPENERS = frozenset(
    """
    the a an he she it they we i you his her its their our my your this that these those there
    here but and or so yet in on at for after before when while as if although though however
    meanwhile still also then now what who why how where which some many most several no not
    officials police authorities according last earlier later on during since until despite
    one two three both all each every such
    """.split()
)

# A candidate end: closing punctuation, then closing quotes/brackets, then white space.
_CANDIDATE_END = re.compile(r"[.?!…]+[\"'”’»)\]]*(?=\s)")
# The word (with inner dots) right before a final dot: "U.S", "Mr", "a.m", "E".
_WORD_BEFORE_DOT = re.compile(r"([A-Za-z](?:[A-Za-z.]*[A-Za-z])?)\.$")
_DOTTED_ACRONYM = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")
_OPENING_CHARS = "\"'“‘«([¿¡"
_LINE_BREAK = re.compile(r"[ \t]*\r?\n[ \t\r\n]*")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r]*\n")
_ANY_LINE_BREAK = re.compile(r"\n")
_CLOSING_PUNCTUATION = ".?!…:;\"'”’»)]"
# `“Why now?” Peskov asked.`: a quote closed by "?", "!" or "." and followed by a short name
# and a speech verb is one sentence, not two.
_QUOTE_CLOSERS = "\"'”’»"
_NAME_THEN_SPEECH_VERB = re.compile(
    r"\s*(?:[A-Z][\w'’.-]*\s+){1,4}(?:asked|said|says|asks|added|adds|told|wrote|replied|"
    r"insisted|continued|shouted|declared|wondered|exclaimed)\b\s*[.,:;]"
)


_DOUBLE_QUOTE = re.compile("[“”\"]")
# A quotation kept whole with its attribution is at most this long (open to close mark): a few
# sentences. A longer one is split as usual, so a straight quote mark left unpaired by a typo
# cannot glue a paragraph together.
_MAX_KEPT_QUOTE_CHARS = 400


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries as (start, end) offsets into `text`, trimmed of white space."""
    spans: list[tuple[int, int]] = []
    for block_start, block_end in _paragraph_blocks(text):
        spans.extend(_sentences_in_block(text, block_start, block_end))
    return spans


def split_sentences(article_id: str, text: str) -> tuple[Sentence, ...]:
    """The article's sentences as records; `sentence.text == text[start:end]`."""
    return tuple(
        Sentence(article_id=article_id, index=index, start=start, end=end, text=text[start:end])
        for index, (start, end) in enumerate(sentence_spans(text))
    )


def _paragraph_blocks(text: str) -> list[tuple[int, int]]:
    """Spans of text between line breaks, with hard-wrapped lines joined back together."""
    blocks: list[tuple[int, int]] = []
    block_start = 0
    for match in _LINE_BREAK.finditer(text):
        if _is_hard_wrap(text, match.start(), match.end(), match.group()):
            continue
        blocks.append((block_start, match.start()))
        block_start = match.end()
    blocks.append((block_start, len(text)))
    return [(start, end) for start, end in blocks if text[start:end].strip()]


def _is_hard_wrap(text: str, break_start: int, break_end: int, line_break: str) -> bool:
    """A single line break inside a sentence: no closing punctuation before, lower case after."""
    if line_break.count("\n") > 1 or break_start == 0 or break_end >= len(text):
        return False
    return text[break_start - 1] not in _CLOSING_PUNCTUATION and text[break_end].islower()


def _sentences_in_block(text: str, block_start: int, block_end: int) -> list[tuple[int, int]]:
    block = text[block_start:block_end]
    kept_quotes = _attributed_quotes(block)
    spans: list[tuple[int, int]] = []
    sentence_start = 0
    for match in _CANDIDATE_END.finditer(block):
        if _inside_any(match.start(), kept_quotes):
            continue
        if _ends_sentence(block, match):
            spans.append(_trimmed(block_start, block, sentence_start, match.end()))
            sentence_start = match.end()
    spans.append(_trimmed(block_start, block, sentence_start, len(block)))
    return [(start, end) for start, end in spans if end > start]


def _attributed_quotes(block: str) -> list[tuple[int, int]]:
    """(open, close) offsets of the short quotations in `block` that an attribution follows.

    Curly marks pair by shape, straight ones alternate, as in the attribute stage."""
    quotes: list[tuple[int, int]] = []
    curly_open: int | None = None
    straight_open: int | None = None
    for match in _DOUBLE_QUOTE.finditer(block):
        index, mark = match.start(), match.group()
        opened: int | None = None
        if mark == "“":
            curly_open = index
        elif mark == "”" and curly_open is not None:
            opened, curly_open = curly_open, None
        elif mark == '"':
            if straight_open is None:
                straight_open = index
            else:
                opened, straight_open = straight_open, None
        if opened is not None and index - opened <= _MAX_KEPT_QUOTE_CHARS and (
            _attribution_follows(block, index)
        ):
            quotes.append((opened, index))
    return quotes


def _attribution_follows(block: str, close: int) -> bool:
    """`...,” he said` / `...?” she asked` / `...!” Peskov said`: the quote is someone's."""
    if close == 0:
        return False
    before = block[close - 1]
    if before == ",":
        return True
    if before not in ".?!…":
        return False
    following = _next_word(block, close + 1)
    if following and following[0].islower():
        return True
    return bool(_NAME_THEN_SPEECH_VERB.match(block, close + 1))


def _inside_any(position: int, quotes: list[tuple[int, int]]) -> bool:
    # A paragraph holds a handful of quotes: a linear scan is cheaper than keeping an index.
    return any(opened < position < close for opened, close in quotes)


def _trimmed(offset: int, block: str, start: int, end: int) -> tuple[int, int]:
    while start < end and block[start].isspace():
        start += 1
    while end > start and block[end - 1].isspace():
        end -= 1
    return offset + start, offset + end


def _ends_sentence(block: str, match: re.Match[str]) -> bool:
    next_word = _next_word(block, match.end())
    if not next_word:
        return False  # only white space follows inside this block: the block end closes it
    first = next_word[0]
    if not (first.isupper() or first.isdigit() or first in _OPENING_CHARS):
        return False  # "“Yes?” he asked." / "etc. and" / "... and then"
    punctuation = match.group()
    if punctuation[-1] in _QUOTE_CLOSERS and _NAME_THEN_SPEECH_VERB.match(block, match.end()):
        return False
    if punctuation.startswith(".") and len(punctuation) == 1:
        return _dot_ends_sentence(block, match.start(), next_word)
    return True


def _dot_ends_sentence(block: str, dot: int, next_word: str) -> bool:
    """Whether a single "." ends the sentence, given the word before it and the next word."""
    before = _WORD_BEFORE_DOT.search(block, max(0, dot - 40), dot + 1)
    if before is None:
        return True  # "... 2023." or "...)." : nothing abbreviation-like before the dot
    word = before.group(1)
    lowered = word.lower()
    if len(word) == 1 and word.isupper():
        return False  # an initial: "E. Prigozhin", "George W. Bush"
    if lowered in _NEVER_FINAL:
        return False
    if word in ("No", "Nos") and next_word[0].isdigit():
        return False  # "No. 10", but "said no. Then"
    if lowered in _MAYBE_FINAL or _DOTTED_ACRONYM.match(word):
        return _opens_sentence(next_word)
    return True


def _opens_sentence(word: str) -> bool:
    if word[0] in _OPENING_CHARS:
        return True
    return word.strip(".,;:!?").lower() in _SENTENCE_OPENERS


def _next_word(block: str, position: int) -> str:
    rest = block[position : position + 40].lstrip()
    return rest.split(maxsplit=1)[0] if rest else ""


# ---------------------------------------------------------------------------------------------
# Chunks


def make_chunks(
    article_id: str,
    text: str,
    sentences: Sequence[Sentence],
    max_chars: int,
    overlap_sentences: int,
) -> tuple[Chunk, ...]:
    """Sentence-aligned chunks of consecutive sentences.

    - A chunk's span (first sentence start to last sentence end) is at most `max_chars`, unless a
      single sentence is longer: then that sentence is a chunk alone (never split mid-sentence).
    - Consecutive chunks share the last `overlap_sentences` sentences of the earlier chunk, as
      many of them as fit: every chunk holds at least one sentence the previous chunk did not
      (so chunking always advances), and overlap sentences are dropped, oldest first, when they
      would push the chunk's first new sentence past `max_chars`.
    - Paragraphs: once a chunk is at least half of `max_chars`, it is closed at a paragraph break
      rather than taking in the start of the next paragraph; chunks then read as coherent units.
      (A chunk smaller than half still grows across paragraph breaks: tiny chunks retrieve badly.)
    """
    if max_chars < 1:
        raise ValueError(f"chunk max_chars must be at least 1, got {max_chars}")
    overlap_sentences = max(0, overlap_sentences)
    paragraph_break = _paragraph_break_pattern(text)
    chunks: list[Chunk] = []
    first = 0  # index of the first sentence of the chunk being built
    first_new = 0  # index of the first sentence not in the previous chunk
    while first_new < len(sentences):
        first = _first_with_overlap(sentences, first, first_new, max_chars)
        last = _last_sentence(text, sentences, first, first_new, max_chars, paragraph_break)
        start, end = sentences[first].start, sentences[last].end
        chunks.append(
            Chunk(
                id=f"{article_id}:{len(chunks)}",
                article_id=article_id,
                index=len(chunks),
                start=start,
                end=end,
                text=text[start:end],
            )
        )
        first_new = last + 1
        first = max(first_new - overlap_sentences, 0)
    return tuple(chunks)


def _first_with_overlap(
    sentences: Sequence[Sentence], first: int, first_new: int, max_chars: int
) -> int:
    """Drop overlap sentences until the first new sentence fits (or no overlap is left)."""
    while first < first_new and sentences[first_new].end - sentences[first].start > max_chars:
        first += 1
    return first


def _last_sentence(
    text: str,
    sentences: Sequence[Sentence],
    first: int,
    first_new: int,
    max_chars: int,
    paragraph_break: re.Pattern[str],
) -> int:
    """Index of the last sentence of a chunk starting at `first` (at least `first_new`)."""
    last = first_new
    start = sentences[first].start
    while last + 1 < len(sentences):
        following = sentences[last + 1]
        if following.end - start > max_chars:
            break
        half_full = sentences[last].end - start >= max_chars / 2
        if half_full and paragraph_break.search(text, sentences[last].end, following.start):
            break
        last += 1
    return last


def _paragraph_break_pattern(text: str) -> re.Pattern[str]:
    """Blank lines mark paragraphs when the text has any; otherwise every line break does.

    Cleaned news text usually puts one line break between paragraphs; text that uses blank lines
    may be hard-wrapped, and then a single line break says nothing about paragraphs.
    """
    return _PARAGRAPH_BREAK if _PARAGRAPH_BREAK.search(text) else _ANY_LINE_BREAK
