"""Cold start of the real app: `python app.py` process start to the first answer in the chat.

    python -m bench.app_cold_start --index /tmp/newsdesk-bench/scale/index-100000 [--runs 2]

Starts the app on a free loopback port over an existing index, asks one question through
gradio_client as soon as the page answers, prints the seconds for each run and writes
bench/results/app_cold_start_<chunks>.json. (The sample-index figure is recorded by
tests/test_app_client.py in test-artifacts/timings.txt.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.common import RESULTS_DIR, machine, write_json

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_cold_start(index: Path, question: str) -> dict:
    from gradio_client import Client

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env.update(NEWSDESK_INDEXES_DIR=str(index.parent), NEWSDESK_INDEX=index.name, NEWSDESK_PORT=str(port),
               GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the app exited with code {process.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        page_up = time.perf_counter() - started
        chat, *_ = Client(url, verbose=False).predict(question, "ask", [], None, None, api_name="/ask")
        first_answer = time.perf_counter() - started
        assert len(chat) == 2, chat
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {"page_up_s": round(page_up, 1), "first_answer_s": round(first_answer, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--question", default="Who denied the report?")
    args = parser.parse_args()
    manifest = json.loads((args.index / "manifest.json").read_text())
    chunks = manifest["counts"]["chunks"]
    runs = []
    for n in range(args.runs):
        load = os.getloadavg()
        result = {**one_cold_start(args.index.resolve(), args.question), "load_before": load}
        runs.append(result)
        print(f"run {n + 1}: page up {result['page_up_s']} s, first answer {result['first_answer_s']} s (load {load[0]:.1f})")
    write_json(RESULTS_DIR / f"app_cold_start_{chunks}.json", {"machine": machine(), "index": str(args.index),
                                                               "chunks": chunks, "runs": runs})


if __name__ == "__main__":
    main()
