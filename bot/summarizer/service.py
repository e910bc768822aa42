"""The only summarizer the app uses: one validated model call per paper, language and kind.

Why it looks like this:

* The reference pipeline spent four model calls per paper and repeated them for every
  reader. Here a summary is cached in SQLite under (paper, version, language, kind,
  model, prompt version); a cached ``full`` also answers ``brief`` requests, and
  concurrent requests for one key share one in-flight task.
* ``brief`` (digests) is written from the abstract, like the reference digests' summary
  and takeaways; ``full`` (/summarize) from the PDF, falling back to the abstract with a
  note when the PDF cannot be had.
* Model output is checked (:mod:`bot.summarizer.validate`) before anyone sees it. A bad
  answer, a safety block or an empty reply gets exactly one stricter retry naming its
  problems, then the abstract's own sentences (:mod:`bot.summarizer.extractive`),
  labelled as such and never cached under the model's name, so a later healthy model
  writes the real summary. Every call is recorded even if checking it crashes, because
  the record is what returns the call's budget reservation.
* PDFs are parsed in a killable child process (:mod:`bot.summarizer.pdf_worker`).
* Costs are bounded: a semaphore, a requests-per-minute window, a daily call budget
  counted from ``llm_calls``, honoured 429 delays and hard timeouts. When the budget is
  gone digests degrade to extractive text and ``/summarize`` gets :class:`BudgetExhausted`
  with the time it works again.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.clock import Clock
from bot.config import Settings
from bot.models import Paper
from bot.store import Store
from bot.store.summaries import StoredSummary, SummaryKey, SummaryStore, utc_day
from bot.summarizer.backends import (
    GEMINI_INLINE_PDF_MAX, BackendError, Blocked, ModelBackend, ModelCall, ModelReply, ModelTimeout, RateLimited,
    make_backend,
)
from bot.summarizer.extractive import FallbackReason, extract, label as extractive_label
from bot.summarizer.figures import allows_figures, figures_of
from bot.summarizer.pdf import PaperSource, PdfFetcher, PdfLoader
from bot.summarizer.pdf_worker import WorkerLimits
from bot.summarizer.prompts import PROMPT_VERSION, SourceKind, build_prompt, retry_prompt
from bot.summarizer.schema import BriefSummary, FullSummary, Kind, SummaryResult
from bot.summarizer.validate import Verdict, validate

log = logging.getLogger(__name__)

ATTACH_MAX_PAGES = 40  # beyond this the PDF costs more tokens than the text excerpt
_UNSET = object()
_NOTE = {
    "en": "PDF unavailable, summarized from the abstract",
    "zh": "无法获取 PDF，以下内容根据摘要生成",
}
_NEGATIVE_TTL: dict[FallbackReason, float] = {"rejected": 6 * 3600, "blocked": 6 * 3600}
_TRANSIENT_BRIEF_TTL = 300.0
_RETRY_PDF_AFTER = timedelta(days=1)  # an abstract-only full summary is redone once the PDF may be back
_BLOCKED = ("the provider returned no answer ({}); write a neutral, factual technical summary of the paper only, "
            "with no quotations from it")


class BudgetExhausted(Exception):
    """The daily model budget is spent; ``resets_at`` is when it refills (midnight UTC)."""

    def __init__(self, resets_at: datetime) -> None:
        super().__init__(f"daily model budget used up until {resets_at:%Y-%m-%d %H:%M} UTC")
        self.resets_at = resets_at


class Summarizer:
    def __init__(
        self, settings: Settings, store: Store, pdfs: PdfFetcher | None, *, backend: object = _UNSET,
        rate_limit_retries: int = 2, max_rate_limit_wait: float = 60.0, pdf_timeout: float | None = None,
        pdf_limits: WorkerLimits | None = None, clock: Clock | None = None,
    ) -> None:
        self._settings = settings
        self._clock: Clock = clock or store.db.clock
        self._summaries: SummaryStore = store.summaries
        self._backend: ModelBackend | None = make_backend(settings) if backend is _UNSET else backend  # type: ignore[assignment]
        self.model = self._backend.model if self._backend else "extractive"
        timeout = pdf_timeout if pdf_timeout is not None else 2 * settings.arxiv_timeout_seconds + 4 * settings.arxiv_delay_seconds
        self._pdfs = PdfLoader(pdfs, max_bytes=settings.pdf_max_bytes, timeout=timeout, limits=pdf_limits)
        self._calls = asyncio.Semaphore(settings.llm_concurrency)
        self._window = _RateWindow(settings.llm_requests_per_minute, 60.0)
        self._rate_limit_retries = rate_limit_retries
        self._max_rate_limit_wait = max_rate_limit_wait
        self._inflight: dict[tuple[str, int, str, str], asyncio.Task[SummaryResult]] = {}
        self._negative: dict[tuple[str, int, str, str], tuple[float, SummaryResult]] = {}
        self._budget_lock = asyncio.Lock()
        self._reserved = 0

    @property
    def label(self) -> str:
        """Who writes summaries, in the bot's default language."""
        return self.label_for(self._settings.language)

    def label_for(self, language: str) -> str:
        if self._backend is None:
            return extractive_label("no_model", language)
        return f"由 {self.model} 生成" if language == "zh" else f"Summary by {self.model}"

    async def summarize(
        self, paper: Paper, kind: Kind, language: str, *, figures: bool = False
    ) -> SummaryResult:
        """One paper's summary; raises :class:`BudgetExhausted` only for ``full`` with nothing cached."""
        language = "zh" if language.lower().startswith("zh") else "en"
        result = await self._summary(paper, kind, language)
        if figures and allows_figures(paper.license):
            source = await self._pdfs.load(paper)
            if source.pdf is not None:
                result = replace(result, figures=await figures_of(source.pdf, self._pdfs.limits))
        return result

    async def briefs(
        self, papers: Sequence[Paper], language: str, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, SummaryResult]:
        """Brief summaries for a digest; never raises for one paper's trouble, falls back instead."""
        total, done = len(papers), 0
        gate = asyncio.Semaphore(max(4, 2 * self._settings.llm_concurrency))

        async def one(paper: Paper) -> tuple[str, SummaryResult]:
            nonlocal done
            async with gate:
                try:
                    result = await self.summarize(paper, "brief", language)
                except Exception:
                    log.exception("brief summary failed", extra={"paper": paper.versioned_id})
                    result = self._extractive(paper, "brief", language, "unavailable")
            done += 1
            if progress is not None:
                try:
                    progress(done, total)
                except Exception:
                    log.exception("progress callback failed")
            return paper.id, result

        return dict(await asyncio.gather(*(one(p) for p in papers)))

    async def aclose(self) -> None:
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._backend is not None:
            await self._backend.aclose()

    # -- one summary ---------------------------------------------------------------------

    async def _summary(self, paper: Paper, kind: Kind, language: str) -> SummaryResult:
        if self._backend is None:
            return self._extractive(paper, kind, language, "no_model")
        cached = await self._cached(paper, kind, language)
        if cached is not None:
            return cached
        flight = (paper.id, paper.version, language, kind)
        negative = self._negative.get(flight)
        if negative and negative[0] > time.monotonic():
            return negative[1]
        if kind == "brief" and (full := self._inflight.get((paper.id, paper.version, language, "full"))):
            try:
                result = await asyncio.shield(full)
                if not result.is_fallback:
                    return _as_brief(result)
            except BudgetExhausted:
                pass
        task = self._inflight.get(flight)
        if task is None:
            task = asyncio.create_task(self._produce(paper, kind, language), name=f"summary {flight}")
            self._inflight[flight] = task
            task.add_done_callback(lambda t: self._landed(flight, t))
        return await asyncio.shield(task)

    def _landed(self, flight: tuple[str, int, str, str], task: asyncio.Task[SummaryResult]) -> None:
        if self._inflight.get(flight) is task:
            del self._inflight[flight]
        if not task.cancelled():
            task.exception()  # retrieved: a caller that gave up must not leave a "never retrieved" warning

    async def _cached(self, paper: Paper, kind: Kind, language: str) -> SummaryResult | None:
        key = SummaryKey(paper.id, paper.version, language, kind, self.model, PROMPT_VERSION)
        for stored_kind in (("brief", "full") if kind == "brief" else ("full",)):
            row = await self._summaries.get(key.with_kind(stored_kind))
            if row is None or (kind == "full" and _stale_abstract_only(row, self._clock())):
                continue
            model = FullSummary if stored_kind == "full" else BriefSummary
            try:
                content: BriefSummary = model.model_validate_json(row.content)
            except ValueError:
                log.warning("unreadable cached summary ignored", extra={"paper": paper.versioned_id})
                continue
            result = SummaryResult(
                paper=paper, kind=kind, language=language, content=content, model=self.model,
                label=self.label_for(language), source="pdf" if row.source == "pdf" else "abstract",
                note=row.note, outcome="cached",
            )
            return _as_brief(result) if kind == "brief" and stored_kind == "full" else result
        return None

    async def _produce(self, paper: Paper, kind: Kind, language: str) -> SummaryResult:
        # Another flight may have stored it between our cache miss and this task starting.
        if (cached := await self._cached(paper, kind, language)) is not None:
            return cached
        if await self._budget_left() <= 0:
            return self._out_of_budget(paper, kind, language)
        source = await self._pdfs.load(paper) if kind == "full" else PaperSource("abstract")
        note = _NOTE[language] if kind == "full" and source.kind == "abstract" else None
        first_page = source.text.first_page if source.text else None
        prompt, pdf = self._prompt(paper, kind, language, source)
        schema = FullSummary if kind == "full" else BriefSummary
        problems: list[str] = []
        failure: FallbackReason = "rejected"
        for attempt in (1, 2):
            text = prompt if attempt == 1 else retry_prompt(prompt, problems, language)
            try:
                reply, latency_ms = await self._model_call(paper, kind, language, ModelCall(text, schema, pdf=pdf),
                                                           attempt)
            except BudgetExhausted:
                if attempt == 1:
                    return self._out_of_budget(paper, kind, language)
                return self._fallback(paper, kind, language, failure)
            except Blocked as exc:  # a block or a reply with no candidates: one stricter retry, like bad output
                failure, problems = "blocked", [_BLOCKED.format(exc)]
                continue
            except ModelTimeout:
                return self._fallback(paper, kind, language, "timeout")
            except RateLimited:
                return self._fallback(paper, kind, language, "rate_limited")
            except BackendError:
                return self._fallback(paper, kind, language, "unavailable")
            verdict = await self._judge(paper, kind, language, reply, latency_ms, attempt, first_page)
            if verdict.ok and verdict.summary is not None:
                key = SummaryKey(paper.id, paper.version, language, kind, self.model, PROMPT_VERSION)
                await self._summaries.put(key, verdict.summary.model_dump_json(), source.kind, note)
                return SummaryResult(
                    paper=paper, kind=kind, language=language, content=verdict.summary, model=self.model,
                    label=self.label_for(language), source=source.kind, note=note,
                    outcome="ok" if attempt == 1 else "retried",
                )
            log.info("model output rejected", extra={"paper": paper.versioned_id, "attempt": attempt,
                                                     "problems": verdict.problems[:5]})
            failure, problems = "rejected", verdict.problems
        return self._fallback(paper, kind, language, failure)

    async def _judge(
        self, paper: Paper, kind: Kind, language: str, reply: ModelReply, latency_ms: int, attempt: int,
        first_page: str | None,
    ) -> Verdict:
        """Check one reply and record the call whatever happens: the record releases its budget reservation."""
        verdict = Verdict(None, ["the answer could not be checked; answer with one plain JSON object"])
        try:
            verdict = validate(reply.text, kind=kind, language=language, paper=paper, first_page=first_page,
                               truncated=reply.truncated)
        except Exception:  # a checker bug costs this answer, never the record
            log.exception("validating a model answer crashed", extra={"paper": paper.versioned_id})
        finally:
            outcome = "ok" if verdict.ok else "retried" if attempt == 1 else "fallback"
            await self._record(paper, kind, language, reply, latency_ms, outcome, "; ".join(verdict.problems))
        return verdict

    def _prompt(self, paper: Paper, kind: Kind, language: str, source: PaperSource) -> tuple[str, bytes | None]:
        kind_of_source: SourceKind = "abstract"
        pdf = None
        if source.kind == "pdf" and source.pdf is not None and source.text is not None:
            attach = (self._backend is not None and self._backend.reads_pdf
                      and len(source.pdf) <= GEMINI_INLINE_PDF_MAX and source.text.pages <= ATTACH_MAX_PAGES)
            kind_of_source = "pdf_attached" if attach else "pdf_text"
            pdf = source.pdf if attach else None
        text = source.text.excerpt if source.text else None
        return build_prompt(paper, kind, language, source=kind_of_source, text=text), pdf

    # -- one model request, with its budget, limits, 429 waits and record ------------------

    async def _model_call(
        self, paper: Paper, kind: Kind, language: str, call: ModelCall, attempt: int = 1,
    ) -> tuple[ModelReply, int]:
        """One accepted reply. The caller must :meth:`_record` it; failures are recorded here."""
        assert self._backend is not None
        for rate_attempt in range(self._rate_limit_retries + 1):
            await self._reserve()
            wait: float | None = None
            async with self._calls:
                await self._window.acquire()
                started = time.monotonic()
                try:
                    async with asyncio.timeout(self._settings.llm_timeout_seconds):
                        reply = await self._backend.generate(call)
                except TimeoutError:
                    await self._record(paper, kind, language, None, _ms(started), "error", "timeout")
                    raise ModelTimeout(f"no answer within {self._settings.llm_timeout_seconds:g} s") from None
                except RateLimited as exc:
                    await self._record(paper, kind, language, None, _ms(started), "error", str(exc))
                    wait = exc.retry_after if exc.retry_after is not None else 2.0 ** rate_attempt
                    if rate_attempt == self._rate_limit_retries or wait > self._max_rate_limit_wait:
                        raise
                    self._window.pause(wait)
                except Blocked as exc:
                    outcome = "retried" if attempt == 1 else "fallback"
                    await self._record(paper, kind, language, None, _ms(started), outcome, f"blocked: {exc}")
                    raise
                except BackendError as exc:
                    await self._record(paper, kind, language, None, _ms(started), "error", str(exc))
                    raise
                except BaseException:
                    await self._record(paper, kind, language, None, _ms(started), "error", "cancelled or crashed")
                    raise
                else:
                    return reply, _ms(started)
            log.info("model rate-limited; waiting", extra={"seconds": wait, "paper": paper.versioned_id})
            await asyncio.sleep(wait or 0)
        raise RateLimited("still rate-limited")  # unreachable: the loop raises or returns

    async def _reserve(self) -> None:
        """Take one call from today's budget, counting calls in flight that have no row yet."""
        async with self._budget_lock:
            used = await self._summaries.calls_today()
            if used + self._reserved >= self._settings.llm_daily_budget:
                raise BudgetExhausted(utc_day(self._clock())[1])
            self._reserved += 1

    async def _budget_left(self) -> int:
        async with self._budget_lock:
            return self._settings.llm_daily_budget - await self._summaries.calls_today() - self._reserved

    async def _record(
        self, paper: Paper, kind: Kind, language: str, reply: ModelReply | None, latency_ms: int, outcome: str,
        error: str | None,
    ) -> None:
        # Under the budget lock, so no reservation sees this call both as a row and as reserved.
        async with self._budget_lock:
            try:
                await self._summaries.record_call(
                    paper_id=paper.id, kind=kind, language=language, model=self.model,
                    tokens_in=reply.tokens_in if reply else None, tokens_out=reply.tokens_out if reply else None,
                    latency_ms=latency_ms, outcome=outcome, error=error or None,
                )
            finally:
                self._reserved = max(0, self._reserved - 1)

    # -- fallbacks -------------------------------------------------------------------------

    def _out_of_budget(self, paper: Paper, kind: Kind, language: str) -> SummaryResult:
        if kind == "full":
            raise BudgetExhausted(utc_day(self._clock())[1])
        return self._extractive(paper, kind, language, "budget")

    def _fallback(self, paper: Paper, kind: Kind, language: str, reason: FallbackReason) -> SummaryResult:
        result = self._extractive(paper, kind, language, reason)
        ttl = _NEGATIVE_TTL.get(reason) or (_TRANSIENT_BRIEF_TTL if kind == "brief" else 0)
        if ttl:
            now = time.monotonic()
            if len(self._negative) > 1000:
                self._negative = {k: v for k, v in self._negative.items() if v[0] > now}
            self._negative[(paper.id, paper.version, language, kind)] = (now + ttl, result)
        return result

    def _extractive(self, paper: Paper, kind: Kind, language: str, reason: FallbackReason) -> SummaryResult:
        return SummaryResult(
            paper=paper, kind=kind, language=language, content=extract(paper), model="extractive",
            label=extractive_label(reason, language), source="abstract", outcome="fallback",
        )


class _RateWindow:
    """At most ``limit`` starts per ``period`` seconds, plus a shared pause after a 429."""

    def __init__(self, limit: int, period: float) -> None:
        self._limit = limit
        self._period = period
        self._starts: collections.deque[float] = collections.deque()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._starts and now - self._starts[0] >= self._period:
                    self._starts.popleft()
                delay = self._paused_until - now
                if len(self._starts) >= self._limit:
                    delay = max(delay, self._starts[0] + self._period - now)
                if delay <= 0:
                    self._starts.append(now)
                    return
                await asyncio.sleep(delay)


def _as_brief(result: SummaryResult) -> SummaryResult:
    content = BriefSummary(one_line=result.content.one_line, takeaways=list(result.content.takeaways))
    return replace(result, kind="brief", content=content, note=None)


def _stale_abstract_only(row: StoredSummary, now: datetime) -> bool:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return row.source == "abstract" and row.note is not None and now - created > _RETRY_PDF_AFTER


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
