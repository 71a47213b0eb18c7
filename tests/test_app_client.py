"""The real app, started as `python app.py` on a free loopback port, driven through gradio_client.

First start with no index builds the sample index with the real bundled model; the first answer
must cite sources. Also: follow-ups keep their conversation, two clients stay independent, uploads are
answerable at once, and an open address without credentials is refused.
"""

from __future__ import annotations

import json

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
ARTIFACTS = ROOT / "test-artifacts"
START_TIMEOUT_S = 240


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningApp:
    url: str
    process: subprocess.Popen
    log_path: Path
    started_at: float  # time.perf_counter() when the process was started
    workdir: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def app_environment(indexes_dir: Path, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env.update({
        "NEWSDESK_INDEXES_DIR": str(indexes_dir), "NEWSDESK_HOST": "127.0.0.1", "NEWSDESK_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


@contextlib.contextmanager
def start_app(workdir: Path, log_name: str = "app.log", **env: str) -> Iterator[RunningApp]:
    """`python app.py` over `workdir`/indexes (plus NEWSDESK_* `env`); yields once the page answers."""
    port = free_port()
    log_path = workdir / log_name
    started = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log_file:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py")], cwd=str(workdir),
            env=app_environment(workdir / "indexes", port, **env), stdout=log_file, stderr=subprocess.STDOUT,
        )
    app = RunningApp(f"http://127.0.0.1:{port}/", process, log_path, started, workdir)
    try:
        wait_until_up(app)
        yield app
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_until_up(app: RunningApp) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            pytest.fail(f"the app exited with code {app.process.returncode}:\n{app.log()[-4000:]}")
        try:
            with urllib.request.urlopen(app.url, timeout=2) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as error:
            if error.code == 401:  # up, and asking for the HTTP Basic sign-in
                return
            time.sleep(0.5)
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the app did not answer on {app.url} within {START_TIMEOUT_S} s:\n{app.log()[-4000:]}")


def record_timing(name: str, seconds: float) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "timings.txt", "a", encoding="utf-8") as out:
        out.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {name}: {seconds:.1f} s\n")


@pytest.fixture(scope="module")
def running_app(tmp_path_factory) -> Iterator[RunningApp]:
    with start_app(tmp_path_factory.mktemp("app")) as app:
        yield app


def ask(client, question: str, mode: str = "ask", outlets=(), since=None, until=None, conversation: str = ""):
    """The /ask endpoint's outputs by name. The conversation travels with the call, as the page
    carries it: pass the previous result's "conversation" to follow up."""
    chat, carried, sources, table, csv_file, question_box, viewer = client.predict(
        question, mode, list(outlets), since, until, conversation, api_name="/ask"
    )
    messages = [{"role": m["role"], "content": message_text(m)} for m in chat]
    return {"chat": messages, "conversation": carried, "sources": sources, "table": update_value(table),
            "csv": update_value(csv_file), "question": question_box, "viewer": update_value(viewer)}


def update_value(output):
    """An output sent as a component update arrives as {'__type__': 'update', 'value': ...}."""
    if isinstance(output, dict) and output.get("__type__") == "update":
        return output.get("value")
    return output


def message_text(message: dict) -> str:
    """A chat message's text (the client returns content as a list of typed parts)."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


@pytest.mark.integration
def test_first_start_builds_the_sample_index_and_answers_with_citations(running_app):
    from gradio_client import Client

    client = Client(running_app.url, verbose=False)
    result = ask(client, "Did the solvent reach the river?")
    cold_start = time.perf_counter() - running_app.started_at
    record_timing("cold start (process start to first answer, sample index built on first start)", cold_start)
    print(f"cold start to first answer: {cold_start:.1f} s")

    chat = result["chat"]
    assert [m["role"] for m in chat] == ["user", "assistant"]
    answer = chat[1]["content"]
    assert 'class="nd-cite"' in answer and 'href="#nd-cite-0-1"' in answer, answer
    assert "Sources of this answer" in result["sources"]
    assert "fictional" in result["sources"]  # the cited outlets of the sample story
    assert result["question"] == ""
    assert "building it from" in running_app.log()  # first start said what it did

    assert '<mark class="nd-mark">' in result["viewer"]  # the first source opens with the answer
    viewer = client.predict("0-2", result["conversation"], api_name="/open_source")
    assert '<mark class="nd-mark">' in viewer and "[2]" in viewer

    # The page's values (its conversation among them) cannot be saved as a link for someone else.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(running_app.url + "gradio_api/deep_link?session_hash=x", timeout=30)
    assert refused.value.code == 404


@pytest.mark.integration
def test_follow_ups_keep_the_conversation_and_concurrent_clients_are_independent(running_app):
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    alice, bob = Client(running_app.url, verbose=False), Client(running_app.url, verbose=False)
    opening = ask(alice, "What did the mayor say about the leak?")
    with ThreadPoolExecutor(max_workers=2) as pool:  # both sessions asking at the same time
        alice_turn = pool.submit(ask, alice, "And what did Kessler answer?", conversation=opening["conversation"])
        bob_turn = pool.submit(ask, bob, "Who denied that the solvent reached the river?", "who")
        follow_up, separate = alice_turn.result(timeout=300), bob_turn.result(timeout=300)
    assert [m["role"] for m in follow_up["chat"]] == ["user", "assistant"] * 2
    assert follow_up["chat"][2]["content"].startswith("And what did Kessler answer?")
    assert len(separate["chat"]) == 2
    assert separate["chat"][0]["content"].startswith("Who denied")
    assert "Who said what" in separate["chat"][0]["content"]

    # A conversation changed on its way back is refused with a message naming the field, and a
    # fresh one starts (the answer never silently loses or misreads its context).
    tampered = ask(bob, "And then?", conversation='{"turns": [{"question": 7, "mode": "ask", "filters": {}}]}')
    assert [m["role"] for m in tampered["chat"]] == ["user", "assistant"]
    refusal = tampered["chat"][1]["content"].replace("\\", "")  # as shown: markdown escapes removed
    assert "conversation.turns[0].question should be text, not 7" in refusal, refusal
    assert "new conversation was started" in refusal
    assert ask(bob, "Who denied it?", conversation=tampered["conversation"])["chat"][2]["role"] == "user"


def post_ask(app_url: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    """POST /api/ask on a running app: (status, parsed JSON)."""
    request = urllib.request.Request(app_url + "api/ask", data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.integration
def test_the_json_endpoint_answers_statelessly_beside_the_chat(running_app):
    status, first = post_ask(running_app.url, {"question": "What did Peskov say?", "mode": "who"})
    assert status == 200 and first["answerable"] and first["citations"], first
    status, follow = post_ask(running_app.url, {"question": "and what did he say about Putin?", "mode": "who",
                                                "history": [["What did Peskov say?", first["text"]]]})
    assert status == 200 and "Dmitry Peskov" in follow["notice"], follow
    status, error = post_ask(running_app.url, {"question": "Who?", "mode": "poem"})
    assert status == 400 and "'mode' must be one of" in error["error"]


@pytest.mark.integration
def test_compare_gives_a_table_and_a_csv(running_app):
    from gradio_client import Client

    client = Client(running_app.url, verbose=False)
    result = ask(client, "How do the outlets' accounts of the night differ?", mode="compare")
    assert result["table"] and result["table"]["data"], result
    csv_path = result["csv"]
    assert csv_path, result
    header = Path(csv_path).read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith(result["table"]["headers"][0]) and header.endswith("Cited sources")


@pytest.mark.integration
def test_uploaded_article_is_answerable_at_once(running_app):
    from gradio_client import Client, handle_file

    client = Client(running_app.url, verbose=False)
    summary, stats, *rest = client.predict([handle_file(str(HOSTILE / "wire-hostile.json"))], "",
                                           api_name="/add_coverage")
    assert "1 article added" in summary, summary
    assert "Ferry &amp; River &lt;Times&gt; (1)" in stats  # escaped, and counted in the statistics
    assert "Ferry operator" in str(rest)  # the article list shows it
    result = ask(client, "Why did the ferry operator suspend river crossings?")
    assert "Ferry &amp; River &lt;Times&gt;" in result["sources"], result["sources"]
    assert "<Times>" not in result["sources"]


@pytest.mark.integration
def test_a_later_start_opens_the_existing_index(running_app):
    from gradio_client import Client

    with start_app(running_app.workdir, log_name="second-start.log") as again:
        result = ask(Client(again.url, verbose=False), "What did Marcus Obi say?", mode="who")
        seconds = time.perf_counter() - again.started_at
        record_timing("later start (process start to first answer, existing index)", seconds)
        print(f"later start to first answer: {seconds:.1f} s")
        assert "building it from" not in again.log()
        assert 'class="nd-cite"' in result["chat"][1]["content"]


@pytest.mark.integration
def test_open_address_without_credentials_is_refused(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py")], cwd=str(tmp_path), capture_output=True, text=True, timeout=120,
        env=app_environment(tmp_path / "indexes", free_port(), NEWSDESK_HOST="0.0.0.0"),
    )
    assert result.returncode == 2
    assert "will not listen on 0.0.0.0 without credentials" in result.stderr
    assert "NEWSDESK_AUTH" in result.stderr
    assert not (tmp_path / "indexes").exists()
