"""Everything paperbot asks arXiv, politely: one request at a time, spaced, retried.

arXiv's terms allow one request every three seconds over one connection, and the API
sometimes answers with an empty page instead of an error. This module enforces the
first (:class:`Politeness`, shared by API, RSS and PDF requests) and refuses to take
the second at face value. Parsing lives in :mod:`bot.arxiv.feeds`.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date
from types import TracebackType
from typing import TYPE_CHECKING, Literal, TypeVar

from bot.arxiv.feeds import ApiPage, FeedError, RssDay, enrich, parse_api_feed, parse_rss_feed, split_versioned_id
from bot.arxiv.http import Answer, BodyTooLarge, ForeignRedirect, allowed_hosts, open_stream, read_capped
from bot.arxiv.ids import is_arxiv_id
from bot.config import Settings
from bot.http_dates import http_date_delay
from bot.models import DayPapers, Paper

if TYPE_CHECKING:  # httpx loads with the first request: one-shot commands that never reach arXiv skip it
    import httpx

__all__ = ["ArxivError", "ArxivSource", "ArxivStats", "ArxivUnavailable", "Politeness", "UnknownCategory"]

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_PAGE = 2000  # the API refuses larger pages
MAX_TOTAL = 30000  # and never pages past this
MAX_RETRY_AFTER = 120.0  # a hostile or buggy Retry-After must not park the bot for hours
_CATEGORY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-.")


class ArxivError(Exception):
    """Talking to arXiv failed; ``str(exc)`` is fit to show in chat."""


class ArxivUnavailable(ArxivError):
    """arXiv kept failing (errors, timeouts, empty pages) through every retry."""


class UnknownCategory(ArxivError, ValueError):
    """arXiv's RSS answered 400 (at least one of ``categories`` is not one it knows), or a
    category is not even shaped like one and was refused before asking."""

    def __init__(self, categories: Sequence[str]) -> None:
        cats = ", ".join(categories)
        super().__init__(f"arXiv does not know the category {cats}." if len(categories) == 1
                         else f"arXiv does not know one of these categories: {cats}.")
        self.categories = tuple(categories)


class _Retry(Exception):
    """A response that should be asked again; ``value`` is what it parsed to, if anything."""

    def __init__(self, reason: str, retry_after: float | None = None, value: object = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.value = value


@dataclass
class ArxivStats:
    """Request counters; benchmarks and tests read them to prove batching and politeness."""

    api_requests: int = 0
    rss_requests: int = 0
    pdf_requests: int = 0
    retries: int = 0


class Politeness:
    """One request in flight, and at least ``delay`` seconds between request starts.

    ``defer`` pushes the next start back for everyone, so a Retry-After from arXiv slows
    the whole process down rather than only the request that received it.
    """

    def __init__(
        self,
        delay: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.delay = delay
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._last_start: float | None = None
        self._not_before = float("-inf")
        self.waiting = 0  # requests waiting for or holding the slot: the queue a user can be told about
        self.served = 0  # requests given the slot so far; with ``waiting``, a place in the queue

    def defer(self, seconds: float) -> None:
        self._not_before = max(self._not_before, self._clock() + seconds)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold the only request slot; the body is one HTTP request."""
        self.waiting += 1
        try:
            async with self._lock:
                while True:
                    earliest = self._not_before
                    if self._last_start is not None:
                        earliest = max(earliest, self._last_start + self.delay)
                    wait = earliest - self._clock()
                    if wait <= 0:
                        break
                    await self._sleep(wait)
                self._last_start = self._clock()
                self.served += 1
                yield
        finally:
            self.waiting -= 1


class ArxivSource:
    """arXiv API, announcement RSS and PDFs behind one client and one politeness limiter.

    Build one per process and share it: the limiter only protects requests that go
    through the same instance (or pass the same ``politeness``).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        client: httpx.AsyncClient | None = None,
        politeness: Politeness | None = None,
    ) -> None:
        self._settings = settings
        # Redirects are followed by hand (bot.arxiv.http.open_stream), only to these hosts and arXiv's.
        self._hosts = allowed_hosts((settings.arxiv_api_url, settings.arxiv_rss_url, settings.arxiv_pdf_url))
        self._client = client  # built on first request: commands that never reach arXiv skip httpcore
        self._owns_client = client is None
        self.politeness = politeness or Politeness(settings.arxiv_delay_seconds)
        self.stats = ArxivStats()

    async def __aenter__(self) -> ArxivSource:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                timeout=self._timeout(),
                follow_redirects=False,
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                headers={"User-Agent": "paperbot/0.1 (daily arXiv digests for research chats)"},
            )
        return self._client

    def _timeout(self) -> httpx.Timeout:
        import httpx

        return httpx.Timeout(self._settings.arxiv_timeout_seconds)

    # ----------------------------------------------------------------- public API

    async def todays_papers(self, categories: Iterable[str], today: date | None = None) -> DayPapers:
        """The latest announcement for ``categories``: :meth:`announcement`, then :meth:`enrich`.

        ``today`` dates a feed whose channel carries no date.
        """
        feed = await self.announcement(categories)
        day = feed.day or today
        if day is None:
            raise ArxivError("arXiv's feed carried no announcement date.")
        return await self.enrich(day, feed.papers)

    async def announcement(self, categories: Iterable[str]) -> RssDay:
        """The announcement the RSS feed shows now, in one request and without enrichment.

        Callers check the feed's day before paying for :meth:`enrich`: a feed that still
        shows an older listing is worth nothing more.
        """
        cats = _categories(categories)
        url = f"{self._settings.arxiv_rss_url}/{'+'.join(cats)}"
        try:
            return await self._fetch("rss", url, None, _rss_check, accept_last=True)
        except UnknownCategory:
            raise UnknownCategory(cats) from None

    async def enrich(self, day: date, feed_papers: Iterable[Paper]) -> DayPapers:
        """Add comments and primary categories to a feed's papers with batched ``id_list`` requests.

        Replacements are kept, flagged by ``announce_type``; callers decide. If the API
        fails after every retry the RSS papers are returned unenriched (no comment or
        primary category): a digest without comments beats no digest.
        """
        announced: dict[str, Paper] = {}
        for paper in feed_papers:
            announced.setdefault(paper.id, replace(paper, announced=day))
        if not announced:
            return DayPapers(day=day, papers=[], no_announcement=True)
        try:
            details = await self._by_ids([i for i in announced if is_arxiv_id(i)], expect_all=True)
        except ArxivUnavailable as exc:
            log.warning("arXiv API unavailable, digest for %s goes out without comments: %s", day, exc)
            details = {}
        papers = [enrich(p, details[i]) if i in details else p for i, p in announced.items()]
        return DayPapers(day=day, papers=papers)

    async def papers_by_ids(self, ids: Sequence[str]) -> list[Paper]:
        """Papers in request order; unknown or malformed ids are simply absent."""
        wanted = list(dict.fromkeys(i.strip() for i in ids if is_arxiv_id(i.strip())))
        found = await self._by_ids(wanted, expect_all=False)
        bare = dict.fromkeys(split_versioned_id(i)[0] for i in wanted)
        return [found[key] for key in bare if key in found]

    async def papers_submitted(self, categories: Iterable[str], start: date, end: date) -> list[Paper]:
        """Papers submitted in ``[start, end]`` (GMT days), oldest first, paging politely."""
        cats = _categories(categories)
        cat_query = " OR ".join(f"cat:{c}" for c in cats)
        query = f"({cat_query}) AND submittedDate:[{start:%Y%m%d}0000 TO {end:%Y%m%d}2359]"
        size = min(self._settings.arxiv_batch_size, MAX_PAGE)
        papers: dict[str, Paper] = {}
        offset, total = 0, MAX_TOTAL
        while offset < min(total, MAX_TOTAL):
            params = {
                "search_query": query,
                "start": str(offset),
                "max_results": str(size),
                "sortBy": "submittedDate",
                "sortOrder": "ascending",
            }
            page = await self._fetch("api", self._settings.arxiv_api_url, params, _search_check(offset))
            total = page.total_results if page.total_results is not None else 0
            if not page.papers:
                break
            for paper in page.papers:
                papers.setdefault(paper.id, paper)
            offset += len(page.papers)
        return list(papers.values())

    async def fetch_pdf(
        self, paper_id: str, version: int | None = None, max_bytes: int | None = None, *,
        started: Callable[[], None] | None = None,
    ) -> bytes:
        """Download a PDF under the same politeness; refuses bodies over ``max_bytes``.

        ``started`` is called each time the download holds the request slot, so a caller's
        deadline can count downloading and not the wait for the slot.
        """
        if not is_arxiv_id(paper_id):
            raise ArxivError("That is not an arXiv id, so there is no PDF to fetch.")
        limit = max_bytes if max_bytes is not None else self._settings.pdf_max_bytes
        suffix = f"v{version}" if version is not None else ""
        url = f"{self._settings.arxiv_pdf_url}/{paper_id}{suffix}"
        import httpx

        attempts = self._settings.arxiv_retries + 1
        self._http()  # built before the slot, so the slot times the request, not the client's set-up
        for attempt in range(attempts):
            async with self.politeness.slot():
                if started is not None:
                    started()
                self.stats.pdf_requests += 1
                try:
                    async with self._open(url, None) as response:
                        retry = _retry_reason(response)
                        if retry is None:
                            return await _read_pdf(response, paper_id, limit)
                except httpx.TimeoutException:
                    retry = _Retry("timeout")
                except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                    raise ArxivError(f"The arXiv PDF address is misconfigured: {exc}") from None
                except httpx.RequestError as exc:
                    retry = _Retry(f"connection error: {exc!r}")
            self._back_off(attempt, attempts, retry, url)
        raise ArxivUnavailable(f"arXiv did not send the PDF after {attempts} tries; please try again later.")

    def queue(self) -> tuple[int, int]:
        """(requests waiting for or holding the request slot, requests served so far): a place in line."""
        return self.politeness.waiting, self.politeness.served

    # ----------------------------------------------------------------- internals

    async def _by_ids(self, ids: list[str], *, expect_all: bool) -> dict[str, Paper]:
        """Batched ``id_list`` lookups keyed by bare id.

        ``expect_all`` marks ids arXiv just announced: an empty answer for them is a
        glitch to retry. For user-supplied ids an empty answer may just mean "no such
        paper", so it is retried only when the feed's own total contradicts it.
        """
        size = self._settings.arxiv_batch_size
        found: dict[str, Paper] = {}
        for i in range(0, len(ids), size):
            batch = ids[i : i + size]
            params = {"id_list": ",".join(batch), "start": "0", "max_results": str(size)}
            page = await self._fetch(
                "api", self._settings.arxiv_api_url, params, _id_list_check(expect_all, len(batch)), accept_last=True
            )
            for paper in page.papers:
                found.setdefault(paper.id, paper)
        return found

    async def _fetch(
        self,
        kind: Literal["api", "rss"],
        url: str,
        params: dict[str, str] | None,
        parse: Callable[[Answer], T],
        *,
        accept_last: bool = False,
    ) -> T:
        """GET with politeness and retries; ``parse`` raises :class:`_Retry` for suspicious bodies.

        With ``accept_last`` a body that stayed suspicious through every retry is returned
        anyway (its parsed ``value``), because for some queries "empty" may be the truth.
        """
        import httpx

        attempts = self._settings.arxiv_retries + 1
        last: _Retry | None = None
        self._http()  # built before the slot, so the slot times the request, not the client's set-up
        for attempt in range(attempts):
            async with self.politeness.slot():
                if kind == "rss":
                    self.stats.rss_requests += 1
                else:
                    self.stats.api_requests += 1
                answer: Answer | None = None
                try:
                    # httpx's timeout bounds each read; this bounds the whole request, so a server
                    # dripping one byte at a time cannot hold the process-wide slot for long.
                    async with asyncio.timeout(self._settings.arxiv_timeout_seconds):
                        async with self._open(url, params) as response:
                            last = _retry_reason(response)
                            if last is None and response.status_code > 400:
                                raise ArxivError(f"arXiv refused the request (HTTP {response.status_code}).")
                            if last is None:
                                answer = await self._read(response)
                except (httpx.TimeoutException, TimeoutError):
                    last = _Retry("timeout")
                except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                    raise ArxivError(f"The arXiv address is misconfigured: {exc}") from None
                except httpx.DecodingError as exc:
                    last = _Retry(f"undecodable body: {exc}")
                except httpx.RequestError as exc:
                    last = _Retry(f"connection error: {exc!r}")
            if answer is not None:
                try:
                    return await self._parse(parse, answer)
                except _Retry as exc:
                    last = exc
            assert last is not None
            if attempt + 1 == attempts and accept_last and last.value is not None:
                log.warning("arXiv %s stayed suspicious (%s); taking it as it is", kind, last)
                return last.value  # type: ignore[return-value]
            self._back_off(attempt, attempts, last, url)
        raise ArxivUnavailable(f"arXiv did not answer after {attempts} tries; please try again later.")

    @asynccontextmanager
    async def _open(self, url: str, params: dict[str, str] | None) -> AsyncIterator[httpx.Response]:
        """A streamed GET that follows redirects only to arXiv's hosts and the configured ones."""
        try:
            async with open_stream(self._http(), url, params=params, hosts=self._hosts,
                                   timeout=self._timeout()) as response:
                yield response
        except ForeignRedirect as exc:
            log.warning("arXiv request redirected off arXiv; refused", extra={"host": exc.host[:100]})
            raise ArxivError(
                f"arXiv's answer redirected to another host ({exc.host[:100]}); not following it."
            ) from None

    async def _read(self, response: httpx.Response) -> Answer:
        """The whole body, capped on the wire and after decoding: an endless stream or a gzip bomb stops here."""
        limit = self._settings.arxiv_max_response_bytes
        try:
            content = await read_capped(response, limit)
        except BodyTooLarge as exc:
            log.warning("arXiv answer too large; refused", extra={"raw": exc.raw, "decoded": exc.decoded})
            raise ArxivError(f"arXiv's answer is larger than {limit / 1e6:.0f} MB; not reading it.") from None
        return Answer(response.status_code, content, _encoding(response))

    async def _parse(self, parse: Callable[[Answer], T], answer: Answer) -> T:
        """Parse in a thread, bounded in time, so the event loop (and the digest lock's waiters) keep going.

        The size cap is what really bounds the work: a parser in C holds the GIL and cannot
        be interrupted, so this timeout frees the caller, not the CPU.
        """
        try:
            async with asyncio.timeout(self._settings.arxiv_parse_timeout_seconds):
                return await asyncio.to_thread(parse, answer)
        except TimeoutError:
            log.warning("arXiv answer took too long to parse; refused", extra={"bytes": len(answer.content)})
            raise ArxivError("arXiv's answer took too long to read; not using it.") from None

    def _back_off(self, attempt: int, attempts: int, retry: _Retry, url: str) -> None:
        if attempt + 1 >= attempts:
            return
        self.stats.retries += 1
        wait = min(self._settings.arxiv_delay_seconds, 1.0) * 2**attempt
        if retry.retry_after is not None:
            wait = max(wait, retry.retry_after)
        log.info("arXiv %s: %s; retrying in %.1fs (%d/%d)", url, retry, wait, attempt + 1, attempts - 1)
        self.politeness.defer(wait)


def _encoding(response: httpx.Response) -> str:
    charset = response.charset_encoding or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        return "utf-8"
    return charset


def _retry_reason(response: httpx.Response) -> _Retry | None:
    """A _Retry for statuses worth asking again (429, 5xx); None for everything else."""
    status = response.status_code
    if status == 429 or status >= 500:
        return _Retry(f"HTTP {status}", _retry_after(response.headers.get("Retry-After"), response.headers.get("Date")))
    return None


def _retry_after(raw: str | None, sent: str | None = None) -> float | None:
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        delay = http_date_delay(raw, sent)
        if delay is None:
            return None
        seconds = delay
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _api_page(response: Answer) -> ApiPage:
    try:
        page = parse_api_feed(response.text)
    except FeedError as exc:
        raise _Retry(f"unreadable API response: {exc}") from None
    if response.status_code == 400:
        detail = page.errors[0] if page.errors else "bad request"
        raise ArxivError(f"arXiv rejected the query: {detail}")
    return page


def _rss_feed(response: Answer) -> RssDay:
    if response.status_code == 400:
        raise UnknownCategory(())
    try:
        return parse_rss_feed(response.text)
    except FeedError as exc:
        raise _Retry(f"unreadable RSS: {exc}") from None


def _rss_check(response: Answer) -> RssDay:
    """An empty feed dated on a listing day is suspicious (arXiv sometimes serves empty
    pages): retry it, and only take it as "nothing announced" when it stays empty."""
    feed = _rss_feed(response)
    if not feed.papers and feed.day is not None and feed.day.weekday() < 5:
        raise _Retry(f"empty feed for listing day {feed.day}", value=feed)
    return feed


def _id_list_check(expect_all: bool, wanted: int) -> Callable[[Answer], ApiPage]:
    def check(response: Answer) -> ApiPage:
        page = _api_page(response)
        if not page.papers and (expect_all or (page.total_results or 0) > 0):
            raise _Retry("empty id_list page", value=page)
        if expect_all and len(page.papers) < wanted:
            raise _Retry(f"short id_list page: {len(page.papers)} of {wanted}", value=page)
        return page

    return check


def _search_check(offset: int) -> Callable[[Answer], ApiPage]:
    def check(response: Answer) -> ApiPage:
        page = _api_page(response)
        if not page.papers and offset < min(page.total_results or 0, MAX_TOTAL):
            raise _Retry(f"empty page at {offset} of {page.total_results}")
        return page

    return check


async def _read_pdf(response: httpx.Response, paper_id: str, limit: int) -> bytes:
    if response.status_code >= 400:
        raise ArxivError(f"arXiv has no PDF for {paper_id} (HTTP {response.status_code}).")
    try:
        body = await read_capped(response, limit)
    except BodyTooLarge:
        raise ArxivError(f"The PDF of {paper_id} is larger than {limit / 1e6:.0f} MB; not downloading it.") from None
    if not body.startswith(b"%PDF"):
        # arXiv answers "PDF being generated" pages with 200; that is not a PDF to summarise.
        raise ArxivError(f"arXiv did not return a PDF for {paper_id}; try again in a few minutes.")
    return body


def _categories(categories: Iterable[str]) -> list[str]:
    cats = sorted({c.strip() for c in categories if c and c.strip()})
    if not cats:
        raise ValueError("at least one arXiv category is needed")
    bad = [c for c in cats if not set(c) <= _CATEGORY_CHARS or len(c) > 32]
    if bad:
        raise UnknownCategory([c[:40] for c in bad])
    return cats
