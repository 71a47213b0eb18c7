"""Follow-up questions are rewritten against the conversation before they are answered."""

from __future__ import annotations

import pytest

from assistant.conversation import is_person, named_in, resolve
from assistant.embed import HashingEmbedder
from assistant.facade import Assistant

from .conftest import BACKENDS, sample_on_backend

SPEAKERS = ["Dmitry Peskov", "Yevgeny Prigozhin", "Russia's Defense Ministry", "Russian military officials",
            "Dana Whitcombe", "Kessler Terminals", "Elena Varga"]
OUTLETS = ["Harbor Ledger (fictional)", "The Daily Sentinel (fictional)", "Fox News"]


def ask(question: str, *history: tuple[str, str]) -> str:
    return resolve(question, list(history), SPEAKERS, OUTLETS).question


def test_a_question_without_history_is_left_alone():
    assert resolve("What did he say?", [], SPEAKERS, OUTLETS).rewritten is False


def test_he_is_the_last_person_the_user_asked_about():
    assert ask("and what did he say next?", ("What did Peskov say?", "1 statement by Dmitry Peskov: ...")) \
        == "what did Dmitry Peskov say next?"


def test_she_comes_from_earlier_turns_when_the_last_one_named_nobody():
    history = [("What did Whitcombe say?", "..."), ("and what about the river?", "...")]
    assert ask("what did she promise?", *history) == "what did Dana Whitcombe promise?"


def test_they_after_a_who_question_is_the_speaker_the_answer_led_with():
    answer = "**Russian military officials** denied: Russian military officials have denied attacking ..."
    assert ask("what did they say next?", ("Who denied attacking the Wagner Group?", answer)) \
        == "what did Russian military officials say next?"


def test_it_is_not_replaced_outside_speech():
    assert resolve("Did it reach the river?", [("What did Whitcombe say?", "...")], SPEAKERS, OUTLETS).rewritten is False


def test_what_about_an_outlet_swaps_the_outlet():
    assert ask("what about The Daily Sentinel?", ("What did the Harbor Ledger report about the leak?", "...")) \
        == "What did The Daily Sentinel report about the leak?"
    # An outlet the index does not hold is swapped in too, so the answer can say there is none.
    assert ask("what about Reuters?", ("What did Fox News report about the strikes?", "...")) \
        == "What did Reuters report about the strikes?"


def test_what_about_an_outlet_by_its_short_form_swaps_the_outlet():
    assert ask("what about the Sentinel?", ("What did Harbor Ledger report?", "...")) == "What did the Sentinel report?"
    assert ask("what about Harbor Ledger?", ("What did the Sentinel report about the leak?", "...")) \
        == "What did Harbor Ledger report about the leak?"
    # by the noun its masthead ends in: "the Ledger"
    assert ask("what about the Ledger?", ("What did the Sentinel report about the leak?", "...")) \
        == "What did the Ledger report about the leak?"


@pytest.mark.parametrize(
    "follow_up, previous, expected",
    [
        ("what about March 14?", "What happened on March 13?", "What happened on March 14?"),
        ("and on 14 March?", "What happened on March 13?", "What happened on 14 March?"),
        ("and in April?", "What happened on March 13?", "What happened in April?"),
        ("what about March 14?", "What did Kessler say on March 13 about the river?",
         "What did Kessler say on March 14 about the river?"),
        # a question without a date is asked again on that date
        ("what about March 14?", "What did Whitcombe say about the river?",
         "What did Whitcombe say about the river on March 14?"),
        ("and in April 2024?", "What did Whitcombe say about the river?",
         "What did Whitcombe say about the river in April 2024?"),
        # a month alone, "March" and "May" too (words of their own elsewhere), with "in" before it
        ("what about March?", "What happened on March 13?", "What happened in March?"),
        ("and in March?", "What did Whitcombe say about the river on March 13?",
         "What did Whitcombe say about the river in March?"),
        ("what about May?", "What did Whitcombe say about the river?",
         "What did Whitcombe say about the river in May?"),
        ("and 2024?", "What happened on March 13?", "What happened in 2024?"),
        ("what about March 14?", "What happened in March?", "What happened on March 14?"),
    ],
)
def test_what_about_a_date_swaps_the_date(follow_up, previous, expected):
    assert ask(follow_up, (previous, "...")) == expected


def test_an_outlet_named_without_any_qualifier_in_parentheses_is_swapped():
    outlets = [*OUTLETS, "The Times (UK)"]
    assert resolve("what about Harbor Ledger?", [("What did The Times report about the leak?", "...")],
                   SPEAKERS, outlets).question == "What did Harbor Ledger report about the leak?"


def test_what_about_a_speaker_swaps_the_speaker():
    assert ask("what about Prigozhin?", ("What did Peskov say about the strikes?", "...")) \
        == "What did Yevgeny Prigozhin say about the strikes?"
    assert ask("and Prigozhin?", ("What did Peskov say about the strikes?", "...")) \
        == "What did Yevgeny Prigozhin say about the strikes?"


def test_what_about_a_name_the_coverage_never_quotes_swaps_the_speaker():
    assert ask("what about Zelensky?", ("What did Peskov say?", "...")) == "What did Zelensky say?"
    # after an outlet's report about a topic, a person's name is the new topic, not an outlet
    assert ask("what about Zelensky?", ("What did Fox News report about the strike?", "...")) \
        == "What did Fox News report about Zelensky?"
    # a name that reads as an outlet is where it was reported
    assert ask("what about Reuters?", ("What did Peskov say?", "...")) == "What did Peskov say according to Reuters?"


def test_what_about_after_a_who_question_or_an_outlet_question_asks_for_that_name():
    assert ask("what about Zelensky?", ("Who denied attacking the Wagner Group?", "...")) \
        == "What did Zelensky say about attacking the Wagner Group?"
    assert ask("what about Whitcombe?", ("What did Harbor Ledger report?", "...")) \
        == "What did Harbor Ledger report about Dana Whitcombe?"
    # a description takes the speaker's place, as a name does
    assert ask("what about the union?", ("What did Whitcombe say?", "...")) == "What did the union say?"
    assert ask("what about Harbor Ledger?", ("What did Whitcombe say?", "...")) \
        == "What did Whitcombe say according to Harbor Ledger?"


def test_what_about_a_description_after_a_speaker_and_a_day_keeps_the_day():
    # once "What did Peskov say on the mayor?": the day was taken for the topic
    assert ask("what about the mayor?", ("What did Peskov say on March 12?", "...")) \
        == "What did the mayor say on March 12?"
    assert ask("what about Whitcombe?", ("What did Peskov say on 2024-03-12?", "...")) \
        == "What did Dana Whitcombe say on 2024-03-12?"


def test_he_and_she_skip_the_last_person_of_the_other_gender():
    history = [("What did Elena Varga say?", "..."), ("What did Peskov say?", "...")]
    assert ask("what did she say next?", *history) == "what did Elena Varga say next?"
    assert ask("what did he say next?", *history) == "what did Dmitry Peskov say next?"
    # a first name that says nothing (Dana) fits either pronoun
    assert ask("what did he say next?", ("What did Varga say?", "..."), ("What did Whitcombe say?", "...")) \
        == "what did Dana Whitcombe say next?"


def test_what_about_a_topic_swaps_the_topic():
    assert ask("what about the valve?", ("What did Whitcombe say about the river?", "...")) \
        == "What did Whitcombe say about the valve?"


def test_a_topic_swapped_in_with_its_preposition_keeps_one():
    assert ask("and on the inquiry?", ("What is the latest on the spill?", "...")) == "What is the latest on the inquiry?"
    assert ask("what about on the valve?", ("What did Whitcombe say about the river?", "...")) \
        == "What did Whitcombe say about the valve?"


def test_it_ending_a_question_is_what_the_last_question_was_about():
    assert ask("Who is leading it?", ("What is the latest on the inquiry?", "...")) == "Who is leading the inquiry?"
    # not a date, and not the "it" of "Is it true ...?"
    assert ask("Who reported it?", ("What happened on March 13?", "...")) == "Who reported it?"
    assert ask("Is it true that the river is clean?", ("What did Whitcombe say about the river?", "...")) \
        == "Is it true that the river is clean?"
    # what was said: "deny it" is no "deny the river"
    assert ask("Did she deny it?", ("What did Whitcombe say about the river?", "...")) == "Did Dana Whitcombe deny it?"


def test_what_about_a_description_after_a_description_swaps_it():
    # once "What did the agency say in response — the mayor?"
    assert ask("and the mayor?", ("What did the agency say in response?", "...")) == "What did the mayor say in response?"
    assert ask("what about the union?", ("Did the company admit anything?", "...")) == "Did the union admit anything?"


@pytest.mark.parametrize("follow_up, expected", [
    ("Why?", "Who disputed the agency's figures, and why?"),
    ("and when was that?", "Who disputed the agency's figures, and when?"),
    ("where?", "Who disputed the agency's figures, and where?"),
])
def test_a_wh_word_alone_asks_it_of_the_previous_question(follow_up, expected):
    assert ask(follow_up, ("Who disputed the agency's figures?", "...")) == expected
    assert resolve(follow_up, [], SPEAKERS, OUTLETS).rewritten is False  # nothing to lean on


def test_follow_ups_chain():
    history = [("What did Peskov say about the strikes?", "..."), ("what about Prigozhin?", "...")]
    assert ask("what about the mutiny?", *history) == "What did Yevgeny Prigozhin say about the mutiny?"


def test_names_in_order_and_people_versus_organisations():
    assert named_in("Whitcombe and then Kessler", SPEAKERS) == ["Dana Whitcombe", "Kessler Terminals"]
    assert is_person("Dana Whitcombe") and not is_person("Kessler Terminals") and not is_person("Fox News")


@pytest.fixture(scope="module", params=BACKENDS)
def assistant(request, tmp_path_factory) -> Assistant:
    """The sample coverage in the embedded index and in PostgreSQL + milvus-lite: every test
    below runs against both backends."""
    return sample_on_backend(request, tmp_path_factory.mktemp("backend"), HashingEmbedder())


def test_engine_answers_the_rewritten_question_and_says_so(assistant):
    first = assistant.ask("What did Peskov say?", mode="who")
    follow = assistant.ask("and what did he say about Putin?", mode="who", history=[("What did Peskov say?", first.text)])
    assert follow.question == "and what did he say about Putin?"
    assert "Answered as: “what did Dmitry Peskov say about Putin?”" in follow.notice
    assert follow.table.rows and all(row[0] == "Dmitry Peskov" for row in follow.table.rows)


def test_what_did_he_say_next_does_not_repeat_the_last_answer(assistant):
    first = assistant.ask("What did Obi say about the samples?", mode="who")
    follow = assistant.ask("and what did he say next?", mode="who",
                           history=[("What did Obi say about the samples?", first.text)])
    assert follow.table.rows and {row[0] for row in follow.table.rows} == {"Marcus Obi"}
    assert not {row[2] for row in first.table.rows} & {row[2] for row in follow.table.rows}
