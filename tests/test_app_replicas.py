"""Two app replicas (the real app, the real model) over one PostgreSQL + Milvus server, as behind a
load balancer: what one replica ingests, the other answers from at once; neither keeps state of its own."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import drop_postgres_database, fresh_postgres_database
from .test_app_client import HOSTILE, ask, post_ask, start_app
from .test_ingest_workers import milvus_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration


@pytest.fixture
def records_url():
    url = fresh_postgres_database()
    yield url
    drop_postgres_database(url)


def test_what_one_replica_ingests_the_other_answers(tmp_path, records_url, milvus_server):  # noqa: F811
    from gradio_client import Client, handle_file

    shared = {"NEWSDESK_RECORDS_URL": records_url, "NEWSDESK_VECTORS_URI": milvus_server}
    for name in ("a", "b"):  # each replica's own working folder (uploads land there)
        (tmp_path / name).mkdir()
    with start_app(tmp_path / "a", **shared) as first:  # builds the sample index into the shared stores
        with start_app(tmp_path / "b", log_name="b.log", **shared) as second:
            assert "building it from" in first.log() and "building it from" not in second.log()
            one, two = Client(first.url, verbose=False), Client(second.url, verbose=False)

            answer = ask(two, "Did the solvent reach the river?")["chat"][1]["content"]
            assert 'class="nd-cite"' in answer  # the second replica answers from what the first built

            summary, *_ = two.predict([handle_file(str(HOSTILE / "wire-hostile.json"))], "", api_name="/add_coverage")
            assert "1 article added" in summary, summary
            result = ask(one, "Why did the ferry operator suspend river crossings?")
            assert "Ferry &amp; River &lt;Times&gt;" in result["sources"], result["sources"]

            # The JSON endpoint needs no session affinity: a conversation can hop between replicas.
            status, opening = post_ask(first.url, {"question": "What did Peskov say?", "mode": "who"})
            assert status == 200 and opening["answerable"], opening
            status, follow = post_ask(second.url, {"question": "and what did he say about Putin?", "mode": "who",
                                                   "history": [["What did Peskov say?", opening["text"]]]})
            assert status == 200 and "Dmitry Peskov" in follow["notice"], follow


@pytest.mark.browser
def test_the_chat_page_works_through_a_load_balancer_without_session_affinity(tmp_path, records_url,  # noqa: F811
                                                                               milvus_server):
    """Two replicas behind a round-robin balancer (no affinity), signed in with HTTP Basic: a person
    asks, follows up, opens a citation, compares and exports CSV, uploads and asks about the upload,
    while consecutive requests land on different replicas."""
    from .round_robin import round_robin
    from .test_browser import ANSWER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, ask as ask_in_page, last_bot_message

    shared_temp = tmp_path / "gradio-temp"  # uploads and exports: a folder every replica mounts
    shared = {"NEWSDESK_RECORDS_URL": records_url, "NEWSDESK_VECTORS_URI": milvus_server,
              "NEWSDESK_AUTH": "editor:s3cret", "GRADIO_TEMP_DIR": str(shared_temp)}
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    from playwright.sync_api import sync_playwright

    with start_app(tmp_path / "a", **shared) as first, start_app(tmp_path / "b", log_name="b.log", **shared) as second, \
            round_robin([first.url, second.url]) as (url, balancer), sync_playwright() as playwright:
        assert "one request per event" in first.log() and "one request per event" in second.log()
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True,
                                      http_credentials={"username": "editor", "password": "s3cret"})
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.wait_for_selector("#nd-question textarea", timeout=ANSWER_TIMEOUT_MS)

        # ask, then a follow-up that needs the first turn: the page carries the conversation
        ask_in_page(page, "What did Peskov say?", answers_before=0)
        ask_in_page(page, "and what did he say about Putin?", answers_before=1)
        follow_up = last_bot_message(page).inner_text()
        assert "Peskov" in follow_up, follow_up
        assert page.locator("#nd-chat [data-testid=user]").count() == 2

        # a citation of the first answer opens, whichever replica gets the click
        link = page.locator("#nd-chat [data-testid=bot]").first.locator("a.nd-cite").first
        label = link.inner_text().strip()
        link.click()
        page.wait_for_selector(f"#nd-viewer .nd-viewer-label:text-is('{label}')", timeout=30_000)
        assert page.locator("#nd-viewer mark.nd-mark").count() >= 1

        # compare, and the CSV export is served by whichever replica gets the download
        page.locator("#nd-mode label", has_text="Compare").click()
        ask_in_page(page, "How do the outlets' accounts of the night differ?", answers_before=2)
        page.wait_for_selector("#nd-table table", timeout=30_000)
        with page.expect_download(timeout=30_000) as download_info:
            page.click("#nd-csv")
        exported = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
        assert "Cited sources" in exported.splitlines()[0]

        # upload: the file lands on one replica, the "Add" request may reach the other
        page.get_by_role("tab", name="Add coverage").click()
        page.set_input_files("#nd-files input[type=file]", [str(HOSTILE / "wire-hostile.json")])
        page.wait_for_selector("#nd-files :text('wire-hostile')", timeout=30_000)
        page.click("#nd-add")
        page.wait_for_selector("#nd-ingest-summary :text('added')", timeout=ANSWER_TIMEOUT_MS)
        assert "1 article added" in page.inner_text("#nd-ingest-summary")
        page.get_by_role("tab", name="Chat").click()
        page.locator("#nd-mode label", has_text="Ask").click()
        ask_in_page(page, "Why did the ferry operator suspend river crossings?", answers_before=3)
        assert "Ferry & River <Times>" in page.inner_text("#nd-sources")
        assert page.locator("#nd-chat [data-testid=user]").count() == 4  # the whole conversation is still there

        # Consecutive events of this one page reached different replicas, and so did the files:
        # the upload, and the CSV download through the balancer's address.
        events = balancer.backends_serving("/gradio_api/run/")
        assert len(events) >= 6 and all(a != b for a, b in zip(events, events[1:])), balancer.log
        assert balancer.backends_serving("/gradio_api/upload"), balancer.log
        assert balancer.backends_serving("/gradio_api/file="), balancer.log
        context.close()
        browser.close()
        # and nobody gets in without signing in
        for path in ("", "gradio_api/run/ask", "config", "gradio_api/upload", "gradio_api/file=x.csv"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                post = "run" in path or "upload" in path
                urllib.request.urlopen(urllib.request.Request(url + path, method="POST" if post else "GET",
                                                              data=b"{}" if post else None), timeout=30)
            assert refused.value.code == 401 and "Basic" in refused.value.headers["WWW-Authenticate"], path
