"""Question understanding: outlets and dates named in a question (against what the index holds),
sub-queries for questions spanning several articles, and the text searched with."""

from __future__ import annotations

import pytest

from assistant.query import DatesAsked, bare_outlet_name, masthead_forms, outlets_called, short_forms, understand

OUTLETS = [
    "The Verge", "TechCrunch", "FOX News - Health", "FOX News - Lifestyle", "Fortune", "The Age",
    "Sporting News", "Polygon", "CBS Sports", "Cnbc | World Business News Leader",
]
DATES = ["2023-09-26", "2023-10-05", "2023-10-19", "2023-11-03", "2023-12-07"]


def hints(question: str, outlets=OUTLETS, dates=DATES):
    return understand(question, outlets, dates)


# ------------------------------------------------------------------------- outlets


@pytest.mark.parametrize(
    "question, expected",
    [
        ("What did Apple announce, as reported by The Verge?", ("The Verge",)),
        ("According to TechCrunch's coverage, who raised money?", ("TechCrunch",)),
        ("what did techcrunch say about the layoffs?", ("TechCrunch",)),
        ("Did the Verge review the phone?", ("The Verge",)),
        ("Is Verge right about the iPhone?", ("The Verge",)),
        ("Which team won, according to CBSSports.com?", ("CBS Sports",)),
        ("What did Cnbc | World Business News Leader report on Nike?", ("Cnbc | World Business News Leader",)),
        ("Does the Fortune article agree with 'The Age'?", ("Fortune", "The Age")),
    ],
)
def test_outlets_named_in_the_question_are_recognised(question, expected):
    assert hints(question).outlets == expected


def test_a_section_name_is_recognised_by_its_outlet_name_with_a_possessive():
    assert set(hints("Did Fox News' health article say the vaccine was safe?").outlets) == {
        "FOX News - Health", "FOX News - Lifestyle"}


@pytest.mark.parametrize(
    "question",
    [
        "He made a fortune in the age of AI.",  # ordinary words, not the outlets Fortune / The Age
        "Which polygon count does the game use?",
        "What did the New York Times report?",  # not an outlet this index holds
    ],
)
def test_ordinary_words_and_unknown_outlets_name_no_outlet(question):
    assert hints(question).outlets == ()


def test_an_outlet_is_recognised_without_the_qualifier_in_parentheses():
    outlets = ["Harbor Ledger (fictional)", "The Daily Sentinel (fictional)"]
    assert hints("What did the Harbor Ledger report about the leak?", outlets).outlets == ("Harbor Ledger (fictional)",)
    assert hints("Did Daily Sentinel say so?", outlets).outlets == ("The Daily Sentinel (fictional)",)
    assert hints("What did the ledger say?", outlets).outlets == ()


def test_a_filter_outlet_is_read_as_the_index_names_it():
    outlets = ["Harbor Ledger (fictional)", "FOX News - Health", "FOX News - Lifestyle", "The Verge"]
    assert outlets_called("Harbor Ledger (fictional)", outlets) == ["Harbor Ledger (fictional)"]
    assert outlets_called("harbor  ledger", outlets) == ["Harbor Ledger (fictional)"]
    assert outlets_called("fox news", outlets) == ["FOX News - Health", "FOX News - Lifestyle"]
    assert outlets_called("verge", outlets) == ["The Verge"]
    assert outlets_called("Reuters", outlets) == []


SAMPLE_OUTLETS = ["Harbor Ledger (fictional)", "Northbank Daily (fictional)", "The Daily Sentinel (fictional)",
                  "Valley Public Radio (fictional)", "Fox News", "The Daily News"]


@pytest.mark.parametrize(
    "question, expected",
    [
        ("What did the Sentinel report?", ("The Daily Sentinel (fictional)",)),
        ("Did the Sentinel's account change?", ("The Daily Sentinel (fictional)",)),
        ("What did Northbank say about the inquiry?", ("Northbank Daily (fictional)",)),
        ("What did the sentinel report?", ()),  # a short form only counts written as a name
        ("What did the Daily report?", ()),  # "Daily" tells no outlet from another
        ("Is it in the News?", ()),  # nor "News" ("The Daily News")
    ],
)
def test_an_outlet_is_recognised_by_its_distinctive_words(question, expected):
    assert hints(question, SAMPLE_OUTLETS).outlets == expected


def test_a_short_form_two_outlets_share_or_another_outlet_is_called_names_no_guess():
    assert hints("What did the Sentinel report?", ["The Daily Sentinel", "Sentinel Weekly"]).outlets == ()
    assert hints("What did the Sentinel report?", ["The Daily Sentinel", "The Sentinel"]).outlets == ("The Sentinel",)
    # the sections of one outlet share its short form: all of them are meant
    assert hints("What did the Sentinel report?", ["The Daily Sentinel - Opinion", "The Daily Sentinel - Local"]
                 ).outlets == ("The Daily Sentinel - Local", "The Daily Sentinel - Opinion")


@pytest.mark.parametrize(
    "question, expected",
    [
        ("What did the Courier report about the fish?", ("Ostra Valley Courier (fictional)",)),
        ("What did Valley Public Radio and the Ledger each report?",
         ("Valley Public Radio (fictional)", "Harbor Ledger (fictional)")),
        ("What did the courier say?", ()),  # a masthead noun counts only written as a name
        ("What did Courier staff say?", ()),  # and only as "the Courier"
        ("What did the Courier of Lyon report?", ()),  # another paper
    ],
)
def test_an_outlet_is_recognised_by_the_noun_its_masthead_ends_in(question, expected):
    assert hints(question, [*SAMPLE_OUTLETS, "Ostra Valley Courier (fictional)"]).outlets == expected


def test_a_masthead_noun_of_two_outlets_or_of_a_famous_paper_names_no_outlet():
    assert masthead_forms(["Ostra Valley Courier", "Evening Courier", "Harbor Ledger"]) == {"ledger": ("Harbor Ledger",)}
    # "the Times" may be another paper than the one indexed ("The Times", "Times of India")
    assert masthead_forms(["The New York Times", "The Washington Post"]) == {}
    assert hints("What did the Times of India report?", ["Ostra Valley Courier", "The New York Times"]).outlets == ()


def test_short_forms_made_only_of_generic_words_name_no_outlet():
    assert short_forms(["The Daily News", "Daily Online", "The Daily", "Northbank Daily (fictional)"]) == {
        "northbank": ("Northbank Daily (fictional)",)}


def test_a_filter_outlet_may_be_its_short_form_when_it_names_one_outlet():
    assert outlets_called("sentinel", SAMPLE_OUTLETS) == ["The Daily Sentinel (fictional)"]
    assert outlets_called("Sentinel", ["The Daily Sentinel", "Sentinel Weekly"]) == []
    assert outlets_called("daily", SAMPLE_OUTLETS) == []


def test_the_bare_outlet_name_drops_a_qualifier_in_parentheses_at_its_end():
    assert bare_outlet_name("Harbor Ledger (fictional)") == "Harbor Ledger"
    assert bare_outlet_name("The Times (UK)") == "The Times"
    assert bare_outlet_name("Radio (Live) Network") == "Radio (Live) Network"  # not a qualifier at the end
    assert bare_outlet_name("Fox News") == "Fox News"


def test_no_outlets_in_the_index_means_none_recognised():
    assert understand("What did The Verge say?", [], DATES).outlets == ()


# ------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "question, since, until",
    [
        ("What happened in October?", "2023-10-01", "2023-10-31"),
        ("What happened in October 2023?", "2023-10-01", "2023-10-31"),
        ("What was reported on 5 October?", "2023-10-05", "2023-10-05"),
        ("What was reported on October 19, 2023?", "2023-10-19", "2023-10-19"),
        ("What was reported on Oct. 19?", "2023-10-19", "2023-10-19"),
        ("What was published on 2023-11-03?", "2023-11-03", "2023-11-03"),
        ("What happened between October 1 and October 10?", "2023-10-01", "2023-10-10"),
        ("What happened from 1 November to 3 November?", "2023-11-01", "2023-11-03"),
        ("What happened after the 10th of October?", "2023-10-10", None),  # the day itself too
        ("What happened after October?", "2023-11-01", None),  # but not the month
        ("What happened since October 5?", "2023-10-05", None),
        ("What happened before November?", None, "2023-10-31"),
        ("What was published before November 3?", None, "2023-11-03"),
        ("What was said until 3 November?", None, "2023-11-03"),
    ],
)
def test_dates_and_ranges_become_since_and_until(question, since, until):
    found = hints(question)
    assert (found.since, found.until) == (since, until)


@pytest.mark.parametrize("question, days", [
    # the search's boost takes in the day named (publication days are a time zone apart); the
    # answer keeps to the days as the reader means them
    ("What did Kessler say before November 3?", (None, "2023-11-02")),
    ("What happened after the 10th of October?", ("2023-10-11", None)),
    ("What was said until 3 November?", (None, "2023-11-03")),
    ("What happened since October 5?", ("2023-10-05", None)),
    ("What was reported on 5 October?", ("2023-10-05", "2023-10-05")),
])
def test_the_days_named_leave_out_the_day_after_before_or_after(question, days):
    assert hints(question).days_named == days


def test_a_month_without_a_year_takes_the_latest_year_the_index_holds_it_in():
    found = understand("What happened in October?", OUTLETS, ["2022-10-04", "2023-10-05", "2024-01-02"])
    assert (found.since, found.until) == ("2023-10-01", "2023-10-31")


def test_a_day_without_a_year_takes_the_latest_year_the_index_holds_that_day_in():
    held = ["2022-10-04", "2023-10-05", "2024-01-02"]
    assert hints("What happened on October 4?", dates=held).only_dates.since == "2022-10-04"
    assert hints("What happened on October 5?", dates=held).only_dates.since == "2023-10-05"
    # a day the index does not hold: the latest year that holds its month
    assert hints("What happened on October 6?", dates=held).only_dates.since == "2023-10-06"


@pytest.mark.parametrize(
    "question, asked",
    [
        ("What happened on October 5?", DatesAsked("2023-10-05", "2023-10-05", "October 5")),
        ("What was reported on 19 October 2023?", DatesAsked("2023-10-19", "2023-10-19", "19 October 2023")),
        ("What did the papers say on Oct. 19?", DatesAsked("2023-10-19", "2023-10-19", "Oct. 19")),
        ("October 5?", DatesAsked("2023-10-05", "2023-10-05", "October 5")),
        ("What happened between October 1 and October 10?",
         DatesAsked("2023-10-01", "2023-10-10", "between October 1 and October 10")),
        # a day the index holds no article of is still the day asked about
        ("What happened on November 20?", DatesAsked("2023-11-20", "2023-11-20", "November 20")),
        # what the modes ask about a day: a comparison, who said what, a summary
        ("How did the coverage differ on October 5?", DatesAsked("2023-10-05", "2023-10-05", "October 5")),
        ("What did each outlet report on October 5?", DatesAsked("2023-10-05", "2023-10-05", "October 5")),
        ("Who said what on October 5?", DatesAsked("2023-10-05", "2023-10-05", "October 5")),
        ("Give me a sourced summary of October 5", DatesAsked("2023-10-05", "2023-10-05", "October 5")),
    ],
)
def test_a_question_about_a_date_alone_gives_the_days_it_asks_about(question, asked):
    assert hints(question).only_dates == asked


@pytest.mark.parametrize(
    "question",
    [
        "What did Kessler say on October 5 about the river?",  # a topic on that day: searched
        "What did TechCrunch report on October 5?",  # an outlet on that day
        "What happened to the shares on October 5?",
        "What happened after October 5?",  # an open range
        "What happened?",
        "Which company, reported by TechCrunch on October 5, 2023, is accused of fraud?",
    ],
)
def test_a_question_with_more_than_a_date_is_not_about_the_date_alone(question):
    assert hints(question).only_dates is None


@pytest.mark.parametrize("question", ["They may raise prices.", "Protesters march on the capital.",
                                      "What happened in 2023?"])
def test_words_that_look_like_dates_and_ranges_covering_everything_give_no_dates(question):
    found = hints(question)  # "in 2023" covers every date the index holds: it selects nothing
    assert (found.since, found.until) == (None, None)


# ------------------------------------------------------------------------- sub-queries


def test_a_comparison_of_two_outlets_is_split_with_each_outlet_in_its_part():
    found = hints("Does the Fortune article suggest that Alameda's practices were legal, while the "
                  "TechCrunch article focuses on the valuation of FTT tokens?")
    assert [p.outlets for p in found.parts] == [("Fortune",), ("TechCrunch",)]
    assert "Alameda" in found.parts[0].text and "FTT tokens" in found.parts[1].text
    assert found.sub_queries == tuple(p.text for p in found.parts)


def test_each_part_of_a_temporal_question_keeps_its_own_outlet_and_date():
    found = hints("Between the article from Polygon published on September 26, 2023, highlighting "
                  "creators marketing themselves online, and the piece from Sporting News on "
                  "December 7, 2023, discussing betting promotions, did the tone change?")
    first, second = found.parts[:2]
    assert (first.outlets, first.since, first.until) == (("Polygon",), "2023-09-26", "2023-09-26")
    assert (second.outlets, second.since, second.until) == (("Sporting News",), "2023-12-07", "2023-12-07")
    assert "creators marketing" in first.text  # the date clause joined the clause it dates


def test_a_chain_of_clauses_is_split_and_a_trailing_source_stays_with_its_clause():
    found = hints("Who is the individual whose trial is approaching, as reported by TechCrunch, who "
                  "struggled to manage the expansion of FTX as mentioned by The Verge, and who is "
                  "accused of fraud for personal gain?")
    assert [p.outlets for p in found.parts] == [("TechCrunch",), ("The Verge",), ()]


@pytest.mark.parametrize(
    "question, parts",
    [
        ("Did Apple both raise prices and cut jobs?", ["Did Apple raise prices", "Did Apple cut jobs"]),
        ("Did Apple raise prices or did Google cut jobs?", ["Did Apple raise prices", "did Google cut jobs"]),
    ],
)
def test_both_and_or_questions_are_split(question, parts):
    assert list(hints(question).sub_queries) == parts


@pytest.mark.parametrize(
    "question",
    [
        "Who was reported by both The Verge and TechCrunch to face a fraud trial?",  # names, not clauses
        "Which betting sites and apps did the report list?",  # "and" between nouns
        "What did Apple announce?",
    ],
)
def test_one_part_questions_are_not_split(question):
    assert hints(question).parts == ()


# ------------------------------------------------------------------------- search text


def test_the_search_text_leaves_out_outlet_names_and_dates():
    found = hints("What did Apple announce on October 19, 2023, as reported by The Verge?")
    assert found.search_text == "What did Apple announce?"
    comparison = hints("Does 'The Age' article say that McCarthy was removed, while the Fortune article "
                       "says McHenry avoids the role?")
    assert "Age" not in comparison.search_text and "Fortune" not in comparison.search_text
    assert comparison.parts[0].search_text == "Does article say that McCarthy was removed"


def test_an_outlet_written_as_its_site_is_cut_out_whole():
    found = hints("Did CBSSports.com report that the Chiefs won, and did Sporting News agree?")
    assert "CBS Sports" in found.outlets
    assert ".com" not in found.search_text and "CBSSports" not in found.search_text
    told = hints("What did the coach tell CBS Sports. Was it true?")
    assert "CBS Sports" in told.outlets and "Was it true?" in told.search_text  # a full stop is no suffix


def test_a_question_that_is_only_an_outlet_name_is_searched_as_written():
    assert hints("TechCrunch?").search_text == "TechCrunch?"


def test_a_feed_section_after_the_outlet_name_is_cut_out_with_it():
    # The index holds "The Independent" and "Fox News"; questions write the feed's full name.
    found = understand("Does the article from 'The Independent - Life and Style' say Federline shared "
                       "videos, while FOX News - Lifestyle and TechCrunch say he did not?",
                       ["The Independent", "Fox News", "TechCrunch"], DATES)
    assert found.outlets == ("The Independent", "Fox News", "TechCrunch")
    assert "Life and Style" not in found.search_text and "Lifestyle" not in found.search_text
    assert "-" not in found.search_text.replace("Federline", "")


def test_a_list_of_outlets_is_one_attribution_cut_out_whole():
    found = hints("Which company, currently engaged in a legal dispute covered by both TechCrunch and "
                  "The Verge, is accused of anticompetitive practices, and has also provided extensive "
                  "documentation to counter allegations?")
    assert found.outlets == ("TechCrunch", "The Verge")
    assert "both" not in found.search_text and " and," not in found.search_text
    assert "Which company, currently engaged in a legal dispute" in found.parts[0].text
    assert found.parts[0].outlets == ("TechCrunch", "The Verge")  # the list was not split apart
    listed = hints("Who is the pop star committed to a tour schedule, according to sources like "
                   "'The Age', 'TechCrunch', and 'Fortune'?")
    assert listed.search_text == "Who is the pop star committed to a tour schedule?"


def test_a_quoted_title_is_not_split_into_clauses():
    found = hints('Does the Polygon article on "Jada Pinkett Smith and Will Smith\'s marriage" agree with '
                  "the same publication's report on 'Jada and Will Smith's marital status'?")
    assert found.parts == ()  # one comparison of two quoted titles, no clause boundary outside them


def test_a_date_range_holding_no_article_of_the_index_gives_no_dates():
    found = hints("Which exchange, the largest within 180 days of its June 2017 launch, withdrew assets?")
    assert (found.since, found.until) == (None, None)  # the index holds no June 2017 coverage
    assert "June 2017" not in found.search_text  # still no words to search for
