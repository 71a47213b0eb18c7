"""Rendering: what a user sees in the chat, the sources panel, the viewer and the CSV export.

Hostile article content (script tags, event handlers, javascript: links, markdown images that would
load from another host, spreadsheet formulas) must come out as inert text. The chat markdown is put
through a real markdown renderer with raw HTML enabled (as Gradio's is) before checking.
"""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from assistant import render
from assistant.records import (
    Answer, ArticleInfo, Chunk, Citation, Filters, IngestReport, Passage, Problem, Statement, Table,
)

HOSTILE_TITLE = "<script>alert('title')</script>Council vote <img src=x onerror=alert('t')>"
HOSTILE_OUTLET = "Evil <b>Gazette</b> <script>alert('outlet')</script>"
HOSTILE_TEXT = (
    "The council voted to close Pier 9, <script>alert('body')</script> the clerk said.\n\n"
    "\"We will not reopen <img src=x onerror=alert('quote')> until tests are clean,\" Lindqvist said. "
    "See [the report](javascript:alert('link')) and ![pixel](http://tracker.example/p.png).\n\n"
    "A spokesperson warned that =HYPERLINK(\"http://evil.example\",\"x\") is not official."
)

SAFE_TAGS = {"p", "a", "strong", "em", "ul", "ol", "li", "small", "blockquote", "table", "thead", "tbody",
             "tr", "th", "td", "div", "span", "h3", "mark", "details", "summary", "time", "br", "b", "code"}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self._mark_depth = 0
        self.marked: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag == "mark":
            self._mark_depth += 1
            self.marked.append("")

    def handle_endtag(self, tag):
        if tag == "mark":
            self._mark_depth -= 1

    def handle_data(self, data):
        self.text.append(data)
        if self._mark_depth:
            self.marked[-1] += data


def parse(html_text: str) -> _Elements:
    parser = _Elements()
    parser.feed(html_text)
    return parser


def markdown_to_html(markdown: str) -> str:
    """Render like the chat does: CommonMark with raw HTML passed through, plus tables."""
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def assert_inert(html_text: str) -> _Elements:
    """Only harmless tags; no event handlers; links only to http(s) or in-page citation anchors."""
    parsed = parse(html_text)
    for tag, attrs in parsed.elements:
        assert tag in SAFE_TAGS, f"unexpected <{tag}> in {html_text[:300]}"
        assert not any(name.startswith("on") for name in attrs), f"event handler on <{tag}>: {attrs}"
        assert "src" not in attrs
        if tag == "a":
            href = attrs.get("href", "")
            assert href.startswith(("https://", "http://", render.CITE_HREF_PREFIX)), href
    return parsed


def info(**changes) -> ArticleInfo:
    values = dict(id="a1", title=HOSTILE_TITLE, outlet=HOSTILE_OUTLET, published_at="2024-03-16",
                  url="javascript:alert(document.cookie)")
    values.update(changes)
    return ArticleInfo(**values)


def citation(number: int, start: int, end: int, article: ArticleInfo | None = None) -> Citation:
    return Citation(number=number, article=article or info(), start=start, end=end, text=HOSTILE_TEXT[start:end])


def span_of(fragment: str) -> tuple[int, int]:
    start = HOSTILE_TEXT.index(fragment)
    return start, start + len(fragment)


@pytest.fixture
def hostile_answer() -> Answer:
    first = citation(1, *span_of("The council voted to close Pier 9, <script>alert('body')</script> the clerk said."))
    second = citation(2, *span_of("\"We will not reopen <img src=x onerror=alert('quote')> until tests are clean,\" Lindqvist said."))
    chunk = Chunk(id="a1:0", article_id="a1", index=0, start=0, end=len(HOSTILE_TEXT), text=HOSTILE_TEXT)
    text = f"{first.text} [1] {second.text} [2] See [the report](javascript:alert('x')) ![p](http://tracker.example/p.png) [7]"
    return Answer(question="What did the council do?", mode="ask", text=text, answerable=True,
                  citations=(first, second), passages=(Passage(chunk=chunk, article=info(), score=1.0),))


# ----------------------------------------------------------------------------- chat markdown


def test_hostile_answer_renders_as_inert_text_with_clickable_citations(hostile_answer):
    markdown = render.answer_markdown(hostile_answer, turn=3)
    parsed = assert_inert(markdown_to_html(markdown))
    text = "".join(parsed.text)
    assert "<script>alert('body')</script>" in text  # shown as the characters it is
    assert "<img src=x onerror=alert('quote')>" in text
    assert "[the report](javascript:alert('x'))" in text
    assert "![p](http://tracker.example/p.png)" in text
    links = [attrs for tag, attrs in parsed.elements if tag == "a"]
    assert [a["href"] for a in links] == ["#nd-cite-3-1", "#nd-cite-3-2"]
    assert all(a["class"] == "nd-cite" for a in links)
    assert "[7]" in text  # a marker without a citation stays plain text, not a link


def test_markdown_specials_from_articles_do_not_format():
    hostile = "# heading\n- item\n1. one\n*bold* _em_ `code` | pipe | $x$ ~~strike~~ <b>b</b> ===\n+ plus"
    html_text = markdown_to_html(render.escape_markdown(hostile))
    parsed = parse(html_text)
    assert {tag for tag, _ in parsed.elements} <= {"p", "br"}  # no heading, list, emphasis, code, bold
    assert "".join(parsed.text).replace("\n", "") == hostile.replace("\n", "")


def test_engine_structure_survives_while_article_text_is_escaped():
    cited = Citation(1, info(outlet="Harbor Ledger", title="Leak"), 0, 4, "Leak")
    answer = Answer(question="q", mode="summarize", answerable=True, citations=(cited,), passages=(),
                    text="**Harbor Ledger (12 Mar):**\n- Kessler said *no* product leaked. [1]\n- <i>x</i> [1]")
    parsed = parse(markdown_to_html(render.answer_markdown(answer, 0)))
    tags = [tag for tag, _ in parsed.elements]
    assert "strong" in tags and tags.count("li") == 2
    assert "em" not in tags and "i" not in tags
    assert "Kessler said *no* product leaked." in "".join(parsed.text)


def test_notice_and_unanswerable_answer_point_to_closest_passages():
    chunk = Chunk(id="a1:0", article_id="a1", index=0, start=0, end=20, text=HOSTILE_TEXT[:20])
    answer = Answer(question="q", mode="ask", text="The coverage does not say.", answerable=False, citations=(),
                    passages=(Passage(chunk, info(), 0.2),), notice="The LLM <timed out>; this is the extractive answer")
    markdown = render.answer_markdown(answer, 0)
    parsed = assert_inert(markdown_to_html(markdown))
    text = "".join(parsed.text)
    assert "The LLM <timed out>; this is the extractive answer" in text
    assert "closest passages" in text.lower()


def test_error_and_question_messages_are_escaped():
    assert_inert(markdown_to_html(render.error_markdown("No index at <script>x</script>")))
    parsed = assert_inert(markdown_to_html(render.question_markdown("<img src=x onerror=alert(1)>?", "Compare", Filters(outlets=("A",)))))
    assert "<img src=x onerror=alert(1)>?" in "".join(parsed.text)
    assert "Compare · filtered" in "".join(parsed.text)


def test_stream_chunks_grow_to_the_full_answer_and_never_cut_a_tag(hostile_answer):
    markdown = render.answer_markdown(hostile_answer, 0)
    pieces = render.stream_chunks(markdown)
    assert len(pieces) > 2
    assert pieces[-1] == markdown
    for shorter, longer in zip(pieces, pieces[1:]):
        assert longer.startswith(shorter) and len(longer) > len(shorter)
    for piece in pieces:
        assert piece.rfind("<") <= piece.rfind(">")


# ----------------------------------------------------------------------------- tables and CSV


def test_table_markdown_keeps_columns_when_cells_contain_pipes_and_newlines(hostile_answer):
    table = Table(columns=("Outlet", "Account"), rows=(("A | B", "line one\nline two [1]"), ("<b>C</b>", "x [2]")))
    html_text = markdown_to_html(render.table_markdown(table, 0, hostile_answer.citations))
    parsed = assert_inert(html_text)
    tags = [tag for tag, _ in parsed.elements]
    assert tags.count("tr") == 3 and tags.count("td") == 4
    assert "A | B" in "".join(parsed.text)
    assert sum(1 for tag, a in parsed.elements if tag == "a" and a.get("class") == "nd-cite") == 2


def test_who_mode_builds_a_statements_table_with_citations():
    article = info(id="a1", outlet="Riverline Wire", published_at="2024-03-13T09:00:00+00:00")
    statement = Statement(article_id="a1", index=0, speaker="Dana Whitcombe", speaker_mention="Whitcombe",
                          speaker_span=(0, 9), cue="denied", cue_span=(10, 16), content="any record of a fault",
                          content_span=(22, 43), quote_type="indirect", stance="deny")
    cited = Citation(4, article, 0, 60, "x" * 60)
    answer = Answer(question="Who denied it?", mode="who", text="Whitcombe denied it. [4]", answerable=True,
                    citations=(cited,), passages=(), statements=(statement,))
    table = render.answer_table(answer)
    assert table is not None
    assert table.columns == render.STATEMENT_COLUMNS
    assert table.rows == (("Dana Whitcombe", "deny", "any record of a fault", "Riverline Wire", "2024-03-13", "[4]"),)


def test_csv_export_neutralises_formulas_and_spells_out_sources():
    article = info(outlet="=cmd|' /C calc'!A0", title="Title", url="https://example.org/a")
    cited = Citation(1, article, 0, 5, "x")
    table = Table(columns=("Speaker", "What they said", "Source"),
                  rows=(("=HYPERLINK(\"http://evil.example\")", "+1 and -2", "[1]"),
                        ("@SUM(A1)", " =2+2", "[1]"), ("Plain", "-", ""), ("\tTab", "ok", "")))
    rows = list(csv.reader(io.StringIO(render.table_csv(table, (cited,)))))
    assert rows[0] == ["Speaker", "What they said", "Source", "Cited sources"]
    assert rows[1][0] == "'=HYPERLINK(\"http://evil.example\")"
    assert rows[1][1] == "'+1 and -2"
    assert rows[1][3].startswith("'[1] =cmd") or rows[1][3].startswith("[1] ")
    assert rows[2][0] == "'@SUM(A1)" and rows[2][1] == "' =2+2"
    assert rows[3][1] == "'-"
    assert rows[4][0] == "'\tTab"
    for row in rows:
        for cell in row:
            assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t"))
    assert "https://example.org/a" in rows[1][3]


def test_table_frame_is_plain_text_grid():
    headers, rows = render.table_frame(Table(columns=("A", "B"), rows=(("one\ntwo",), ("x", "y", "z"))))
    assert headers == ["A", "B"]
    assert rows == [["one two", ""], ["x", "y"]]


# ----------------------------------------------------------------------------- sources panel and viewer


def test_sources_panel_lists_cited_passages_inertly(hostile_answer):
    html_text = render.sources_html(hostile_answer, turn=2)
    parsed = assert_inert(html_text)
    text = "".join(parsed.text)
    assert "Sources of this answer (2)" in text
    assert "<script>alert('body')</script>" in text and HOSTILE_OUTLET in text
    hrefs = {a["href"] for tag, a in parsed.elements if tag == "a"}
    assert hrefs == {"#nd-cite-2-1", "#nd-cite-2-2"}


def test_sources_panel_for_an_unanswerable_question_shows_closest_passages():
    chunk = Chunk(id="a1:0", article_id="a1", index=0, start=0, end=30, text=HOSTILE_TEXT[:30])
    answer = Answer(question="q", mode="ask", text="Not in the coverage.", answerable=False, citations=(),
                    passages=(Passage(chunk, info(), 0.1),))
    parsed = assert_inert(render.sources_html(answer, 5))
    assert "Closest passages" in "".join(parsed.text)
    assert [a["href"] for tag, a in parsed.elements if tag == "a"] == ["#nd-cite-5-p0"]


def test_source_viewer_highlights_exactly_the_cited_sentence_and_never_links_javascript():
    start, end = span_of("\"We will not reopen <img src=x onerror=alert('quote')> until tests are clean,\" Lindqvist said.")
    view = render.SourceView(info=info(), text=HOSTILE_TEXT, start=start, end=end, label="[2]",
                             quoted=HOSTILE_TEXT[start:end], author="<img src=x onerror=alert('a')>")
    parsed = assert_inert(render.source_view_html(view))
    assert parsed.marked == [HOSTILE_TEXT[start:end], HOSTILE_TEXT[start:end]]  # passage + whole article
    text = "".join(parsed.text)
    assert HOSTILE_TITLE in text and "javascript:alert(document.cookie)" in text  # visible, not clickable
    assert not any(tag == "a" for tag, _ in parsed.elements)
    assert "changed since" not in text


def test_source_viewer_links_http_urls_and_warns_when_the_article_changed():
    view = render.SourceView(info=info(url="https://news.example/story?id=1&x=2", outlet="Harbor Ledger"),
                             text="Alpha beta. Gamma delta.", start=12, end=24, label="[1]", quoted="Something else.")
    parsed = assert_inert(render.source_view_html(view))
    links = [a for tag, a in parsed.elements if tag == "a"]
    assert links and links[0]["href"] == "https://news.example/story?id=1&x=2"
    assert links[0]["rel"] == "noopener noreferrer nofollow" and links[0]["target"] == "_blank"
    assert "changed since the answer" in "".join(parsed.text)


def test_source_viewer_clips_long_context_around_the_span():
    text = ("word " * 400) + "THE CITED SENTENCE." + (" word" * 400)
    start = text.index("THE CITED")
    view = render.SourceView(info=info(url=None), text=text, start=start, end=start + 19, label="[1]")
    html_text = render.source_view_html(view)
    passage = html_text.split('<div class="nd-passage">')[1].split("</div>")[0]
    assert passage.startswith("… ") and passage.endswith(" …")
    assert len(passage) < 1200


@pytest.mark.parametrize("url, ok", [
    ("https://a.example/x", True), ("http://a.example", True), ("HTTPS://A.EXAMPLE/", True),
    ("javascript:alert(1)", False), ("JaVaScRiPt:alert(1)", False), ("data:text/html,x", False),
    ("//evil.example/x", False), ("https://a.example/<script>", False), ("https://a.example/\"onmouseover=x", False),
    ("ftp://a.example/f", False), ("", False), (None, False), ("https:///nohost", False),
])
def test_only_http_urls_are_links(url, ok):
    assert (render.safe_url(url) is not None) is ok


def test_parse_key():
    assert render.parse_key("3-2") == (3, "cite", 2)
    assert render.parse_key("0-p1") == (0, "passage", 1)
    for bad in ("", "x", "1-", "-1", "1-2-3", "1-q2", "<script>"):
        assert render.parse_key(bad) is None


# ----------------------------------------------------------------------------- ingest, stats, header


def test_ingest_summary_reports_added_duplicates_and_skipped_with_reasons():
    report = IngestReport(
        added=("a1", "a2"), unchanged=("a3",), duplicates=(("a4", "a1"),), chunks_embedded=12, seconds=1.26,
        problems=(Problem("/idx/uploads/scan.pdf", "unsupported file type '.pdf'"),
                  Problem("/idx/uploads/feed.xml", "no title or text", where="entry 3")),
    )
    titles = {"a1": "Leak <script>x</script>", "a2": "Second", "a4": "Copy"}
    markdown = render.ingest_summary(report, titles)
    parsed = assert_inert(markdown_to_html(markdown))
    text = " ".join(parsed.text)
    assert "2 articles added" in text and "12 passages embedded" in text and "1.3 s" in text
    assert "Leak <script>x</script>" in text
    assert "unchanged: 1 article" in text
    assert "“Copy” is a copy of “Leak <script>x</script>”" in text
    assert "Skipped 2" in text
    assert "scan.pdf: unsupported file type '.pdf'" in text
    assert "feed.xml (entry 3): no title or text" in text
    assert "/idx/uploads" not in text  # upload paths are shown by file name only
    assert "searchable now" in text


def test_ingest_summary_with_nothing_added_says_so():
    text = render.ingest_summary(IngestReport(problems=(Problem("x.exe", "unsupported file type '.exe'"),)))
    assert "0 articles added" in text and "Skipped 1" in text and "searchable now" not in text


def test_stats_and_engine_and_filters():
    stats = render.stats_markdown(7, [("Harbor <Ledger>", 2), ("Riverline Wire", 1)], "2024-03-12",
                                  "2024-03-15T10:00:00", 52, duplicates=1)
    parsed = parse(markdown_to_html(stats))
    text = " ".join(parsed.text)
    assert "7 articles" in text and "2 outlets" in text and "12 Mar 2024 – 15 Mar 2024" in text
    assert "52 passages" in text and "1 duplicate" in text and "Harbor <Ledger> (2)" in text
    assert "extractive" in render.engine_html("extractive")
    llm = parse(render.engine_html("llm: <b>qwen</b> at http://127.0.0.1:8080"))
    assert "LLM · llm: <b>qwen</b>" in "".join(llm.text) and [t for t, _ in llm.elements] == ["span"]
    assert render.filters_markdown(Filters()).startswith("No filters")
    active = render.filters_markdown(Filters(outlets=("Harbor Ledger",), since="2024-03-12"))
    assert "Active filters" in active and "Harbor Ledger" in active and "from 2024-03-12" in active


def test_display_date():
    assert render.display_date("2024-03-05") == "5 Mar 2024"
    assert render.display_date("2024-03-12T18:00:00+01:00") == "12 Mar 2024"
    assert render.display_date("March 2024") == "March 2024"
    assert render.display_date(None) == ""


def test_unsupported_flags_are_shown_as_warnings():
    cited = Citation(1, info(outlet="A", title="T"), 0, 4, "Leak")
    answer = Answer(question="q", mode="ask", answerable=True, citations=(cited,), passages=(), engine="llm",
                    text="Kessler hid the leak. ⚠ unsupported (no source cited) The leak was small. ⚠ unsupported [1]")
    parsed = assert_inert(markdown_to_html(render.answer_markdown(answer, 0)))
    flags = [a for tag, a in parsed.elements if tag == "span" and a.get("class") == "nd-flag"]
    assert len(flags) == 2
    assert "⚠ unsupported, no source" in "".join(parsed.text)


def test_answer_says_which_coverage_it_searched():
    answer = Answer(question="q", mode="ask", text="x", answerable=False, citations=(), passages=(),
                    filters=Filters(outlets=("Harbor <Ledger>",), since="2024-03-12"))
    parsed = assert_inert(markdown_to_html(render.answer_markdown(answer, 0)))
    assert "Searched only: Harbor <Ledger>; 2024-03-12 to …" in "".join(parsed.text)


def test_chat_shows_tabled_statements_once():
    article = info(outlet="Harbor Ledger", title="Leak")
    cites = tuple(Citation(n, article, 0, 4, "Leak") for n in (1, 2, 3))
    table = Table(columns=("Speaker", "Statement", "Source"), rows=(("A", "x", "[1]"), ("B", "y [2]", "")))
    text = ("Two outlets differ:\n\n**What each outlet reported**\n- **A**: x [1]\n- **B**: y [2]\n\n"
            "Also:\n- **C**: z [3]\n- no marker here")
    answer = Answer(question="q", mode="compare", text=text, answerable=True, citations=cites, passages=(), table=table)
    markdown = render.answer_markdown(answer, 0)
    parsed = parse(markdown_to_html(markdown))
    text_shown = "".join(parsed.text)
    assert "Two outlets differ:" in text_shown and "What each outlet reported" not in text_shown
    assert "z " in text_shown and "no marker here" in text_shown  # items the table lacks stay
    assert markdown.count('href="#nd-cite-0-1"') == 1 and markdown.count('href="#nd-cite-0-2"') == 1
    assert [tag for tag, _ in parsed.elements].count("table") == 1


def test_counts_take_the_singular_for_one_and_an_irregular_plural_when_given() -> None:
    assert [render.count_of(n, "statement") for n in (0, 1, 2)] == ["0 statements", "1 statement", "2 statements"]
    assert render.count_of(1, "recorded copy", "recorded copies") == "1 recorded copy"
    assert render.count_of(3, "recorded copy", "recorded copies") == "3 recorded copies"


def test_ingest_summary_shows_warnings_about_indexed_articles():
    warning = Problem("feed.jsonl", "published_at 'next tuesday' is not a date (expected e.g. 2024-03-14); "
                                    "the article was indexed without a date", "line 3")
    text = render.ingest_summary(IngestReport(added=("a" * 16,), warnings=(warning,)))
    assert "**Indexed with a warning (1):**" in text
    assert "feed.jsonl \\(line 3\\): published\\_at 'next tuesday' is not a date" in text
