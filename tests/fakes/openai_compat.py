"""A fake OpenAI-compatible chat-completions server (what ``openai.AsyncOpenAI`` posts to).

With ``base_url=fake.url + "/v1"`` the client posts ``/v1/chat/completions`` (and
``/v1/embeddings``, answered with :func:`tests.fakes.gemini.hashed_embedding` vectors). Answers
have the real shape (``choices[0].message.content``, ``finish_reason``,
``usage{prompt_tokens, completion_tokens}``); 429s carry ``retry-after`` and
OpenAI's error body; refusals use ``finish_reason: content_filter``. The scripted
modes are the same as :class:`tests.fakes.gemini.FakeGemini`'s.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.gemini import ScriptedModel, output_tokens, prompt_language, schema_kind


@dataclass
class RecordedChat:
    model: str
    prompt: str
    body: dict[str, Any]
    headers: dict[str, str]
    kind: str
    language: str
    mode: str


class FakeOpenAI(ScriptedModel):
    def __init__(self) -> None:
        self.retry_after = "0.05"
        self.embeddings_fail = False  # answer /v1/embeddings with a 500
        super().__init__()

    def setup_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._counted)
        app.router.add_post("/v1/embeddings", self._embeddings)

    async def _embeddings(self, request: web.Request) -> web.Response:
        """``/v1/embeddings``: ``input`` (a string or a list), answered with ``data[].embedding``."""
        if self.embeddings_fail:
            return web.json_response({"error": {"message": "The server had an error", "type": "server_error",
                                                "param": None, "code": None}}, status=500)
        body = await request.json()
        texts = [body["input"]] if isinstance(body["input"], str) else list(body["input"])
        self.embedded.append(texts)
        tokens = sum(len(t) // 4 for t in texts)
        return web.json_response({
            "object": "list", "model": body.get("model", ""),
            "data": [{"object": "embedding", "index": i, "embedding": self.embedding(t)} for i, t in enumerate(texts)],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        })

    async def _answer(self, request: web.Request) -> web.Response:
        body = await request.json()
        prompt = "\n".join(
            m["content"] if isinstance(m.get("content"), str)
            else "\n".join(p.get("text", "") for p in m.get("content") or [])
            for m in body.get("messages", [])
        )
        schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema") or {}
        kind = schema_kind(schema)
        language = prompt_language(prompt)
        mode = self.next_mode()
        self.requests.append(
            RecordedChat(body.get("model", ""), prompt, body, dict(request.headers), kind, language, mode)
        )
        tokens_in = len(prompt) // 4
        if mode == "429":
            self.rate_limited_for(float(self.retry_after))
            return web.json_response(
                {"error": {"message": "Rate limit reached for requests", "type": "requests",
                           "param": None, "code": "rate_limit_exceeded"}},
                status=429, headers={"retry-after": self.retry_after, "x-request-id": "req_fake"},
            )
        if mode == "500":
            return web.json_response({"error": {"message": "The server had an error", "type": "server_error",
                                                "param": None, "code": None}}, status=500)
        if mode in ("safety_block", "safety_finish"):
            return web.json_response(_completion(body, None, "content_filter", tokens_in, 0,
                                                 refusal="I can't help with that." if mode == "safety_block" else None))
        if mode == "slow":
            await asyncio.sleep(self.slow_seconds)
        text, finish = self.answer(mode, kind, language, prompt)
        reason = "length" if finish == "MAX_TOKENS" else "stop"
        return web.json_response(_completion(body, text, reason, tokens_in, output_tokens(text)))


def _completion(
    body: dict[str, Any], content: str | None, finish: str, tokens_in: int, tokens_out: int, refusal: str | None = None,
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", ""),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": refusal},
                     "logprobs": None, "finish_reason": finish}],
        "usage": {"prompt_tokens": tokens_in, "completion_tokens": tokens_out, "total_tokens": tokens_in + tokens_out},
        "system_fingerprint": "fp_fake",
    }
