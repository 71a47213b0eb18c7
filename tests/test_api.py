"""POST /api/ask: one stateless JSON request per answer, the conversation sent by the client."""

from __future__ import annotations

import base64

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.api import ASK_PATH, add_json_api, authorised, basic_auth_user
from assistant.embed import HashingEmbedder
from assistant.facade import Assistant

from .conftest import SAMPLE_DIR, backend_settings


@pytest.fixture(scope="module")
def assistant(tmp_path_factory) -> Assistant:
    assistant = Assistant(backend_settings("embedded", tmp_path_factory.mktemp("api")), embedder=HashingEmbedder())
    assert assistant.ingest([SAMPLE_DIR]).ok
    return assistant


def client_for(assistant: Assistant, credentials=()) -> TestClient:
    app = FastAPI()
    add_json_api(app, assistant, credentials)
    return TestClient(app)


def test_an_answer_comes_back_as_the_cli_prints_it_with_exact_citations(assistant):
    response = client_for(assistant).post(ASK_PATH, json={"question": "Who denied that the solvent reached the river?"})
    assert response.status_code == 200
    answer = response.json()
    assert answer["answerable"] and answer["mode"] == "ask" and answer["citations"]
    for citation in answer["citations"]:
        assert assistant.index.article_text(citation["article_id"])[citation["start"]:citation["end"]] == citation["text"]
    assert f"[{answer['citations'][0]['number']}]" in answer["text"]


def test_a_follow_up_is_resolved_from_the_history_the_client_sends(assistant):
    client = client_for(assistant)
    first = client.post(ASK_PATH, json={"question": "What did Peskov say?", "mode": "who"}).json()
    follow = client.post(ASK_PATH, json={
        "question": "and what did he say about Putin?", "mode": "who",
        "history": [["What did Peskov say?", first["text"]]],
    }).json()
    assert "Answered as: “what did Dmitry Peskov say about Putin?”" in follow["notice"]
    assert follow["table"]["rows"] and all(row[0] == "Dmitry Peskov" for row in follow["table"]["rows"])
    alone = client.post(ASK_PATH, json={"question": "and what did he say about Putin?", "mode": "who"}).json()
    assert "Answered as" not in (alone["notice"] or "")  # nothing kept between requests


def test_filters_and_modes_are_taken_from_the_body(assistant):
    client = client_for(assistant)
    answer = client.post(ASK_PATH, json={"question": "What happened at the port?",
                                         "outlets": ["Harbor Ledger (fictional)"]}).json()
    assert answer["filters"]["outlets"] == ["Harbor Ledger (fictional)"]
    assert {c["outlet"] for c in answer["citations"]} == {"Harbor Ledger (fictional)"}
    table = client.post(ASK_PATH, json={"question": "How do the outlets' accounts of the spill differ?",
                                        "mode": "compare"}).json()["table"]
    assert table and len(table["columns"]) > 2


def test_an_outlet_filter_in_the_body_takes_in_the_wire_story_that_outlet_ran(assistant):
    answer = client_for(assistant).post(ASK_PATH, json={"question": "What did Elena Varga say?", "mode": "who",
                                                        "outlets": ["northbank daily"]}).json()
    assert answer["filters"]["outlets"] == ["Northbank Daily (fictional)"]
    assert answer["answerable"] and answer["citations"]
    assert {(c["outlet"], tuple(c["also_published_by"])) for c in answer["citations"]} == {
        ("Riverline Wire (fictional)", ("Northbank Daily (fictional)",))}


@pytest.mark.parametrize("body, message", [
    ({}, "'question' is missing"),
    ({"question": "   "}, "'question' is missing"),
    ({"question": 7}, "'question' must be text"),
    ({"question": "Who?", "mode": "poem"}, "'mode' must be one of: ask, who, compare, summarize"),
    ({"question": "Who?", "since": "last tuesday"}, "'since' ('last tuesday') is not a date"),
    ({"question": "Who?", "since": "2024-03-14", "until": "2024-03-01"}, "The date range is empty"),
    ({"question": "Who?", "outlets": [1, 2]}, "'outlets' must be a list of outlet names"),
    ({"question": "Who?", "outlets": ["Reuters"]}, "No outlet called 'Reuters' in"),
    ({"question": "Who?", "outlet": "Fox News"}, "Unknown field 'outlet'; the fields are: history, mode, outlets"),
    ({"question": "Who?", "history": [["only the question"]]}, "'history' turn 1 must be a pair of texts"),
    (["Who?"], "The request body must be a JSON object"),
])
def test_a_bad_body_gets_400_naming_the_field(assistant, body, message):
    response = client_for(assistant).post(ASK_PATH, json=body)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_a_body_that_is_not_json_gets_400(assistant):
    response = client_for(assistant).post(ASK_PATH, content=b"question=Who", headers={"content-type": "text/plain"})
    assert response.status_code == 400 and response.json()["error"] == "The request body is not valid JSON."


def basic(user: str, password: str) -> dict:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_with_sign_in_credentials_the_endpoint_takes_the_same_ones(assistant):
    client = client_for(assistant, [("editor", "s3cret")])
    body = {"question": "Who denied that the solvent reached the river?"}
    refused = client.post(ASK_PATH, json=body)
    assert refused.status_code == 401 and "NEWSDESK_AUTH" in refused.json()["error"]
    assert refused.headers["www-authenticate"].startswith("Basic")
    assert client.post(ASK_PATH, json=body, headers=basic("editor", "wrong")).status_code == 401
    assert client.post(ASK_PATH, json=body, headers=basic("editor", "s3cret")).status_code == 200


def test_authorised_rejects_malformed_headers():
    credentials = [("a", "b")]
    assert authorised(None, ()) and not authorised(None, credentials)
    assert not authorised("Basic !!!not-base64", credentials)
    assert not authorised("Bearer abc", credentials)
    assert authorised(basic("a", "b")["authorization"], credentials)


def test_the_pages_sign_in_checks_every_request_and_challenges_the_browser():
    from fastapi import HTTPException
    from starlette.requests import Request

    def request(headers: dict) -> Request:
        return Request({"type": "http", "headers": [(k.encode(), v.encode()) for k, v in headers.items()]})

    user_of = basic_auth_user([("editor", "s3cret"), ("desk", "pa:ss"), ("édith", "mot-de-passé")])
    assert user_of(request(basic("editor", "s3cret"))) == "editor"
    assert user_of(request(basic("desk", "pa:ss"))) == "desk"  # a colon inside the password
    assert user_of(request(basic("édith", "mot-de-passé"))) == "édith"  # not ASCII
    for headers in ({}, basic("editor", "wrong"), basic("nobody", "s3cret"), {"authorization": "Basic ***"},
                    basic("édith", "wrong"), basic("ñ", "ñ")):
        with pytest.raises(HTTPException) as refused:
            user_of(request(headers))
        assert refused.value.status_code == 401 and refused.value.headers["WWW-Authenticate"].startswith("Basic")
