"""Dates, outlet names and URLs as the ingest stores them (and filters and ids depend on)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from assistant.normalize import (
    canonical_url,
    is_readable_date,
    normalize_outlet,
    outlet_from_url,
    parse_date,
    readable_date,
)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2023-10-05", "2023-10-05"),
        ("2023-10-05T14:00:29+00:00", "2023-10-05T14:00:29+00:00"),
        ("2023-10-05T14:00:29Z", "2023-10-05T14:00:29+00:00"),
        ("2023-10-05T14:00:29", "2023-10-05T14:00:29"),  # no zone given: none invented
        ("2024-03-12T08:15:00.123+01:00", "2024-03-12T08:15:00+01:00"),
        ("Thu, 05 Oct 2023 14:00:29 GMT", "2023-10-05T14:00:29+00:00"),  # RFC 2822 (RSS)
        ("Thu, 05 Oct 2023 14:00:29 +0200", "2023-10-05T14:00:29+02:00"),
        ("Mon, 11 Mar 2024 09:30:00 EST", "2024-03-11T09:30:00-05:00"),
        ("October 5, 2023", "2023-10-05"),
        ("5 Oct 2023", "2023-10-05"),
        ("  5   October 2023 ", "2023-10-05"),
        ("2023-10-05 00:00", "2023-10-05T00:00:00"),  # a stated midnight is still a time
        ("5 Oct 2023 5pm", "2023-10-05T17:00:00"),
    ],
)
def test_parse_date_gives_iso_8601(written: str, expected: str) -> None:
    assert parse_date(written) == expected


@pytest.mark.parametrize(
    "garbage",
    [None, "", "   ", "garbage", "yesterday", "12", "2023", "October 2023", "32 Oct 2023", "2023-13-45"],
)
def test_parse_date_returns_none_for_text_that_is_not_a_full_date(garbage: str | None) -> None:
    assert parse_date(garbage) is None


def test_parse_date_accepts_date_objects_from_yaml_front_matter() -> None:
    assert parse_date(date(2024, 3, 12)) == "2024-03-12"  # type: ignore[arg-type]
    moment = datetime(2024, 3, 12, 8, 30, tzinfo=timezone.utc)
    assert parse_date(moment) == "2024-03-12T08:30:00+00:00"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("2024-03-12", "2024-03-12"),  # md front matter `date:`, html page date
        ("2024-03-13T11:00:00+01:00", "2024-03-13 11:00 UTC+01:00"),  # md, json, rss
        ("2024-03-13T23:30:00-05:30", "2024-03-13 23:30 UTC-05:30"),  # the day where it was published
        ("2023-09-28T12:00:00+00:00", "2023-09-28 12:00 UTC"),
        ("2024-03-13T11:00:05", "2024-03-13 11:00:05"),  # no zone given: none invented
        ("5 Oct 2023", "5 Oct 2023"),  # not ISO 8601: as stored
        (None, None),
    ],
)
def test_stored_dates_are_shown_one_way_whatever_the_source_format(stored, shown) -> None:
    assert readable_date(stored) == shown


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("Thu, 14 Mar 2024 17:30:00 +0100", "2024-03-14 17:30 UTC+01:00"),  # an RSS pubDate
        ("2024-03-13T09:05:00Z", "2024-03-13 09:05 UTC"),
        ("March 13, 2024 9:05 am", "2024-03-13 09:05"),
        ("13 March 2024", "2024-03-13"),
    ],
)
def test_a_date_as_the_ingest_stores_it_is_shown_the_same_way(written: str, shown: str) -> None:
    assert readable_date(parse_date(written)) == shown


@pytest.mark.parametrize(
    ("url", "outlet"),
    [
        ("https://www.theverge.com/2023/9/28/ftx", "The Verge"),
        ("https://www.foxnews.com/world/russia-wagner", "Fox News"),
        ("http://edition.cnn.com/2023/10/01/x.html", "CNN"),
        ("https://www.bbc.co.uk/news/world-123", "BBC News"),
        ("https://www.kyivpost.com/post/1234", "Kyiv Post"),
        ("https://www.essentiallysports.com/nfl-news/x", "essentiallysports.com"),
        ("https://harborledger.example/news/a", "harborledger.example"),
        ("https://en.globes.co.il/en/article-1", "globes.co.il"),
        ("ftp://files.example.com/a.txt", None),
        ("not a url", None),
        (None, None),
    ],
)
def test_outlet_from_url_names_known_outlets_and_shows_other_sites_as_their_domain(
    url: str | None, outlet: str | None
) -> None:
    assert outlet_from_url(url) == outlet


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("foxnews.com", "Fox News"),
        ("FOX News", "Fox News"),
        ("  Fox \n  News ", "Fox News"),
        ("Fox News Digital", "Fox News"),
        ("FOX News - Lifestyle", "Fox News"),  # a section of a known outlet
        ("Cnbc | World Business News Leader", "CNBC"),
        ("The Independent - Sports", "The Independent"),
        ("the associated press", "Associated Press"),
        ("The Roar | Sports Writers Blog", "The Roar | Sports Writers Blog"),  # unknown: kept
        ("Harbor Ledger  (fictional)", "Harbor Ledger (fictional)"),
        ("https://www.reuters.com/world/", "Reuters"),  # a link where a name was expected
    ],
)
def test_normalize_outlet_maps_aliases_and_tidies_whitespace(name: str, expected: str) -> None:
    assert normalize_outlet(name, None) == expected


def test_normalize_outlet_falls_back_to_the_site_of_the_url() -> None:
    assert normalize_outlet(None, "https://www.theguardian.com/world/x") == "The Guardian"
    assert normalize_outlet("   ", "https://www.kyivpost.com/post/1") == "Kyiv Post"
    assert normalize_outlet("", "https://harborledger.example/a") == "harborledger.example"
    assert normalize_outlet(None, None) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://WWW.Example.COM:443/a/b/?utm_source=x&id=5&fbclid=abc#comments",
            "https://www.example.com/a/b?id=5",
        ),
        ("http://example.com:80/story/", "http://example.com/story"),
        ("http://example.com:8080/", "http://example.com:8080"),
        ("https://example.com", "https://example.com"),
        ("https://example.com/a?gclid=1&utm_medium=feed&UTM_Campaign=z", "https://example.com/a"),
        ("https://example.com/a?q=a%2Fb+c&page=2", "https://example.com/a?q=a%2Fb+c&page=2"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("  https://example.com/Case/Kept  ", "https://example.com/Case/Kept"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [None, "", "mailto:desk@example.com", "javascript:alert(1)", "file:///etc/passwd",
     "ftp://example.com/a", "https://", "example.com/story", "http://example.com:port/"],
)
def test_canonical_url_refuses_anything_but_http_urls(url: str | None) -> None:
    assert canonical_url(url) is None


def test_canonical_url_is_idempotent() -> None:
    once = canonical_url("https://News.Example.com/a/?utm_source=x&b=2#top")
    assert once == "https://news.example.com/a?b=2"
    assert canonical_url(once) == once


@pytest.mark.parametrize("value", [
    "2024-03-14", "2024-03-14T18:00:00+01:00", "2023-09-28T12:00:00+00:00", "2024-03-14 18:00", "2024-03-14T18:00:00Z",
    "2024-03-14T18:00:00.123+0100", "Thu, 14 Mar 2024 18:00:00 +0100", "next tuesday", "2024-02-30", "0999-01-01",
    "2250-01-01", "March 2024", "", "  2024-03-14  ",
])
def test_is_readable_date_agrees_with_parse_date(value):
    assert is_readable_date(value) == (parse_date(value) is not None)
