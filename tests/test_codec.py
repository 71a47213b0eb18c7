"""Typed records through JSON and back: equal when untouched, a message naming the field when not."""

from __future__ import annotations

import json

import pytest

from assistant import codec
from assistant.errors import RequestError
from assistant.records import Answer, Article, ArticleInfo, Chunk, Citation, Filters, Passage, Statement, Table

INFO = ArticleInfo("a1", "Spill", "Harbor Ledger", "2024-03-02", None, also_published_by=("Wire",))
STATEMENT = Statement("a1", 0, "Dana Whitcombe", "she", (0, 3), "denied", (4, 10), "it", (11, 13), "indirect", "deny",
                      target=None)
ANSWER = Answer(
    question="Who denied it?", mode="who", text="Whitcombe denied it. [1]", answerable=True,
    citations=(Citation(1, INFO, 0, 20, "Whitcombe denied it."),),
    passages=(Passage(Chunk("a1:0", "a1", 0, 0, 20, "Whitcombe denied it."), INFO, 0.5),),
    statements=(STATEMENT,), table=Table(("Speaker", "Said"), (("Whitcombe", "denied it [1]"),)),
    filters=Filters(outlets=("Harbor Ledger",), since="2024-03-01"),
)


def through_json(record):
    return json.loads(json.dumps(codec.encode(record)))


def test_records_come_back_equal_through_json():
    assert codec.decode(Answer, through_json(ANSWER)) == ANSWER
    article = Article("a1", "T", "text", None, None, None, None, "f.md", "", "h", metadata={"desk": "metro"})
    assert codec.decode(Article, through_json(article)) == article


def test_a_whole_number_is_accepted_where_a_score_is_expected():
    data = through_json(ANSWER)
    data["passages"][0]["score"] = 1
    assert codec.decode(Answer, data).passages[0].score == 1.0


def field_error(mutate) -> str:
    data = through_json(ANSWER)
    mutate(data)
    with pytest.raises(RequestError) as raised:
        codec.decode(Answer, data, "answer")
    return str(raised.value)


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d.update(text=5), "answer.text should be text, not 5"),
    (lambda d: d["citations"][0].update(start="0"), "answer.citations[0].start should be an integer, not '0'"),
    (lambda d: d["citations"][0].update(start=True), "answer.citations[0].start should be an integer, not True"),
    (lambda d: d.pop("question"), "answer has no 'question'"),
    (lambda d: d.update(colour="red"), "answer has unknown field(s): 'colour'"),
    (lambda d: d["passages"][0].update(score=float("inf")), "answer.passages[0].score should be a finite number"),
    (lambda d: d["passages"][0].update(score=float("nan")), "answer.passages[0].score should be a finite number"),
    (lambda d: d["passages"][0].update(score=10 ** 400), "answer.passages[0].score should be a finite number"),
    (lambda d: d["statements"][0].update(quote_type="shouted"), "answer.statements[0].quote_type should be one of"),
    (lambda d: d["statements"][0].update(cue_span=[4]), "answer.statements[0].cue_span should be a list of 2"),
    (lambda d: d.update(citations={}), "answer.citations should be a list, not an object"),
    (lambda d: d.update(table="x"), "answer.table should be an object, not 'x'"),
    (lambda d: d["citations"][0]["article"].update(outlet=["A"]), "answer.citations[0].article.outlet should be"),
])
def test_a_changed_field_is_named(mutate, expected):
    assert expected in field_error(mutate)


def test_optional_fields_may_be_null_or_left_out():
    data = through_json(ANSWER)
    data["table"] = None
    del data["notice"]
    decoded = codec.decode(Answer, data)
    assert decoded.table is None and decoded.notice == ""
