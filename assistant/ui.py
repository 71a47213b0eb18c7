"""The Gradio chat app: layout and thin event handlers over the Assistant facade.

Handlers never touch the index or models: they call the facade and turn its records into view
values with `render`. The conversation travels with the page (a hidden field holding it as JSON,
`codec`), not in the server: no globals or per-session server state hold chat state, so concurrent
users get independent answers and any replica can answer any request. Errors from the facade become
a message in the chat; anything else is logged with its traceback and shown as a short apology.

Two ways to serve the events (setting `app_protocol`): "queue", Gradio's queue, which streams the
answer into the chat and shows an upload progress bar, but makes each call two requests that must
reach the same server; and "direct", one plain request per event, which any replica behind a load
balancer can serve. "auto" picks "direct" for the scale-out setup and "queue" otherwise.

Entry points: `serve(settings, index, host, port)` (app.py, `newsdesk serve`) and
`build_app(assistant)` + `launch_app(...)` (tests).
"""

from __future__ import annotations

import os

# Gradio phones home (analytics, version check) unless this is set before it is imported.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import dataclasses  # noqa: E402
import filecmp  # noqa: E402
import ipaddress  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import unicodedata  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable, Iterator, Sequence  # noqa: E402

import anyio  # noqa: E402
import gradio as gr  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402

from . import codec, render  # noqa: E402
from .api import add_json_api, basic_auth_user  # noqa: E402
from .errors import NewsdeskError, RequestError, SettingsError  # noqa: E402
from .facade import Assistant  # noqa: E402
from .read import SUPPORTED_EXTENSIONS  # noqa: E402
from .records import Answer, Filters, IngestReport, Problem  # noqa: E402
from .settings import Settings  # noqa: E402

log = logging.getLogger(__name__)

MODE_CHOICES: list[tuple[str, str]] = [
    ("Ask", "ask"), ("Who said what", "who"), ("Compare", "compare"), ("Summarize", "summarize"),
]
MODE_LABELS = {value: label for label, value in MODE_CHOICES}
EXAMPLES: list[list[str]] = [
    ["Did the solvent reach the river?", "ask"],
    ["Who denied that the solvent reached the river?", "who"],
    ["How do the outlets' accounts of the night differ?", "compare"],
    ["How do the outlets' figures for how much leaked differ?", "compare"],
    ["Give me a sourced summary of the Marlow Bend spill", "summarize"],
    ["What did Marcus Obi say?", "who"],
    ["Who is Tomas Reyes?", "ask"],
    ["What is the latest on the spill?", "ask"],
    ["Did Russia's Defense Ministry deny attacking the Wagner Group?", "ask"],
]
HISTORY_TURNS = 6  # earlier turns passed to ask() for follow-ups
ASK_CONCURRENCY = 2  # answers computed at once (the queue's limit, or a limiter without it)
BUSY_WAIT_S = 60.0  # direct requests: how long a question waits for a free slot before "busy"
# The page carries the conversation with every request: the oldest turns are left behind past this
# size (about 30 answers; load balancers often refuse bodies over 1 MB), and a page that sends
# more than twice as much did not get it from us.
PAGE_CONVERSATION_CHARS = 500_000
APP_PROTOCOLS = ("auto", "queue", "direct")
STREAM_DELAY_S = 0.03  # pause between streamed pieces of an answer
UNEXPECTED_ERROR = ("Something went wrong while answering. The details are in the server log; "
                    "try again or rephrase the question.")


# ----------------------------------------------------------------------------- session state


@dataclass(frozen=True)
class Turn:
    """One question and what came back: an Answer, or an error message for the user."""

    question: str
    mode: str
    filters: Filters
    answer: Answer | None = None
    error: str = ""


@dataclass(frozen=True)
class ChatSession:
    """The conversation of one browser tab (carried by the page as JSON; never kept on a server)."""

    turns: tuple[Turn, ...] = ()

    def add(self, turn: Turn) -> "ChatSession":
        return ChatSession(self.turns + (turn,))

    def history(self) -> tuple[tuple[str, str], ...]:
        """(question, answer text) of the last answered turns, for follow-up questions."""
        answered = [(t.question, t.answer.text) for t in self.turns if t.answer is not None]
        return tuple(answered[-HISTORY_TURNS:])

    @property
    def last_answer(self) -> tuple[int, Answer] | None:
        for number in range(len(self.turns) - 1, -1, -1):
            if self.turns[number].answer is not None:
                return number, self.turns[number].answer  # type: ignore[return-value]
        return None


def session_json(session: ChatSession | Turn) -> str:
    """The conversation (or one turn of it) as the page carries it between requests."""
    return json.dumps(codec.encode(session), ensure_ascii=False, separators=(",", ":"))


def restore_session(value: str | None) -> ChatSession:
    """The conversation the page sent back; RequestError if it is not one (changed or cut)."""
    if not value:
        return ChatSession()
    if len(value) > 2 * PAGE_CONVERSATION_CHARS:
        raise RequestError(f"The page's conversation is longer than this app ever sends ({len(value):,} characters).")
    try:
        data = json.loads(value)
    except json.JSONDecodeError as error:
        raise RequestError(f"The page's conversation is not valid JSON ({error.msg}).") from None
    except (ValueError, RecursionError):  # a number with thousands of digits; nesting too deep
        raise RequestError("The page's conversation holds a value this app never sends.") from None
    session = codec.decode(ChatSession, data, "conversation")
    for number, turn in enumerate(session.turns):
        for where, mode in ((f"turns[{number}].mode", turn.mode),
                            (f"turns[{number}].answer.mode", turn.answer.mode if turn.answer else "ask")):
            if mode not in MODE_LABELS:
                raise RequestError(f"The page's conversation.{where} is not a mode ({repr(mode)[:40]}).")
    return session


def fit_for_page(session: ChatSession) -> ChatSession:
    """The latest turns whose JSON fits in PAGE_CONVERSATION_CHARS (always the last one)."""
    kept: list[Turn] = []
    size = 0
    for turn in reversed(session.turns):
        size += len(session_json(turn))
        if kept and size > PAGE_CONVERSATION_CHARS:
            break
        kept.append(turn)
    return session if len(kept) == len(session.turns) else ChatSession(tuple(reversed(kept)))


def chat_messages(session: ChatSession, pending: str | None = None) -> list[dict[str, str]]:
    """The chat as Gradio messages; `pending` replaces the last turn's answer while streaming."""
    messages: list[dict[str, str]] = []
    for number, turn in enumerate(session.turns):
        label = MODE_LABELS.get(turn.mode, turn.mode)
        messages.append({"role": "user", "content": render.question_markdown(turn.question, label, turn.filters)})
        if pending is not None and number == len(session.turns) - 1:
            content = pending
        elif turn.answer is not None:
            content = render.answer_markdown(turn.answer, number)
        else:
            content = render.error_markdown(turn.error)
        messages.append({"role": "assistant", "content": content})
    return messages


# ----------------------------------------------------------------------------- filters


def parse_filters(outlets: Sequence[str] | None, since: str | None, until: str | None) -> Filters:
    """Filters from the controls; a date that is not YYYY-MM-DD fails with a message naming it."""
    first = _parse_day(since, "From")
    last = _parse_day(until, "To")
    if first and last and first > last:
        raise NewsdeskError(f"The date range is empty: 'From' ({first}) is after 'To' ({last}).")
    chosen = tuple(o for o in (outlets or ()) if o)
    return Filters(outlets=chosen, since=first, until=last)


def _parse_day(value: str | None, field: str) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise NewsdeskError(
            f"The '{field}' date '{text}' is not a date; use YYYY-MM-DD, for example 2024-03-12."
        ) from None


def filters_note(outlets: Sequence[str] | None, since: str | None, until: str | None) -> str:
    try:
        return render.filters_markdown(parse_filters(outlets, since, until))
    except NewsdeskError as error:
        return f"**Filters:** {render.escape_markdown(str(error))}"


# ----------------------------------------------------------------------------- asking


@dataclass(frozen=True)
class AnswerView:
    """Everything the chat page shows after one step of answering."""

    chat: list[dict[str, str]]
    session: ChatSession
    sources: str
    table_headers: list[str]
    table_rows: list[list[str]]
    csv_path: str | None
    viewer: str | None = None  # the source viewer for a finished answer; None leaves it as it is
    partial: bool = False  # a step while answering: the conversation is not final yet
    table_kept: bool = False  # no new answer (answering, or an error): the table and export stay as they are


def respond(
    assistant: Assistant,
    question: str,
    mode: str,
    outlets: Sequence[str] | None,
    since: str | None,
    until: str | None,
    session: ChatSession | None,
    stream: bool = True,
) -> Iterator[AnswerView]:
    """Ask the facade and stream the answer into the chat, then fill sources and table.
    Without `stream`, only the finished view is yielded (one request, one response)."""
    session = session or ChatSession()
    question = (question or "").strip()
    if not question:
        yield _view(session)
        return
    mode = mode if mode in MODE_LABELS else "ask"
    try:
        filters = parse_filters(outlets, since, until)
    except NewsdeskError as error:
        yield _view(session.add(Turn(question, mode, Filters(), error=str(error))))
        return
    asking = session.add(Turn(question, mode, filters))
    if stream:
        yield _view(asking, pending=render.working_markdown(MODE_LABELS[mode], filters))
    try:
        answer = assistant.ask(question, mode=mode, filters=filters, history=session.history())
    except NewsdeskError as error:
        yield _view(session.add(Turn(question, mode, filters, error=str(error))))
        return
    except Exception:  # a bug: keep the traceback for the log, give the user a sentence
        log.exception("answering %r failed", question)
        yield _view(session.add(Turn(question, mode, filters, error=UNEXPECTED_ERROR)))
        return
    answered = session.add(Turn(question, mode, filters, answer=answer))
    turn = len(answered.turns) - 1
    pieces = render.stream_chunks(render.answer_markdown(answer, turn)) if stream else []
    for piece in pieces[:-1]:
        yield _view(asking, pending=piece)
        time.sleep(STREAM_DELAY_S)
    # The viewer opens the answer's first source, so it never shows a source of an older answer.
    first = render.cite_key(turn, answer.citations[0].number) if answer.citations else render.passage_key(turn, 0)
    viewer = open_source(assistant, first, answered) if answer.citations or answer.passages else \
        render.viewer_placeholder_html()
    yield dataclasses.replace(_view(answered), viewer=viewer)


def _view(session: ChatSession, pending: str | None = None) -> AnswerView:
    latest = session.last_answer
    if pending is not None or latest is None or latest[0] != len(session.turns) - 1:
        # While answering, or after an error, the panels keep showing the last real answer.
        sources = render.sources_html(latest[1], latest[0]) if latest else render.sources_html(None, 0)
        return AnswerView(chat_messages(session, pending), session, sources, [], [], None,
                          partial=pending is not None, table_kept=True)
    turn, answer = latest
    headers, rows, csv_path = _table_for(latest)
    return AnswerView(chat_messages(session), session, render.sources_html(answer, turn), headers, rows, csv_path)


def _table_for(latest: tuple[int, Answer] | None) -> tuple[list[str], list[list[str]], str | None]:
    if latest is None:
        return [], [], None
    turn, answer = latest
    table = render.answer_table(answer)
    if table is None or not table.rows:
        return [], [], None
    headers, rows = render.table_frame(table)
    return headers, rows, write_csv(render.table_csv(table, answer.citations), f"newsdesk-{answer.mode}-{turn + 1}.csv")


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Percent widths from the header and the cells' typical length, so long text gets the room."""
    if not rows:
        return []
    count = max(len(headers), max(len(r) for r in rows))
    typical = [
        min(45, max(18, len(headers[i]) if i < len(headers) else 0,
                    sum(len(r[i]) if i < len(r) else 0 for r in rows) / len(rows)))
        for i in range(count)
    ]
    total = sum(typical)
    return [f"{100 * t / total:.0f}%" for t in typical]


_CSV_DIR: Path | None = None


# Gradio copies a returned file into its own cache, which serves the download; our copy is only
# its source, so exports older than this are removed when the next one is written.
EXPORT_KEEP_S = 3600


def write_csv(content: str, name: str) -> str:
    """Write an export under one private temp folder (Gradio serves files from the temp dir)."""
    global _CSV_DIR  # a folder, not chat state: every session's files get their own subfolder
    if _CSV_DIR is None:
        _CSV_DIR = Path(tempfile.mkdtemp(prefix="newsdesk-exports-"))
    _remove_exports_before(_CSV_DIR, time.time() - EXPORT_KEEP_S)
    folder = Path(tempfile.mkdtemp(dir=_CSV_DIR))
    path = folder / name
    path.write_text(content, encoding="utf-8-sig")  # the BOM makes spreadsheets read UTF-8
    return str(path)


def _remove_exports_before(root: Path, moment: float) -> None:
    for folder in root.iterdir():
        try:
            if folder.stat().st_mtime < moment:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # removed meanwhile by another request
            continue


# ----------------------------------------------------------------------------- opening a source


def open_source(assistant: Assistant, key: str, session: ChatSession | None) -> str:
    """The source viewer for a clicked citation key ('<turn>-<n>' or '<turn>-p<i>')."""
    session = session or ChatSession()
    parsed = render.parse_key(key)
    if parsed is None or parsed[0] >= len(session.turns) or session.turns[parsed[0]].answer is None:
        return render.source_missing_html("That citation belongs to an earlier conversation.")
    turn, kind, number = parsed
    answer = session.turns[turn].answer
    assert answer is not None
    try:
        if kind == "cite":
            citation = next((c for c in answer.citations if c.number == number), None)
            if citation is None:
                return render.source_missing_html(f"This answer has no citation [{number}].")
            stored = assistant.show(citation.article.id).article
            return render.source_view_html(render.SourceView(
                info=citation.article, text=stored.text, start=citation.start, end=citation.end,
                label=f"[{number}]", quoted=citation.text, author=stored.author,
            ))
        if number >= len(answer.passages):
            return render.source_missing_html("That passage is no longer listed.")
        passage = answer.passages[number]
        stored = assistant.show(passage.article.id).article
        return render.source_view_html(render.SourceView(
            info=passage.article, text=stored.text, start=passage.chunk.start, end=passage.chunk.end,
            label="Closest passage", quoted=passage.chunk.text, author=stored.author,
        ))
    except NewsdeskError as error:
        return render.source_missing_html(str(error))
    except Exception:
        log.exception("opening source %r failed", key)
        return render.source_missing_html("This source could not be opened; the details are in the server log.")


# ----------------------------------------------------------------------------- adding coverage


_UNSAFE_NAME_CHARS = re.compile(r"[^\w.\-]+")


def safe_filename(name: str) -> str:
    """A file name that is safe to create inside the uploads folder.

    Only the last path component is kept (no traversal through / or \\), Unicode is NFKC-normalised
    (full-width and look-alike forms become plain ones), control and format characters (e.g.
    right-to-left overrides) are dropped, anything but letters, digits, '.', '-', '_' becomes '_',
    and leading dots go (no hidden files, no '..').
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _UNSAFE_NAME_CHARS.sub("_", base).strip("._ ") or "upload"
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[:80].rstrip("._") or "upload"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def store_uploads(
    files: Sequence[str] | None, upload_dir: Path, max_bytes: int, allowed: Sequence[str] = SUPPORTED_EXTENSIONS
) -> tuple[list[Path], list[Problem]]:
    """Copy accepted uploads into the index's uploads folder; refuse the rest with a reason."""
    stored: list[Path] = []
    problems: list[Problem] = []
    for original in files or ():
        source = Path(str(original))
        shown = source.name
        name = safe_filename(shown)
        suffix = Path(name).suffix.lower()
        if suffix not in allowed:
            problems.append(Problem(shown, f"unsupported file type '{suffix or '(none)'}' (supported: {', '.join(allowed)})"))
            continue
        try:
            size = source.stat().st_size
        except OSError:
            problems.append(Problem(shown, "the upload could not be read; try again"))
            continue
        if size > max_bytes:
            problems.append(Problem(shown, f"the file is {size / 1e6:.1f} MB; the upload limit is {max_bytes / 1e6:.1f} MB"))
            continue
        upload_dir.mkdir(parents=True, exist_ok=True)
        target = _free_target(upload_dir, name, source)
        if not target.exists():
            shutil.copyfile(source, target)
        stored.append(target)
    return stored, problems


def _free_target(folder: Path, name: str, source: Path) -> Path:
    """`name` in `folder`, or name-2, name-3 ... when a different file already has it.
    The same content under the same name reuses the file, so re-uploading is idempotent."""
    stem, suffix = Path(name).stem, Path(name).suffix
    candidate, n = folder / name, 1
    while candidate.exists() and not filecmp.cmp(candidate, source, shallow=False):
        n += 1
        candidate = folder / f"{stem}-{n}{suffix}"
    return candidate


def split_urls(text: str | None) -> tuple[list[str], list[Problem]]:
    """http(s) URLs from a paste (one per line or separated by spaces); anything else is refused."""
    urls: list[str] = []
    problems: list[Problem] = []
    for item in (text or "").split():
        if render.safe_url(item):
            urls.append(item)
        else:
            problems.append(Problem(item[:200], "not an http(s) URL"))
    return urls, problems


ProgressFn = Callable[[str, int, int], None]


def add_coverage(
    assistant: Assistant, files: Sequence[str] | None, urls_text: str | None, progress: ProgressFn | None = None
) -> str:
    """Store uploads, ingest them and the URLs, and summarise what happened (markdown)."""
    upload_dir = Path(assistant.index_path) / "uploads"
    paths, problems = store_uploads(files, upload_dir, assistant.settings.upload_max_bytes)
    urls, url_problems = split_urls(urls_text)
    problems += url_problems
    inputs: list[str] = [str(p) for p in paths] + urls
    if not inputs:
        if problems:
            return render.ingest_summary(IngestReport(problems=tuple(problems)))
        return "Choose files or paste a URL first."
    try:
        report = assistant.ingest(inputs, progress=progress)
    except NewsdeskError as error:
        return f"**Nothing was added.** {render.escape_markdown(str(error))}"
    except Exception:
        log.exception("ingest of %s failed", inputs)
        return "**Nothing was added.** Something went wrong while adding the coverage; the details are in the server log."
    report = dataclasses.replace(report, problems=tuple(problems) + report.problems)
    return render.ingest_summary(report, _titles(assistant, report))


def _titles(assistant: Assistant, report: IngestReport) -> dict[str, str]:
    ids = {*report.added, *report.updated, *(a for pair in report.duplicates for a in pair)}
    titles: dict[str, str] = {}
    for article_id in list(ids)[:50]:
        try:
            titles[article_id] = assistant.show(article_id).article.title
        except NewsdeskError:
            continue
    return titles


# ----------------------------------------------------------------------------- index overview


@dataclass(frozen=True)
class Overview:
    stats: str  # markdown: the headline line, then the outlets
    outlets: list[str]
    articles: list[list[str]]

    @property
    def headline(self) -> str:
        return self.stats.split("\n\n")[0]


def overview(assistant: Assistant) -> Overview:
    """Index statistics, the outlets to filter by and the article list."""
    try:
        stats = assistant.stats()
        rows = assistant.list_articles()
    except NewsdeskError as error:
        return Overview(f"_{render.escape_markdown(str(error))}_", [], [])
    text = render.stats_markdown(stats.articles, stats.outlets, stats.first_date, stats.last_date,
                                 stats.chunks, stats.duplicates)
    articles = [
        [render.iso_day(r.published_at), r.outlet or "", r.title, str(r.chunks), "copy" if r.duplicate_of else ""]
        for r in rows
    ]
    return Overview(text, [o for o, _ in stats.outlets], articles)


def engine_indicator(assistant: Assistant) -> str:
    try:
        return render.engine_html(assistant.engine_name)
    except NewsdeskError as error:
        return f'<span class="nd-engine">{render.escape_html(str(error))}</span>'
    except Exception:
        log.exception("could not start the answer engine")
        return '<span class="nd-engine nd-engine-error">Answer engine unavailable (see the server log)</span>'


# ----------------------------------------------------------------------------- page


CSS = """
.gradio-container { max-width: 1400px !important; margin: 0 auto !important; }
footer { display: none !important; }
#nd-header { align-items: center; border-bottom: 1px solid var(--border-color-primary); padding-bottom: 6px; }
#nd-header .nd-title { font-size: 1.55rem; font-weight: 700; letter-spacing: -0.01em; }
#nd-header .nd-subtitle { color: var(--body-text-color-subdued); font-size: 0.95rem; }
#nd-engine-box { text-align: right; }
.nd-engine { display: inline-block; padding: 4px 10px; border-radius: 999px; font-size: 0.85rem;
  font-weight: 600; border: 1px solid var(--border-color-primary); }
.nd-engine-extractive { background: #ecfdf5; color: #065f46; border-color: #a7f3d0; }
.nd-engine-llm { background: #eef2ff; color: #3730a3; border-color: #c7d2fe; }
.nd-engine-error { background: #fef2f2; color: #991b1b; border-color: #fecaca; }
#nd-startup { background: #fffbeb; border: 1px solid #fde68a; border-radius: 8px; padding: 2px 12px; }
#nd-stats-line { font-size: 0.9rem; color: var(--body-text-color-subdued); }
#nd-filters-note { font-size: 0.9rem; }
a.nd-cite { display: inline-block; font-size: 0.78em; font-weight: 700; line-height: 1.2;
  padding: 0 4px; margin: 0 1px; border-radius: 4px; text-decoration: none !important;
  background: #e0e7ff; color: #3730a3 !important; vertical-align: super; cursor: pointer; }
a.nd-cite:hover, a.nd-cite.nd-active { background: #4338ca; color: #fff !important; }
.nd-cite-sample { font-weight: 700; color: #3730a3; background: #e0e7ff; border-radius: 4px; padding: 0 4px; }
.nd-flag { font-size: 0.8em; font-weight: 600; color: #92400e; background: #fef3c7; border-radius: 4px; padding: 0 4px; }
.nd-q-tags { color: var(--body-text-color-subdued); }
.nd-panel-head { font-weight: 700; margin-bottom: 6px; }
.nd-sources, .nd-viewer { font-size: 0.92rem; line-height: 1.45; }
.nd-empty { color: var(--body-text-color-subdued); padding: 10px 4px; }
ol.nd-source-list { list-style: none; padding: 0; margin: 0; }
li.nd-source { display: flex; gap: 8px; padding: 8px 6px; border-top: 1px solid var(--border-color-primary); }
li.nd-source a.nd-source-num { vertical-align: baseline; font-size: 0.85rem; height: fit-content; }
.nd-source-body { flex: 1; min-width: 0; }
.nd-meta { color: var(--body-text-color-subdued); font-size: 0.85rem; }
.nd-outlet { font-weight: 600; color: var(--body-text-color); }
.nd-headline { font-weight: 600; margin: 2px 0; }
blockquote.nd-quote { margin: 4px 0; padding: 2px 8px; border-left: 3px solid #c7d2fe;
  color: var(--body-text-color); font-style: normal; overflow-wrap: anywhere; }
a.nd-open { vertical-align: baseline; background: none; color: #4338ca !important; padding: 0; font-size: 0.85rem; }
a.nd-open:hover, a.nd-open.nd-active { background: none; color: #312e81 !important; text-decoration: underline !important; }
.nd-viewer { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 12px 14px;
  background: var(--block-background-fill); }
.nd-viewer-head { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: baseline; }
.nd-viewer-label { font-weight: 700; color: #3730a3; white-space: nowrap; }
h3.nd-viewer-title { margin: 4px 0 2px 0 !important; font-size: 1.1rem !important; overflow-wrap: anywhere; }
.nd-headline, .nd-outlet, .nd-meta { overflow-wrap: anywhere; }
.nd-link a { color: #4338ca; overflow-wrap: anywhere; }
.nd-url-inert { color: var(--body-text-color-subdued); overflow-wrap: anywhere; }
.nd-byline, .nd-copies { color: var(--body-text-color-subdued); font-size: 0.85rem; }
.nd-warning { background: #fef2f2; border: 1px solid #fecaca; padding: 4px 8px; border-radius: 6px; margin: 6px 0; }
.nd-passage, .nd-article-text { white-space: pre-wrap; overflow-wrap: anywhere; margin-top: 8px; }
.nd-passage { background: var(--background-fill-secondary); padding: 8px 10px; border-radius: 8px; }
mark.nd-mark { background: #fde047; color: #111827; padding: 1px 2px; border-radius: 3px; }
details.nd-article { margin-top: 8px; }
details.nd-article summary { cursor: pointer; color: #4338ca; font-size: 0.88rem; }
.nd-article-text { max-height: 380px; overflow-y: auto; }
#nd-viewer-box { position: sticky; top: 8px; }
#nd-cite-key, #nd-cite-open { display: none !important; }
#nd-sources .prose p, #nd-viewer .prose p { margin: 0 0 6px 0; }
li.nd-source blockquote.nd-quote { margin: 4px 0 2px 0 !important; }
li.nd-source a.nd-open { margin: 0 !important; display: inline-block; }
.nd-link { margin: 2px 0; }
#nd-chat table { width: 100%; }
#nd-chat td, #nd-chat th { word-break: normal !important; overflow-wrap: normal !important; hyphens: none; }
#nd-chat td:first-child { min-width: 7em; }
#nd-table .cell-wrap, #nd-table span, #nd-articles .cell-wrap, #nd-articles span {
  word-break: normal !important; overflow-wrap: break-word !important; }
#nd-table table, #nd-table td, #nd-table th, #nd-table span, #nd-table input,
#nd-articles table, #nd-articles td, #nd-articles th, #nd-articles span { font-family: var(--font) !important; }
"""

# A click on a citation link ([n] in the chat, the sources panel or a table) asks the server for
# that source: the key goes into a hidden textbox and a hidden button sends it with the session.
HEAD = """
<script>
(function () {
  function openCitation(link) {
    var key = (link.getAttribute('href') || '').replace('#nd-cite-', '');
    var box = document.querySelector('#nd-cite-key textarea, #nd-cite-key input');
    var button = document.querySelector('#nd-cite-open');
    if (!box || !button || !/^\\d+-p?\\d+$/.test(key)) return;
    document.querySelectorAll('a.nd-cite.nd-active').forEach(function (a) { a.classList.remove('nd-active'); });
    link.classList.add('nd-active');
    box.value = key;
    box.dispatchEvent(new Event('input', { bubbles: true }));
    setTimeout(function () {
      button.click();
      var viewer = document.querySelector('#nd-viewer');
      if (viewer && viewer.getBoundingClientRect().top < 0) viewer.scrollIntoView({ behavior: 'smooth' });
    }, 30);
  }
  document.addEventListener('click', function (event) {
    var link = event.target && event.target.closest ? event.target.closest('a.nd-cite') : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    openCitation(link);
  }, true);
})();
</script>
"""

THEME = gr.themes.Default(primary_hue="indigo", neutral_hue="slate")  # local fonts only, no CDN


def build_app(assistant: Assistant, startup_note: str = "", direct: bool = False) -> gr.Blocks:
    """The Blocks app over one Assistant. Launch it with `launch_app` (page script and style).
    `direct`: every event is one plain request (no queue), so any replica can serve it."""
    first = overview(assistant)
    queued = not direct
    with gr.Blocks(title="Newsdesk", analytics_enabled=False) as app:
        # The conversation, as JSON, travels with each request: hidden, but sent like any input.
        session = gr.Textbox(visible="hidden", elem_id="nd-conversation")

        with gr.Row(elem_id="nd-header"):
            with gr.Column(scale=3, min_width=300):
                gr.HTML('<div class="nd-title">Newsdesk</div><div class="nd-subtitle">Ask the coverage. '
                        "Every sentence of every answer cites the passage it came from.</div>")
            with gr.Column(scale=2, min_width=260, elem_id="nd-engine-box"):
                gr.HTML(engine_indicator(assistant), elem_id="nd-engine")  # fixed while the app runs
                stats_line = gr.Markdown(first.headline, elem_id="nd-stats-line")
        gr.Markdown(startup_note, visible=bool(startup_note), elem_id="nd-startup")

        with gr.Tabs(elem_id="nd-tabs"):
            with gr.Tab("Chat", id="chat", elem_id="nd-tab-chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=7, min_width=420):
                        mode = gr.Radio(MODE_CHOICES, value="ask", label="Mode", elem_id="nd-mode",
                                        info="Ask: a cited answer · Who said what: statements by speaker and stance · "
                                             "Compare: the outlets side by side · Summarize: a sourced summary")
                        with gr.Accordion("Filters: outlets and dates", open=False, elem_id="nd-filters"):
                            outlets = gr.Dropdown(first.outlets, value=[], multiselect=True, label="Outlets",
                                                  elem_id="nd-outlets", info="Only these outlets (empty: all).")
                            with gr.Row():
                                since = gr.DateTime(label="From", include_time=False, type="string", elem_id="nd-since")
                                until = gr.DateTime(label="To", include_time=False, type="string", elem_id="nd-until")
                            clear_filters = gr.Button("Clear filters", size="sm")
                        note = gr.Markdown(render.filters_markdown(Filters()), elem_id="nd-filters-note")
                        chatbot = gr.Chatbot(
                            label="Conversation", elem_id="nd-chat", height=540, latex_delimiters=[],
                            feedback_options=None, allow_tags=False, buttons=["copy"], layout="panel",
                            placeholder="**Ask a question about the coverage.**\n\nTry an example below. "
                                        "Click a citation like [1] to read the passage it comes from.",
                        )
                        with gr.Row():
                            question = gr.Textbox(placeholder="Ask about the coverage, e.g. Who denied the leak?",
                                                  show_label=False, scale=6, elem_id="nd-question", max_lines=4)
                            send = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="nd-send")
                        with gr.Row():
                            new_chat = gr.Button("New conversation", size="sm", elem_id="nd-new")
                        with gr.Group(visible=False, elem_id="nd-table-box") as table_box:
                            table = gr.Dataframe(label="Table: sort or filter with the ⋮ menu of a column header", interactive=False,
                                                 wrap=True, elem_id="nd-table", max_height=420)
                            csv_button = gr.DownloadButton("Export CSV", size="sm", elem_id="nd-csv")
                        gr.Examples(EXAMPLES, inputs=[question, mode], label="Example questions (bundled sample)",
                                    elem_id="nd-examples")
                    with gr.Column(scale=4, min_width=340, elem_id="nd-viewer-box"):
                        viewer = gr.HTML(render.viewer_placeholder_html(), elem_id="nd-viewer")
                        sources = gr.HTML(render.sources_html(None, 0), elem_id="nd-sources")

            with gr.Tab("Add coverage", id="coverage", elem_id="nd-tab-coverage"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1, min_width=360):
                        files = gr.File(label="Upload articles or feeds", file_count="multiple",
                                        file_types=list(SUPPORTED_EXTENSIONS), elem_id="nd-files")
                        gr.Markdown(f"Formats: {', '.join(SUPPORTED_EXTENSIONS)} · up to "
                                    f"{assistant.settings.upload_max_bytes / 1e6:.0f} MB per file")
                        urls = gr.Textbox(label="Or paste article URLs (one per line)", lines=2,
                                          placeholder="https://…", elem_id="nd-urls")
                        add = gr.Button("Add to the index", variant="primary", elem_id="nd-add")
                        summary = gr.Markdown(elem_id="nd-ingest-summary")
                    with gr.Column(scale=1, min_width=360):
                        gr.Markdown("### What the index holds")
                        stats = gr.Markdown(first.stats, elem_id="nd-stats")
                        articles = gr.Dataframe(
                            value=first.articles or None, headers=["Date", "Outlet", "Title", "Passages", "Duplicate"],
                            label="Articles", interactive=False, wrap=True, elem_id="nd-articles", max_height=480,
                            column_widths=["12%", "22%", "42%", "12%", "12%"],
                        )

        cite_key = gr.Textbox(visible="hidden", elem_id="nd-cite-key")
        cite_open = gr.Button("Open source", visible="hidden", elem_id="nd-cite-open")

        # ------------------------------------------------------------------ wiring

        ask_outputs = [chatbot, session, sources, table_box, table, csv_button, question, viewer]

        def ask_steps(text, mode_value, outlet_values, since_value, until_value, carried):
            try:
                state = fit_for_page(restore_session(carried))
            except RequestError as error:  # start afresh and say why, rather than answer without context
                log.warning("a page sent a conversation that cannot be read: %s", error)
                problem = f"{error} A new conversation was started; ask the question again."
                yield _output(_view(ChatSession((Turn(text or "", "ask", Filters(), error=problem),))))
                return
            for view in respond(assistant, text, mode_value, outlet_values, since_value, until_value, state,
                                stream=queued):
                yield _output(view)

        def finished_answer(*values) -> tuple:
            *_, last = ask_steps(*values)  # a direct request gets the finished answer only
            return last

        # The queue's limit, without a queue. Waiting is async so that waiting questions hold no
        # thread of the server's pool (which also serves files, sign-in and /api/ask).
        answering = anyio.CapacityLimiter(ASK_CONCURRENCY)

        async def on_ask_direct(text, mode_value, outlet_values, since_value, until_value, carried):
            values = (text, mode_value, outlet_values, since_value, until_value, carried)
            if not await _acquired(answering, BUSY_WAIT_S):
                return busy_output(text, mode_value, carried)
            try:
                return await anyio.to_thread.run_sync(finished_answer, *values)
            finally:
                answering.release()

        on_ask = ask_steps if queued else on_ask_direct
        ask_inputs = [question, mode, outlets, since, until, session]
        ask_limits = {"concurrency_id": "ask", "concurrency_limit": ASK_CONCURRENCY} if queued else {}
        question.submit(on_ask, ask_inputs, ask_outputs, api_name="ask", queue=queued, **ask_limits)
        send.click(on_ask, ask_inputs, ask_outputs, api_visibility="private", queue=queued, **ask_limits)

        def on_open_source(key, carried):
            try:
                return open_source(assistant, key, restore_session(carried))
            except RequestError as error:
                return render.source_missing_html(str(error))

        cite_open.click(on_open_source, [cite_key, session], [viewer], api_name="open_source",
                        show_progress="hidden", queue=queued)

        def on_new_chat():
            return (session_json(ChatSession()), [], render.sources_html(None, 0), render.viewer_placeholder_html(),
                    gr.update(visible=False), None, gr.update(value=None, visible=False), "")

        reset_outputs = [session, chatbot, sources, viewer, table_box, table, csv_button, question]
        new_chat.click(on_new_chat, None, reset_outputs, api_name="new_conversation", queue=queued)
        chatbot.clear(on_new_chat, None, reset_outputs, api_visibility="private", queue=queued)

        for control in (outlets, since, until):
            control.change(filters_note, [outlets, since, until], [note], api_visibility="private",
                           show_progress="hidden", queue=queued)
        clear_filters.click(lambda: ([], None, None, render.filters_markdown(Filters())), None,
                            [outlets, since, until, note], api_visibility="private", queue=queued)

        def added(file_values, url_text, report_progress: Callable[[str, int, int], None] | None) -> tuple:
            message = add_coverage(assistant, file_values, url_text, report_progress)
            current = overview(assistant)
            return (message, current.stats, current.headline, gr.update(choices=current.outlets),
                    current.articles or None, None, "")

        def on_add_queued(file_values, url_text, progress=gr.Progress()):
            def report_progress(stage: str, done: int, total: int) -> None:
                desc = "Reading files" if stage == "read" else "Embedding passages"
                progress((done, total), desc=desc)

            return added(file_values, url_text, report_progress)

        ingesting = anyio.CapacityLimiter(1)  # one upload at a time, as the queue's limit of 1 does

        async def on_add_direct(file_values, url_text):  # no progress bar: that needs the queue's stream
            async with ingesting:  # waiting holds no thread
                return await anyio.to_thread.run_sync(added, file_values, url_text, None)

        add_outputs = [summary, stats, stats_line, outlets, articles, files, urls]
        if queued:
            add.click(on_add_queued, [files, urls], add_outputs, api_name="add_coverage",
                      concurrency_id="ingest", concurrency_limit=1)
        else:
            add.click(on_add_direct, [files, urls], add_outputs, api_name="add_coverage", queue=False)

        def on_load():
            current = overview(assistant)
            return current.stats, current.headline, gr.update(choices=current.outlets), current.articles or None

        app.load(on_load, None, [stats, stats_line, outlets, articles], api_visibility="private",
                 show_progress="hidden", queue=queued)
    return app


async def _acquired(limiter: "anyio.CapacityLimiter", seconds: float) -> bool:
    """Whether a slot of `limiter` was taken within `seconds` (the caller releases it)."""
    with anyio.move_on_after(seconds):
        await limiter.acquire()
        return True
    return False


def busy_output(question: str, mode: str, carried: str | None) -> tuple:
    """The ask outputs when every answer slot stayed busy: the conversation, plus a note to retry."""
    try:
        session = restore_session(carried)
    except RequestError:
        session = ChatSession()
    busy = (f"The server is busy answering other questions ({ASK_CONCURRENCY} at a time) and none finished "
            f"within {BUSY_WAIT_S:.0f} s. Ask again in a moment.")
    mode = mode if mode in MODE_LABELS else "ask"
    return _output(_view(session.add(Turn((question or "").strip(), mode, Filters(), error=busy))))


def _output(view: AnswerView) -> tuple:
    """The ask outputs for one view; while answering, the conversation, table and export stay as they are."""
    unchanged = gr.update()
    has_table = bool(view.table_rows)
    table_outputs = (unchanged, unchanged, unchanged) if view.table_kept else (
        gr.update(visible=has_table),
        gr.update(value={"headers": view.table_headers, "data": view.table_rows},
                  column_widths=column_widths(view.table_headers, view.table_rows)) if has_table else None,
        gr.update(value=view.csv_path, visible=bool(view.csv_path)),
    )
    return (
        view.chat, unchanged if view.partial else session_json(view.session), view.sources, *table_outputs, "",
        unchanged if view.viewer is None else view.viewer,
    )


# ----------------------------------------------------------------------------- serving


def parse_auth(value: str) -> list[tuple[str, str]]:
    """'user:pass[,user2:pass2]' -> [(user, pass), ...]; a malformed pair fails (without echoing it)."""
    pairs: list[tuple[str, str]] = []
    for position, item in enumerate((value or "").split(","), start=1):
        item = item.strip()
        if not item:
            continue
        user, sep, password = item.partition(":")
        if not sep or not user.strip() or not password:
            raise SettingsError(
                f"NEWSDESK_AUTH must be user:password pairs separated by commas; pair {position} "
                "has no user name or no password."
            )
        pairs.append((user.strip(), password))
    return pairs


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def credentials_for(host: str, auth: str) -> list[tuple[str, str]]:
    """The login pairs to require; refuses a non-loopback address without any."""
    pairs = parse_auth(auth)
    if not is_loopback(host) and not pairs:
        raise SettingsError(
            f"Newsdesk will not listen on {host} without credentials: anyone who can reach that "
            "address could read and change your index. Set NEWSDESK_AUTH=user:password (several: "
            "user1:pass1,user2:pass2) or the `auth` setting, or listen on 127.0.0.1."
        )
    return pairs


def prepare_assistant(assistant: Assistant) -> str:
    """Open or (first start) build the index, load the model and the answer engine.
    Returns a note for the page when the index was just built."""
    started = time.perf_counter()
    report = assistant.ensure_sample_index()
    assistant.warm_up()
    engine = assistant.engine_name  # builds the answer engine now, not on the first question
    log.info("index %s ready with %s in %.1f s", assistant.location, engine, time.perf_counter() - started)
    if report is None:
        return ""
    return (f"**First start:** no index existed at `{render.escape_html(assistant.location)}`, so it was built "
            f"from the bundled sample ({len(report.added)} articles, {report.chunks_embedded} passages) in "
            f"{report.seconds:.0f} s. Add your own coverage in the *Add coverage* tab.")


def uses_direct_requests(settings: Settings) -> bool:
    """Whether the app serves each event as one plain request (setting `app_protocol`)."""
    protocol = settings.app_protocol.strip().lower()
    if protocol not in APP_PROTOCOLS:
        raise SettingsError(
            f"Setting NEWSDESK_APP_PROTOCOL has the value {settings.app_protocol!r}; use 'queue' (one server: "
            "streamed answers, upload progress), 'direct' (replicas behind a load balancer without session "
            "affinity) or 'auto' (direct for the scale-out setup)."
        )
    return protocol == "direct" or (protocol == "auto" and settings.scale_out)


def launch_app(
    app: gr.Blocks, settings: Settings, host: str, port: int, auth: Sequence[tuple[str, str]] = (),
    block: bool = True, direct: bool = False,
) -> None:
    """Launch with the page style and script, locally, with nothing that calls home.
    With `direct`, sign-in is HTTP Basic checked on every request: Gradio's login form keeps its
    tokens in the serving process, which a replica that did not sign the user in would not know."""
    app.queue(default_concurrency_limit=ASK_CONCURRENCY)
    sign_in: dict = {}
    if auth:
        sign_in = {"auth_dependency": basic_auth_user(auth)} if direct else {"auth": list(auth)}
    app.launch(
        server_name=host,
        server_port=port,
        **sign_in,
        auth_message="Newsdesk: sign in with the credentials set in NEWSDESK_AUTH.",
        share=False,
        show_error=False,  # internals stay in the log; handlers put user-facing errors in the chat
        max_file_size=settings.upload_max_bytes,
        footer_links=[],
        run_history=False,
        enable_monitoring=False,
        mcp_server=False,
        pwa=False,
        ssr_mode=False,
        quiet=True,
        prevent_thread_lock=not block,
        theme=THEME,
        css=CSS,
        head=HEAD,
    )


DEEP_LINK_PATH = "/gradio_api/deep_link"


def refuse_deep_links(fastapi_app) -> None:
    """Gradio saves a page's component values for a shareable link. Here they include the
    conversation, which a page can forge: nobody may hand a colleague a forged conversation."""
    async def refused() -> JSONResponse:
        return JSONResponse({"error": "Newsdesk does not save pages as links."}, status_code=404)

    fastapi_app.add_api_route(DEEP_LINK_PATH, refused, methods=["GET"])
    # Routes match in order: ours before Gradio's.
    fastapi_app.router.routes.insert(0, fastapi_app.router.routes.pop())


def serve(settings: Settings, index: str | None = None, host: str | None = None, port: int | None = None) -> None:
    """Start the app: check the address and credentials, open (or first build) the index, launch."""
    host = host or settings.host
    port = port or settings.port
    auth = credentials_for(host, settings.auth)
    direct = uses_direct_requests(settings)  # a bad value fails now, not after the index is built
    started = time.perf_counter()
    assistant = Assistant(settings, index)
    note = prepare_assistant(assistant)
    app = build_app(assistant, startup_note=note, direct=direct)
    launch_app(app, settings, host, port, auth, block=False, direct=direct)
    refuse_deep_links(app.app)
    add_json_api(app.app, assistant, auth)  # POST /api/ask: stateless, for scripts and replicas
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    log.info("Newsdesk is running at http://%s:%d (ready in %.1f s; %s; Ctrl+C to stop)",
             shown_host, port, time.perf_counter() - started,
             "one request per event: any replica can serve any request" if direct else "Gradio's queue")
    try:
        app.block_thread()
    finally:
        app.close()


__all__ = [
    "ChatSession", "Turn", "AnswerView", "MODE_CHOICES", "EXAMPLES", "add_coverage", "build_app",
    "chat_messages", "credentials_for", "filters_note", "is_loopback", "launch_app", "open_source",
    "overview", "parse_auth", "parse_filters", "prepare_assistant", "respond", "restore_session", "safe_filename",
    "serve", "session_json", "split_urls", "store_uploads", "uses_direct_requests",
]
