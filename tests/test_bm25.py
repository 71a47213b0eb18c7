"""Our own BM25: terms, statistics changes and scoring (the same on every backend)."""

from __future__ import annotations

import math

import pytest

from assistant import bm25


def test_terms_are_lower_case_porter_stems_in_order():
    assert bm25.terms("The Ministry DENIED strikes, denying it") == ["the", "ministri", "deni", "strike", "deni", "it"]
    assert bm25.query_terms(["denied", "denies", "strikes"]) == ["deni", "strike"]  # one stem counts once


def test_idf_is_positive_even_for_a_word_in_most_chunks():
    stats = bm25.TermStats(chunks=10, tokens=100, holding={"rare": 1, "common": 9})
    assert stats.idf("rare") > stats.idf("common") > 0
    assert stats.idf("rare") == pytest.approx(math.log(1 + 9.5 / 1.5))
    assert stats.idf("absent") == pytest.approx(math.log(1 + 10.5 / 0.5))


def test_scores_saturate_with_repeats_and_favour_short_chunks():
    stats = bm25.TermStats(chunks=100, tokens=1000, holding={"solvent": 5})
    once = bm25.score(["solvent"], "solvent " + "x " * 9, stats)
    twice = bm25.score(["solvent"], "solvent solvent " + "x " * 8, stats)
    long = bm25.score(["solvent"], "solvent " + "x " * 39, stats)
    assert 0 < long < once < twice < 2 * once
    assert bm25.score(["river"], "solvent", stats) == 0.0


def test_ranked_keeps_matches_only_best_first_ties_by_rowid():
    stats = bm25.TermStats(chunks=3, tokens=9, holding={"river": 2})
    texts = {7: "the river rose", 3: "the river rose", 5: "nothing here at all"}
    assert [r for r, _ in bm25.ranked(["river"], texts, stats, 10)] == [3, 7]
    assert len(bm25.ranked(["river"], texts, stats, 1)) == 1


def test_a_tally_of_added_and_removed_chunks_nets_out():
    tally = bm25.TermTally().add(["The river rose", "river river"])
    assert (tally.chunks, tally.tokens, tally.changes()) == (2, 5, {"the": 1, "river": 2, "rose": 1})
    tally.add(["river river"], sign=-1)
    assert (tally.chunks, tally.tokens, tally.changes()) == (1, 3, {"the": 1, "river": 1, "rose": 1})
    assert tally.add(["The river rose"], sign=-1).empty


def test_a_stem_keeps_the_first_letter_of_its_word_which_scoring_relies_on():
    from .conftest import SAMPLE_DIR

    words = {w for path in SAMPLE_DIR.iterdir() for w in bm25._words(path.read_text(encoding="utf-8"))}
    words |= {"eyed", "ies", "yes", "say", "ties", "conflated", "generalization", "happy", "agreed"}
    assert len(words) > 500
    assert [w for w in words if bm25.stem(w)[:1] != w[:1]] == []
    assert bm25.score(["ei"], "eyed eyed", bm25.TermStats(2, 4, {"ei": 1})) > 0  # "eyed" -> "ei"


def test_scoring_counts_exactly_the_terms_a_full_tokenisation_finds():
    text = "Eyed by the agency, the solvent's owners denied; solvents reached Río rivers. Denial, denials!"
    query = bm25.query_terms(["denied", "solvent", "eyed", "río", "river", "agency"])
    stats = bm25.TermStats(chunks=50, tokens=600, holding={t: 3 for t in query})
    frequency = {t: bm25.terms(text).count(t) for t in query}
    assert frequency == {"deni": 1, "solvent": 2, "ei": 1, "río": 1, "river": 1, "agenc": 1}  # "denial" is not "deni"
    norm = bm25.K1 * (1 - bm25.B + bm25.B * bm25.length(text) / stats.average_length)
    expected = sum(stats.idf(t) * n * (bm25.K1 + 1) / (n + norm) for t, n in frequency.items())
    assert bm25.score(query, text, stats) == pytest.approx(expected)
