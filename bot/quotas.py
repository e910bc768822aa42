"""Daily model-call quotas per person and per chat: reserve before work starts, settle after.

Why: the shared daily budget (``PAPERBOT_LLM_DAILY_BUDGET``) protects the bill, not the
other users. One member's ``/digest llm all`` once made 91 model calls in 2.6 s; two
such commands spent the day and the next person's ``/summarize`` was refused. So a
command that may call a model first reserves, in one write transaction, from the
person's and the chat's allowance for the UTC day (admins get more) one call per paper
it would summarize that is not cached yet. Papers it cannot afford are left out, or
the command is refused, before any call is made. Afterwards the reservation is
replaced by the calls ``llm_calls`` recorded for those papers, so a cache hit or a
no-model fallback is refunded and a retry is charged.

Scheduled digests are not charged: they are the chat's own subscription and their
summaries are cached for every later reader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import t
from bot.models import ChatRef, Paper
from bot.ports import Command
from bot.store.quotas import LimitReached, QuotaStore
from bot.store.summaries import SummaryKey, SummaryStore, utc_day
from bot.summarizer.prompts import PROMPT_VERSION
from bot.summary_schema import Kind


class QuotaExceeded(Exception):
    """Nothing can be afforded; ``message`` is the friendly reply (who ran out, when it renews)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Quotas:
    """Builds one :class:`QuotaGate` per command, from the settings and tables it needs."""

    def __init__(self, usage: QuotaStore, summaries: SummaryStore, settings: Settings, clock: Clock,
                 model: Callable[[], str]) -> None:
        self._usage = usage
        self._summaries = summaries
        self._settings = settings
        self._clock = clock
        self._model = model

    def chat_gate(self, chat: ChatRef, language: str) -> QuotaGate:
        """A scheduled digest's allowance: the chat's own quota, so no chat (a DM included) can
        spend the shared budget on subscriptions alone."""
        holders = ((f"chat:{chat.key}", self._settings.quota_chat_model_calls),)
        return QuotaGate(self._usage, self._summaries, self._model(), holders, language, "brief", self._clock())

    def gate(self, cmd: Command, language: str, kind: Kind) -> QuotaGate:
        settings = self._settings
        admin = cmd.can_admin and cmd.chat.kind != "private"  # in a DM everyone "administers" their own chat
        user_limit = settings.quota_admin_model_calls if admin else settings.quota_user_model_calls
        holders = ((f"user:{cmd.user_key}", user_limit), (f"chat:{cmd.chat.key}", settings.quota_chat_model_calls))
        return QuotaGate(self._usage, self._summaries, self._model(), holders, language, kind, self._clock())


    def ask_gate(self, cmd: Command, language: str, thread: str) -> QuotaGate:
        """``/ask``'s allowance: the person's and the chat's quotas, plus one person's calls in one
        conversation and the chat's calls for ``/ask`` (so questions cannot crowd out summaries)."""
        gate = self.gate(cmd, language, "full")
        settings = self._settings
        gate.add_holders((f"ask:{thread}:{cmd.user_key}", settings.ask_user_calls_per_thread),
                         (f"ask-chat:{cmd.chat.key}", settings.ask_chat_calls))
        return gate


class QuotaGate:
    """One command's allowance. Use as ``async with``: leaving it settles what was really spent."""

    def __init__(self, usage: QuotaStore, summaries: SummaryStore, model: str,
                 holders: tuple[tuple[str, int], ...], language: str, kind: Kind, now: datetime) -> None:
        self._store = usage
        self._summaries = summaries
        self._model = model
        self._language = "zh" if language.lower().startswith("zh") else "en"
        self._kind = kind
        self._day = utc_day(now)[0].date().isoformat()
        self._resets_at = utc_day(now)[1]
        self._now = now
        self._holders = holders
        self._reserved = 0
        self._papers: set[str] = set()
        self._since: int | None = None

    async def __aenter__(self) -> QuotaGate:
        self._since = await self._store.last_call_id()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.settle()

    async def afford(self, papers: list[Paper]) -> list[Paper]:
        """The longest prefix of ``papers`` whose uncached ones fit the allowance, reserved.

        Raises :class:`QuotaExceeded` when not even the first paper fits.
        """
        costs = [await self._cost(p) for p in papers]
        wanted = sum(costs)
        grant = await self._store.reserve(self._day, self._holders, wanted) if wanted else None
        granted = grant.granted if grant else 0
        self._reserved += granted
        count, spent = 0, 0
        for cost in costs:
            if spent + cost > granted:
                break
            spent, count = spent + cost, count + 1
        chosen = papers[:count]
        self._papers.update(p.id for p in chosen)
        if papers and not chosen and grant is not None:
            raise QuotaExceeded(self._refusal(grant.short))
        return chosen

    def add_holders(self, *holders: tuple[str, int]) -> None:
        self._holders = (*self._holders, *holders)

    async def afford_calls(self, paper: Paper) -> None:
        """Reserve one model call for work on ``paper`` whatever is cached; :class:`QuotaExceeded` if not."""
        grant = await self._store.reserve(self._day, self._holders, 1)
        self._reserved += grant.granted
        self._papers.add(paper.id)
        if grant.granted < 1:
            raise QuotaExceeded(self._refusal(grant.short))

    async def settle(self) -> None:
        """Charge what the work really cost instead of what was reserved (once)."""
        if self._since is None:
            return
        spent = await self._store.calls_since(self._since, self._papers)
        await self._store.adjust(self._day, (h for h, _ in self._holders), spent - self._reserved)
        self._since, self._reserved = None, 0

    async def _cost(self, paper: Paper) -> int:
        """0 when no model would be asked (no model configured, or a summary that answers is cached), else 1."""
        model = self._model
        if model == "extractive":
            return 0
        kinds: Iterable[str] = ("brief", "full") if self._kind == "brief" else ("full",)
        for kind in kinds:
            key = SummaryKey(paper.id, paper.version, self._language, kind, model, PROMPT_VERSION)
            if await self._summaries.get(key) is not None:
                return 0
        return 1

    def _refusal(self, short: str | None) -> str:
        prefix = (short or "").split(":", 1)[0]
        key = {"chat": "quota_chat", "ask": "ask_limit_thread", "ask-chat": "ask_limit_chat"}.get(prefix, "quota_user")
        limit = next((limit for holder, limit in self._holders if holder == short), self._holders[0][1])
        return t(self._language, key, limit=limit, hours=_hours_until(self._now, self._resets_at))


def limit_message(language: str, exc: LimitReached) -> str:
    """The friendly refusal for a cap the store enforced (nothing was written)."""
    return t(language, f"limit_{exc.what}_{exc.scope}", limit=exc.limit)


def _hours_until(now: datetime, then: datetime) -> int:
    return max(1, round((then - now).total_seconds() / 3600))
