"""The benchmarks in smoke mode (tiny sizes, hashing embedder) so they cannot rot.

Timings are never asserted here: only that every step runs and reports what it should.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.read import read_path
from bench.common import latency_summary, percentile
from bench.corpus import (
    MAX_WORDS, MIN_WORDS, generate_article, generate_articles, make_questions, sentence_lengths, write_corpus,
)


def test_corpus_is_deterministic_by_seed() -> None:
    first = [a.body for a in generate_articles(5, seed=3)]
    again = [a.body for a in generate_articles(5, seed=3)]
    other = [a.body for a in generate_articles(5, seed=4)]
    assert first == again
    assert first != other
    # Any article can be made on its own, without the ones before it.
    assert generate_article(4, seed=3).body == first[4]


def test_corpus_reads_like_news() -> None:
    articles = list(generate_articles(60, seed=1))
    lengths = sentence_lengths(articles)
    assert min(lengths) >= MIN_WORDS and max(lengths) <= MAX_WORDS
    assert len(set(lengths)) > 15  # lengths vary, not one template length
    bodies = "\n".join(a.body for a in articles)
    assert "\u201c" in bodies and " said" in bodies and " denied " in bodies
    assert all("\n\n" in a.body for a in articles)  # paragraphs
    assert len({a.outlet for a in articles}) >= 6
    assert len({a.published_at for a in articles}) >= 10
    assert len({a.external_id for a in articles}) == 60


def test_questions_name_people_and_things_from_the_corpus() -> None:
    questions = make_questions(10, seed=1, corpus_articles=30)
    assert len(questions) == 10 and all(q.endswith("?") for q in questions)
    bodies = " ".join(a.body for a in generate_articles(30, seed=1))
    people = [m.group(1) for q in questions if (m := re.match(r"What did (\w+ \w+) say about", q))]
    assert people, questions
    assert all(person in bodies for person in people)


@pytest.mark.parametrize("fmt", ["jsonl", "md"])
def test_written_corpus_is_read_by_the_readers(tmp_path: Path, fmt: str) -> None:
    paths = write_corpus(tmp_path, 7, seed=2, fmt=fmt, per_file=5)
    read = [article for path in paths for article in read_path(path, 10_000_000).articles]
    expected = list(generate_articles(7, seed=2))
    assert [a.title for a in read] == [a.title for a in expected]
    assert [a.outlet for a in read] == [a.outlet for a in expected]
    assert read[0].body.split("\n\n")[0] == expected[0].body.split("\n\n")[0]


def test_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert latency_summary([0.010, 0.020, 0.030])["p50_ms"] == 20.0


def test_smoke_run_measures_every_step(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench import run

    results = tmp_path / "results"
    run.main(["--size", "smoke", "--workdir", str(tmp_path / "work"), "--results", str(results), "--in-process"])
    printed = capsys.readouterr().out
    for expected in ("pipeline / raw encode", "re-ingest unchanged", "retrieval p95 at", "recall@10",
                     "llama-index retrieval p50 / ours", "FAISS index types"):
        assert expected in printed, expected

    summary = json.loads((results / "run_smoke.json").read_text())
    generated = summary["ingest"]["runs"][-1]
    assert generated["articles_added"] + generated["duplicates"] == 12
    assert generated["reingest_unchanged"] == 12
    assert generated["add_one_chunks"] > 0
    size = summary["scale"]["sizes"][0]
    assert size["measure"]["chunks"] >= 300
    assert size["measure"]["retrieval"]["n"] == 6
    assert size["build"]["generated_vector_chunks"] > 0  # the note says which vectors are generated
    assert "generated" in summary["scale"]["vectors_note"]
    assert size["ann"]["ivf_flat"]["sweep"] and "sweep" in size["ann"]["hnsw_flat"]
    assert 0.0 <= size["ann"]["ivf_flat"]["sweep"][-1]["recall_at_10"] <= 1.0
    assert size["llama"]["nodes"] == size["measure"]["chunks"]

    from bench import keyword_ab
    from bench.scale_bench import CONFIGS

    ab = keyword_ab.run(CONFIGS["smoke"].sizes[0], rounds=1, workdir=tmp_path / "work", size="smoke")
    assert ab["baseline"]["n"] == ab["now"]["n"] == 6 and ab["now"]["p50_ms"] > 0

    from bench import bridge_cost

    cost = bridge_cost.run(CONFIGS["smoke"].sizes[0], rounds=1, workdir=tmp_path / "work", size="smoke")
    assert cost["all"]["with"]["n"] == cost["all"]["one name"]["n"] == cost["all"]["without"]["n"] == cost["questions"] == 3
    assert 0 <= cost["runner_up"] <= cost["searched_again"] <= 3 and cost["all"]["with"]["p50_ms"] > 0

    from bench import first_pass

    passes = first_pass.run(CONFIGS["smoke"].sizes[0], pairs=1, drop_caches=False, workdir=tmp_path / "work",
                            size="smoke")
    assert set(passes["runs"]) == {"off, warm", "on, warm", "on, serial, warm"}
    assert all(r[0]["n"] == 6 and r[0]["p50_ms"] > 0 for r in passes["runs"].values())
    ratios = first_pass.ratio_rows(passes)
    assert [row[0] for row in ratios] == ["on / off, warm", "on / on, serial, warm"]
    assert all(float(value) > 0 for row in ratios for value in row[1:])


@pytest.mark.integration
def test_model_encode_times_both_models_on_the_same_questions() -> None:
    from assistant.settings import default_model_path
    from bench import model_encode

    # the default model (its ONNX export, as `make setup` installs it) against the small MiniLM
    result = model_encode.run([str(default_model_path())], 3)
    assert len(result["latency_ms"]) == 4 and all(s["n"] == 3 and s["p50_ms"] > 0 for s in result["latency_ms"].values())
    model = "all-mpnet-base-v2 (onnx)"
    assert set(result["p50_ratio_over_minilm"]) == {f"MultiHop questions / {model}", f"short questions / {model}"}
    assert result["sentences"] > 20 and all(v > 0 for v in result["batch_texts_per_s"].values())


def test_scale_index_stores_a_vector_per_sentence_and_one_without_them_is_rebuilt(tmp_path: Path) -> None:
    import sqlite3

    import numpy as np

    from assistant.index import decode_sentence_vectors, text_hash
    from bench import scale_bench

    first = scale_bench.run("smoke", tmp_path, in_process=True)["sizes"][0]
    path = tmp_path / "scale" / f"index-{first['target_chunks']}"
    db = sqlite3.connect(str(path / "records.sqlite"))
    sentences = db.execute("SELECT COUNT(*) FROM sentences").fetchone()[0]
    assert sentences > first["build"]["chunks"] and first["build"]["sentence_vectors"] == sentences
    assert first["build"]["generated_sentence_vectors"] > 0 and first["build"]["real_sentence_vectors"] > 0
    # Stored as ingest stores them: keyed by the hash of the sentence's text, int8 with a scale.
    text, start, end, stored_hash, blob = db.execute(
        'SELECT a.text, s.start, s."end", v.text_hash, v.vector FROM sentences s JOIN articles a ON a.id = s.article_id '
        "JOIN sentence_vectors v ON v.article_id = s.article_id AND v.idx = s.idx ORDER BY s.article_id, s.idx LIMIT 1"
    ).fetchone()
    assert stored_hash == text_hash(text[start:end])
    dimension = int(db.execute("SELECT value FROM meta WHERE key='dimension'").fetchone()[0])
    assert len(blob) == dimension + 4
    vector = decode_sentence_vectors([blob], dimension)[0]
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 0.01
    measured = first["measure"]
    assert measured["sentences_without_vectors"] == 0
    assert measured["retrieval_parts"]["sentence_vectors"]["n"] == 6
    assert measured["sentence_match_ab"]["on"]["n"] == measured["sentence_match_ab"]["off"]["n"] == 6

    assert scale_bench.run("smoke", tmp_path, in_process=True)["sizes"][0]["build"]["reused"] is True
    # One recorded as storing float16 sentence vectors (as before session 11) is built again.
    info_path = path / "bench-build.json"
    info_path.write_text(json.dumps({**json.loads(info_path.read_text()), "sentence_vector_format": "float16"}))
    assert scale_bench.run("smoke", tmp_path, in_process=True)["sizes"][0]["build"]["reused"] is False
    db.close()
    db = sqlite3.connect(str(path / "records.sqlite"))  # the rebuilt index
    # An index whose sentences lack vectors (as one built before schema 3) is not measured again.
    db.execute("DELETE FROM sentence_vectors WHERE idx = 0")
    db.commit()
    db.close()
    again = scale_bench.run("smoke", tmp_path, in_process=True)["sizes"][0]
    assert again["build"]["reused"] is False
    assert again["measure"]["sentences_without_vectors"] == 0
