"""Reading arXiv's answers as if they could be hostile: bounded bodies, redirects only to arXiv.

Whatever answers on arXiv's address (a broken proxy, a captive portal, a hijacked
resolver) could send an endless body, a small gzip body that decodes to hundreds of
megabytes, or a redirect to a host of its choosing. This module reads the raw bytes
itself and decodes them with a bounded ``zlib`` call, so neither the bytes on the
wire nor the decoded bytes ever exceed the limit, not even for one chunk; and it
follows a redirect only to a host on an allow-list.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # httpx loads with the first request (see ArxivSource._http)
    import httpx

__all__ = [
    "ACCEPT_ENCODING", "Answer", "BodyTooLarge", "ForeignRedirect", "allowed_hosts", "open_stream", "read_capped",
]

#: The only encodings :func:`read_capped` decodes; sent as ``Accept-Encoding`` so a server has no reason to use others.
ACCEPT_ENCODING = "gzip, deflate"
ARXIV_DOMAIN = "arxiv.org"
MAX_REDIRECTS = 5


class BodyTooLarge(Exception):
    """The answer passed the byte limit, on the wire (``raw``) or once decoded."""

    def __init__(self, limit: int, raw: int, decoded: int) -> None:
        super().__init__(f"answer larger than {limit} bytes (read {raw} raw, {decoded} decoded)")
        self.limit = limit
        self.raw = raw
        self.decoded = decoded


class ForeignRedirect(Exception):
    """A redirect pointed at a host that is not arXiv's nor configured."""

    def __init__(self, host: str) -> None:
        super().__init__(f"redirect to {host!r} refused")
        self.host = host


@dataclass(frozen=True)
class Answer:
    """A fully read answer: what the feed parsers need and nothing that can still stream."""

    status_code: int
    content: bytes
    encoding: str = "utf-8"

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding, errors="replace")


def allowed_hosts(urls: Iterable[str]) -> frozenset[str]:
    """Hosts of the configured base URLs; arXiv's own domain is always allowed on top."""
    return frozenset(host.lower() for url in urls if (host := urlsplit(url).hostname))


def _allowed(url: httpx.URL, hosts: frozenset[str]) -> bool:
    host = url.host.lower()
    if url.scheme not in ("http", "https"):
        return False
    return host in hosts or host == ARXIV_DOMAIN or host.endswith("." + ARXIV_DOMAIN)


@asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient,
    url: str,
    *,
    params: dict[str, str] | None,
    hosts: frozenset[str],
    timeout: httpx.Timeout,
) -> AsyncIterator[httpx.Response]:
    """GET ``url`` as a stream, following at most :data:`MAX_REDIRECTS` redirects within ``hosts``.

    Raises :class:`ForeignRedirect` before any request goes to a host off the list.
    """
    import httpx

    request = client.build_request("GET", url, params=params, timeout=timeout,
                                   headers={"Accept-Encoding": ACCEPT_ENCODING})
    for _ in range(MAX_REDIRECTS + 1):
        response = await client.send(request, stream=True, follow_redirects=False)
        next_request = response.next_request
        if next_request is None:
            try:
                yield response
            finally:
                await response.aclose()
            return
        await response.aclose()
        if not _allowed(next_request.url, hosts):
            raise ForeignRedirect(next_request.url.host or str(next_request.url)[:100])
        request = next_request
    raise httpx.TooManyRedirects("too many redirects", request=request)


async def read_capped(response: httpx.Response, limit: int) -> bytes:
    """The decoded body, refusing more than ``limit`` bytes on the wire or after decoding."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit, int(declared), 0)
    decode = _decoder(response.headers.get("Content-Encoding", ""))
    raw = 0
    out = bytearray()
    async for chunk in response.aiter_raw():
        raw += len(chunk)
        if raw > limit:
            raise BodyTooLarge(limit, raw, len(out))
        # Ask for one byte more than the room left: getting it proves the body is too large.
        out += decode(chunk, limit - len(out) + 1)
        if len(out) > limit:
            raise BodyTooLarge(limit, raw, len(out))
    out += decode(b"", -1)
    if len(out) > limit:
        raise BodyTooLarge(limit, raw, len(out))
    return bytes(out)


def _decoder(encoding: str) -> Callable[[bytes, int], bytes]:
    """``decode(chunk, max_out)``; ``max_out == -1`` flushes. Only the encodings we ask for."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return lambda chunk, _max: chunk
    if name in ("gzip", "x-gzip"):
        return _zlib_decoder(zlib.MAX_WBITS | 16)
    if name == "deflate":
        return _zlib_decoder(zlib.MAX_WBITS | 32)  # zlib-wrapped (what the RFC says) or auto-detected
    import httpx

    raise httpx.DecodingError(f"unsupported Content-Encoding {encoding[:40]!r}")


def _zlib_decoder(wbits: int) -> Callable[[bytes, int], bytes]:
    state = zlib.decompressobj(wbits)

    def decode(chunk: bytes, max_out: int) -> bytes:
        try:
            if max_out < 0:
                return state.flush()
            # With max_length, input that would produce more stays in unconsumed_tail; we stop
            # there anyway (the caller sees max_out bytes and refuses), so it is never inflated.
            return state.decompress(chunk, max_out)
        except zlib.error as exc:
            import httpx

            raise httpx.DecodingError(f"bad compressed body: {exc}") from None

    return decode
