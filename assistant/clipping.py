"""The headline and byline at the top of a plain-text clipping (read stage, .txt/.md files).

A clipping pasted from email or a web page starts with its headline, then a byline:
Council delays vote on Pier 9 lease        <- the title (a short line, a paragraph of its own)
By Mara Quint, Harbor Ledger, 2024-03-20   <- author, outlet, date (also "|" between them)
or a byline spread over lines ("By NAME" / "OUTLET" / "DATE"), "OUTLET — DATE", a date alone
("March 20, 2024") or "Published: ..." / "Updated: ...". Both are metadata, not sentences to
cite, so they leave the body. Reading is conservative: a paragraph is a byline only when each of
its lines is a byline part, up to a story line of its own; anything else stays text ("By
Tuesday, the council had ..." is the story, "MARLOW BEND — The council ..." its dateline).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Sequence

from .normalize import NAME_PARTICLES, is_readable_date


_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_ABBREVIATIONS = frozenset(m[:3] for m in _MONTHS) | {"sept"}
_WEEKDAY_ABBREVIATIONS = frozenset(d[:3] for d in _WEEKDAYS) | {"tues", "thur", "thurs"}
# Words that start a sentence about time or a thing, never a person's name after "By".
_NOT_NAME_WORDS = frozenset(
    {*_MONTHS, *_WEEKDAYS, "the", "this", "that", "then", "now", "late", "early", "noon",
     "midnight", "morning", "evening", "afternoon", "night", "mid", "last", "next", "end", "year",
     "week", "month", "day", "today", "tomorrow", "yesterday", "contrast", "comparison", "far",
     "all", "most", "some", "law", "default", "design", "hand", "chance", "order", "staff"}
)
_ROLE_WORDS = frozenset(
    {"writer", "reporter", "correspondent", "editor", "columnist", "contributor", "staff", "producer"}
)
_OUTLET_CONNECTIVES = frozenset({"of", "the", "and", "&", "on", "for", "de", "la", "le"})
# News agencies that sign a story themselves: "By The Associated Press", "By Reuters". Only these
# (not any capitalised words) make a by-line without a person: "By Design, Not Accident" is a
# headline and "By Tuesday, the council ..." a sentence.
_AGENCIES = frozenset(
    {"the associated press", "associated press", "ap", "reuters", "afp", "agence france-presse", "bloomberg",
     "bloomberg news", "dpa", "upi", "united press international", "pa media", "press association", "efe",
     "ansa", "kyodo news", "xinhua", "tass", "the canadian press", "canadian press", "aap",
     "australian associated press", "reuters staff", "ap staff", "cnn wire"}
)
_YEAR_IN_TEXT = re.compile(r"(?<!\d)(?:1[89]\d\d|2[01]\d\d)(?!\d)")
_DATE_WORDS = frozenset({"at", "on", "of", "the", "am", "pm", "a.m", "p.m", "noon", "midnight"})
_BY_LINE = re.compile(r"^by\s+(?P<rest>\S.*)$", re.IGNORECASE)
# "Published: ...", "Updated March 21, 2024", "Last updated on: ...".
_DATE_LABEL = re.compile(
    r"^(?P<label>(?:first |originally )?published|(?:last )?updated|posted)(?:\s+(?:on|at))?"
    r"(?:\s*:\s*|\s+)(?P<date>\S.*)$",
    re.IGNORECASE,
)
_BYLINE_SEPARATOR = re.compile(r"\s*[|—–·•,]\s*|\s+-\s+")
_OUTLET_DATE_SEPARATOR = re.compile(r"\s+[—–|·-]\s+")
_HEADLINE_MAX_CHARS = 250
_BYLINE_MAX_WORDS = 20
_MAX_BYLINE_PARAGRAPHS = 4
# A headline does not lead into the next line; one that ends with a full stop is written in title
# case ("This Is What Makes His Shot So Special."), while a one-line lead paragraph is a sentence.
_NOT_HEADLINE_ENDINGS = tuple(":;,—–-")
_SENTENCE_ENDINGS = tuple(".…")
_TITLE_CASE_SMALL_WORDS = frozenset(
    {"a", "an", "the", "and", "or", "but", "nor", "of", "in", "on", "at", "to", "for", "by", "with",
     "from", "as", "vs", "vs.", "via", "per"}
)
_TITLE_CASE_SHARE = 0.8


@dataclass
class _Byline:
    """What the byline lines of a clipping say, as written (the ingest normalises it)."""

    author: str | None = None
    outlet: str | None = None
    date: str | None = None
    date_field: str | None = None
    date_rank: int = 99  # which date wins: "Published" 0, a byline's own date 1, "Updated" 2
    lines: list[str] = field(default_factory=list)
    # "By Anna Kowalski, Mark Dunn": the last part reads as a name and as an outlet. It stays the
    # outlet unless a line of its own below names one; then it is the second author.
    outlet_may_be_author: bool = False

    def set_outlet(self, outlet: str) -> bool:
        """Take `outlet` unless one is known for sure; a name-like part taken before joins the authors."""
        if self.outlet is not None and not self.outlet_may_be_author:
            return False
        if self.outlet is not None and self.author:
            self.author = f"{self.author}, {self.outlet}"
        self.outlet, self.outlet_may_be_author = outlet, False
        return True

    def offer_date(self, text: str, field_name: str, rank: int) -> None:
        if rank < self.date_rank:
            self.date, self.date_field, self.date_rank = text, field_name, rank

    def extra(self) -> dict[str, str]:
        """The byline as written, kept as metadata: `newsdesk show` says what left the body."""
        return {"byline": " / ".join(self.lines)} if self.lines else {}


@dataclass(frozen=True)
class ClippingHead:
    title: str
    byline: _Byline
    rest: str


def clipping_head(body: str, want_title: bool, want_byline: bool) -> ClippingHead:
    """The headline line (when `want_title`) and byline lines (when `want_byline`) at the top of
    a plain-text clipping, and the text after them. Unknown shapes are left as text."""
    lines = body.split("\n")
    position = _next_filled_line(lines, 0)
    title = ""
    if want_title and position < len(lines) and _is_headline(lines[position].strip()):
        # The headline is a paragraph of its own, or the byline follows right under it.
        under = position + 1
        if under == _paragraph_end(lines, under) or (want_byline and _byline_at(lines, under, _Byline())):
            title, position = lines[position].strip(), under
    byline = _Byline()
    if want_byline:
        for _ in range(_MAX_BYLINE_PARAGRAPHS):
            start = _next_filled_line(lines, position)
            read = _byline_at(lines, start, byline)
            if read is None:
                break
            byline, position = read
            if position < len(lines) and lines[position].strip():
                break  # the story goes on in the byline's paragraph: it has begun
    rest = "\n".join(lines[position:])
    if not rest.strip():  # a headline or byline with no story after it is the story
        return ClippingHead("", _Byline(), body)
    return ClippingHead(title, byline, rest)


def without_title_line(body: str, title: str) -> str:
    """The body without a first line that repeats the title (front matter added above a pasted
    clipping): the headline is the title, not a sentence to cite."""
    lines = body.split("\n")
    first = _next_filled_line(lines, 0)
    if first < len(lines) and " ".join(lines[first].split()).casefold() == " ".join(title.split()).casefold():
        if "\n".join(lines[first + 1:]).strip():
            return "\n".join(lines[first + 1:])
    return body


def _next_filled_line(lines: Sequence[str], position: int) -> int:
    while position < len(lines) and not lines[position].strip():
        position += 1
    return position


def _paragraph_end(lines: Sequence[str], position: int) -> int:
    while position < len(lines) and lines[position].strip():
        position += 1
    return position


def _is_headline(line: str) -> bool:
    """A short line that does not end like a sentence and is not a byline part."""
    if not line or len(line) > _HEADLINE_MAX_CHARS or not any(c.isalpha() for c in line):
        return False
    ending = line.rstrip("\"'”’»)]")
    if ending.endswith(_NOT_HEADLINE_ENDINGS):
        return False
    if ending.endswith(_SENTENCE_ENDINGS) and not _is_title_case(line):
        return False
    return _byline_at([line], 0, _Byline()) is None


def _is_title_case(line: str) -> bool:
    """Most words capitalised, small words aside: "Which Team Has the Most Daunting Home Field?"."""
    words = [word.strip("\"'“”‘’«»()[]") for word in line.split()]
    words = [word for word in words if word[:1].isalpha() and word.lower() not in _TITLE_CASE_SMALL_WORDS]
    capitalised = sum(word[0].isupper() for word in words)
    return bool(words) and capitalised >= _TITLE_CASE_SHARE * len(words)


def _byline_at(lines: Sequence[str], start: int, before: _Byline) -> tuple[_Byline, int] | None:
    """(`before` with the byline parts of the paragraph at `start` added, where they end), or
    None when its first line is not one. The rest of the paragraph must be byline parts too, or
    the story starting on a line of its own (not a lower-case line running on from the byline)."""
    end = _paragraph_end(lines, start)
    byline = replace(before, lines=list(before.lines))
    previous = None
    for number in range(start, end):
        line = " ".join(lines[number].split())
        part = _read_byline_part(line, byline, after_by_line=previous in ("by", "role"))
        if part is None:
            if number == start or line[:1].islower():
                return None
            return byline, number
        byline.lines.append(line)
        previous = part
    return (byline, end) if end > start else None


def _read_byline_part(line: str, byline: _Byline, after_by_line: bool) -> str | None:
    """Add one line's byline part to `byline` and name its kind ("by", "date", "outlet", "role");
    None, with `byline` unchanged, for a line of other text."""
    if len(line.split()) > _BYLINE_MAX_WORDS:
        return None
    if byline.author is None and _read_by_line(line, byline):
        return "by"
    if _read_date_label(line, byline):
        return "date"
    if _is_date_line(line, lenient=byline.author is not None):
        byline.offer_date(line, "date line", 1)
        return "date"
    if _read_outlet_and_date(line, byline):
        return "outlet"
    if after_by_line and _is_role(line):
        return "role"  # "Staff Writer" under the name: the outlet may follow
    if after_by_line and _is_outlet_name(line) and byline.set_outlet(line):
        return "outlet"
    return None


def _read_by_line(line: str, byline: _Byline) -> bool:
    """"By NAME[, NAME...][, OUTLET][, DATE]" (or with "|" between the parts) into `byline`; also
    "By AGENCY[, DATE]" ("By The Associated Press")."""
    match = _BY_LINE.match(line)
    if not match:
        return False
    parts = [part for part in _BYLINE_SEPARATOR.split(match.group("rest")) if part]
    if not parts:
        return False
    rest = [part for part in parts[1:] if not _is_role(part)]
    date_start = _date_suffix_start(rest)
    named, date_parts = rest[:date_start], rest[date_start:]
    if parts[0].lower() in _AGENCIES and not named:
        byline.outlet = byline.outlet or parts[0]
    elif _is_names(parts[0]):
        authors = [parts[0]]
        while len(named) > 1 and _is_names(named[0]):  # "By A, B, Outlet": the names before the outlet
            authors.append(named.pop(0))
        if len(named) > 1 or not all(_is_outlet_name(outlet) for outlet in named):
            return False
        byline.author = ", ".join(authors)
        if named and byline.outlet is None:
            byline.outlet, byline.outlet_may_be_author = named[0], _is_names(named[0])
    else:
        return False
    if date_parts:
        byline.offer_date(", ".join(date_parts), "byline date", 1)
    return True


def _date_suffix_start(parts: Sequence[str]) -> int:
    """Where the date starts among a byline's parts ("March 20", "2024" are one date); the
    length of `parts` when it ends with no date."""
    for start in range(len(parts)):
        tail = parts[start:]
        if all(_date_words_only(part) for part in tail) and _YEAR_IN_TEXT.search(" ".join(tail)):
            return start
    return len(parts)


def _read_date_label(line: str, byline: _Byline) -> bool:
    """"Published: DATE" / "Updated DATE" into `byline`. Without a colon the rest must look like
    a date ("Updated rules take effect" is a sentence); with one, it is read as the date."""
    match = _DATE_LABEL.match(line)
    if not match:
        return False
    label, written = match.group("label"), match.group("date").strip()
    has_colon = ":" in line[match.end("label"):match.start("date")]
    if has_colon:
        if not _mentions_a_time(written) or len(written.split()) > 10:
            return False  # "Updated: This story was corrected." is an editor's note
    elif not (_date_words_only(written) and _YEAR_IN_TEXT.search(written)):
        return False
    rank = 2 if "updated" in label.lower() else 0
    byline.offer_date(written, label, rank)
    return True


_RELATIVE_TIME_WORDS = frozenset({"today", "yesterday", "ago", "now"})


def _mentions_a_time(text: str) -> bool:
    """A digit, a month or weekday, or "yesterday", "2 hours ago": what a date after a label has."""
    words = {word.strip(".,()").lower() for word in text.split()}
    return (
        any(character.isdigit() for character in text)
        or bool(words & (_RELATIVE_TIME_WORDS | set(_MONTHS) | set(_WEEKDAYS) | _MONTH_ABBREVIATIONS))
    )


def _is_date_line(line: str, lenient: bool) -> bool:
    """A line that is a date and nothing else ("March 20, 2024", "2024-03-20"). Under a "By"
    line, a line shaped like a date counts even if it is no real date (the ingest warns)."""
    if not (_date_words_only(line) and _YEAR_IN_TEXT.search(line)):
        return False
    return lenient or is_readable_date(line)


def _read_outlet_and_date(line: str, byline: _Byline) -> bool:
    """"Harbor Ledger — March 20, 2024" into `byline` (the date must be a real date)."""
    parts = _OUTLET_DATE_SEPARATOR.split(line, maxsplit=1)
    if len(parts) != 2:
        return False
    outlet, written = parts
    if not _is_outlet_name(outlet) or _is_place_dateline(outlet):
        return False
    label = _DATE_LABEL.match(written)
    date_text = label.group("date") if label else written
    if not _is_date_line(date_text, lenient=False) or not byline.set_outlet(outlet):
        return False
    byline.offer_date(date_text, "byline date", 1)
    return True


def _is_place_dateline(text: str) -> bool:
    """"MARLOW BEND — ..." opens a story from a place; an outlet is rarely several words in capitals."""
    return len(text.split()) > 1 and text.isupper()


def _date_words_only(text: str) -> bool:
    """Whether every word of `text` can be part of a written date or time."""
    words = text.replace(",", " ").split()
    if not words or len(words) > 10:
        return False
    return all(_is_date_word(word) for word in words)


def _is_date_word(word: str) -> bool:
    bare = word.strip(".()").lower()
    if any(character.isdigit() for character in word):
        return True
    if bare in _MONTHS or bare in _WEEKDAYS or bare in _MONTH_ABBREVIATIONS or bare in _WEEKDAY_ABBREVIATIONS:
        return True
    if bare in _DATE_WORDS:
        return True
    return word.isalpha() and word.isupper() and len(word) <= 5  # a time zone: "ET", "CEST"


def _is_names(text: str) -> bool:
    """One or more people's names: "Mara Quint", "Ines Moreau and Karl Dietz"."""
    names = re.split(r"\s+(?:and|&)\s+", text)
    return all(_is_person_name(name) for name in names)


def _is_person_name(text: str) -> bool:
    words = text.split()
    if not 2 <= len(words) <= 5:
        return False
    if words[0].lower().strip(".") in _NOT_NAME_WORDS:
        return False
    for number, word in enumerate(words):
        if not re.fullmatch(r"[^\W\d_][\w'’.\-]*", word):
            return False  # digits or punctuation a name does not have
        is_edge = number in (0, len(words) - 1)
        if word.lower() in NAME_PARTICLES and not is_edge:
            continue
        if not word[0].isupper():
            return False
    return True


def _is_role(text: str) -> bool:
    """"Staff Writer", "Senior Correspondent": a job title under or beside the name."""
    words = text.lower().split()
    return 0 < len(words) <= 4 and (words[-1] in _ROLE_WORDS or words[-1].removesuffix("s") in _ROLE_WORDS)


def _is_outlet_name(text: str) -> bool:
    """A short name in title case ("Harbor Ledger", "The Daily Sentinel (fictional)") or a site
    ("harborledger.example"); not a sentence, a quote or a date."""
    words = text.split()
    if not 1 <= len(words) <= 6 or _is_date_line(text, lenient=True):
        return False
    if re.fullmatch(r"(?:[\w-]+\.)+[a-z]{2,}", text, re.IGNORECASE):
        return True  # a site name
    if text.endswith(_NOT_HEADLINE_ENDINGS) or any(quote in text for quote in "\"“”«»"):
        return False
    for number, word in enumerate(words):
        bare = word.strip("()")
        if number > 0 and (bare.lower() in _OUTLET_CONNECTIVES or word == "(fictional)"):
            continue
        if not bare or not (bare[0].isupper() or bare[0].isdigit()):
            return False
    return True
