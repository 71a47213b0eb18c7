"""Two app replicas (the real app, the real model) over one PostgreSQL + Milvus server, as behind a
load balancer: what one replica ingests, the other answers from at once; neither keeps state of its own."""

from __future__ import annotations

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
