"""Rendering for the chat app: pure functions from records to chat markdown, HTML and CSV.

Everything that comes from an article (title, text, outlet, URL, author, metadata) is untrusted:
an article can carry <script>, <img onerror=...>, javascript: links or markdown that loads a
remote image. So every such string goes through `escape_html` (HTML panels) or `escape_markdown`
(chat markdown) here, and only http(s) URLs ever become links. Gradio sanitises HTML as well; this
module does not rely on that.

Citations: a marker [n] in an answer becomes `<a class="nd-cite" href="#nd-cite-<key>">[n]</a>`.
The app's page script turns a click on such a link into a "show this source" request; the key is
`<turn>-<n>` for citation n of answer number `turn`, or `<turn>-p<i>` for the i-th closest passage
of an answer that had no citations.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from .records import Answer, ArticleInfo, Citation, Filters, IngestReport, Passage, Problem, Statement, Table

CITE_CLASS = "nd-cite"
CITE_HREF_PREFIX = "#nd-cite-"
STATEMENT_COLUMNS = ("Speaker", "Stance", "What they said", "Outlet", "Date", "Source")

_CONTEXT_CHARS = 450  # characters of article text shown on each side of a cited span
_INLINE_SPECIALS = re.compile(r"([\\`*_\[\]()!|~$])")
# Characters that only mean something at the start of a line: headings, setext rules, list items.
_LINE_START_SPECIALS = re.compile(r"^([ \t]*)(?:([#=+\-])|(\d{1,9})([.)]))", re.MULTILINE)
_LIST_OR_HEADING = re.compile(r"^(\s*)((?:[-*+]|\d{1,3}[.)])\s+|#{1,6}\s+)")
_ESCAPED_MARKER = re.compile(r"\\\[(\d{1,3}(?:\\?,\s*\d{1,3})*)\\\]")
_ESCAPED_BOLD = re.compile(r"\\\*\\\*(?=\S)(.+?)(?<=\S)\\\*\\\*")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The answer engine's marks for LLM sentences its citations do not support (see citations.py).
_ESCAPED_FLAG = re.compile(r"⚠ unsupported(?: \\\(no source cited\\\))?")


# ----------------------------------------------------------------------------- escaping


def escape_html(value: object) -> str:
    """Text for an HTML element or attribute: nothing in it can open a tag or close a quote."""
    return html.escape("" if value is None else str(value), quote=True)


def escape_markdown(value: object) -> str:
    """Text for chat markdown: HTML escaped, then every markdown-active character backslashed.

    After this, article text cannot make a link, an image (a request to another host), emphasis,
    a heading, a table cell break, a LaTeX block or raw HTML; it renders as the characters it is.
    """
    text = html.escape("" if value is None else str(value), quote=False)  # < > & as entities
    text = _INLINE_SPECIALS.sub(r"\\\1", text)
    return _LINE_START_SPECIALS.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match) -> str:
    indent, symbol, digits, dot = match.groups()
    return f"{indent}\\{symbol}" if symbol else f"{indent}{digits}\\{dot}"


def safe_url(url: str | None) -> str | None:
    """The URL if it is a plain http(s) URL with a host, else None (never a clickable javascript:)."""
    if not url:
        return None
    url = url.strip()
    if any(ch in url for ch in "\x00\n\r\t \"'<>`"):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def link_html(url: str | None, label: str | None = None) -> str:
    """A link that opens in a new tab for http(s) URLs; any other URL is shown as inert text."""
    good = safe_url(url)
    shown = escape_html(label if label is not None else url or "")
    if good is None:
        return f'<span class="nd-url-inert">{shown}</span>' if shown else ""
    return f'<a href="{escape_html(good)}" target="_blank" rel="noopener noreferrer nofollow">{shown}</a>'


# ----------------------------------------------------------------------------- small pieces


def display_date(value: str | None) -> str:
    """'2024-03-12' or '2024-03-12T08:00:00+00:00' -> '12 Mar 2024'; anything else as given."""
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(value[:10]).date() if len(value) >= 10 else None
    except ValueError:
        parsed = None
    if isinstance(parsed, date):
        return f"{parsed.day} {parsed.strftime('%b %Y')}"
    return value


def iso_day(value: str | None) -> str:
    """The date part of an ISO date/datetime (sorts correctly as text), or ''."""
    return (value or "")[:10]


def cite_key(turn: int, number: int) -> str:
    return f"{turn}-{number}"


def passage_key(turn: int, position: int) -> str:
    return f"{turn}-p{position}"


def parse_key(key: str) -> tuple[int, str, int] | None:
    """'3-2' -> (3, 'cite', 2); '3-p0' -> (3, 'passage', 0); anything else -> None."""
    match = re.fullmatch(r"(\d{1,6})-(p?)(\d{1,4})", (key or "").strip())
    if not match:
        return None
    kind = "passage" if match.group(2) else "cite"
    return int(match.group(1)), kind, int(match.group(3))


def source_label(info: ArticleInfo) -> str:
    """'Harbor Ledger, 12 Mar 2024' (plain text; escape it where it is used)."""
    return ", ".join(x for x in (info.outlet or "Unknown outlet", display_date(info.published_at)) if x)


def citation_link(turn: int, number: int, title: str = "", label: str | None = None) -> str:
    """The clickable [n] marker (inline HTML inside chat markdown or in a panel)."""
    text = escape_html(label if label is not None else f"[{number}]")
    return (
        f'<a class="{CITE_CLASS}" href="{CITE_HREF_PREFIX}{cite_key(turn, number)}" '
        f'title="{escape_html(title)}">{text}</a>'
    )


def _citation_title(citation: Citation) -> str:
    return f"{source_label(citation.article)}: {citation.article.title}"


def link_markers(escaped: str, turn: int, citations: Mapping[int, Citation]) -> str:
    """Turn escaped markers (\\[1\\], \\[1, 2\\]) into citation links; unknown numbers stay text."""

    def replace(match: re.Match) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", match.group(1))]
        if not all(n in citations for n in numbers):
            return match.group(0)
        return "".join(citation_link(turn, n, _citation_title(citations[n])) for n in numbers)

    return _ESCAPED_MARKER.sub(replace, escaped)


def _plain_markers(text: str) -> list[int]:
    return [int(n) for group in re.findall(r"\[(\d{1,3}(?:,\s*\d{1,3})*)\]", text) for n in re.findall(r"\d+", group)]


# ----------------------------------------------------------------------------- chat markdown


def answer_body_markdown(text: str, turn: int, citations: Sequence[Citation]) -> str:
    """The answer text as safe chat markdown with clickable markers.

    The engine's text mixes its own light structure (list items, headings, **labels**) with quoted
    article sentences. Everything is escaped; then only line-leading list/heading markers, **bold**
    pairs and known [n] markers are given their meaning back.
    """
    by_number = {c.number: c for c in citations}
    lines = []
    for line in (text or "").splitlines():
        match = _LIST_OR_HEADING.match(line)
        prefix = match.group(0) if match else ""
        rest = line[len(prefix):]
        escaped = _ESCAPED_BOLD.sub(r"**\1**", escape_markdown(rest))
        escaped = _ESCAPED_FLAG.sub(_flag_html, escaped)
        lines.append(escape_html(prefix) + link_markers(escaped, turn, by_number))
    return "\n".join(lines)


def _flag_html(match: re.Match) -> str:
    uncited = "cited" in match.group(0)
    tip = ("No source was cited for this sentence" if uncited
           else "The cited passages do not support this sentence")
    label = "unsupported, no source" if uncited else "unsupported"
    return f'<span class="nd-flag" title="{tip}">⚠ {label}</span>'


def table_markdown(table: Table, turn: int, citations: Sequence[Citation]) -> str:
    """A markdown table for the chat (cells escaped, pipes and line breaks neutralised)."""
    if not table.columns:
        return ""
    by_number = {c.number: c for c in citations}

    def cell(value: object) -> str:
        flat = " ".join(str(value or "").split())
        return link_markers(escape_markdown(flat), turn, by_number) or " "

    header = "| " + " | ".join(cell(c) for c in table.columns) + " |"
    rule = "| " + " | ".join("---" for _ in table.columns) + " |"
    rows = ["| " + " | ".join(cell(v) for v in _pad(row, len(table.columns))) + " |" for row in table.rows]
    notes = [f"_{escape_markdown(n)}_" for n in table.notes]
    return "\n".join([header, rule, *rows, *([""] + notes if notes else [])])


def _pad(row: Sequence[str], width: int) -> list[str]:
    return list(row[:width]) + [""] * max(0, width - len(row))


def answer_markdown(answer: Answer, turn: int) -> str:
    """The whole assistant message for one answer: notice, text, table."""
    parts: list[str] = []
    if answer.filters.active:
        parts.append(f"<small class=\"nd-searched\">{escape_html(_scope_text(answer.filters))}</small>")
    if answer.notice:
        parts.append(f"> {escape_markdown(answer.notice)}")
    table = answer_table(answer)
    text = answer.text
    if table is not None and table.rows:
        text = text_beside_table(text, table)
    body = answer_body_markdown(text, turn, answer.citations)
    if body.strip():
        parts.append(body)
    if table is not None and table.rows:
        parts.append(table_markdown(table, turn, answer.citations))
    if not answer.answerable and answer.passages and not answer.citations:
        parts.append("_The closest passages are in the Sources panel; click one to read it in context._")
    return "\n\n".join(parts) if parts else "_No answer text._"


def _scope_text(filters: Filters) -> str:
    bits = []
    if filters.outlets:
        bits.append(", ".join(filters.outlets))
    if filters.since or filters.until:
        bits.append(f"{filters.since or '…'} to {filters.until or '…'}")
    if filters.article_ids:
        bits.append(_count(len(filters.article_ids), "chosen article"))
    return "Searched only: " + "; ".join(bits)


_BOLD_ONLY_LINE = re.compile(r"^\s*\*\*[^*]+\*\*:?\s*$")


def text_beside_table(text: str, table: Table) -> str:
    """The answer text without the list items the table repeats (same citations), so the chat
    shows each statement once; a bold heading left without its items goes too."""
    tabled = {n for row in table.rows for cell in row for n in _plain_markers(str(cell))}
    blocks = []
    for block in re.split(r"\n\s*\n", text or ""):
        lines = block.splitlines()
        kept = [line for line in lines if not _repeated_item(line, tabled)]
        if len(kept) < len(lines):
            kept = [line for line in kept if not _BOLD_ONLY_LINE.match(line)]
        if any(line.strip() for line in kept):
            blocks.append("\n".join(kept))
    return "\n\n".join(blocks)


def _repeated_item(line: str, tabled: set[int]) -> bool:
    if not _LIST_OR_HEADING.match(line) or line.lstrip().startswith("#"):
        return False
    markers = _plain_markers(line)
    return bool(markers) and set(markers) <= tabled


def error_markdown(message: str) -> str:
    """A user-facing error as a chat message (the message is escaped: it may quote input)."""
    return f"**Could not answer.** {escape_markdown(message)}"


def working_markdown(mode_label: str, filters: Filters) -> str:
    scope = " in the filtered coverage" if filters.active else ""
    return f"_{escape_markdown(mode_label)}: searching the coverage{scope}…_"


def question_markdown(question: str, mode_label: str, filters: Filters) -> str:
    """The user's message as shown in the chat (their own text, escaped like any other)."""
    tags = [] if mode_label in ("", "Ask") else [mode_label]
    if filters.active:
        tags.append("filtered")
    suffix = f"  \n<small class=\"nd-q-tags\">{escape_html(' · '.join(tags))}</small>" if tags else ""
    return escape_markdown(question) + suffix


def stream_chunks(markdown: str) -> list[str]:
    """Growing prefixes of an answer's markdown, split where a partial message still renders well
    (after a citation link, a line or a sentence end), for a streamed reveal in the chat."""
    points = sorted(
        {m.end() for m in re.finditer(r"</a>|\n|(?<=[.?!])\s", markdown)} | {len(markdown)}
    )
    safe = [p for p in points if _outside_tag(markdown, p)]
    return [markdown[:p] for p in safe]


def _outside_tag(text: str, position: int) -> bool:
    before = text[:position]
    return before.rfind("<") <= before.rfind(">")


# ----------------------------------------------------------------------------- tables


def answer_table(answer: Answer) -> Table | None:
    """The table to show for an answer: the engine's table, or a statements table in who-mode."""
    if answer.table is not None:
        return answer.table
    if answer.mode == "who" and answer.statements:
        return statements_table(answer.statements, answer.citations, answer.passages)
    return None


def statements_table(
    statements: Sequence[Statement], citations: Sequence[Citation], passages: Sequence[Passage] = ()
) -> Table:
    """Speaker, stance, what they said, outlet, date and the citation of each statement."""
    infos: dict[str, ArticleInfo] = {p.article.id: p.article for p in passages}
    infos.update({c.article.id: c.article for c in citations})
    rows = []
    for statement in statements:
        info = infos.get(statement.article_id)
        cited = _citation_for(statement, citations)
        rows.append((
            statement.speaker,
            statement.stance,
            statement.content,
            (info.outlet or "") if info else "",
            iso_day(info.published_at) if info else "",
            f"[{cited.number}]" if cited else "",
        ))
    return Table(columns=STATEMENT_COLUMNS, rows=tuple(rows))


def _citation_for(statement: Statement, citations: Sequence[Citation]) -> Citation | None:
    start, end = statement.content_span
    for citation in citations:
        if citation.article.id == statement.article_id and citation.start < end and start < citation.end:
            return citation
    return None


def table_frame(table: Table) -> tuple[list[str], list[list[str]]]:
    """Headers and rows for a sortable data grid (plain text cells; the grid shows them as text)."""
    width = len(table.columns)
    return list(table.columns), [[" ".join(str(v or "").split()) for v in _pad(row, width)] for row in table.rows]


def neutralise_formula(value: object) -> str:
    """A cell a spreadsheet would run as a formula (= + - @, tab, CR first) gets a leading '."""
    text = "" if value is None else str(value)
    if text.lstrip(" ").startswith(_FORMULA_START):
        return "'" + text
    return text


def table_csv(table: Table, citations: Sequence[Citation] = ()) -> str:
    """CSV of a table, with a 'Cited sources' column spelling out the row's [n] markers."""
    by_number = {c.number: c for c in citations}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    extra = ["Cited sources"] if by_number else []
    writer.writerow([neutralise_formula(c) for c in [*table.columns, *extra]])
    for row in table.rows:
        cells = _pad([str(v or "") for v in row], len(table.columns))
        if by_number:
            numbers = sorted({n for cell in cells for n in _plain_markers(cell) if n in by_number})
            cells.append("; ".join(_citation_csv(by_number[n]) for n in numbers))
        writer.writerow([neutralise_formula(c) for c in cells])
    return out.getvalue()


def _citation_csv(citation: Citation) -> str:
    info = citation.article
    parts = [f"[{citation.number}] {info.outlet or 'Unknown outlet'}", info.title, iso_day(info.published_at)]
    if info.url:
        parts.append(info.url)
    return ", ".join(p for p in parts if p)


# ----------------------------------------------------------------------------- sources panel


def sources_html(answer: Answer | None, turn: int) -> str:
    """The panel beside the chat: the cited passages of the current answer, each clickable."""
    if answer is None:
        return (
            '<div class="nd-sources nd-empty"><p><b>Sources</b> appear here.</p>'
            "<p>Every sentence of an answer cites the passage it comes from. Click a "
            "<span class=\"nd-cite-sample\">[1]</span> in the chat or here to read it in context.</p></div>"
        )
    if answer.citations:
        items = [_citation_item(c, turn) for c in answer.citations]
        head = f"Sources of this answer ({len(answer.citations)})"
    elif answer.passages:
        items = [_passage_item(p, turn, i) for i, p in enumerate(answer.passages[:5])]
        head = "No passage answers this directly. Closest passages:"
    else:
        return '<div class="nd-sources nd-empty"><p>No sources for this answer.</p></div>'
    return (
        f'<div class="nd-sources"><div class="nd-panel-head">{escape_html(head)}</div>'
        f'<ol class="nd-source-list">{"".join(items)}</ol></div>'
    )


def _meta_line(info: ArticleInfo) -> str:
    bits = [f'<span class="nd-outlet">{escape_html(info.outlet or "Unknown outlet")}</span>']
    if info.published_at:
        bits.append(f'<time datetime="{escape_html(iso_day(info.published_at))}">'
                    f"{escape_html(display_date(info.published_at))}</time>")
    return " · ".join(bits)


def _citation_item(citation: Citation, turn: int) -> str:
    key = cite_key(turn, citation.number)
    return (
        f'<li class="nd-source" data-number="{citation.number}">'
        f'<a class="{CITE_CLASS} nd-source-num" href="{CITE_HREF_PREFIX}{key}" '
        f'title="Show this passage in its article">[{citation.number}]</a>'
        f'<div class="nd-source-body"><div class="nd-meta">{_meta_line(citation.article)}</div>'
        f'<div class="nd-headline">{escape_html(citation.article.title)}</div>'
        f'<blockquote class="nd-quote">{escape_html(citation.text)}</blockquote>'
        f'<a class="{CITE_CLASS} nd-open" href="{CITE_HREF_PREFIX}{key}">Read in context →</a>'
        "</div></li>"
    )


def _passage_item(passage: Passage, turn: int, position: int) -> str:
    key = passage_key(turn, position)
    text = passage.chunk.text
    shown = text if len(text) <= 320 else text[:320].rsplit(" ", 1)[0] + " …"
    return (
        '<li class="nd-source nd-closest">'
        f'<div class="nd-source-body"><div class="nd-meta">{_meta_line(passage.article)}</div>'
        f'<div class="nd-headline">{escape_html(passage.article.title)}</div>'
        f'<blockquote class="nd-quote">{escape_html(shown)}</blockquote>'
        f'<a class="{CITE_CLASS} nd-open" href="{CITE_HREF_PREFIX}{key}">Read in context →</a>'
        "</div></li>"
    )


# ----------------------------------------------------------------------------- source viewer


@dataclass(frozen=True)
class SourceView:
    """What the source viewer shows: an article, a span of its text, and the marker it came from."""

    info: ArticleInfo
    text: str  # the stored article text
    start: int
    end: int
    label: str  # "[2]" or "Closest passage"
    quoted: str = ""  # the text the answer quoted (to detect an article changed since)
    author: str | None = None


def source_view_html(view: SourceView) -> str:
    """The opened source: outlet, headline, date, link, and the passage with the span highlighted."""
    info = view.info
    start, end = max(0, view.start), min(len(view.text), view.end)
    link = ""
    if info.url:
        good = safe_url(info.url)
        link = (f'<div class="nd-link">{link_html(good, _short_url(good))}</div>' if good else
                f'<div class="nd-link nd-url-inert" title="Not an http(s) link, so not clickable">'
                f"{escape_html(info.url)}</div>")
    byline = f'<div class="nd-byline">By {escape_html(view.author)}</div>' if view.author else ""
    copies = ""
    if info.also_published_by:
        copies = ('<div class="nd-copies">Also published by: '
                  f"{escape_html(', '.join(info.also_published_by))}</div>")
    changed = ""
    if view.quoted and view.text[start:end] != view.quoted:
        changed = ('<div class="nd-warning">This article has changed since the answer was given; '
                   f"the answer quoted: “{escape_html(view.quoted)}”</div>")
    return (
        '<div class="nd-viewer">'
        f'<div class="nd-viewer-head"><span class="nd-viewer-label">{escape_html(view.label)}</span> '
        f'<span class="nd-meta">{_meta_line(info)}</span></div>'
        f'<h3 class="nd-viewer-title">{escape_html(info.title)}</h3>{byline}{link}{copies}{changed}'
        f'<div class="nd-passage">{_highlighted(view.text, start, end, context=True)}</div>'
        '<details class="nd-article"><summary>Whole article</summary>'
        f'<div class="nd-article-text">{_highlighted(view.text, start, end, context=False)}</div>'
        "</details></div>"
    )


def source_missing_html(message: str) -> str:
    return f'<div class="nd-viewer nd-empty"><p>{escape_html(message)}</p></div>'


def viewer_placeholder_html() -> str:
    return ('<div class="nd-viewer nd-empty"><p>Click a citation such as '
            '<span class="nd-cite-sample">[1]</span> to open its source here, with the cited '
            "sentence highlighted.</p></div>")


def _short_url(url: str) -> str:
    parts = urlsplit(url)
    shown = parts.netloc + parts.path
    return shown if len(shown) <= 70 else shown[:67] + "…"


def _highlighted(text: str, start: int, end: int, context: bool) -> str:
    """Escaped text with <mark> around [start, end); with context, only the surrounding paragraph(s)."""
    left, right = 0, len(text)
    if context:
        left, right = _context_bounds(text, start, end)
    before = escape_html(text[left:start])
    marked = escape_html(text[start:end])
    after = escape_html(text[end:right])
    lead = "… " if left > 0 else ""
    tail = " …" if right < len(text) else ""
    return f'{lead}{before}<mark class="nd-mark">{marked}</mark>{after}{tail}'


def _context_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The paragraph(s) around the span, clipped to _CONTEXT_CHARS each side at a word boundary."""
    left = text.rfind("\n\n", 0, start)
    left = 0 if left < 0 else left + 2
    right = text.find("\n\n", end)
    right = len(text) if right < 0 else right
    if start - left > _CONTEXT_CHARS:
        cut = text.find(" ", start - _CONTEXT_CHARS, start)
        left = cut + 1 if cut >= 0 else start - _CONTEXT_CHARS
    if right - end > _CONTEXT_CHARS:
        cut = text.rfind(" ", end, end + _CONTEXT_CHARS)
        right = cut if cut > end else end + _CONTEXT_CHARS
    return left, right


# ----------------------------------------------------------------------------- ingest, stats, header


def ingest_summary(report: IngestReport, titles: Mapping[str, str] | None = None) -> str:
    """Markdown summary of one ingest: added, updated, unchanged, duplicates, skipped with reasons."""
    titles = titles or {}

    def name(article_id: str) -> str:
        title = titles.get(article_id)
        return f"“{escape_markdown(title)}”" if title else f"`{escape_html(article_id[:12])}`"

    lines = [f"**{_count(len(report.added), 'article')} added**"
             + (f", {report.chunks_embedded} passages embedded" if report.chunks_embedded else "")
             + f" in {report.seconds:.1f} s."]
    for article_id in report.added[:10]:
        lines.append(f"- added {name(article_id)}")
    if len(report.added) > 10:
        lines.append(f"- … and {len(report.added) - 10} more")
    if report.updated:
        lines.append(f"- updated: {', '.join(name(a) for a in report.updated[:10])}")
    if report.unchanged:
        lines.append(f"- already in the index, unchanged: {_count(len(report.unchanged), 'article')}")
    for copy_id, original_id in report.duplicates[:10]:
        lines.append(f"- duplicate: {name(copy_id)} is a copy of {name(original_id)} (kept as a copy, not as new evidence)")
    if report.problems:
        lines.extend(_problem_list(f"Skipped {len(report.problems)}", report.problems))
    if report.warnings:
        lines.extend(_problem_list(f"Indexed with a warning ({len(report.warnings)})", report.warnings))
    if report.added or report.updated:
        lines.append("\nThe new coverage is searchable now.")
    return "\n".join(lines)


def _problem_list(heading: str, problems: Sequence[Problem], most: int = 20) -> list[str]:
    """A bold heading and one escaped line per problem (the first `most` of them)."""
    lines = [f"\n**{heading}:**"]
    lines.extend(f"- {escape_markdown(_problem_text(p.source, p.where, p.reason))}" for p in problems[:most])
    if len(problems) > most:
        lines.append(f"- … and {len(problems) - most} more")
    return lines


def _problem_text(source: str, where: str, reason: str) -> str:
    shown = source if source.lower().startswith(("http://", "https://")) else Path(source).name or source
    return f"{shown} ({where}): {reason}" if where else f"{shown}: {reason}"


def count_of(n: int, noun: str, plural: str | None = None) -> str:
    """"1 statement", "2 statements"; `plural` for nouns that do not just take an s ("copies")."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


_count = count_of


def stats_markdown(articles: int, outlets: Iterable[tuple[str, int]], first_date: str | None,
                   last_date: str | None, chunks: int, duplicates: int = 0) -> str:
    """One line of index statistics plus the outlets it holds."""
    outlets = list(outlets)
    span = ""
    if first_date and last_date:
        a, b = display_date(first_date), display_date(last_date)
        span = a if a == b else f"{a} – {b}"
    head = [f"**{_count(articles, 'article')}**", _count(len(outlets), "outlet")]
    if span:
        head.append(span)
    head.append(_count(chunks, "passage"))
    if duplicates:
        head.append(_count(duplicates, "duplicate"))
    lines = [" · ".join(head)]
    if outlets:
        lines.append("Outlets: " + ", ".join(f"{escape_markdown(o)} ({n})" for o, n in outlets))
    return "\n\n".join(lines)


def engine_html(name: str) -> str:
    """The engine indicator: extractive (verbatim quotes) or an LLM (which one)."""
    if not name or name.lower().startswith("extractive"):
        return ('<span class="nd-engine nd-engine-extractive" title="Answers are built from verbatim '
                'sentences of the coverage, each cited">Answers: extractive (verbatim quotes)</span>')
    return (f'<span class="nd-engine nd-engine-llm" title="Answers are written by a language model '
            f'and checked against their citations">Answers: LLM · {escape_html(name)}</span>')


def filters_markdown(filters: Filters) -> str:
    """What the next question will be limited to."""
    if not filters.active:
        return "No filters: questions search all coverage."
    parts = []
    if filters.outlets:
        parts.append("outlets " + ", ".join(escape_markdown(o) for o in filters.outlets))
    if filters.since and filters.until:
        parts.append(f"from {escape_markdown(filters.since)} to {escape_markdown(filters.until)}")
    elif filters.since:
        parts.append(f"from {escape_markdown(filters.since)}")
    elif filters.until:
        parts.append(f"until {escape_markdown(filters.until)}")
    return "**Active filters:** " + "; ".join(parts)


def answer_dict(answer: Answer) -> dict:
    """The stable JSON shape of an answer."""
    return {
        "question": answer.question,
        "mode": answer.mode,
        "answerable": answer.answerable,
        "engine": answer.engine,
        "notice": answer.notice,
        "text": answer.text,
        "citations": [
            {
                "number": c.number,
                "article_id": c.article.id,
                "title": c.article.title,
                "outlet": c.article.outlet,
                "published_at": c.article.published_at,
                "url": c.article.url,
                "also_published_by": list(c.article.also_published_by),
                "start": c.start,
                "end": c.end,
                "text": c.text,
            }
            for c in answer.citations
        ],
        "table": None if answer.table is None else {
            "columns": list(answer.table.columns),
            "rows": [list(r) for r in answer.table.rows],
            "notes": list(answer.table.notes),
        },
        "statements": [asdict(s) for s in answer.statements],
        "passages": [
            {
                "chunk_id": p.chunk.id,
                "article_id": p.article.id,
                "title": p.article.title,
                "outlet": p.article.outlet,
                "published_at": p.article.published_at,
                "score": round(p.score, 6),
                "start": p.chunk.start,
                "end": p.chunk.end,
                "text": p.chunk.text,
            }
            for p in answer.passages
        ],
        "filters": asdict(answer.filters),
    }


__all__ = [
    "STATEMENT_COLUMNS", "SourceView", "answer_body_markdown", "answer_dict", "answer_markdown", "answer_table",
    "cite_key", "citation_link", "display_date", "engine_html", "error_markdown", "escape_html",
    "escape_markdown", "filters_markdown", "ingest_summary", "link_html", "neutralise_formula",
    "parse_key", "passage_key", "question_markdown", "safe_url", "source_missing_html",
    "source_view_html", "sources_html", "statements_table", "stats_markdown", "stream_chunks",
    "table_csv", "table_frame", "table_markdown", "viewer_placeholder_html", "working_markdown",
]
