"""Ingest end to end with the fake embedder: counts, idempotence, updates, copies, bad input."""

import json

import pytest

from assistant.facade import Assistant
from assistant.index import Index
from tests.conftest import SAMPLE_DIR


class CountingEmbedder:
    """Wraps the fake embedder and counts what it is asked to embed."""

    def __init__(self, inner):
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.calls = 0
        self.texts = 0

    def warm_up(self):
        pass

    def embed(self, texts, progress=None):
        self.calls += 1
        self.texts += len(texts)
        return self.inner.embed(texts, progress)


@pytest.fixture
def embedder(fake_embedder):
    return CountingEmbedder(fake_embedder)


@pytest.fixture
def assistant(settings, embedder):
    return Assistant(settings, embedder=embedder)


def _write(path, **fields):
    body = fields.pop("body")
    front = "\n".join(f"{k}: {json.dumps(v)}" for k, v in fields.items())
    path.write_text(f"---\n{front}\n---\n{body}\n", encoding="utf-8")
    return path


STORY = (
    "The port authority said on Monday that the leak had been contained. "
    "Environmental groups disputed that account and said fish were dying downstream.\n\n"
    "The mayor accused the company of hiding the scale of the spill for six hours."
)


def test_sample_ingest_counts_and_wire_copy(assistant):
    report = assistant.ingest([SAMPLE_DIR])
    assert not report.problems, report.problems
    assert len(report.added) == 7 and len(report.duplicates) == 1
    copy_id, original_id = report.duplicates[0]
    rows = {r.id: r for r in assistant.list_articles()}
    assert rows[copy_id].duplicate_of == original_id and rows[copy_id].chunks == 0
    info = assistant.index.article_infos([original_id])[original_id]
    assert rows[copy_id].outlet in info.also_published_by


def test_reingest_is_idempotent_and_embeds_nothing(assistant, embedder):
    assistant.ingest([SAMPLE_DIR])
    before = assistant.index.generation
    embedded = embedder.texts
    report = assistant.ingest([SAMPLE_DIR])
    assert len(report.unchanged) == 8 and not report.added and not report.updated
    assert embedder.texts == embedded and report.chunks_embedded == 0
    assert assistant.index.generation == before  # nothing was written at all


def test_changed_article_with_url_replaces_the_old_version(assistant, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    story = _write(folder / "a.md", title="Leak", source="Harbor Ledger", url="https://harbor.example/leak",
                   published_at="2024-03-12", body=STORY)
    first = assistant.ingest([folder])
    (article_id,) = first.added
    _write(story, title="Leak (corrected)", source="Harbor Ledger", url="https://harbor.example/leak?utm_source=x",
           published_at="2024-03-12", body=STORY.replace("six hours", "nine hours"))
    second = assistant.ingest([folder])
    assert second.updated == (article_id,)
    stored = assistant.show(article_id).article
    assert "nine hours" in stored.text and "six hours" not in stored.text
    assert stored.title == "Leak (corrected)"
    assert all("six hours" not in c.text for c in assistant.index.chunks_of(article_id))
    assert assistant.index.search_bm25("six", 5) == []


def test_edited_file_without_url_replaces_what_it_gave_before(assistant, tmp_path):
    story = _write(tmp_path / "b.md", title="Leak", source="Harbor Ledger", body=STORY)
    (old_id,) = assistant.ingest([story]).added
    _write(story, title="Leak", source="Harbor Ledger", body=STORY + "\n\nThe minister promised an inquiry.")
    report = assistant.ingest([story])
    assert len(report.updated) == 1 and report.updated[0] != old_id
    assert [r.id for r in assistant.list_articles()] == list(report.updated)


def test_unchanged_chunks_are_not_embedded_again(assistant, embedder, tmp_path):
    long_story = "\n\n".join(f"Paragraph {i}: the council said the bridge would reopen in week {i}." for i in range(30))
    story = _write(tmp_path / "c.md", title="Bridge", url="https://x.example/bridge", body=long_story)
    first = assistant.ingest([story])
    _write(story, title="Bridge", url="https://x.example/bridge", body=long_story + "\n\nA late paragraph was added.")
    second = assistant.ingest([story])
    assert second.updated and 0 < second.chunks_embedded < first.chunks_embedded / 3


def test_adding_one_article_embeds_only_that_article(assistant, embedder, tmp_path):
    assistant.ingest([SAMPLE_DIR])
    embedded = embedder.texts
    new = _write(tmp_path / "new.md", title="New", source="Reuters", body=STORY)
    report = assistant.ingest([SAMPLE_DIR, new])
    assert len(report.added) == 1 and len(report.unchanged) == 8
    assert report.chunks_embedded == len(assistant.index.chunks_of(report.added[0]))
    assert report.sentences_embedded > 0  # the one-paragraph story's sentences, each scored on its own
    assert embedder.texts - embedded == report.chunks_embedded + report.sentences_embedded


def test_bad_input_is_reported_and_good_input_kept(assistant, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    _write(folder / "good.md", title="Good", source="Reuters", body=STORY)
    (folder / "empty.txt").write_text("")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (folder / "records.jsonl").write_text(
        json.dumps({"title": "Fine", "body": "The minister denied the report on Tuesday, officials said."}) + "\n"
        + "{not json\n"
        + json.dumps({"title": "No body"}) + "\n"
    )
    report = assistant.ingest([folder, tmp_path / "missing.md"])
    assert len(report.added) == 2
    reasons = {(p.source.split("/")[-1], p.where): p.reason for p in report.problems}
    assert ("empty.txt", "") in reasons and ("binary.txt", "") in reasons
    assert ("missing.md", "") in reasons
    assert any(name == "records.jsonl" and "2" in where for name, where in reasons)
    assert any(name == "records.jsonl" and "3" in where for name, where in reasons)


def test_bad_input_never_touches_what_is_indexed(assistant, tmp_path):
    assistant.ingest([SAMPLE_DIR])
    before = {r.id for r in assistant.list_articles()}
    (tmp_path / "junk.json").write_text("[{]")
    report = assistant.ingest([tmp_path / "junk.json"])
    assert report.problems and not report.added
    assert {r.id for r in assistant.list_articles()} == before


def test_remove_promotes_the_oldest_wire_copy(assistant):
    report = assistant.ingest([SAMPLE_DIR])
    copy_id, original_id = report.duplicates[0]
    removed = assistant.remove(original_id)
    assert removed.removed == (original_id,) and removed.updated == (copy_id,)
    rows = {r.id: r for r in assistant.list_articles()}
    assert original_id not in rows and rows[copy_id].duplicate_of is None and rows[copy_id].chunks > 0


def test_index_survives_reopen(settings, embedder):
    Assistant(settings, embedder=embedder).ingest([SAMPLE_DIR])
    again = Assistant(settings, embedder=embedder)
    assert again.stats().articles == 7
    assert again.index.search_bm25("Prigozhin", 3)


@pytest.mark.integration
def test_real_model_ingest_of_the_sample(settings, real_embedder, tmp_path):
    assistant = Assistant(settings, embedder=real_embedder)
    report = assistant.ingest([SAMPLE_DIR])
    assert len(report.added) == 7
    stats = assistant.stats()
    # The default model (all-mpnet-base-v2, exported to ONNX by `make setup`) built it.
    assert stats.dimension == real_embedder.dimension == 768
    assert stats.embedding_model == real_embedder.model_id and stats.embedding_model.startswith("all-mpnet-base-v2@")
    vector = real_embedder.embed(["Who denied attacking the Wagner Group?"])[0]
    best = assistant.index.search_dense(vector, 1)[0][0]
    chunk = assistant.index.chunks_by_rowid([best])[best]
    assert "Wagner" in chunk.text
    # A second process opening the index sees the same data and model.
    reopened = Index.open(assistant.index_path, real_embedder.model_id, 768)
    assert reopened.stats().chunks == stats.chunks


def test_articles_are_embedded_in_windows_while_others_are_prepared_and_progress_ends_at_the_total(
        assistant, embedder, monkeypatch):
    from assistant import ingest as ingest_stage

    monkeypatch.setattr(ingest_stage, "EMBED_WINDOW", 5)  # several windows from the 25 sample chunks
    calls = []
    report = assistant.ingest([SAMPLE_DIR], progress=lambda stage, done, total: calls.append((stage, done, total)))
    embedded = [(done, total) for stage, done, total in calls if stage == "embed"]
    chunks = assistant.stats().chunks
    assert embedder.calls > 1 and report.chunks_embedded + report.sentences_embedded == embedder.texts
    assert embedded[-1][0] == embedded[-1][1] >= chunks  # the bar closes at its total, once
    assert all(done < total for done, total in embedded[:-1])  # never "finished" before the end
    assert [d for d, _ in embedded] == sorted(d for d, _ in embedded)
    calls.clear()
    again = assistant.ingest([SAMPLE_DIR], progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert len(again.unchanged) == 8 and not [c for c in calls if c[0] == "embed"]  # nothing to embed: no bar


def test_a_failure_in_the_preparing_thread_reaches_the_caller(assistant, monkeypatch):
    from assistant import ingest as ingest_stage

    def broken(raw, settings, tally):
        raise MemoryError("out of memory while preparing")

    monkeypatch.setattr(ingest_stage, "_prepare_one", broken)
    with pytest.raises(MemoryError, match="preparing"):
        assistant.ingest([SAMPLE_DIR])
    assert not Index.exists(assistant.index_path) or assistant.stats().articles == 0  # nothing half-written


# ----------------------------------------------------------------------------- repeated ids, bad dates


def _jsonl(path, *records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


FIRST = {"id": "a1", "title": "First story", "outlet": "Harbor Ledger", "body": STORY}
SECOND = {"id": "a1", "title": "Second story", "outlet": "Harbor Ledger",
          "body": "The union denied that workers had been warned. The company said nothing more about it."}


def test_a_repeated_id_in_one_file_keeps_the_first_record_and_names_both_lines(assistant, tmp_path):
    feed = _jsonl(tmp_path / "feed.jsonl", FIRST, SECOND)
    report = assistant.ingest([feed])
    assert [str(p) for p in report.problems] == [
        f"{feed} (line 2): id 'a1' repeats line 1; this record was skipped"
    ]
    (row,) = assistant.list_articles()
    assert row.title == "First story"
    assert assistant.show(row.id).article.where == "line 1"


def test_reingesting_a_file_with_a_repeated_id_changes_and_embeds_nothing(assistant, embedder, tmp_path):
    feed = _jsonl(tmp_path / "feed.jsonl", FIRST, SECOND)
    assistant.ingest([feed])
    embedded = embedder.texts
    for _ in range(2):
        again = assistant.ingest([feed])
        assert len(again.unchanged) == 1 and not again.added and not again.updated
        assert again.chunks_embedded == 0 and embedder.texts == embedded
        assert [row.title for row in assistant.list_articles()] == ["First story"]


def test_a_repeated_id_across_the_files_of_one_ingest_keeps_the_first_input(assistant, tmp_path):
    early = _jsonl(tmp_path / "early.jsonl", FIRST)
    late = _jsonl(tmp_path / "late.jsonl", {**SECOND, "id": "b7"}, SECOND)
    report = assistant.ingest([early, late])
    assert [str(p) for p in report.problems] == [
        f"{late} (line 2): id 'a1' repeats {early} (line 1); this record was skipped"
    ]
    assert sorted(row.title for row in assistant.list_articles()) == ["First story", "Second story"]


def test_records_sharing_an_id_but_not_the_outlet_are_different_articles(assistant, tmp_path):
    feed = _jsonl(tmp_path / "feed.jsonl", FIRST, {**SECOND, "outlet": "Riverline Wire"})
    report = assistant.ingest([feed])
    assert not report.problems and len(report.added) == 2


def test_a_repeated_url_is_a_repeated_id(assistant, tmp_path):
    url = "https://harbor.example/leak"
    feed = _jsonl(tmp_path / "feed.jsonl", {"url": url, "body": STORY}, {"url": url + "/?utm_source=x", "body": SECOND["body"]})
    report = assistant.ingest([feed])
    assert [str(p) for p in report.problems] == [
        f"{feed} (line 2): URL '{url}' repeats line 1; this record was skipped"
    ]


def test_the_same_url_given_twice_is_read_once_without_a_problem(assistant, monkeypatch):
    from assistant import read
    from assistant.records import RawArticle, ReadResult

    url = "https://harbor.example/leak"
    page = RawArticle(source=url, where="", title="Leak", body=STORY, url=url, format="url")
    monkeypatch.setattr(read, "read_url", lambda *args: ReadResult(articles=(page,)))
    report = assistant.ingest([url, url])
    assert not report.problems and len(report.added) == 1


def test_a_date_that_is_not_a_date_is_a_warning_and_the_article_is_still_indexed(assistant, tmp_path):
    feed = _jsonl(tmp_path / "feed.jsonl", {**FIRST, "published_at": "next tuesday"})
    report = assistant.ingest([feed])
    assert not report.problems and len(report.added) == 1
    assert [str(w) for w in report.warnings] == [
        f"{feed} (line 1): published_at 'next tuesday' is not a date (expected e.g. 2024-03-14); "
        "the article was indexed without a date"
    ]
    assert assistant.list_articles()[0].published_at is None
    again = assistant.ingest([feed])  # unchanged, but the warning still stands
    assert len(again.unchanged) == 1 and len(again.warnings) == 1


def test_the_warning_names_the_date_field_as_the_source_spells_it(assistant, tmp_path):
    table = tmp_path / "table.csv"
    table.write_text(f'title,Date,body\nLeak,soon,"{STORY}"\nPort,2024-03-14,"{SECOND["body"]}"\n', encoding="utf-8")
    report = assistant.ingest([table])
    assert [(w.where, w.reason) for w in report.warnings] == [
        ("row 2", "Date 'soon' is not a date (expected e.g. 2024-03-14); the article was indexed without a date")
    ]


CLIPPING = """Council delays vote on Pier 9 lease

By Mara Quint, The Associated Press, March 20, 2024

The Marlow Bend city council postponed its vote on the Pier 9 lease on Tuesday after residents
packed the chamber. "We will not rush this," Council President Jonas Elm said.
"""


def test_a_clipping_byline_is_stored_as_normalised_metadata_and_not_as_text(assistant, tmp_path):
    clipping = tmp_path / "clip.txt"
    clipping.write_text(CLIPPING, encoding="utf-8")
    report = assistant.ingest([clipping])
    assert not report.problems and not report.warnings and len(report.added) == 1
    article = assistant.show(report.added[0]).article
    assert (article.title, article.author, article.outlet, article.published_at) == (
        "Council delays vote on Pier 9 lease", "Mara Quint", "Associated Press", "2024-03-20"
    )
    assert article.text.startswith("The Marlow Bend city council postponed its vote")
    assert "Mara Quint" not in article.text and "Council delays" not in article.text
    assert article.metadata["byline"] == "By Mara Quint, The Associated Press, March 20, 2024"


def test_an_unreadable_byline_date_is_the_same_warning_as_any_other_date(assistant, tmp_path):
    clipping = tmp_path / "clip.txt"
    clipping.write_text(CLIPPING.replace("March 20, 2024", "March 40, 2024"), encoding="utf-8")
    report = assistant.ingest([clipping])
    assert len(report.added) == 1
    assert [str(w) for w in report.warnings] == [
        f"{clipping}: byline date 'March 40, 2024' is not a date (expected e.g. 2024-03-14); "
        "the article was indexed without a date"
    ]
    article = assistant.show(report.added[0]).article
    assert (article.author, article.outlet, article.published_at) == ("Mara Quint", "Associated Press", None)


def test_a_skipped_record_gets_no_date_warning_besides_its_problem(assistant, tmp_path):
    feed = _jsonl(tmp_path / "feed.jsonl", FIRST, {**SECOND, "published_at": "next tuesday"})
    report = assistant.ingest([feed])
    assert len(report.problems) == 1 and report.warnings == ()


# ----------------------------------------------------------------------------- source ids


def test_articles_are_found_by_the_id_their_source_gave_them(assistant, tmp_path):
    from assistant.ingest import article_ids_for_source_id

    feed = _jsonl(tmp_path / "feed.jsonl", FIRST, {**SECOND, "title": "No outlet", "outlet": None},
                  {"id": "b7", "title": "Wire", "outlet": "Riverline Wire",
                   "body": "Dockworkers walked out on Friday. The port said it would talk to them."},
                  {"title": "No id", "body": "The minister promised an inquiry. Nobody said when."})
    report = assistant.ingest([feed])
    assert not report.problems and len(report.added) == 4
    by_title = {assistant.show(a).article.title: a for a in report.added}
    index = assistant.index
    assert article_ids_for_source_id(index, " a1 ") == sorted([by_title["First story"], by_title["No outlet"]])
    assert article_ids_for_source_id(index, "b7") == [by_title["Wire"]]
    assert article_ids_for_source_id(index, "c9") == [] and article_ids_for_source_id(index, "") == []
