"""Answerability: refuse when the coverage does not answer, never stretch; calibration runs."""

from __future__ import annotations

import json

import pytest

from assistant.embed import HashingEmbedder
from assistant.errors import InputError
from assistant.facade import Assistant
from assistant.refusal import (
    NOT_ANSWERED, Signals, calibrate, decide, load_queries, names_in, outlet_known, outlets_named, rescore,
    unknown_outlets,
)
from assistant.settings import load_settings

KNOWN = ["The Verge", "TechCrunch", "FOX News - Health", "BBC News - Entertainment & Arts", "CBSSports.com",
         "Harbor Ledger (fictional)"]


def test_outlets_named_as_sources_are_found():
    assert outlets_named("According to a Bloomberg article and a report by The Wall Street Journal, who ...") == [
        "Bloomberg", "The Wall Street Journal"]
    assert outlets_named("as reported by both The Verge and TechCrunch, who is accused ...") == ["The Verge", "TechCrunch"]
    assert outlets_named("Did The Age report that the deal was signed?") == ["The Age"]
    assert outlets_named("What was published in October about the trial?") == []
    assert outlets_named("What did the ministry say, according to Marcus Obi?") == []  # a person, not an outlet


def test_outlet_names_match_loosely():
    assert outlet_known("Fox News", KNOWN) and outlet_known("BBC", KNOWN) and outlet_known("CBS Sports", KNOWN)
    assert outlet_known("the Harbor Ledger", KNOWN)
    assert not outlet_known("Bloomberg", KNOWN)
    assert unknown_outlets("What did an article from Reuters and The Verge say?", KNOWN) == ("Reuters",)
    assert unknown_outlets("What did an article from Reuters say?", []) == ()  # no outlet metadata: cannot judge


def test_names_skip_the_first_word_outlets_and_framing():
    assert names_in("Who denied that Kessler Terminals knew about the valve?") == ["Kessler", "Terminals"]
    assert names_in("What did Fox News say about Prigozhin's threats?", skip=["Fox News"]) == ["Prigozhin"]


def test_decide_refuses_for_each_reason_and_says_why():
    good = Signals(best_sentence=0.7, best_chunk=0.6, coverage=0.8, names=("Prigozhin",))
    assert decide(good).answerable
    outlet = decide(Signals(best_sentence=0.9, best_chunk=0.9, coverage=1.0, unknown_outlets=("Bloomberg",)))
    assert not outlet.answerable
    assert outlet.reason == f"{NOT_ANSWERED} The coverage has no articles from Bloomberg."
    names = decide(Signals(best_sentence=0.45, best_chunk=0.4, coverage=0.3, names=("Sutter", "David"),
                           missing_names=("Sutter", "David")))
    assert not names.answerable and "“Sutter” or “David”" in names.reason
    weak = decide(Signals(best_sentence=0.1, best_chunk=0.1, coverage=0.1))
    assert not weak.answerable and weak.reason.startswith(NOT_ANSWERED)


def test_missing_outlet_or_names_are_doubts_when_the_evidence_is_strong():
    strong = dict(best_sentence=0.8, best_chunk=0.7, coverage=0.9)
    # Half the index's articles have no known outlet: the named outlet may be among them.
    assert decide(Signals(**strong, unknown_outlets=("Zee Business",), outlet_metadata=0.5)).answerable
    assert not decide(Signals(best_sentence=0.4, best_chunk=0.4, coverage=0.3, unknown_outlets=("Zee Business",),
                              outlet_metadata=0.5)).answerable
    assert decide(Signals(**strong, names=("Walker",), missing_names=("Walker",))).answerable


def test_rescore_counts_refusals_by_kind():
    report = rescore([(True, Signals(best_sentence=0.1)), (True, Signals(best_sentence=0.9, best_chunk=0.9, coverage=1)),
                      (False, Signals(best_sentence=0.9, best_chunk=0.9, coverage=1))])
    assert (report.null_refused, report.null_queries, report.answerable_refused) == (1, 2, 0)
    assert report.null_refused_rate == 0.5 and "null queries refused: 1/2 (50.0%)" in report.summary()


def test_load_queries_names_the_bad_line(tmp_path):
    (tmp_path / "queries.jsonl").write_text('{"query": "q", "question_type": "null_query"}\n{"oops": 1}\n')
    with pytest.raises(InputError, match=r"queries.jsonl \(line 2\): not a MultiHop-RAG query"):
        load_queries(tmp_path)
    with pytest.raises(InputError, match="not found"):
        load_queries(tmp_path / "missing")


def test_calibrate_runs_on_a_small_benchmark(tmp_path):
    articles = [
        {"id": "a1", "title": "Rover finds ice", "source": "The Verge", "published_at": "2023-10-01",
         "body": "The Perseverance rover found water ice near the crater rim, NASA said on Monday."},
        {"id": "a2", "title": "Bankman-Fried trial", "source": "TechCrunch", "published_at": "2023-10-03",
         "body": "The criminal trial of Sam Bankman-Fried, the founder of FTX, opened in New York."},
    ]
    queries = [
        {"id": 1, "query": "Which rover found water ice near the crater rim according to The Verge?",
         "question_type": "inference_query"},
        {"id": 2, "query": "Whose criminal trial opened in New York, as reported by TechCrunch?",
         "question_type": "inference_query"},
        {"id": 3, "query": "According to a Bloomberg article, which bank did Zorblax Quimby buy in 2021?",
         "question_type": "null_query"},
    ]
    (tmp_path / "articles.jsonl").write_text("\n".join(json.dumps(a) for a in articles))
    (tmp_path / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries))
    settings = load_settings(environ={}, indexes_dir=tmp_path / "indexes")
    assistant = Assistant(settings, embedder=HashingEmbedder())
    assistant.ingest([tmp_path / "articles.jsonl"])
    report = calibrate(assistant.index, assistant.embedder, settings, tmp_path)
    assert (report.null_queries, report.answerable_queries) == (1, 2)
    assert report.null_refused == 1 and report.answerable_refused == 0
    assert len(report.signals) == 3
