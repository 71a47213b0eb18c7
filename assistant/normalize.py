"""Normalising article metadata: dates, outlet names and URLs.

Readers keep metadata as written in the source; the ingest calls these functions so that filters,
ids and the sources panel see one spelling per date, outlet and URL.

Decisions worth knowing:
- `parse_date` returns ISO 8601: "2023-10-05" when the source gives only a day, a datetime with
  seconds when it gives a time ("2023-10-05T14:00:29+00:00" with a zone, no offset without one).
  Text without a four-digit year, or without a day ("October 2023"), is not a date: None.
  Slashed numeric dates are read month first ("05/10/2023" is May 10), as in US feeds.
  What is stored keeps the source's precision (filters read its first ten characters, the day);
  `readable_date` shows either shape one way to people: "2023-10-05 14:00 UTC".
- `outlet_from_url` knows a small table of well-known outlets; any other site is shown as its
  host name without "www." in lower case ("www.kyivpost.com" -> "kyivpost.com"): a domain is
  recognisable and honest, a guessed capitalisation is not.
- `canonical_url` keeps only http(s) URLs and drops what does not change the page (fragment,
  default port, tracking parameters, trailing slash, user:password).
"""

from __future__ import annotations

import logging
import re
import warnings
from datetime import date, datetime, timedelta, timezone
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from dateutil import parser as date_parser
from dateutil.tz import tzoffset

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------- names

# Lower-case words inside people's names: "Ursula von der Leyen", "Pieter van den Berg", "Ana de
# la Cruz". A byline's name and a speaker's name may hold them (clipping.py, attribute.py).
NAME_PARTICLES = frozenset(
    {"de", "da", "del", "della", "der", "den", "di", "du", "dos", "das", "la", "le", "van", "von", "zu", "bin",
     "al", "ibn", "ter", "ten", "y"}
)

# --------------------------------------------------------------------------------------- dates

# Zone abbreviations dateutil does not know by itself but news feeds use.
_TZ_ABBREVIATIONS = {
    name: tzoffset(name, hours * 3600)
    for name, hours in {
        "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
        "AKST": -9, "AKDT": -8, "HST": -10, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
        "MSK": 3, "IST": 5.5, "JST": 9, "AEST": 10, "AEDT": 11,
    }.items()
}
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)")
# Two defaults that differ in every field: a field that comes out different was not in the text.
_DEFAULT_A = datetime(2001, 1, 1, 0, 0, 0)
_DEFAULT_B = datetime(2002, 2, 2, 1, 1, 1)


def parse_date(value: str | None) -> str | None:
    """An ISO 8601 date or datetime for a date written in any common way, or None for garbage."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return _format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    text = " ".join(str(value).split())
    if not text or not _YEAR.search(text):
        return None
    first = _parse_with_default(text, _DEFAULT_A)
    second = _parse_with_default(text, _DEFAULT_B)
    if first is None or second is None:
        return None
    if first.year != second.year or first.day != second.day or first.month != second.month:
        return None  # the year, month or day came from the default, not from the text
    has_time = first.hour == second.hour  # minutes and seconds may be left out ("5pm")
    if not has_time:
        return first.date().isoformat()
    return _format_datetime(first)


# The shape nearly every export and feed writer uses; checked without dateutil (which takes
# ~0.2 ms a date: the ingest asks about every record, unchanged ones included).
_ISO_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")


def is_readable_date(value: str | None) -> bool:
    """Whether `parse_date` reads `value` as a date (quick for ISO 8601 dates)."""
    text = " ".join(str(value or "").split())
    if _ISO_SHAPE.fullmatch(text):
        try:
            return 1800 <= datetime.fromisoformat(text).year <= 2199  # the years parse_date accepts
        except ValueError:
            pass  # a shape without a real date ("2024-02-30"): let parse_date decide
    return parse_date(text) is not None


def _parse_with_default(text: str, default: datetime) -> datetime | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unknown zone names: we keep the naive time
            return date_parser.parse(text, default=default, tzinfos=_TZ_ABBREVIATIONS)
    except (ValueError, OverflowError, TypeError) as exc:
        logger.debug("not a date: %r (%s)", text, exc)
        return None


def _format_datetime(moment: datetime) -> str:
    offset = moment.utcoffset()
    if offset is not None:
        # A fixed offset prints as "+00:00", never as a zone name.
        moment = moment.replace(tzinfo=timezone(offset if offset else timedelta(0)))
    return moment.isoformat(timespec="seconds")


def readable_date(value: str | None) -> str | None:
    """A stored date as people read it, the same for every source format: "2024-03-13" for a day,
    "2024-03-13 11:00 UTC+01:00" for a time with its offset ("UTC" for +00:00), "2024-03-13 11:00"
    for a time given without a zone. A value that is not ISO 8601 is shown as stored."""
    if not value or not _ISO_SHAPE.fullmatch(value):
        return value or None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if len(value) == 10:
        return value  # a day without a time
    shown = moment.strftime("%Y-%m-%d %H:%M") + (f":{moment.second:02d}" if moment.second else "")
    offset = moment.utcoffset()
    if offset is None:
        return shown
    if not offset:
        return f"{shown} UTC"
    return f"{shown} UTC{_format_offset(offset)}"


def _format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


# -------------------------------------------------------------------------------------- outlets

# Registered domain -> how the outlet names itself.
_KNOWN_OUTLETS = {
    "apnews.com": "Associated Press",
    "aljazeera.com": "Al Jazeera",
    "arstechnica.com": "Ars Technica",
    "axios.com": "Axios",
    "bbc.co.uk": "BBC News",
    "bbc.com": "BBC News",
    "bloomberg.com": "Bloomberg",
    "businessinsider.com": "Business Insider",
    "cbsnews.com": "CBS News",
    "cbssports.com": "CBS Sports",
    "cnbc.com": "CNBC",
    "cnn.com": "CNN",
    "engadget.com": "Engadget",
    "fortune.com": "Fortune",
    "foxnews.com": "Fox News",
    "ft.com": "Financial Times",
    "independent.co.uk": "The Independent",
    "kyivindependent.com": "The Kyiv Independent",
    "kyivpost.com": "Kyiv Post",
    "latimes.com": "Los Angeles Times",
    "mashable.com": "Mashable",
    "nbcnews.com": "NBC News",
    "npr.org": "NPR",
    "nytimes.com": "The New York Times",
    "polygon.com": "Polygon",
    "politico.com": "Politico",
    "reuters.com": "Reuters",
    "skysports.com": "Sky Sports",
    "smh.com.au": "The Sydney Morning Herald",
    "sportingnews.com": "Sporting News",
    "techcrunch.com": "TechCrunch",
    "theage.com.au": "The Age",
    "theatlantic.com": "The Atlantic",
    "theguardian.com": "The Guardian",
    "themoscowtimes.com": "The Moscow Times",
    "theverge.com": "The Verge",
    "usatoday.com": "USA Today",
    "washingtonpost.com": "The Washington Post",
    "wired.com": "Wired",
    "wsj.com": "The Wall Street Journal",
}

# Lower-cased spellings seen in bylines and feeds -> the canonical outlet name.
_OUTLET_ALIASES = {
    **{domain: name for domain, name in _KNOWN_OUTLETS.items()},
    **{name.lower(): name for name in _KNOWN_OUTLETS.values()},
    "fox news digital": "Fox News",
    "fox news channel": "Fox News",
    "foxnews": "Fox News",
    "ap": "Associated Press",
    "the associated press": "Associated Press",
    "bbc": "BBC News",
    "new york times": "The New York Times",
    "nyt": "The New York Times",
    "washington post": "The Washington Post",
    "wall street journal": "The Wall Street Journal",
    "guardian": "The Guardian",
    "independent": "The Independent",
    "moscow times": "The Moscow Times",
    "the kyiv post": "Kyiv Post",
    "reuters.com": "Reuters",
    "cnbc.com": "CNBC",
    "cbssports.com": "CBS Sports",
}
# "FOX News - Lifestyle", "Cnbc | World Business News Leader": outlet, separator, section/slogan.
_SECTION_SEPARATOR = re.compile(r"\s+[-|–—:]\s+")
_HOST_PREFIXES = ("www.", "www1.", "www2.", "m.", "mobile.", "amp.", "edition.", "en.")


def outlet_from_url(url: str | None) -> str | None:
    """The outlet a URL belongs to: a known name, else the host without "www." (lower case)."""
    host = _host_of(url)
    if not host:
        return None
    known = _known_outlet_for_host(host)
    if known:
        return known
    return _strip_host_prefix(host)


def normalize_outlet(name: str | None, url: str | None = None) -> str | None:
    """One spelling per outlet: trimmed, whitespace collapsed, known aliases mapped.

    A missing or blank name falls back to the site of `url`.
    """
    cleaned = " ".join((name or "").split())
    if not cleaned:
        return outlet_from_url(url)
    if re.match(r"(?i)https?://", cleaned):
        return outlet_from_url(cleaned) or cleaned  # a link where a name was expected
    alias = _OUTLET_ALIASES.get(cleaned.lower()) or _known_outlet_for_host(cleaned.lower())
    if alias:
        return alias
    # A known outlet followed by a section or slogan: the section is not another outlet.
    head = _SECTION_SEPARATOR.split(cleaned, maxsplit=1)[0]
    if head != cleaned:
        alias = _OUTLET_ALIASES.get(head.lower())
        if alias:
            return alias
    return cleaned


def _host_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return host.lower().rstrip(".")


def _known_outlet_for_host(host: str) -> str | None:
    """Match the host or any parent domain: "edition.cnn.com" -> "cnn.com" -> CNN."""
    labels = host.split(".")
    for start in range(len(labels) - 1):
        candidate = ".".join(labels[start:])
        if candidate in _KNOWN_OUTLETS:
            return _KNOWN_OUTLETS[candidate]
    return None


def _strip_host_prefix(host: str) -> str:
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix):]
    return host


# ----------------------------------------------------------------------------------------- URLs

_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "twclid", "ttclid", "igshid",
        "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "ref_src", "ref_url",
        "cmpid", "ocid", "smid", "wt.mc_id",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str | None) -> str | None:
    """The canonical form of an http(s) URL, or None for anything else.

    Lower-case scheme and host; no user:password, default port, fragment, tracking parameter or
    trailing slash. The remaining query parameters keep their order.
    """
    if not url or not url.strip():
        return None
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        host = parts.hostname  # lower-cased by urllib, without user:password
        port = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return None
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    netloc = f"[{host}]" if ":" in host else host.rstrip(".")
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/")
    # Filter the raw "key=value" pairs: decoding and re-encoding would change the URL's bytes.
    query = "&".join(
        pair for pair in parts.query.split("&") if pair and not _is_tracking_param(pair)
    )
    return urlunsplit((scheme, netloc, path, query, ""))


def _is_tracking_param(pair: str) -> bool:
    lowered = unquote_plus(pair.split("=", 1)[0]).lower()
    return lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)
