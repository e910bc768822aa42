"""/digest: a digest right now, for one topic, for the sender's filters, or for every topic this chat follows."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from bot.arxiv.calendar import listing_day_for
from bot.clock import Clock
from bot.commands import Context, Param, UsageError, command
from bot.config import Settings
from bot.digest import Audience, DigestBuilder, Person
from bot.i18n import t
from bot.models import ChatRef, Paper, Topic
from bot.personal import PERSONAL_TOPIC
from bot.quotas import QuotaExceeded, QuotaGate, Quotas
from bot.replies import Digest, Replies, Reply, Text
from bot.services.subscriptions import Subscriptions
from bot.topics.profiles import chat_audience, user_audience
from bot.topics.registry import TopicRegistry
from bot.topics.relevance import ALSO_RELEVANT


class DigestHandlers:
    def __init__(self, builder: DigestBuilder, subscriptions: Subscriptions, topics: TopicRegistry, quotas: Quotas,
                 settings: Settings, clock: Clock) -> None:
        self._builder = builder
        self._subscriptions = subscriptions
        self._topics = topics
        self._quotas = quotas
        self._settings = settings
        self._clock = clock

    @command("digest", slow=True, params=(
        Param("topic", "param_digest_topic", kind="topic", choices=(PERSONAL_TOPIC,)),
        Param("all", "param_all", kind="choice", choices=("all",)),
        Param("page", "param_page", kind="int"),
        Param("date", "param_date", kind="date"),
    ))
    async def digest(self, ctx: Context, topic: Topic | str | None, all: str | None, page: int | None,
                     date: date | None) -> Reply:
        language, cmd = ctx.language, ctx.cmd
        if date is not None and date > listing_day_for(self._clock()):  # arXiv's day, not the server's
            raise UsageError(t(language, "no_listing_that_day"))
        if page is not None and all is None:
            raise UsageError(t(language, "page_needs_all"))
        audiences: list[Audience]
        if topic == PERSONAL_TOPIC:
            person = Person(cmd.chat.platform, cmd.user_id)
            if not await self._builder.has_audience(person):
                raise UsageError(t(language, "no_filters_yet"))
            audiences, date = [person], None  # a personal digest is today's
        elif isinstance(topic, Topic):
            audiences = [topic]
        else:
            subs = await self._subscriptions.of_chat(cmd.chat)
            audiences = [a for a in [await self._topics.get(s.topic, cmd.chat.key) for s in subs] if a]
            if not audiences:
                raise UsageError(t(language, "which_topic"))
        replies: list[Reply] = []
        async with self._quotas.gate(cmd, language, "brief") as gate:
            for audience in audiences:
                window = _Window(gate, language, ctx.chat.max_papers, all is not None, page or 1,
                                 self._settings.digest_all_max_papers)
                try:
                    built = await self._builder.build(audience, language, day=date, limit=ctx.chat.max_papers,
                                                      include_all=all is not None, progress=cmd.progress,
                                                      choose=window.pick, learner=_learner(audience, cmd.chat),
                                                      also=ALSO_RELEVANT if ctx.chat.also_relevant else 0)
                except QuotaExceeded as exc:
                    if not replies:
                        raise
                    replies.append(Text(exc.message))
                    break
                replies.extend(window.annotate(built))
        return replies[0] if len(replies) == 1 else Replies(tuple(replies))


def _learner(audience: Audience, chat: ChatRef) -> str:
    """Whose votes order this digest: the person's for a personal digest, else the chat's."""
    if isinstance(audience, Person):
        return user_audience(audience.platform, audience.user_id)
    return chat_audience(chat.platform, chat.chat_id)


@dataclass
class _Window:
    """Which of an audience's ranked papers one /digest shows: the chat's maximum, or a page of ``all``,
    then as many as the sender's model quota affords (reserved before any summary is asked for)."""

    gate: QuotaGate
    language: str
    limit: int
    include_all: bool
    page: int
    cap: int  # PAPERBOT_DIGEST_ALL_MAX_PAPERS: `all` once asked for 91 summaries at once
    matched: int = 0
    start: int = 0
    wanted: int = 0
    shown: int = 0

    async def pick(self, matched: list[Paper], extra: list[Paper]) -> list[Paper]:
        """The window of ``matched``; ``extra`` ("also relevant") follows the first window only."""
        self.matched = len(matched)
        if self.include_all:
            pages = max(1, -(-len(matched) // self.cap))
            if self.page > pages:
                raise UsageError(t(self.language, "page_out_of_range", page=self.page, pages=pages))
            self.start = (self.page - 1) * self.cap
            window = matched[self.start:self.start + self.cap] + (extra if self.page == 1 else [])
        else:
            window = matched[:self.limit] + extra
        self.wanted = len(window)
        chosen = await self.gate.afford(window)
        self.shown = len(chosen)
        return chosen

    def annotate(self, built: Digest) -> list[Reply]:
        """The digest, and a note when quota or paging, not the chat's maximum, left papers out."""
        if built.no_announcement or not built.entries:
            return [built]
        if self.shown < self.wanted:
            note = t(self.language, "quota_digest_capped", n=self.matched - self.shown)
        elif self.include_all and self.matched > self.cap:
            first, last = self.start + 1, self.start + self.shown
            note = t(self.language, "digest_all_page", first=first, last=last, total=self.matched, max=self.cap,
                     topic=built.topic.name, next=self.page + 1) if last < self.matched else \
                t(self.language, "digest_all_last", first=first, last=last, total=self.matched)
        else:
            return [built]
        return [replace(built, more=0), Text(note)]
