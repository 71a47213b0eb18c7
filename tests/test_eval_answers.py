"""Smoke run of `newsdesk eval multihop` on a few queries (fake embedder), so the eval cannot rot."""

import json

import pytest
from click.testing import CliRunner

from assistant.cli import cli
from tests.conftest import SHARED

DATA = SHARED / "data" / "multihop-rag"


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/multihop-rag is not beside the checkout")
def test_eval_multihop_smoke_reports_retrieval_and_answers(monkeypatch):
    monkeypatch.setenv("NEWSDESK_MODEL_PATH", "hashing")
    result = CliRunner().invoke(cli, ["eval", "multihop", "--data", str(DATA), "--limit", "12",
                                      "--no-baselines", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    retrieval, answers = report["retrieval"], report["answers"]
    assert retrieval["queries"] == 12 and 0.0 <= retrieval["newsdesk"]["hits@10"] <= 1.0
    assert answers["queries"] == 12 and answers["counts"]["answerable"] + answers["counts"]["null"] == 12
    assert answers["citation_exact"] == 1.0  # every cited span equals the stored text
