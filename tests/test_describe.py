"""describe.py: what a sentence says a name is, and which questions ask for it."""

from __future__ import annotations

import pytest

from assistant.describe import best_described, describe, identity_asked


@pytest.mark.parametrize("question, subject", [
    ("Who is Tomas Reyes?", "Tomas Reyes"),
    ("who is varga", "varga"),
    ("What is toluene?", "toluene"),
    ("And who was Adrian Falk?", "Adrian Falk"),
    ("What is the Riverside Dockworkers' Union?", "Riverside Dockworkers' Union"),
    ("Who are the Wagner Group?", "Wagner Group"),
])
def test_a_question_for_what_a_name_is_gives_the_name(question, subject):
    assert identity_asked(question) == subject


@pytest.mark.parametrize("question", [
    "Who is the mayor?",  # asks for a name, which who-said-what finds from the role
    "What is the agency's estimate?",
    "What is happening?",
    "Who was responsible for the leak?",
    "What did Tomas Reyes say?",
    "Who is paying for the bottled water?",
])
def test_other_questions_ask_for_no_description(question):
    assert identity_asked(question) == ""


@pytest.mark.parametrize("text, forms, words", [
    ("Tomas Reyes, a steward for the Riverside Dockworkers' Union, said workers had reported a leak.",
     ["Tomas Reyes", "Reyes"], "a steward for the Riverside Dockworkers' Union"),
    ('"We reject it," company spokesman Adrian Falk said.', ["Adrian Falk", "Falk"], "company spokesman"),
    ("Environment Minister Carla Brandt ordered an inquiry.", ["Carla Brandt"], "Environment Minister"),
    ("A tank leaked toluene, an industrial solvent, late on Monday night.", ["toluene"], "an industrial solvent"),
    ("The city hired an independent laboratory, Calder Analytical, to test 40 wells.", ["Calder Analytical"],
     "an independent laboratory"),
    ("Calder Analytical is an independent laboratory in Ostra.", ["Calder Analytical"],
     "an independent laboratory in Ostra"),
    ("Fisherman Piotr Nowak, who reported dead fish, said so.", ["Piotr Nowak"], "Fisherman who reported dead fish"),
    ("The city hired Calder Analytical, which runs a laboratory, to test wells.", ["Calder Analytical"],
     "which runs a laboratory"),
])
def test_a_description_is_read_around_the_mention(text, forms, words):
    found = describe(text, forms)
    assert found is not None and " ".join(found.words) == words


@pytest.mark.parametrize("text, forms", [
    ("Obi rejected that explanation.", ["Marcus Obi", "Obi"]),
    ("The mayor accused Kessler of a six-hour silence.", ["Kessler"]),
    ("Varga, Obi and Brandt met on Friday.", ["Obi"]),  # a list of names describes none of them
    ("Asked about a faulty valve, Falk repeated the denial.", ["Falk"]),  # the phrase before is about the valve
    ("The city hired a laboratory, Calder Analytical, to test 40 wells.", ["toluene"]),  # not mentioned
])
def test_a_mere_mention_is_no_description(text, forms):
    assert describe(text, forms) is None


def test_the_fullest_description_wins_and_the_first_on_a_tie():
    texts = ["Falk said nothing.", "Spokesman Adrian Falk declined.", "Company spokesman Adrian Falk said so.",
             "Company spokesman Adrian Falk said it again."]
    assert best_described(texts, ["Adrian Falk", "Falk"])[0] == 2
    assert best_described(texts[:1], ["Falk"]) is None
