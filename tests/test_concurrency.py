"""20 chat sessions at once through gradio_client while an ingest runs in the same app.

What a user would notice if this broke: an error in the chat, someone else's question in their
conversation, or an answer whose quotes are not in the coverage.
"""

from __future__ import annotations

import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.test_app_client import ask, record_timing, start_app

SESSIONS = 20
QUESTIONS = [
    ("Did the solvent reach the river?", "ask"),
    ("Who denied that the solvent reached the river?", "who"),
    ("What did Marcus Obi say?", "who"),
    ("How do the outlets' accounts of the night differ?", "compare"),
    ("Give me a sourced summary of the Marlow Bend spill", "summarize"),
    ("Who denied attacking the Wagner Group?", "ask"),
    ("What did Peskov say?", "who"),
    ("What did Prigozhin say happened to his camps?", "ask"),
]


def _new_articles(folder, count=40):
    """Articles for the ingest that runs while the sessions chat (a distinct invented story)."""
    path = folder / "ferry-wire.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for i in range(count):
            out.write(json.dumps({
                "title": f"Ferry service update {i}",
                "source": "Estuary Wire (fictional)",
                "published_at": f"2024-04-{1 + i % 28:02d}",
                "url": f"https://estuarywire.example/ferry/{i}",
                "body": (f"The ferry operator said on day {i} that crossings number {i} would resume after "
                         f"repairs to pier {i}. Harbour master Ilse Brandvold denied that the pier {i} "
                         f"closure was caused by neglect. \"We inspect every pier each month,\" she said."),
            }) + "\n")
    return path


@pytest.mark.integration
def test_twenty_sessions_while_an_ingest_runs(tmp_path):
    from gradio_client import Client, handle_file

    with start_app(tmp_path) as app:
        clients = [Client(app.url, verbose=False) for _ in range(SESSIONS + 1)]
        upload = _new_articles(tmp_path)
        ingest_result: dict = {}

        def run_ingest():
            ingest_result["summary"] = clients[-1].predict([handle_file(str(upload))], "", api_name="/add_coverage")[0]

        def session(number: int):
            question, mode = QUESTIONS[number % len(QUESTIONS)]
            question = f"{question} (session {number})"
            return number, question, ask(clients[number], question, mode=mode)

        started = time.perf_counter()
        ingest = threading.Thread(target=run_ingest)
        ingest.start()
        with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
            results = list(pool.map(session, range(SESSIONS)))
        ingest.join(timeout=600)
        seconds = time.perf_counter() - started
        record_timing(f"{SESSIONS} concurrent sessions + ingest of 40 articles", seconds)
        print(f"{SESSIONS} sessions answered while ingesting in {seconds:.1f} s")

        # The templated articles are near-copies of each other: some are recorded as wire copies.
        assert re.search(r"\*\*\d+ articles? added\*\*", ingest_result.get("summary", "")), ingest_result
        for number, question, result in results:
            chat = result["chat"]
            # Exactly this session's one turn: nobody else's question leaked in.
            assert [m["role"] for m in chat] == ["user", "assistant"], (number, chat)
            assert chat[0]["content"].replace("\\", "").startswith(question), (number, chat[0]["content"])
            answer = chat[1]["content"]
            assert "Something went wrong" not in answer and "Traceback" not in answer, answer
            assert 'class="nd-cite"' in answer or "does not answer" in answer, answer
            assert "Sources of this answer" in result["sources"] or "does not answer" in answer
        # Answers given during the ingest still quote the coverage verbatim: check one quote each.
        after = Client(app.url, verbose=False)
        final = ask(after, "Who denied that the pier closure was caused by neglect?", mode="who")
        assert re.search(r"Ilse Brandvold", final["chat"][1]["content"]), final["chat"][1]["content"]
