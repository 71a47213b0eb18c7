"""Question understanding for retrieval: outlets and dates named in a question, and sub-queries.

Everything is recognised against what the index holds (its outlet names and publication dates),
with rules and small word lists, so it costs well under a millisecond per question.

- Outlets: the full name ("The Verge", "FOX News - Health"), the name without a leading "The"
  ("Verge"), the name before a " - " / " | " section suffix ("FOX News") or a qualifier in
  parentheses ("Harbor Ledger" for "Harbor Ledger (fictional)"), case-insensitively and
  with or without a possessive ("Fox News'", "TechCrunch's"). A short form that is a plain
  capitalised word ("Verge", "Fortune", "Wired", "Age") must be capitalised in the question, so
  "made a fortune" or "the age of AI" name no outlet.
- Dates: "October 19, 2023", "19 October", "the 10th of October", "Oct. 5", "2023-10-05",
  "October 2023", "in October", with "between ... and ...", "from ... to ...", "after", "before",
  "since", "until". A day without a year takes the most recent year in which the index holds
  articles of that day, else (as a month without a year does) of that month. "After"/"before" a
  day take in that day (publication days are a time zone apart). A range that covers every date
  the index holds, or none of them, is dropped (it would tell nothing).
- A date alone: a question whose only content is a date or a closed range ("What happened on March
  13?", "What did the papers say on 14 March 2024?") gives the days it asks about (`only_dates`),
  even when the index holds no article of them, so the answer can list that day's coverage or
  say which days the coverage spans.
- Outlet short forms: the distinctive words of a name without "The", "Daily", "Weekly" around it
  and its qualifier ("Sentinel" for "The Daily Sentinel (fictional)"), capitalised in the
  question, when they name one outlet of the index and are not another outlet's name; a form
  left with only words any outlet could be called ("the Daily", "the News") names none.
- Sub-queries: a question that spans several articles ("Does the Verge report X, while TechCrunch
  says Y?", "Which company, reported by A to X, is also said by B to Y, and Z?", "both X and Y",
  "X or Y", "X compared to Y") is split into its clauses (at commas, semicolons, "while", "but",
  "whereas", "compared to", and "and"/"or" before a word that opens a clause), each with the
  outlets and dates named in it, so evidence for every clause is retrieved and not only for the
  one that dominates the whole question. Clauses with fewer than three content words join a
  neighbour ("as reported by TechCrunch" joins the clause before it; "Between the Polygon article
  published on 26 September" the one after it). At most MAX_PARTS parts.
- Search text: the question (and each part) without the outlet names, the "as reported by" in
  front of them, and the dates: those are matched against article metadata instead.
"""

from __future__ import annotations

import bisect
import calendar
import functools
import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Sequence

log = logging.getLogger(__name__)

MAX_PARTS = 5
_MIN_PART_WORDS = 3  # content words a part needs to be worth a retrieval of its own


@dataclass(frozen=True)
class QueryPart:
    """One part of a multi-article question, with what it names."""

    text: str
    outlets: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    search_text: str = ""  # `text` without the outlet names and dates (those are matched as metadata)


@dataclass(frozen=True)
class QueryHints:
    """What the question itself says about where to look."""

    outlets: tuple[str, ...] = ()  # index outlet names the question names, in order of mention
    since: str | None = None  # ISO date, inclusive, from a date or range in the question
    until: str | None = None
    sub_queries: tuple[str, ...] = ()  # texts of `parts` (empty when the question is one part)
    parts: tuple[QueryPart, ...] = ()
    search_text: str = ""  # the question without outlet names and dates
    only_dates: "DatesAsked | None" = None  # the days asked about, when they are all the question asks
    days_named: tuple[str | None, str | None] = (None, None)  # (since, until) as meant ("before" excludes), held or not
    bridge: str = ""  # a name searched with the question and its parts (bridge.py), if any
    runner_up: str = ""  # a second name that re-ranked the articles below the first few (bridge.py)

    @property
    def empty(self) -> bool:
        return not (self.outlets or self.since or self.until or self.sub_queries)


def understand(question: str, outlets: Sequence[str] = (), dates: Sequence[str] = ()) -> QueryHints:
    """Outlets (from `outlets`, the index's names), a date range and sub-queries of a question."""
    text = _plain(question)
    matcher, calendar_ = _tools(tuple(outlets), tuple(dates))
    outlet_mentions = matcher.find(text)
    written = calendar_.named(text)  # read once: the boost range and a date alone
    date_spans = written[1]
    first, last = calendar_.named(text, strict=True)[0]  # the days the answer keeps to
    since, until = calendar_.useful(written)
    parts = tuple(
        _part(part, matcher, calendar_)
        for part in split_parts(text, outlet_groups(text, outlet_mentions), date_spans)
    )
    return QueryHints(
        outlets=_unique(m.outlet for m in outlet_mentions),
        since=since,
        until=until,
        sub_queries=tuple(p.text for p in parts),
        parts=parts,
        search_text=search_text(text, matcher, calendar_),
        only_dates=dates_alone(text, written),
        days_named=(first.isoformat() if first else None, last.isoformat() if last else None),
    )


@functools.lru_cache(maxsize=8)
def _tools(outlets: tuple[str, ...], dates: tuple[str, ...]) -> tuple["OutletMatcher", "_Calendar"]:
    """Built once per set of outlets and dates (the index's, until it changes)."""
    return OutletMatcher(outlets), _Calendar(dates)


def _part(text: str, matcher: "OutletMatcher", calendar_: "_Calendar") -> QueryPart:
    (since, until), _ = calendar_.scan(text)
    outlets = _unique(m.outlet for m in matcher.find(text))
    return QueryPart(text, outlets, since, until, search_text(text, matcher, calendar_))


_ATTRIBUTION_BEFORE = re.compile(
    r"(?:\b(?:(?:as\s+)?(?:reported|mentioned|stated|noted|covered|described|detailed)\s+(?:by|in)|according\s+to"
    r"|as\s+per|reported\s+by|published\s+(?:by|in)|by|from|in|per)"
    r"\s+(?:(?:both|either|sources\s+like|outlets\s+like|such\s+as)\s+)?(?:the\s+)?['\"]?)$",
    re.IGNORECASE,
)


def _attribution_start(text: str, start: int) -> int:
    """Where "as reported by" / "according to" before an outlet name starts (else `start`)."""
    match = _ATTRIBUTION_BEFORE.search(text, max(0, start - 40), start)
    return match.start() if match else start


_DATE_PREPOSITION = re.compile(
    r"\b(?:(?:published|released|reported)\s+)?(?:on|in|during|since|after|before|from|between|until|till|by|of)\s+$",
    re.IGNORECASE,
)


def _date_preposition_start(text: str, start: int) -> int:
    """Where "published on" / "in" before a date starts (else `start`)."""
    match = _DATE_PREPOSITION.search(text, max(0, start - 30), start)
    return match.start() if match else start


def search_text(text: str, matcher: "OutletMatcher", calendar_: "_Calendar") -> str:
    """The text to search with: outlet names and dates taken out. They are metadata, matched by
    boosts; as words they match the wrong things ("The Age" -> "age", "Fortune" -> "fortune")."""
    cuts = [(_attribution_start(text, start), end) for start, end in outlet_groups(text, matcher.find(text))]
    cuts += [(_date_preposition_start(text, start), end) for start, end in calendar_.scan(text)[1]]
    if not cuts:
        return text
    kept, last = [], 0
    for start, end in sorted(cuts):
        if start >= last:
            kept.append(text[last:start])
            last = end
        else:
            last = max(last, end)
    kept.append(text[last:])
    cleaned = " ".join("".join(kept).split())
    cleaned = re.sub(r"(?<!\w)['\"](?!\w)", " ", cleaned)  # a quote left alone by a cut name
    cleaned = re.sub(r"\s+([,.;:?!])", r"\1", " ".join(cleaned.split()))
    cleaned = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", cleaned)
    cleaned = re.sub(r"[,;:]+(?=[?.!]|$)", "", cleaned)
    cleaned = cleaned.strip(" ,;:")
    return cleaned if _CONTENT_WORD.search(cleaned) else text


def _plain(text: str) -> str:
    """Straight quotes and single spaces: what the patterns below expect."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split())


def _unique(items) -> tuple:
    return tuple(dict.fromkeys(items))


# What may stand between the names of a list of outlets: "TechCrunch and The Verge",
# "'The Age', 'TechCrunch', and 'Fortune'".
_OUTLET_LIST_GLUE = re.compile(r"['\"]?\s*(?:,\s*(?:(?:and|or|&)\s+)?|\s+(?:and|or|&)\s+)(?:the\s+)?['\"]?", re.IGNORECASE)


def outlet_groups(text: str, mentions: Sequence["OutletMention"]) -> list[tuple[int, int]]:
    """Spans of the outlet names in `text`, a list of names ("both The Verge and TechCrunch") as one
    span: it is one attribution, neither a clause boundary nor words to search for."""
    groups: list[tuple[int, int]] = []
    for mention in sorted(mentions, key=lambda m: (m.start, m.end)):
        if groups and mention.start <= groups[-1][1]:
            groups[-1] = (groups[-1][0], max(groups[-1][1], mention.end))  # two outlets, one alias
        elif groups and _OUTLET_LIST_GLUE.fullmatch(text, groups[-1][1], mention.start):
            groups[-1] = (groups[-1][0], mention.end)
        else:
            groups.append((mention.start, mention.end))
    return groups


# ------------------------------------------------------------------------- outlets


@dataclass(frozen=True)
class OutletMention:
    outlet: str
    start: int
    end: int


class OutletMatcher:
    """Finds the index's outlet names (and their short forms) in a question."""

    def __init__(self, outlets: Sequence[str]) -> None:
        by_alias: dict[str, set[str]] = {}
        strict: set[str] = set()  # aliases that must be capitalised in the question
        for outlet in outlets:
            if not outlet or not outlet.strip():
                continue
            for alias, needs_capital in _aliases(outlet):
                key = alias.lower()
                by_alias.setdefault(key, set()).add(outlet)
                if needs_capital:
                    strict.add(key)
                else:
                    strict.discard(key)  # some outlet's full name: case-insensitive wins
        for key, named in short_forms(outlets).items():
            if len(key) >= 3:
                by_alias[key] = set(named)
                strict.add(key)  # a reader's short form, so only as a name: "the Sentinel"
        self._masthead = set(masthead_forms(outlets))
        for key, named in masthead_forms(outlets).items():
            by_alias[key] = set(named)
            strict.add(key)
        self._outlets = {a: tuple(sorted(o)) for a, o in by_alias.items()}
        self._strict = strict
        # Longest aliases first, so "FOX News - Health" wins over "FOX News".
        ordered = sorted(self._outlets, key=len, reverse=True)
        self._pattern = (
            re.compile(
                r"(?<![\w])(?:the\s+)?(" + "|".join(re.escape(a) for a in ordered) + r")"
                + _WEB_SUFFIX + r"?(?:'s|')?(?![\w])",
                re.IGNORECASE,
            )
            if ordered
            else None
        )

    def find(self, text: str) -> list[OutletMention]:
        if self._pattern is None:
            return []
        mentions = []
        for match in self._pattern.finditer(text):
            alias = match.group(1)
            key = alias.lower()
            if key in self._strict and not alias[:1].isupper():
                continue
            if key in self._masthead and not _reads_as_the_masthead(text, match):
                continue
            for outlet in self._outlets.get(key, ()):
                mentions.append(OutletMention(outlet, match.start(), match.end()))
        return _with_section(text, mentions)


def _reads_as_the_masthead(text: str, match: re.Match) -> bool:
    """ "the Courier" names the paper; "the Courier of Lyon" or "Evening Courier" names another."""
    return match.group(0).lower().startswith("the") and not _OF_ANOTHER_PAPER.match(text, match.end())


_OF_ANOTHER_PAPER = re.compile(r"\s+of\b", re.IGNORECASE)


def masthead_in(text: str, noun: str) -> str:
    """ "the Courier" as `text` writes it, capitalised as a name and read as the masthead (above);
    "" when absent."""
    for match in re.finditer(r"(?<!\w)the\s+(" + re.escape(noun) + r")(?!\w)", text, re.IGNORECASE) if noun else ():
        if match.group(1)[:1].isupper() and _reads_as_the_masthead(text, match):
            return match.group(0)
    return ""


_SECTION_SEPARATOR = re.compile(r"\s+[-|–—:]\s+")
_PARENTHESISED_TAIL = re.compile(r"\s*\([^()]*\)\s*$")  # a qualifier after the name: "(fictional)", "(UK)"
# An outlet written as its site ("CBSSports.com" for "CBS Sports"): the suffix belongs to the
# mention, or cutting the name out of the question would leave ".com" behind.
_WEB_SUFFIX = r"(?:\.(?:com|org|net|news|co\.uk|com\.au|co|io))"
# A feed's section or slogan after the outlet's name ("FOX News - Lifestyle", "The Independent -
# Life and Style", "Cnbc | World Business News Leader"): capitalised words, part of the mention.
_SECTION_TAIL = re.compile(r"\s+[-|–—]\s+[A-Z][\w&'.]*(?:\s+(?:[A-Z&][\w&'.]*|and|of|the|for|&)){0,5}")
_TAIL_END = re.compile(r"(?:\s+(?:and|of|the|for|&))+$|[.']+$")


def _with_section(text: str, mentions: list[OutletMention]) -> list[OutletMention]:
    """Mentions extended over a section or slogan written after the name, which stops before the
    next outlet named ("FOX News - Lifestyle and TechCrunch")."""
    starts = sorted(m.start for m in mentions)
    out = []
    for mention in mentions:
        tail = _SECTION_TAIL.match(text, mention.end)
        if tail is None:
            out.append(mention)
            continue
        stop = min([s for s in starts if s > mention.start] + [tail.end()])
        words = _TAIL_END.sub("", text[mention.end : stop].rstrip())
        if _SECTION_TAIL.fullmatch(words):
            mention = OutletMention(mention.outlet, mention.start, mention.end + len(words))
        out.append(mention)
    return out


def bare_outlet_name(outlet: str) -> str:
    """The outlet's name without a qualifier in parentheses at its end: "Harbor Ledger" for
    "Harbor Ledger (fictional)", "The Times" for "The Times (UK)"; the name itself otherwise."""
    return _PARENTHESISED_TAIL.sub("", outlet)


def _base_name(outlet: str) -> str:
    """The outlet's name without its section and qualifier: "FOX News" for "FOX News - Health"."""
    return bare_outlet_name(_SECTION_SEPARATOR.split(" ".join(outlet.split()), maxsplit=1)[0].strip())


# Words around an outlet's name that a reader leaves out: "the Sentinel" for "The Daily Sentinel",
# "Northbank" for "Northbank Daily".
_EDITION_WORDS = frozenset({"the", "daily", "weekly"})
# What is left must say which outlet: "the Daily" or "the News" could be any of them.
_GENERIC_OUTLET_WORDS = _EDITION_WORDS | frozenset({"news", "online", "media", "radio", "tv", "press", "today", "report"})


def _short_form(outlet: str) -> str:
    """The distinctive word(s) of an outlet's name, as a reader shortens it: "Sentinel" for
    "The Daily Sentinel (fictional)"; "" when no word of it tells it from other outlets."""
    words = _base_name(outlet).split()
    while words and words[0].lower() in _EDITION_WORDS:
        words.pop(0)
    while words and words[-1].lower() in _EDITION_WORDS:
        words.pop()
    if all(w.lower() in _GENERIC_OUTLET_WORDS for w in words):
        return ""
    return " ".join(words)


# Nouns newspapers are named by, which readers shorten them to: "the Courier" for "Ostra Valley
# Courier", "the Ledger" for "Harbor Ledger". Not those that name well-known papers on their own
# ("the Times", "the Post", "the Guardian"): "The Times" may be another paper than the one indexed.
_MASTHEAD_NOUNS = frozenset(
    "courier ledger sentinel gazette chronicle dispatch bulletin register examiner inquirer journal wire "
    "monitor".split()
)


def masthead_forms(outlets: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Lower-cased masthead noun -> the outlets it names ("courier" -> "Ostra Valley Courier
    (fictional)"), for nouns that end one outlet's name (with its sections) and are in no other
    outlet's name, and are no outlet's name, alias or short form. A question names the outlet by it only as "the Courier" (OutletMatcher)."""
    outlets = [o for o in outlets if o and o.strip()]
    taken = {alias.lower() for outlet in outlets for alias, _ in _aliases(outlet)} | set(short_forms(outlets))
    by_noun: dict[str, set[str]] = {}
    for outlet in outlets:
        words = _base_name(outlet).split()
        if len(words) > 1 and words[-1].lower() in _MASTHEAD_NOUNS:
            by_noun.setdefault(words[-1].lower(), set()).add(_base_name(outlet).lower())
    words_of = {_base_name(o).lower(): set(_base_name(o).lower().split()) for o in outlets}
    return {noun: tuple(sorted(o for o in outlets if _base_name(o).lower() in bases))
            for noun, bases in by_noun.items()
            if len(bases) == 1 and noun not in taken
            and not any(noun in words for base, words in words_of.items() if base not in bases)}


def short_forms(outlets: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Lower-cased short form -> the outlets it names ("sentinel" -> "The Daily Sentinel
    (fictional)"), for the short forms that name one outlet (with its sections) and are no
    outlet's name or alias: "Sentinel" for both "The Daily Sentinel" and "Sentinel Weekly" would
    be a guess, so it names neither; beside "The Sentinel" it is that outlet's name."""
    outlets = [o for o in outlets if o and o.strip()]
    taken = {alias.lower() for outlet in outlets for alias, _ in _aliases(outlet)}
    by_form: dict[str, dict[str, list[str]]] = {}  # short form -> base name -> outlets
    for outlet in outlets:
        form = _short_form(outlet).lower()
        if form and form not in taken:
            by_form.setdefault(form, {}).setdefault(_base_name(outlet).lower(), []).append(outlet)
    return {form: tuple(sorted(named)) for form, bases in by_form.items() if len(bases) == 1
            for named in bases.values()}


def _aliases(outlet: str) -> list[tuple[str, bool]]:
    """(alias, must be capitalised) pairs for one outlet name."""
    name = " ".join(outlet.split())
    forms = [name]
    base = _SECTION_SEPARATOR.split(name, maxsplit=1)[0].strip()  # "FOX News - Health" -> "FOX News"
    if base and base != name:
        forms.append(base)
    for form in list(forms):
        bare = bare_outlet_name(form)  # "Harbor Ledger (fictional)" -> "Harbor Ledger"
        if bare and bare != form:
            forms.append(bare)
    for form in list(forms):
        if form.lower().startswith("the ") and len(form) > 4:
            forms.append(form[4:])  # "The Verge" -> "Verge"
        if form.lower().endswith(".com"):
            forms.append(form[:-4])  # "CBSSports.com" -> "CBSSports"
        compact = re.sub(r"[^0-9A-Za-z]", "", form)
        if " " in form and len(compact) >= 6:
            forms.append(compact)  # "CBS Sports" -> "CBSSports" (as in "CBSSports.com")
    out = []
    for form in dict.fromkeys(forms):
        words = form.split()
        short = form != name
        plain_word = len(words) == 1 and form[:1].isupper() and form[1:].islower()
        # A one-word form that reads like an ordinary word needs its capital (and at least 3
        # letters): "the age", "a fortune", "wired" do not name an outlet.
        if len(form) < 3:
            continue
        out.append((form, plain_word or (short and len(words) == 1 and len(form) < 5)))
    return out


def outlets_called(typed: str, outlets: Sequence[str]) -> list[str]:
    """The index outlets a user means by `typed` (a filter, not a question): the exact name, else
    every outlet one of whose forms ("Harbor Ledger" for "Harbor Ledger (fictional)", "Verge",
    "FOX News" for "FOX News - Health") it equals, ignoring case and spacing, else the outlet
    whose short form it is ("Sentinel" for "The Daily Sentinel (fictional)"), if only one."""
    wanted = " ".join(typed.split()).lower()
    if typed in outlets:
        return [typed]
    called = [o for o in outlets if any(form.lower() == wanted for form, _ in [(o, False), *_aliases(o)])]
    return called or list(short_forms(outlets).get(wanted, ()))


# ------------------------------------------------------------------------- dates

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
_MONTH = r"(?P<month{n}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day{n}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year{n}>(?:19|20)\d\d)"


def _date_pattern(n: int) -> str:
    """One date expression; group names carry `n` so two can sit in one range pattern."""
    month, day, year = _MONTH.format(n=n), _DAY.format(n=n), _YEAR.format(n=n)
    day2, month2, year2 = _DAY.format(n=f"{n}b"), _MONTH.format(n=f"{n}b"), _YEAR.format(n=f"{n}b")
    year3, mon3, day3 = (f"(?P<iy{n}>\\d{{4}})", f"(?P<im{n}>\\d\\d)", f"(?P<id{n}>\\d\\d)")
    return (
        rf"(?:{year3}-{mon3}-{day3}"  # 2023-10-05
        rf"|{month}\s+{day}(?:,?\s+{year})?(?![\d:])"  # October 5, 2023 / Oct. 5
        rf"|(?:the\s+)?{day2}\s+(?:of\s+)?{month2}(?:,?\s+{year2})?"  # 5 October 2023 / the 5th of October
        rf"|{_MONTH.format(n=f'{n}c')}(?:,?\s+{_YEAR.format(n=f'{n}c')})?"  # October 2023 / October
        rf"|(?<=\bin\s){_YEAR.format(n=f'{n}d')})"  # in 2023
    )


_DATE = re.compile(r"(?<![\w])" + _date_pattern(1) + r"(?![\w])", re.IGNORECASE)
_RANGE = re.compile(
    r"\b(?:between|from)\s+(?:the\s+)?(?P<a>" + _date_pattern(2) + r")\s+(?:and|to|until|through|till|-)\s+"
    r"(?:the\s+)?(?P<b>" + _date_pattern(3) + r")(?![\w])",
    re.IGNORECASE,
)
_BEFORE_WORDS = re.compile(r"\b(before|until|till|through|by|prior\s+to|up\s+to)\s+(?:the\s+)?$", re.IGNORECASE)
_AFTER_WORDS = re.compile(r"\b(after|since|from|following)\s+(?:the\s+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class _Span:
    first: date
    last: date


class _Calendar:
    """Date expressions -> inclusive ISO ranges, years guessed from the dates the index holds."""

    def __init__(self, dates: Sequence[str]) -> None:
        self.held = sorted({d[:10] for d in dates if d and len(d) >= 10})
        self.months_by_year: dict[int, set[int]] = {}
        for d in self.held:
            try:
                self.months_by_year.setdefault(int(d[:4]), set()).add(int(d[5:7]))
            except ValueError:
                continue

    def range_in(self, text: str) -> tuple[str | None, str | None]:
        """The inclusive (since, until) a text names, or (None, None)."""
        return self.scan(text)[0]

    def scan(self, text: str) -> tuple[tuple[str | None, str | None], list[tuple[int, int]]]:
        """((since, until), where the date expressions are in `text`)."""
        written = self.named(text)
        return self.useful(written), written[1]

    def useful(self, written: "DatesWritten") -> tuple[str | None, str | None]:
        """The (since, until) worth boosting of what `named` read: (None, None) when nothing."""
        (since, until), taken = written
        return self._useful(since, until) if taken else (None, None)

    def named(self, text: str, strict: bool = False) -> tuple[tuple[date | None, date | None], list[tuple[int, int]]]:
        """((first day, last day), where the date expressions are in `text`): the days as
        written, whether or not the index holds any of them (None for an open end). `strict`:
        "before (after) March 14" leaves March 14 out, as the reader means it (for the search's
        boost it stays in, below)."""
        spans: list[tuple[date | None, date | None]] = []
        taken: list[tuple[int, int]] = []
        for match in _RANGE.finditer(text):
            a = self._span(match, 2)
            b = self._span(match, 3)
            if a and b:
                spans.append((min(a.first, b.first), max(a.last, b.last)))
                taken.append(match.span())
        for match in _DATE.finditer(text):
            if any(s <= match.start() < e for s, e in taken):
                continue
            if not self._plausible(text, match):
                continue
            span = self._span(match, 1)
            if span is None:
                continue
            taken.append(match.span())
            before = text[max(0, match.start() - 20) : match.start()]
            # "after October 2" still takes in October 2 itself (but "after October" not October):
            # a publication day is only as exact as the time zone it was written in, and a
            # named date is a boost, not a filter.
            one_day = span.first == span.last
            if _AFTER_WORDS.search(before):
                word = _AFTER_WORDS.search(before).group(1).lower()
                inclusive = (one_day and not strict) or word in ("since", "from")
                spans.append((span.first if inclusive else span.last + timedelta(days=1), None))
            elif _BEFORE_WORDS.search(before):
                word = _BEFORE_WORDS.search(before).group(1).lower()
                inclusive = (one_day and not strict) or word in ("until", "till", "through", "by", "up to")
                spans.append((None, span.last if inclusive else span.first - timedelta(days=1)))
            else:
                spans.append((span.first, span.last))
        if not spans:
            return (None, None), taken
        firsts = [s for s, _ in spans]
        lasts = [e for _, e in spans]
        since = None if any(s is None for s in firsts) else min(firsts)
        until = None if any(e is None for e in lasts) else max(lasts)
        return (since, until), taken

    def _useful(self, since: date | None, until: date | None) -> tuple[str | None, str | None]:
        """Drop a range that holds every date of the index, or none of them: it would tell the
        articles apart by nothing ("its June 2017 launch" is about the story, not the coverage)."""
        first = since.isoformat() if since else None
        last = until.isoformat() if until else None
        if self.held:
            if (first is None or first <= self.held[0]) and (last is None or last >= self.held[-1]):
                return None, None
            inside = bisect.bisect_right(self.held, last or "9999") - bisect.bisect_left(self.held, first or "")
            if inside == 0:
                return None, None
        return first, last

    @staticmethod
    def _plausible(text: str, match: re.Match) -> bool:
        """Month words that are ordinary words too ("may", "march", "dec") only count as written
        like a date: capitalised, and next to a day or year or after "in"/"during"/..."""
        g = match.groupdict()
        for suffix, has_number in (("", True), ("b", True), ("c", bool(g.get("year1c")))):
            word = g.get(f"month1{suffix}")
            if word:
                return _month_word_ok(word, has_number, text, match.start())
        return True

    def _span(self, match: re.Match, n: int) -> _Span | None:
        g = match.groupdict()
        try:
            if g.get(f"iy{n}"):
                day = date(int(g[f"iy{n}"]), int(g[f"im{n}"]), int(g[f"id{n}"]))
                return _Span(day, day)
            for suffix in ("", "b"):
                month = g.get(f"month{n}{suffix}")
                if month and g.get(f"day{n}{suffix}"):
                    m = _MONTHS[month.lower()]
                    d = int(g[f"day{n}{suffix}"])
                    year = int(g[f"year{n}{suffix}"]) if g.get(f"year{n}{suffix}") else self._year_for(m, d)
                    day = date(year, m, d)
                    return _Span(day, day)
            month = g.get(f"month{n}c")
            if month:
                m = _MONTHS[month.lower()]
                year = int(g[f"year{n}c"]) if g.get(f"year{n}c") else self._year_for(m)
                return _Span(date(year, m, 1), date(year, m, calendar.monthrange(year, m)[1]))
            if g.get(f"year{n}d"):
                year = int(g[f"year{n}d"])
                return _Span(date(year, 1, 1), date(year, 12, 31))
        except ValueError:  # "February 30"
            return None
        return None

    def _year_for(self, month: int, day: int | None = None) -> int:
        """The latest year in which the index holds articles of this day (of this month, when no
        article is of that day, or no day is given); else the latest year held."""
        if day is not None:
            held_days = [d for d in self.held if d[5:] == f"{month:02d}-{day:02d}"]
            if held_days:
                return int(held_days[-1][:4])
        years = [y for y, months in self.months_by_year.items() if month in months]
        if years:
            return max(years)
        if self.months_by_year:
            return max(self.months_by_year)
        return date.today().year


_PLAIN_MONTHS = frozenset(
    "january february april june july august september october november december".split()
)


def _month_word_ok(word: str, has_number: bool, text: str, position: int) -> bool:
    key = word.lower().rstrip(".")
    if key in _PLAIN_MONTHS:
        return True  # "october" cannot mean anything else
    if not word[:1].isupper():
        return False  # "may", "march", "dec" in lower case are other words
    return has_number or word.endswith(".") or _preceded_by_in(text, position)


def _preceded_by_in(text: str, position: int) -> bool:
    return bool(re.search(r"\b(in|during|early|late|mid|since|from|of|until|before|after)\s+$", text[:position], re.IGNORECASE))


# ------------------------------------------------------------------------- a date alone


# What `_Calendar.named` reads in a text: ((first day, last day), where the dates are written).
DatesWritten = tuple[tuple[date | None, date | None], list[tuple[int, int]]]


@dataclass(frozen=True)
class DatesAsked:
    """The days a question asks about when they are all it asks about ("What happened on March 13?")."""

    since: str  # ISO date, inclusive; as written, whether or not the index holds any article of it
    until: str
    written: str  # the date as the question writes it: "March 13", "between March 12 and March 14"

    def described(self) -> str:
        """ "on 2024-03-13", "from 2024-03-01 to 2024-03-31"."""
        return f"on {self.since}" if self.since == self.until else f"from {self.since} to {self.until}"


# The words a question about a date alone may hold besides the date: "What happened on March 13?",
# "What was reported on 14 March 2024?", "What did the papers say on March 15?". Any other word (a
# name, a topic) makes it a question about that topic on that date, searched as any other.
_DATE_ALONE_WORDS = frozenset(
    "what what's whats happened happen happening was were is are has have had been did do does the "
    "papers newspapers paper press media outlets coverage news say said write wrote written publish "
    "published report reported reports articles article stories story headlines on in during of "
    "from between and to there any anything tell me us show "
    # the words of a comparison, a summary or a who-said-what about a day: "What did each outlet
    # report on March 13?", "How did the coverage differ on March 14?", "Who said what on March 13?"
    "each every all outlet outlet's outlets' how differ differed different difference differences "
    "compare comparison accounts account cover covered give a an sourced summary summarize summarise "
    "timeline who whom statements main key claims events".split()
)
_PLAIN_WORD = re.compile(r"[a-z0-9][a-z0-9']*")


def dates_alone(text: str, written: "DatesWritten") -> DatesAsked | None:
    """The days `text` asks about (`written`: what `_Calendar.named` read in it) when its only
    content is a date or a closed range of dates; None for a question with any other content,
    no date or an open range ("after March 13")."""
    (first, last), spans = written
    if first is None or last is None:
        return None
    outside = " ".join(text[start:end] for start, end in _gaps(spans, len(text)))
    if any(word not in _DATE_ALONE_WORDS for word in _PLAIN_WORD.findall(outside.lower())):
        return None
    written = " ".join(text[start:end] for start, end in sorted(spans))
    return DatesAsked(first.isoformat(), last.isoformat(), written)


def date_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` writes dates or ranges of dates ("on March 13" -> the span of "March 13")."""
    return _Calendar(()).named(text)[1]


def _gaps(spans: Sequence[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """The stretches of a text of `length` characters between `spans`."""
    gaps, last = [], 0
    for start, end in sorted(spans):
        gaps.append((last, start))
        last = max(last, end)
    gaps.append((last, length))
    return [(start, end) for start, end in gaps if end > start]


# ------------------------------------------------------------------------- sub-queries

# Clause boundaries: a comma or semicolon, a conjunction, or a comparison phrase. A question
# that chains clauses ("Which company, reported by A to X, is also said by B to Y, and Z?")
# usually draws each clause from a different article.
# A bare "and"/"or" joins clauses only before a word that opens one ("and is accused", "and the
# Verge report"); elsewhere it joins nouns ("betting sites and apps") and is no boundary.
_CLAUSE_OPENER = (
    r"(?=(?:the|a|an|another|its|his|her|their|this|that|these|those|is|are|was|were|has|have|had|"
    r"also|been|being|which|who|whose|what|how|whether|according|as|in|on|later|then|subsequently|"
    r"does|did|do|can|could|will|would)\b)"
)
_BOUNDARY = re.compile(
    r"\s*[,;]\s+(?:(?:and|or|but|while|whereas)\s+)?"
    r"|\s+(?:(?:and|or)\s+" + _CLAUSE_OPENER + r"|(?:but|while|whereas|in\s+contrast\s+to|as\s+opposed\s+to"
    r"|compared\s+(?:to|with)|versus|vs\.?)\s+)",
    re.IGNORECASE,
)
_ATTRIBUTION = re.compile(
    r"(?:as\s+(?:reported|mentioned|stated|noted|covered|described|detailed|per)|according\s+to|reported\s+by"
    r"|per|in\s+(?:an?|the)\s+(?:article|report|piece))\b",
    re.IGNORECASE,
)
_CONTENT_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'.-]*[A-Za-z0-9]|[A-Za-z0-9]")
_FUNCTION_WORDS = frozenset(
    "the and for are was were has had have does did what which who whom whose how that this with from "
    "article articles report reports reported piece pieces story stories published according about "
    "also both their its his her they them than then there these those been being into onto over "
    "under after before while whereas between not any all can could would should may might will "
    "is it in on at to of by as an a or be do between during since until".split()
)


def split_parts(
    question: str, outlet_spans: Sequence[tuple[int, int]] = (), date_spans: Sequence[tuple[int, int]] = ()
) -> list[str]:
    """The clauses of a multi-part question, each with enough content to be searched on its own;
    [] when the question is one part. Outlet names and dates do not count as content: "both The
    Verge and TechCrunch" is one clause, and "published on October 2, 2023" belongs with the
    clause it dates."""
    pieces: list[tuple[int, int]] = []
    last = 0
    protected = list(outlet_spans) + list(date_spans) + _quoted_spans(question)
    for match in _BOUNDARY.finditer(question):
        if any(s < match.start() < e for s, e in protected):
            continue  # "Cnbc | World Business News Leader", "October 2, 2023" stay whole
        pieces.append((last, match.start()))
        last = match.end()
    pieces.append((last, len(question)))
    merged: list[tuple[int, int]] = []
    pending: tuple[int, int] | None = None
    for start, end in pieces:
        if merged and not pending and _ATTRIBUTION.match(question, start) and \
                _content_words(question, (start, end), outlet_spans) < _MIN_PART_WORDS:
            # "..., as reported by TechCrunch, ...": the source belongs to the clause before it.
            merged[-1] = (merged[-1][0], end)
            continue
        span = (pending[0], end) if pending else (start, end)
        if _content_words(question, span, outlet_spans) >= _MIN_PART_WORDS:
            merged.append(span)
            pending = None
        else:
            pending = span
    if pending and merged:  # a short tail belongs to the clause before it
        merged[-1] = (merged[-1][0], pending[1])
    while len(merged) > MAX_PARTS:  # join the smallest neighbouring pair
        sizes = [merged[i + 1][1] - merged[i][0] for i in range(len(merged) - 1)]
        i = sizes.index(min(sizes))
        merged[i : i + 2] = [(merged[i][0], merged[i + 1][1])]
    if len(merged) < 2:
        return _split_both(question, protected)
    return [question[s:e].strip(" ,;?.!") for s, e in merged]


# A quoted title or phrase ("Jada Pinkett Smith and Will Smith's marriage") is one thing to look
# for, not two clauses. A single quote opens after a non-word; an apostrophe inside a word
# ("Smith's") does not close it.
_QUOTED = re.compile(r"\"[^\"]{1,200}\"|(?<!\w)'(?:[^']|'(?=\w)){1,150}'(?!\w)")


def _quoted_spans(question: str) -> list[tuple[int, int]]:
    return [m.span() for m in _QUOTED.finditer(question)]


_BOTH = re.compile(r"\bboth\s+(.+?)\s+and\s+(.+?)(?=[,;?.!]|$)", re.IGNORECASE)


def _split_both(question: str, protected: Sequence[tuple[int, int]]) -> list[str]:
    """"Did Apple both raise prices and cut jobs?" -> "Did Apple raise prices", "Did Apple cut
    jobs". Not for names: "both The Verge and TechCrunch" has no content of its own."""
    match = _BOTH.search(question)
    if not match:
        return []
    first, second = match.span(1), match.span(2)
    if min(_content_words(question, first, protected), _content_words(question, second, protected)) < 2:
        return []
    head = question[: match.start()]
    return [(head + question[first[0] : first[1]]).strip(" ,;?.!"), (head + question[second[0] : second[1]]).strip(" ,;?.!")]


def _content_words(text: str, span: tuple[int, int], outlet_spans: Sequence[tuple[int, int]]) -> int:
    count = 0
    for match in _CONTENT_WORD.finditer(text, span[0], span[1]):
        if any(s <= match.start() < e for s, e in outlet_spans):
            continue
        word = match.group(0).lower()
        if word not in _FUNCTION_WORDS and word.rstrip(".") not in _MONTHS and not _NUMBER.fullmatch(word):
            count += 1  # dates and bare numbers name no topic: "published on October 5, 2023"
    return count


_NUMBER = re.compile(r"\d+(?:st|nd|rd|th)?")
