"""The facade: modes, the optional LLM with its fallback, errors."""

import socket

import pytest

from assistant.errors import NewsdeskError
from assistant.facade import Assistant
from tests.conftest import SAMPLE_DIR


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def assistant(settings, fake_embedder):
    a = Assistant(settings, embedder=fake_embedder)
    a.ingest([SAMPLE_DIR])
    return a


def test_unknown_mode_is_a_clear_error(assistant):
    with pytest.raises(NewsdeskError, match="Unknown mode 'debate'. Choose one of: ask, who, compare, summarize."):
        assistant.ask("Who denied it?", mode="debate")


def test_a_filter_outlet_is_matched_loosely_and_an_unknown_one_is_named(assistant):
    from assistant.errors import FilterError
    from assistant.records import Filters

    answer = assistant.ask("What happened at the port?", filters=Filters(outlets=("harbor ledger",)))
    assert answer.filters.outlets == ("Harbor Ledger (fictional)",)
    assert {c.article.outlet for c in answer.citations} == {"Harbor Ledger (fictional)"}
    with pytest.raises(FilterError, match=r"No outlet called 'Reuters' in .*Its outlets are .*'Fox News'"):
        assistant.ask("What happened at the port?", filters=Filters(outlets=("Reuters",)))


def test_default_engine_is_extractive(assistant):
    answer = assistant.ask("Who denied attacking the Wagner Group?")
    assert answer.engine == "extractive" and assistant.engine_name == "extractive"


def test_dead_llm_endpoint_falls_back_to_the_extractive_answer_with_a_notice(settings, fake_embedder):
    llm_settings = settings.with_changes(llm_base_url=f"http://127.0.0.1:{_dead_port()}/v1", llm_model="m",
                                         llm_timeout_s=2.0)
    a = Assistant(llm_settings, embedder=fake_embedder)
    a.ingest([SAMPLE_DIR])
    assert a.engine_name.startswith("LLM: m via http://127.0.0.1:")
    answer = a.ask("Who denied attacking the Wagner Group?")
    assert answer.engine == "extractive"
    assert answer.notice.endswith("This is the extractive answer.")
    for c in answer.citations:
        assert a.index.article_text(c.article.id)[c.start:c.end] == c.text
    # Tables stay extractive and never call the LLM.
    assert a.ask("How do the outlets' accounts differ?", mode="compare").notice == ""


def test_an_answer_says_which_name_it_also_searched_for(settings, fake_embedder, tmp_path):
    import json

    stories = [("acme-prices", "Acme cut prices on its phones this week."),
               ("acme-deal", "Acme phones got cheaper after Acme cut prices again."),
               ("acme-lab", "Acme is opening a research lab.")]
    stories += [(f"lab-{n.lower()}", f"{n} is opening a research lab in Paris.") for n in ("Globex", "Initech", "Umbrella")]
    source = tmp_path / "stories.jsonl"
    source.write_text("\n".join(json.dumps({"id": i, "title": i.replace("-", " ").title(), "body": body,
                                            "source": "Daily Test", "published_at": "2023-10-05"})
                                for i, body in stories), encoding="utf-8")
    a = Assistant(settings, embedder=fake_embedder)
    a.ingest([source])
    answer = a.ask("Which company cut prices on its phones, and is opening a research lab in Paris?")
    assert "Also searched for “Acme”: the name the best sources share." in answer.notice
    assert "Also searched" not in a.ask("Did Globex open a research lab in Paris?").notice


def test_an_answer_names_the_runner_up_name_it_also_ranked_with(settings, fake_embedder, tmp_path):
    import json

    stories = [("acme-founded", "Acme founded the crypto exchange in the Bahamas. Jo Bloggs ran its books."),
               ("acme-convicted", "Acme was convicted of wire fraud by a jury. Jo Bloggs testified."),
               ("acme-both", "Acme founded the crypto exchange and was convicted of wire fraud.")]
    stories += [(f"case-{n}", f"A crypto exchange in the Bahamas was founded, and a jury heard of wire fraud, case {n}.")
                for n in range(4)]
    source = tmp_path / "stories.jsonl"
    source.write_text("\n".join(json.dumps({"id": i, "title": f"on the exchange, part {n}", "body": body, "source": "Daily Test",
                                            "published_at": "2023-10-05"}) for n, (i, body) in enumerate(stories)),
                      encoding="utf-8")
    a = Assistant(settings, embedder=fake_embedder)
    a.ingest([source])
    answer = a.ask("Who founded the crypto exchange in the Bahamas, and was convicted of wire fraud by a jury?")
    assert "Also searched for “Acme” and “Jo Bloggs”: names the best sources share." in answer.notice
