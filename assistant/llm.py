"""The optional LLM answer engine: an OpenAI-compatible endpoint or a local GGUF file.

Off by default (see `Settings.llm_enabled`). The model gets the retrieved passages as quoted,
numbered data and must cite them as `[n]`; its answer is then checked by `citations.verify_answer`,
so nothing the model says is shown as sourced unless the cited passage supports it.

The LLM object is always passed explicitly: llama-index's global `Settings.llm` silently falls back
to OpenAI's paid API, which must never happen here.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import logging
import re
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

from .citations import UNCITED_FLAG, UNSUPPORTED_FLAG, verify_answer
from .errors import LLMError, SettingsError
from .records import Answer, Filters, Passage
from .settings import Settings

log = logging.getLogger(__name__)

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
NO_ANSWER = "NO_ANSWER"
# The model's answer length; an answer is a few sentences.
MAX_ANSWER_TOKENS = 512
# Passage text given to the model at most (~3,000 tokens): small local models have 4k contexts.
MAX_PASSAGE_CHARS = 12_000
# Earlier chat turns given to the model, and how much of each.
MAX_HISTORY_TURNS = 3
MAX_HISTORY_CHARS = 1_500
GGUF_CONTEXT_TOKENS = 4096

NOT_ANSWERABLE_TEXT = (
    "The coverage in the index does not answer this question. The closest passages are listed below."
)
_THINKING = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_NO_ANSWER_START = re.compile(r"^\W*NO_ANSWER\b")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_HISTORY_MARKERS = re.compile(r"\s*\[\d+\]")


# ---------------------------------------------------------------------------- prompts


@functools.lru_cache(maxsize=None)
def load_prompt(name: str) -> str:
    """The prompt template `prompts/<name>.txt`."""
    path = PROMPTS_DIR / f"{name}.txt"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise SettingsError(f"The prompt file {path} is missing; reinstall Newsdesk or restore it.") from None


def render_prompt(name: str, **values: str) -> str:
    """Fill `{placeholders}` in one pass, so text inside a value is never treated as a placeholder."""
    template = load_prompt(name)

    def value_for(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise SettingsError(f"The prompt file {PROMPTS_DIR / (name + '.txt')} uses an unknown placeholder {{{key}}}.")
        return values[key]

    return _PLACEHOLDER.sub(value_for, template)


def format_passage(number: int, passage: Passage) -> str:
    """`[n] <outlet, date> "title"` and the passage text in a triple-quoted block (data, not prose)."""
    article = passage.article
    outlet = _one_line(article.outlet or "unknown outlet")
    date = (article.published_at or "undated")[:10]
    title = _one_line(article.title)
    # The text cannot close its own quote block early.
    text = passage.chunk.text.replace('"""', '" " "')
    return f'[{number}] <{outlet}, {date}> "{title}"\n"""\n{text}\n"""'


def format_passages(passages: Sequence[Passage]) -> str:
    return "\n\n".join(format_passage(number, passage) for number, passage in enumerate(passages, start=1))


def _one_line(value: str) -> str:
    return " ".join(value.split()).replace('"', "'")


def passages_within_budget(passages: Sequence[Passage], max_chars: int = MAX_PASSAGE_CHARS) -> list[Passage]:
    """The best-ranked passages (the caller's order) whose text fits in `max_chars`; at least one."""
    kept: list[Passage] = []
    used = 0
    for passage in passages:
        size = len(passage.chunk.text)
        if kept and used + size > max_chars:
            break
        kept.append(passage)
        used += size
    return kept


def build_messages(
    question: str, passages: Sequence[Passage], mode: str, history: Sequence[tuple[str, str]]
) -> list[Any]:
    """System rules, earlier turns (without their citation markers), then passages and question."""
    from llama_index.core.llms import ChatMessage, MessageRole

    task_name = f"task_{mode}" if (PROMPTS_DIR / f"task_{mode}.txt").exists() else "task_ask"
    messages = [ChatMessage(role=MessageRole.SYSTEM, content=load_prompt("answer_system"))]
    for user_turn, assistant_turn in list(history)[-MAX_HISTORY_TURNS:]:
        messages.append(ChatMessage(role=MessageRole.USER, content=_history_text(user_turn)))
        messages.append(ChatMessage(role=MessageRole.ASSISTANT, content=_history_text(assistant_turn)))
    user = render_prompt(
        "answer_user", passages=format_passages(passages), task=load_prompt(task_name), question=question.strip()
    )
    messages.append(ChatMessage(role=MessageRole.USER, content=user))
    return messages


def _history_text(text: str) -> str:
    # Old markers point to old passage numbers; left in, the model would copy them.
    text = _HISTORY_MARKERS.sub("", text)
    text = text.replace(UNCITED_FLAG, "").replace(UNSUPPORTED_FLAG, "")
    return text.strip()[:MAX_HISTORY_CHARS]


# ---------------------------------------------------------------------------- the engine


class LLMEngine:
    """Answers from passages with an LLM and keeps only what the passages support."""

    def __init__(self, settings: Settings, llm: Any = None, name: str | None = None) -> None:
        self.settings = settings
        self._llm = llm
        self._llm_lock = threading.Lock()
        self.name = name or engine_name(settings)

    @property
    def llm(self) -> Any:
        """The llama-index LLM, made on first use (a local GGUF model takes seconds to load)."""
        with self._llm_lock:
            if self._llm is None:
                self._llm = make_llm(self.settings)
            return self._llm

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        mode: str = "ask",
        history: Sequence[tuple[str, str]] = (),
        filters: Filters = Filters(),
    ) -> Answer:
        """The model's answer with verified citations. Raises LLMError when the model fails."""
        if not passages:
            return self._not_answerable(question, mode, passages, filters)
        usable = passages_within_budget(passages)
        raw = self._complete(build_messages(question, usable, mode, history))
        if _NO_ANSWER_START.match(raw):
            return self._not_answerable(question, mode, passages, filters)
        verified = verify_answer(raw, usable)
        flagged = len(verified.sentences) - verified.supported_count
        notice = ""
        if flagged:
            notice = (
                f"{flagged} sentence(s) of the LLM's answer are not supported by the passages they cite "
                f"(or cite none) and are marked ⚠; do not rely on them."
            )
        return Answer(
            question=question,
            mode=mode,
            text=verified.text,
            answerable=bool(verified.citations),
            citations=verified.citations,
            passages=tuple(passages),
            engine=self.name,
            notice=notice,
            filters=filters,
        )

    def _complete(self, messages: list[Any]) -> str:
        try:
            response = self.llm.chat(messages)
        except LLMError:
            raise
        except Exception as error:  # the client raises many kinds (timeout, connection, HTTP status)
            log.warning("LLM request to %s failed: %r", self.name, error)
            raise LLMError(f"The LLM ({self.name}) failed: {_describe(error)}.") from error
        text = _THINKING.sub("", response.message.content or "").strip()
        if not text:
            raise LLMError(f"The LLM ({self.name}) returned an empty answer.")
        log.debug("raw LLM answer: %r", text)
        return text

    def _not_answerable(self, question: str, mode: str, passages: Sequence[Passage], filters: Filters) -> Answer:
        return Answer(
            question=question,
            mode=mode,
            text=NOT_ANSWERABLE_TEXT,
            answerable=False,
            citations=(),
            passages=tuple(passages),
            engine=self.name,
            filters=filters,
        )


def _describe(error: Exception) -> str:
    kind = type(error).__name__
    if "Timeout" in kind or "timed out" in str(error).lower():
        return "the request timed out"
    if "Connection" in kind:
        return "could not connect to the endpoint"
    message = " ".join(str(error).split())[:200]
    return f"{kind}: {message}" if message else kind


def with_fallback(
    llm_engine: LLMEngine | None,
    extractive_answer: Callable[[], Answer],
    question: str,
    passages: Sequence[Passage],
    mode: str = "ask",
    history: Sequence[tuple[str, str]] = (),
    filters: Filters = Filters(),
) -> Answer:
    """The LLM's answer, or the extractive one (with a notice saying why) when the LLM fails or
    none of its sentences could be verified against the passages.

    `extractive_answer` is called only when needed.
    """
    if llm_engine is None:
        return extractive_answer()
    try:
        answer = llm_engine.answer(question, passages, mode, history, filters=filters)
    except LLMError as error:
        return dataclasses.replace(extractive_answer(), notice=f"{error} This is the extractive answer.")
    if answer.answerable or answer.text == NOT_ANSWERABLE_TEXT:
        return answer
    log.info("no sentence of the LLM answer was supported by its citations; using the extractive answer")
    return dataclasses.replace(
        extractive_answer(),
        notice=(
            f"The LLM ({llm_engine.name}) gave no answer sentence that its cited passages support. "
            "This is the extractive answer."
        ),
    )


# ---------------------------------------------------------------------------- making the LLM


def engine_name(settings: Settings) -> str:
    if settings.llm_gguf_path:
        return f"LLM: {Path(settings.llm_gguf_path).name} (local GGUF)"
    # Credentials in the URL ("https://user:key@host/v1") must not reach the UI or the logs.
    base_url = re.sub(r"//[^/@\s]*@", "//", settings.llm_base_url)
    return f"LLM: {settings.llm_model or 'default model'} via {base_url}"


def make_llm_engine(settings: Settings) -> LLMEngine | None:
    """The LLM engine, or None when no LLM is configured. Checks the settings now (not at the
    first question), so a typo shows when Newsdesk starts."""
    if not settings.llm_enabled:
        return None
    check_llm_settings(settings)
    return LLMEngine(settings)


def check_llm_settings(settings: Settings) -> None:
    if settings.llm_base_url and settings.llm_gguf_path:
        raise SettingsError(
            "Both NEWSDESK_LLM_BASE_URL and NEWSDESK_LLM_GGUF_PATH are set; set only one of them."
        )
    if settings.llm_base_url and not re.match(r"^https?://[^/\s]+", settings.llm_base_url):
        raise SettingsError(
            f"Setting NEWSDESK_LLM_BASE_URL has the value {settings.llm_base_url!r}, which is not an "
            "http(s) URL (for example http://127.0.0.1:8080/v1)."
        )
    if settings.llm_gguf_path:
        path = Path(settings.llm_gguf_path).expanduser()
        if not path.is_file():
            raise SettingsError(f"Setting NEWSDESK_LLM_GGUF_PATH points to {path}, which is not a file.")
        if importlib.util.find_spec("llama_cpp") is None:
            raise SettingsError(
                "Setting NEWSDESK_LLM_GGUF_PATH needs llama-cpp-python, which is not installed: "
                "run `pip install newsdesk[gguf]` (it compiles, ~8 minutes on 2 cores)."
            )


def make_llm(settings: Settings, max_tokens: int = MAX_ANSWER_TOKENS) -> Any:
    """The llama-index LLM the settings describe (`max_tokens`: the longest answer it may write)."""
    check_llm_settings(settings)
    if settings.llm_gguf_path:
        return make_gguf_llm(settings.llm_gguf_path, max_tokens)
    if not settings.llm_base_url:
        raise SettingsError("No LLM is configured: set NEWSDESK_LLM_BASE_URL or NEWSDESK_LLM_GGUF_PATH.")
    return make_openai_like(settings, max_tokens)


def make_openai_like(settings: Settings, max_tokens: int = MAX_ANSWER_TOKENS) -> Any:
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(
        model=settings.llm_model or "default",
        api_base=settings.llm_base_url,
        # A placeholder, never None: None would make the client read OPENAI_API_KEY from the
        # environment and send it to whatever endpoint is configured.
        api_key=settings.llm_api_key or "no-key",
        is_chat_model=True,
        timeout=settings.llm_timeout_s,
        # A retry doubles the wait before the extractive fallback; a failed request falls back.
        max_retries=0,
        temperature=0.0,
        max_tokens=max_tokens,
        context_window=GGUF_CONTEXT_TOKENS,
    )


def make_gguf_llm(path: str, max_tokens: int = MAX_ANSWER_TOKENS) -> Any:
    """A llama-index LLM over a local GGUF file (the model loads at the first question)."""
    return _llama_cpp_chat_class()(model_path=str(Path(path).expanduser()), max_tokens=max_tokens)


@functools.lru_cache(maxsize=1)
def _llama_cpp_chat_class() -> type:
    """A llama-index LLM over llama_cpp.Llama using the GGUF file's own chat template.

    Written here rather than using llama-index-llms-llama-cpp: that package formats chats with a
    fixed Llama-2 template, while `create_chat_completion` uses the template stored in the file.
    """
    from llama_index.core.bridge.pydantic import PrivateAttr
    from llama_index.core.llms import (
        ChatMessage,
        ChatResponse,
        CompletionResponse,
        CustomLLM,
        LLMMetadata,
        MessageRole,
    )

    class _LlamaCppChat(CustomLLM):
        model_path: str
        max_tokens: int = MAX_ANSWER_TOKENS
        context_window: int = GGUF_CONTEXT_TOKENS
        _llama: Any = PrivateAttr(default=None)
        # One llama.cpp context serves one request at a time; the app may ask from several threads.
        _lock: Any = PrivateAttr(default_factory=threading.Lock)

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(
                context_window=self.context_window, num_output=self.max_tokens, is_chat_model=True,
                model_name=Path(self.model_path).name,
            )

        def _model(self) -> Any:
            if self._llama is None:
                import llama_cpp

                try:
                    self._llama = llama_cpp.Llama(model_path=self.model_path, n_ctx=self.context_window, verbose=False)
                except (ValueError, RuntimeError) as error:
                    raise LLMError(f"The GGUF file {self.model_path} cannot be loaded: {error}.") from error
            return self._llama

        def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
            with self._lock:
                result = self._model().create_chat_completion(
                    messages=[{"role": message.role.value, "content": message.content or ""} for message in messages],
                    temperature=0.0,
                    max_tokens=self.max_tokens,
                )
            content = result["choices"][0]["message"].get("content") or ""
            return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=content))

        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
            with self._lock:
                result = self._model().create_completion(prompt, temperature=0.0, max_tokens=self.max_tokens)
            return CompletionResponse(text=result["choices"][0]["text"])

        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
            yield self.complete(prompt, formatted=formatted)

    return _LlamaCppChat


__all__ = [
    "LLMEngine",
    "NOT_ANSWERABLE_TEXT",
    "PROMPTS_DIR",
    "build_messages",
    "check_llm_settings",
    "engine_name",
    "format_passage",
    "load_prompt",
    "make_llm",
    "make_gguf_llm",
    "make_llm_engine",
    "passages_within_budget",
    "render_prompt",
    "with_fallback",
]
