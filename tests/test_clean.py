"""What cleaning does to article text: the stored text every citation points into."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from assistant.clean import clean_text
from assistant.read import read_path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
SEED = ROOT.parent / "shared" / "data" / "seed" / "wagner.txt"

SEED_BOILERPLATE = (
    "US, EUROPEAN ALLIES DEMAND ACTION TO END RUSSIA’S USE OF IRANIAN DRONES IN UKRAINE",
    "RUSSIA IS TARGETING THE US HOMELAND WITH ITS STRATEGY OF CYBER ARMAGEDDON",
    "CLICK HERE TO GET THE FOX NEWS APP",
    "This is a developing story. Check back for further updates.",
    "Fox News Digital’s Caitlin McFall contributed to this report.",
)


def _assert_only_seed_boilerplate_removed(original: str) -> None:
    cleaned = clean_text(original)
    assert cleaned.removed == SEED_BOILERPLATE
    kept = [line for line in original.strip().split("\n") if line not in SEED_BOILERPLATE]
    assert len(kept) == 10
    assert cleaned.text.split("\n\n") == kept  # every other line verbatim, one per paragraph


@pytest.mark.skipif(not SEED.exists(), reason="../shared/data/seed is not available")
def test_seed_article_loses_exactly_its_boilerplate() -> None:
    _assert_only_seed_boilerplate_removed(SEED.read_text(encoding="utf-8"))


def test_bundled_fox_sample_loses_exactly_its_boilerplate() -> None:
    article = read_path(SAMPLE / "foxnews-wagner.md", 1_000_000).articles[0]
    _assert_only_seed_boilerplate_removed(article.body)


def test_seed_cleaning_keeps_quotes_and_dashes_as_written() -> None:
    article = read_path(SAMPLE / "foxnews-wagner.md", 1_000_000).articles[0]
    text = clean_text(article.body).text
    assert "“Huge chunks [of land] have been handed over to the enemy,” he added" in text
    assert "Zaporizhzhia region – a claim" in text
    assert "‘strike by the RF Ministry of Defense on the rear camps of PMC Wagner’" in text


def test_sentinel_sample_loses_its_promo_newsletter_headline_and_credit_lines() -> None:
    article = read_path(SAMPLE / "2024-03-15-dailysentinel-kessler-admits.md", 1_000_000).articles[0]
    cleaned = clean_text(article.body)
    assert cleaned.removed == (
        "CLICK HERE TO GET THE SENTINEL APP",
        "STATE LAWMAKERS PUSH NEW RULES FOR RIVERSIDE CHEMICAL TANKS",
        "Sign up for our newsletter to get the Sentinel’s top stories every morning.",
        "Sentinel reporter Jonah Petrakis contributed to this report.",
    )
    assert len(cleaned.text.split("\n\n")) == 6
    assert cleaned.text.endswith("had been visible for months, a claim the company denied.")


# ------------------------------------------------------------------------------- characters


def test_unicode_is_nfc_and_invisible_characters_are_removed() -> None:
    body = "Cafe\u0301 owner\u200b said\u00ad it was \u201cfine\u201d.\u0007\ufeff"
    assert clean_text(body).text == "Café owner said it was “fine”."


def test_unusual_spaces_and_tabs_become_one_space() -> None:
    body = "  The\tminister\u00a0said   it was\u2009over.  "
    assert clean_text(body).text == "The minister said it was over."


def test_zero_width_joiners_that_spell_words_are_kept() -> None:
    persian = "می\u200cخواهم"  # ZWNJ is part of the spelling
    assert clean_text(persian).text == persian


def test_curly_and_straight_quotes_are_kept_as_written() -> None:
    body = "He said “no” and ‘maybe’ and \"yes\" and it's done."
    assert clean_text(body).text == body


# ------------------------------------------------------------------------------- paragraphs


def test_paragraphs_are_one_line_each_separated_by_one_blank_line() -> None:
    body = "First paragraph.\r\n\r\n\r\n\r\nSecond paragraph.\rThird line.\u2029Fourth."
    assert clean_text(body).text == "First paragraph.\n\nSecond paragraph.\n\nThird line.\n\nFourth."


def test_hard_wrapped_lines_are_joined_only_mid_sentence() -> None:
    body = (
        "The council voted on Tuesday to add three routes to the eastern\n"
        "districts, a change the director said would cut commutes,\n"
        "Officials said. A well-\n"
        "known critic disagreed.\n"
        "A new paragraph starts here."
    )
    assert clean_text(body).text == (
        "The council voted on Tuesday to add three routes to the eastern districts, a change the "
        "director said would cut commutes, Officials said. A well-known critic disagreed.\n\n"
        "A new paragraph starts here."
    )


WRAPPED_CLIPPING = """Council delays vote on Pier 9 lease

By Mara Quint, Harbor Ledger, 2024-03-20

The Marlow Bend city council postponed its vote on the Pier 9 lease on
Tuesday after residents packed the chamber. "We will not rush this,"
Council President Jonas Elm said. "The harbor belongs to the city, not
to one company."

Kessler Terminals, which had sought the lease, said it would wait for the
council's decision. Spokesman Adrian Falk said the company remained
committed to Marlow Bend.
"""


def test_a_hard_wrapped_clipping_has_its_lines_joined_into_paragraphs() -> None:
    # The break before "Tuesday" and before "Council President" used to start new paragraphs.
    assert clean_text(WRAPPED_CLIPPING).text.split("\n\n") == [
        "Council delays vote on Pier 9 lease",
        "By Mara Quint, Harbor Ledger, 2024-03-20",
        "The Marlow Bend city council postponed its vote on the Pier 9 lease on Tuesday after residents "
        'packed the chamber. "We will not rush this," Council President Jonas Elm said. "The harbor '
        'belongs to the city, not to one company."',
        "Kessler Terminals, which had sought the lease, said it would wait for the council's decision. "
        "Spokesman Adrian Falk said the company remained committed to Marlow Bend.",
    ]


def test_in_hard_wrapped_text_short_lines_and_list_items_still_end_paragraphs() -> None:
    body = (
        "Council delays vote on Pier 9 lease\n"  # a title straight above the text
        "The Marlow Bend city council postponed its vote on the Pier 9 lease on\n"
        "Tuesday after residents packed the chamber.\n"  # short: the paragraph ends
        "Residents listed their demands for Kessler Terminals in a letter:\n"
        "- a public safety plan for the pier, published before any new vote is\n"
        "  taken;\n"
        "- an independent audit.\n"
        "The council will meet again in April, when members expect a full\n"
        "answer from the company.\n"
    )
    assert clean_text(body).text.split("\n\n") == [
        "Council delays vote on Pier 9 lease",
        "The Marlow Bend city council postponed its vote on the Pier 9 lease on Tuesday after residents "
        "packed the chamber.",
        "Residents listed their demands for Kessler Terminals in a letter:",
        "- a public safety plan for the pier, published before any new vote is taken;",
        "- an independent audit.",
        "The council will meet again in April, when members expect a full answer from the company.",
    ]


def test_short_paragraphs_one_per_line_are_not_taken_for_wrapped_lines() -> None:
    body = (
        "The council postponed its vote on the Pier 9 lease on Tuesday evening.\n"
        "Residents packed the chamber for more than three hours of comment.\n"
        "Council President Jonas Elm said the council would not rush the lease.\n"
        "Kessler Terminals said it would wait for the council's decision."
    )
    assert clean_text(body).text == body.replace("\n", "\n\n")


@pytest.mark.parametrize("width", [60, 72, 80])
def test_every_sample_article_hard_wrapped_cleans_to_the_same_text(width: int) -> None:
    for path in sorted(SAMPLE.iterdir()):
        if path.name == "README.md":
            continue
        for article in read_path(path, 1_000_000).articles:
            stored = clean_text(article.body).text
            wrapped = "\n\n".join(textwrap.fill(paragraph, width) for paragraph in stored.split("\n\n"))
            assert wrapped != stored, path.name
            assert clean_text(wrapped).text == stored, (path.name, width)


def test_a_dateline_on_its_own_line_is_joined_to_its_paragraph() -> None:
    body = "WASHINGTON —\nThe president said on Monday that talks would resume."
    cleaned = clean_text(body)
    assert cleaned.text == "WASHINGTON — The president said on Monday that talks would resume."
    assert cleaned.removed == ()


def test_empty_and_whitespace_bodies_give_empty_text() -> None:
    assert clean_text("").text == ""
    assert clean_text(" \n\t\n ").removed == ()


def test_cleaning_is_idempotent_on_the_samples() -> None:
    for path in sorted(SAMPLE.iterdir()):
        if path.name == "README.md":
            continue
        for article in read_path(path, 1_000_000).articles:
            once = clean_text(article.body)
            twice = clean_text(once.text)
            assert twice.text == once.text, path.name
            assert twice.removed == (), path.name


# ------------------------------------------------------------------------------ boilerplate

REMOVED_LINES = [
    "CLICK HERE TO GET THE FOX NEWS APP",
    "Click here to sign up for breaking news alerts",
    "For the full statement, click here.",
    "Download the BBC News app",
    "Sign up for our newsletter",
    "Sign up to receive our morning briefing.",
    "Subscribe to The Daily Sentinel for $1 a week",
    "Get our free Politics newsletter",
    "Share this article",
    "Share on Facebook",
    "Follow us on Twitter",
    "Follow Northbank Daily on Twitter @NorthbankDaily",
    "Advertisement",
    "ADVERTISEMENT",
    "Story continues below advertisement",
    "Read more: Kremlin says Putin is aware of the Wagner situation",
    "READ MORE: Ukraine claims gains near Zaporizhzhia",
    "RELATED: Prigozhin vows revenge",
    "This is a developing story. Check back for updates.",
    "This is a breaking news story and will be updated.",
    "This story is developing and will be updated.",
    "Fox News Digital’s Caitlin McFall contributed to this report.",
    "The Associated Press contributed to this report.",
    "Associated Press writer Jane Doe contributed to this report from Kyiv.",
    "Reuters contributed reporting.",
    "Reporting by Guy Faulconbridge; Editing by Andrew Osborn",
    "Writing by Mark Trevelyan; editing by Alex Richardson",
    "Additional reporting by Olena Harmash in Kyiv",
    "(Photo by Contributor/Getty Images)",
    "Photo: Reuters/Yulia Morozova",
    "(AP Photo/Efrem Lukatsky)",
    "Wagner chief Yevgeny Prigozhin in Bakhmut. (Photo by Concord Press Service/Getty Images)",
    "© 2024 The Associated Press. All rights reserved.",
    "Copyright 2023 Reuters",
    "US, EUROPEAN ALLIES DEMAND ACTION TO END RUSSIA’S USE OF IRANIAN DRONES IN UKRAINE",
]


@pytest.mark.parametrize("line", REMOVED_LINES)
def test_boilerplate_lines_between_paragraphs_are_removed_and_recorded(line: str) -> None:
    body = f"The ministry denied the report on Monday.\n{line}\nPrigozhin said he would respond."
    cleaned = clean_text(body)
    assert cleaned.removed == (line,)
    assert cleaned.text == "The ministry denied the report on Monday.\n\nPrigozhin said he would respond."


KEPT_LINES = [
    "KYIV, Ukraine (AP) — Russian forces shelled the city overnight, officials said.",
    "KYIV, Ukraine (AP) —",
    "NATO",
    "U.S. AND EU",
    "“WE WILL NOT LEAVE BAKHMUT UNTIL THE JOB IS DONE,” PRIGOZHIN SAID IN THE VIDEO",
    "THE MINISTRY SAID THE VIDEO WAS FAKE AND WOULD NOT COMMENT FURTHER.",
    "Advertisement revenue fell 10 percent in the quarter, the company said.",
    "Subscribers to the service were told the app would close, the company said.",
    "The ministry said it would subscribe to the plan once it was published.",
    "Read more than 200 pages of the report, the judge told lawyers.",
    "Reporting by the BBC revealed that the camp had been hit twice.",
    "The panel said he contributed to this report's findings.",
    "Photo finish decided the race, officials said.",
    "He said the company would share its data with the agency.",
    "Follow-up talks on the ceasefire are expected next week.",
    "This is a developing situation for the residents, the mayor said, and they need answers.",
    "Click-through rates fell, the report found.",
    "In 2019, copyright lawyers for the company filed the first suit.",
]


@pytest.mark.parametrize("line", KEPT_LINES)
def test_reporting_lines_that_resemble_boilerplate_are_kept(line: str) -> None:
    body = f"The ministry denied the report on Monday.\n{line}\nPrigozhin said he would respond."
    cleaned = clean_text(body)
    assert cleaned.removed == ()
    assert line in cleaned.text


def test_an_all_caps_first_line_is_the_headline_and_is_kept() -> None:
    body = "RUSSIA DENIES ATTACKING WAGNER GROUP AS PRIGOZHIN VOWS REVENGE\nThe ministry denied it."
    assert clean_text(body).removed == ()


def test_an_all_caps_line_inside_an_unfinished_paragraph_is_kept() -> None:
    body = "The sign at the gate read\nNO ENTRY WITHOUT A VALID PERMIT FROM THE PORT AUTHORITY\nand guards enforced it."
    assert clean_text(body).removed == ()


def test_a_promo_inside_a_wrapped_paragraph_is_removed_and_the_paragraph_rejoined() -> None:
    body = "The ministry said it\nAdvertisement\nwould respond on Tuesday."
    cleaned = clean_text(body)
    assert cleaned.removed == ("Advertisement",)
    assert cleaned.text == "The ministry said it would respond on Tuesday."
