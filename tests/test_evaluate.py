"""MultiHop-RAG retrieval scoring, the index built through ingest, and the report with baselines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import evaluate
from assistant.errors import InputError
from assistant.settings import load_settings

from .conftest import SHARED, drop_postgres_database, fresh_postgres_database

BODY_STRIKE = (
    "Dock workers in Rotterdam walked out on Monday over pay and shift patterns, closing the container "
    "terminal for two days. The union said the strike would continue until the port operator "
    "improved its offer, and shipping lines diverted vessels to Antwerp and Hamburg."
)
ARTICLES = [
    {"id": "a1", "title": "Rotterdam dock strike", "source": "Fortune", "published_at": "2023-11-02T10:00:00+00:00",
     "url": "https://fortune.com/dock-strike", "body": BODY_STRIKE},
    # The same wire story under another outlet's headline: ingest folds it into a1.
    {"id": "a2", "title": "Port workers walk out", "source": "The Age", "published_at": "2023-11-02T12:00:00+00:00",
     "url": "https://theage.com.au/port-strike", "body": BODY_STRIKE},
    {"id": "a3", "title": "Apple unveils titanium iPhone", "source": "The Verge", "published_at": "2023-10-05T09:00:00+00:00",
     "url": "https://theverge.com/iphone", "body": "Apple unveiled a titanium iPhone with a faster chip and a better camera."},
    {"id": "a4", "title": "OpenAI raises money", "source": "TechCrunch", "published_at": "2023-10-20T09:00:00+00:00",
     "url": "https://techcrunch.com/openai", "body": "OpenAI raised new funding from Microsoft as investors valued it highly."},
    {"id": "a5", "title": "City library wing", "source": None, "published_at": None, "url": None,
     "body": "The city library opened a new wing for children with a reading garden."},
]
QUERIES = [
    {"id": 1, "query": "Which port closed after dock workers went on strike, as reported by The Age?",
     "answer": "Rotterdam", "question_type": "inference_query",
     "evidence": [{"title": "Port workers walk out", "fact": "Dock workers in Rotterdam walked out."}]},
    {"id": 2, "query": "Did The Verge report on the iPhone while TechCrunch covered OpenAI funding from Microsoft?",
     "answer": "Yes", "question_type": "comparison_query",
     "evidence": [{"title": "Apple unveils titanium iPhone", "fact": "..."}, {"title": "OpenAI raises money", "fact": "..."}]},
    {"id": 3, "query": "What did the mayor of Lyon say?", "answer": "Insufficient information.",
     "question_type": "null_query", "evidence": []},
]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "multihop"
    folder.mkdir()
    (folder / "articles.jsonl").write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    (folder / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in QUERIES), encoding="utf-8")
    return folder


def test_scores_are_article_level_and_averaged_over_queries():
    rankings = [["a", "b", "c", "d", "e"], ["x", "y"]]
    golds = [{"b", "e"}, {"z"}]
    figures = evaluate.score(rankings, golds)
    assert figures == {
        "hits@4": 0.5, "hits@10": 0.5, "mrr@10": 0.25, "evidence_recall@10": 0.5,
        "all_evidence@4": 0.0, "all_evidence@10": 0.5,
    }


def test_a_ranking_counts_each_article_once_and_only_its_first_ten():
    ranking = ["a", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "gold"]
    assert evaluate.score([ranking], [{"gold"}])["hits@10"] == 0.0
    assert evaluate.score([["a", "a", "a", "gold"]], [{"gold"}])["all_evidence@4"] == 1.0


def test_scores_by_question_type():
    by_type = evaluate.score_by_type([["a"], ["b"]], [{"a"}, {"c"}], ["comparison_query", "temporal_query"])
    assert by_type["comparison_query"]["hits@4"] == 1.0 and by_type["temporal_query"]["hits@4"] == 0.0
    assert by_type["comparison_query"]["queries"] == 1


def test_loading_excludes_null_queries_and_honours_the_limit(dataset):
    data = evaluate.load_multihop(dataset)
    assert [q.id for q in data.queries] == ["1", "2"] and len(data.articles) == 5
    assert data.queries[1].gold_titles == ("Apple unveils titanium iPhone", "OpenAI raises money")
    assert [q.id for q in evaluate.load_multihop(dataset, limit=1).queries] == ["1"]


def test_a_missing_dataset_file_names_the_file(tmp_path):
    with pytest.raises(InputError, match="articles.jsonl: the MultiHop-RAG file is missing"):
        evaluate.load_multihop(tmp_path)


def test_a_folded_wire_copy_is_retrieved_through_its_original(dataset, tmp_path, fake_embedder, settings):
    data = evaluate.load_multihop(dataset)
    built = evaluate.build_index(data, tmp_path / "index", fake_embedder, settings)
    assert built.duplicates == 1
    assert built.key_of_title["Port workers walk out"] == built.key_of_title["Rotterdam dock strike"]
    rankings, golds, seconds = evaluate.run_newsdesk(built, fake_embedder, settings, data.queries)
    assert rankings[0][0] == built.key_of_title["Port workers walk out"]  # The Age's copy, via Fortune's original
    assert set(rankings[1][:2]) == golds[1]
    assert len(seconds) == 2
    built.index.close()


def test_the_report_compares_with_both_llama_index_baselines(dataset, fake_embedder, settings):
    report = evaluate.retrieval_report(dataset, fake_embedder, settings)
    assert report["queries"] == 2 and report["index"]["folded_copies"] == 1
    assert report["newsdesk"]["all_evidence@10"] == 1.0
    assert set(report["baselines"]) == {"llama-index dense", "llama-index BM25"}
    for name, figures in report["baselines"].items():
        assert 0.0 <= figures["hits@10"] <= 1.0
        assert report["ratios"][name]["hits@10"] == pytest.approx(1.0 / figures["hits@10"])
    table = evaluate.format_report(report)
    assert "| newsdesk / llama-index BM25 |" in table and "comparison_query" in table


MULTIHOP = SHARED / "data" / "multihop-rag"


@pytest.mark.skipif(not MULTIHOP.is_dir(), reason="../shared/data/multihop-rag is not beside the checkout")
def test_multihop_retrieval_figures_match_on_both_backends(tmp_path):
    """The same index migrated into PostgreSQL + milvus-lite retrieves exactly as the embedded one:
    FTS5 and Milvus only find keyword candidates, both are scored with the records' statistics."""
    from assistant.embed import HashingEmbedder
    from assistant.evaluate import retrieval_report

    url = fresh_postgres_database()
    try:
        report = retrieval_report(MULTIHOP, HashingEmbedder(), load_settings(environ={}), limit=60,
                                  baselines=False, workdir=tmp_path, scale_out_records=url)
    finally:
        drop_postgres_database(url)
    ours, theirs = report["newsdesk"], report["scale_out"]
    for metric in ("hits@4", "hits@10", "mrr@10", "evidence_recall@10", "all_evidence@4", "all_evidence@10"):
        assert ours[metric] == theirs[metric], (metric, ours[metric], theirs[metric])
