"""The CLI as a user runs it: exact messages, exit codes, JSON shapes."""

import json

import pytest
from click.testing import CliRunner

from assistant.cli import cli
from tests.conftest import SAMPLE_DIR
from tests.test_clean import WRAPPED_CLIPPING


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSDESK_MODEL_PATH", "hashing")
    monkeypatch.setenv("NEWSDESK_INDEXES_DIR", str(tmp_path / "indexes"))
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return invoke


def test_every_command_has_help_with_an_example(run):
    for command in ("ingest", "list", "show", "stats", "remove", "statements", "ask", "serve"):
        result = run(command, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.output and "newsdesk " + command in result.output
        if command != "serve":
            assert "--index NAME_OR_PATH" in result.output


def test_ingest_prints_a_summary_and_list_shows_the_articles(run, tmp_path):
    result = run("ingest", SAMPLE_DIR, "--index", "demo")
    assert result.exit_code == 0, result.output
    assert f"Index: {tmp_path / 'indexes' / 'demo'}" in result.output
    assert "  added:      7\n" in result.output and "  duplicates: 1\n" in result.output
    assert "  skipped:    0\n" in result.output
    listing = run("list", "--index", "demo", "--json")
    rows = json.loads(listing.output)
    assert len(rows) == 8 and {"id", "title", "outlet", "published_at", "url", "chunks", "duplicate_of"} <= set(rows[0])
    again = run("ingest", SAMPLE_DIR, "--index", "demo")
    assert "  unchanged:  8\n" in again.output and "chunks embedded: 0" in again.output


def test_skipped_input_sets_exit_code_3_and_names_the_file(run, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = run("ingest", SAMPLE_DIR, empty)
    assert result.exit_code == 3
    assert f"  skipped: {empty}" in result.output
    assert "  added:      7\n" in result.output


def test_show_prints_text_metadata_and_what_was_removed(run):
    run("ingest", SAMPLE_DIR)
    rows = json.loads(run("list", "--json").output)
    fox = next(r for r in rows if r["outlet"] == "Fox News")
    result = run("show", fox["id"][:6])
    assert result.exit_code == 0
    assert "title:     Russia denies attacking Wagner Group as Prigozhin vows revenge" in result.output
    assert "published: -" in result.output
    assert "Removed by the cleaner (5):\n" in result.output
    assert "  - CLICK HERE TO GET THE FOX NEWS APP" in result.output
    data = json.loads(run("show", fox["id"], "--json").output)
    assert data["id"] == fox["id"] and "CLICK HERE" not in data["text"] and len(data["removed"]) == 5


def test_unknown_article_and_missing_index_are_one_line_errors(run, tmp_path):
    result = run("show", "nope")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: No index at {tmp_path / 'indexes' / 'default'}. Create one with: newsdesk ingest")
    run("ingest", SAMPLE_DIR)
    result = run("show", "zzzzzz")
    assert result.exit_code == 1
    assert "Error: No article with id 'zzzzzz'" in result.output and "See `newsdesk list`." in result.output


def test_stats_and_remove(run):
    run("ingest", SAMPLE_DIR)
    stats = json.loads(run("stats", "--json").output)
    assert stats["articles"] == 7 and stats["duplicates"] == 1 and stats["chunks"] > 0
    assert stats["first_date"].startswith("2024-03-12")
    rows = json.loads(run("list", "--json").output)
    fox = next(r for r in rows if r["outlet"] == "Fox News")
    result = run("remove", fox["id"])
    assert result.exit_code == 0 and result.output == f"Removed {fox['id']}.\n"
    assert json.loads(run("stats", "--json").output)["articles"] == 6


def test_statements_for_files_and_indexed_articles(run):
    result = run("statements", SAMPLE_DIR / "foxnews-wagner.md", "--json")
    data = json.loads(result.output)
    (group,) = data["results"]
    assert group["source"].endswith("foxnews-wagner.md")
    first = group["statements"][0]
    for key in ("speaker", "speaker_mention", "cue", "content", "stance", "speaker_span", "cue_span",
                "content_span", "article_id", "path"):
        assert key in first
    assert any(s["stance"] == "deny" for s in group["statements"])
    run("ingest", SAMPLE_DIR)
    by_id = json.loads(run("statements", group["article_id"], "--json").output)
    assert by_id["results"][0]["statements"] == [dict(s, path=group["article_id"]) for s in group["statements"]]
    assert by_id["results"][0]["text"] == group["text"]
    # groups come in the order they were asked for, files and article ids mixed
    other = SAMPLE_DIR / "2024-03-12-harborledger-kessler-leak.md"
    mixed = json.loads(run("statements", other, group["article_id"], "--json").output)["results"]
    assert [g["source"].endswith("kessler-leak.md") for g in mixed] == [True, False]
    assert mixed[1]["article_id"] == group["article_id"]


def test_statements_json_carries_the_text_its_spans_refer_to(run):
    # The file on disk is not what the spans index (front matter and boilerplate are cleaned
    # away), so a user can only check an offset against the text printed beside it.
    result = run("statements", SAMPLE_DIR / "foxnews-wagner.md", "--json")
    (group,) = json.loads(result.output)["results"]
    text = group["text"]
    assert text != (SAMPLE_DIR / "foxnews-wagner.md").read_text()
    assert "CLICK HERE TO GET THE FOX NEWS APP" not in text
    for s in group["statements"]:
        assert text[slice(*s["speaker_span"])] == s["speaker_mention"]
        assert text[slice(*s["cue_span"])] == s["cue"]
        assert text[slice(*s["content_span"])] == s["content"]


def test_statements_keep_a_quote_that_goes_on_after_its_attribution(run, tmp_path):
    story = tmp_path / "cont.md"
    story.write_text(
        "# Mayor attacks port silence\n\n"
        '"That silence is the real scandal here," Mayor Elena Varga said on Wednesday. "We will not accept it."\n\n'
        '"We acted within the hour," Kessler spokesman Adrian Falk said. "Every alarm was logged and reported."\n',
        encoding="utf-8")
    assert run("statements", story).output.splitlines()[1:] == [
        "  [assert] Elena Varga (said): That silence is the real scandal here",
        "  [assert] Elena Varga (said): We will not accept it.",
        "  [assert] Adrian Falk (said): We acted within the hour",
        "  [assert] Adrian Falk (said): Every alarm was logged and reported.",
    ]
    (group,) = json.loads(run("statements", story, "--json").output)["results"]
    varga, goes_on = group["statements"][:2]
    assert group["text"][slice(*goes_on["content_span"])] == goes_on["content"] == "We will not accept it."
    assert (goes_on["speaker_span"], goes_on["cue_span"]) == (varga["speaker_span"], varga["cue_span"])


def test_statements_keep_a_quote_attributed_to_a_title_with_a_dot(run, tmp_path):
    story = tmp_path / "dr.txt"
    story.write_text("“Boiling does not make this water safe,” Dr. Ruth Amsel said.\n", encoding="utf-8")
    assert run("statements", story).output.splitlines()[1:] == [
        "  [warn] Ruth Amsel (said): Boiling does not make this water safe"]


def test_bad_settings_value_is_reported(run, monkeypatch):
    monkeypatch.setenv("NEWSDESK_CHUNK_MAX_CHARS", "big")
    result = run("list")
    assert result.exit_code == 1
    assert "Setting NEWSDESK_CHUNK_MAX_CHARS has the value 'big'" in result.output


def _jsonl(path, *records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


BODY = "The mayor said the water is safe. Residents were not convinced by the statement."


def test_a_repeated_id_is_listed_as_skipped_and_a_bad_date_as_a_warning(run, tmp_path):
    feed = _jsonl(tmp_path / "feed.jsonl",
                  {"id": "a1", "title": "First", "body": BODY},
                  {"id": "a1", "title": "Second", "body": "The union denied it. The company said nothing."},
                  {"id": "a2", "title": "Undated", "published_at": "next tuesday", "body": BODY + " Again."})
    result = run("ingest", feed)
    assert result.exit_code == 3
    assert "  skipped:    1\n  warnings:   1\n" in result.output
    assert f"  skipped: {feed} (line 2): id 'a1' repeats line 1; this record was skipped\n" in result.output
    assert (f"  warning: {feed} (line 3): published_at 'next tuesday' is not a date (expected e.g. 2024-03-14); "
            "the article was indexed without a date") in result.output
    data = json.loads(run("ingest", feed, "--json").output)
    assert data["warnings"] == [{"source": str(feed), "where": "line 3", "reason": data["warnings"][0]["reason"]}]
    assert len(data["unchanged"]) == 2 and data["chunks_embedded"] == 0


def test_a_warning_alone_does_not_set_exit_code_3(run, tmp_path):
    feed = _jsonl(tmp_path / "feed.jsonl", {"id": "a2", "published_at": "next tuesday", "body": BODY})
    result = run("ingest", feed)
    assert result.exit_code == 0 and "  warnings:   1\n" in result.output


def test_a_folder_lists_its_files_of_unsupported_types(run, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _jsonl(folder / "feed.jsonl", {"id": "a1", "body": BODY})
    (folder / "memo.docx").write_bytes(b"PK\x03\x04")
    (folder / ".DS_Store").write_bytes(b"\x00\x00")
    result = run("ingest", folder)
    assert result.exit_code == 3
    assert f"  skipped: {folder / 'memo.docx'}: unsupported file type '.docx'" in result.output
    assert ".DS_Store" not in result.output and "  added:      1\n" in result.output


def test_show_statements_and_remove_accept_the_sources_own_id(run):
    run("ingest", SAMPLE_DIR)
    shown = run("show", "vpr-2024-03-14-bottled-water")
    assert shown.exit_code == 0, shown.output
    assert "title:     Downstream residents get bottled water as Kessler disputes blame\n" in shown.output
    article_id = shown.output.split("\n", 1)[0].removeprefix("id:        ")
    listed = json.loads(run("statements", "vpr-2024-03-14-bottled-water", "--json").output)
    assert [r["article_id"] for r in listed["results"]] == [article_id] and listed["results"][0]["statements"]
    removed = run("remove", "vpr-2024-03-14-bottled-water")
    assert removed.output == f"Removed {article_id}.\n"
    gone = run("show", "vpr-2024-03-14-bottled-water")
    assert gone.exit_code == 1 and "No article with id 'vpr-2024-03-14-bottled-water'" in gone.output


def test_a_source_id_used_by_two_outlets_asks_for_the_article_id(run, tmp_path):
    feed = _jsonl(tmp_path / "feed.jsonl", {"id": "a1", "outlet": "Harbor Ledger", "body": BODY},
                  {"id": "a1", "outlet": "Riverline Wire", "body": "The union denied it. The company said nothing."})
    run("ingest", feed)
    ids = sorted(r["id"] for r in json.loads(run("list", "--json").output))
    result = run("show", "a1")
    assert result.exit_code == 1
    assert result.output == (f"Error: The source id 'a1' belongs to articles of several outlets ({', '.join(ids)}); "
                             "use one of these ids.\n")


def test_statements_for_a_value_that_is_neither_a_file_nor_an_article_says_both(run, tmp_path):
    result = run("statements", "deadbeefdeadbeef")
    assert result.exit_code == 3
    assert result.output == (f"skipped: deadbeefdeadbeef: no such file or folder, and no index at "
                             f"{tmp_path / 'indexes' / 'default'} to look it up as an article id\n")
    run("ingest", SAMPLE_DIR)
    result = run("statements", "deadbeefdeadbeef", SAMPLE_DIR / "foxnews-wagner.md")
    assert result.exit_code == 3
    assert (f"skipped: deadbeefdeadbeef: no such file or folder, and no article with id 'deadbeefdeadbeef' in "
            f"{tmp_path / 'indexes' / 'default'}. See `newsdesk list`.\n") in result.output
    assert "foxnews-wagner.md  (" in result.output  # the good input is still answered


def test_ingest_says_what_it_wrote_and_what_it_embedded_and_stats_agrees(run):
    result = run("ingest", SAMPLE_DIR)
    stats = json.loads(run("stats", "--json").output)
    # The sample's wire copy is embedded before dedup finds it is a copy; it is recorded, not indexed.
    assert f"  chunks written:  {stats['chunks']}\n" in result.output
    assert f"  chunks embedded: {stats['chunks'] + 1} in " in result.output
    assert "s (1 from a wire copy, which is recorded but not indexed)\n" in result.output
    data = json.loads(run("ingest", SAMPLE_DIR, "--json").output)
    assert (data["chunks_written"], data["chunks_embedded"], data["chunks_embedded_unused"]) == (0, 0, 0)


def test_counts_in_words_are_singular_for_one(run, tmp_path):
    run("ingest", SAMPLE_DIR)
    assert "Articles:    7 (+ 1 recorded copy)\n" in run("stats").output
    story = tmp_path / "one.txt"
    story.write_text("The mayor said the water was safe.\n", encoding="utf-8")
    assert f"== {story}  (1 statement)\n" in run("statements", story).output
    story.write_text("The mayor said the water was safe. The company denied any leak.\n", encoding="utf-8")
    assert f"== {story}  (2 statements)\n" in run("statements", story).output


def test_since_after_until_is_an_empty_range_naming_both_dates(run):
    run("ingest", SAMPLE_DIR)
    result = run("ask", "Who denied the leak?", "--since", "2024-05-01", "--until", "March 1, 2024")
    assert result.exit_code == 1
    assert result.output == ("Error: The date range is empty: --since 2024-05-01 is after "
                             "--until March 1, 2024 (2024-03-01). Swap the two dates or drop one.\n")
    same_day = run("ask", "Who denied the leak?", "--since", "2024-03-13", "--until", "2024-03-13")
    assert same_day.exit_code == 0


def test_a_refusal_lists_the_closest_passages_on_one_line_each_cut_at_a_word(run):
    run("ingest", SAMPLE_DIR)
    question = "What is the capital of France?"
    passages = json.loads(run("ask", question, "--json").output)["passages"]
    output = run("ask", question).output
    assert output.startswith("The coverage does not answer this question.")
    listed = output.split("Closest passages:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(listed) == min(3, len(passages)) >= 1
    for line, passage in zip(listed, passages):
        whole = " ".join(passage["text"].split())
        preview = line.split("): ", 1)[1]
        assert len(preview) <= 200 and "\n" not in preview
        shown = preview.removesuffix(" …")
        assert whole.startswith(shown)
        assert shown == whole or whole[len(shown)] == " "  # cut between words, never inside one


def test_ask_about_a_date_alone_lists_that_days_coverage_or_says_which_days_there_are(run):
    run("ingest", SAMPLE_DIR)
    day = run("ask", "What happened on March 13?")
    assert day.exit_code == 0
    assert day.output.startswith("Coverage published on 2024-03-13 (2 articles):\n\n**")
    assert "\nSources:\n[1] " in day.output and "2024-03-12" not in day.output
    none = run("ask", "What happened on March 20?")
    assert none.output == ("The coverage does not answer this question. No article in the coverage was published "
                           "on 2024-03-20 (“March 20”); its articles are dated 2024-03-12 to 2024-03-15.\n\n(extractive)\n")


def test_ask_and_outlet_filter_take_an_outlets_short_form(run):
    run("ingest", SAMPLE_DIR)
    asked = run("ask", "What did the Sentinel report?")
    assert asked.output.startswith("**The Daily Sentinel (fictional)** (2024-03-15): ")
    filtered = run("ask", "What did the company admit?", "--outlet", "sentinel", "--json")
    assert json.loads(filtered.output)["filters"]["outlets"] == ["The Daily Sentinel (fictional)"]


def test_list_shows_whole_outlet_names_and_fits_a_100_column_terminal(run, monkeypatch):
    run("ingest", SAMPLE_DIR)
    rows = {r["id"]: r for r in json.loads(run("list", "--json").output)}
    monkeypatch.delenv("COLUMNS", raising=False)
    piped = run("list").output.splitlines()  # not a terminal: whole lines, for grep and scripts
    assert len(piped) == 8
    for line in piped:
        row = rows[line[:16]]
        assert f"  {row['outlet']}  " in line and row["title"] in line
    assert "Ostra Valley Courier (fictional)  State tests find solvent" in "\n".join(piped)
    monkeypatch.setenv("COLUMNS", "100")
    for line in run("list").output.splitlines():
        row = rows[line[:16]]
        assert f"  {row['outlet']}  " in line  # never "Harbor Ledger (fictional" or "Northbank Daily (fiction"
        if row["duplicate_of"]:
            assert line.endswith(f"  (copy of {row['duplicate_of']})")
            continue
        assert len(line) <= 100
        title = line.split(f"  {row['outlet']}", 1)[1].strip()
        assert title == row["title"] or (title.endswith("…") and row["title"].startswith(title[:-1]))


def test_show_writes_dates_from_every_source_format_the_same_way(run):
    run("ingest", SAMPLE_DIR)
    rows = json.loads(run("list", "--json").output)
    shown = {}
    for row in rows:
        output = run("show", row["id"]).output
        shown[row["title"][:24]] = output.split("published: ", 1)[1].split("\n", 1)[0]
        listed = run("show", row["id"], "--json")
        assert json.loads(listed.output)["published_at"] == row["published_at"]  # JSON keeps the stored ISO 8601
    assert shown == {
        "Solvent leak at Marlow B": "2024-03-12",  # md front matter: a day
        "State tests find solvent": "2024-03-13 09:05 UTC+01:00",  # html meta tag
        "Mayor accuses Kessler of": "2024-03-13 11:00 UTC+01:00",  # md front matter with a time
        "Marlow Bend mayor accuse": "2024-03-13 16:30 UTC+01:00",  # rss pubDate
        "Minister orders inquiry ": "2024-03-14 17:30 UTC+01:00",  # rss pubDate
        "Downstream residents get": "2024-03-14 18:00 UTC+01:00",  # json feed
        "Kessler now says solvent": "2024-03-15",
        "Russia denies attacking ": "-",
    }
    listed = run("list").output
    assert "  2024-03-13  Ostra Valley Courier (fictional)  " in listed
    assert "T09:05" not in listed and "T11:00" not in listed


def test_the_date_filters_read_the_day_list_shows(run):
    run("ingest", SAMPLE_DIR)
    answer = json.loads(run("ask", "What did the state tests find in the Ostra?", "--since", "2024-03-13",
                            "--until", "2024-03-13", "--json").output)
    days = {p["published_at"][:10] for p in answer["passages"]}
    titles = {p["title"] for p in answer["passages"]}
    assert days == {"2024-03-13"}
    assert "State tests find solvent in the Ostra downstream of Kessler terminal" in titles  # html, with a time now


def test_statements_of_a_wire_copy_say_so_and_list_the_copied_articles(run):
    run("ingest", SAMPLE_DIR)
    rows = json.loads(run("list", "--json").output)
    copy = next(r for r in rows if r["duplicate_of"])
    original = next(r for r in rows if r["id"] == copy["duplicate_of"])
    output = run("statements", copy["id"][:6]).output
    head, rest = output.split("\n", 1)
    assert head == (f"== {copy['id']}  (a wire copy of {original['id']}, Riverline Wire (fictional): "
                    f"its statements are recorded on that article, listed under {original['id']})")
    own = run("statements", original["id"]).output
    assert rest == own and own.startswith(f"== {original['id']}  (") and "[deny] Adrian Falk" in own
    data = json.loads(run("statements", copy["id"], "--json").output)["results"]
    recorded = len(json.loads(run("statements", original["id"], "--json").output)["results"][0]["statements"])
    assert recorded > 5
    assert [(g["article_id"], g["copy_of"], len(g["statements"])) for g in data] == [
        (copy["id"], original["id"], 0), (original["id"], None, recorded)]
    # Asked for both, the original is listed once, where it was asked for.
    both = json.loads(run("statements", original["id"], copy["id"], "--json").output)["results"]
    assert [g["article_id"] for g in both] == [original["id"], copy["id"]]


ELM_SENTENCE = '"We will not rush this," Council President Jonas Elm said.'


@pytest.fixture
def run_real(tmp_path, monkeypatch):
    """The CLI with the real bundled model (no NEWSDESK_MODEL_PATH override)."""
    monkeypatch.delenv("NEWSDESK_MODEL_PATH", raising=False)
    monkeypatch.setenv("NEWSDESK_INDEXES_DIR", str(tmp_path / "indexes"))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.integration
def test_a_hard_wrapped_clipping_keeps_the_quote_across_the_line_break(run_real, tmp_path):
    clipping = tmp_path / "wrapped.txt"
    clipping.write_text(WRAPPED_CLIPPING, encoding="utf-8")
    statements = run_real("statements", clipping)
    assert "[assert] Jonas Elm (said): We will not rush this\n" in statements.output
    assert run_real("ingest", clipping).exit_code == 0
    (row,) = json.loads(run_real("list", "--json").output)
    shown = run_real("show", row["id"]).output
    assert ("The Marlow Bend city council postponed its vote on the Pier 9 lease on Tuesday after residents "
            f"packed the chamber. {ELM_SENTENCE} \"The harbor belongs to the city, not to one company.\"\n") in shown
    answer = json.loads(run_real("ask", "What did Council President Jonas Elm say?", "--json").output)
    text = json.loads(run_real("show", row["id"], "--json").output)["text"]
    citations = answer["citations"]
    assert ELM_SENTENCE in [c["text"] for c in citations]  # the sentence joined across the line break
    assert all(c["text"] == text[c["start"]:c["end"]] for c in citations)


@pytest.mark.integration
def test_a_pasted_clipping_lists_its_byline_as_metadata_and_the_answer_cites_the_story(run_real, tmp_path):
    clipping = tmp_path / "clip.txt"
    clipping.write_text(WRAPPED_CLIPPING, encoding="utf-8")
    ingested = run_real("ingest", clipping)
    assert ingested.exit_code == 0 and "  added:      1\n" in ingested.output, ingested.output
    (row,) = json.loads(run_real("list", "--json").output)
    assert (row["title"], row["outlet"], row["published_at"], row["author"]) == (
        "Council delays vote on Pier 9 lease", "Harbor Ledger", "2024-03-20", "Mara Quint")
    shown = json.loads(run_real("show", row["id"], "--json").output)
    assert shown["author"] == "Mara Quint"
    assert shown["text"].startswith("The Marlow Bend city council postponed its vote")  # no headline, no byline
    answer = json.loads(run_real("ask", "Did the council rush the Pier 9 lease vote?", "--json").output)
    cited = [c["text"] for c in answer["citations"]]
    assert cited and all(c["text"] == shown["text"][c["start"]:c["end"]] for c in answer["citations"])
    assert any("postponed its vote" in text or "We will not rush this" in text for text in cited), cited
    assert answer["citations"][0]["outlet"] == "Harbor Ledger"


@pytest.mark.integration
def test_real_model_index_lists_whole_outlets_shows_dates_alike_and_explains_wire_copies(run_real, monkeypatch):
    assert run_real("ingest", SAMPLE_DIR).exit_code == 0
    rows = json.loads(run_real("list", "--json").output)
    monkeypatch.setenv("COLUMNS", "100")
    listing = run_real("list").output
    for row in rows:
        assert f"{row['id']}  {(row['published_at'] or 'no date')[:10]:10}  {row['outlet']}  " in listing
    courier = next(r for r in rows if r["outlet"] == "Ostra Valley Courier (fictional)")
    assert "published: 2024-03-13 09:05 UTC+01:00\n" in run_real("show", courier["id"]).output
    copy = next(r for r in rows if r["duplicate_of"])
    output = run_real("statements", copy["id"]).output
    assert output.startswith(f"== {copy['id']}  (a wire copy of {copy['duplicate_of']}, Riverline Wire (fictional): ")
    assert f"\n== {copy['duplicate_of']}  (" in output and "Elena Varga" in output


@pytest.fixture(params=["embedded", "scale-out"])
def run_real_on_backend(request, tmp_path, monkeypatch):
    """The CLI with the real bundled model, on the embedded index or PostgreSQL + milvus-lite."""
    from tests.conftest import drop_postgres_database, fresh_postgres_database

    monkeypatch.delenv("NEWSDESK_MODEL_PATH", raising=False)
    monkeypatch.setenv("NEWSDESK_INDEXES_DIR", str(tmp_path / "indexes"))
    if request.param == "scale-out":
        records_url = fresh_postgres_database()
        request.addfinalizer(lambda: drop_postgres_database(records_url))
        monkeypatch.setenv("NEWSDESK_RECORDS_URL", records_url)
        monkeypatch.setenv("NEWSDESK_VECTORS_URI", str(tmp_path / "milvus.db"))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.integration
def test_an_outlet_filter_finds_the_wire_story_the_outlet_ran_until_its_copy_is_removed(run_real_on_backend, tmp_path):
    from tests.test_index import NORTHBANK, wire_sample

    run = run_real_on_backend
    assert run("ingest", wire_sample(tmp_path / "sample")).exit_code == 0  # the copy is dated 2024-03-15
    rows = json.loads(run("list", "--json").output)
    copy = next(r for r in rows if r["duplicate_of"])
    original = copy["duplicate_of"]

    def ask(*args):
        result = run("ask", *args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    mayor = ("What did the mayor accuse Kessler of?", "--outlet", "Northbank Daily")
    answer = ask(*mayor)
    assert answer["answerable"] and "accused Kessler Terminals of keeping the city in the dark" in answer["text"]
    cited = [c for c in answer["citations"] if c["article_id"] == original]
    assert cited and all(c["also_published_by"] == [NORTHBANK] for c in cited)
    text = json.loads(run("show", original, "--json").output)["text"]
    assert all(c["text"] == text[c["start"]:c["end"]] for c in cited)  # the original's stored text
    who = ask("Who accused Kessler?", "--mode", "who", "--outlet", "Northbank Daily")
    assert "**Elena Varga** accused Kessler Terminals" in who["text"]
    assert f"Riverline Wire (fictional), 2024-03-13; also published by {NORTHBANK} on 2024-03-15)" in who["text"]
    reported = ask("What did Northbank Daily report?")
    assert original in {c["article_id"] for c in reported["citations"]}
    # Northbank ran it on the 15th: inside that day for Northbank, outside the 13th.
    assert original in {c["article_id"] for c in ask(*mayor, "--since", "2024-03-15")["citations"]}
    assert original not in {c["article_id"] for c in ask(*mayor, "--until", "2024-03-14")["citations"]}

    assert run("remove", copy["id"]).exit_code == 0
    after = ask(*mayor)
    assert original not in {c["article_id"] for c in after["citations"]}
    assert original not in {c["article_id"] for c in ask("What did Northbank Daily report?")["citations"]}
