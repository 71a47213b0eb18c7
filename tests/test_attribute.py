"""Who said what: attribution patterns, speaker resolution, stances and exact spans."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.attribute import extract_statements
from assistant.records import Statement
from assistant.segment import split_sentences

from .conftest import BACKENDS, backend_settings, release_backend
from .test_answer import check_citations

SEED = Path("/work/shared/data/seed/wagner.txt")
SEED_BOILERPLATE = (
    "US, EUROPEAN ALLIES DEMAND ACTION",
    "RUSSIA IS TARGETING THE US HOMELAND",
    "CLICK HERE TO GET THE FOX NEWS APP",
    "This is a developing story.",
    "Fox News Digital’s Caitlin McFall contributed",
)


def extract(text: str) -> tuple[Statement, ...]:
    statements = extract_statements("art", text, split_sentences("art", text))
    for statement in statements:  # every span must be exactly what it claims to be
        assert text[slice(*statement.speaker_span)] == statement.speaker_mention
        assert text[slice(*statement.cue_span)] == statement.cue
        assert text[slice(*statement.content_span)] == statement.content
        assert statement.speaker and statement.cue and statement.content.strip()
        assert statement.article_id == "art"
    assert [s.index for s in statements] == list(range(len(statements)))
    return statements


def only(text: str) -> Statement:
    statements = extract(text)
    assert len(statements) == 1, statements
    return statements[0]


def by_cue(statements: tuple[Statement, ...], cue: str, nth: int = 0) -> Statement:
    return [s for s in statements if s.cue == cue][nth]


def seed_text() -> str:
    lines = SEED.read_text(encoding="utf-8").split("\n")
    return "\n".join(line for line in lines if not line.startswith(SEED_BOILERPLATE))


# --- the patterns news uses ------------------------------------------------------------------


def test_x_said_y() -> None:
    s = only("Harbour Authority chief executive Marta Lindqvist said the strike would cost 4 million euros a day.")
    assert (s.speaker, s.speaker_mention, s.cue) == ("Marta Lindqvist", "Marta Lindqvist", "said")
    assert s.content == "the strike would cost 4 million euros a day"
    assert (s.quote_type, s.stance) == ("indirect", "assert")


def test_names_with_particles_are_whole_and_their_short_forms_resolve_to_them() -> None:
    statements = extract(
        "European Commission President Ursula von der Leyen said the bloc would respond firmly. "
        "\"We will not be intimidated,\" von der Leyen told reporters. "
        "Dutch official Pieter van den Berg denied that the talks had collapsed. "
        "Van den Berg said a deal was still possible. "
        "The ferries ran late, according to Ana de la Cruz. "
        "Officials at Charles de Gaulle Airport said flights resumed."
    )
    assert [(s.speaker, s.speaker_mention) for s in statements] == [
        ("Ursula von der Leyen", "Ursula von der Leyen"),
        ("Ursula von der Leyen", "von der Leyen"),
        ("Pieter van den Berg", "Pieter van den Berg"),
        ("Pieter van den Berg", "Van den Berg"),
        ("Ana de la Cruz", "Ana de la Cruz"),
        ("Charles de Gaulle Airport", "Charles de Gaulle Airport"),  # was "Gaulle Airport"
    ]


def test_he_and_she_skip_a_person_the_text_says_is_of_the_other_gender() -> None:
    statements = extract(
        "Mayor Elena Varga said the city had been kept in the dark. Kessler spokesman Adrian Falk said "
        "the company called within 40 minutes. She said that was not true. "
        "Ms. Amsel warned residents. Mr. Nowak disagreed. She said boiling does not help. "
        "Its spokeswoman said the plant was safe. Mr. Quint said it was not. She said the data were clear."
    )
    assert [(s.speaker, s.speaker_mention) for s in statements if s.speaker_mention == "She"] == [
        ("Elena Varga", "She"),  # a first name; "spokesman" makes Falk a man
        ("Amsel", "She"),  # courtesy titles
        ("spokeswoman", "She"),  # a gendered role word
    ]
    # A first name that says nothing (or none at all) still takes either pronoun.
    assert only("Dale Quint arrived. He said the plant was safe.").speaker == "Dale Quint"


def test_x_said_that_y_and_adjuncts_before_that() -> None:
    s = only("The Kremlin said on Thursday that it had no plans to meet the delegation.")
    assert (s.speaker, s.speaker_mention) == ("Kremlin", "Kremlin")
    assert s.content == "it had no plans to meet the delegation"


def test_y_comma_x_said() -> None:
    s = only("The ceasefire is largely holding, U.N. envoy Farid Nasser said on Wednesday.")
    assert (s.speaker, s.cue, s.content) == ("Farid Nasser", "said", "The ceasefire is largely holding")


def test_direct_quote_then_x_said_and_said_x() -> None:
    statements = extract(
        "“We have offered a fair deal,” Marta Lindqvist said.\n"
        "“Nobody wants to strike,” said Tomas Berg, the union’s general secretary."
    )
    first, second = statements
    assert (first.speaker, first.content, first.quote_type) == (
        "Marta Lindqvist", "We have offered a fair deal", "direct")
    assert (second.speaker, second.cue, second.content) == ("Tomas Berg", "said", "Nobody wants to strike")


def test_according_to_before_and_after() -> None:
    statements = extract(
        "According to Deputy Governor Ilse Varga, three bridges have been closed.\n"
        "Two villages are cut off, according to the regional emergency service."
    )
    first, second = statements
    assert (first.speaker, first.cue, first.content) == (
        "Ilse Varga", "According to", "three bridges have been closed")
    assert (second.speaker, second.speaker_mention, second.content) == (
        "regional emergency service", "regional emergency service", "Two villages are cut off")


def test_denied_and_deny_by_content() -> None:
    statements = extract(
        "Pharmaceutical company Norvex denied hiding safety data from regulators on Wednesday.\n"
        "Mayor Tom Reid said the reports were “not true.”\n"
        "He said he did not know the developer personally."
    )
    denied, untrue, did_not = statements
    assert (denied.speaker, denied.stance, denied.content) == (
        "Norvex", "deny", "hiding safety data from regulators")
    assert (untrue.stance, untrue.quote_type, untrue.content) == (
        "deny", "mixed", "the reports were “not true.”")
    assert (did_not.speaker, did_not.stance) == ("Tom Reid", "deny")


def test_a_negated_sentence_denies_only_what_the_speaker_is_said_to_have_done() -> None:
    statements = extract(
        "“Boiling does not make this water safe,” toxicologist Ruth Amsel said.\n"
        "But the ministry said the caller described a minor leak and did not ask for help.\n"
        "“I have fished here for thirty years and I have never seen anything like it,” Piotr Nowak said.\n"
        "“We are not going to gamble with people's lives,” Helen Oduya said.\n"
        "“We have never withheld data,” Lena Haas said."
    )
    assert [(s.speaker, s.stance) for s in statements] == [
        ("Ruth Amsel", "warn"),  # a warning, not a denial of anyone's claim
        ("ministry", "assert"),  # someone else's omission, reported
        ("Piotr Nowak", "assert"),
        ("Helen Oduya", "assert"),  # a refusal of a plan
        ("Lena Haas", "deny"),  # the speaker denies having done something
    ]


def test_a_negation_right_after_the_same_speakers_denial_carries_it_on() -> None:
    statements = extract(
        "Kessler has said the fish died from low oxygen levels in the river. Fisherman Piotr Nowak "
        "dismissed the idea. "
        "“The water was cold and the river was high. Fish do not suffocate in that,” he said.\n"
        "Tomas Reyes said fish do not die of cold."
    )
    dismissed, carried_on, other = statements[1:]
    assert (dismissed.speaker, dismissed.stance) == ("Piotr Nowak", "deny")
    assert (carried_on.speaker, carried_on.stance) == ("Piotr Nowak", "deny")
    assert (other.speaker, other.stance) == ("Tomas Reyes", "assert")


def test_x_accused_z_of_y_and_blamed_z_for_y() -> None:
    statements = extract(
        "Opposition leader Rafael Ortiz accused the government of covering up the true cost.\n"
        "Ortiz also blamed Transport Minister Helena Duarte for the delays."
    )
    accused, blamed = statements
    assert (accused.speaker, accused.stance, accused.target, accused.content) == (
        "Rafael Ortiz", "accuse", "government", "covering up the true cost")
    assert (blamed.speaker, blamed.stance, blamed.target, blamed.content) == (
        "Rafael Ortiz", "accuse", "Helena Duarte", "the delays")


def test_responded_saying_quote() -> None:
    s = only("The Bramholt City Council responded to the petition on its website, saying, "
             "“The council has heard the concerns of residents.”")
    assert (s.speaker, s.cue, s.quote_type) == ("Bramholt City Council", "saying", "direct")
    assert s.content == "The council has heard the concerns of residents."


@pytest.mark.parametrize("hedge", ["allegedly", "purportedly", "apparently", "supposedly"])
def test_a_hedge_before_the_verb_stays_in_the_cue(hedge: str) -> None:
    s = only(f"Lukas Brandt {hedge} told aides the deal was off.")
    assert (s.speaker, s.cue, s.content) == ("Lukas Brandt", f"{hedge} told", "the deal was off")


def test_claimed_reportedly_said_promised_added_in_a() -> None:
    statements = extract(
        "Striker Dani Okafor claimed he was never told about the new rules.\n"
        "Club president Viktor Hale reportedly said the player had been warned twice.\n"
        "Hale added in a radio interview that the door was “still open” for Okafor.\n"
        "Prime Minister Elena Marsh promised that the hospital would open this year."
    )
    claimed, said, added, promised = statements
    assert (claimed.speaker, claimed.stance) == ("Dani Okafor", "claim")
    assert (said.speaker, said.cue, said.content) == (
        "Viktor Hale", "reportedly said", "the player had been warned twice")  # the hedge stays
    assert (added.speaker, added.cue, added.quote_type) == ("Viktor Hale", "added", "mixed")
    assert added.content == "the door was “still open” for Okafor"
    assert (promised.speaker, promised.stance, promised.content) == (
        "Elena Marsh", "promise", "the hospital would open this year")


def test_vowed_to_and_threatened_to() -> None:
    statements = extract(
        "Pike vowed to keep collecting signatures.\n"
        "The Royal College of Nursing threatened to ballot its members on strike action."
    )
    vowed, threatened = statements
    assert (vowed.stance, vowed.content) == ("promise", "keep collecting signatures")
    assert (threatened.speaker, threatened.stance) == ("Royal College of Nursing", "warn")
    assert threatened.content == "ballot its members on strike action"


def test_multi_sentence_quote_is_one_statement() -> None:
    text = (
        "Council member Joanna Pike was not convinced.\n"
        "“We have heard this before. Two years ago the council promised a review. "
        "Residents are tired of waiting,” she said."
    )
    s = only(text)  # "the council promised" inside the quote is not a statement of its own
    assert s.speaker == "Joanna Pike" and s.speaker_mention == "she"
    assert s.content == ("We have heard this before. Two years ago the council promised a review. "
                         "Residents are tired of waiting")
    assert s.quote_type == "direct"


def test_a_quote_that_goes_on_after_its_attribution_is_a_second_statement_by_the_speaker() -> None:
    text = (
        "“That silence is the real scandal here,” Mayor Elena Varga said on Wednesday. "
        "“We will not accept it. Not this time.”\n"
        "“We acted within the hour,” Kessler spokesman Adrian Falk said. "
        "“Every alarm was logged and reported.”"
    )
    varga, varga_goes_on, falk, falk_goes_on = extract(text)
    assert varga.content == "That silence is the real scandal here"
    assert varga_goes_on.content == "We will not accept it. Not this time."
    assert text[varga_goes_on.content_span[0] - 1] == "“"  # the whole second quote, nothing else
    assert text[varga_goes_on.content_span[1]] == "”"
    # One attribution covers both quotes: the same speaker, mention and cue.
    for first, goes_on in ((varga, varga_goes_on), (falk, falk_goes_on)):
        assert (goes_on.speaker, goes_on.speaker_span, goes_on.cue_span, goes_on.quote_type) == (
            first.speaker, first.speaker_span, first.cue_span, "direct")
    assert (falk.speaker, falk_goes_on.content) == ("Adrian Falk", "Every alarm was logged and reported.")
    # "reported" inside the continuation is part of what was said, not a statement of its own.
    assert [s.cue for s in extract(text)] == ["said"] * 4
    # "state" in the speaker's title is not another speech act that would make the quote unclear.
    said_x = extract("“We will appeal,” said state official Ana Ruiz. “This is not over.”")
    assert [(s.speaker, s.content) for s in said_x] == [("Ana Ruiz", "We will appeal"),
                                                         ("Ana Ruiz", "This is not over.")]


def test_a_quote_after_an_attribution_that_is_someone_elses_stays_theirs() -> None:
    first = "“That silence is the real scandal here,” Mayor Elena Varga said."
    new_paragraph = extract(first + "\n“We will not accept it.”")
    own_attribution = extract(first + " “We acted within the hour,” Adrian Falk said.")
    attribution_after_a_full_stop = extract(first + " “We acted within the hour.” Adrian Falk said.")
    quoted_phrase = extract(first + " The company called it “a bad day” on Tuesday.")
    another_speech_act = extract("“That silence is a scandal,” Elena Varga said, as the company denied "
                                 "it. “We acted within the hour.”")
    assert [s.content for s in new_paragraph] == ["That silence is the real scandal here"]
    assert [(s.speaker, s.content) for s in own_attribution + attribution_after_a_full_stop] == [
        ("Elena Varga", "That silence is the real scandal here"), ("Adrian Falk", "We acted within the hour"),
        ("Elena Varga", "That silence is the real scandal here"), ("Adrian Falk", "We acted within the hour."),
    ]
    assert [s.content for s in quoted_phrase] == ["That silence is the real scandal here"]
    assert "We acted within the hour." not in [s.content for s in another_speech_act]


def test_every_quote_of_a_run_after_an_attribution_is_a_statement_of_its_own() -> None:
    after_the_quote = extract("“We knew,” Tomas Reyes said. “It was old.” “Nobody listened to us.”")
    after_a_colon = extract("Harbor engineer Ana Ruiz said: “The valve failed at noon.” "
                            "“We shut the line within an hour.”")
    assert [s.content for s in after_the_quote] == ["We knew", "It was old.", "Nobody listened to us."]
    assert [s.content for s in after_a_colon] == ["The valve failed at noon.",
                                                  "We shut the line within an hour."]
    for statements, speaker in ((after_the_quote, "Tomas Reyes"), (after_a_colon, "Ana Ruiz")):
        first = statements[0]
        assert {(s.speaker, s.speaker_span, s.cue_span, s.quote_type) for s in statements} == {
            (speaker, first.speaker_span, first.cue_span, "direct")}


def test_a_quote_right_after_indirect_speech_goes_on_with_its_speaker() -> None:
    text = "Marta Lindqvist said the valve had failed on Tuesday. “We knew about it.” “We said so.”"
    said, goes_on, goes_on_again = extract(text)
    assert (said.content, said.quote_type) == ("the valve had failed", "indirect")
    assert [(s.speaker, s.content, s.quote_type) for s in (goes_on, goes_on_again)] == [
        ("Marta Lindqvist", "We knew about it.", "direct"), ("Marta Lindqvist", "We said so.", "direct")]
    assert goes_on.speaker_span == said.speaker_span and goes_on.cue_span == said.cue_span
    postposed = extract("The valve failed, Reyes said. “We knew about it.”")
    assert [(s.speaker, s.cue, s.content) for s in postposed] == [
        ("Reyes", "said", "The valve failed"), ("Reyes", "said", "We knew about it.")]
    # The speech act carries on as after a direct quote: a denial goes on denying.
    denied, goes_on = extract("Kessler Terminals denied the report. “Every alarm was logged.”")
    assert (goes_on.speaker, goes_on.cue, goes_on.stance) == ("Kessler Terminals", "denied", "deny")


@pytest.mark.parametrize("text", [
    "Reyes said the valve had failed.\n“We knew about it.”",  # a new paragraph
    "Reyes said the valve had failed, but the ministry disagreed. “We knew about it.”",
    "Reyes said the valve had failed; Falk did not. “We knew about it.”",
    "Reyes said Falk had warned him. “Do not drink the water.”",  # whose words: Reyes's or Falk's?
    "According to Reyes, the valve had failed. “We knew about it.”",
    "The valve had failed, according to Reyes. “We knew about it.”",
    "Reyes said the valve failed. Falk nodded. “We knew about it.”",  # not the sentence right before
    "Reyes said the valve failed. “Old valve” was the phrase.",  # a quoted phrase, not speech
])
def test_a_quote_after_indirect_speech_that_may_be_someone_elses_is_left_alone(text: str) -> None:
    statements = extract(text)
    assert all(s.speaker == "Reyes" for s in statements)
    assert [s for s in statements if s.quote_type == "direct"] == []


def test_a_quote_after_indirect_speech_with_an_attribution_of_its_own_is_that_speakers() -> None:
    statements = extract("Reyes said the valve failed. “We knew about it,” Falk said. "
                         "Reyes said the valve failed. “We knew?” the woman asked.")
    assert [(s.speaker, s.content) for s in statements if s.quote_type == "direct"] == [
        ("Falk", "We knew about it"), ("woman", "We knew?")]


def test_a_quote_after_a_sentence_with_two_speakers_is_left_alone() -> None:
    statements = extract("“That silence is a scandal,” Elena Varga said, and Kessler denied it. "
                         "“We acted within the hour.”\n"
                         "Ostra Valley Courier reported that Varga said the valve failed. “We knew.”")
    assert "We acted within the hour." not in [s.content for s in statements]
    assert "We knew." not in [s.content for s in statements]


def test_what_goes_on_after_a_denial_denies_and_after_a_question_is_read_for_itself() -> None:
    denied, goes_on = extract("“We hid nothing,” Kessler spokesman Adrian Falk denied. "
                              "“The valve was on the list.”")
    assert (goes_on.speaker, goes_on.cue, goes_on.stance) == ("Adrian Falk", "denied", "deny")
    # "asked" covers the question; what follows it is a question only if it asks one.
    asked, answer, asked_again, asks_again = extract("“Is the water safe?” Ruth Amsel asked. "
                                                     "“Nobody has told us anything.”\n"
                                                     "“Who knew?” she asked. “When did they know?”")
    assert (asked.stance, answer.stance) == ("question", "assert")
    assert (asked_again.stance, asks_again.stance) == ("question", "question")
    assert asks_again.content == "When did they know?"


def test_a_title_with_a_dot_after_a_quote_is_part_of_the_attribution() -> None:
    text = ("“Boiling does not make this water safe,” Dr. Ruth Amsel said.\n"
            "“We will appeal,” said Gov. Ana Ruiz, the state’s governor.\n"
            "“We were told nothing,” Mr. Reyes told reporters.")
    amsel, ruiz, reyes = extract(text)
    assert (amsel.speaker, amsel.speaker_mention, amsel.stance) == ("Ruth Amsel", "Ruth Amsel", "warn")
    assert (ruiz.speaker, ruiz.content) == ("Ana Ruiz", "We will appeal")
    assert (reyes.speaker, reyes.cue, reyes.content) == ("Reyes", "told", "We were told nothing")


def test_he_added_after_a_quote_resolves_to_the_last_speaker() -> None:
    statements = extract(
        "Yevgeny Prigozhin said the ministry was lying. Putin was not mentioned.\n"
        "“Huge chunks have been handed over to the enemy,” he added."
    )
    added = by_cue(statements, "added")
    assert (added.speaker, added.speaker_mention, added.content) == (
        "Yevgeny Prigozhin", "he", "Huge chunks have been handed over to the enemy")


def test_question_asked_and_requests_are_not_questions() -> None:
    statements = extract(
        "“Why did it take forty minutes?” asked Sam Reyes, whose shop burned.\n"
        "Transport Minister Jonas Albrecht asked for a report by Monday."
    )
    assert len(statements) == 1
    assert (statements[0].speaker, statements[0].stance) == ("Sam Reyes", "question")


def test_interrupted_attribution_and_dateline() -> None:
    statements = extract(
        "MARLOW BEND — Samples contain toluene, the Ostra Valley Environmental Agency said on Wednesday.\n"
        "The old depot, he said, sits upstream of the terminal."
    )
    first, second = statements
    assert first.content == "Samples contain toluene"
    assert second.content == "The old depot, he said, sits upstream of the terminal"


def test_a_claim_the_company_denied() -> None:
    statements = extract(
        "Kessler Terminals said the tank was safe.\n"
        "Tomas Reyes of the dockworkers’ union said the berm had been cracked for months, "
        "a claim the company denied."
    )
    said, denied = statements[1:]
    assert (said.speaker, said.content) == ("Tomas Reyes", "the berm had been cracked for months")
    assert (denied.speaker, denied.stance, denied.content) == (
        "Kessler Terminals", "deny", "the berm had been cracked for months")


def test_non_statements_are_not_extracted() -> None:
    text = (
        "The spokesperson did not say when the data would be published.\n"
        "Rask declined to say how many jobs would go.\n"
        "He responded to the claims on Monday.\n"
        "Prigozhin made several promises of retaliation.\n"
        "Workers reported a dripping valve to their supervisors.\n"
        "The minister was accused of lying."
    )
    assert extract(text) == ()


def test_empty_text_and_text_without_sentences() -> None:
    assert extract("") == ()
    assert extract("No quotes here at all") == ()


# --- speaker resolution ------------------------------------------------------------------------


def test_ministry_descriptions_resolve_to_one_canonical_name() -> None:
    statements = extract(
        "Yevgeny Prigozhin accused Russia’s defense ministry of authorizing an attack.\n"
        "The Defense Ministry denied the claims.\n"
        "The ministry added that its forces continue to fight.\n"
        "The Ministry of Defense said the reports were false."
    )
    ministry = [s for s in statements if s.speaker != "Yevgeny Prigozhin"]
    assert {s.speaker for s in ministry} == {"Russia's Defense Ministry"}
    assert statements[0].target == "Russia's Defense Ministry"
    assert [s.speaker_mention for s in ministry] == ["Defense Ministry", "ministry", "Ministry of Defense"]


def test_surnames_pronouns_and_role_descriptions() -> None:
    statements = extract(
        "Turkish Defense Ministry spokesperson Zeki Aktas said the aircraft stayed in international airspace.\n"
        "Greece’s foreign ministry said it had summoned the ambassador.\n"
        "The spokesperson dismissed the complaint.\n"
        "Aktas said talks would go on. She said nothing. It said more."
    )
    speakers = [s.speaker for s in statements]
    assert speakers[0] == "Zeki Aktas"
    assert speakers[1] == "Greece's Foreign Ministry"
    assert speakers[2] == "Zeki Aktas"  # "the spokesperson"
    assert speakers[3] == "Zeki Aktas"  # surname
    assert statements[5].speaker == "Greece's Foreign Ministry"  # "it": the last organisation


def test_they_resolves_to_a_group_and_the_company_to_a_business() -> None:
    statements = extract(
        "Carmaker Velto Motors said it would cut 1,200 jobs.\n"
        "Union representatives said they would fight the cuts.\n"
        "“We will not accept a single forced redundancy,” they said.\n"
        "The company said energy prices were to blame."
    )
    assert [s.speaker for s in statements] == [
        "Velto Motors", "Union representatives", "Union representatives", "Velto Motors"]


def test_unnamed_spokesman_speaks_for_the_organisation_and_short_names() -> None:
    statements = extract(
        "The State Ministry of Environment confirmed that it received the call.\n"
        "It was the ministry that alerted the city at 5:04 a.m., a ministry spokesman said.\n"
        "Kessler Terminals said it would cooperate. Kessler denied that."
    )
    assert statements[0].stance == "confirm"
    assert statements[1].speaker == "State Ministry of Environment"
    assert statements[1].content == "It was the ministry that alerted the city at 5:04 a.m."
    assert statements[3].speaker == "Kessler Terminals"
    assert (statements[3].content, statements[3].stance) == ("that", "deny")


def test_role_mentioned_before_the_name() -> None:
    statements = extract(
        "Four days ago its chief executive said no product had reached the water.\n"
        "Chief executive Dana Whitcombe disputed the figures."
    )
    assert [s.speaker for s in statements] == ["Dana Whitcombe", "Dana Whitcombe"]


def test_description_before_the_name_takes_the_name_of_the_same_role() -> None:
    statements = extract(  # the seed article: "leader" then "chief"
        "Officials denied attacking the group, as the force’s founder and leader promises revenge.\n"
        "Wagner’s chief Yevgeny Prigozhin accused the ministry of lying."
    )
    assert by_cue(statements, "promises").speaker == "Yevgeny Prigozhin"


def test_a_chief_executive_is_not_a_chief_or_a_leader() -> None:
    statements = extract(
        "The company’s chief said the tank was safe. The group’s leader said it was not.\n"
        "Chief executive Dana Whitcombe said the company would share its data."
    )
    assert [s.speaker for s in statements] == ["company's chief", "group's leader", "Dana Whitcombe"]


@pytest.mark.parametrize("title", [
    "Council President", "Deputy Prime Minister", "Foreign Minister", "Police Chief", "State Senator",
    "Board Chair", "Union Leader", "Supreme Court Justice", "Kessler Terminals Chief Executive",
    "Riverside Dockworkers’ Union President", "Chief Financial Officer", "County Sheriff", "House Speaker",
    "Secretary of State", "Kremlin Chief of Staff", "Chief of Police", "Council of Europe Secretary General",
    "U.N. Secretary-General",
])
def test_a_title_of_several_role_words_before_a_name_is_not_part_of_the_name(title: str) -> None:
    text = (f"“We will not rush this,” {title} Jonas Elm said. “The harbor belongs to the city.”\n"
            "Later, Elm said the council would meet again in April.")
    statements = extract(text)
    assert [(s.speaker, s.speaker_mention) for s in statements] == [
        ("Jonas Elm", "Jonas Elm"), ("Jonas Elm", "Jonas Elm"), ("Jonas Elm", "Elm")]
    assert only(f"{title} Jonas Elm said the vote would wait.").speaker == "Jonas Elm"


def test_an_organisation_named_as_the_speaker_keeps_its_whole_name() -> None:
    statements = extract(
        "Kessler Terminals said it would wait.\n"
        "The Riverside Dockworkers’ Union said the lease was a giveaway.\n"
        "The State Ministry of Environment said the tests were clean.\n"
        "The Police Federation said officers were ready.\n"
        "Union Pacific said the rail line was closed.\n"
        "The Union of Concerned Scientists said the data were thin.\n"
        "The Royal College of Nursing said nurses were tired.\n"
        "Council of Europe said the rules applied."
    )
    assert [s.speaker for s in statements] == [
        "Kessler Terminals", "Riverside Dockworkers' Union", "State Ministry of Environment",
        "Police Federation", "Union Pacific", "Union of Concerned Scientists", "Royal College of Nursing",
        "Council of Europe"]


# --- the seed article --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_statements() -> tuple[Statement, ...]:
    return extract(seed_text())


def test_seed_officials_denied_the_attack(seed_statements) -> None:
    s = by_cue(seed_statements, "denied")
    assert (s.speaker, s.stance, s.content) == (
        "Russian military officials", "deny", "attacking the mercenary Wagner Group")


def test_seed_prigozhin_accused_the_ministry(seed_statements) -> None:
    s = by_cue(seed_statements, "accused")
    assert (s.speaker, s.stance, s.target) == ("Yevgeny Prigozhin", "accuse", "Russia's Defense Ministry")
    assert s.content == "authorizing an attack against his forces"


def test_seed_claims_and_promise(seed_statements) -> None:
    claimed = by_cue(seed_statements, "claimed")
    assert claimed.speaker == "Yevgeny Prigozhin" and claimed.speaker_mention == "Prigozhin"
    assert claimed.content == "his camp came under fire from a “massive” missile attack"
    reported = by_cue(seed_statements, "reported")
    assert reported.speaker == "Kyiv Post" and reported.content.startswith("Prigozhin claimed")
    promised = by_cue(seed_statements, "promised")
    assert (promised.speaker, promised.speaker_mention, promised.stance) == ("Yevgeny Prigozhin", "He", "promise")
    assert "punish “everyone”" in promised.content


def test_seed_ministry_statements(seed_statements) -> None:
    telegram = by_cue(seed_statements, "saying")
    assert (telegram.speaker, telegram.stance, telegram.quote_type) == (
        "Russia's Defense Ministry", "deny", "direct")
    assert telegram.content.startswith("All the messages and video footage")
    assert telegram.content.endswith("are untrue and are an informational provocation.")
    added = by_cue(seed_statements, "added")
    assert (added.speaker, added.speaker_mention) == ("Russia's Defense Ministry", "ministry")


def test_seed_peskov_he_added_and_ukraine(seed_statements) -> None:
    peskov = [s for s in seed_statements if s.speaker == "Dmitry Peskov"]
    assert len(peskov) == 1 and peskov[0].stance == "assert"
    assert peskov[0].content.startswith("Russian President Vladimir Putin was aware")
    he_added = by_cue(seed_statements, "added", 1)
    assert (he_added.speaker, he_added.speaker_mention) == ("Yevgeny Prigozhin", "he")
    assert he_added.content == "Huge chunks [of land] have been handed over to the enemy"
    ukraine = [s for s in seed_statements if s.speaker == "Ukraine"][0]
    assert ukraine.content == "it had made progress in the vital Zaporizhzhia region"


def test_speed_one_thousand_sentences() -> None:
    text = "\n".join([seed_text()] * 100)  # 100 x 11 sentences, dense with attribution
    sentences = split_sentences("big", text)
    assert len(sentences) >= 1000
    started = time.thread_time()  # this thread's CPU time: other threads and processes do not count
    statements = extract_statements("big", text, sentences)
    elapsed = time.thread_time() - started
    assert len(statements) >= 100 * 14
    assert elapsed < 1.0, f"{elapsed:.2f} s of CPU for {len(sentences)} sentences"


FRAGMENTS = [
    "“", "”", '"', ",", ".", "?", " ", "\n", "\n\n", "said", "he", "The ministry", "according to",
    "Dmitry Peskov", "denied", "that", "accused", "of", "Kessler", "to", "vowed", "“We won,”",
    "saying,", "— ", "MARLOW BEND", "a claim", "U.S.", "5 a.m.", "Ortiz’s", "and", "but",
]


def test_arbitrary_text_never_breaks_spans() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=120, deadline=None)
    @given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=6), max_size=40))
    def check(parts: list[str]) -> None:
        extract(" ".join(parts))  # extract() asserts that every span matches its field

    check()


# --- through the real model and index ---------------------------------------------------------

COUNCIL_STORY = """---
title: Council delays vote on Pier 9 lease
source: Harbor Ledger
---
The Marlow Bend city council postponed its vote on the Pier 9 lease on Tuesday after residents packed the chamber. "We will not rush this," Council President Jonas Elm said. "The harbor belongs to the city, not to one company."

Later, Elm said the council would meet again in April.
"""
VALVE_STORY = """---
title: Terminal knew about the failing valve
source: Riverline Wire
---
Harbour Authority chief executive Marta Lindqvist said the valve at Pier 9 had failed twice before the leak. "We knew about it." "We told Kessler in January."

Kessler spokesman Adrian Falk said: "The valve was on our repair list." "It was due to be replaced in April."
"""


@pytest.fixture(scope="module", params=BACKENDS)
def council_assistant(request, tmp_path_factory, real_embedder):
    """The two stories ingested with the real model, on the embedded index and on PostgreSQL."""
    from assistant.facade import Assistant

    folder = tmp_path_factory.mktemp("council")
    (folder / "stories").mkdir()
    (folder / "stories" / "council.md").write_text(COUNCIL_STORY, encoding="utf-8")
    (folder / "stories" / "valve.md").write_text(VALVE_STORY, encoding="utf-8")
    settings = backend_settings(request.param, folder)
    request.addfinalizer(lambda: release_backend(settings))
    assistant = Assistant(settings, embedder=real_embedder)
    request.addfinalizer(lambda: assistant.index.close())
    report = assistant.ingest([folder / "stories"])
    assert report.ok, report.problems
    return assistant


@pytest.mark.integration
def test_what_a_person_with_a_title_said_is_found_by_their_name(council_assistant) -> None:
    answer = council_assistant.ask("What did Jonas Elm say?")
    assert answer.answerable
    assert answer.text.splitlines()[:4] == [
        "3 statements by Jonas Elm:",
        "- **Jonas Elm** said: “We will not rush this” (Harbor Ledger) [1]",
        "- **Jonas Elm** said: “The harbor belongs to the city, not to one company.” (Harbor Ledger) [2]",
        "- **Jonas Elm** said: the council would meet again in April (Harbor Ledger) [3]",
    ]
    check_citations(council_assistant, answer)


@pytest.mark.integration
def test_quotes_that_go_on_after_reported_speech_or_a_colon_are_the_speakers(council_assistant) -> None:
    lindqvist = council_assistant.ask("What did Marta Lindqvist say?")
    assert "- **Marta Lindqvist** said: “We knew about it.” (Riverline Wire) [2]" in lindqvist.text
    assert "- **Marta Lindqvist** said: “We told Kessler in January.” (Riverline Wire) [3]" in lindqvist.text
    falk = council_assistant.ask("What did Adrian Falk say?")
    assert "- **Adrian Falk** said: “It was due to be replaced in April.” (Riverline Wire) [2]" in falk.text
    for answer in (lindqvist, falk):
        assert answer.text.startswith(f"{len(answer.statements)} statements by ")
        check_citations(council_assistant, answer)
