"""The statement scorer: matching, exact and token-overlap figures, gold-file errors, report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.records import Statement
from assistant.statements_eval import (
    cue_verb_span,
    format_report,
    load_gold,
    match_statements,
    score,
    spans_share_token,
)

GOLD = Path(__file__).resolve().parents[1] / "data" / "eval" / "statements.jsonl"
TEXT = "Marta Lindqvist said the strike would cost millions. Berg denied it."


def gold_line(**overrides) -> dict:
    record = {
        "id": "p1",
        "text": TEXT,
        "statements": [
            {"speaker": "Marta Lindqvist", "speaker_span": [0, 15], "cue_span": [16, 20],
             "content_span": [21, 51], "stance": "assert", "quote_type": "indirect"},
            {"speaker": "Tomas Berg", "speaker_span": [53, 57], "cue_span": [58, 64],
             "content_span": [65, 67], "stance": "deny"},
        ],
    }
    record.update(overrides)
    return record


def write_gold(tmp_path: Path, *records: dict, raw: str = "") -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text(raw or "\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def statement(speaker: str, speaker_span, cue_span, content_span, stance="assert") -> Statement:
    return Statement(
        article_id="p1", index=0, speaker=speaker, speaker_mention=TEXT[slice(*speaker_span)],
        speaker_span=tuple(speaker_span), cue=TEXT[slice(*cue_span)], cue_span=tuple(cue_span),
        content=TEXT[slice(*content_span)], content_span=tuple(content_span),
        quote_type="indirect", stance=stance,
    )


def test_perfect_extractor_scores_one(tmp_path: Path) -> None:
    path = write_gold(tmp_path, gold_line())

    def perfect(article_id, text, sentences):
        return [
            statement("Marta Lindqvist", (0, 15), (16, 20), (21, 51)),
            statement("Tomas Berg", (53, 57), (58, 64), (65, 67), stance="deny"),
        ]

    result = score(path, extractor=perfect)
    for slot in ("speaker", "cue", "content"):
        for mode in ("exact", "overlap"):
            assert result["slots"][slot][mode] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert result["accuracy"]["stance"] == 1.0
    assert result["accuracy"]["speaker_name"] == 1.0
    assert result["errors"] == []


def test_partial_spans_count_for_overlap_but_not_exact(tmp_path: Path) -> None:
    path = write_gold(tmp_path, gold_line())

    def partial(article_id, text, sentences):
        # Only the first statement; content cut short; speaker only the surname; wrong stance.
        return [statement("Lindqvist", (6, 15), (16, 20), (21, 37), stance="warn")]

    result = score(path, extractor=partial)
    content = result["slots"]["content"]
    assert content["exact"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert content["overlap"]["precision"] == 1.0 and content["overlap"]["recall"] == 0.5
    assert result["slots"]["cue"]["exact"]["recall"] == 0.5
    assert result["slots"]["speaker"]["exact"]["precision"] == 0.0
    assert result["slots"]["speaker"]["overlap"]["precision"] == 1.0
    assert result["accuracy"]["stance"] == 0.0
    assert result["accuracy"]["speaker_name"] == 0.0
    kinds = sorted(e["kind"] for e in result["errors"])
    assert kinds == ["differs", "missed"]


def test_nothing_found_scores_zero_and_spurious_costs_precision(tmp_path: Path) -> None:
    path = write_gold(tmp_path, gold_line())
    result = score(path, extractor=lambda *_: [])
    assert result["slots"]["cue"]["overlap"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}

    def spurious(article_id, text, sentences):
        return [
            statement("Marta Lindqvist", (0, 15), (16, 20), (21, 51)),
            statement("Tomas Berg", (53, 57), (58, 64), (65, 67), stance="deny"),
            statement("strike", (25, 31), (32, 37), (38, 51)),  # "would" is no cue
        ]

    result = score(path, extractor=spurious)
    assert result["slots"]["cue"]["exact"]["precision"] == pytest.approx(2 / 3)
    assert result["slots"]["cue"]["exact"]["recall"] == 1.0


def test_matching_is_one_to_one_by_cue_overlap() -> None:
    gold = load_gold_from_records([gold_line()])[0].statements
    same_cue_twice = [
        statement("A", (0, 15), (16, 20), (21, 51)),
        statement("B", (0, 15), (16, 19), (21, 51)),  # shares fewer cue characters
    ]
    assert match_statements(same_cue_twice, gold) == [(0, 0)]


def load_gold_from_records(records):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return load_gold(write_gold(Path(folder), *records))


def test_a_hedge_kept_in_the_predicted_cue_is_scored_as_the_verb(tmp_path: Path) -> None:
    text = "Hale reportedly said the player had been warned."
    path = write_gold(tmp_path, {"id": "p1", "text": text, "statements": [
        {"speaker": "Hale", "speaker_span": [0, 4], "cue_span": [16, 20], "content_span": [21, 47],
         "stance": "assert", "quote_type": "indirect"}]})
    result = score(path)  # the real extractor: its cue is "reportedly said", the gold's "said"
    assert result["slots"]["cue"]["exact"]["f1"] == 1.0
    assert result["errors"] == []
    assert cue_verb_span(text, (5, 20)) == (16, 20)
    assert cue_verb_span("reportedly", (0, 10)) == (0, 10)  # nothing after it: left alone


def test_token_overlap_definition() -> None:
    text = "the defense ministry said"
    assert spans_share_token(text, (4, 11), (8, 20))  # "defense" partly in both
    assert not spans_share_token(text, (0, 3), (4, 11))
    assert spans_share_token(text, (5, 6), (9, 10))  # inside the same token


@pytest.mark.parametrize(
    "raw, message",
    [
        ("{not json}\n", "line 1"),
        (json.dumps({"id": "x", "statements": []}) + "\n", 'field "text"'),
        (json.dumps(gold_line(statements=[{"speaker": "X", "speaker_span": [0, 999],
                                           "cue_span": [0, 1], "content_span": [0, 1],
                                           "stance": "assert"}])) + "\n",
         'field "speaker_span" must be [start, end]'),
        (json.dumps(gold_line(statements=[{"speaker_span": [0, 1], "cue_span": [0, 1],
                                           "content_span": [0, 1], "stance": "assert"}])) + "\n",
         '(line 1, statement 1): field "speaker" is missing'),
    ],
)
def test_bad_gold_files_name_line_and_field(tmp_path: Path, raw: str, message: str) -> None:
    path = write_gold(tmp_path, raw=raw)
    with pytest.raises(InputError) as caught:
        load_gold(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_gold_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        score(tmp_path / "nope.jsonl")


def test_report_shows_every_slot_and_splits(tmp_path: Path) -> None:
    path = write_gold(tmp_path, gold_line(split="dev"))
    report = format_report(score(path), show_errors=True)
    assert "all passages: 2 gold statements in 1 passages" in report
    assert "split 'dev'" in report
    for slot in ("speaker", "cue", "content"):
        assert f"{slot:<10}exact" in report and f"{slot:<10}overlap" in report
    assert "stance" in report


def test_shipped_gold_file_is_valid_and_the_extractor_clears_the_bar() -> None:
    passages = load_gold(GOLD)
    assert len(passages) >= 12
    assert sum(len(p.statements) for p in passages) >= 40
    for passage in passages:
        for gold in passage.statements:
            for span in (gold.speaker_span, gold.cue_span, gold.content_span):
                piece = passage.text[span[0] : span[1]]
                assert piece == piece.strip() and piece, (passage.id, span)
    result = score(GOLD)
    # The citron/PARC 3.0 bar: ~82 F1 speakers and cues, 59 exact / 83 overlap content.
    assert result["slots"]["speaker"]["overlap"]["f1"] >= 0.82
    assert result["slots"]["cue"]["exact"]["f1"] >= 0.82
    assert result["slots"]["content"]["exact"]["f1"] >= 0.59
    assert result["slots"]["content"]["overlap"]["f1"] >= 0.83
