"""Ingest: read -> clean -> dedup -> segment -> chunk -> attribute -> embed -> index.

One call of `ingest()` is one atomic write of the index. Bad input never stops the run: each bad
file or record becomes a Problem in the report and the good ones are still ingested. A record
indexed with a caveat (a date that is not a date) becomes a warning in the report.

Decisions worth knowing:
- Within one call, each article id is taken once: a record whose own id (or URL) gives the id
  of an earlier record, in the same file or in another input of the call, is skipped with a
  Problem naming both. The first one in input order (arguments in order, folders sorted,
  records in file order) is kept, so re-ingesting the same input keeps the same record.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from . import attribute, clean, dedup, normalize, read, segment
from .embed import Embedder
from .errors import ArticleNotFound
from .index import Index, IndexWriter, text_hash
from .records import Article, Chunk, IngestReport, Problem, RawArticle, Sentence, Statement
from .settings import Settings

log = logging.getLogger(__name__)

# progress(stage, done, total): stage is "read" (files) or "embed" (chunk and sentence texts).
Progress = Callable[[str, int, int], None]

_TITLE_CHARS = 120


@dataclass(frozen=True)
class Prepared:
    """An article with everything derived from its text, ready to classify and store."""

    article: Article
    identity: str  # what the id came from: "id", "url" or "content"
    fingerprint: dedup.Fingerprint
    sentences: tuple[Sentence, ...]
    chunks: tuple[Chunk, ...]
    chunk_hashes: tuple[str, ...]
    statements: tuple[Statement, ...]
    sentence_hashes: tuple[str, ...] = ()  # each sentence's text hash: its vector is stored too

    @property
    def text_hashes(self) -> tuple[str, ...]:
        """Every text of the article that gets a vector: its chunks, then its sentences."""
        return self.chunk_hashes + self.sentence_hashes

    def sentence_vectors(self, vectors: Mapping[str, np.ndarray], dimension: int) -> np.ndarray:
        if not self.sentences:
            return np.zeros((0, dimension), np.float32)
        return np.vstack([vectors[h] for h in self.sentence_hashes])


@dataclass
class _Tally:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    embedded_hashes: set[str] = field(default_factory=set)  # chunk texts embedded in this run
    embedded_sentence_hashes: set[str] = field(default_factory=set)  # and sentence texts (not also a chunk's)
    written_hashes: set[str] = field(default_factory=set)  # chunk texts of the articles written
    written: int = 0  # chunks written

    @property
    def embedded(self) -> int:
        return len(self.embedded_hashes)

    def embedded_unused(self) -> int:
        """Texts embedded before their article turned out to be a wire copy (stored without chunks)."""
        return len(self.embedded_hashes - self.written_hashes)


def is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def ingest(
    inputs: Sequence[str | Path],
    index: Index,
    embedder: Embedder,
    settings: Settings,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest files, folders and URLs into `index`; return what happened to each."""
    started = time.perf_counter()
    raws, problems = read_inputs(inputs, settings, progress)
    tally = _Tally(problems=list(problems))
    raws = _without_repeated_ids(raws, tally)
    date_warnings = [warning for raw in raws if (warning := undated_warning(raw)) is not None]
    # The costly work runs before the writer lock: input read exactly as last time is skipped
    # (no cleaning, attribution or embedding at all), the rest is cleaned, derived and embedded.
    # Only classifying and writing hold the lock, so ingest workers embed in parallel.
    fresh = [raw for raw in raws if not _skip_unchanged(raw, index, tally)]
    prepared, vectors = _prepare_and_embed(fresh, index, embedder, settings, tally, progress)
    with index.writer() as writer:
        _store_all(prepared, writer, embedder, settings, tally, vectors)
        _add_missing_sentence_vectors(tally.unchanged, writer, embedder, tally)
        writer.log_ingest(
            len(tally.added), len(tally.updated), len(tally.unchanged), len(tally.duplicates),
            len(tally.removed), len(tally.problems),
        )
    return IngestReport(
        added=tuple(tally.added),
        updated=tuple(tally.updated),
        unchanged=tuple(tally.unchanged),
        duplicates=tuple(tally.duplicates),
        removed=tuple(tally.removed),
        problems=tuple(tally.problems),
        warnings=tuple(_for_indexed_records(date_warnings, tally.problems)),
        chunks_embedded=tally.embedded,
        chunks_written=tally.written,
        chunks_embedded_unused=tally.embedded_unused(),
        sentences_embedded=len(tally.embedded_sentence_hashes),
        seconds=time.perf_counter() - started,
    )


def read_inputs(
    inputs: Sequence[str | Path], settings: Settings, progress: Progress | None = None
) -> tuple[list[RawArticle], list[Problem]]:
    """Every article found in the inputs (URLs fetched, folders walked) and every problem."""
    urls = [str(i) for i in inputs if is_url(str(i))]
    paths = [i for i in inputs if not is_url(str(i))]
    files, problems = read.iter_input_files(paths) if paths else ([], [])
    raws: list[RawArticle] = []
    total = len(files) + len(urls)
    for done, file in enumerate(files, start=1):
        result = read.read_path(Path(file), settings.max_file_bytes)
        raws.extend(result.articles)
        problems.extend(result.problems)
        if progress:
            progress("read", done, total)
    for done, url in enumerate(urls, start=len(files) + 1):
        result = read.read_url(url, settings.fetch_timeout_s, settings.max_file_bytes)
        raws.extend(result.articles)
        problems.extend(result.problems)
        if progress:
            progress("read", done, total)
    return raws, list(problems)


# ------------------------------------------------------------------------- check records


def declared_id(raw: RawArticle) -> tuple[str, str] | None:
    """(article id, how to name it to a user) for a record whose id comes from its own id or URL;
    None when the id will come from the cleaned text."""
    url = normalize.canonical_url(raw.url) if raw.url else None
    if not raw.external_id and not url:
        return None
    article_id, identity = article_id_for(raw.external_id, url, normalize.normalize_outlet(raw.outlet, url), "")
    return article_id, (f"id '{raw.external_id}'" if identity == "id" else f"URL '{url}'")


def _without_repeated_ids(raws: Sequence[RawArticle], tally: _Tally) -> list[RawArticle]:
    """The records with each declared article id once: the first keeps it, each later one is a
    Problem. (Kept together they would replace each other on every ingest.)"""
    first_with: dict[str, RawArticle] = {}
    kept: list[RawArticle] = []
    for raw in raws:
        declared = declared_id(raw)
        earlier = first_with.setdefault(declared[0], raw) if declared else raw
        if earlier is raw:
            kept.append(raw)
        elif (earlier.source, earlier.where) != (raw.source, raw.where):  # else: the same URL given twice
            reason = f"{declared[1]} repeats {_place_beside(earlier, raw)}; this record was skipped"
            tally.problems.append(Problem(raw.source, reason, raw.where))
    return kept


def _place_beside(earlier: RawArticle, raw: RawArticle) -> str:
    """Where `earlier` is, said from where `raw` is: "line 1", or "other.jsonl (line 1)"."""
    if earlier.source == raw.source:
        return earlier.where or "an earlier record of the same file"
    return f"{earlier.source} ({earlier.where})" if earlier.where else earlier.source


def undated_warning(raw: RawArticle) -> Problem | None:
    """A warning when the record gives a publication date that cannot be read as a date."""
    written = " ".join((raw.published_at or "").split())
    if not written or normalize.is_readable_date(written):
        return None
    field_name = raw.date_field or "publication date"
    shown = written if len(written) <= 60 else written[:59] + "…"
    return Problem(raw.source, f"{field_name} '{shown}' is not a date (expected e.g. 2024-03-14); "
                               "the article was indexed without a date", raw.where)


def _for_indexed_records(warnings: Sequence[Problem], problems: Sequence[Problem]) -> list[Problem]:
    """The warnings about records that were not skipped after all (a skipped one has its Problem)."""
    skipped = {(p.source, p.where) for p in problems}
    return [w for w in warnings if (w.source, w.where) not in skipped]


# ------------------------------------------------------------------------- prepare


def raw_hash(raw: RawArticle) -> str:
    """Identity of a reader's output, metadata included (a changed date or title is a change)."""
    parts = [raw.title, raw.body, raw.outlet, raw.author, raw.published_at, raw.url, raw.external_id,
             raw.format, json.dumps(dict(raw.extra), sort_keys=True, ensure_ascii=False)]
    return hashlib.sha1("\x1f".join(p or "" for p in parts).encode("utf-8", "surrogatepass")).hexdigest()


def _skip_unchanged(raw: RawArticle, index: Index, tally: _Tally) -> bool:
    article_id = index.unchanged_source(raw.source, raw.where, raw_hash(raw))
    if article_id is None:
        return False
    tally.unchanged.append(article_id)
    return True


def _prepare_one(raw: RawArticle, settings: Settings, tally: _Tally) -> Prepared | None:
    """`prepare`, with a bad article recorded as a problem (None) rather than raised."""
    try:
        item = prepare(raw, settings)
    except Exception as exc:  # a bug on odd input must not cost the user the whole batch
        log.exception("could not process %s %s", raw.source, raw.where)
        tally.problems.append(Problem(raw.source, f"could not be processed ({exc.__class__.__name__}: {exc})", raw.where))
        return None
    if isinstance(item, Problem):
        tally.problems.append(item)
        return None
    return item


def prepare(raw: RawArticle, settings: Settings) -> Prepared | Problem:
    """Clean a raw article and derive everything stored for it (no embedding yet)."""
    cleaned = clean.clean_text(raw.body)
    if not cleaned.text.strip():
        reason = "no article text left after removing boilerplate" if raw.body.strip() else "no article text"
        return Problem(raw.source, reason, raw.where)
    if not any(character.isalnum() for character in cleaned.text):  # (doctor helper patch) e.g. only zero-width joiners
        return Problem(raw.source, "no readable text (only invisible characters, symbols or punctuation)", raw.where)
    url = normalize.canonical_url(raw.url) if raw.url else None
    outlet = normalize.normalize_outlet(raw.outlet, url)
    title = " ".join((raw.title or "").split()) or _title_from_text(cleaned.text)
    content_hash = dedup.content_hash(title, cleaned.text)
    article_id, identity = article_id_for(raw.external_id, url, outlet, content_hash)
    article = Article(
        id=article_id,
        title=title,
        text=cleaned.text,
        outlet=outlet,
        author=" ".join(raw.author.split()) if raw.author else None,
        published_at=normalize.parse_date(raw.published_at),
        url=url,
        source=raw.source,
        where=raw.where,
        content_hash=content_hash,
        removed=cleaned.removed,
        metadata={"format": raw.format, **{str(k): str(v) for k, v in raw.extra.items()}},
        raw_hash=raw_hash(raw),
    )
    return derive(article, identity, settings)


def derive(article: Article, identity: str, settings: Settings) -> Prepared:
    """Sentences, chunks, statements and the near-duplicate fingerprint of a cleaned article."""
    sentences = segment.split_sentences(article.id, article.text)
    chunks = segment.make_chunks(
        article.id, article.text, sentences, settings.chunk_max_chars, settings.chunk_overlap_sentences
    )
    return Prepared(
        article=article,
        identity=identity,
        fingerprint=dedup.fingerprint(article.text),
        sentences=tuple(sentences),
        chunks=tuple(chunks),
        chunk_hashes=tuple(text_hash(c.text) for c in chunks),
        statements=tuple(attribute.extract_statements(article.id, article.text, sentences)),
        sentence_hashes=tuple(text_hash(s.text) for s in sentences),
    )


def article_id_for(external_id: str | None, url: str | None, outlet: str | None, content_hash: str) -> tuple[str, str]:
    """Deterministic id: the source's own id, else the canonical URL, else the content.

    Ids from a URL or source id stay the same when the text changes, so a corrected article
    replaces the old version instead of sitting beside it.
    """
    if external_id:
        key, identity = f"id:{outlet or ''}:{external_id}", "id"
    elif url:
        key, identity = f"url:{url}", "url"
    else:
        key, identity = f"content:{content_hash}", "content"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16], identity


def article_ids_for_source_id(index: Index, source_id: str) -> list[str]:
    """The indexed articles a source gave this id (a JSON record's `id`, a feed's guid, front
    matter `id`). The index keeps no source ids, but an article's id is derived from (outlet,
    source id), so the id is recomputed for each outlet the index holds (and for no outlet)."""
    source_id = source_id.strip()
    if not source_id:
        return []
    outlets = [None, *(outlet for outlet, _ in index.outlets())]
    candidates = {article_id_for(source_id, None, outlet, "")[0] for outlet in outlets}
    return sorted(candidate for candidate in candidates if index.has_article(candidate))


def _title_from_text(text: str) -> str:
    first_line = text.strip().split("\n", 1)[0]
    if len(first_line) <= _TITLE_CHARS:
        return first_line
    return first_line[: _TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"


# ------------------------------------------------------------------------- classify and store


EMBED_WINDOW = 512  # chunk texts embedded together (length-sorted within it: little padding)
_PREPARED_ALL = object()  # what the preparing thread puts last


def _prepare_and_embed(
    raws: Sequence[RawArticle], index: Index, embedder: Embedder, settings: Settings, tally: _Tally,
    progress: Progress | None,
) -> tuple[list[Prepared], dict[str, np.ndarray]]:
    """Prepare the articles in a worker thread while this thread embeds the chunk texts of those
    already prepared, EMBED_WINDOW texts at a time. Cleaning and attribution are Python (they
    hold the GIL), encoding is torch (it lets go of it): overlapped, much of the preparing hides
    behind the encoder instead of preceding it. Only this thread touches the index."""
    ready: queue.Queue = queue.Queue()
    worker = threading.Thread(target=_prepare_into, args=(raws, settings, tally, ready), name="newsdesk-prepare", daemon=True)
    worker.start()
    prepared: list[Prepared] = []
    vectors: dict[str, np.ndarray] = {}
    window: list[Prepared] = []
    window_chunks = 0
    counter = _EmbedProgress(progress)
    while (item := ready.get()) is not _PREPARED_ALL:
        if isinstance(item, BaseException):
            raise item
        prepared.append(item)
        window.append(item)
        window_chunks += len(item.chunks)
        counter.found(len(item.text_hashes))
        if window_chunks >= EMBED_WINDOW:
            _embed_window(window, index, embedder, tally, vectors, counter)
            window, window_chunks = [], 0
    worker.join()
    counter.all_found = True
    _embed_window(window, index, embedder, tally, vectors, counter)
    return prepared, vectors


def _prepare_into(raws: Sequence[RawArticle], settings: Settings, tally: _Tally, ready: queue.Queue) -> None:
    """The preparing thread: each prepared article onto `ready`, then _PREPARED_ALL (or the error)."""
    try:
        for raw in raws:
            item = _prepare_one(raw, settings, tally)
            if item is not None:
                ready.put(item)
    except BaseException as exc:  # reaches the caller's thread: a worker must not fail silently
        ready.put(exc)
    finally:
        ready.put(_PREPARED_ALL)


class _EmbedProgress:
    """Reports ("embed", done, total) while the total still grows with each prepared article;
    `done` reaches `total` only once every article is prepared (a bar closes there)."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.done = 0
        self.total = 0
        self.all_found = False

    def found(self, chunks: int) -> None:
        self.total += chunks

    def add(self, chunks: int) -> None:
        self.done += chunks
        if self.progress and self.total and (self.done or self.all_found):
            total = self.total if self.all_found else max(self.total, self.done + 1)
            self.progress("embed", self.done, total)


def _embed_window(
    window: Sequence[Prepared], index: Index, embedder: Embedder, tally: _Tally, vectors: dict[str, np.ndarray],
    counter: _EmbedProgress,
) -> None:
    """Vectors for the window's chunk and sentence texts the index and `vectors` lack (by text
    hash), each embedded once; texts already held count as done."""
    hashes = [h for item in window for h in item.text_hashes]
    vectors.update(index.vectors_by_text_hash([h for h in hashes if h not in vectors]))
    to_embed = _texts_to_embed(window, vectors)
    counter.add(len(hashes) - len(to_embed))
    if to_embed:
        vectors.update(zip(to_embed.keys(), embedder.embed(list(to_embed.values()), progress=counter.add)))
        _count_embedded(window, to_embed, tally)


def _texts_to_embed(items: Sequence[Prepared], known: Mapping[str, np.ndarray]) -> dict[str, str]:
    """text hash -> text for every chunk and sentence text without a vector yet, each once (a
    one-sentence chunk is embedded once for both)."""
    to_embed: dict[str, str] = {}
    for item in items:
        texts = [c.text for c in item.chunks] + [s.text for s in item.sentences]
        for text, h in zip(texts, item.text_hashes):
            if h not in known and h not in to_embed:
                to_embed[h] = text
    return to_embed


def _count_embedded(items: Sequence[Prepared], embedded: Iterable[str], tally: _Tally) -> None:
    chunk_hashes = {h for item in items for h in item.chunk_hashes}
    for h in embedded:
        (tally.embedded_hashes if h in chunk_hashes else tally.embedded_sentence_hashes).add(h)


def _store_all(
    prepared: Sequence[Prepared],
    writer: IndexWriter,
    embedder: Embedder,
    settings: Settings,
    tally: _Tally,
    vectors: dict[str, np.ndarray],
) -> None:
    """Classify each article against the index (and the batch so far) and write it."""
    pending: list[tuple[Prepared, str]] = []  # (article, "added"/"updated") waiting for vectors
    pending_fps: list[tuple[str, dedup.Fingerprint]] = []
    seen_in_batch: set[str] = set()

    def flush() -> None:
        if not pending:
            return
        _embed_and_put(pending, writer, embedder, tally, vectors)
        pending.clear()
        pending_fps.clear()

    # Earliest-published first, so the original wire story (not a later republication) is the
    # one indexed and the others are recorded as its copies. Undated articles keep file order, last.
    in_date_order = sorted(prepared, key=lambda p: (p.article.published_at is None, p.article.published_at or ""))
    for item in in_date_order:
        article = item.article
        if article.id in seen_in_batch:
            tally.unchanged.append(article.id)  # the same article twice in one run
            continue
        seen_in_batch.add(article.id)
        status, heir = _status(item, writer, tally)
        if heir is not None:  # the replaced version had wire copies: the oldest now stands for them
            pending.append((derive(heir, "url" if heir.url else "content", settings), "updated"))
        if status == "unchanged":
            tally.unchanged.append(article.id)
            continue
        original = _original_of(item, writer, pending_fps, settings)
        if original is not None:
            flush()  # the original may still be waiting for its vectors
            writer.put_article(replace(article, duplicate_of=original), item.identity, item.fingerprint.signature,
                               (), (), (), np.zeros((0, writer.dimension), np.float32), (), ())
            tally.duplicates.append((article.id, original))
            continue
        pending.append((item, status))
        pending_fps.append((article.id, item.fingerprint))
        if sum(len(p.chunks) for p, _ in pending) >= 512:
            flush()
    flush()


def _status(item: Prepared, writer: IndexWriter, tally: _Tally) -> tuple[str, Article | None]:
    """'unchanged', 'updated' or 'added', and a copy promoted by removing the replaced version."""
    article = item.article
    stored_hash = writer.content_hash_of(article.id)
    if stored_hash is not None:
        stored = writer.stored_article(article.id)
        if stored_hash == article.content_hash and _same_metadata(stored, article):
            return "unchanged", None
        return "updated", None
    if item.identity == "content":
        # An edited file without URL or id gets a new content id: replace what it gave before.
        previous = writer.article_for_source(article.source, article.where)
        if previous and previous[1] == "content" and previous[0] != article.id:
            heir = _remove_with_copies(previous[0], writer, tally)
            tally.removed.pop()  # replaced, not removed: it is reported as updated
            return "updated", (replace(heir, duplicate_of=None) if heir else None)
    return "added", None


def _same_metadata(stored: Article | None, new: Article) -> bool:
    if stored is None:
        return False
    fields = ("title", "outlet", "author", "published_at", "url", "removed")
    return all(getattr(stored, f) == getattr(new, f) for f in fields) and dict(stored.metadata) == dict(new.metadata)


def _original_of(
    item: Prepared, writer: IndexWriter, pending_fps: Sequence[tuple[str, dedup.Fingerprint]], settings: Settings
) -> str | None:
    """The id of the story this article copies (exact or near), or None if it is a new story."""
    article = item.article
    exact = writer.originals_with_hash(article.content_hash, other_than=article.id)
    if exact:
        return exact[0]
    # Only the body decides a near copy: outlets rewrite headlines of the same wire text.
    for pid, fp in pending_fps:
        if pid != article.id and dedup.similarity(item.fingerprint.signature, fp.signature) >= settings.near_duplicate_threshold:
            return pid
    candidates = writer.dedup_candidates(item.fingerprint.bands, other_than=article.id)
    match = dedup.best_match(item.fingerprint, candidates, settings.near_duplicate_threshold)
    return match[0] if match else None


def _embed_and_put(
    pending: Sequence[tuple[Prepared, str]],
    writer: IndexWriter,
    embedder: Embedder,
    tally: _Tally,
    vectors: dict[str, np.ndarray] | None = None,
) -> None:
    """Write the articles, embedding only texts neither `vectors` nor the index holds (a wire
    copy promoted to original, a text another worker stored meanwhile)."""
    items = [item for item, _ in pending]
    known = _vectors_for(items, writer, embedder, tally, vectors)
    for item, status in pending:
        tally.written += len(item.chunks)
        tally.written_hashes.update(item.chunk_hashes)
        item_vectors = np.vstack([known[h] for h in item.chunk_hashes]) if item.chunks else np.zeros((0, writer.dimension), np.float32)
        writer.put_article(item.article, item.identity, item.fingerprint.signature, item.fingerprint.bands,
                           item.sentences, item.chunks, item_vectors, item.chunk_hashes, item.statements,
                           sentence_vectors=item.sentence_vectors(known, writer.dimension))
        (tally.updated if status == "updated" else tally.added).append(item.article.id)


def _vectors_for(
    items: Sequence[Prepared], writer: IndexWriter, embedder: Embedder, tally: _Tally,
    vectors: Mapping[str, np.ndarray] | None,
) -> dict[str, np.ndarray]:
    """Vectors for every text of `items`: from `vectors`, else the index, else embedded now."""
    wanted = [h for item in items for h in item.text_hashes]
    given = vectors or {}
    known = {h: given[h] for h in wanted if h in given}  # not a copy of `vectors`: it holds the whole run
    known.update(writer.vectors_by_text_hash([h for h in wanted if h not in known]))
    to_embed = _texts_to_embed(items, known)
    if to_embed:
        known.update(zip(to_embed.keys(), embedder.embed(list(to_embed.values()))))
        _count_embedded(items, to_embed, tally)
    return known


def _add_missing_sentence_vectors(article_ids: Sequence[str], writer: IndexWriter, embedder: Embedder,
                                  tally: _Tally) -> None:
    """Unchanged articles stored before sentence vectors existed (an index upgraded from schema
    2) get them now: ingesting the same files again completes the upgrade."""
    stored = {a: writer.sentences(a) for a in writer.lacking_sentence_vectors(article_ids)}
    texts = {text_hash(s.text): s.text for sentences in stored.values() for s in sentences}
    if not texts:
        return
    known = writer.vectors_by_text_hash(texts)
    to_embed = {h: t for h, t in texts.items() if h not in known}
    if to_embed:
        known.update(zip(to_embed, embedder.embed(list(to_embed.values()))))
        tally.embedded_sentence_hashes.update(to_embed)
    for sentences in stored.values():
        writer.put_sentence_vectors(sentences, np.vstack([known[text_hash(s.text)] for s in sentences]))


# ------------------------------------------------------------------------- remove


def remove(article_id: str, index: Index, embedder: Embedder, settings: Settings) -> IngestReport:
    """Remove an article. If it was the original of wire copies, the oldest copy takes its place."""
    started = time.perf_counter()
    tally = _Tally()
    with index.writer() as writer:
        if writer.content_hash_of(article_id) is None:
            raise ArticleNotFound(f"No article with id {article_id} in {index.path}. See `newsdesk list`.")
        promoted = _remove_with_copies(article_id, writer, tally)
        if promoted is not None:
            item = derive(replace(promoted, duplicate_of=None), "url" if promoted.url else "content", settings)
            _embed_and_put([(item, "updated")], writer, embedder, tally)
        writer.log_ingest(0, len(tally.updated), 0, 0, len(tally.removed), 0)
    return IngestReport(removed=tuple(tally.removed), updated=tuple(tally.updated),
                        chunks_embedded=tally.embedded, chunks_written=tally.written,
                        sentences_embedded=len(tally.embedded_sentence_hashes),
                        seconds=time.perf_counter() - started)


def _remove_with_copies(article_id: str, writer: IndexWriter, tally: _Tally) -> Article | None:
    """Remove an article; re-point its copies to the oldest copy, which is returned for indexing."""
    copies = writer.copies_of(article_id)
    writer.remove_article(article_id)
    tally.removed.append(article_id)
    if not copies:
        return None
    heir = copies[0]
    for other in copies[1:]:
        writer.set_duplicate_of(other, heir)
    return writer.stored_article(heir)
