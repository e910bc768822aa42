"""Dense embeddings of papers from the configured model endpoint, cached in SQLite.

When ``PAPERBOT_EMBEDDING_MODEL`` names a model, each paper's title and abstract is
embedded once, by Gemini's embedding API (same key and base URL as summaries) or by an
OpenAI-compatible ``/v1/embeddings`` (Ollama, vLLM...), and stored per (paper, model), so
every chat shares it and a second digest of the same day costs no call. Without a model,
or when the endpoint fails, relevance uses TF-IDF alone: ranking never waits on it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from bot.config import Settings
from bot.models import Paper
from bot.store.embeddings import EmbeddingStore

if TYPE_CHECKING:  # numpy loads with the first vector (only when an embedding model is configured)
    import numpy as np

__all__ = ["Embedder", "Embeddings", "make_embedder"]

log = logging.getLogger(__name__)

BATCH = 100  # Gemini's batchEmbedContents takes at most 100 texts per request


class Embedder(Protocol):
    model: str

    async def embed(self, texts: Sequence[str]) -> list[list[float]]: ...

    async def aclose(self) -> None: ...


class GeminiEmbedder:
    def __init__(self, api_key: str, model: str, *, base_url: str | None, timeout: float) -> None:
        from google import genai
        from google.genai import types

        self.model = model
        options = types.HttpOptions(base_url=base_url, timeout=int(timeout * 1000),
                                    retry_options=types.HttpRetryOptions(attempts=1))
        self._client = genai.Client(api_key=api_key or "unset", http_options=options)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        contents: list[Any] = list(texts)  # one Content per text, one vector each
        response = await self._client.aio.models.embed_content(model=self.model, contents=contents)
        return [list(e.values or []) for e in response.embeddings or []]

    async def aclose(self) -> None:
        await self._client.aio.aclose()


class OpenAIEmbedder:
    def __init__(self, api_key: str, model: str, *, base_url: str | None, timeout: float) -> None:
        import openai

        self.model = model
        self._client = openai.AsyncOpenAI(api_key=api_key or "unset", base_url=base_url, timeout=timeout,
                                          max_retries=0)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        response = await self._client.embeddings.create(model=self.model, input=list(texts))
        return [list(d.embedding) for d in sorted(response.data, key=lambda d: d.index)]

    async def aclose(self) -> None:
        await self._client.close()


def make_embedder(settings: Settings) -> Embedder | None:
    """The embedder of the configured summary backend, or None when no embedding model is set."""
    model = settings.embedding_model.strip()
    if not model:
        return None
    backend = settings.backend()
    timeout = settings.llm_timeout_seconds
    if backend == "gemini" and settings.gemini_api_key is not None:
        return GeminiEmbedder(settings.gemini_api_key.get_secret_value(), model,
                              base_url=settings.gemini_base_url, timeout=timeout)
    if backend == "openai":
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        return OpenAIEmbedder(key, model, base_url=settings.openai_base_url, timeout=timeout)
    return None


def _text(paper: Paper) -> str:
    return f"{paper.title}\n\n{paper.abstract}"


class Embeddings:
    """Vectors of papers: from the cache, else from the embedder (then cached)."""

    def __init__(self, embedder: Embedder, store: EmbeddingStore) -> None:
        self._embedder = embedder
        self._store = store

    @property
    def model(self) -> str:
        return self._embedder.model

    async def vectors(self, papers: Sequence[Paper]) -> dict[str, np.ndarray]:
        """Unit vectors of ``papers``; empty when the endpoint fails (TF-IDF then ranks alone)."""
        import numpy as np

        model = self._embedder.model
        unique = list({p.id: p for p in papers}.values())
        found = await self._store.get_many(model, [p.id for p in unique])
        missing = [p for p in unique if p.id not in found]
        fresh: dict[str, np.ndarray] = {}
        try:
            for start in range(0, len(missing), BATCH):
                batch = missing[start:start + BATCH]
                values = await self._embedder.embed([_text(p) for p in batch])
                if len(values) != len(batch):
                    raise ValueError(f"{len(values)} embeddings for {len(batch)} texts")
                fresh.update({p.id: np.asarray(v, dtype=np.float32) for p, v in zip(batch, values, strict=True)})
        except Exception as exc:  # noqa: BLE001 - any transport or API error: rank without embeddings
            log.warning("embedding endpoint failed; ranking with TF-IDF only",
                        extra={"model": model, "error": type(exc).__name__})
            await self._store.put_many(model, fresh)
            return {}
        if fresh:
            await self._store.put_many(model, fresh)
        found.update(fresh)
        return {pid: _unit(v) for pid, v in found.items()}

    async def aclose(self) -> None:
        await self._embedder.aclose()


def _unit(vector: np.ndarray) -> np.ndarray:
    import numpy as np

    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
