from pathlib import Path

import pytest

from assistant.errors import SettingsError
from assistant.settings import Settings, default_model_path, load_settings, small_model_path


def test_defaults_use_the_installed_model_and_loopback():
    s = load_settings(environ={})
    assert s.host == "127.0.0.1"
    assert s.index == "default"
    assert s.resolved_model_path == str(default_model_path())
    assert default_model_path().name == "all-mpnet-base-v2"
    # `make setup` installed it, exported to ONNX.
    assert Path(s.resolved_model_path, "onnx", "model.onnx").is_file()


def test_minilm_names_the_small_model_inside_its_package():
    for value in ("minilm", "MiniLM"):
        path = load_settings(environ={"NEWSDESK_MODEL_PATH": value}).resolved_model_path
        assert path == small_model_path() and Path(path, "config.json").is_file()


def test_the_default_model_lives_under_xdg_data_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_model_path() == tmp_path / "newsdesk" / "models" / "all-mpnet-base-v2"


def test_environment_overrides_with_types():
    s = load_settings(environ={"NEWSDESK_CHUNK_MAX_CHARS": "500", "NEWSDESK_LLM_TIMEOUT_S": "2.5"})
    assert s.chunk_max_chars == 500 and s.llm_timeout_s == 2.5


def test_bad_environment_value_names_the_variable():
    with pytest.raises(SettingsError) as err:
        load_settings(environ={"NEWSDESK_PORT": "eighty"})
    assert "NEWSDESK_PORT" in str(err.value) and "'eighty'" in str(err.value)


def test_settings_file_and_unknown_field(tmp_path):
    good = tmp_path / "s.toml"
    good.write_text('index = "wagner"\nmax_file_bytes = 1000\n')
    assert load_settings(good, environ={}).index == "wagner"
    bad = tmp_path / "bad.toml"
    bad.write_text('colour = "blue"\n')
    with pytest.raises(SettingsError, match="unknown field\\(s\\) colour"):
        load_settings(bad, environ={})


def test_index_path_name_or_directory(tmp_path):
    s = Settings(indexes_dir=tmp_path)
    assert s.index_path("wagner") == (tmp_path / "wagner").resolve()
    assert s.index_path(str(tmp_path / "elsewhere")) == (tmp_path / "elsewhere").resolve()
    assert s.index_path() == (tmp_path / "default").resolve()


def test_half_a_scale_out_setup_is_a_clear_error():
    settings = load_settings(environ={"NEWSDESK_RECORDS_URL": "postgresql://u:p@h/db"})
    with pytest.raises(SettingsError, match="NEWSDESK_VECTORS_URI is not"):
        settings.scale_out
    assert load_settings(environ={}).scale_out is False
    both = load_settings(environ={"NEWSDESK_RECORDS_URL": "postgresql://u:p@h/db", "NEWSDESK_VECTORS_URI": "./v.db"})
    assert both.scale_out is True
