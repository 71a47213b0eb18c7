"""Typed, immutable records passed between pipeline stages.

read -> RawArticle; clean -> CleanText; ingest -> Article; segment -> Sentence, Chunk;
attribute -> Statement; retrieve -> Passage; answer -> Citation, Answer.
All character spans are (start, end) offsets into `Article.text`, the cleaned, stored text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Mapping

Span = tuple[int, int]


@dataclass(frozen=True)
class Problem:
    """An input item that was skipped, and why (reported to the user, never raised). The same
    shape carries a warning about an item that was indexed with a caveat (IngestReport.warnings)."""

    source: str  # file path or URL
    reason: str
    where: str = ""  # "line 4", "record 2", "entry 3"; empty for the whole file

    def __str__(self) -> str:
        location = f"{self.source} ({self.where})" if self.where else self.source
        return f"{location}: {self.reason}"


@dataclass(frozen=True)
class RawArticle:
    """What a reader found, before cleaning. `body` keeps paragraphs separated by blank lines."""

    source: str  # file path or URL it came from
    where: str  # record locator inside the source ("" for a one-article file)
    title: str
    body: str
    outlet: str | None = None
    author: str | None = None
    published_at: str | None = None  # as written in the source; normalised later
    date_field: str | None = None  # where the date was ("published_at", "pubDate"): named in warnings
    url: str | None = None
    external_id: str | None = None
    format: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)  # unknown fields, kept as metadata


@dataclass(frozen=True)
class ReadResult:
    articles: tuple[RawArticle, ...] = ()
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class CleanText:
    text: str
    removed: tuple[str, ...] = ()  # the boilerplate lines taken out, for audit


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str  # cleaned text: what is stored, chunked and cited
    outlet: str | None
    author: str | None
    published_at: str | None  # ISO 8601 (date or datetime) or None
    url: str | None
    source: str
    where: str
    content_hash: str
    removed: tuple[str, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)
    duplicate_of: str | None = None  # set when this article is a (near-)copy of another
    raw_hash: str = ""  # hash of what the reader gave (before cleaning): unchanged input skips all work


@dataclass(frozen=True)
class Sentence:
    article_id: str
    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Chunk:
    id: str  # f"{article_id}:{index}"
    article_id: str
    index: int
    start: int
    end: int
    text: str  # == article.text[start:end]


StanceName = Literal["assert", "deny", "accuse", "promise", "warn", "admit", "question", "confirm", "claim"]


@dataclass(frozen=True)
class Statement:
    article_id: str
    index: int
    speaker: str  # resolved name
    speaker_mention: str  # as written
    speaker_span: Span
    cue: str
    cue_span: Span
    content: str
    content_span: Span
    quote_type: Literal["direct", "indirect", "mixed"]
    stance: str
    target: str | None = None  # the accused party for "X accused Z of Y"


@dataclass(frozen=True)
class ArticleInfo:
    """The metadata a passage or citation shows about its article."""

    id: str
    title: str
    outlet: str | None
    published_at: str | None
    url: str | None
    also_published_by: tuple[str, ...] = ()  # outlets of recorded wire copies
    copies: tuple[tuple[str | None, str | None], ...] = ()  # (outlet, published_at) of each recorded wire copy


@dataclass(frozen=True)
class Passage:
    chunk: Chunk
    article: ArticleInfo
    score: float


@dataclass(frozen=True)
class Citation:
    number: int
    article: ArticleInfo
    start: int
    end: int
    text: str  # == stored article text[start:end]

    @property
    def article_id(self) -> str:
        return self.article.id


@dataclass(frozen=True)
class Filters:
    outlets: tuple[str, ...] = ()
    since: str | None = None  # ISO date, inclusive
    until: str | None = None  # ISO date, inclusive
    article_ids: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.outlets or self.since or self.until or self.article_ids)


@dataclass(frozen=True)
class Table:
    """A compare or who-said-what table. Cells hold text with [n] citation markers."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    question: str
    mode: str
    text: str  # markdown with [n] markers
    answerable: bool
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    statements: tuple[Statement, ...] = ()
    engine: str = "extractive"
    table: Table | None = None
    notice: str = ""  # e.g. "the LLM endpoint timed out; this is the extractive answer"
    filters: Filters = Filters()


@dataclass(frozen=True)
class IngestReport:
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    duplicates: tuple[tuple[str, str], ...] = ()  # (article id, id of the story it copies)
    removed: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()  # skipped input
    warnings: tuple[Problem, ...] = ()  # indexed, with a caveat (e.g. a date that is not a date)
    chunks_embedded: int = 0  # chunk texts the model embedded in this run (new text only)
    chunks_written: int = 0  # chunks of the added and updated articles (vectors new or reused)
    chunks_embedded_unused: int = 0  # embedded before the article proved a wire copy: not indexed
    sentences_embedded: int = 0  # sentence texts embedded in this run (a one-sentence chunk counts as a chunk)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems
