"""Sentence splitting and chunking: exact offsets, news abbreviations, quotes, paragraphs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.records import Sentence
from assistant.segment import make_chunks, sentence_spans, split_sentences

SEED = Path("/work/shared/data/seed/wagner.txt")


def sentences_of(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


def test_offsets_are_exact_and_trimmed() -> None:
    text = "  First one here.   Second one?\n\n  Third!  "
    assert sentence_spans(text) == [(2, 17), (20, 31), (35, 41)]
    assert sentences_of(text) == ["First one here.", "Second one?", "Third!"]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Mr. Smith met Dr. Jones and Gen. Mark Milley. They talked.",
            ["Mr. Smith met Dr. Jones and Gen. Mark Milley.", "They talked."],
        ),
        (
            "Sen. Jane Doe, Rep. John Roe and Gov. Ann Poe met Mrs. Lee in St. Petersburg. It rained.",
            [
                "Sen. Jane Doe, Rep. John Roe and Gov. Ann Poe met Mrs. Lee in St. Petersburg.",
                "It rained.",
            ],
        ),
        (
            "The U.S. Army and the U.N. mission left the U.K. base. The U.S. said so.",
            ["The U.S. Army and the U.N. mission left the U.K. base.", "The U.S. said so."],
        ),
        (
            "Troops were sent by the U.S. The Kremlin objected.",
            ["Troops were sent by the U.S.", "The Kremlin objected."],
        ),
        (
            "Messages on behalf of E. Prigozhin are untrue. George W. Bush agreed.",
            ["Messages on behalf of E. Prigozhin are untrue.", "George W. Bush agreed."],
        ),
        (
            "It happened on Jan. 5 and Feb. 12 at 9 a.m. Monday. Acme Inc. said No. 10 was shut.",
            ["It happened on Jan. 5 and Feb. 12 at 9 a.m. Monday.", "Acme Inc. said No. 10 was shut."],
        ),
        (
            "Acme Corp. and Beta Co. Ltd. merged. Shares rose 3.5 percent, or $1.25. That was it.",
            ["Acme Corp. and Beta Co. Ltd. merged.", "Shares rose 3.5 percent, or $1.25.", "That was it."],
        ),
        (
            "It was Ukraine vs. Russia at 5 p.m. The match ended.",
            ["It was Ukraine vs. Russia at 5 p.m.", "The match ended."],
        ),
    ],
)
def test_abbreviations_initials_and_decimals(text: str, expected: list[str]) -> None:
    assert sentences_of(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "He said the claims were “untrue.” The ministry agreed.",
            ["He said the claims were “untrue.”", "The ministry agreed."],
        ),
        ('She said "no way." Then she left.', ['She said "no way."', "Then she left."]),
        (
            "“We will win,” he said. “Never,” said Peskov.",
            ["“We will win,” he said.", "“Never,” said Peskov."],
        ),
        ("“Is it true?” she asked. Nobody answered!", ["“Is it true?” she asked.", "Nobody answered!"]),
        ("“Why now?” Dmitry Peskov asked. Nobody knew.", ["“Why now?” Dmitry Peskov asked.", "Nobody knew."]),
        ("Really?! Yes... and no. Done.", ["Really?!", "Yes... and no.", "Done."]),
    ],
)
def test_quotes_question_and_exclamation_marks(text: str, expected: list[str]) -> None:
    assert sentences_of(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("“We won. We will keep winning,” he added.", ["“We won. We will keep winning,” he added."]),
        (  # data/sample: the second half was shown as a cited answer line on its own
            '"Every liter of that product stayed inside our containment berm. No product reached '
            'the river," chief executive Dana Whitcombe said. The port stayed open.',
            ['"Every liter of that product stayed inside our containment berm. No product reached '
             'the river," chief executive Dana Whitcombe said.', "The port stayed open."],
        ),
        (
            "“They told us nothing reached the river. Now they tell us it did. What else will "
            "change next week?” she said. Tomas Reyes agreed.",
            ["“They told us nothing reached the river. Now they tell us it did. What else will "
             "change next week?” she said.", "Tomas Reyes agreed."],
        ),
        (
            "Nowak dismissed that. “The water was cold. Fish do not suffocate in that,” he said.",
            ["Nowak dismissed that.", "“The water was cold. Fish do not suffocate in that,” he said."],
        ),
        ("“Why? Why now?” Dmitry Peskov asked. Nobody knew.", ["“Why? Why now?” Dmitry Peskov asked.", "Nobody knew."]),
    ],
)
def test_a_short_quote_of_several_sentences_stays_with_its_attribution(
    text: str, expected: list[str]
) -> None:
    assert sentences_of(text) == expected


def test_unattributed_and_long_quotes_are_split_at_their_sentences() -> None:
    unattributed = "Varga spoke. “That silence is the scandal. We will not accept it.” Then she left."
    assert sentences_of(unattributed) == [
        "Varga spoke.", "“That silence is the scandal.", "We will not accept it.”", "Then she left."
    ]
    long_quote = "“" + "We waited for hours at the gate. " * 15 + "Nobody came,” he said."
    assert len(sentences_of(long_quote)) == 16


def test_paragraph_breaks_always_end_a_sentence() -> None:
    text = "BREAKING NEWS\nThe first paragraph ends without a dot\n\nSecond paragraph. Two."
    assert sentences_of(text) == [
        "BREAKING NEWS",
        "The first paragraph ends without a dot",
        "Second paragraph.",
        "Two.",
    ]


def test_hard_wrapped_lines_are_joined() -> None:
    text = "The ministry said the\nreports were false. It added\nnothing else."
    assert sentences_of(text) == [
        "The ministry said the\nreports were false.",
        "It added\nnothing else.",
    ]


def test_empty_and_blank_text() -> None:
    assert sentence_spans("") == []
    assert sentence_spans(" \n\n \t") == []
    assert sentences_of("No final punctuation") == ["No final punctuation"]


def test_seed_article_sentences() -> None:
    text = SEED.read_text(encoding="utf-8")
    found = sentences_of(text)
    assert "Prigozhin claimed his camp came under fire from a “massive” missile attack, Kyiv Post reported." in found
    assert found[-3:] == [
        "This is a developing story.",
        "Check back for further updates.",
        "Fox News Digital’s Caitlin McFall contributed to this report.",
    ]
    assert any(s.startswith("The Defense Ministry responded") and s.endswith("provocation.”") for s in found)
    assert len(found) == 17


def test_split_sentences_records() -> None:
    text = "One. Two? Three!"
    assert split_sentences("a1", text) == (
        Sentence("a1", 0, 0, 4, "One."),
        Sentence("a1", 1, 5, 9, "Two?"),
        Sentence("a1", 2, 10, 16, "Three!"),
    )


def test_sentence_splitting_is_fast() -> None:
    paragraph = (
        "Mr. Smith said the U.S. Army left at 9 a.m. on Jan. 5. “We are done,” he said. "
        "Prices rose 3.5 percent. Did it matter? Nobody knew!\n"
    )
    text = paragraph * 4000  # 20,000 sentences
    started = time.thread_time()  # this thread's CPU time: other threads and processes do not count
    spans = sentence_spans(text)
    elapsed = time.thread_time() - started
    assert len(spans) == 20_000
    assert elapsed < 1.0, f"{elapsed:.2f} s of CPU for 20,000 sentences"


# --- chunks ------------------------------------------------------------------------------------


def chunk_texts(text: str, max_chars: int, overlap: int) -> list[str]:
    sentences = split_sentences("art", text)
    return [chunk.text for chunk in make_chunks("art", text, sentences, max_chars, overlap)]


def test_chunks_are_sentence_aligned_with_overlap_and_ids() -> None:
    text = "Aaaa one. Bbbb two. Cccc three. Dddd four. Eeee five."
    sentences = split_sentences("art", text)
    chunks = make_chunks("art", text, sentences, max_chars=20, overlap_sentences=1)
    assert [c.id for c in chunks] == [f"art:{i}" for i in range(len(chunks))]
    for chunk in chunks:
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.end - chunk.start <= 20
    assert [c.text for c in chunks] == [
        "Aaaa one. Bbbb two.",
        "Cccc three.",
        "Dddd four.",
        "Eeee five.",
    ]


def test_overlap_repeats_the_last_sentence() -> None:
    text = "Aaaa one. Bbbb two. Cccc three. Dddd four. Eeee five."
    assert chunk_texts(text, max_chars=32, overlap=1) == [
        "Aaaa one. Bbbb two. Cccc three.",
        "Cccc three. Dddd four.",
        "Dddd four. Eeee five.",
    ]
    assert chunk_texts(text, max_chars=32, overlap=0) == [
        "Aaaa one. Bbbb two. Cccc three.",
        "Dddd four. Eeee five.",
    ]


def test_long_sentence_is_a_chunk_alone_and_chunking_always_advances() -> None:
    long = "This sentence is much longer than the limit allows for one chunk."
    text = f"Short one. {long} Short two."
    assert chunk_texts(text, max_chars=20, overlap=3) == ["Short one.", long, "Short two."]


def test_huge_overlap_never_loops() -> None:
    text = " ".join(f"S{i} x." for i in range(50))
    chunks = chunk_texts(text, max_chars=30, overlap=100)
    assert len(chunks) <= 50
    assert chunks[-1].endswith("S49 x.")


def test_chunks_prefer_paragraph_boundaries_when_half_full() -> None:
    text = "First para one. First para two.\nSecond para one. Second para two."
    # 31 characters in the first paragraph: more than half of 60, so the chunk stops there.
    assert chunk_texts(text, max_chars=60, overlap=0) == [
        "First para one. First para two.",
        "Second para one. Second para two.",
    ]
    # Less than half full: the chunk grows across the paragraph break.
    assert chunk_texts("Tiny.\nSecond para one. Second para two.", max_chars=80, overlap=0) == [
        "Tiny.\nSecond para one. Second para two."
    ]


def test_blank_lines_mark_paragraphs_when_present() -> None:
    text = "Para one a.\nPara one b.\n\nPara two a. Para two b."
    assert chunk_texts(text, max_chars=24, overlap=0) == [
        "Para one a.\nPara one b.",
        "Para two a. Para two b.",
    ]


def test_chunk_covers_every_sentence_of_the_seed_article() -> None:
    text = SEED.read_text(encoding="utf-8")
    sentences = split_sentences("seed", text)
    chunks = make_chunks("seed", text, sentences, max_chars=900, overlap_sentences=1)
    covered = {s.index for s in sentences for c in chunks if c.start <= s.start and s.end <= c.end}
    assert covered == {s.index for s in sentences}
    assert all(c.end - c.start <= 900 for c in chunks)
    assert all(later.start > earlier.start for earlier, later in zip(chunks, chunks[1:]))


def test_no_sentences_no_chunks_and_bad_limit() -> None:
    assert make_chunks("a", "", (), 900, 1) == ()
    with pytest.raises(ValueError, match="max_chars"):
        make_chunks("a", "One.", split_sentences("a", "One."), 0, 1)
