"""A person using the app in Debian's chromium (Playwright): ask, open a citation, compare, upload.

The app runs as `python app.py` over a fresh index (first start builds the sample). Screenshots go
to test-artifacts/ for a human look. The page must make no request to any other host, and hostile
uploaded content must render as text (no dialog, no injected element).
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

try:  # tests/ may or may not be a package
    from tests.test_app_client import ARTIFACTS, HOSTILE, record_timing, start_app
except ImportError:
    from test_app_client import ARTIFACTS, HOSTILE, record_timing, start_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ANSWER_TIMEOUT_MS = 180_000  # generous: CI machines may be busy


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium; install it with "
                    "`apt-get install -y chromium chromium-driver` (the browser test needs it).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with start_app(tmp_path_factory.mktemp("browser-app")) as running:
        yield running


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"browser-{name}.png"), full_page=True)


def ask(page, question: str, answers_before: int) -> None:
    """Type and send a question; return once the answer is complete (its sources are listed)."""
    page.fill("#nd-question textarea", question)
    page.click("#nd-send")
    # The sources panel is filled only after the streamed answer is complete, with links keyed by
    # the answer's turn number, so this waits for exactly this answer.
    page.wait_for_selector(f"#nd-sources a.nd-cite[href^='#nd-cite-{answers_before}-']", timeout=ANSWER_TIMEOUT_MS)


def wait_for(condition, what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def grid_first_column(page) -> list[str]:
    """The first cell of each data row of the table grid (row 0 is the header)."""
    rows = page.locator("#nd-table [role=row]")
    return [rows.nth(i).inner_text().split("\n")[0].strip() for i in range(1, rows.count())]


def last_bot_message(page):
    return page.locator("#nd-chat [data-testid=bot]").last


@pytest.mark.browser
def test_ask_cite_compare_upload(app, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    foreign: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: foreign.append(r.url)
            if urlsplit(r.url).hostname not in ("127.0.0.1", None) and not r.url.startswith(("data:", "blob:")) else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    page.goto(app.url, wait_until="load")
    page.wait_for_selector("#nd-question textarea", timeout=ANSWER_TIMEOUT_MS)
    assert "extractive" in page.inner_text("#nd-engine") or "LLM" in page.inner_text("#nd-engine")
    assert "articles" in page.inner_text("#nd-stats-line")
    assert "First start" in page.inner_text("#nd-startup")
    shot(page, "1-start")

    # 1. ask, and the answer cites its sources
    ask(page, "Did the solvent reach the river?", answers_before=0)
    record_timing("browser: process start to first answer on screen", time.perf_counter() - app.started_at)
    answer = last_bot_message(page)
    assert answer.locator("a.nd-cite").count() >= 1
    assert page.locator("#nd-sources li.nd-source").count() >= 1
    shot(page, "2-answer")

    # 2. click a citation: the viewer shows its article with the cited sentence highlighted
    link = answer.locator("a.nd-cite").last
    label = link.inner_text().strip()  # "[n]"
    link.click()
    page.wait_for_selector(f"#nd-viewer .nd-viewer-label:text-is('{label}')", timeout=30_000)
    number = label.strip("[]")
    quote = page.inner_text(f"#nd-sources li.nd-source[data-number='{number}'] blockquote")
    marked = page.inner_text("#nd-viewer .nd-passage mark.nd-mark")
    assert " ".join(marked.split()) == " ".join(quote.split())
    assert page.inner_text("#nd-viewer .nd-viewer-title").strip()
    shot(page, "3-citation")

    # 3. compare: a table in the chat and a sortable grid with a CSV export
    page.locator("#nd-mode label", has_text="Compare").click()
    ask(page, "How do the outlets' accounts of the night differ?", answers_before=1)
    assert last_bot_message(page).locator("table").count() == 1
    page.wait_for_selector("#nd-table table", timeout=30_000)
    first_column = grid_first_column(page)
    assert len(first_column) >= 2, first_column
    header = page.locator("#nd-table th[data-heading='0']")
    header.hover()  # shows the column's ⋮ menu button
    header.locator("button[aria-label='Open cell menu']").click()
    page.get_by_text("Sort descending").click()
    wait_for(lambda: grid_first_column(page) == sorted(first_column, reverse=True), "the table sorted descending")
    shot(page, "4-compare")
    with page.expect_download(timeout=30_000) as download_info:
        page.click("#nd-csv")
    rows = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) >= 3 and rows[0][-1] == "Cited sources"

    # 4. upload a (hostile) article and ask about it: answerable at once, rendered inert
    page.get_by_role("tab", name="Add coverage").click()
    page.set_input_files("#nd-files input[type=file]", [str(HOSTILE / "wire-hostile.json"),
                                                        str(HOSTILE / "council-script-injection.md")])
    for stem in ("wire-hostile", "council-script-injection"):  # both uploaded before "Add" is clicked
        page.wait_for_selector(f"#nd-files :text('{stem}')", timeout=30_000)
    page.click("#nd-add")
    page.wait_for_selector("#nd-ingest-summary :text('added')", timeout=ANSWER_TIMEOUT_MS)
    summary = page.inner_text("#nd-ingest-summary")
    assert "2 articles added" in summary, summary
    assert "<script>alert('title')</script>" in page.inner_text("#nd-articles")  # the title shown as text
    shot(page, "5-upload")

    page.get_by_role("tab", name="Chat").click()
    page.locator("#nd-mode label", has_text="Ask").click()
    ask(page, "Why did the ferry operator suspend river crossings?", answers_before=2)
    assert "Ferry & River <Times>" in page.inner_text("#nd-sources")
    ferry = page.locator("#nd-sources li.nd-source", has_text="Ferry & River <Times>").first
    ferry.locator("a.nd-open").click()
    page.wait_for_selector("#nd-viewer .nd-viewer-title:has-text('Ferry operator')", timeout=30_000)
    assert "<svg onload=alert('svg')>" in page.text_content("#nd-viewer .nd-article-text")  # inside closed <details>
    assert "https://ferry.example/news/<script>" in page.inner_text("#nd-viewer")  # an unsafe URL is inert text
    assert page.locator("#nd-viewer a[href^='https://ferry']").count() == 0
    shot(page, "6-uploaded-answer")

    ask(page, "What did council chair Petra Lindqvist say about reopening the pier?", answers_before=3)
    shot(page, "7-hostile-answer")
    for region in ("#nd-chat", "#nd-sources", "#nd-viewer", "#nd-articles", "#nd-ingest-summary"):
        assert page.locator(f"{region} script, {region} img, {region} svg[onload], {region} iframe").count() == 0
        assert page.locator(f"{region} a[href^='javascript']").count() == 0
    assert dialogs == [], f"hostile content ran script: {dialogs}"

    # 5. a new conversation clears the chat, the sources and the table
    page.click("#nd-new")
    page.wait_for_function("() => document.querySelectorAll('#nd-chat .message-row').length === 0", timeout=10_000)
    assert "appear here" in page.inner_text("#nd-sources")
    assert foreign == [], f"the page contacted other hosts: {foreign}"
    context.close()
