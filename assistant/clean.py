"""The clean stage: normalised text with news boilerplate taken out.

The cleaned text is what is stored, chunked and cited, so this stage decides the character offsets
every citation points into. It is deliberately conservative: a line is removed only when it is a
whole line of a known boilerplate kind (and short), because dropping a line of reporting is worse
than keeping a promo. Every removed line is returned in `CleanText.removed` for audit.

Text shape after cleaning: Unicode NFC; zero-width, bidi and control characters removed (except
the zero-width joiner/non-joiner, which change spelling in Persian, Indic scripts and emoji); every
run of spaces and tabs is one space; one line per paragraph, paragraphs separated by one blank
line. A text whose lines were hard-wrapped at a fixed width (email, terminal: see `wrap_width`) has
the lines of each paragraph joined with a space; a paragraph ends at a blank line, a list item or a
line that is short for the width. In any other text (one paragraph per line) lines are joined only
when the break is clearly mid-sentence (the next line starts in lower case, or the line ends with a
comma or a dash). Quotes and apostrophes are kept as written: curly quotes are real text.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Sequence

from .records import CleanText

logger = logging.getLogger(__name__)

# ------------------------------------------------------------------------- character normalising

_KEPT_FORMAT_CHARS = {"\u200c", "\u200d"}  # zero-width non-joiner / joiner: part of spelling
_LINE_BREAKS = {
    "\r\n": "\n", "\r": "\n", "\x85": "\n", "\x0b": "\n", "\u2028": "\n",  # line breaks
    "\u2029": "\n\n", "\x0c": "\n\n",  # paragraph separator, form feed
}
_LINE_BREAK_PATTERN = re.compile("|".join(re.escape(key) for key in _LINE_BREAKS))


def normalize_characters(text: str) -> str:
    """NFC; Unicode line breaks as "\\n"; invisible formatting and control characters out;
    every Unicode space (no-break, thin, ideographic ...) and tab as a plain space."""
    text = unicodedata.normalize("NFC", text)
    text = _LINE_BREAK_PATTERN.sub(lambda match: _LINE_BREAKS[match.group(0)], text)
    # str.translate looks every character up in C; only a character not seen before calls Python.
    return text.translate(_CHARACTER_TABLE)


class _CharacterTable(dict):
    """Code point -> what normalize_characters makes of it, filled in on first sight."""

    def __missing__(self, code: int) -> str | None:
        character = chr(code)
        category = unicodedata.category(character)
        if character == "\n":
            replacement: str | None = character
        elif character == "\t" or category == "Zs":
            replacement = " "
        elif category == "Cc" or (category == "Cf" and character not in _KEPT_FORMAT_CHARS):
            replacement = None  # control characters, zero-width space, soft hyphen, BOM, bidi marks
        else:
            replacement = character
        self[code] = replacement
        return replacement


_CHARACTER_TABLE = _CharacterTable()


def _collapse_spaces(line: str) -> str:
    return re.sub(r" {2,}", " ", line).strip()


# -------------------------------------------------------------------------------- boilerplate

# Whole lines (compared in lower case, trailing ":" or "." ignored) that are page furniture.
_FURNITURE_LINES = frozenset(
    {
        "advertisement", "advertisements", "ad", "sponsored", "sponsored content",
        "story continues below advertisement", "story continues below",
        "article continues below advertisement", "continue reading", "continue reading below",
        "continue reading the main story", "skip advertisement", "share", "share this",
        "share this article", "share this story", "share this post", "share on facebook",
        "share on twitter", "share on x", "tweet", "email", "print", "copy link", "link copied",
        "comments", "read more", "related", "related stories", "related articles",
        "recommended", "most read", "listen to this article", "play video", "all rights reserved",
    }
)

_Rule = tuple[str, re.Pattern[str], int]  # (kind, pattern searched in the line, max words)


def _rule(kind: str, pattern: str, max_words: int) -> _Rule:
    return kind, re.compile(pattern, re.IGNORECASE), max_words


_RULES: tuple[_Rule, ...] = (
    # App and alert promos: "CLICK HERE TO GET THE FOX NEWS APP", "Download the BBC News app".
    _rule("promo", r"^(click|tap) here\b", 25),
    _rule("promo", r"\b(click|tap) here\.?$", 20),
    _rule("promo", r"^(download|get) (the|our) .{0,60}\bapps?\b", 20),
    # Newsletters and subscriptions.
    _rule("promo", r"^sign up (for|to|here|now|today)\b", 30),
    _rule("promo", r"^subscribe (to|now|today|for|here)\b", 25),
    _rule("promo", r"^(get|receive) (our|the) .{0,60}\bnewsletters?\b", 25),
    # Social: "Follow us on Twitter", "Follow Northbank Daily on Twitter @NorthbankDaily".
    _rule(
        "social",
        r"^follow (us|@\w+|[^.!?\"“”]{1,60}?) (on|at) "
        r"(twitter|x|facebook|instagram|threads|bluesky|tiktok|linkedin|youtube|telegram|whatsapp"
        r"|google news)\b",
        20,
    ),
    _rule("social", r"^share (this|on|via)\b", 8),
    # Links to other stories: "Read more: ...", "RELATED: ...".
    _rule(
        "link",
        r"^(read more|read also|also read|read next|more|related|see also|watch|listen)\s*[:|]\s*\S",
        30,
    ),
    # Update notes.
    _rule("update note", r"^this is an? (developing|breaking)( news)? story\b", 30),
    _rule("update note", r"^this is an? (developing|breaking)( news)? situation\b.*\bupdate[sd]?\b", 30),
    _rule("update note", r"^this (story|article|report) (is developing|will be updated)\b", 30),
    _rule("update note", r"^check back (later |soon )?for (further |more )?updates\b", 20),
    # Contributor and editing credits.
    _rule(
        "credit",
        r"\bcontributed (reporting )?(to|for) this (report|story|article)(\s+from\s+[^.]{1,60})?\.?$",
        30,
    ),
    _rule("credit", r"\bcontributed reporting(\s+from\s+[^.]{1,60})?\.?$", 20),
    _rule("credit", r"^\(?additional reporting by\b", 40),
    _rule("credit", r"^\(?(reporting|writing|compiled) by\b.*(\b(editing|writing) by\b|;)", 40),
    _rule("credit", r"^\(?editing by\b", 20),
    # Photo credits and captions that end with one.
    _rule(
        "photo credit",
        r"^\(?(photo|photograph|image|picture|video|illustration)s?( credit)?\s*(by|:)\s",
        20,
    ),
    _rule(
        "photo credit",
        r"^\([^()]{0,100}/\s*(getty images|reuters|afp|epa|ap|shutterstock|alamy|bloomberg)\)$",
        20,
    ),
    _rule("photo credit", r"^\((ap photo|getty images|reuters|afp)[^()]{0,100}\)$", 20),
    _rule("photo credit", r"\((photo by|ap photo/|afp via getty|getty images)[^()]{0,100}\)$", 40),
    # Copyright footers.
    _rule("copyright", r"^(copyright|©)\s*(©\s*)?(\(c\)\s*)?\d{4}\b", 30),
    _rule("copyright", r"^this material may not be published, broadcast, rewritten,? or redistributed", 20),
)

_SENTENCE_END = tuple('.!?…"”’\')]')
_LEAD_IN_END = ("—", "–", "-", ":", ",", ";")
_WIRE_CREDIT = re.compile(r"\((AP|Reuters|AFP|[A-Z][\w .]{0,30} Wire)\)")
_DOUBLE_QUOTES = ('"', "“", "”", "«", "»", "„")


def boilerplate_kind(line: str) -> str | None:
    """The kind of boilerplate a whole line is ("promo", "credit", ...), or None for text."""
    lowered = line.lower().rstrip(" .:")
    if lowered in _FURNITURE_LINES:
        return "furniture"
    words = len(line.split())
    for kind, pattern, max_words in _RULES:
        if words <= max_words and pattern.search(line):
            return kind
    return None


def _is_caps_headline(lines: Sequence[str], index: int) -> bool:
    """An ALL-CAPS headline standing alone between paragraphs (a cross-promotion link).

    Not an all-caps dateline ("KYIV, Ukraine (AP) —" has lower case, "WASHINGTON —" ends with a
    dash), not a short acronym line ("NATO", "U.S. AND EU"), not a shouted quote, not the first
    line (that is the article's own headline or kicker).
    """
    line = lines[index]
    letters = sum(map(str.isalpha, line))  # map over str methods: counted in C, every line is tested
    if letters < 20 or len(line.split()) < 4:
        return False
    if sum(map(str.islower, line)) > letters * 0.05:
        return False
    if line.endswith(_LEAD_IN_END) or line.endswith(".") or _WIRE_CREDIT.search(line):
        return False
    if any(quote in line for quote in _DOUBLE_QUOTES):
        return False
    previous = _neighbour(lines, index, -1)
    if previous is None:
        return False  # first line of the text
    if previous and not previous.endswith(_SENTENCE_END):
        return False  # the paragraph before has not ended: this line is part of it
    following = _neighbour(lines, index, +1)
    if following and following[0].islower():
        return False  # the next line continues it
    return True


def _neighbour(lines: Sequence[str], index: int, step: int) -> str | None:
    """The adjacent line ("" when a blank line separates them), None at the start or end."""
    position = index + step
    if not 0 <= position < len(lines):
        return None
    if lines[position]:
        return lines[position]
    while 0 <= position < len(lines) and not lines[position]:
        position += step
    return "" if 0 <= position < len(lines) else None


# ------------------------------------------------------------------------------------ paragraphs


def _continues(line: str, following: str) -> bool:
    """Whether `following` continues `line` (a hard-wrapped paragraph), not a new paragraph."""
    if not line or not following:
        return False
    if line.endswith((",", "—", "–")) and not boilerplate_kind(following):
        return True
    return following[0].islower() and not line.endswith(_SENTENCE_END)


def _join(line: str, following: str) -> str:
    if line.endswith("-") and not line.endswith(" -"):
        return line + following  # "well-" + "known": keep the hyphen, no space
    return f"{line} {following}"


# Hard-wrapped text (email, terminal, `fmt`): every line of a paragraph but the last is filled up to
# about the same width, and few of those lines happen to end a sentence. Text with one paragraph
# per line looks different: line lengths vary with the paragraphs and nearly every line ends one.
_MIN_WRAP_WIDTH = 40  # narrower "paragraphs" are lists of short lines, not wrapped prose
_MAX_WRAP_WIDTH = 120  # wider lines were not wrapped by anyone
_FULL_SLACK = 0.9  # a line within 10% of the width is full: people and tools wrap a little early
_MIN_WRAPPED_SHARE = 0.5
_ENDS_SENTENCE = re.compile(r"[.!?…][\"”’')\]]*$")  # not a closing quote alone: 'this,"' goes on
_LIST_ITEM = re.compile(r"^(?:[-*+•]|\(?\d{1,3}[.)]|[a-z][.)])\s")  # "- ", "• ", "2. ", "(a) "


def wrap_width(lines: Sequence[str]) -> int | None:
    """The width a hard-wrapped text was wrapped at, or None when it is not hard-wrapped.

    Judged on the lines followed by another line of the same paragraph block: at least half must
    be full (the next line's first word would not have fit after them at the width of the longest
    line) and end mid-sentence. A paragraph's last line, short or ending a sentence, is neither.
    """
    pairs = [
        (line, following) for line, following in zip(lines, lines[1:])
        if line and following and not _LIST_ITEM.match(following)  # a list item starts a line anyway
    ]
    if not pairs:
        return None  # every paragraph is one line already
    # The longest line is as long as the width allows (one-line paragraphs included).
    width = max((len(line) for line in lines if len(line) <= _MAX_WRAP_WIDTH), default=0)
    if width < _MIN_WRAP_WIDTH:
        return None
    wrapped = sum(
        _is_full(line, following, width) and not _ENDS_SENTENCE.search(line) for line, following in pairs
    )
    return width if wrapped >= _MIN_WRAPPED_SHARE * len(pairs) else None


def _is_full(line: str, following: str, width: int) -> bool:
    """Whether the first word of `following` would not have fit at the end of `line`."""
    if len(line) > width:
        return False  # longer than the wrapping width: a line nobody wrapped
    first_word = following.split(" ", 1)[0]
    return len(line) + 1 + len(first_word) > width * _FULL_SLACK


def _wrapped_continues(line: str, following: str, width: int) -> bool:
    """In hard-wrapped text: a full line runs on into the next; a short one ends its paragraph
    (a title, a byline, the last line of a paragraph) unless the break is clearly mid-sentence."""
    if _LIST_ITEM.match(following):
        return False
    return _is_full(line, following, width) or _continues(line, following)


def _paragraphs(lines: Sequence[str]) -> list[str]:
    width = wrap_width(lines)
    paragraphs: list[str] = []
    current = ""
    previous = ""  # the last line added to `current`: its length says whether it was full
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
        elif current and width and _wrapped_continues(previous, line, width):
            current = _join(current, line)
        elif current and not width and _continues(current, line):
            current = _join(current, line)
        else:
            if current:
                paragraphs.append(current)
            current = line
        previous = line
    if current:
        paragraphs.append(current)
    return paragraphs


# ----------------------------------------------------------------------------------------- entry


def clean_text(body: str) -> CleanText:
    """Normalised article text with boilerplate lines removed (and recorded in `removed`)."""
    lines = [_collapse_spaces(line) for line in normalize_characters(body).split("\n")]
    kept: list[str] = []
    removed: list[str] = []
    for index, line in enumerate(lines):
        kind = boilerplate_kind(line) if line else None
        if kind is None and line and _is_caps_headline(lines, index):
            kind = "all-caps headline"
        if kind:
            logger.debug("removed %s line: %r", kind, line)
            removed.append(line)
        else:
            kept.append(line)
    return CleanText(text="\n\n".join(_paragraphs(kept)), removed=tuple(removed))


