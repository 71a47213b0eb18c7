"""The app's handlers: asking (streamed), opening a source, uploads, filters, credentials.

Handlers are tested directly, against a fake facade that returns hand-built Answers (so these tests
do not depend on the answer engine) and, for adding coverage, a real Assistant over a tmp index
with the fast hashing embedder.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import anyio
import pytest

from assistant import ui
from assistant.errors import ArticleNotFound, NewsdeskError, SettingsError
from assistant.facade import Assistant
from assistant.records import Answer, ArticleInfo, Chunk, Citation, Filters, Passage, Table

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HOSTILE = FIXTURES / "hostile"

TEXT = ("Kessler said the leak was contained. \"No product reached the river,\" Dana Whitcombe said. "
        "The agency said its samples proved otherwise.")
INFO = ArticleInfo(id="art1", title="Leak <script>x</script>", outlet="Harbor Ledger", published_at="2024-03-12",
                   url="https://harborledger.example/leak")


def cite(number: int, fragment: str) -> Citation:
    start = TEXT.index(fragment)
    return Citation(number, INFO, start, start + len(fragment), fragment)


def make_answer(question: str, mode: str = "ask") -> Answer:
    first = cite(1, "\"No product reached the river,\" Dana Whitcombe said.")
    second = cite(2, "The agency said its samples proved otherwise.")
    table = None
    if mode == "compare":
        table = Table(columns=("Outlet", "Account"),
                      rows=(("Harbor Ledger", "No product reached the river [1]"), ("=Agency", "Samples [2]")))
    chunk = Chunk("art1:0", "art1", 0, 0, len(TEXT), TEXT)
    return Answer(question=question, mode=mode, answerable=True, citations=(first, second),
                  passages=(Passage(chunk, INFO, 0.9),), table=table,
                  text="Whitcombe said no product reached the river. [1] The agency disagreed. [2]")


@dataclass
class FakeAssistant:
    """The facade's surface the handlers use; records every ask()."""

    settings: object
    index_path: Path
    calls: list = field(default_factory=list)
    fail_with: Exception | None = None
    engine_name: str = "extractive"

    def ask(self, question, mode="ask", filters=Filters(), history=()):
        self.calls.append(SimpleNamespace(question=question, mode=mode, filters=filters, history=history))
        if self.fail_with:
            raise self.fail_with
        return make_answer(question, mode)

    def show(self, article_id):
        if article_id != "art1":
            raise ArticleNotFound(f"No article with id '{article_id}'.")
        return SimpleNamespace(article=SimpleNamespace(id="art1", text=TEXT, title=INFO.title, author="Mira C."))


@pytest.fixture
def fake(settings, tmp_path) -> FakeAssistant:
    return FakeAssistant(settings=settings, index_path=tmp_path / "indexes" / "default")


@pytest.fixture(autouse=True)
def no_stream_delay(monkeypatch):
    monkeypatch.setattr(ui, "STREAM_DELAY_S", 0)


def run(fake, question, mode="ask", outlets=(), since=None, until=None, session=None) -> list[ui.AnswerView]:
    return list(ui.respond(fake, question, mode, list(outlets), since, until, session))


# ----------------------------------------------------------------------------- asking


def test_answer_streams_into_the_chat_then_fills_sources(fake):
    views = run(fake, "Did the solvent reach the river?")
    assert len(views) >= 3
    first, final = views[0], views[-1]
    assert first.chat[-1]["role"] == "assistant" and "searching the coverage" in first.chat[-1]["content"]
    middle = [v.chat[-1]["content"] for v in views[1:-1]]
    assert all(len(a) <= len(b) for a, b in zip(middle, middle[1:]))
    assert final.chat[0] == {"role": "user", "content": "Did the solvent reach the river?"}
    answer_md = final.chat[1]["content"]
    assert 'href="#nd-cite-0-1"' in answer_md and 'href="#nd-cite-0-2"' in answer_md
    assert "Sources of this answer (2)" in final.sources
    assert "&lt;script&gt;x&lt;/script&gt;" in final.sources and "<script>x" not in final.sources
    assert final.table_rows == [] and final.csv_path is None
    assert len(final.session.turns) == 1 and fake.calls[0].history == ()
    assert all(v.viewer is None for v in views[:-1])  # the viewer changes only when the answer is complete
    assert "[1]" in final.viewer and '<mark class="nd-mark">' in final.viewer


def test_without_streaming_only_the_finished_answer_comes_back(fake):
    (view,) = list(ui.respond(fake, "Did the solvent reach the river?", "compare", [], None, None, None, stream=False))
    assert not view.partial and view.table_rows and view.csv_path and "[1]" in view.viewer
    assert len(view.session.turns) == 1


def test_the_conversation_goes_through_the_page_and_comes_back_equal(fake):
    session = run(fake, "Who leaked?", mode="compare")[-1].session
    session = run(fake, "And the agency?", session=session)[-1].session
    carried = ui.session_json(session)
    assert ui.restore_session(carried) == session
    assert ui.restore_session("") == ui.ChatSession() and ui.restore_session(None) == ui.ChatSession()
    follow = run(fake, "And then?", session=ui.restore_session(carried))[-1]
    assert len(fake.calls[-1].history) == 2 and 'href="#nd-cite-2-1"' in follow.chat[5]["content"]


@pytest.mark.parametrize("carried, message", [
    ("{not json", "conversation is not valid JSON"),
    ('{"turns": "all of them"}', "conversation.turns should be a list"),
    ('{"turns": [{"question": "q", "mode": "ask"}]}', "conversation.turns[0] has no 'filters'"),
    ('{"turns": [{"question": "q", "mode": "a/b", "filters": {}}]}', "conversation.turns[0].mode is not a mode"),
    ("[" * 100_000 + "]" * 100_000, "a value this app never sends"),
    ('{"turns": [' + "1" * 5000 + "]}", "a value this app never sends"),
])
def test_a_conversation_that_cannot_be_read_is_refused_by_name(carried, message):
    with pytest.raises(ui.RequestError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ui.restore_session(carried)


def test_while_answering_the_page_keeps_its_conversation_table_and_export(fake):
    views = run(fake, "How do they differ?", mode="compare")
    partial, final = ui._output(views[0]), ui._output(views[-1])
    unchanged = ui.gr.update()
    assert views[0].partial and partial[1] == unchanged and partial[3:6] == (unchanged,) * 3
    assert ui.restore_session(final[1]) == views[-1].session and final[3]["visible"] is True


@pytest.mark.parametrize("protocol, scale_out, direct", [
    ("auto", False, False), ("auto", True, True), ("queue", True, False), ("direct", False, True), (" Direct ", False, True),
])
def test_the_app_protocol_setting(settings, protocol, scale_out, direct):
    changes = {"records_url": "postgresql://x/y", "vectors_uri": "./v.db"} if scale_out else {}
    assert ui.uses_direct_requests(settings.with_changes(app_protocol=protocol, **changes)) is direct


def test_an_unknown_app_protocol_is_named(settings):
    with pytest.raises(SettingsError, match="NEWSDESK_APP_PROTOCOL has the value 'sticky'"):
        ui.uses_direct_requests(settings.with_changes(app_protocol="sticky"))


def direct_ask_handler(settings, fake_embedder, name: str):
    assistant = Assistant(settings, name, embedder=fake_embedder)
    assistant.ingest([HOSTILE / "wire-hostile.json"])
    app = ui.build_app(assistant, direct=True)
    return assistant, next(fn.fn for fn in app.fns.values() if fn.api_name == "ask")


def test_a_direct_request_gets_the_finished_answer_and_the_conversation(settings, fake_embedder):
    _, on_ask = direct_ask_handler(settings, fake_embedder, "direct-ask")
    chat, carried, sources, *_ = anyio.run(on_ask, "Why did the ferry operator suspend river crossings?",
                                           "ask", [], None, None, "")
    assert chat[0]["content"].startswith("Why did the ferry") and 'class="nd-cite"' in chat[1]["content"]
    assert "Sources of this answer" in sources
    chat, *_ = anyio.run(on_ask, "And who said so?", "ask", [], None, None, carried)
    assert len(chat) == 4  # the follow-up came with the conversation it follows


def test_a_direct_question_that_finds_every_slot_busy_says_so(settings, fake_embedder, monkeypatch):
    import threading

    monkeypatch.setattr(ui, "ASK_CONCURRENCY", 1)
    monkeypatch.setattr(ui, "BUSY_WAIT_S", 0.2)
    assistant, on_ask = direct_ask_handler(settings, fake_embedder, "direct-busy")
    release, answering = threading.Event(), threading.Event()
    real_ask = assistant.ask

    def slow_ask(*args, **kwargs):
        answering.set()
        release.wait(10)
        return real_ask(*args, **kwargs)

    monkeypatch.setattr(assistant, "ask", slow_ask)
    results = {}

    async def both():
        async def first():
            results["first"] = await on_ask("Why did the ferry stop?", "ask", [], None, None, "")

        async with anyio.create_task_group() as group:
            group.start_soon(first)
            await anyio.to_thread.run_sync(answering.wait, 10)
            results["second"] = await on_ask("Who said so?", "who", [], None, None, "")
            release.set()

    anyio.run(both)
    busy = results["second"][0][-1]["content"].replace("\\", "")
    assert "The server is busy" in busy and "Ask again" in busy
    assert 'class="nd-cite"' in results["first"][0][-1]["content"]  # the first still got its answer


def test_a_long_conversation_leaves_its_oldest_turns_behind(fake, monkeypatch):
    session = ui.ChatSession()
    for number in range(8):
        session = run(fake, f"Question {number}?", session=session)[-1].session
    one_turn = len(ui.session_json(ui.ChatSession(session.turns[:1])))
    monkeypatch.setattr(ui, "PAGE_CONVERSATION_CHARS", 3 * one_turn)
    kept = ui.fit_for_page(session)
    assert [t.question for t in kept.turns] == ["Question 5?", "Question 6?", "Question 7?"]
    assert ui.fit_for_page(ui.ChatSession(session.turns[:2])) == ui.ChatSession(session.turns[:2])
    with pytest.raises(ui.RequestError, match="longer than this app ever sends"):
        ui.restore_session(ui.session_json(session))


def test_follow_up_passes_the_conversation_and_new_turn_numbers(fake):
    session = run(fake, "Who leaked?")[-1].session
    final = run(fake, "And what did the agency say?", session=session)[-1]
    assert fake.calls[1].history == (("Who leaked?", make_answer("Who leaked?").text),)
    assert len(final.chat) == 4
    assert 'href="#nd-cite-1-1"' in final.chat[3]["content"]  # second answer's citations are its own
    assert 'href="#nd-cite-0-1"' in final.chat[1]["content"]


def test_sessions_are_independent(fake):
    alice = run(fake, "Alice's question")[-1].session
    bob = run(fake, "Bob's question")[-1].session
    assert [t.question for t in alice.turns] == ["Alice's question"]
    assert [t.question for t in bob.turns] == ["Bob's question"]
    assert fake.calls[1].history == ()


def test_filters_and_mode_reach_the_facade(fake):
    run(fake, "q", mode="who", outlets=["Harbor Ledger"], since="2024-03-12", until="2024-03-13 00:00:00")
    call = fake.calls[0]
    assert call.mode == "who"
    assert call.filters == Filters(outlets=("Harbor Ledger",), since="2024-03-12", until="2024-03-13")


def test_bad_date_is_a_chat_message_and_nothing_is_asked(fake):
    final = run(fake, "q", since="12/03/2024")[-1]
    assert fake.calls == []
    assert "'From' date '12/03/2024' is not a date" in final.chat[-1]["content"].replace("\\", "")


def test_empty_date_range_is_refused():
    with pytest.raises(NewsdeskError, match="date range is empty"):
        ui.parse_filters([], "2024-03-15", "2024-03-12")


def test_engine_error_becomes_a_clear_message(fake):
    fake.fail_with = NewsdeskError("No index at /x. Create one with: newsdesk ingest data/sample")
    final = run(fake, "q")[-1]
    content = final.chat[-1]["content"].replace("\\", "")
    assert content.startswith("**Could not answer.**") and "No index at /x" in content
    assert final.session.turns[-1].error


def test_unexpected_error_shows_no_traceback(fake, caplog):
    fake.fail_with = RuntimeError("secret internals at line 42")
    final = run(fake, "q")[-1]
    content = final.chat[-1]["content"]
    assert "went wrong" in content and "secret internals" not in content and "Traceback" not in content
    assert "secret internals" in caplog.text  # but the log has it


def test_empty_question_does_nothing(fake):
    views = run(fake, "   ")
    assert len(views) == 1 and views[0].chat == [] and fake.calls == []


def test_compare_answer_gives_a_sortable_table_and_a_safe_csv(fake):
    final = run(fake, "How do accounts differ?", mode="compare")[-1]
    assert final.table_headers == ["Outlet", "Account"]
    assert final.table_rows[1] == ["=Agency", "Samples [2]"]
    assert "<table>" not in final.chat[-1]["content"] and "| Outlet | Account |" in final.chat[-1]["content"]
    path = Path(final.csv_path)
    assert path.name == "newsdesk-compare-1.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["Outlet", "Account", "Cited sources"]
    assert rows[2][0] == "'=Agency"
    assert rows[1][2].startswith("[1] Harbor Ledger")


def test_error_after_an_answer_keeps_the_last_sources(fake):
    session = run(fake, "first")[-1].session
    fake.fail_with = NewsdeskError("The index is locked.")
    final = run(fake, "second", session=session)[-1]
    assert "Sources of this answer (2)" in final.sources


# ----------------------------------------------------------------------------- opening a source


def test_open_citation_shows_the_passage_with_the_sentence_highlighted(fake):
    session = run(fake, "q")[-1].session
    html_text = ui.open_source(fake, "0-1", session)
    assert '<mark class="nd-mark">&quot;No product reached the river,&quot; Dana Whitcombe said.</mark>' in html_text
    assert "Harbor Ledger" in html_text and "12 Mar 2024" in html_text
    assert 'href="https://harborledger.example/leak"' in html_text
    assert "By Mira C." in html_text


def test_open_closest_passage_and_bad_keys(fake):
    session = run(fake, "q")[-1].session
    assert "Closest passage" in ui.open_source(fake, "0-p0", session)
    assert "no citation [9]" in ui.open_source(fake, "0-9", session)
    assert "earlier conversation" in ui.open_source(fake, "5-1", session)
    assert "earlier conversation" in ui.open_source(fake, "0-1", ui.ChatSession())
    assert "earlier conversation" in ui.open_source(fake, "<script>", session)


def test_open_source_of_a_removed_article_says_so(fake):
    answer = make_answer("q")
    gone = Citation(1, ArticleInfo("gone", "t", None, None, None), 0, 3, "abc")
    session = ui.ChatSession((ui.Turn("q", "ask", Filters(), answer=Answer(**{**answer.__dict__, "citations": (gone,)})),))
    assert "No article with id" in ui.open_source(fake, "0-1", session)


# ----------------------------------------------------------------------------- uploads


@pytest.mark.parametrize("name, safe", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\windows\\evil.md", "evil.md"),
    ("/abs/path/story.HTML", "story.html"),
    ("\uff46\uff55\uff4c\uff4c.txt", "full.txt"),            # full-width letters
    ("evil\u202etxt.md", "eviltxt.md"),                      # right-to-left override dropped
    (".hidden.md", "hidden.md"),
    ("..", "upload"),
    ("", "upload"),
    ("a b?*<>|.json", "a_b.json"),
    ("Café Zürich.md", "Café_Zürich.md"),
    ("x" * 300 + ".csv", "x" * 80 + ".csv"),
])
def test_safe_filename(name, safe):
    assert ui.safe_filename(name) == safe


def test_store_uploads_accepts_supported_files_within_the_limit(tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    ok = incoming / "story.md"
    ok.write_text("# Story\n\nText.", encoding="utf-8")
    exe = incoming / "tool.exe"
    exe.write_bytes(b"MZ")
    big = incoming / "big.txt"
    big.write_text("x" * 2000)
    uploads = tmp_path / "index" / "uploads"
    stored, problems = ui.store_uploads([str(ok), str(exe), str(big)], uploads, max_bytes=1000)
    assert stored == [uploads / "story.md"] and (uploads / "story.md").read_text() == "# Story\n\nText."
    reasons = {p.source: p.reason for p in problems}
    assert "unsupported file type '.exe'" in reasons["tool.exe"]
    assert "upload limit is 0.0 MB" in reasons["big.txt"] or "upload limit" in reasons["big.txt"]
    # the same content again is the same file; different content under the same name gets a new name
    again, _ = ui.store_uploads([str(ok)], uploads, max_bytes=1000)
    assert again == [uploads / "story.md"]
    other = tmp_path / "elsewhere" / "story.md"
    other.parent.mkdir()
    other.write_text("different", encoding="utf-8")
    renamed, _ = ui.store_uploads([str(other)], uploads, max_bytes=1000)
    assert renamed == [uploads / "story-2.md"]
    assert sorted(p.name for p in uploads.iterdir()) == ["story-2.md", "story.md"]


def test_split_urls_keeps_only_http():
    urls, problems = ui.split_urls("https://a.example/x\njavascript:alert(1)  http://b.example/y file:///etc/passwd")
    assert urls == ["https://a.example/x", "http://b.example/y"]
    assert [p.source for p in problems] == ["javascript:alert(1)", "file:///etc/passwd"]


def test_add_coverage_ingests_uploads_into_the_index_folder(settings, fake_embedder, tmp_path):
    assistant = Assistant(settings, "uploads-test", embedder=fake_embedder)
    files = [str(p) for p in sorted(HOSTILE.iterdir()) if p.suffix != ".md" or p.name != "README.md"]
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    seen: list[tuple[str, int, int]] = []
    summary = ui.add_coverage(assistant, files + [str(pdf)], "not-a-url",
                              lambda stage, done, total: seen.append((stage, done, total)))
    assert "3 articles added" in summary
    assert "scan.pdf: unsupported file type '.pdf'" in summary.replace("\\", "")
    assert "not-a-url: not an http(s) URL" in summary.replace("\\", "")
    assert "&lt;script&gt;" in summary and "<script>" not in summary
    assert seen and seen[-1][1] == seen[-1][2]
    uploads = assistant.index_path / "uploads"
    assert sorted(p.name for p in uploads.iterdir()) == sorted(Path(f).name for f in files)
    view = ui.overview(assistant)
    assert len(view.articles) == 3 and "3 articles" in view.stats
    again = ui.add_coverage(assistant, files, "")
    assert "0 articles added" in again and "unchanged: 3 articles" in again


def test_add_coverage_with_nothing_chosen(fake):
    assert ui.add_coverage(fake, [], "  ") == "Choose files or paste a URL first."


# ----------------------------------------------------------------------------- serving


def test_listening_beyond_loopback_requires_credentials():
    assert ui.credentials_for("127.0.0.1", "") == []
    assert ui.credentials_for("localhost", "") == []
    assert ui.credentials_for("::1", "") == []
    with pytest.raises(SettingsError, match="will not listen on 0.0.0.0 without credentials.*NEWSDESK_AUTH"):
        ui.credentials_for("0.0.0.0", "")
    with pytest.raises(SettingsError):
        ui.credentials_for("192.168.1.5", " , ")
    assert ui.credentials_for("0.0.0.0", "ann:s3cret, bob:pa:ss") == [("ann", "s3cret"), ("bob", "pa:ss")]


def test_malformed_credentials_are_refused_without_echoing_them():
    with pytest.raises(SettingsError) as caught:
        ui.parse_auth("ann:ok,bobsecretpassword")
    assert "pair 2" in str(caught.value) and "bobsecretpassword" not in str(caught.value)
    with pytest.raises(SettingsError):
        ui.parse_auth("ann:")


def test_serve_refuses_an_open_address_before_touching_the_index(settings):
    with pytest.raises(SettingsError, match="without credentials"):
        ui.serve(settings, host="0.0.0.0", port=1)
    assert not (settings.indexes_dir / "default").exists()


def test_serve_refuses_an_unknown_app_protocol_before_touching_the_index(settings):
    with pytest.raises(SettingsError, match="NEWSDESK_APP_PROTOCOL"):
        ui.serve(settings.with_changes(app_protocol="sticky"), port=1)
    assert not (settings.indexes_dir / "default").exists()


def test_build_app_lays_out_the_page(settings, fake_embedder):
    assistant = Assistant(settings, "layout", embedder=fake_embedder)
    assistant.ingest([HOSTILE / "wire-hostile.json"])
    app = ui.build_app(assistant, startup_note="**First start:** built it.")
    ids = {getattr(block, "elem_id", None) for block in app.blocks.values()}
    for needed in ("nd-chat", "nd-mode", "nd-outlets", "nd-since", "nd-until", "nd-question", "nd-send", "nd-new",
                   "nd-table", "nd-csv", "nd-viewer", "nd-sources", "nd-files", "nd-urls", "nd-add", "nd-stats",
                   "nd-engine", "nd-cite-key", "nd-cite-open", "nd-startup"):
        assert needed in ids, needed
    outlets = next(b for b in app.blocks.values() if getattr(b, "elem_id", None) == "nd-outlets")
    assert [c[0] for c in outlets.choices] == ["Ferry & River <Times>"]
    api_names = {fn.api_name for fn in app.fns.values() if fn.api_name}
    assert {"ask", "open_source", "add_coverage", "new_conversation"} <= api_names
    assert any(fn.queue for fn in app.fns.values())  # the default: Gradio's queue (streaming, progress)


def test_a_direct_app_keeps_no_state_and_queues_nothing(settings, fake_embedder):
    app = ui.build_app(Assistant(settings, "direct", embedder=fake_embedder), direct=True)
    assert [fn.api_name for fn in app.fns.values() if fn.queue] == []
    assert not any(type(block).__name__ == "State" for block in app.blocks.values())


def test_chat_messages_render_each_turn(fake):
    session = ui.ChatSession((ui.Turn("<b>q</b>", "compare", Filters(outlets=("A",)), answer=make_answer("q", "compare")),
                              ui.Turn("second", "ask", Filters(), error="Broken <i>thing</i>")))
    messages = ui.chat_messages(session)
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[0]["content"].startswith("&lt;b&gt;q&lt;/b&gt;") and "Compare · filtered" in messages[0]["content"]
    assert "&lt;i&gt;thing&lt;/i&gt;" in messages[3]["content"]


def test_filters_note():
    assert ui.filters_note([], None, None).startswith("No filters")
    assert "Harbor Ledger" in ui.filters_note(["Harbor Ledger"], "2024-03-12", None)
    assert "not a date" in ui.filters_note([], "soon", None)


def test_app_module_sets_offline_environment_before_gradio():
    source = (Path(__file__).resolve().parent.parent / "app.py").read_text(encoding="utf-8")
    assert source.index('os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"') < source.index("from assistant")
    assert os.environ.get("GRADIO_ANALYTICS_ENABLED") == "False"


def test_old_csv_exports_are_removed_when_a_new_one_is_written():
    first = Path(ui.write_csv("a,b\n", "first.csv"))
    two_hours_ago = first.parent.stat().st_mtime - 2 * 3600
    os.utime(first.parent, (two_hours_ago, two_hours_ago))
    recent = Path(ui.write_csv("c,d\n", "recent.csv"))
    second = Path(ui.write_csv("e,f\n", "second.csv"))
    assert not first.exists()  # Gradio served it from its own copy long ago
    assert recent.read_text(encoding="utf-8-sig") == "c,d\n" and second.exists()
