"""One structured call to Gemini or an OpenAI-compatible server, and nothing more.

Backends make exactly one HTTP request per :meth:`generate`: SDK retries, Gemini's
automatic continuation and the google-genai hidden reconnect-and-sleep are all turned
off, because retrying, rate limiting and budgeting are the service's job and every
request must be counted. Failures come back as the small exception family below so
the service can decide between waiting, retrying and falling back.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

from bot.config import Settings
from bot.http_dates import http_date_delay

log = logging.getLogger(__name__)

GEMINI_INLINE_PDF_MAX = 20_000_000  # inline parts above ~20 MB need the Files API; send text instead
_BLOCK_FINISH = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
                 "IMAGE_PROHIBITED_CONTENT", "LANGUAGE"}


class BackendError(Exception):
    """A call that produced no answer at all."""


class RateLimited(BackendError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Blocked(BackendError):
    """The provider refused to answer (safety filter, prompt blocked, refusal)."""


class ModelTimeout(BackendError):
    pass


class Unavailable(BackendError):
    """Network errors, 5xx, bad credentials: nothing a retry with a stricter prompt would fix."""


@dataclass(frozen=True)
class ModelCall:
    prompt: str
    schema: type[BaseModel]
    pdf: bytes | None = None  # attached as application/pdf where the backend reads PDFs
    temperature: float = 0.2
    max_output_tokens: int = 16_384  # a runaway guard; thinking tokens count against it on Gemini 2.5


@dataclass(frozen=True)
class ModelReply:
    text: str | None
    tokens_in: int | None = None
    tokens_out: int | None = None
    finish_reason: str | None = None
    truncated: bool = False
    sdk_parsed: bool | None = None  # whether the SDK itself could parse the JSON (Gemini only)


class ModelBackend(Protocol):
    model: str
    reads_pdf: bool

    async def generate(self, call: ModelCall) -> ModelReply: ...

    async def aclose(self) -> None: ...


def make_backend(settings: Settings) -> ModelBackend | None:
    """The configured backend, or None for extractive-only operation."""
    kind = settings.backend()
    timeout = settings.llm_timeout_seconds
    if kind == "gemini":
        key = settings.gemini_api_key.get_secret_value() if settings.gemini_api_key else ""
        _warn_without_key(key, "GEMINI_API_KEY")
        return GeminiBackend(key, settings.gemini_model, base_url=settings.gemini_base_url, timeout=timeout)
    if kind == "openai":
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        if not settings.openai_base_url:  # local OpenAI-compatible servers often need no key
            _warn_without_key(key, "OPENAI_API_KEY")
        return OpenAIBackend(key, settings.openai_model, base_url=settings.openai_base_url, timeout=timeout)
    return None


def _warn_without_key(key: str, name: str) -> None:
    if not key:
        log.warning("no API key configured; every summary will fall back to extractive", extra={"setting": name})


class _LazyClient:
    """Holds what the SDK client needs; the SDK is imported and the client built on the first call.

    A one-shot CLI command (``paperbot topics``) with a key set must not pay ~0.5 s and
    ~30 MB for an SDK it never uses.
    """

    def __init__(self, api_key: str, model: str, *, base_url: str | None, timeout: float) -> None:
        self.model = model
        self._api_key = api_key
        self._base_url = base_url
        self._timeout = timeout
        self._sdk: Any = None


class GeminiBackend(_LazyClient):
    """google-genai's async client; the PDF goes in as an inline ``application/pdf`` part."""

    reads_pdf = True

    def _client(self) -> Any:
        if self._sdk is None:
            from google import genai
            from google.genai import types

            # attempts=1 rather than retry_options=None: with None, google-genai's aiohttp path
            # silently sleeps 1-10 s and reconnects once after a connection error.
            options = types.HttpOptions(base_url=self._base_url, timeout=int(self._timeout * 1000),
                                        retry_options=types.HttpRetryOptions(attempts=1))
            self._sdk = genai.Client(api_key=self._api_key or "unset", http_options=options)
        return self._sdk

    async def generate(self, call: ModelCall) -> ModelReply:
        client = self._client()
        from google.genai import errors, types

        contents: list[Any] = [call.prompt]
        if call.pdf is not None:
            contents.insert(0, types.Part.from_bytes(data=call.pdf, mime_type="application/pdf"))
        config = types.GenerateContentConfig(
            response_mime_type="application/json",
            response_schema=call.schema,
            temperature=call.temperature,
            max_output_tokens=call.max_output_tokens,
            automatic_continuation=False,  # each continuation would be another billed, uncounted request
        )
        try:
            response = await client.aio.models.generate_content(
                model=self.model, contents=contents, config=config
            )
        except errors.APIError as exc:
            raise _gemini_error(exc) from None
        except TimeoutError as exc:
            raise ModelTimeout(f"Gemini did not answer in time ({exc.__class__.__name__})") from None
        except Exception as exc:  # noqa: BLE001 - transport errors of aiohttp, httpx or httpx2
            if "timeout" in exc.__class__.__name__.lower():
                raise ModelTimeout(f"Gemini did not answer in time ({exc.__class__.__name__})") from None
            raise Unavailable(f"Gemini request failed: {exc.__class__.__name__}: {exc}") from None
        return _gemini_reply(response, call.schema)

    async def aclose(self) -> None:
        if self._sdk is not None:
            await self._sdk.aio.aclose()
            self._sdk.close()


def _gemini_reply(response: Any, schema: type[BaseModel]) -> ModelReply:
    usage = response.usage_metadata
    tokens_in = usage.prompt_token_count if usage else None
    tokens_out = ((usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)) if usage else None
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason:
        raise Blocked(f"prompt blocked: {_enum(feedback.block_reason)}")
    if not response.candidates:
        raise Blocked("no candidates returned")
    candidate = response.candidates[0]
    finish = _enum(candidate.finish_reason)
    if finish in _BLOCK_FINISH:
        raise Blocked(f"answer stopped by the provider: {finish}")
    parts = candidate.content.parts if candidate.content and candidate.content.parts else []
    text = "".join(p.text for p in parts if getattr(p, "text", None) and not getattr(p, "thought", False))
    return ModelReply(
        text=text or None, tokens_in=tokens_in, tokens_out=tokens_out, finish_reason=finish,
        truncated=finish == "MAX_TOKENS", sdk_parsed=isinstance(response.parsed, schema),
    )


def _gemini_error(exc: Any) -> BackendError:
    code = getattr(exc, "code", None)
    status = getattr(exc, "status", None) or ""
    message = f"Gemini {code} {status}: {getattr(exc, 'message', '') or ''}".strip()
    if code == 429 or status == "RESOURCE_EXHAUSTED":
        return RateLimited(message, _google_retry_delay(getattr(exc, "details", None)) or _header_delay(exc))
    if code in (408, 504) or status == "DEADLINE_EXCEEDED":
        return ModelTimeout(message)
    if code == 400 and re.search(r"safety|blocked|prohibited", message, re.IGNORECASE):
        return Blocked(message)
    return Unavailable(message)


def _google_retry_delay(details: Any) -> float | None:
    """``RetryInfo.retryDelay`` ("13s", "0.5s") from a google.rpc error body."""
    error = details.get("error", details) if isinstance(details, dict) else None
    for item in (error or {}).get("details", []) or []:
        if isinstance(item, dict) and str(item.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)s\s*", str(item.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def _header_delay(exc: Any) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    return parse_retry_after(headers) if headers is not None else None


def parse_retry_after(headers: Any) -> float | None:
    """``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date), as seconds."""
    try:
        ms = headers.get("retry-after-ms")
        if ms:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
    except Exception:  # noqa: BLE001
        return None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return http_date_delay(value, headers.get("date"))


class OpenAIBackend(_LazyClient):
    """Any OpenAI-compatible chat-completions server; it cannot read PDFs, so text goes in the prompt."""

    reads_pdf = False

    def _client(self) -> Any:
        if self._sdk is None:
            import openai

            self._sdk = openai.AsyncOpenAI(api_key=self._api_key or "unset", base_url=self._base_url,
                                           timeout=self._timeout, max_retries=0)
        return self._sdk

    async def generate(self, call: ModelCall) -> ModelReply:
        client = self._client()
        import openai
        extra: dict[str, Any] = {}
        if not re.match(r"^(?:o\d|gpt-5)", self.model):  # reasoning models reject a temperature
            extra["temperature"] = call.temperature
        try:
            response = await client.chat.completions.create(
                model=self.model,
                messages=[{"role": "user", "content": call.prompt}],
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": call.schema.__name__, "schema": call.schema.model_json_schema(),
                                    "strict": False},
                },
                **extra,
            )
        except openai.RateLimitError as exc:
            raise RateLimited(f"OpenAI 429: {_openai_message(exc)}", parse_retry_after(exc.response.headers)) from None
        except openai.APITimeoutError:
            raise ModelTimeout("OpenAI-compatible server did not answer in time") from None
        except openai.APIConnectionError as exc:
            raise Unavailable(f"OpenAI-compatible server unreachable: {exc}") from None
        except openai.APIStatusError as exc:
            message = f"OpenAI {exc.status_code}: {_openai_message(exc)}"
            if exc.status_code == 400 and "content_filter" in message:
                raise Blocked(message) from None
            raise Unavailable(message) from None
        if not response.choices:
            raise Blocked("no choices returned")
        choice = response.choices[0]
        usage = response.usage
        if choice.finish_reason == "content_filter" or getattr(choice.message, "refusal", None):
            raise Blocked(f"refused: {getattr(choice.message, 'refusal', None) or choice.finish_reason}")
        return ModelReply(
            text=choice.message.content, tokens_in=usage.prompt_tokens if usage else None,
            tokens_out=usage.completion_tokens if usage else None, finish_reason=choice.finish_reason,
            truncated=choice.finish_reason == "length",
        )

    async def aclose(self) -> None:
        if self._sdk is not None:
            await self._sdk.close()


def _openai_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return f"{error.get('code') or ''} {error['message']}".strip()
    return str(getattr(exc, "message", exc))[:300]


def _enum(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))
