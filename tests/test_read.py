"""Readers for every input format, the Problems users see for bad input, and URL fetching
(against a local http.server on 127.0.0.1, never the internet)."""

from __future__ import annotations

import http.server
import os
import socket
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from assistant.clean import clean_text
from assistant.normalize import parse_date
from assistant.read import (
    SUPPORTED_EXTENSIONS,
    iter_input_files,
    read_path,
    read_url,
)
from assistant.records import Problem, RawArticle, ReadResult

INPUTS = Path(__file__).resolve().parent / "fixtures" / "inputs"
SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
SEED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "seed" / "wagner.txt"
SUPPORTED = ", ".join(SUPPORTED_EXTENSIONS)


def read(name: str, max_file_bytes: int = 1_000_000) -> ReadResult:
    return read_path(INPUTS / name, max_file_bytes)


def problems_of(result: ReadResult) -> list[tuple[str, str]]:
    return [(problem.where, problem.reason) for problem in result.problems]


# ------------------------------------------------------------------------------ .txt and .md


def test_plain_text_headline_line_is_the_title_and_not_part_of_the_body() -> None:
    result = read("plain.txt")
    assert result.problems == ()
    (article,) = result.articles
    assert article.title == "City council approves new bus routes"
    assert article.format == "txt"
    assert article.where == ""
    assert article.source == str(INPUTS / "plain.txt")
    assert article.body.startswith("The Harbor City council voted 7-2")
    assert article.body.endswith('"People in Eastfield have waited a decade for this," Osei said.')
    assert (article.outlet, article.author, article.published_at, article.url) == (None, None, None, None)


STORY = "The Marlow Bend city council postponed its vote on the Pier 9 lease on Tuesday."


def read_text(tmp_path: Path, text: str, name: str = "clip.txt") -> RawArticle:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (article,) = read_path(path, 1_000_000).articles
    return article


def metadata(article: RawArticle) -> tuple:
    return (article.title, article.author, article.outlet, article.published_at, article.date_field)


@pytest.mark.parametrize(
    "head, expected",
    [
        ("By Mara Quint, Harbor Ledger, 2024-03-20",
         ("Mara Quint", "Harbor Ledger", "2024-03-20", "byline date")),
        ("By Mara Quint, Harbor Ledger, March 20, 2024",
         ("Mara Quint", "Harbor Ledger", "March 20, 2024", "byline date")),
        ("By Mara Quint | Harbor Ledger | 20 March 2024",
         ("Mara Quint", "Harbor Ledger", "20 March 2024", "byline date")),
        ("BY MARA QUINT, Harbor Ledger", ("MARA QUINT", "Harbor Ledger", None, None)),
        ("By Ines Moreau and Karl Dietz, Staff Writers, Valley Observer",
         ("Ines Moreau and Karl Dietz", "Valley Observer", None, None)),
        ("By Mara Quint\nHarbor Ledger\nMarch 20, 2024",
         ("Mara Quint", "Harbor Ledger", "March 20, 2024", "date line")),
        ("By Mara Quint\nStaff Writer\n\nPublished: March 20, 2024 10:15 a.m.\nUpdated: March 21, 2024",
         ("Mara Quint", None, "March 20, 2024 10:15 a.m.", "Published")),
        ("Harbor Ledger — March 20, 2024", (None, "Harbor Ledger", "March 20, 2024", "byline date")),
        ("BBC - 20 March 2024", (None, "BBC", "20 March 2024", "byline date")),
        ("March 20, 2024", (None, None, "March 20, 2024", "date line")),
        ("Wednesday, March 20, 2024", (None, None, "Wednesday, March 20, 2024", "date line")),
        ("2024-03-20", (None, None, "2024-03-20", "date line")),
        ("20 March 2024", (None, None, "20 March 2024", "date line")),
        ("Updated March 21, 2024", (None, None, "March 21, 2024", "Updated")),
        ("Published: yesterday", (None, None, "yesterday", "Published")),  # the ingest warns
        ("By Mara Quint, Harbor Ledger, March 40, 2024",
         ("Mara Quint", "Harbor Ledger", "March 40, 2024", "byline date")),  # the ingest warns
        # Several authors: a name-like part is the outlet only while no line below names one.
        ("By Anna Kowalski, Mark Dunn\nReuters\nJune 24, 2023",
         ("Anna Kowalski, Mark Dunn", "Reuters", "June 24, 2023", "date line")),
        ("By Anna Kowalski, Mark Dunn\nHarbor Ledger — June 24, 2023",
         ("Anna Kowalski, Mark Dunn", "Harbor Ledger", "June 24, 2023", "byline date")),
        ("By Anna Kowalski, Mark Dunn, Harbor Ledger, June 24, 2023",
         ("Anna Kowalski, Mark Dunn", "Harbor Ledger", "June 24, 2023", "byline date")),
        ("By Mara Quint, Harbor Ledger\nMarch 20, 2024", ("Mara Quint", "Harbor Ledger", "March 20, 2024", "date line")),
        # An agency signs the story itself.
        ("By The Associated Press", (None, "The Associated Press", None, None)),
        ("By Reuters, March 20, 2024", (None, "Reuters", "March 20, 2024", "byline date")),
        ("By AFP\nMarch 20, 2024", (None, "AFP", "March 20, 2024", "date line")),
    ],
)
def test_a_clipping_byline_becomes_metadata_and_leaves_the_body(tmp_path: Path, head: str, expected: tuple) -> None:
    article = read_text(tmp_path, f"Council delays vote on Pier 9 lease\n\n{head}\n\n{STORY}\n")
    assert metadata(article) == ("Council delays vote on Pier 9 lease", *expected)
    assert article.body == STORY
    assert article.extra["byline"] == " / ".join(line for line in head.split("\n") if line)


def test_a_byline_right_under_the_headline_or_without_a_headline_is_read(tmp_path: Path) -> None:
    under = read_text(tmp_path, f"Council delays vote\nBy Mara Quint\nHarbor Ledger\n2024-03-20\n\n{STORY}\n")
    assert metadata(under) == ("Council delays vote", "Mara Quint", "Harbor Ledger", "2024-03-20", "date line")
    assert under.body == STORY
    alone = read_text(tmp_path, f"By Mara Quint, Harbor Ledger, 2024-03-20\n\n{STORY}\n")
    assert metadata(alone) == ("", "Mara Quint", "Harbor Ledger", "2024-03-20", "byline date")
    assert alone.body == STORY


def test_a_clipping_without_blank_lines_has_its_byline_read_up_to_the_story(tmp_path: Path) -> None:
    second = "Kessler Terminals said it would wait."
    article = read_text(tmp_path, f"Council delays vote\nBy Mara Quint, Harbor Ledger, 2024-03-20\n{STORY}\n{second}\n")
    assert metadata(article) == ("Council delays vote", "Mara Quint", "Harbor Ledger", "2024-03-20", "byline date")
    assert article.body == f"{STORY}\n{second}"


@pytest.mark.parametrize(
    "text",
    [
        f"Council delays vote\n{STORY}",  # a headline running straight into the story may be its first line
        "Council delays vote\nBy Mara Quint\nKessler Terminals\nsaid on Tuesday it would wait.",
        "By Mara Quint\nand the council clerk, the minutes were read.",
    ],
)
def test_lines_running_on_from_a_headline_or_byline_shape_stay_text(tmp_path: Path, text: str) -> None:
    article = read_text(tmp_path, text + "\n")
    assert metadata(article) == ("", None, None, None, None)
    assert article.body == text


def test_a_markdown_clipping_byline_under_its_heading_is_read(tmp_path: Path) -> None:
    article = read_text(
        tmp_path, f"# Council delays vote\n\n*By Mara Quint | Harbor Ledger | 2024-03-20*\n\n{STORY}\n", "clip.md"
    )
    assert metadata(article) == ("Council delays vote", "Mara Quint", "Harbor Ledger", "2024-03-20", "byline date")
    assert article.body == STORY


@pytest.mark.parametrize(
    "text",
    [
        "By Tuesday, the council had voted to delay the lease.\n\nMore followed.",
        "By Tuesday, the council had\nvoted to delay the lease.\n\nMore followed.",
        "By March 2025 the pier will be rebuilt\n\nMore followed.",
        "By the numbers\n\nThe council voted 7-2.",
        "By Design, Not Accident\n\nThe council voted 7-2.",
        "MARLOW BEND — The council postponed its vote on Tuesday.\n\nMore followed.",
        "Updated: This story was corrected to fix the name of the council president.\n\nMore followed.",
        "Updated: This story was corrected\n\nMore followed.",
        "Published: Harbor Ledger\n\nMore followed.",
        "Updated rules take effect in 2025, the council said.\n\nMore followed.",
        "Published reports said the council would meet on March 20, 2024.\n\nMore followed.",
        "The council met on March 20, 2024.\n\nMore followed.",
        "By Mara Quint, who covers the port for the Harbor Ledger, the council was criticised.\n\nMore.",
        "Harbor Ledger — The council postponed its vote.\n\nMore followed.",
        "2024 was a hard year for the port.\n\nMore followed.",
        "By Reuters standards, the vote was late.\n\nMore followed.",
        "By Reuters\nand other agencies, the vote was reported late.\n\nMore followed.",
    ],
)
def test_a_first_paragraph_that_only_looks_like_a_byline_stays_text(tmp_path: Path, text: str) -> None:
    article = read_text(tmp_path, f"Council delays vote on Pier 9 lease\n\n{text}\n")
    assert metadata(article) == ("Council delays vote on Pier 9 lease", None, None, None, None)
    assert article.body == text
    assert "byline" not in article.extra


def test_front_matter_wins_and_a_byline_line_under_it_stays_text(tmp_path: Path) -> None:
    text = "---\ntitle: Council delays vote\noutlet: Ledger\n---\nBy Mara Quint, Harbor Ledger, 2024-03-20\n\n" + STORY
    article = read_text(tmp_path, text)
    assert metadata(article) == ("Council delays vote", None, "Ledger", None, None)
    assert article.body == f"By Mara Quint, Harbor Ledger, 2024-03-20\n\n{STORY}"


def test_a_first_line_repeating_the_front_matter_title_is_not_kept_in_the_body(tmp_path: Path) -> None:
    article = read_text(tmp_path, f"---\ntitle: Council delays vote\n---\nCouncil  delays vote\n\n{STORY}\n")
    assert (article.title, article.body) == ("Council delays vote", STORY)
    only = read_text(tmp_path, "---\ntitle: Council delays vote\n---\nCouncil delays vote\n")
    assert (only.title, only.body) == ("Council delays vote", "Council delays vote")  # the text, then


@pytest.mark.parametrize(
    "first_line, is_title",
    [
        ("Council delays vote on Pier 9 lease", True),
        ("Will the council rush the Pier 9 lease?", True),
        ("Which Team Has the Most Daunting Home Field? We Ranked Them.", True),
        ("Mayor: 'We will not rush this'", True),
        ("The council postponed its vote on Tuesday.", False),  # a one-line lead paragraph
        ('"We will not rush this," Council President Jonas Elm said.', False),
        ("The council postponed its vote on the lease,", False),
        ("MARLOW BEND —", False),
    ],
)
def test_only_a_headline_shaped_first_line_becomes_the_title(tmp_path: Path, first_line: str, is_title: bool) -> None:
    article = read_text(tmp_path, f"{first_line}\n\n{STORY}\n")
    assert article.title == (first_line if is_title else "")
    assert article.body == (STORY if is_title else f"{first_line}\n\n{STORY}")


def test_a_first_line_running_on_into_the_paragraph_or_alone_in_the_file_stays_text(tmp_path: Path) -> None:
    wrapped = read_text(tmp_path, "Council delays vote on Pier 9 lease\nafter residents packed the chamber\n")
    assert (wrapped.title, wrapped.body) == ("", "Council delays vote on Pier 9 lease\nafter residents packed the chamber")
    alone = read_text(tmp_path, "Council delays vote on Pier 9 lease\n\nBy Mara Quint, Harbor Ledger\n")
    assert metadata(alone) == ("", None, None, None, None)  # nothing else would be left to read
    assert alone.body == "Council delays vote on Pier 9 lease\n\nBy Mara Quint, Harbor Ledger"


def test_front_matter_fields_are_read_and_unknown_keys_kept_as_strings() -> None:
    (article,) = read("frontmatter.txt").articles
    assert article.title == "Dam operator denies cutting river flow"
    assert article.outlet == "Valley Observer (fictional)"  # from `source:`
    assert article.author == "Ines Moreau, Karl Dietz"
    assert article.published_at == "2024-05-02T08:30:00+02:00"
    assert article.url == "https://valleyobserver.example/2024/05/02/dam-flow"
    assert article.external_id == "vo-1182"
    assert dict(article.extra) == {"desk": "Environment", "priority": "3"}
    assert article.body.startswith("The operator of the Serra dam denied")
    assert "---" not in article.body


def test_the_date_field_is_named_as_the_source_spells_it(tmp_path: Path) -> None:
    story = tmp_path / "story.md"
    story.write_text("---\nPubDate: next tuesday\n---\nThe mayor spoke.\n", encoding="utf-8")
    records = tmp_path / "records.jsonl"
    records.write_text('{"Published-At": "soon", "body": "The mayor spoke."}\n{"body": "No date."}\n', encoding="utf-8")
    feed = tmp_path / "feed.rss"
    feed.write_text("<rss version='2.0'><channel><title>T</title><item><title>x</title><pubDate>never</pubDate>"
                    "<description>The mayor spoke.</description></item></channel></rss>", encoding="utf-8")
    (from_front_matter,) = read_path(story, 10_000).articles
    assert (from_front_matter.date_field, from_front_matter.published_at) == ("PubDate", "next tuesday")
    assert [(a.date_field, a.published_at) for a in read_path(records, 10_000).articles] == [
        ("Published-At", "soon"), (None, None)
    ]
    (from_feed,) = read_path(feed, 10_000).articles
    assert from_feed.date_field == "pubDate" and from_feed.published_at == "never"


def test_markdown_heading_becomes_the_title_and_markup_is_removed() -> None:
    (article,) = read("story.md").articles
    assert article.format == "md"
    assert article.title == "Port strike enters second week"
    text = clean_text(article.body).text
    assert text == (
        "DOVERTON — Dockworkers at the Port of Doverton stayed off the job for an eighth day on "
        "Monday, and the port authority said no talks were scheduled.\n\n"
        "What the union says\n\n"
        '"We will stay out until the safety rules are signed," union leader Bram Okafor said.\n\n'
        "The authority called the strike unlawful, a claim the union rejected."
    )


def test_a_hard_wrapped_markdown_file_keeps_headings_and_list_items_as_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "wrapped.md"
    path.write_text(
        "---\ntitle: Council delays vote on Pier 9 lease\n---\n"
        "The Marlow Bend city council postponed its vote on the Pier 9 lease on\n"
        'Tuesday after residents packed the chamber. "We will not rush this,"\n'
        "Council President Jonas Elm said.\n\n"
        "## What comes next\n"
        "The council will meet again in April. Members listed two demands for\n"
        "Kessler Terminals:\n"
        "- a public safety plan for the pier, published before any new vote is\n"
        "  taken;\n"
        "- an independent audit.\n",
        encoding="utf-8",
    )
    (article,) = read_path(path, 1_000_000).articles
    assert clean_text(article.body).text.split("\n\n") == [
        "The Marlow Bend city council postponed its vote on the Pier 9 lease on Tuesday after residents "
        'packed the chamber. "We will not rush this," Council President Jonas Elm said.',
        "What comes next",
        "The council will meet again in April. Members listed two demands for Kessler Terminals:",
        "- a public safety plan for the pier, published before any new vote is taken;",
        "- an independent audit.",
    ]


def test_markdown_heading_repeating_the_front_matter_title_is_not_kept_in_the_body() -> None:
    (article,) = read("titled.md").articles
    assert article.title == "Ferry service resumes after storm"
    assert article.body == "Ferries between Doverton and the islands resumed on Thursday, the operator said."
    assert article.outlet == "harborledger.example"  # as written; normalised at ingest
    assert article.published_at == "5 Oct 2023"


def test_broken_front_matter_is_a_problem_naming_the_line() -> None:
    result = read("bad-front-matter.md")
    assert result.articles == ()
    assert result.problems == (
        Problem(
            str(INPUTS / "bad-front-matter.md"),
            "not valid YAML (line 3: found unexpected end of stream)",
            "front matter",
        ),
    )


def test_front_matter_that_is_not_key_value_lines_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "list.md"
    path.write_text("---\n- one\n- two\n---\nBody.\n", encoding="utf-8")
    assert problems_of(read_path(path, 10_000)) == [
        ("front matter", "expected 'key: value' lines between the two '---' lines")
    ]


def test_a_file_with_only_front_matter_has_no_article_text() -> None:
    assert problems_of(read("only-front-matter.md")) == [("", "file has no article text")]


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("name", ["empty.txt", "blank.md"])
def test_empty_files_are_a_problem(name: str) -> None:
    result = read(name)
    assert result.articles == ()
    assert [str(problem) for problem in result.problems] == [f"{INPUTS / name}: file is empty"]


def test_binary_data_with_a_text_extension_is_refused() -> None:
    assert problems_of(read("binary.txt")) == [("", "file is binary, not text (it contains NUL bytes)")]


def test_binary_data_without_nul_bytes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.md"
    path.write_bytes(bytes(range(1, 32)) * 40 + b"some text")
    assert problems_of(read_path(path, 10_000)) == [
        ("", "file is binary, not text (it is full of control characters)")
    ]


def test_windows_1252_text_is_decoded_and_marked() -> None:
    result = read("cp1252.txt")
    assert result.problems == ()
    (article,) = result.articles
    assert article.title == "Café owner “wins” appeal"
    assert article.body == (
        "The owner of the Café Rivière won her appeal on Friday – the court said the fine was “excessive”."
    )
    assert article.extra == {"encoding": "cp1252"}


def test_utf16_text_with_a_byte_order_mark_is_read() -> None:
    (article,) = read("utf16.txt").articles
    assert article.body == "The tide was the highest in a century, the harbour master said."
    assert article.extra == {}


def test_a_file_over_the_size_limit_is_a_problem() -> None:
    size = (INPUTS / "plain.txt").stat().st_size
    assert problems_of(read("plain.txt", max_file_bytes=100)) == [
        ("", f"file is {size:,} bytes, over the 100-byte limit (raise NEWSDESK_MAX_FILE_BYTES to read it)")
    ]


def test_missing_files_folders_and_unsupported_types_are_problems(tmp_path: Path) -> None:
    assert problems_of(read_path(tmp_path / "gone.txt", 1000)) == [("", "no such file")]
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert problems_of(read_path(folder, 1000)) == [("", "this is a folder, not a file")]
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    assert problems_of(read_path(pdf, 1000)) == [
        ("", f"unsupported file type '.pdf' (supported: {SUPPORTED})")
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_an_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "locked.txt"
    path.write_text("Secret text.", encoding="utf-8")
    path.chmod(0)
    try:
        assert problems_of(read_path(path, 1000)) == [("", "cannot read the file (Permission denied)")]
    finally:
        path.chmod(0o600)


# ------------------------------------------------------------------------------------- HTML


def test_html_page_main_text_and_metadata_without_navigation_ads_or_scripts() -> None:
    result = read("page.html")
    assert result.problems == ()
    (article,) = result.articles
    assert article.format == "html"
    assert article.title == "Hospital denies ward closure plan"
    assert article.outlet == "The Lakeside Herald (fictional)"
    assert article.author == "Priya Raman"
    assert article.published_at == "2024-02-20T07:45:00+00:00"  # the time the page's meta tag states
    assert article.url == "https://lakesideherald.example/health/2024/02/20/hospital-ward-closure"
    cleaned = clean_text(article.body)
    paragraphs = cleaned.text.split("\n\n")
    assert len(paragraphs) == 4
    assert paragraphs[0].startswith("St. Agnes Hospital denied on Monday")
    assert paragraphs[3] == (
        "The regional health authority said it had not received any closure request, according to a spokesman."
    )
    for junk in ("Subscribe today", "Clinic waiting times", "trackPageView", "tracking pixel",
                 "Privacy", "Buy now", "renderAd", "Lakeside Herald"):
        assert junk not in cleaned.text


def _page_dated(head: str) -> str:
    return (
        f"<html><head><title>Ferry resumes</title>{head}</head><body><article><h1>Ferry resumes</h1>"
        "<p>Ferries between Doverton and the islands resumed on Thursday after the storm, the operator said.</p>"
        "<p>Passengers queued from early morning for the first crossing in four days, officials said.</p>"
        "</article></body></html>"
    )


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        # The time is kept as the page states it, whichever attribute order and quoting it uses.
        ("<meta content='2024-03-13T09:05:00+01:00' property='article:published_time'>", "2024-03-13T09:05:00+01:00"),
        ('<meta itemprop="datePublished" content="2024-03-13T09:05:00Z">', "2024-03-13T09:05:00Z"),
        ('<meta name="date" content="2024-03-13">', "2024-03-13"),  # a day alone stays a day
    ],
)
def test_an_html_page_keeps_the_publication_time_its_meta_tags_state(tmp_path: Path, head: str, expected: str) -> None:
    path = tmp_path / "page.html"
    path.write_text(_page_dated(head), encoding="utf-8")
    (article,) = read_path(path, 100_000).articles
    assert article.published_at == expected
    assert parse_date(article.published_at).startswith("2024-03-13")


def test_an_html_meta_time_of_another_day_than_the_page_date_is_not_used(tmp_path: Path) -> None:
    head = ('<meta property="article:published_time" content="2024-03-13">'
            '<meta property="og:published_time" content="2024-03-12T23:55:00+00:00">')
    path = tmp_path / "page.html"
    path.write_text(_page_dated(head), encoding="utf-8")
    (article,) = read_path(path, 100_000).articles
    assert article.published_at == "2024-03-13"


def test_html_charset_from_the_meta_tag_is_used(tmp_path: Path) -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        "<title>Caf\xe9 closes</title></head><body><article><h1>Caf\xe9 closes</h1>"
        "<p>The Caf\xe9 Rivi\xe8re closed on Friday after forty years, its owner said \u201cwith regret\u201d.</p>"
        "<p>Regulars gathered outside to say goodbye to the staff, who had served them for decades.</p>"
        "</article></body></html>"
    )
    path = tmp_path / "page.htm"
    path.write_bytes(page.encode("cp1252"))
    (article,) = read_path(path, 100_000).articles
    assert "The Café Rivière closed on Friday" in article.body
    assert "“with regret”" in article.body
    assert article.extra == {"encoding": "cp1252"}


def test_an_html_page_without_text_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "blank.html"
    path.write_text("<html><head><script>var a = 1;</script></head><body></body></html>", encoding="utf-8")
    assert problems_of(read_path(path, 100_000)) == [("", "no article text found in the page")]


# ------------------------------------------------------------------------------ JSON and JSONL


def test_json_list_keeps_good_records_and_names_the_bad_ones() -> None:
    result = read("articles.json")
    assert problems_of(result) == [
        ("record 2", "no body (expected a 'body', 'text' or 'content' field)"),
        ("record 3", "not a JSON object (found a string)"),
    ]
    first, second = result.articles
    assert (first.where, first.format, first.title) == ("record 1", "json", "Water board raises rates")
    assert first.body == (
        "The Doverton water board raised rates by 4 percent on Wednesday.\n\n"
        "Board chair Ruth Ames said the increase would pay for pipe repairs."
    )
    assert (first.outlet, first.author, first.published_at) == (
        "Harbor Ledger (fictional)", "Mira Castellanos", "2024-01-10"
    )
    assert (first.url, first.external_id) == ("https://harborledger.example/2024/01/10/water-rates", "hl-100")
    assert first.extra == {"category": "local", "wordcount": "24", "tags": "water, rates"}
    # Other spellings: headline/text/publisher{name}/publishedAt.
    assert (second.where, second.title, second.outlet, second.published_at) == (
        "record 4", "Bridge reopens", "Ostra Valley Courier (fictional)", "Fri, 12 Jan 2024 10:00:00 GMT"
    )


def test_single_json_object_with_a_list_of_paragraphs() -> None:
    (article,) = read("single.json").articles
    assert article.where == ""
    assert article.body == (
        "The central library will open until 9 p.m. on weekdays.\n\n"
        "Head librarian Oskar Lind said demand had grown since the autumn."
    )


def test_json_problems(tmp_path: Path) -> None:
    cases = {
        "broken.json": ('{"title": "x", "body": }', "not valid JSON at line 1, column 24 (Expecting value)"),
        "number.json": ("42", "expected a JSON object or a list of objects, found a number"),
        "emptylist.json": ("[]", "the JSON list is empty"),
        "nobody.json": ('{"title": "Only a title"}', "no body (expected a 'body', 'text' or 'content' field)"),
        "badbody.json": ('{"title": "x", "body": 12}', "field 'body' is not text (found a number)"),
    }
    for name, (content, reason) in cases.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        assert problems_of(read_path(path, 10_000)) == [("", reason)], name


def test_json_api_response_with_an_articles_list(tmp_path: Path) -> None:
    path = tmp_path / "api.json"
    path.write_text(
        '{"status": "ok", "articles": [{"title": "A", "content": "Text A."}, {"title": "B", "content": "Text B."}]}',
        encoding="utf-8",
    )
    result = read_path(path, 10_000)
    assert [(a.where, a.title, a.body) for a in result.articles] == [
        ("record 1", "A", "Text A."), ("record 2", "B", "Text B.")
    ]


def test_jsonl_reports_bad_lines_by_number_and_keeps_the_good_ones() -> None:
    result = read("articles.jsonl")
    assert problems_of(result) == [
        ("line 2", "not valid JSON at column 48 (Unterminated string starting at)"),
        ("line 5", "no body (expected a 'body', 'text' or 'content' field)"),
        ("line 6", "not a JSON object (found a list)"),
    ]
    assert [(a.where, a.external_id, a.format) for a in result.articles] == [
        ("line 1", "a1", "jsonl"), ("line 3", "a3", "jsonl"), ("line 7", "a5", "jsonl")
    ]
    assert result.articles[1].body == "Workers finished repairing the roof of Eastfield School on Saturday."
    assert result.articles[2].url == "https://coastaltimes.example/museum"


def test_jsonl_does_not_split_records_at_unicode_line_separators(tmp_path: Path) -> None:
    path = tmp_path / "sep.jsonl"
    path.write_text('{"body": "First part\u2028second part."}\n', encoding="utf-8")
    (article,) = read_path(path, 10_000).articles
    assert article.body == "First part\u2028second part."


# ---------------------------------------------------------------------------------------- CSV


def test_csv_reports_bad_rows_by_spreadsheet_row_number() -> None:
    result = read("articles.csv")
    assert problems_of(result) == [
        ("row 4", "has 8 fields but the header row has 7"),
        ("row 5", "no body (expected a 'body', 'text' or 'content' field)"),
        ("row 6", "has 2 fields but the header row has 7"),
    ]
    assert [(a.where, a.title) for a in result.articles] == [
        ("row 2", "Harbor fees rise"), ("row 3", "Two-paragraph story"), ("row 7", "Ferry timetable changes")
    ]
    first, second, third = result.articles
    assert first.format == "csv"
    assert (first.outlet, first.author, first.published_at, first.url) == (
        "Harbor Ledger (fictional)", "Mira Castellanos", "2024-03-01", "https://harborledger.example/fees"
    )
    assert first.extra == {"section": "Business"}
    assert second.body == (
        'The council approved the budget on Monday.\n\nMayor Elena Varga said it was "the most careful budget in a decade."'
    )
    assert second.author is None  # an empty cell is no value
    assert third.url is None


def test_csv_without_a_body_column_is_a_problem() -> None:
    assert problems_of(read("no-body-column.csv")) == [
        ("", "no 'body', 'text' or 'content' column in the header row (columns: title, summary, source)")
    ]


def test_csv_with_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("Title;Text;Outlet\nDock reopens;The dock reopened, the port said.;Harbor Ledger\n", encoding="utf-8")
    (article,) = read_path(path, 10_000).articles
    assert (article.title, article.body, article.outlet) == (
        "Dock reopens", "The dock reopened, the port said.", "Harbor Ledger"
    )


# --------------------------------------------------------------------------------------- feeds


def test_rss_feed_uses_full_content_then_summary_and_the_feed_title_as_outlet() -> None:
    result = read("feed.rss")
    assert problems_of(result) == [("entry 3", "no content or summary")]
    full, summary_only = result.articles
    assert (full.where, full.format, full.outlet) == ("entry 1", "feed", "Coastal Times (fictional)")
    assert full.title == "Lighthouse keeper retires after 40 years"
    assert full.author == "Jonas Berg"
    assert full.published_at == "Mon, 01 Apr 2024 09:00:00 +0000"
    assert full.url == "https://coastaltimes.example/2024/04/01/lighthouse-keeper"
    assert full.extra == {"tags": "People"}
    assert "teaser" not in full.body
    assert "alert" not in full.body
    assert clean_text(full.body).text == (
        "Harald Nyberg, the last keeper of the Skerry Point lighthouse, retired on Sunday after 40 years.\n\n"
        "“The light never went out on my watch,” he said."
    )
    assert summary_only.title == "Harbour dredging & what it means"
    assert summary_only.body == (
        "Dredging of the inner harbour will start in May, the port said.\n\n"
        "Fishing crews warned it could disrupt the spring catch."
    )


def test_atom_feed_with_html_and_xhtml_content() -> None:
    result = read("feed.atom")
    assert result.problems == ()
    first, second = result.articles
    assert first.title == "Council rejects parking plan"
    assert first.outlet == "Northbank Daily (fictional)"
    assert first.author == "Anneke Vos"
    assert parse_date(first.published_at) == "2024-04-05T18:30:02+00:00"
    assert first.body == (
        "The Northbank council rejected the downtown parking plan by 6 votes to 5 on Friday.\n\n"
        'Councillor Dev Patel said the plan "would empty the high street."'
    )
    assert second.body.startswith("The Northbank library won the regional design award on Thursday.\n\n")
    assert parse_date(second.published_at) == "2024-04-04T10:00:00+00:00"  # `updated` when no `published`


def test_xml_that_is_not_a_feed_is_a_problem(tmp_path: Path) -> None:
    assert problems_of(read("not-a-feed.xml")) == [("", "not an RSS or Atom feed")]
    broken = tmp_path / "broken.rss"
    broken.write_text("<rss><channel><title>Half a feed</ti", encoding="utf-8")
    (problem,) = read_path(broken, 10_000).problems
    assert problem.reason.startswith("not a valid RSS or Atom feed (")


# ------------------------------------------------------------------------------- file listing


def test_iter_input_files_walks_folders_sorted_and_silently_skips_hidden_system_and_readme_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ("b/z.md", "b/a.json", "c.txt", "a.html", ".hidden.txt", ".git/x.txt", ".DS_Store", "README.md",
                 "Thumbs.db", "b/desktop.ini"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    files, problems = iter_input_files([tmp_path])
    assert problems == []
    assert [path.relative_to(tmp_path).as_posix() for path in files] == ["a.html", "b/a.json", "b/z.md", "c.txt"]


def test_a_folder_lists_each_file_of_an_unsupported_type_as_skipped(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("story.md", "sub/memo.docx", "dump.bin", "notes"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    files, problems = iter_input_files([tmp_path])
    assert files == [tmp_path / "story.md"]
    assert problems == [
        Problem(str(tmp_path / "dump.bin"), f"unsupported file type '.bin' (supported: {SUPPORTED})"),
        Problem(str(tmp_path / "notes"), f"unsupported file type (the name has no extension; supported: {SUPPORTED})"),
        Problem(str(tmp_path / "sub" / "memo.docx"), f"unsupported file type '.docx' (supported: {SUPPORTED})"),
    ]


def test_a_folder_of_only_unsupported_files_says_so_and_lists_them(tmp_path: Path) -> None:
    (tmp_path / "memo.docx").write_text("x", encoding="utf-8")
    files, problems = iter_input_files([tmp_path])
    assert files == []
    assert problems == [
        Problem(str(tmp_path), f"the folder has no files to read (supported: {SUPPORTED})"),
        Problem(str(tmp_path / "memo.docx"), f"unsupported file type '.docx' (supported: {SUPPORTED})"),
    ]


def test_iter_input_files_problems_for_explicit_paths(tmp_path: Path) -> None:
    pdf = tmp_path / "notes.pdf"
    pdf.write_bytes(b"%PDF")
    hidden = tmp_path / ".draft.md"
    hidden.write_text("x", encoding="utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    files, problems = iter_input_files([pdf, str(tmp_path / "nope"), hidden, empty, hidden])
    assert files == [hidden]  # named explicitly: read even though hidden; listed once
    assert problems == [
        Problem(str(pdf), f"unsupported file type '.pdf' (supported: {SUPPORTED})"),
        Problem(str(tmp_path / "nope"), "no such file or folder"),
        Problem(str(empty), f"the folder has no files to read (supported: {SUPPORTED})"),
    ]


def test_every_fixture_is_listed_and_read_without_raising() -> None:
    files, problems = iter_input_files([INPUTS])
    assert problems == []
    assert len(files) == len([p for p in INPUTS.iterdir() if not p.name.startswith(".")])
    for path in files:
        result = read_path(path, 1_000_000)
        assert result.articles or result.problems, path.name


# --------------------------------------------------------------------------------- the samples


def test_the_sample_folder_reads_without_problems() -> None:
    files, problems = iter_input_files([SAMPLE])
    assert problems == []
    assert "README.md" not in [path.name for path in files]
    results = [read_path(path, 1_000_000) for path in files]
    assert [problem for result in results for problem in result.problems] == []
    articles = [article for result in results for article in result.articles]
    assert len(articles) == 8
    assert {article.format for article in articles} == {"md", "html", "json", "feed"}
    fictional = [article for article in articles if article.outlet != "Fox News"]
    assert len(fictional) == 7
    for article in fictional:
        assert article.outlet and article.outlet.endswith("(fictional)"), article.source
        assert article.title and article.url and ".example/" in article.url, article.source
        assert parse_date(article.published_at), article.source
        assert 150 <= len(clean_text(article.body).text.split()) <= 350, article.source
    assert len({article.outlet for article in fictional}) == 6


def test_sample_fox_article_is_the_seed_verbatim() -> None:
    (article,) = read_path(SAMPLE / "foxnews-wagner.md", 1_000_000).articles
    assert article.title == "Russia denies attacking Wagner Group as Prigozhin vows revenge"
    assert (article.outlet, article.published_at, article.url) == ("Fox News", None, None)
    if SEED.exists():
        assert article.body == SEED.read_text(encoding="utf-8").strip()


def test_sample_wire_copy_differs_from_the_original_only_in_its_dateline() -> None:
    (original,) = read_path(SAMPLE / "2024-03-13-riverlinewire-six-hour-silence.md", 1_000_000).articles
    copy = read_path(SAMPLE / "2024-03-14-northbankdaily-feed.xml", 1_000_000).articles[1]
    assert copy.outlet == "Northbank Daily (fictional)"
    assert copy.extra["original_source"] == "Riverline Wire (fictional)"
    original_paragraphs = clean_text(original.body).text.split("\n\n")
    copy_paragraphs = clean_text(copy.body).text.split("\n\n")
    assert original_paragraphs[1:] == copy_paragraphs[1:]
    assert original_paragraphs[0].replace("MARLOW BEND (", "MARLOW BEND, March 13 (") == copy_paragraphs[0]


# ----------------------------------------------------------------------------------------- URLs

PAGE = (INPUTS / "page.html").read_bytes()
FEED = (INPUTS / "feed.rss").read_bytes()


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, str, bytes]] = {
        "/story": (200, "text/html; charset=utf-8", PAGE),
        "/latin": (
            200,
            "text/html; charset=windows-1252",
            (
                "<html><head><title>Caf\xe9</title></head><body><article><h1>Caf\xe9 closes</h1>"
                "<p>The Caf\xe9 Rivi\xe8re closed on Friday after forty years of service to the town, its owner said.</p>"
                "<p>Regulars gathered outside to say goodbye to the staff, who had served them for decades.</p>"
                "</article></body></html>"
            ).encode("cp1252"),
        ),
        "/feed": (200, "application/rss+xml", FEED),
        "/notes.txt": (200, "text/plain; charset=utf-8", b"First paragraph.\n\nSecond paragraph."),
        "/report.pdf": (200, "application/pdf", b"%PDF-1.7 binary"),
        "/big": (200, "text/html", b"<p>" + b"x" * 5000 + b"</p>"),
        "/empty": (200, "text/html", b""),
        "/slow": (200, "text/html", PAGE),
    }

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/story")
            self.end_headers()
            return
        if self.path == "/slow":
            time.sleep(1.5)  # longer than the client waits
        try:
            if self.path not in self.routes:
                self.send_error(404, "Not Found")
                return
            status, content_type, body = self.routes[self.path]
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)

    def log_message(self, *args: object) -> None:
        pass  # keep test output quiet


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_read_url_extracts_the_article_and_keeps_the_final_url(server: str) -> None:
    result = read_url(f"{server}/moved", timeout_s=5, max_bytes=100_000)
    assert result.problems == ()
    (article,) = result.articles
    assert article.format == "url"
    assert article.source == f"{server}/moved"
    assert article.url == f"{server}/story"  # after the redirect
    assert article.title == "Hospital denies ward closure plan"
    assert article.outlet == "The Lakeside Herald (fictional)"
    assert article.body.startswith("St. Agnes Hospital denied on Monday")
    assert "Clinic waiting times" not in article.body


def test_read_url_uses_the_charset_from_the_headers(server: str) -> None:
    (article,) = read_url(f"{server}/latin", timeout_s=5, max_bytes=100_000).articles
    assert "The Café Rivière closed on Friday" in article.body


def test_read_url_reads_feeds_and_plain_text(server: str) -> None:
    feed = read_url(f"{server}/feed", timeout_s=5, max_bytes=100_000)
    assert [a.format for a in feed.articles] == ["feed", "feed"]
    assert feed.articles[0].outlet == "Coastal Times (fictional)"
    (text,) = read_url(f"{server}/notes.txt", timeout_s=5, max_bytes=100_000).articles
    assert text.body == "First paragraph.\n\nSecond paragraph."


def test_read_url_problems(server: str) -> None:
    def reason(url: str, timeout_s: float = 5, max_bytes: int = 100_000) -> str:
        result = read_url(url, timeout_s=timeout_s, max_bytes=max_bytes)
        assert result.articles == ()
        (problem,) = result.problems
        assert problem.source == url
        return problem.reason

    assert reason(f"{server}/missing") == "the server answered HTTP 404 (Not Found)"
    assert reason(f"{server}/report.pdf") == (
        "unsupported content type 'application/pdf' (expected a web page or a feed)"
    )
    assert reason(f"{server}/big", max_bytes=1000) == "the page is 5,007 bytes, over the 1,000-byte limit"
    assert reason(f"{server}/empty") == "file is empty"
    assert reason(f"{server}/slow", timeout_s=0.3) == "no answer within 0.3 seconds"
    assert reason("ftp://127.0.0.1/file.txt") == "only http and https URLs can be fetched"
    assert reason("file:///etc/passwd") == "only http and https URLs can be fetched"


def test_read_url_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/story"
    (problem,) = read_url(url, timeout_s=2, max_bytes=1000).problems
    assert problem.reason == "could not connect (Connection refused)"


def test_a_file_the_system_refuses_to_open_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.txt"
    path.write_text("Secret text.", encoding="utf-8")

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)
    assert problems_of(read_path(path, 1000)) == [("", "cannot read the file (Permission denied)")]
