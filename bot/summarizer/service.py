"""The only summarizer the app uses: one validated model call per paper, language and kind.

Why it looks like this:

* The reference pipeline spent four model calls per paper and repeated them for every
  reader. Here a summary is cached in SQLite under (paper, version, language, kind,
  model, prompt version); a cached ``full`` also answers ``brief`` requests, and
  concurrent requests for one key share one in-flight task.
* ``brief`` (digests) is written from the abstract, like the reference digests' summary
  and takeaways; ``full`` (/summarize) from the PDF, falling back to the abstract with a
  note when the PDF cannot be had. When it only is not there *yet* (arXiv's one request
  slot is busy), the abstract summary is provisional: it is not cached, the note gives the
  place in arXiv's queue, and it is rewritten from the PDF when the PDF arrives.
* Model output is checked (:mod:`bot.summarizer.validate`) before anyone sees it. A bad
  answer, a safety block or an empty reply gets exactly one stricter retry naming its
  problems, then the abstract's own sentences (:mod:`bot.summarizer.extractive`),
  labelled as such and never cached under the model's name, so a later healthy model
  writes the real summary. The failure itself is cached for a few hours (in SQLite), so a
  paper whose answers are always rejected does not cost two calls per request. An answer
  whose only faults are cosmetic (a list shorter than asked) is kept rather than thrown
  away. Every call is recorded even if checking it crashes, because the record is what
  returns the call's budget reservation.
* PDFs are parsed in a killable child process (:mod:`bot.summarizer.pdf_worker`).
* Costs are bounded: a semaphore, a requests-per-minute window, a daily call budget
  counted from ``llm_calls``, honoured 429 delays and hard timeouts. When the budget is
  gone digests degrade to extractive text and ``/summarize`` gets :class:`BudgetExhausted`
  with the time it works again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import t
from bot.models import Paper
from bot.store import Store
from bot.store.summaries import StoredSummary, SummaryKey, SummaryStore, utc_day
from bot.summarizer.backends import (
    GEMINI_INLINE_PDF_MAX,
    BackendError,
    Blocked,
    ModelBackend,
    ModelCall,
    ModelReply,
    ModelTimeout,
    RateLimited,
    make_backend,
)
from bot.summarizer.extractive import FallbackReason, extract
from bot.summarizer.extractive import label as extractive_label
from bot.summarizer.figures import allows_figures, figures_of
from bot.summarizer.pdf import PaperSource, PdfFetcher, PdfLoader
from bot.summarizer.pdf_worker import WorkerLimits
from bot.summarizer.prompts import PROMPT_VERSION, SourceKind, build_prompt, retry_prompt
from bot.summarizer.rate_window import RateWindow as _RateWindow
from bot.summarizer.validate import Verdict, validate
from bot.summary_schema import BriefSummary, FullSummary, Kind, SummaryResult

log = logging.getLogger(__name__)

ATTACH_MAX_PAGES = 40  # beyond this the PDF costs more tokens than the text excerpt
_UNSET = object()
_NEGATIVE_TTL: dict[FallbackReason, timedelta] = {"rejected": timedelta(hours=6), "blocked": timedelta(hours=6)}
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
        pdf_limits: WorkerLimits | None = None, clock: Clock | None = None, pdf_patience: float | None = None,
    ) -> None:
        """``pdf_timeout`` bounds a PDF download once it has started; ``pdf_patience`` is how long
        ``/summarize`` waits for the PDF, queueing included, before it answers from the abstract."""
        self._settings = settings
        self._clock: Clock = clock or store.db.clock
        self._summaries: SummaryStore = store.summaries
        self._backend: ModelBackend | None = make_backend(settings) if backend is _UNSET else backend  # type: ignore[assignment]
        self.model = self._backend.model if self._backend else "extractive"
        timeout = pdf_timeout if pdf_timeout is not None else 2 * settings.arxiv_timeout_seconds
        self._patience = (pdf_patience if pdf_patience is not None
                          else 2 * settings.arxiv_timeout_seconds + 4 * settings.arxiv_delay_seconds)
        self._pdfs = PdfLoader(pdfs, max_bytes=settings.pdf_max_bytes, timeout=timeout, limits=pdf_limits)
        self._calls = asyncio.Semaphore(settings.llm_concurrency)
        self._window = _RateWindow(settings.llm_requests_per_minute, 60.0)
        self._rate_limit_retries = rate_limit_retries
        self._max_rate_limit_wait = max_rate_limit_wait
        self._inflight: dict[tuple[str, int, str, str], asyncio.Task[SummaryResult]] = {}
        self._negative: dict[tuple[str, int, str, str], tuple[float, SummaryResult]] = {}
        self._provisional: dict[tuple[str, int, str, str], SummaryResult] = {}  # abstract-only until the PDF comes
        self._upgrades: set[asyncio.Task[None]] = set()
        self._budget_lock = asyncio.Lock()
        self._reserved = 0

    @property
    def label(self) -> str:
        """Who writes summaries, in the bot's default language."""
        return self.label_for(self._settings.language)

    def label_for(self, language: str) -> str:
        if self._backend is None:
            return extractive_label("no_model", language)
        return t(language, "summary_by", model=self.model)

    async def summarize(
        self, paper: Paper, kind: Kind, language: str, *, figures: bool = False
    ) -> SummaryResult:
        """One paper's summary; raises :class:`BudgetExhausted` only for ``full`` with nothing cached."""
        language = "zh" if language.lower().startswith("zh") else "en"
        result = await self._summary(paper, kind, language)
        if figures and allows_figures(paper.license) and self._pdfs.arrival(paper) is None:  # never wait twice
            source = await self._pdfs.load(paper, patience=self._patience)
            if source.pdf is not None:
                result = replace(result, figures=await figures_of(source.pdf, self._pdfs.limits))
        return result

    async def briefs(
        self, papers: Sequence[Paper], language: str, progress: Callable[[int, int], None] | None = None,
        with_model: Callable[[Paper], bool] | None = None,
    ) -> dict[str, SummaryResult]:
        """Brief summaries for a digest; never raises for one paper's trouble, falls back instead.

        Papers ``with_model`` refuses (past a chat's quota) get a cached summary if there is
        one, else the labelled extractive fallback: no model is asked for them.
        """
        total, done = len(papers), 0
        gate = asyncio.Semaphore(max(4, 2 * self._settings.llm_concurrency))

        async def one(paper: Paper) -> tuple[str, SummaryResult]:
            nonlocal done
            async with gate:
                try:
                    if with_model is None or with_model(paper) or self._backend is None:
                        result = await self.summarize(paper, "brief", language)
                    else:
                        lang = "zh" if language.lower().startswith("zh") else "en"
                        result = (await self._cached(paper, "brief", lang)
                                  or self._extractive(paper, "brief", lang, "quota"))
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
        tasks = [*self._inflight.values(), *self._upgrades]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._pdfs.aclose()
        if self._backend is not None:
            await self._backend.aclose()

    # -- what /ask shares (bot.summarizer.ask): the backend, the PDFs and the call accounting ----

    @property
    def backend(self) -> ModelBackend | None:
        return self._backend

    async def paper_source(self, paper: Paper) -> PaperSource:
        """The paper's PDF and text, downloaded and parsed once for summaries and questions alike."""
        return await self._pdfs.load(paper, patience=self._patience)

    async def call_model(self, paper: Paper, kind: str, language: str, call: ModelCall,
                         attempt: int = 1) -> tuple[ModelReply, int]:
        """One request within the shared budget, concurrency and rate limits; :meth:`record` the reply."""
        return await self._model_call(paper, kind, language, call, attempt)

    async def record(self, paper: Paper, kind: str, language: str, reply: ModelReply | None, latency_ms: int,
                     outcome: str, error: str | None = None) -> None:
        await self._record(paper, kind, language, reply, latency_ms, outcome, error)

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
        if (provisional := self._provisional.get(flight)) is not None:
            return provisional
        if reason := await self._summaries.failure(self._key(paper, kind, language)):
            return self._extractive(paper, kind, language, "blocked" if reason == "blocked" else "rejected")
        if kind == "brief" and (full := self._inflight.get((paper.id, paper.version, language, "full"))):
            try:
                result = await asyncio.shield(full)
                if not result.is_fallback:
                    return _as_brief(result)
            except BudgetExhausted:
                pass
        return await asyncio.shield(self._flight(paper, kind, language))

    def _flight(self, paper: Paper, kind: Kind, language: str) -> asyncio.Task[SummaryResult]:
        """The one task producing this summary: concurrent requests for one key share it."""
        flight = (paper.id, paper.version, language, kind)
        task = self._inflight.get(flight)
        if task is None:
            task = asyncio.create_task(self._produce(paper, kind, language), name=f"summary {flight}")
            self._inflight[flight] = task
            task.add_done_callback(lambda t: self._landed(flight, t))
        return task

    def _key(self, paper: Paper, kind: Kind, language: str) -> SummaryKey:
        return SummaryKey(paper.id, paper.version, language, kind, self.model, PROMPT_VERSION)

    def _landed(self, flight: tuple[str, int, str, str], task: asyncio.Task[SummaryResult]) -> None:
        if self._inflight.get(flight) is task:
            del self._inflight[flight]
        if not task.cancelled():
            task.exception()  # retrieved: a caller that gave up must not leave a "never retrieved" warning

    async def _cached(self, paper: Paper, kind: Kind, language: str) -> SummaryResult | None:
        key = self._key(paper, kind, language)
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
        source = await self._pdfs.load(paper, patience=self._patience) if kind == "full" else PaperSource("abstract")
        note = self._source_note(paper, kind, language, source)
        arrival = self._pdfs.arrival(paper) if source.queued is not None else None  # still pending: no await yet
        first_page = source.text.first_page if source.text else None
        prompt, pdf = self._prompt(paper, kind, language, source)
        schema = FullSummary if kind == "full" else BriefSummary
        problems: list[str] = []
        failure: FallbackReason = "rejected"
        usable: tuple[BriefSummary, int] | None = None  # an answer whose only faults are cosmetic, and its attempt
        for attempt in (1, 2):
            text = prompt if attempt == 1 else retry_prompt(prompt, problems, language)
            try:
                reply, latency_ms = await self._model_call(paper, kind, language, ModelCall(text, schema, pdf=pdf),
                                                           attempt)
            except BudgetExhausted:
                if attempt == 1:
                    return self._out_of_budget(paper, kind, language)
                break
            except Blocked as exc:  # a block or a reply with no candidates: one stricter retry, like bad output
                failure, problems = "blocked", [_BLOCKED.format(exc)]
                continue
            except ModelTimeout:
                failure = "timeout"
                break
            except RateLimited:
                failure = "rate_limited"
                break
            except BackendError:
                failure = "unavailable"
                break
            verdict = await self._judge(paper, kind, language, reply, latency_ms, attempt, first_page)
            if verdict.summary is not None and (verdict.ok or (attempt == 2 and verdict.usable)):
                return await self._accept(paper, kind, language, source, note, verdict.summary, attempt, arrival)
            if verdict.summary is not None and verdict.usable:
                usable = (verdict.summary, attempt)
            log.info("model output rejected", extra={"paper": paper.versioned_id, "attempt": attempt,
                                                     "problems": verdict.problems[:5]})
            failure, problems = "rejected", verdict.problems
        if usable is not None:  # the retry was worse: a cosmetic fault never costs the first answer
            return await self._accept(paper, kind, language, source, note, *usable, arrival)
        return await self._fallback(paper, kind, language, failure)

    async def _accept(
        self, paper: Paper, kind: Kind, language: str, source: PaperSource, note: str | None, content: BriefSummary,
        attempt: int, arrival: asyncio.Task[PaperSource] | None,
    ) -> SummaryResult:
        """Cache a good answer, or serve it provisionally while the PDF it should be written from is coming."""
        result = SummaryResult(
            paper=paper, kind=kind, language=language, content=content, model=self.model,
            label=self.label_for(language), source=source.kind, note=note,
            outcome="ok" if attempt == 1 else "retried",
        )
        if arrival is None:
            await self._summaries.put(self._key(paper, kind, language), content.model_dump_json(), source.kind, note)
        else:
            self._provisional_until_pdf(result, arrival)
        return result

    def _source_note(self, paper: Paper, kind: Kind, language: str, source: PaperSource) -> str | None:
        if kind != "full" or source.kind != "abstract":
            return None
        if source.queued is None:
            return t(language, "pdf_unavailable_note")
        if source.queued == 0:
            return t(language, "summary_pdf_downloading", id=paper.id)
        minutes = max(1, round(source.queued * self._settings.arxiv_delay_seconds / 60))
        return t(language, "summary_pdf_queued", place=source.queued + 1, minutes=minutes, id=paper.id)

    def _provisional_until_pdf(self, result: SummaryResult, arrival: asyncio.Task[PaperSource]) -> None:
        """Serve ``result`` until the PDF arrives, then write the summary from it (or keep this one for good)."""
        paper, language = result.paper, result.language
        flight = (paper.id, paper.version, language, "full")
        origin = asyncio.current_task()
        self._provisional[flight] = result

        async def upgrade() -> None:
            try:
                source = await asyncio.shield(arrival)
                if origin is not None:
                    await asyncio.wait([origin])  # our own flight lands first, so a new one can start
                self._provisional.pop(flight, None)
                if source.kind == "pdf":
                    await self._flight(paper, "full", language)
                else:  # the PDF will not come: this is the abstract-only summary, like any other
                    await self._summaries.put(self._key(paper, "full", language), result.content.model_dump_json(),
                                              "abstract", t(language, "pdf_unavailable_note"))
            except BudgetExhausted:
                pass
            except Exception:
                log.exception("upgrading a summary from the PDF failed", extra={"paper": paper.versioned_id})
            finally:
                self._provisional.pop(flight, None)

        task = asyncio.create_task(upgrade(), name=f"upgrade {flight}")
        self._upgrades.add(task)
        task.add_done_callback(self._upgrades.discard)

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
        self, paper: Paper, kind: str, language: str, call: ModelCall, attempt: int = 1,
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
        self, paper: Paper, kind: str, language: str, reply: ModelReply | None, latency_ms: int, outcome: str,
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

    async def _fallback(self, paper: Paper, kind: Kind, language: str, reason: FallbackReason) -> SummaryResult:
        """The extractive summary; a model failure that will repeat is remembered, in SQLite, for a few hours."""
        result = self._extractive(paper, kind, language, reason)
        if reason in _NEGATIVE_TTL:
            await self._summaries.put_failure(self._key(paper, kind, language), reason, _NEGATIVE_TTL[reason])
        elif kind == "brief":  # a transient failure: spare a digest's retries for a few minutes
            now = time.monotonic()
            if len(self._negative) > 1000:
                self._negative = {k: v for k, v in self._negative.items() if v[0] > now}
            self._negative[(paper.id, paper.version, language, kind)] = (now + _TRANSIENT_BRIEF_TTL, result)
        return result

    def _extractive(self, paper: Paper, kind: Kind, language: str, reason: FallbackReason) -> SummaryResult:
        return SummaryResult(
            paper=paper, kind=kind, language=language, content=extract(paper), model="extractive",
            label=extractive_label(reason, language), source="abstract", outcome="fallback",
        )


def _as_brief(result: SummaryResult) -> SummaryResult:
    content = BriefSummary(one_line=result.content.one_line, takeaways=list(result.content.takeaways))
    return replace(result, kind="brief", content=content, note=None)


def _stale_abstract_only(row: StoredSummary, now: datetime) -> bool:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return row.source == "abstract" and row.note is not None and now - created > _RETRY_PDF_AFTER


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
