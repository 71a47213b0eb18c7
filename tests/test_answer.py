"""The extractive answer engine on the sample coverage, with the fast hashing embedder.

What a user sees: the answer leads with the right sentence or speaker, every [n] is a verbatim span
of the stored article, tables have the promised columns, off-topic questions are refused.
"""

from __future__ import annotations

import re

import pytest

from assistant.answer import AnswerEngine
from assistant.answer_evidence import (
    STANCE_WORDS, Candidate, CitationBook, content_stems, holds_expected, match_speakers, passes_filters, read_question,
    remove_near_duplicates, source_label, speaker_keys, stem, word_pairs,
)
from assistant.answer_compare import figures_as_written, place_kinds, quantities, relate
from assistant.answer_modes import WHO_COLUMNS
from assistant.embed import HashingEmbedder
from assistant.errors import NewsdeskError
from assistant.facade import Assistant
from assistant.records import Answer, ArticleInfo, Filters, Sentence

from .conftest import BACKENDS, sample_on_backend

HARBOR = "Harbor Ledger (fictional)"
SENTINEL = "The Daily Sentinel (fictional)"


@pytest.fixture(scope="module", params=BACKENDS)
def assistant(request, tmp_path_factory) -> Assistant:
    """The sample coverage in the embedded index and in PostgreSQL + milvus-lite: every test
    below runs against both backends."""
    return sample_on_backend(request, tmp_path_factory.mktemp("backend"), HashingEmbedder())


def check_citations(assistant: Assistant, answer: Answer) -> None:
    """Every citation is the stored text of its span; numbers run 1..n in order of first use."""
    for citation in answer.citations:
        stored = assistant.index.article_text(citation.article.id)
        assert citation.text == stored[citation.start:citation.end]
        assert citation.text.strip()
    assert [c.number for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    parts = [answer.text]
    if answer.table:
        parts += [cell for row in answer.table.rows for cell in row] + list(answer.table.notes)
    used = [int(n) for part in parts for n in re.findall(r"\[(\d+)\]", part)]
    first_use = list(dict.fromkeys(used))
    assert first_use == list(range(1, len(answer.citations) + 1))


def cited_sentences_are_quoted(answer: Answer) -> None:
    """Each citation's text appears in the answer right before its marker (verbatim quoting)."""
    for citation in answer.citations:
        marker = f"[{citation.number}]"
        assert marker in answer.text or answer.table is not None


# ----------------------------------------------------------------------------- ask


def test_ask_quotes_stored_sentences_with_verified_citations(assistant):
    answer = assistant.ask("How much toluene leaked from the tank?")
    assert answer.answerable
    assert answer.engine == "extractive"
    assert answer.citations
    check_citations(assistant, answer)
    for citation in answer.citations:
        assert f"{citation.text} [{citation.number}]" in answer.text  # quoted verbatim, then cited
    assert "liters" in answer.text


def test_ask_who_denied_leads_with_the_speaker_and_the_statement(assistant):
    answer = assistant.ask("Who denied attacking the Wagner Group?")
    first_line = answer.text.splitlines()[0]
    assert first_line.startswith(("**Russian military officials**", "**Russia's Defense Ministry**"))
    assert "denied" in first_line
    assert answer.statements and answer.statements[0].stance == "deny"
    check_citations(assistant, answer)


def test_ask_does_not_repeat_near_identical_sentences(assistant):
    answer = assistant.ask("Did Kessler call the state emergency line within 40 minutes?")
    texts = [c.text for c in answer.citations]
    assert len(texts) == len(set(texts))
    stems = [set(content_stems(t)) for t in texts]
    for i in range(len(stems)):
        for j in range(i + 1, len(stems)):
            overlap = len(stems[i] & stems[j]) / len(stems[i] | stems[j])
            assert overlap < 0.6, (texts[i], texts[j])


def test_ask_respects_outlet_filter(assistant):
    answer = assistant.ask("What did the company say about the river?", filters=Filters(outlets=(HARBOR,)))
    assert answer.citations
    assert {c.article.outlet for c in answer.citations} == {HARBOR}
    assert answer.filters.outlets == (HARBOR,)


NORTHBANK = "Northbank Daily (fictional)"


def wire_original(assistant: Assistant) -> str:
    """The id of the Riverline Wire story Northbank Daily ran (recorded as its wire copy)."""
    return next(a.duplicate_of for a in assistant.index.list_articles() if a.duplicate_of)


def test_an_outlet_filter_takes_in_the_wire_story_the_outlet_ran(assistant):
    wire = wire_original(assistant)
    for mode in ("ask", "who"):
        answer = assistant.ask("What did Elena Varga say?", mode=mode, filters=Filters(outlets=(NORTHBANK,)))
        assert answer.answerable and answer.statements, mode
        assert {s.speaker for s in answer.statements} == {"Elena Varga"}
        assert {c.article.id for c in answer.citations} == {wire}  # the stored text: the original's
        assert f"Riverline Wire (fictional), 2024-03-13; also published by {NORTHBANK}" in answer.text
        check_citations(assistant, answer)
    dated = assistant.ask("Who accused Kessler of keeping the city in the dark?", filters=Filters(
        outlets=(NORTHBANK,), since="2024-03-13", until="2024-03-13"))
    assert dated.answerable and {c.article.id for c in dated.citations} == {wire}


def test_what_an_outlet_reported_includes_the_wire_story_it_ran(assistant):
    answer = assistant.ask("What did Northbank Daily report?")
    own = {a.id for a in assistant.index.list_articles() if a.outlet == NORTHBANK and not a.duplicate_of}
    check_leads_of(assistant, answer, own | {wire_original(assistant)})
    # the wire story's heading says Northbank ran it
    assert "**Riverline Wire (fictional)** (2024-03-13; also published by Northbank Daily (fictional)): " in answer.text
    check_citations(assistant, answer)


def test_a_source_label_gives_the_day_a_copy_ran_when_it_is_not_the_originals():
    copies = (("Paper", "2024-03-15T08:00:00+01:00"), ("Gazette", "2024-03-13"))
    info = ArticleInfo("w", "Story", "Wire", "2024-03-13", None, ("Paper", "Gazette"), copies)
    assert source_label(info) == "Wire, 2024-03-13; also published by Paper on 2024-03-15, Gazette"


def test_a_wire_copy_counts_as_a_publication_for_statement_filters():
    info = ArticleInfo("w", "Story", "Wire", "2024-03-13", None, ("Paper",), (("Paper", "2024-03-15T08:00:00+01:00"),))
    assert passes_filters(info, Filters(outlets=("Paper",)))
    assert passes_filters(info, Filters(outlets=("Paper",), since="2024-03-15"))
    assert not passes_filters(info, Filters(outlets=("Paper",), until="2024-03-14"))  # the paper ran it on the 15th
    assert not passes_filters(info, Filters(outlets=("Wire",), since="2024-03-14"))
    assert passes_filters(info, Filters(since="2024-03-15", until="2024-03-15"))
    assert not passes_filters(info, Filters(outlets=("Other",)))
    assert not passes_filters(info, Filters(outlets=("Paper",), article_ids=("x",)))


def articles_dated(assistant: Assistant, day: str) -> set[str]:
    """The indexed articles published on `day` (a wire copy is counted under its original)."""
    return {a.id for a in assistant.index.list_articles()
            if (a.published_at or "").startswith(day) and not a.duplicate_of}


def check_leads_of(assistant: Assistant, answer: Answer, article_ids: set[str]) -> None:
    """Each of the articles is quoted from its lead (first sentence), and only from its first two."""
    assert {c.article.id for c in answer.citations} == article_ids
    for article_id in article_ids:
        first_two = assistant.index.sentences(article_id)[:2]
        cited = [c for c in answer.citations if c.article.id == article_id]
        assert min(c.start for c in cited) == first_two[0].start
        assert all(c.end <= first_two[-1].end for c in cited)


DATE_ALONE_QUESTIONS = [  # (question, the day it asks about) in the sample coverage
    ("What happened on March 13?", "2024-03-13"),
    ("What was reported on 14 March 2024?", "2024-03-14"),
    ("What did the papers say on March 15?", "2024-03-15"),
    ("What did each outlet report on March 13?", "2024-03-13"),
    ("How did the coverage differ on March 14?", "2024-03-14"),
]


@pytest.mark.parametrize("question, day", DATE_ALONE_QUESTIONS)
def test_a_question_about_a_date_alone_quotes_the_leads_of_that_days_articles(assistant, question, day):
    answer = assistant.ask(question)
    assert answer.answerable, answer.text
    count = len(articles_dated(assistant, day))
    assert answer.text.startswith(f"Coverage published on {day} ({count} article{'s' if count > 1 else ''}):\n\n**")
    check_leads_of(assistant, answer, articles_dated(assistant, day))
    check_citations(assistant, answer)


def test_a_span_with_more_articles_than_are_shown_says_so_and_shows_the_latest(assistant, monkeypatch):
    monkeypatch.setattr("assistant.answer_modes.MAX_DATE_ARTICLES", 2)
    answer = assistant.ask("What happened between March 12 and March 15?")
    found = set().union(*(articles_dated(assistant, f"2024-03-1{d}") for d in range(2, 6)))
    assert answer.text.startswith(f"Coverage published from 2024-03-12 to 2024-03-15 (the 2 most recent of "
                                  f"{len(found)} articles found):")
    assert {c.article.published_at[:10] for c in answer.citations} == {"2024-03-15", "2024-03-14"}
    check_citations(assistant, answer)


def test_a_date_no_article_was_published_on_is_refused_naming_it_and_the_days_covered(assistant):
    answer = assistant.ask("What happened on March 20?")  # no year: the year the coverage holds
    assert not answer.answerable
    assert answer.text == ("The coverage does not answer this question. No article in the coverage was "
                           "published on 2024-03-20 (“March 20”); its articles are dated 2024-03-12 to 2024-03-15.")
    assert answer.citations == ()


def test_a_date_alone_keeps_to_the_filters_set(assistant):
    wrong_outlet = assistant.ask("What happened on March 13?", filters=Filters(outlets=(HARBOR,)))
    later = assistant.ask("What happened on March 13?", filters=Filters(since="2024-03-14"))
    for answer in (wrong_outlet, later):  # Harbor Ledger published nothing that day
        assert not answer.answerable
        assert answer.text == "The coverage does not answer this question. Nothing in the coverage matches the filters you set."
    sentinel = assistant.ask("What happened between March 14 and March 15?", filters=Filters(outlets=(SENTINEL,)))
    assert sentinel.text.startswith("Coverage published from 2024-03-14 to 2024-03-15 (1 article):")
    assert {c.article.outlet for c in sentinel.citations} == {SENTINEL}


def test_what_the_sentinel_reported_is_what_the_daily_sentinel_reported(assistant):
    short = assistant.ask("What did the Sentinel report?")
    assert short.answerable, short.text
    assert short.text == assistant.ask("What did The Daily Sentinel report?").text
    assert {c.article.outlet for c in short.citations} == {SENTINEL}


def test_off_topic_question_is_refused_with_closest_passages(assistant):
    answer = assistant.ask("What is the capital of France?")
    assert not answer.answerable
    assert answer.text.startswith("The coverage does not answer this question.")
    assert answer.citations == ()
    assert answer.passages


def test_question_naming_an_outlet_without_coverage_is_refused(assistant):
    answer = assistant.ask("What did a Bloomberg article report about the solvent leak?")
    assert not answer.answerable
    assert "Bloomberg" in answer.text


def test_empty_question_and_unknown_mode_are_user_errors(assistant):
    engine = AnswerEngine(assistant.index, assistant.embedder, assistant.settings)
    assert engine.name == "extractive"
    with pytest.raises(NewsdeskError, match="question is empty"):
        engine.ask("   ")
    with pytest.raises(NewsdeskError, match="Unknown mode 'debate'"):
        engine.ask("Who denied it?", mode="debate")


# ----------------------------------------------------------------------------- who said what


def test_who_mode_lists_every_statement_of_a_speaker_named_by_surname(assistant):
    answer = assistant.ask("What did Peskov say?", mode="who")
    assert answer.table is not None and answer.table.columns == WHO_COLUMNS
    assert answer.table.rows and all(row[0] == "Dmitry Peskov" for row in answer.table.rows)
    assert all(s.speaker == "Dmitry Peskov" for s in answer.statements)
    assert answer.text.startswith("1 statement by Dmitry Peskov")
    assert re.fullmatch(r"\[\d+\]", answer.table.rows[0][-1])
    check_citations(assistant, answer)


def test_who_mode_matches_a_partial_organisation_name(assistant):
    answer = assistant.ask("List every statement by the Defense Ministry.", mode="who")
    expected = assistant.statements(speaker="Russia's Defense Ministry")
    assert len(answer.table.rows) == len(expected) >= 2
    assert {row[0] for row in answer.table.rows} == {"Russia's Defense Ministry"}
    check_citations(assistant, answer)


def test_who_denied_what_keeps_denials_about_the_topic(assistant):
    answer = assistant.ask("Who denied what about the strikes?", mode="who")
    rows = answer.table.rows
    assert rows[0][0] == "Russia's Defense Ministry"
    # every row a denial: by its verb ("denied", the reporter's "rejected"), or read from what was
    # said ("said, denying")
    assert all(STANCE_WORDS.get(row[1]) == "deny" or row[1].endswith(", denying") for row in rows)
    assert "untrue" in rows[0][2]
    check_citations(assistant, answer)


def test_who_mode_shows_what_a_bare_denial_refers_to(assistant):
    answer = assistant.ask("Who denied that the valve was reported?", mode="who")
    row = next(r for r in answer.table.rows if r[0] == "Kessler Terminals" and r[2].startswith("that"))
    # "denied: that" alone would tell the reader nothing: the claim denied follows in brackets,
    # the first of Reyes's two (his "They were told ..." only supports it)
    assert row[2] == ("that [Tomas Reyes said: workers had reported a dripping valve on Tank 7 "
                      "to their supervisors two weeks before the leak]")


def test_who_mode_shows_the_explanation_a_rejection_answers(assistant):
    answer = assistant.ask("What did Marcus Obi say?", mode="who")
    row = next(r for r in answer.table.rows if r[2].startswith("that explanation"))
    # Whitcombe's plan to share data, said last, is no explanation: the company's depot claim is
    assert row[2].startswith("that explanation [Kessler Terminals said: the downstream readings")
    assert "former Northbank fuel depot" in row[2] and "share its data" not in row[2]
    cited = next(c for c in answer.citations if f"[{c.number}]" == row[5])
    assert "may reflect historic contamination" in cited.text and "Obi rejected" in cited.text


def test_who_mode_for_a_person_without_statements_says_so(assistant):
    answer = assistant.ask("What did Angela Merkel say about the spill?", mode="who")
    assert not answer.answerable
    assert answer.text.startswith("The coverage does not answer this question.")


# ----------------------------------------------------------------------------- compare


def test_compare_has_a_column_per_named_outlet_and_marks_differences(assistant):
    answer = assistant.ask(
        "What did the Harbor Ledger and The Daily Sentinel each report about whether product reached the river?",
        mode="compare",
    )
    table = answer.table
    assert table is not None
    assert table.columns[1:3] == (HARBOR, SENTINEL) and table.columns[-1] == "Notes"
    assert all(len(row) == len(table.columns) for row in table.rows)
    cells = [cell for row in table.rows for cell in row[1:-1]]
    assert any(cell == "not reported" for cell in cells) or all(re.search(r"\[\d+\]$", c) for c in cells)
    marks = " ".join(table.notes) + " ".join(row[-1] for row in table.rows)
    assert "⚠" in marks
    check_citations(assistant, answer)


def test_compare_text_reads_on_its_own(assistant):
    answer = assistant.ask("How do the outlets' accounts of whether the solvent reached the river differ?", mode="compare")
    assert "**What each outlet reported**" in answer.text
    assert len([line for line in answer.text.splitlines() if line.startswith("- **")]) >= 2
    check_citations(assistant, answer)


def test_compare_sets_a_bare_rejection_against_the_claim_it_answers(assistant):
    answer = assistant.ask("How did Kessler and the agency disagree about the depot?", mode="compare")
    assert "that explanation [Kessler Terminals said:" in answer.text
    # Whitcombe's plan, said just before "Obi rejected that explanation.", is not what he rejected
    for line in answer.text.splitlines():
        assert not ("contradicts" in line and "share its data" in line and "that explanation" in line)
    check_citations(assistant, answer)


def test_relate_marks_denial_against_assertion_and_differing_figures():
    assert relate("the crack in the berm had been visible for months",
                  "the crack in the berm had been visible for months", True, False) == "⚠ contradicts"
    assert relate("roughly 3,000 liters of toluene escaped", "raised its estimate of the toluene leak to 9,500 liters",
                  False, False, frozenset({"toluene"})) == "⚠ figures differ"
    assert relate("workers reported a dripping valve", "the fish died from low oxygen", True, False) == ""
    assert quantities("3,000 liters and forty thousand liters at 10:40 p.m.") == {"liter": {3000.0, 40000.0}}


def test_figures_are_shown_as_written_with_the_words_that_hedge_them():
    assert figures_as_written('the caller reported "a few hundred liters" of toluene, not the 3,000 liters') == {
        "liter": ["a few hundred liters", "3,000 liters"]}
    assert figures_as_written("as much as 40,000 liters may have escaped") == {"liter": ["as much as 40,000 liters"]}
    assert figures_as_written("roughly 3,000 liters escaped at 10:40 p.m.") == {"liter": ["roughly 3,000 liters"]}
    assert figures_as_written("the company said nothing") == {}


def test_relate_takes_close_vectors_as_agreement_only_for_one_polarity_and_shared_words():
    a, b = "Residents lined up for bottled water on Thursday.", "On Thursday, people queued for bottled water."
    assert relate(a, b, False, False) == ""  # 3 of 7 words shared: not enough by words alone
    assert relate(a, b, False, False, paraphrase=True) == "✓ agrees"
    assert relate(a, "Schools stayed open on Thursday.", False, False, paraphrase=True) == ""  # nothing shared
    assert relate("No bottled water reached residents on Thursday.", b, True, False, paraphrase=True) != "✓ agrees"
    assert relate("Residents were given 3,000 liters of bottled water.", "Residents were given 900 liters of "
                  "bottled water.", False, False, paraphrase=True) == "⚠ figures differ"


def test_claims_about_opposite_places_do_not_contradict():
    upstream = "The old depot sits upstream of the terminal, where the agency's samples showed no toluene at all"
    downstream = "Water samples taken downstream of the Kessler Terminals site contain toluene at fourteen times the limit"
    topic = frozenset({"toluen", "leak"})
    assert relate(upstream, downstream, True, False, topic) == ""
    # the same two claims about one place do contradict
    assert relate(upstream.replace("upstream", "downstream"), downstream, True, False, topic) == "⚠ contradicts"


def test_a_place_named_in_one_statement_is_the_kind_of_place_the_other_denies_reaching():
    kinds = place_kinds(["A storm drain empties into the Ostra River.", "The Ostra Valley Courier reported it."])
    assert kinds == {"ostra": {"river", "valley"}}
    denial, claim = "No product reached the river", "Material from the Kessler site reached the Ostra"
    topic = frozenset({"solvent", "reach", "river"})
    assert relate(denial, claim, True, False, topic) == ""  # without knowing what the Ostra is
    assert relate(denial, claim, True, False, topic, kinds=kinds) == "⚠ contradicts"


# ----------------------------------------------------------------------------- summarize


def test_summary_covers_each_outlet_once_and_cites_every_sentence(assistant):
    answer = assistant.ask("Give me a sourced summary of the Marlow Bend spill", mode="summarize")
    assert answer.answerable
    headings = re.findall(r"^\*\*(.+?)\*\*", answer.text, flags=re.MULTILINE)
    assert len(headings) == len(set(headings)) >= 3
    assert "Fox News" not in headings  # the Wagner story is not part of this one
    for line in filter(None, answer.text.splitlines()):
        # every line ends with a citation, or with whom its last sentence's "he" or "the union" means
        assert re.search(r"\[\d+\]( \([^()]+: [^()]+\))?$", line), line
    check_citations(assistant, answer)


def test_timeline_is_in_date_order(assistant):
    answer = assistant.ask("Give me a timeline of the Marlow Bend spill", mode="summarize")
    days = re.findall(r"^\*\*(\d{4}-\d{2}-\d{2})\*\*$", answer.text, flags=re.MULTILINE)
    assert days == sorted(days) and len(days) >= 3
    check_citations(assistant, answer)


# ----------------------------------------------------------------------------- pieces


def test_question_reading_finds_speakers_stances_and_timeline():
    speakers = ["Russia's Defense Ministry", "Ukraine's Defense Ministry", "Dana Whitcombe", "Kessler Terminals",
                "the company"]
    q = read_question("Who denied what the Defense Ministry said?", speakers)
    assert q.stances == ("deny",) and q.asks_who
    assert q.speakers == ()  # "who denied what X said": X is whom it was said about, not who said it
    assert read_question("Who accused Kessler of a silence?", speakers).speakers == ()
    assert set(read_question("What did the Defense Ministry deny?", speakers).speakers) == {
        "Russia's Defense Ministry", "Ukraine's Defense Ministry"}
    assert read_question("what did russia's defense ministry claim", speakers).speakers == ("Russia's Defense Ministry",)
    assert read_question("What did WHITCOMBE say?", speakers).speakers == ("Dana Whitcombe",)
    assert read_question("Why did Kessler blame low oxygen?", speakers).speakers == ("Kessler Terminals",)
    assert read_question("Give me a timeline of the spill", speakers).timeline
    assert read_question("Did anyone dispute the agency's estimate?", speakers).stems == ("agency", "estimat")
    # An estimate asked for is a figure; whether anyone disputed it is not.
    assert read_question("What was the company's estimate?", speakers).expects == "quantity"
    assert read_question("What did the agency estimate?", speakers).expects == "quantity"
    assert read_question("How did Kessler's estimate change over time?", speakers).expects == "quantity"
    assert read_question("Did anyone dispute the agency's estimate?", speakers).expects == ""
    # "over time" frames a development: "time" is no topic word ("fourteen times the safe limit").
    over_time = read_question("How did Kessler's estimate change over time?", speakers)
    assert "estimat" in over_time.stems and "time" not in over_time.stems
    assert "time" in read_question("What time did the leak start?", speakers).all_stems
    # a possessive before what was said names the speaker; before a role it does not
    assert read_question("How did Kessler's account change?", speakers).speakers == ("Kessler Terminals",)
    assert read_question("What did Kessler's chief executive say?", speakers).speakers == ()
    assert read_question("How much leaked?", speakers).expects == "amount"
    assert read_question("How long was the city kept in the dark?", speakers).expects == "duration"
    assert read_question("How many workers reported the valve?", speakers).expects == "quantity"
    assert read_question("How did the outlets report the amount of toluene that leaked?", speakers).expects == "amount"
    assert read_question("What was the number of wells tested?", speakers).expects == "quantity"
    # a question for what a name is (describe.py); a role asks for a name instead
    assert read_question("Who is Tomas Reyes?", speakers).identity == "Tomas Reyes"
    assert read_question("Who is the mayor?", speakers).identity == ""
    # the newest report asked for; "latest" is no topic word
    latest = read_question("What is the latest on the spill?", speakers)
    assert latest.latest and latest.stems == ("spill",)
    assert not read_question("What did the mayor say last?", speakers).latest
    assert not read_question("Who reviewed the band's latest tour?", speakers).latest
    assert read_question("Give me the latest updates on the inquiry", speakers).latest
    assert read_question("What is the latest from Kessler?", speakers).latest
    assert read_question("Why did the agency warn residents?", speakers).expects == "cause"
    # "caused" frames the question: "can cause headaches" is no answer to what caused the leak
    assert read_question("What caused the leak?", speakers).stems == ("leak",)
    assert read_question("What caused the leak?", speakers).expects == "cause"
    assert read_question("Where did the leak happen?", speakers).expects == "place"
    # a wh-word the conversation put at the end ("Why?" after a question)
    assert read_question("Who disputed the agency's figures, and why?", speakers).expects == "cause"
    assert read_question("Who disputed the agency's figures, and when?", speakers).expects == "time"
    # how it was said is no topic: "in response"
    assert read_question("What did the agency say in response?", speakers).stems == ("agency",)
    # "where" inside a clause asks for no place
    assert read_question("What did the minister say in the assembly where she spoke?", speakers).expects == ""
    # "anything" is no topic: "Did the company admit anything?" is about the company's admissions
    assert read_question("Did the company admit anything?", speakers).stems == ("company",)
    # criticism is an accusation to the extractor ("criticized", "condemned")
    assert read_question("Who criticized Kessler?", speakers).stances == ("accuse",)
    # "acknowledged" is extracted as a confirmation: a question for admissions asks for it too
    assert read_question("What did Kessler admit?", speakers).stances == ("admit", "confirm")
    # what someone said, or what they did
    assert read_question("What did Kessler say about the river?", speakers).asks_speech
    assert read_question("Why did Kessler blame low oxygen?", speakers).asks_speech
    assert not read_question("Did Kessler change its story?", speakers).asks_speech
    assert speaker_keys("the company") == []  # not a name a question can point at


@pytest.mark.parametrize("text, expects, holds", [
    ("as much as 40,000 liters may have escaped", "amount", True),
    ("toluene at fourteen times the state's safe limit", "amount", False),  # a ratio, no amount
    ("fined $2 million", "amount", True),
    ("which he said killed a “huge amount” of his troops", "quantity", True),  # vague, still a count
    ("dozens of workers were hurt", "quantity", True),
    ("the company said nothing to this city", "quantity", False),
    ("for more than six hours", "duration", True),
    ("a few hundred meters from people's homes", "duration", False),
    ("at 11:20 p.m. on Monday", "time", True),
    ("Kessler Terminals denied that its leak was the source.", "time", False),
    ("Kessler Terminals said a valve on its Tank 7 failed at about 10:40 p.m.", "cause", True),
    ("Kessler has said the fish died from low oxygen levels, which it blamed on the weather", "cause", True),
    ("Mayor Elena Varga said the city was not told about the leak", "cause", False),
    ("A storage tank at the Kessler Terminals site on Pier 4 leaked toluene", "place", True),
    ("Residents lined up for bottled water on Thursday", "place", False),  # a day, no place
    ("the ministry said the caller described a minor leak", "place", False),
    # a venue with no name is a place too; a statement is not one
    ("chief executive Dana Whitcombe said at a news conference at the port gate", "place", True),
    ("In a written statement, the company said the readings may reflect historic contamination", "place", False),
])
def test_a_sentence_holds_what_how_much_how_long_how_many_when_why_and_where_ask_for(text, expects, holds):
    assert holds_expected(text, expects) is holds


def test_word_pairs_keep_framing_words_and_skip_stopwords():
    assert word_pairs("Did Kessler change its story?") == {("kessler", "chang"), ("chang", "story")}
    assert ("chang", "story") in word_pairs("The company has changed its story twice in four days.")
    assert word_pairs("Kessler?") == frozenset()


def test_a_title_written_before_a_speakers_name_is_no_topic_of_the_question():
    speakers = ["Elena Varga", "Marcus Obi", "Riverside Dockworkers' Union"]
    assert read_question("What did Mayor Elena Varga say?", speakers).stems == ()
    assert read_question("What did the agency director Marcus Obi say?", speakers).stems == ()
    # a role word elsewhere in the question is still what it is about
    assert read_question("What did Varga say about the mayor's office?", speakers).stems == ("mayor", "offic")


def test_match_speakers_needs_whole_words():
    assert match_speakers("What did Obiang say?", ["Marcus Obi"]) == ((), set())


def test_stemming_matches_verb_forms():
    assert stem("denied") == stem("denies") == stem("deny")
    assert stem("strikes") == stem("strike") == stem("striking")
    # a noun in "-ation" matches its verb: "the mayor's accusation" finds "accused"
    assert stem("accusation") == stem("accusations") == stem("accused")
    assert stem("confirmation") == stem("confirmed") and stem("allegations") == stem("alleged")
    assert stem("station") == "station" and stem("nation") == "nation"  # short words keep their ending
    # a short word whose ending took its "e"; a doubled or an x/w/y consonant had none
    assert stem("fined") == stem("fine") == stem("fines") and stem("hiring") == stem("hired") == stem("hire")
    assert stem("fixed") == stem("fix") and stem("aimed") == stem("aim") and stem("hitting") != stem("hite")
    assert stem("gases") == stem("gas") and stem("boxes") == stem("box")
    # irregular forms are looked up: "How many fish died?" finds "dead fish"
    assert stem("died") == stem("dies") == stem("dying") == stem("dead") == stem("deaths") == stem("die")
    assert stem("began") == stem("begun") == stem("begin") and stem("fled") == stem("flee")
    assert stem("broken") == stem("break") and stem("took") == stem("take") == stem("taking")


def _candidate(article_id: str, index: int, text: str, score: float) -> Candidate:
    info = ArticleInfo(article_id, "t", "Outlet", None, None)
    c = Candidate(Sentence(article_id, index, 0, len(text), text), info, index, 1.0, 0.5,
                  frozenset(content_stems(text)))
    c.score = score
    return c


def test_near_duplicates_across_articles_are_dropped_keeping_the_best():
    a = _candidate("a", 0, "The ministry said the caller described a minor leak fully contained on site.", 0.9)
    b = _candidate("b", 3, "The ministry said the caller described a minor leak, fully contained on site, on Monday.", 0.8)
    c = _candidate("c", 1, "Residents lined up for bottled water on Thursday.", 0.7)
    assert remove_near_duplicates([a, b, c]) == [a, c]


def test_a_headline_held_in_a_fuller_lede_gives_its_place_to_the_lede():
    headline = _candidate("a", 0, "Council delays vote on Pier 9 lease", 0.8)
    lede = _candidate("a", 1, "The Marlow Bend city council delayed its vote on the Pier 9 lease on Tuesday "
                              "after residents packed the chamber.", 0.7)
    other = _candidate("b", 0, "Kessler Terminals said it would wait for the council's decision.", 0.6)
    assert remove_near_duplicates([headline, other, lede]) == [lede, other]


def test_citation_book_numbers_by_first_appearance_and_refuses_bad_spans(assistant):
    article_id = assistant.list_articles()[0].id
    info = assistant.index.article_infos([article_id])[article_id]
    book = CitationBook(assistant.index)
    late, early = book.cite(info, 10, 30), book.cite(info, 0, 5)
    assert book.cite(info, 0, 10**9) == ""  # outside the stored text: never cited
    text, rows, notes, citations = book.finish(f"First{early}. Then{late}.", [("x", f"again{early}")])
    assert text == "First [1]. Then [2]."
    assert rows == (("x", "again [1]"),)
    stored = assistant.index.article_text(article_id)
    assert [(c.number, c.text) for c in citations] == [(1, stored[0:5]), (2, stored[10:30])]


def test_one_engine_answers_concurrent_questions(assistant):
    from concurrent.futures import ThreadPoolExecutor

    engine = AnswerEngine(assistant.index, assistant.embedder, assistant.settings)
    questions = [("How much toluene leaked from the tank?", "ask"), ("What did Peskov say?", "who"),
                 ("Give me a timeline of the Marlow Bend spill", "summarize"),
                 ("Who denied what about the strikes?", "who")] * 3
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda qm: engine.ask(qm[0], mode=qm[1]), questions))
    for answer in answers:
        assert answer.answerable
        check_citations(assistant, answer)
    assert answers[0].text == answers[4].text  # the same question, the same answer


def test_a_stance_read_from_what_was_said_keeps_the_verb_as_written():
    from assistant.answer_modes import said_as, stance_with_target
    from assistant.records import Statement

    def statement(cue: str, stance: str, target: str | None = None) -> Statement:
        return Statement(article_id="a", index=0, speaker="Kessler Terminals", speaker_mention="the company",
                         speaker_span=(0, 11), cue=cue, cue_span=(12, 16), content="the readings reflect the depot",
                         content_span=(17, 47), quote_type="indirect", stance=stance, target=target)

    assert said_as(statement("said", "deny")) == "said, denying"  # the stance came from the context
    assert said_as(statement("denied", "deny")) == "denied"
    assert said_as(statement("said", "assert")) == "said"
    # Every stance read from what was said, not only denials.
    assert [said_as(statement("said", stance)) for stance in ("warn", "accuse", "promise", "question")] == [
        "said, warning", "said, accusing", "said, promising", "said, asking"]
    assert said_as(statement("added", "warn")) == "added, warning"
    assert said_as(statement("reportedly said", "warn")) == "reportedly said, warning"
    # A verb that carries the stance itself is shown as the stance.
    assert [said_as(statement(cue, stance)) for cue, stance in (
        ("warned", "warn"), ("promised", "promise"), ("asked", "question"), ("claimed", "claim"))] == [
        "warned", "promised", "questioned", "claimed"]
    assert said_as(statement("According to", "warn")) == "said, warning"  # shown as "said" when it asserts
    assert said_as(statement("According to", "assert")) == "said"
    # "responded ..., saying, “... untrue”": a participle reads as "said" on a line of its own
    assert said_as(statement("saying", "deny")) == "said, denying"
    assert stance_with_target(statement("accused", "accuse", "Norvex")) == "accused Norvex"


def test_the_latest_report_is_the_newest_article_close_in_meaning_even_with_few_of_the_words():
    # Friday's report shares few of the question's words, so its fused score is under the share
    # that counts a passage as on the question; it is still the closest in meaning, and newest.
    from assistant.answer_modes import Evidence, _latest_report
    from assistant.query import QueryHints
    from assistant.records import Chunk, Passage
    from assistant.retrieve import Retrieval

    def article(day: str, outlet: str, score: float, dense: float):
        info = ArticleInfo(id=f"a-{day}", title=f"Report of {day}", outlet=outlet, published_at=day, url=None)
        sentence = Sentence(info.id, 0, 0, 20, f"The lead of {day}.")
        candidate = Candidate(sentence=sentence, article=info, position=0, retrieval=score, chunk_dense=dense,
                              stems=frozenset())
        return Passage(Chunk(f"{info.id}:0", info.id, 0, 0, 20, sentence.text), info, score), dense, candidate

    rows = [article("2024-03-13", HARBOR, 1.88, 0.50), article("2024-03-14", "Northbank", 1.59, 0.43),
            article("2024-03-15", SENTINEL, 1.11, 0.53), article("2024-03-16", "Off topic", 1.00, 0.20)]
    retrieval = Retrieval(question="What is the latest on the spill?", passages=tuple(p for p, _, _ in rows),
                          filters=Filters(), recognised=QueryHints(),
                          dense_scores={p.chunk.id: d for p, d, _ in rows})
    evidence = Evidence(retrieval=retrieval, candidates=[c for _, _, c in rows], statements=(), infos={})
    assert _latest_report(evidence).article.outlet == SENTINEL  # not the newer, unrelated one


def _retrieval_of(rows):
    """A Retrieval over one-chunk articles: rows of (outlet, text, fused score, cosine)."""
    from assistant.query import QueryHints
    from assistant.records import Chunk, Passage
    from assistant.retrieve import Retrieval

    passages, dense = [], {}
    for n, (outlet, text, score, cosine) in enumerate(rows):
        info = ArticleInfo(id=f"a{n}", title=text, outlet=outlet, published_at="2024-03-12", url=None)
        passages.append(Passage(Chunk(f"a{n}:0", info.id, 0, 0, len(text), text), info, score))
        dense[f"a{n}:0"] = cosine
    return Retrieval(question="", passages=tuple(passages), filters=Filters(), recognised=QueryHints(),
                     dense_scores=dense)


def test_passages_on_the_question_are_those_holding_its_topic_word_not_those_near_in_score():
    from assistant.answer_modes import passages_on_question

    # A port story's passage near the best in both scores holds no "strike": not on the question.
    strike = _retrieval_of([("Fox News", "The ministry denied the strike on the camps.", 2.1, 0.37),
                            ("Riverline Wire", "The accounts of the night differ, the union said.", 1.35, 0.39),
                            ("Fox News", "Prigozhin said the strike killed his men.", 1.85, 0.35)])
    assert [p.article.outlet for p in passages_on_question(strike, ("strik",))] == ["Fox News", "Fox News"]
    # Every outlet's report of the leak is on "Did the outlets agree on how much leaked?", however
    # far ahead the best passage's keyword score is.
    leak = _retrieval_of([(SENTINEL, "The company raised its estimate of the leak to 9,500 liters.", 1.9, 0.51),
                          (HARBOR, "Roughly 3,000 liters leaked, the company said.", 1.05, 0.41),
                          ("Valley Public Radio", "Residents lined up for water after the leak.", 1.0, 0.46),
                          ("Fox News", "The ministry denied the strike.", 0.9, 0.10)])
    assert {p.article.outlet for p in passages_on_question(leak, ("agre", "leak"))} == {
        SENTINEL, HARBOR, "Valley Public Radio"}
    # Without the question's words, scores decide as before.
    assert [p.article.outlet for p in passages_on_question(leak)] == [SENTINEL]
