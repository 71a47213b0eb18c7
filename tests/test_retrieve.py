"""Retrieval: fusion of dense and BM25, hard filters, outlet/date boosts from the question,
sub-queries, article diversity; plus the index lookups retrieval added."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from assistant import retrieve, segment
from assistant.index import Index
from assistant.records import Article, Filters
from assistant.retrieve import Retriever, Tuning

from .conftest import SHARED


def make_index(path: Path, embedder, articles: list[dict]) -> Index:
    """An index holding `articles` (dicts: id, title, text, outlet, date, duplicate_of)."""
    index = Index.create(path, embedder.model_id, embedder.dimension)
    add_articles(index, embedder, articles)
    return index


def add_articles(index: Index, embedder, articles: list[dict], sentence_vectors: bool = True) -> None:
    """As ingest stores them; without `sentence_vectors`, as an index of schema 2 holds them."""
    with index.writer() as writer:
        for item in articles:
            text = item["text"]
            article = Article(
                id=item["id"], title=item.get("title", item["id"]), text=text, outlet=item.get("outlet"),
                author=None, published_at=item.get("date"), url=None, source="test", where=item["id"],
                content_hash=hashlib.sha1(text.encode()).hexdigest(), duplicate_of=item.get("duplicate_of"),
            )
            if article.duplicate_of:  # a wire copy: stored, never searched
                writer.put_article(article, "id", None, (), (), (), np.zeros((0, writer.dimension), np.float32), (), ())
                continue
            sentences = segment.split_sentences(article.id, text)
            chunks = segment.make_chunks(article.id, text, sentences, item.get("max_chars", 900), 0)
            vectors = embedder.embed([c.text for c in chunks])
            hashes = [hashlib.sha1(c.text.encode()).hexdigest() for c in chunks]
            by_sentence = embedder.embed([s.text for s in sentences]) if sentence_vectors else None
            writer.put_article(article, "id", None, (), sentences, chunks, vectors, hashes, (),
                               sentence_vectors=by_sentence)


NEWS = [
    {"id": "verge-phone", "title": "Apple's new phone", "outlet": "The Verge", "date": "2023-10-05",
     "text": "Apple unveiled a titanium iPhone on Tuesday. The phone costs more than last year's model."},
    {"id": "tc-funding", "title": "OpenAI raises money", "outlet": "TechCrunch", "date": "2023-10-20",
     "text": "OpenAI raised new funding from Microsoft. Investors valued the company highly."},
    {"id": "fortune-strike", "title": "Dock strike", "outlet": "Fortune", "date": "2023-11-02",
     "text": "Dock workers went on strike over wages. The port closed for two days."},
    {"id": "verge-strike", "title": "Strike at the studio", "outlet": "The Verge", "date": "2023-11-03",
     "text": "Game developers went on strike at the studio. Workers asked for higher wages."},
    {"id": "tc-strike", "title": "Delivery strike", "outlet": "TechCrunch", "date": "2023-12-01",
     "text": "Delivery workers went on strike in Berlin. The startup said wages would rise."},
]


@pytest.fixture
def news(tmp_path, fake_embedder):
    index = make_index(tmp_path / "news", fake_embedder, NEWS)
    yield index
    index.close()


def retriever_for(index, embedder, settings, **tuning) -> Retriever:
    return Retriever(index, embedder, settings, Tuning(**tuning))


# ------------------------------------------------------------------------- fusion


FILLER = " ".join(f"The {w} committee met on {d} to discuss the budget for parks and libraries." for w, d in
                  (("city", "Monday"), ("county", "Tuesday"), ("school", "Wednesday"), ("water", "Thursday"),
                   ("transit", "Friday"), ("arts", "Saturday")))
PILOT = [
    {"id": "long", "title": "Council week",
     "text": "The harbor pilot denied steering the tanker into the pier. " + FILLER, "max_chars": 2000},
    {"id": "short", "title": "Pier news", "text": "The tanker pier reopened after repairs."},
]


def _first_article(index, embedder, settings, **tuning) -> str:
    question = "Who denied steering the tanker into the pier?"
    return retriever_for(index, embedder, settings, bm25_weight=0.0, **tuning).retrieve(question).passages[0].article.id


def test_one_sentence_of_a_long_chunk_matches_as_well_as_a_short_chunk_would(tmp_path, fake_embedder, settings):
    # The long chunk's one matching sentence is diluted by the rest in its chunk vector; its own
    # vector is not (dense only here, so the keyword score does not decide).
    index = make_index(tmp_path / "pilot", fake_embedder, PILOT)
    try:
        assert _first_article(index, fake_embedder, settings) == "long"
        assert _first_article(index, fake_embedder, settings, sentence_match=False) == "short"
        gathered = retriever_for(index, fake_embedder, settings).gather("Who denied steering the tanker?",
                                                                       retrieve.QueryHints())
        long_row = next(r for r, c in gathered.candidates.items() if c.article_id == "long")
        assert gathered.sentence_cosines[0][long_row] > gathered.cosines[0][long_row] + 0.3
    finally:
        index.close()


def test_articles_stored_without_sentence_vectors_are_matched_by_their_chunks(tmp_path, fake_embedder, settings):
    index = Index.create(tmp_path / "old", fake_embedder.model_id, fake_embedder.dimension)
    add_articles(index, fake_embedder, PILOT, sentence_vectors=False)
    try:
        assert _first_article(index, fake_embedder, settings) == "short"  # as before sentence vectors
        assert index.sentence_vectors_in_chunks([1, 2]) == {}
    finally:
        index.close()


def test_the_article_matching_the_question_comes_first_with_its_scores(news, fake_embedder, settings):
    result = retriever_for(news, fake_embedder, settings).retrieve("What did Apple unveil about the titanium iPhone?")
    first = result.passages[0]
    assert first.article.id == "verge-phone" and first.article.outlet == "The Verge"
    assert first.chunk.text == NEWS[0]["text"]
    assert result.dense_scores[first.chunk.id] > 0.2  # the cosine, for refusal calibration
    assert result.bm25_scores[first.chunk.id] > 0
    assert set(result.dense_scores) >= {p.chunk.id for p in result.passages}
    assert result.query_vector.shape == (fake_embedder.dimension,)
    assert first.score == max(p.score for p in result.passages)


@pytest.mark.parametrize("fusion", ["score", "rrf"])
def test_both_fusions_rank_a_keyword_match_first(news, fake_embedder, settings, fusion):
    result = retriever_for(news, fake_embedder, settings, fusion=fusion).retrieve("Microsoft funding for OpenAI")
    assert result.passages[0].article.id == "tc-funding"


def test_bm25_finds_a_word_only_in_a_title(news, fake_embedder, settings):
    result = retriever_for(news, fake_embedder, settings).retrieve("dock")
    assert result.passages[0].article.id == "fortune-strike"


def test_an_empty_index_gives_no_passages(tmp_path, fake_embedder, settings):
    index = make_index(tmp_path / "empty", fake_embedder, [])
    result = Retriever(index, fake_embedder, settings).retrieve("What happened?")
    assert result.passages == () and result.dense_scores == {}


def test_a_question_without_words_still_gets_dense_passages(news, fake_embedder, settings):
    assert len(Retriever(news, fake_embedder, settings).retrieve("???", k=3).passages) == 3


# ------------------------------------------------------------------------- filters


def test_an_explicit_outlet_filter_is_hard(news, fake_embedder, settings):
    result = Retriever(news, fake_embedder, settings).retrieve("Apple titanium iPhone", Filters(outlets=("TechCrunch",)))
    assert {p.article.outlet for p in result.passages} == {"TechCrunch"}
    assert result.filters == Filters(outlets=("TechCrunch",))


def test_an_explicit_date_filter_is_hard(news, fake_embedder, settings):
    result = Retriever(news, fake_embedder, settings).retrieve(
        "workers strike wages", Filters(since="2023-11-01", until="2023-11-30"))
    assert {p.article.id for p in result.passages} == {"fortune-strike", "verge-strike"}


# ------------------------------------------------------------------------- what the question names


def test_a_named_outlet_is_boosted_not_filtered(news, fake_embedder, settings):
    result = Retriever(news, fake_embedder, settings).retrieve("Why did workers strike, as reported by TechCrunch?")
    assert result.passages[0].article.id == "tc-strike"
    assert result.recognised.outlets == ("TechCrunch",)
    assert result.filters == Filters()  # the question's outlet is a boost, not a filter
    assert {"fortune-strike", "verge-strike"} <= {p.article.id for p in result.passages}


def test_a_question_naming_two_outlets_gets_evidence_from_each_first(news, fake_embedder, settings):
    result = Retriever(news, fake_embedder, settings).retrieve("How did Fortune and The Verge cover the strike over wages?")
    assert {p.article.outlet for p in result.passages[:2]} == {"Fortune", "The Verge"}


def test_a_named_date_is_boosted(news, fake_embedder, settings):
    result = Retriever(news, fake_embedder, settings).retrieve("Who went on strike on December 1?")
    assert result.passages[0].article.id == "tc-strike"
    assert (result.recognised.since, result.recognised.until) == ("2023-12-01", "2023-12-01")


def test_an_outlet_of_a_wire_copy_counts_for_its_original(tmp_path, fake_embedder, settings):
    index = make_index(tmp_path / "wire", fake_embedder, NEWS + [
        {"id": "age-copy", "title": "Dock strike", "outlet": "The Age", "duplicate_of": "fortune-strike",
         "text": NEWS[2]["text"]},
    ])
    result = Retriever(index, fake_embedder, settings).retrieve("Why did workers strike, according to The Age?")
    assert result.passages[0].article.id == "fortune-strike"
    assert result.passages[0].article.also_published_by == ("The Age",)


def test_a_date_of_a_wire_copy_counts_for_its_original(tmp_path, fake_embedder, settings):
    # The Age ran Fortune's Nov 2 dock strike story on Nov 5 (no other article is of that day).
    index = make_index(tmp_path / "wire-date", fake_embedder, NEWS + [
        {"id": "age-copy", "title": "Dock strike", "outlet": "The Age", "date": "2023-11-05",
         "duplicate_of": "fortune-strike", "text": NEWS[2]["text"]},
    ])
    retriever = Retriever(index, fake_embedder, settings)

    def scores(question: str) -> dict[str, float]:
        return {p.article.id: p.score for p in retriever.retrieve(question).passages}

    plain, dated = scores("Who asked for higher wages?"), scores("Who asked for higher wages on November 5?")
    assert dated["fortune-strike"] >= plain["fortune-strike"] + Tuning().date_boost  # (plus a hundredth)
    assert dated["verge-strike"] == pytest.approx(plain["verge-strike"])  # Nov 3, no copy


def test_outlets_added_after_the_first_question_are_recognised(news, fake_embedder, settings):
    retriever = Retriever(news, fake_embedder, settings)
    assert retriever.retrieve("What did Wired say about the strike?").recognised.outlets == ()
    add_articles(news, fake_embedder, [{"id": "wired-strike", "outlet": "Wired", "text": "Writers went on strike."}])
    assert retriever.retrieve("What did Wired say about the strike?").recognised.outlets == ("Wired",)


def test_each_clause_of_a_two_part_question_brings_its_evidence(tmp_path, fake_embedder, settings):
    articles = [
        {"id": "mayor", "text": "The mayor resigned after the bribery scandal broke."},
        {"id": "flood", "text": "The river flooded the downtown streets overnight."},
    ] + [
        {"id": f"council-{n}", "text": f"The mayor and the council met about the budget and the scandal, meeting {n}."}
        for n in range(6)
    ]
    index = make_index(tmp_path / "clauses", fake_embedder, articles)
    result = Retriever(index, fake_embedder, settings).retrieve(
        "Did the mayor resign over the bribery scandal, while the river flooded downtown streets?")
    assert len(result.recognised.parts) == 2
    assert {p.article.id for p in result.passages[:2]} == {"mayor", "flood"}


def test_a_question_asking_for_a_name_is_searched_again_with_the_name_its_top_articles_share(
        tmp_path, fake_embedder, settings):
    articles = [
        {"id": "acme-prices", "text": "Acme cut prices on its phones this week."},
        {"id": "acme-deal", "text": "Acme phones got cheaper after Acme cut prices again."},
        {"id": "acme-lab", "text": "Acme is opening a research lab."},
    ] + [
        {"id": f"lab-{name.lower()}", "text": f"{name} is opening a research lab in Paris."}
        for name in ("Globex", "Initech", "Umbrella")
    ]
    index = make_index(tmp_path / "bridge", fake_embedder, articles)
    question = "Which company cut prices on its phones, and is opening a research lab in Paris?"
    bridged = Retriever(index, fake_embedder, settings).retrieve(question, k=3)
    plain = retriever_for(index, fake_embedder, settings, bridge=False).retrieve(question, k=3)
    assert bridged.recognised.bridge == "Acme" and plain.recognised.bridge == ""
    assert "acme-lab" in {p.article.id for p in bridged.passages}
    assert "acme-lab" not in {p.article.id for p in plain.passages}  # the clause alone finds the others
    # What describes the question as asked is the same either way (sentence picking reads it).
    assert bridged.query_vector.tolist() == plain.query_vector.tolist()


def test_a_second_shared_name_re_ranks_only_the_articles_below_the_top_four(tmp_path, fake_embedder, settings):
    articles = [
        {"id": "acme-founded", "text": "Acme founded the crypto exchange in the Bahamas. Jo Bloggs ran its books."},
        {"id": "acme-convicted", "text": "Acme was convicted of wire fraud by a jury. Jo Bloggs testified."},
        {"id": "acme-both", "text": "Acme founded the crypto exchange and was convicted of wire fraud."},
    ] + [
        {"id": f"exchange-{n}", "text": f"A crypto exchange in the Bahamas was founded, and a jury heard of wire fraud, case {n}."}
        for n in range(8)
    ] + [{"id": "bloggs", "text": "Jo Bloggs, the crypto exchange manager, left the Bahamas."}]
    index = make_index(tmp_path / "runner-up", fake_embedder, articles)
    question = "Who founded the crypto exchange in the Bahamas, and was convicted of wire fraud by a jury?"

    def article_order(**tuning) -> tuple[list[str], str]:
        found = retriever_for(index, fake_embedder, settings, **tuning).retrieve(question, k=24)
        return list(dict.fromkeys(p.article.id for p in found.passages)), found.recognised.runner_up

    with_second, name = article_order()
    without_second, no_name = article_order(runner_up=False)
    assert (name, no_name) == ("Jo Bloggs", "")
    assert with_second[:4] == without_second[:4]  # the top four keep the first name's order
    assert with_second.index("bloggs") == 4 and without_second.index("bloggs") == 11


# ------------------------------------------------------------------------- diversity


def test_one_long_article_cannot_fill_the_result(tmp_path, fake_embedder, settings):
    long_text = "\n\n".join(f"The budget vote was delayed again in session {n} of the budget debate." for n in range(8))
    index = make_index(tmp_path / "long", fake_embedder, [
        {"id": "long", "text": long_text, "max_chars": 80},
        {"id": "other", "text": "Councillors said the budget vote would wait until spring."},
        {"id": "third", "text": "The library opened a new wing."},
    ])
    result = Retriever(index, fake_embedder, settings).retrieve("Why was the budget vote delayed?", k=5)
    ids = [p.article.id for p in result.passages]
    assert "other" in ids[:3]  # a nearly-as-good second chunk may stay beside its article's best
    assert ids.count("long") == retrieve.MAX_CHUNKS_PER_ARTICLE
    assert len(index.chunks_of("long")) == 8


def test_an_articles_third_chunk_goes_ahead_of_matches_by_vectors_alone():
    # rowids 1-3: the best article's chunks; 4: another article the keyword search found;
    # 5: a third article found by vectors alone, scoring below the best article's 3rd chunk.
    overall = {1: 2.0, 2: 1.5, 3: 1.4, 4: 1.3, 5: 0.6}
    candidates = {r: retrieve._Candidate(r, f"c{r}", a, (), ()) for r, a in
                  [(1, "best"), (2, "best"), (3, "best"), (4, "other"), (5, "far")]}
    order = ["best", "other", "far"]
    assert retrieve._passage_order(order, overall, candidates, 5, keyword_found={1, 2, 3, 4}) == [1, 4, 2, 3, 5]
    # Found by keywords, the other articles keep their place ahead of the extra chunks.
    assert retrieve._passage_order(order, overall, candidates, 5, keyword_found={1, 2, 3, 4, 5}) == [1, 4, 5, 2, 3]
    # Only the next chunk stays beside its article's best when it scores nearly as well.
    close = {**overall, 2: 1.95, 3: 1.9}
    assert retrieve._passage_order(order, close, candidates, 5, keyword_found={1, 2, 3, 4, 5}) == [1, 2, 4, 5, 3]



def test_a_strong_extra_chunk_below_the_cut_replaces_a_far_weaker_article():
    # rowids 1-2: the best article's best chunks; 3-5: three other articles' best chunks, all
    # found by keywords; 6: the best article's 3rd chunk, 1.6 times over the weakest (5).
    overall = {1: 2.0, 2: 1.7, 3: 1.2, 4: 0.9, 5: 0.8, 6: 1.5}
    candidates = {r: retrieve._Candidate(r, f"c{r}", a, (), ()) for r, a in
                  [(1, "best"), (2, "second"), (3, "third"), (4, "fourth"), (5, "fifth"), (6, "best")]}
    order = ["best", "second", "third", "fourth", "fifth"]
    keywords = set(overall)
    assert retrieve._passage_order(order, overall, candidates, 6, keyword_found=keywords) == [1, 2, 3, 4, 5, 6]
    # Cut at 5: the extra takes the weakest article's place (last), not that of one it does not outscore 1.6 times.
    assert retrieve._passage_order(order, overall, candidates, 5, keyword_found=keywords) == [1, 2, 3, 4, 6]
    assert retrieve._passage_order(order, {**overall, 5: 1.0, 4: 1.0}, candidates, 5, keyword_found=keywords) == [1, 2, 3, 4, 5]


# ------------------------------------------------------------------------- BM25 word pruning


def test_bm25_searches_the_rarest_words_within_a_postings_budget_in_a_big_index(news, fake_embedder, settings, monkeypatch):
    retriever = Retriever(news, fake_embedder, settings)
    assert retriever._bm25_text("workers striking in Berlin, the article says") == "workers striking in Berlin the says"
    monkeypatch.setattr(retrieve, "PRUNE_FROM_CHUNKS", 1)  # pretend the 5-chunk index is big
    monkeypatch.setattr(retrieve, "COUNTED_WORD_SHARE", 0.0)  # count every word
    monkeypatch.setattr(retrieve, "BM25_POSTINGS_BUDGET", 4)
    monkeypatch.setattr(retrieve, "COMMON_WORD_SHARE", 0.7)
    retriever = Retriever(news, fake_embedder, settings)
    # "went", "on", "strike", "wages" are each in 3 of the 5 chunks; "Berlin", "riders" in one
    question = "Who went striking for wages in Berlin with delivery riders?"
    kept = retriever._bm25_text(question).split()  # as FTS5 gets them: lower case, no stop words
    assert "berlin" in kept and "riders" in kept and not {"who", "went", "striking", "wages"} & set(kept)
    assert kept == [w for w in question.lower().rstrip("?").split() if w in kept]  # the question's order
    monkeypatch.setattr(retrieve, "BM25_POSTINGS_BUDGET", 1)
    assert retriever._bm25_text("went striking") in ("went", "striking")  # over budget: the rarest only
    monkeypatch.setattr(retrieve, "COMMON_WORD_SHARE", 0.5)
    assert retriever._bm25_text("went striking") == ""  # in most chunks: no BM25 at all


# ------------------------------------------------------------------------- index lookups added for retrieval


def test_index_lookups_for_retrieval(tmp_path, fake_embedder):
    index = make_index(tmp_path / "lookups", fake_embedder, NEWS + [
        {"id": "age-copy", "outlet": "The Age", "date": "2023-11-04", "duplicate_of": "fortune-strike",
         "text": NEWS[2]["text"]}])
    vectors = fake_embedder.embed(["Apple iPhone", "dock strike"])
    many = index.search_dense_many(vectors, 3)
    assert many == [index.search_dense(vectors[0], 3), index.search_dense(vectors[1], 3)]
    assert index.search_dense_many(vectors, 3, Filters(outlets=("Nowhere",))) == [[], []]
    meta = index.chunk_articles([rowid for rowid, _ in many[1]])
    by_article = {article: (chunk_id, outlets, date) for chunk_id, article, outlets, date in meta.values()}
    # a wire copy's outlet and date are the original's coverage too
    assert by_article["fortune-strike"] == ("fortune-strike:0", ("Fortune", "The Age"), ("2023-11-02", "2023-11-04"))
    total, counts = index.bm25_term_counts(0.5)
    assert total == 5 and counts["strike"] == 3 and counts["wage"] == 3 and "berlin" not in counts


# ------------------------------------------------------------------------- real model


MULTIHOP = SHARED / "data" / "multihop-rag"


@pytest.mark.integration
@pytest.mark.skipif(not (MULTIHOP / "articles.jsonl").is_file(), reason="MultiHop-RAG data not present")
def test_multihop_comparison_finds_both_articles_with_the_real_model(tmp_path, real_embedder, settings):
    from assistant import ingest

    articles = [json.loads(line) for line in (MULTIHOP / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    queries = [json.loads(line) for line in (MULTIHOP / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    query = next(q for q in queries if q["query"].startswith("Does the 'Fortune' article suggest that Rep. Patrick McHenry"))
    gold = {e["title"] for e in query["evidence"]}
    picked = [a for a in articles if a["title"] in gold] + [a for a in articles if a["title"] not in gold][:40]
    source = tmp_path / "articles.jsonl"
    source.write_text("\n".join(json.dumps(a) for a in picked), encoding="utf-8")
    index = Index.create(tmp_path / "mh", real_embedder.model_id, real_embedder.dimension)
    ingest.ingest([source], index, real_embedder, settings)
    result = Retriever(index, real_embedder, settings).retrieve(query["query"], k=4)
    assert {p.article.title for p in result.passages} >= gold
    assert set(result.recognised.outlets) == {"Fortune", "The Age"}


# The articles that, matched by whole chunks alone, push one of the question's three reports (the
# deepfake one, whose YouTube sentence is one of many) out of the top 4. Found with the default model
# on the whole MultiHop-RAG index; all-MiniLM-L6-v2 behaves the same on this set.
GOOGLE_CONFUSERS = (
    "Apple defends Google Search deal in court: ‘There wasn’t a valid alternative’",
    "5 things we learned so far about the Google antitrust case",
    "The Epic v. Google trial may come down to simple v. complicated",
    "The restaurant nearest Google",
    "More from the US v Google trial: vertical search, pre-installs and the case of Firefox/Yahoo",
    "What to know about Fortnite maker Epic Games’ antitrust battle with Google, starting today",
    "ChatGPT: Everything you need to know about the AI-powered chatbot",
)


@pytest.mark.integration
@pytest.mark.skipif(not (MULTIHOP / "articles.jsonl").is_file(), reason="MultiHop-RAG data not present")
def test_a_report_matched_by_one_of_its_sentences_reaches_the_top_4_with_the_real_model(
        tmp_path, real_embedder, settings):
    from assistant import ingest

    articles = [json.loads(line) for line in (MULTIHOP / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    queries = [json.loads(line) for line in (MULTIHOP / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    query = next(q for q in queries if q["query"].startswith("Does the TechCrunch article suggest that Google is engaging"))
    gold = {e["title"] for e in query["evidence"]}
    assert len(gold) == 3
    source = tmp_path / "articles.jsonl"
    source.write_text("\n".join(json.dumps(a) for a in articles if a["title"] in gold | set(GOOGLE_CONFUSERS)),
                      encoding="utf-8")
    index = Index.create(tmp_path / "mh", real_embedder.model_id, real_embedder.dimension)
    report = ingest.ingest([source], index, real_embedder, settings)
    assert report.sentences_embedded > 0 and len(report.added) == 10
    by_sentence = Retriever(index, real_embedder, settings).retrieve(query["query"])
    by_chunk = Retriever(index, real_embedder, settings, Tuning(sentence_match=False, dense_weight=1.0)).retrieve(query["query"])
    assert _top_titles(by_sentence, 4) >= gold
    assert not _top_titles(by_chunk, 4) >= gold  # as before sentence vectors
    index.close()


def _multihop_story(folder: Path, embedder, settings, question_start: str, story_words: tuple[str, ...]):
    """An index of a MultiHop-RAG question's gold articles among every other article that holds
    one of `story_words`, and 30 about other things; returns (index, question, gold titles)."""
    from assistant import ingest

    articles = [json.loads(line) for line in (MULTIHOP / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    queries = [json.loads(line) for line in (MULTIHOP / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    query = next(q for q in queries if q["query"].startswith(question_start))
    gold = {e["title"] for e in query["evidence"]}
    same_story = [a for a in articles if a["title"] not in gold
                  and any(w in a["title"] + (a["body"] or "") for w in story_words)]
    others = [a for a in articles if a["title"] not in gold and a not in same_story][:30]
    source = folder / "articles.jsonl"
    source.write_text("\n".join(json.dumps(a) for a in [a for a in articles if a["title"] in gold] + same_story + others),
                      encoding="utf-8")
    index = Index.create(folder / "mh", embedder.model_id, embedder.dimension)
    ingest.ingest([source], index, embedder, settings)
    return index, query["query"], gold


def _top_titles(retrieval, n: int = 10) -> set[str]:
    return set(list(dict.fromkeys(p.article.title for p in retrieval.passages))[:n])


@pytest.mark.integration
@pytest.mark.skipif(not (MULTIHOP / "articles.jsonl").is_file(), reason="MultiHop-RAG data not present")
@pytest.mark.parametrize("question_start, story_words, names, switched_off", [
    # All 3 gold articles in the top 10 through "Google", and not without a second search.
    ("Which company is at the center of antitrust legal challenges, as reported by TechCrunch and The Verge, where",
     ("Google",), ("Google",), {"bridge": False}),
    # The first name ("FTX") is the exchange; the person asked for comes second and brings the
    # last gold article into the top 10 without touching the top 4.
    ("Who is the individual whose trial is imminent, according to TechCrunch, and is alleged to have instructed",
     ("FTX", "Bankman-Fried"), ("FTX", "Bankman-Fried"), {"runner_up": False}),
])
def test_multihop_question_finds_every_article_through_its_bridging_names_with_the_real_model(
        tmp_path, real_embedder, settings, question_start, story_words, names, switched_off):
    index, question, gold = _multihop_story(tmp_path, real_embedder, settings, question_start, story_words)
    found = Retriever(index, real_embedder, settings).retrieve(question, k=20)
    without = retriever_for(index, real_embedder, settings, **switched_off).retrieve(question, k=20)
    index.close()
    assert (found.recognised.bridge, found.recognised.runner_up)[: len(names)] == names
    assert _top_titles(found) >= gold
    assert not _top_titles(without) >= gold
    if "runner_up" in switched_off:
        assert _top_titles(found, 4) == _top_titles(without, 4)
