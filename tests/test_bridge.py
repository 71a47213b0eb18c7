"""The bridging name: which questions get a second search, which name is chosen, and what changes."""

from __future__ import annotations

import pytest

from assistant.bridge import asks_for_a_name, bridging_name, bridging_names, names_in, with_bridge
from assistant.query import understand


@pytest.mark.parametrize(
    "question, asks",
    [
        ("Which company was sued by Epic and launched Gemini?", True),
        ("Who is the individual accused of fraud?", True),
        ("What type of establishments modify betting lines?", True),
        ("Does the Verge article agree with TechCrunch?", False),
        ("Was there a change in the coverage of the trial?", False),
    ],
)
def test_questions_asking_for_a_name_are_recognised(question, asks):
    assert asks_for_a_name(question) is asks


def test_names_are_runs_of_capitalised_words_without_sentence_openers():
    text = "But Sam Bankman-Fried’s lawyers said FTX grew. What happened at Alameda Research? The judge agreed."
    assert names_in(text) == {"Sam Bankman-Fried", "FTX", "Alameda Research"}


def test_the_name_written_in_most_passages_is_chosen_longer_on_a_tie():
    passages = [
        "Google paid Apple to stay the default search engine.",
        "Epic says Google abused its power over Android apps.",
        "A publisher sued Google over lost ad revenue; Apple was not named.",
    ]
    assert bridging_name("Which company was sued by a publisher?", passages) == "Google"
    assert bridging_name("Which company did Google pay?", passages) == "Apple"  # the question holds Google
    assert bridging_name("Which company was sued?", passages[:1]) is None  # one article is no bridge
    assert bridging_name("Who testified?", ["Sam Altman spoke.", "Sam Altman left OpenAI."]) == "Sam Altman"


def test_the_runner_up_name_shares_no_word_with_the_question_or_the_first_name():
    passages = [
        "Sam Bankman-Fried told the jury FTX grew too fast. Caroline Ellison ran Alameda.",
        "Prosecutors say Sam Bankman-Fried lied; Caroline Ellison of Alameda testified.",
        "Bankman-Fried founded FTX. Ellison and Sam Trabucco ran Alameda Research.",
    ]
    assert bridging_names("Who ran the exchange?", passages) == ("Sam Bankman-Fried", "Caroline Ellison")
    # "Sam Trabucco" and "Bankman-Fried" share a word with the first name; FTX is in the question
    assert bridging_names("Who ran FTX?", passages, most=3) == ("Sam Bankman-Fried", "Caroline Ellison", "Alameda")
    assert bridging_names("Who ran FTX?", passages[:1]) == ()


def test_the_name_is_added_to_the_question_and_every_part():
    hints = understand("Which company, reported by TechCrunch to pay billions for default search, is also "
                       "accused by Epic of abusing app stores?", ["TechCrunch"], [])
    bridged = with_bridge("unused", hints, "Google")
    assert bridged.bridge == "Google"
    assert bridged.search_text.endswith(" Google") and len(bridged.parts) == len(hints.parts) >= 2
    assert all(p.search_text.endswith(" Google") for p in bridged.parts)
    assert [p.outlets for p in bridged.parts] == [p.outlets for p in hints.parts]


def test_vectors_move_toward_the_name_and_stay_normalised():
    import numpy as np

    from assistant.bridge import toward_name

    vectors = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    name = np.array([0.0, 0.0, 1.0], dtype=np.float32)
    moved = toward_name(vectors, name, 0.6)
    assert np.allclose(np.linalg.norm(moved, axis=1), 1.0)
    assert all(moved[i] @ name > vectors[i] @ name for i in range(2))
    assert all(moved[i] @ vectors[i] > moved[i] @ name for i in range(2))  # still mostly the question


def test_a_line_break_ends_a_name():
    assert names_in("Acme Prices\nAcme cut prices") == {"Acme Prices", "Acme"}


def test_a_title_is_no_name_and_is_dropped_before_one():
    passages = ["The CEO said FTX grew too fast.", "Its CEO resigned.", "Judge Lewis Kaplan denied bail.",
                "Judge Lewis Kaplan ruled."]
    assert names_in(passages[0]) == {"FTX"}
    assert names_in(passages[2]) == {"Lewis Kaplan"}
    assert bridging_name("Who ran the exchange?", passages) == "Lewis Kaplan"


def test_a_day_or_a_quantifier_is_stripped_only_where_it_opens_a_sentence():
    text = "All Blacks fans cheered. The match aired on Sunday Night Football, and the All Blacks won."
    assert names_in(text) == {"Blacks", "Sunday Night Football", "All Blacks"}
    assert names_in("Sunday was quiet. On Monday, Apple said nothing.") == {"Apple"}


def test_a_common_word_capitalised_at_a_sentence_start_is_no_bridging_name():
    passages = [
        "Week one of the trial is over for Bankman-Fried. Best of all, nobody noticed.",
        "Week two: Bankman-Fried appealed. Best estimates vary; the best case is a year.",
        "He left that week, as Bankman-Fried said.",
    ]
    # "Week" and "Best" open sentences in two passages, which also write them in lower case
    assert bridging_names("Who was convicted?", passages) == ("Bankman-Fried",)
    assert bridging_names("Who was convicted?", [p.replace("best", "top").replace("week", "day") for p in passages]) == (
        "Bankman-Fried", "Week")  # written only capitalised, it may be a name
