"""The Newsdesk embedder wrapped as a llama-index BaseEmbedding, for the llama-index baseline.

Kept in bench/: the product keeps llama-index types inside index/retrieve/answer, and only the
benchmark needs to hand our embedder to a plain VectorStoreIndex.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr


class NewsdeskEmbedding(BaseEmbedding):
    """Any object with `embed(texts) -> (n, d) array` (SentenceTransformerEmbedder, HashingEmbedder)."""

    _embedder: Any = PrivateAttr()

    def __init__(self, embedder: Any, **kwargs: Any) -> None:
        super().__init__(model_name=getattr(embedder, "model_id", "newsdesk"), **kwargs)
        self._embedder = embedder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(texts).tolist()
