"""Scale-out ingest: several worker processes write into one PostgreSQL + Milvus at once, and a
separate reader process (an app replica) sees everything they wrote. Milvus runs as a server
(`milvus-lite server` on loopback), the way workers on several machines would share a cluster."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT, SAMPLE_DIR, drop_postgres_database, fresh_postgres_database

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def milvus_server(tmp_path):
    port = _free_port()
    milvus_lite = Path(sys.executable).with_name("milvus-lite")
    server = subprocess.Popen(
        [str(milvus_lite), "server", "--data-dir", str(tmp_path / "milvus-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("milvus-lite server did not start")
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture
def records_url():
    url = fresh_postgres_database()
    yield url
    drop_postgres_database(url)


def _env(records_url: str, vectors_uri: str, folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(NEWSDESK_RECORDS_URL=records_url, NEWSDESK_VECTORS_URI=vectors_uri, NEWSDESK_MODEL_PATH="hashing",
               NEWSDESK_INDEXES_DIR=str(folder / "indexes"), HF_HUB_OFFLINE="1")
    return env


def _corpus(folder: Path, n: int, seed: int) -> Path:
    subprocess.run([sys.executable, "-m", "bench.corpus", str(folder), "--n", str(n), "--seed", str(seed), "--format", "md"],
                   cwd=ROOT, check=True, capture_output=True)
    return folder


def test_two_workers_ingest_at_once_without_duplicates_or_losses(tmp_path, records_url, milvus_server):
    env = _env(records_url, milvus_server, tmp_path)
    first = _corpus(tmp_path / "first", 40, seed=1)
    second = _corpus(tmp_path / "second", 40, seed=2)
    # Both workers also get the sample coverage: the same articles at the same time.
    workers = [
        subprocess.Popen([sys.executable, "-m", "assistant", "ingest", str(folder), str(SAMPLE_DIR), "--json"],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for folder in (first, second)
    ]
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err[-3000:]
        reports.append(json.loads(out))

    # What a third process (an app replica) sees.
    listing = subprocess.run([sys.executable, "-m", "assistant", "list", "--json"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert listing.returncode == 0, listing.stderr[-3000:]
    articles = json.loads(listing.stdout)
    ids = [a["id"] for a in articles]
    assert len(ids) == len(set(ids))
    reported = {i for r in reports for key in ("added", "updated") for i in r[key]} | {
        d["id"] if isinstance(d, dict) else d[0] for r in reports for d in r["duplicates"]}
    assert reported <= set(ids)  # every article a worker reported is there
    sample_added = [set(r["added"]) & {a["id"] for a in articles if a["outlet"] and "fictional" in a["outlet"]} for r in reports]
    assert not (sample_added[0] & sample_added[1])  # a sample article was added by one worker only

    stats = subprocess.run([sys.executable, "-m", "assistant", "stats", "--json"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
    counts = json.loads(stats.stdout)
    assert counts["articles"] + counts["duplicates"] == len(ids)

    from pymilvus import MilvusClient

    client = MilvusClient(uri=milvus_server)
    in_milvus = client.query("newsdesk_chunks", filter="", output_fields=["count(*)"])[0]["count(*)"]
    assert in_milvus == counts["chunks"]  # every committed chunk is searchable, none left behind
    client.close()

    answer = subprocess.run([sys.executable, "-m", "assistant", "ask", "Who denied that the solvent reached the river?"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert answer.returncode == 0, answer.stderr[-3000:]
    assert "Whitcombe" in answer.stdout and "[1]" in answer.stdout
