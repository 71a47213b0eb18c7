"""The read stage: one reader per input format, each turning a file (or a URL) into RawArticles.

Readers never raise for bad input. Whatever cannot be read becomes a `Problem` naming the file,
the place in it ("line 4", "record 2", "row 3", "entry 1", "front matter") and the reason, and
the good records of the same file are still returned.

Decisions worth knowing:
- Text is decoded as UTF-8 (with or without BOM, or UTF-16 with a BOM); text that is not UTF-8
  is decoded as Windows-1252 (a superset of Latin-1 for printable text, what old newsroom
  exports use), logged, and marked with `extra["encoding"]`. Binary data is refused.
- Inside a folder, files of other types are listed as Problems (skipped, with the reason), as
  they are when named explicitly: the summary accounts for every file the user pointed at.
  Hidden files and folders (".DS_Store", ".git/"), operating-system clutter ("Thumbs.db",
  "desktop.ini") and README files are skipped silently: nobody means them as coverage.
- CSV rows are numbered as a spreadsheet shows them: the header is row 1, the first record row 2.
- Metadata stays as written in the source (dates, outlet names); the ingest normalises it.
- A .txt/.md clipping's first line is its title when it is shaped like a headline (a short line
  of its own that does not end like a sentence), and a byline under it (author, outlet, date) is
  metadata when the file has no front matter: both leave the body, so answers cite the story.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from http.client import HTTPException
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

import feedparser
import lxml.html
import trafilatura
import yaml
from lxml import etree

from .clipping import clipping_head, without_title_line
from .normalize import is_readable_date
from .records import Problem, RawArticle, ReadResult

logger = logging.getLogger(__name__)

_FORMAT_BY_EXTENSION = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
}
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(sorted(_FORMAT_BY_EXTENSION))

USER_AGENT = "Newsdesk/0.1 (+news coverage reader)"
_BODY_KEYS = ("body", "text", "content")
NO_BODY_REASON = "no body (expected a 'body', 'text' or 'content' field)"


class _Unreadable(Exception):
    """Internal: this input cannot be read at all; `reason` is the user-facing explanation."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ------------------------------------------------------------------------------ files and folders


def format_for(path: Path) -> str | None:
    """The reader format for a file name ("md", "feed", ...), or None when unsupported."""
    return _FORMAT_BY_EXTENSION.get(path.suffix.lower())


def unsupported_type_reason(path: Path) -> str:
    supported = ", ".join(SUPPORTED_EXTENSIONS)
    if not path.suffix:
        return f"unsupported file type (the name has no extension; supported: {supported})"
    return f"unsupported file type '{path.suffix}' (supported: {supported})"


def iter_input_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Expand files and folders (recursively, sorted) into the files to read, plus Problems.

    Each path is listed once even when named twice or found through two folders.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    for raw in paths:
        found, found_problems = _expand_one(Path(raw).expanduser(), str(raw))
        problems.extend(found_problems)
        for path in found:
            key = _identity(path)
            if key not in seen:
                seen.add(key)
                files.append(path)
    return files, problems


def _expand_one(path: Path, label: str) -> tuple[list[Path], list[Problem]]:
    try:
        if path.is_dir():
            return _files_in_folder(path)
        if not path.exists():
            return [], [Problem(label, "no such file or folder")]
        if not path.is_file():
            return [], [Problem(label, "not a regular file")]
    except OSError as exc:
        return [], [Problem(label, f"cannot open it ({exc.strerror or exc})")]
    if format_for(path) is None:
        return [], [Problem(label, unsupported_type_reason(path))]
    return [path], []


def _files_in_folder(folder: Path) -> tuple[list[Path], list[Problem]]:
    found: list[Path] = []
    unsupported: list[Path] = []
    problems: list[Problem] = []

    def report_walk_error(exc: OSError) -> None:
        problems.append(
            Problem(str(exc.filename or folder), f"cannot open the folder ({exc.strerror or exc})")
        )

    for current, dirnames, filenames in os.walk(folder, onerror=report_walk_error):
        dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
        for name in filenames:
            path = Path(current) / name
            if _is_never_coverage(path):
                continue
            (found if format_for(path) else unsupported).append(path)
    if not found and not problems:  # (a folder that could not be walked has its own Problem)
        supported = ", ".join(SUPPORTED_EXTENSIONS)
        problems.append(Problem(str(folder), f"the folder has no files to read (supported: {supported})"))
    problems.extend(Problem(str(path), unsupported_type_reason(path)) for path in sorted(unsupported))
    return sorted(found), problems


# Files an operating system or a file manager leaves in folders (hidden ones start with ".").
_SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini"})


def _is_never_coverage(path: Path) -> bool:
    """Hidden files, system clutter and READMEs: skipped in a folder without being listed."""
    return path.name.startswith(".") or path.name.lower() in _SYSTEM_FILES or _is_readme(path)


def _is_readme(path: Path) -> bool:
    """README files describe a folder of coverage; they are not articles."""
    return path.stem.lower() == "readme"


def _identity(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def read_path(path: Path, max_file_bytes: int) -> ReadResult:
    """Read one file with the reader for its extension. Never raises for bad input."""
    source = str(path)
    fmt = format_for(path)
    if fmt is None:
        return _failed(source, unsupported_type_reason(path))
    try:
        data = _read_bytes(path, max_file_bytes)
        _check_not_empty(data)
        _check_not_binary(data)
        result = _READERS[fmt](source, data, fmt)
    except _Unreadable as exc:
        return _failed(source, exc.reason)
    except RecursionError:
        # Parsers (json, yaml) and our own value walking recurse per nesting level.
        return _failed(source, _TOO_DEEP_REASON)
    return _finished(source, result)


_TOO_DEEP_REASON = "the data is nested too deeply to read (hundreds of levels of brackets)"
_NOTHING_FOUND_REASON = "no articles found in the file"


def _finished(source: str, result: ReadResult) -> ReadResult:
    """The reader's result with lone surrogates replaced, and a Problem when it found nothing."""
    if not result.articles and not result.problems:
        return _failed(source, _NOTHING_FOUND_REASON)
    return _without_surrogates(result)


# A lone surrogate (from a JSON "\ud800" escape or a feed's "&#xD800;") is not a character: it
# cannot be encoded as UTF-8, so hashing or storing the text would fail later.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _replace_surrogates(text: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", text)


def _optional_text_without_surrogates(text: str | None) -> str | None:
    return None if text is None else _replace_surrogates(text)


def _article_without_surrogates(article: RawArticle) -> RawArticle:
    return replace(
        article,
        source=_replace_surrogates(article.source),
        where=_replace_surrogates(article.where),
        title=_replace_surrogates(article.title),
        body=_replace_surrogates(article.body),
        outlet=_optional_text_without_surrogates(article.outlet),
        author=_optional_text_without_surrogates(article.author),
        published_at=_optional_text_without_surrogates(article.published_at),
        url=_optional_text_without_surrogates(article.url),
        external_id=_optional_text_without_surrogates(article.external_id),
        extra={_replace_surrogates(k): _replace_surrogates(v) for k, v in article.extra.items()},
    )


def _problem_without_surrogates(problem: Problem) -> Problem:
    return Problem(
        _replace_surrogates(problem.source),
        _replace_surrogates(problem.reason),
        _replace_surrogates(problem.where),
    )


def _without_surrogates(result: ReadResult) -> ReadResult:
    return ReadResult(
        articles=tuple(_article_without_surrogates(article) for article in result.articles),
        problems=tuple(_problem_without_surrogates(problem) for problem in result.problems),
    )


def _read_bytes(path: Path, max_file_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise _Unreadable("this is a folder, not a file")
        if size > max_file_bytes:
            raise _Unreadable(_too_large_reason(size, max_file_bytes))
        with path.open("rb") as handle:
            data = handle.read(max_file_bytes + 1)
    except FileNotFoundError:
        raise _Unreadable("no such file") from None
    except IsADirectoryError:
        raise _Unreadable("this is a folder, not a file") from None
    except OSError as exc:
        raise _Unreadable(f"cannot read the file ({exc.strerror or exc})") from None
    if len(data) > max_file_bytes:  # it grew since stat()
        raise _Unreadable(_too_large_reason(len(data), max_file_bytes))
    return data


def _too_large_reason(size: int, limit: int) -> str:
    return (
        f"file is {size:,} bytes, over the {limit:,}-byte limit "
        "(raise NEWSDESK_MAX_FILE_BYTES to read it)"
    )


def _failed(source: str, reason: str, where: str = "") -> ReadResult:
    logger.info("skipped %s%s: %s", source, f" ({where})" if where else "", reason)
    return ReadResult(problems=(Problem(source, reason, where),))


# ------------------------------------------------------------------------------------- decoding

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# C0 control bytes that never occur in text (tab, newlines, form feed and escape excluded).
_BINARY_CONTROL_BYTES = bytes(set(range(32)) - {9, 10, 12, 13, 27})
_BINARY_SAMPLE = 8192


def _check_not_empty(data: bytes) -> None:
    if not data.strip() or data.strip() == codecs.BOM_UTF8:
        raise _Unreadable("file is empty")


def _check_not_binary(data: bytes) -> None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return  # UTF-16 text is full of NUL bytes
    if b"\x00" in data:
        raise _Unreadable("file is binary, not text (it contains NUL bytes)")
    sample = data[:_BINARY_SAMPLE]
    controls = len(sample) - len(sample.translate(None, _BINARY_CONTROL_BYTES))
    if controls > len(sample) * 0.05:
        raise _Unreadable("file is binary, not text (it is full of control characters)")


def _decode_text(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding used). Tries a BOM, the declared charset, UTF-8, then Windows-1252."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding.replace("-sig", "")
            except UnicodeDecodeError:
                raise _Unreadable(f"text starts with a {encoding} mark but is not {encoding}") from None
    candidates = [declared] if declared else []
    candidates += ["utf-8", "cp1252"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        return text, _canonical_encoding_name(encoding)
    raise _Unreadable("text is neither UTF-8 nor Windows-1252; save it as UTF-8")


def _canonical_encoding_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding


def _encoding_extra(source: str, encoding: str) -> dict[str, str]:
    """Text that was not UTF-8 is worth a note: the user may want to re-save the file."""
    if encoding in ("utf-8", "ascii", "utf-16"):
        return {}
    logger.warning("%s is not UTF-8; decoded it as %s", source, encoding)
    return {"encoding": encoding}


# -------------------------------------------------------------------------- metadata from records

_TITLE_KEYS = ("title", "headline")
_OUTLET_KEYS = ("outlet", "source", "publisher", "site_name", "sitename")
_AUTHOR_KEYS = ("author", "authors", "byline", "creator")
_DATE_KEYS = ("published_at", "publishedat", "published", "date", "pubdate", "published_date", "datetime")
_URL_KEYS = ("url", "link")
_ID_KEYS = ("id", "external_id", "guid")


@dataclass
class _Metadata:
    """The metadata fields a record or front matter provides, as strings."""

    title: str = ""
    outlet: str | None = None
    author: str | None = None
    published_at: str | None = None
    date_field: str | None = None  # the key the date was under, as the source writes it
    url: str | None = None
    external_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _normal_key(key: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(key).strip().lower())


def _as_text(value: Any) -> str | None:
    """Any metadata value as a string, or None for an empty one."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, list | tuple):
        parts = [part for part in (_as_text(item) for item in value) if part]
        return ", ".join(parts) or None
    if isinstance(value, dict):
        name = value.get("name") or value.get("title")  # {"name": "Reuters", "id": ...}
        if isinstance(name, str) and name.strip():
            return name.strip()
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def _metadata_from_mapping(record: Mapping[Any, Any], skip: Iterable[str] = ()) -> _Metadata:
    """Pick the known fields (first alias present wins); keep the others in `extra`."""
    by_key = {_normal_key(key): (key, value) for key, value in record.items()}
    used = set(skip)

    def picked_key(aliases: tuple[str, ...]) -> str | None:
        for alias in aliases:
            if alias in by_key and alias not in used and _as_text(by_key[alias][1]):
                used.add(alias)
                return alias
        return None

    def pick(aliases: tuple[str, ...]) -> str | None:
        alias = picked_key(aliases)
        return _as_text(by_key[alias][1]) if alias else None

    date_key = picked_key(_DATE_KEYS)
    meta = _Metadata(
        title=pick(_TITLE_KEYS) or "",
        outlet=pick(_OUTLET_KEYS),
        author=pick(_AUTHOR_KEYS),
        published_at=_as_text(by_key[date_key][1]) if date_key else None,
        date_field=str(by_key[date_key][0]).strip() if date_key else None,
        url=pick(_URL_KEYS),
        external_id=pick(_ID_KEYS),
    )
    for key, (original, value) in by_key.items():
        if key not in used:
            text = _as_text(value)
            if text:
                meta.extra[str(original).strip()] = text
    return meta


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false value"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _body_from_record(record: Mapping[Any, Any]) -> tuple[str | None, str | None, str | None]:
    """(body, key used, problem). Lists of paragraphs are joined with blank lines."""
    by_key = {_normal_key(key): value for key, value in record.items()}
    for key in _BODY_KEYS:
        value = by_key.get(key)
        if value is None:
            continue
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            value = "\n\n".join(item.strip() for item in value if item.strip())
        if not isinstance(value, str):
            return None, key, f"field '{key}' is not text (found a {_type_name(value)})"
        if value.strip():
            return value.strip(), key, None
    return None, None, NO_BODY_REASON


def _article_from_record(
    record: Any, source: str, where: str, fmt: str, extra: Mapping[str, str]
) -> RawArticle | Problem:
    if not isinstance(record, dict):
        return Problem(source, f"not a JSON object (found a {_type_name(record)})", where)
    body, body_key, problem = _body_from_record(record)
    if problem or body is None:
        return Problem(source, problem or NO_BODY_REASON, where)
    meta = _metadata_from_mapping(record, skip=(body_key,) if body_key else ())
    return RawArticle(
        source=source,
        where=where,
        title=meta.title,
        body=body,
        outlet=meta.outlet,
        author=meta.author,
        published_at=meta.published_at,
        date_field=meta.date_field,
        url=meta.url,
        external_id=meta.external_id,
        format=fmt,
        extra={**meta.extra, **extra},
    )


def _collect(items: Iterable[RawArticle | Problem]) -> ReadResult:
    articles: list[RawArticle] = []
    problems: list[Problem] = []
    for item in items:
        if isinstance(item, RawArticle):
            articles.append(item)
        else:
            problems.append(item)
    for problem in problems:
        logger.info("skipped %s", problem)
    return ReadResult(articles=tuple(articles), problems=tuple(problems))


# ------------------------------------------------------------------------------ .txt and .md


def _read_text_file(source: str, data: bytes, fmt: str) -> ReadResult:
    text, encoding = _decode_text(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        front, body = _split_front_matter(text)
    except _Unreadable as exc:
        return _failed(source, exc.reason, "front matter")
    meta = _metadata_from_mapping(front)
    title = meta.title
    if fmt == "md":
        heading, body = _take_markdown_heading(body)
        if heading and not title:
            title = heading
        elif heading and heading != title:
            body = f"{heading}\n\n{body}"  # a heading that is not the title is part of the text
        body = markdown_to_text(body)
    # A pasted clipping starts with its headline and byline; front matter, when present, is the
    # metadata the user wrote and wins, so a byline is read only from a file without it.
    if title:
        body = without_title_line(body, title)
    head = clipping_head(body, want_title=not title, want_byline=not front)
    body = head.rest.strip()
    if not body:
        return _failed(source, "file has no article text")
    byline = head.byline
    article = RawArticle(
        source=source,
        where="",
        title=title or head.title,
        body=body,
        outlet=meta.outlet or byline.outlet,
        author=meta.author or byline.author,
        published_at=meta.published_at or byline.date,
        date_field=meta.date_field or byline.date_field,
        url=meta.url,
        external_id=meta.external_id,
        format=fmt,
        extra={**meta.extra, **byline.extra(), **_encoding_extra(source, encoding)},
    )
    return ReadResult(articles=(article,))


def _split_front_matter(text: str) -> tuple[dict[Any, Any], str]:
    """({key: value}, body) for text that starts with a `---` ... `---` YAML block."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    closing = next(
        (number for number in range(1, len(lines)) if lines[number].strip() in ("---", "...")),
        None,
    )
    if closing is None:
        return {}, text  # a lone `---` is a horizontal rule, not front matter
    block = "\n".join(lines[1:closing])
    if _bracket_depth(block) > _MAX_FRONT_MATTER_DEPTH:
        # PyYAML's scanner is quadratic in the nesting depth of [ and {: refuse before parsing.
        raise _Unreadable(f"not valid YAML ({_TOO_DEEP_REASON})")
    try:
        data = yaml.load(block, Loader=_FrontMatterLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        where = f"line {mark.line + 2}: " if mark is not None else ""  # +2: 0-based, after `---`
        raise _Unreadable(f"not valid YAML ({where}{problem})") from None
    except RecursionError:
        raise _Unreadable(f"not valid YAML ({_TOO_DEEP_REASON})") from None
    except ValueError as exc:  # a constructor rejecting a value PyYAML did not check itself
        raise _Unreadable(f"not valid YAML ({exc})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _Unreadable("expected 'key: value' lines between the two '---' lines")
    return data, "\n".join(lines[closing + 1:])


_MAX_FRONT_MATTER_DEPTH = 100


def _bracket_depth(block: str) -> int:
    """The deepest nesting of [ and { (an upper bound: brackets inside quotes count too)."""
    depth = deepest = 0
    for match in re.finditer(r"[\[\]{}]", block):
        depth = depth + 1 if match.group() in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    return deepest


class _FrontMatterLoader(yaml.SafeLoader):
    """Safe YAML without aliases (a few hundred bytes of nested aliases expand to billions of
    values; front matter never needs them), and with impossible dates kept as written."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, f"aliases such as '*{event.anchor}' are not allowed in front matter",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_date_or_text(self, node: Any) -> Any:
        # "date: 2024-02-30" looks like a date to YAML but is none; the ingest reports it.
        try:
            return self.construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


_FrontMatterLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _FrontMatterLoader.construct_date_or_text
)


_ATX_HEADING_PATTERN = r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$"
_ATX_HEADING = re.compile(_ATX_HEADING_PATTERN)


def _take_markdown_heading(body: str) -> tuple[str, str]:
    """A level-1 `# heading` on the first non-blank line is the title: (title, rest of body)."""
    lines = body.split("\n")
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        match = _ATX_HEADING.match(line)
        if match and len(match.group(1)) == 1 and match.group(2).strip():
            return match.group(2).strip(), "\n".join(lines[number + 1:])
        break
    return "", body


_MD_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^ {0,3}(?:[-*_][ \t]*){3,}$", re.M), ""),  # thematic break
    (re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$", re.M), ""),  # setext underline
    (re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\S+.*$", re.M), ""),  # link reference definition
    # `## Heading` -> `Heading`, a paragraph of its own even when text follows on the next line.
    (re.compile(_ATX_HEADING_PATTERN, re.M), r"\2\n"),
    (re.compile(r"^ {0,3}>[ \t]?", re.M), ""),  # block quote marker
    (re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)"), ""),  # image
    (re.compile(r"\[([^\]\n]+)\]\((?:[^()\n]|\([^()\n]*\))*\)"), r"\1"),  # inline link
    (re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]"), r"\1"),  # reference link
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # strong
    (re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])"), r"\1"),  # emphasis
    (re.compile(r"(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?![\w_])"), r"\1"),  # emphasis
    (re.compile(r"`([^`\n]+)`"), r"\1"),  # inline code
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])"), r"\1"),  # backslash escapes
)


def markdown_to_text(markdown: str) -> str:
    """Plain text from news-style Markdown: markup out, words and line structure kept."""
    text = markdown
    for pattern, replacement in _MD_RULES:
        text = pattern.sub(replacement, text)
    return text


# ------------------------------------------------------------------------------------ HTML

_HTML_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)


def _declared_html_charset(data: bytes) -> str | None:
    match = _HTML_META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def _read_html_file(source: str, data: bytes, fmt: str) -> ReadResult:
    text, encoding = _decode_text(data, _declared_html_charset(data))
    return _articles_from_html(source, text, fmt, url=None, extra=_encoding_extra(source, encoding))


def _articles_from_html(
    source: str, html: str, fmt: str, url: str | None, extra: Mapping[str, str]
) -> ReadResult:
    """The main text and metadata of a web page (trafilatura; lxml when trafilatura finds none)."""
    document = _trafilatura_extract(source, html, url)
    title, body = "", ""
    metadata: dict[str, str | None] = {}
    if document is not None and (document.text or "").strip():
        title = (document.title or "").strip()
        body = _paragraphs_from_lines(document.text, drop_first_if=title)
        metadata = {
            "author": document.author,
            "date": document.date,
            "sitename": document.sitename,
            "url": document.url,
        }
    else:
        title, body = _page_title_and_text(html)
    if not body:
        return _failed(source, "no article text found in the page")
    article = RawArticle(
        source=source,
        where="",
        title=title,
        body=body,
        outlet=_clean_meta(metadata.get("sitename")),
        author=_clean_meta(metadata.get("author")),
        published_at=_with_time_of_day(html, _clean_meta(metadata.get("date"))),
        date_field="date (page metadata)",
        url=url or _clean_meta(metadata.get("url")),
        format=fmt,
        extra=dict(extra),
    )
    return ReadResult(articles=(article,))


_META_TAG = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_TAG_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_PUBLISHED_TIME_META = frozenset({"article:published_time", "og:published_time", "datepublished"})
_HEAD_CHARS = 200_000  # meta tags are in the head; a huge page is not searched to its end


def _with_time_of_day(html: str, day: str | None) -> str | None:
    """The page's publication date with its time and zone when a meta tag states them for the
    same day: trafilatura's date keeps the day only, while JSON records and feeds keep the time."""
    if not day or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        return day
    for tag in _META_TAG.finditer(html, 0, _HEAD_CHARS):
        attributes = {
            match.group(1).lower(): next((value for value in match.group(2, 3, 4) if value is not None), "")
            for match in _TAG_ATTRIBUTE.finditer(tag.group(0))
        }
        names = {attributes.get(key, "").lower() for key in ("property", "name", "itemprop")}
        stated = " ".join(attributes.get("content", "").split())
        if names & _PUBLISHED_TIME_META and stated.startswith(day + "T") and is_readable_date(stated):
            return stated
    return day


def _trafilatura_extract(source: str, html: str, url: str | None) -> Any:
    try:
        return trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            deduplicate=False,
            # Only dates the page states as such (meta tags, URL, <time>): the extensive search
            # guesses from any year in the text, such as a "© 2019" footer.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as exc:  # noqa: BLE001 - a third-party parser on arbitrary pages; fall back
        logger.warning("trafilatura could not parse %s (%s); using the plain HTML text", source, exc)
        return None


def _clean_meta(value: str | None) -> str | None:
    """Whitespace collapsed; None for a missing or blank value."""
    if not value:
        return None
    return " ".join(str(value).split()) or None


def _paragraphs_from_lines(text: str, drop_first_if: str = "") -> str:
    """One paragraph per non-empty line, separated by blank lines; the title line dropped."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if lines and drop_first_if and lines[0] == drop_first_if.strip():
        lines = lines[1:]
    return "\n\n".join(lines)


_DROPPED_TAGS = (
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "form", "button", "select", "nav", "aside", "footer", "header", "head",
)
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
        "section", "article", "main", "table", "tr", "td", "th", "dd", "dt", "dl", "figure",
        "figcaption", "hr", "address", "body",
    }
)


def html_to_text(markup: str) -> str:
    """Readable text of an HTML fragment (feed content, fallback pages): one line per paragraph,
    paragraphs separated by blank lines; scripts, styles, navigation and forms dropped."""
    if not markup.strip():
        return ""
    if "<" not in markup and "&" not in markup:
        return _join_paragraphs(markup)
    try:
        root = lxml.html.fragment_fromstring(_xml_compatible(markup), create_parent="div")
    except (etree.ParserError, ValueError) as exc:
        logger.debug("not parseable as HTML (%s); keeping it as text", exc)
        return _join_paragraphs(markup)
    return _text_of_element(root)


# Characters lxml refuses in element text (XML 1.0 forbids them): C0 controls other than tab and
# newlines, surrogates, U+FFFE and U+FFFF. A form feed in a page is whitespace anyway.
_XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_compatible(markup: str) -> str:
    return _XML_INCOMPATIBLE.sub(" ", markup)


def _text_of_element(root: Any) -> str:
    for element in list(root.iter(*_DROPPED_TAGS)):
        _drop_keeping_tail(element)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        tag = element.tag.lower()
        if tag == "br":
            element.tail = "\n" + (element.tail or "")
        elif tag in _BLOCK_TAGS:
            element.text = "\n\n" + (element.text or "")
            element.tail = "\n\n" + (element.tail or "")
    for comment in root.iter(etree.Comment):
        _drop_keeping_tail(comment)
    return _join_paragraphs(root.text_content())


def _drop_keeping_tail(element: Any) -> None:
    parent = element.getparent()
    if parent is not None:
        element.drop_tree()


def _join_paragraphs(text: str) -> str:
    """Paragraphs are separated by blank lines; whitespace inside a paragraph is one space."""
    paragraphs = re.split(r"\n[ \t\u00a0]*\n", text.replace("\r", "\n"))
    cleaned = (" ".join(paragraph.split()) for paragraph in paragraphs)
    return "\n\n".join(paragraph for paragraph in cleaned if paragraph)


def _page_title_and_text(html: str) -> tuple[str, str]:
    """Fallback for pages trafilatura finds no article in (short pages, plain markup)."""
    try:
        root = lxml.html.document_fromstring(_xml_compatible(html))
    except (etree.ParserError, ValueError):
        return "", ""
    title = " ".join((root.findtext(".//title") or "").split())
    body_element = root.find(".//body")
    body = _text_of_element(body_element if body_element is not None else root)
    return title, body


# ------------------------------------------------------------------------------ JSON and JSONL

_RECORD_LIST_KEYS = ("articles", "items", "records", "data")


def _read_json_file(source: str, data: bytes, fmt: str) -> ReadResult:
    text, encoding = _decode_text(data)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return _failed(source, f"not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})")
    except RecursionError:
        return _failed(source, _TOO_DEEP_REASON)
    extra = _encoding_extra(source, encoding)
    if isinstance(value, dict):
        nested = _nested_record_list(value)
        if nested is None:
            return _collect([_article_from_record(value, source, "", fmt, extra)])
        value = nested
    if not isinstance(value, list):
        return _failed(
            source, f"expected a JSON object or a list of objects, found a {_type_name(value)}"
        )
    if not value:
        return _failed(source, "the JSON list is empty")
    return _collect(
        _article_from_record(record, source, f"record {number}", fmt, extra)
        for number, record in enumerate(value, start=1)
    )


def _nested_record_list(value: dict[str, Any]) -> list[Any] | None:
    """{"articles": [...]} (an API response) rather than one article."""
    if any(_normal_key(key) in _BODY_KEYS for key in value):
        return None
    for key in value:
        if _normal_key(key) in _RECORD_LIST_KEYS and isinstance(value[key], list):
            return value[key]
    return None


def _read_jsonl_file(source: str, data: bytes, fmt: str) -> ReadResult:
    text, encoding = _decode_text(data)
    extra = _encoding_extra(source, encoding)
    items: list[RawArticle | Problem] = []
    # Split on "\n" only: str.splitlines() would also split inside strings at U+2028 and friends.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip().lstrip("\ufeff")
        if not line:
            continue
        where = f"line {number}"
        try:
            record = json.loads(line)
            items.append(_article_from_record(record, source, where, fmt, extra))
        except json.JSONDecodeError as exc:
            items.append(Problem(source, f"not valid JSON at column {exc.colno} ({exc.msg})", where))
        except RecursionError:
            items.append(Problem(source, _TOO_DEEP_REASON, where))
    if not items:
        return _failed(source, "no records (the file has no JSON lines)")
    return _collect(items)


# ---------------------------------------------------------------------------------------- CSV


def _read_csv_file(source: str, data: bytes, fmt: str) -> ReadResult:
    text, encoding = _decode_text(data)
    extra = _encoding_extra(source, encoding)
    # Article bodies can exceed the csv module's default field limit (128 KiB); the file size
    # is already bounded by max_file_bytes.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    reader = csv.reader(
        io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=_guess_delimiter(first_line)
    )
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return _failed(source, f"the header row is not valid CSV ({exc})")
    if not header or not any(cell.strip() for cell in header):
        return _failed(source, "file is empty")
    columns = [cell.strip() for cell in header]
    if not any(_normal_key(column) in _BODY_KEYS for column in columns):
        return _failed(
            source,
            "no 'body', 'text' or 'content' column in the header row "
            f"(columns: {', '.join(columns)})",
        )
    result = _collect(_csv_records(reader, columns, source, fmt, extra))
    if not result.articles and not result.problems:
        return _failed(source, "no records (the file has a header row but no filled-in rows)")
    return result


def _csv_records(
    reader: Any, columns: list[str], source: str, fmt: str, extra: Mapping[str, str]
) -> Iterable[RawArticle | Problem]:
    row_number = 1  # the header is row 1, as in a spreadsheet
    while True:
        row_number += 1
        where = f"row {row_number}"
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Problem(source, f"not valid CSV ({exc}); the rest of the file was not read", where)
            return
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            yield Problem(
                source, f"has {len(row)} fields but the header row has {len(columns)}", where
            )
            continue
        yield _article_from_record(dict(zip(columns, row)), source, where, fmt, extra)


def _guess_delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


# --------------------------------------------------------------------------------------- feeds


def _articles_from_feed(source: str, data: bytes, fmt: str) -> ReadResult:
    # Always bytes: given a str, feedparser would treat it as a URL or file name and open it.
    try:
        parsed = feedparser.parse(_possible_character_references(data))
    except (ValueError, UnicodeError) as exc:  # feedparser's own bugs on odd input
        return _failed(source, f"not a valid RSS or Atom feed ({_short(str(exc))})")
    if not parsed.entries:
        broken = parsed.get("bozo_exception") if parsed.get("bozo") else None
        if broken:
            return _failed(source, f"not a valid RSS or Atom feed ({_short(str(broken))})")
        if not parsed.get("version"):
            return _failed(source, "not an RSS or Atom feed")
        return _failed(source, "the feed has no entries")
    outlet = _clean_meta(parsed.feed.get("title"))
    return _collect(
        _article_from_entry(entry, source, f"entry {number}", outlet, is_rss=str(parsed.get("version", "")).startswith("rss"))
        for number, entry in enumerate(parsed.entries, start=1)
    )


_NUMERIC_REFERENCE = re.compile(rb"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+))")
_REPLACEMENT_REFERENCE = b"&#65533"  # decimal: a letter after it cannot join the number


def _possible_character_references(data: bytes) -> bytes:
    """`&#xD800;` and `&#1114112;` name no character and make feedparser raise: use U+FFFD."""

    def checked(match: re.Match[bytes]) -> bytes:
        digits = match.group(1) or match.group(2)
        if len(digits.lstrip(b"0")) > 7:
            return _REPLACEMENT_REFERENCE
        code = int(digits, 16 if match.group(1) else 10)
        if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            return _REPLACEMENT_REFERENCE
        return match.group(0)

    return _NUMERIC_REFERENCE.sub(checked, data)


def _article_from_entry(
    entry: Any, source: str, where: str, outlet: str | None, is_rss: bool = False
) -> RawArticle | Problem:
    body = _entry_text(entry)
    if not body:
        return Problem(source, "no content or summary", where)
    extra: dict[str, str] = {}
    tags = [tag.get("term") for tag in entry.get("tags", []) if tag.get("term")]
    if tags:
        extra["tags"] = ", ".join(tags)
    original = entry.get("source", {}).get("title")
    if original:
        extra["original_source"] = original  # the outlet a republished (wire) story came from
    title_detail = entry.get("title_detail", {})
    title = entry.get("title", "")
    if "html" in (title_detail.get("type") or ""):
        title = html_to_text(title)
    return RawArticle(
        source=source,
        where=where,
        title=" ".join(title.split()),
        body=body,
        outlet=outlet,
        author=_clean_meta(entry.get("author")),
        published_at=_clean_meta(entry.get("published") or entry.get("updated")),
        date_field=_feed_date_field(entry, is_rss),
        url=_clean_meta(entry.get("link")),
        external_id=_clean_meta(entry.get("id")),
        format="feed",
        extra=extra,
    )


def _feed_date_field(entry: Any, is_rss: bool) -> str:
    """The element the entry's date came from, as the feed spells it (feedparser renames them)."""
    if _clean_meta(entry.get("published")):
        return "pubDate" if is_rss else "published"
    return "updated"


def _entry_text(entry: Any) -> str:
    """Full content when the entry has it, else the summary; HTML turned into paragraphs."""
    candidates = list(entry.get("content", []))
    if entry.get("summary_detail"):
        candidates.append(entry["summary_detail"])
    elif entry.get("summary"):
        candidates.append({"type": "text/html", "value": entry["summary"]})
    for candidate in candidates:
        value = candidate.get("value") or ""
        kind = candidate.get("type") or "text/html"
        text = html_to_text(value) if "html" in kind else _join_paragraphs(value)
        if text:
            return text
    return ""


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----------------------------------------------------------------------------------------- URLs


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (urllib would also follow one to ftp://)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise urllib.error.HTTPError(
                newurl, code, f"redirect to a non-http URL {newurl}", headers, fp
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_FEED_CONTENT_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")


def read_url(url: str, timeout_s: float, max_bytes: int) -> ReadResult:
    """Fetch a web page (or feed) over http(s) and extract its article(s). Never raises."""
    url = url.strip()
    try:
        result = _read_url(url, timeout_s, max_bytes)
    except RecursionError:
        return _failed(url, _TOO_DEEP_REASON)
    return _finished(url, result)


def _read_url(url: str, timeout_s: float, max_bytes: int) -> ReadResult:
    if urlsplit(url).scheme.lower() not in ("http", "https") or not urlsplit(url).hostname:
        return _failed(url, "only http and https URLs can be fetched")
    try:
        data, final_url, content_type, charset = _fetch(url, timeout_s, max_bytes)
        _check_not_empty(data)
        if content_type in _FEED_CONTENT_TYPES or (
            content_type.endswith("+xml") and "xhtml" not in content_type
        ):
            return _articles_from_feed(url, data, "feed")
        _check_not_binary(data)
        if content_type in ("text/html", "application/xhtml+xml"):
            text, _ = _decode_text(data, charset or _declared_html_charset(data))
            return _articles_from_html(url, text, "url", url=final_url, extra={})
        if content_type == "text/plain":
            text, _ = _decode_text(data, charset)
            body = _join_paragraphs(text)
            return ReadResult(
                articles=(RawArticle(source=url, where="", title="", body=body, url=final_url, format="url"),)
            )
        return _failed(url, f"unsupported content type '{content_type}' (expected a web page or a feed)")
    except _Unreadable as exc:
        return _failed(url, exc.reason)


def _fetch(url: str, timeout_s: float, max_bytes: int) -> tuple[bytes, str, str, str | None]:
    """(body, final URL, content type, charset), or _Unreadable with the reason."""
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    try:
        with opener.open(request, timeout=timeout_s) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise _Unreadable(f"the page is {int(declared):,} bytes, over the {max_bytes:,}-byte limit")
            data = response.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise _Unreadable(f"the page is over the {max_bytes:,}-byte limit")
            return (
                data,
                response.geturl(),
                response.headers.get_content_type().lower(),
                response.headers.get_content_charset(),
            )
    except urllib.error.HTTPError as exc:
        exc.close()
        raise _Unreadable(f"the server answered HTTP {exc.code} ({exc.reason})") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise _Unreadable(f"no answer within {timeout_s:g} seconds") from None
        raise _Unreadable(f"could not connect ({_reason_text(exc.reason)})") from None
    except TimeoutError:
        raise _Unreadable(f"no answer within {timeout_s:g} seconds") from None
    except (HTTPException, OSError, ValueError) as exc:
        raise _Unreadable(f"could not fetch the page ({_reason_text(exc)})") from None


def _reason_text(reason: Any) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


_Reader = Callable[[str, bytes, str], ReadResult]
_READERS: dict[str, _Reader] = {
    "txt": _read_text_file,
    "md": _read_text_file,
    "html": _read_html_file,
    "json": _read_json_file,
    "jsonl": _read_jsonl_file,
    "csv": _read_csv_file,
    "feed": _articles_from_feed,
}
