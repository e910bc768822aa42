"""/digest: a digest right now, for one topic or for every topic this chat follows."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from bot.arxiv_calendar import listing_day_for
from bot.arxiv_source import ArxivError
from bot.commands import Command, Param, UsageError, command
from bot.core import Core
from bot.digest import ListingPending
from bot.i18n import t
from bot.personal import PERSONAL_TOPIC, personal_topic
from bot.models import Paper
from bot.quotas import QuotaExceeded, QuotaGate
from bot.replies import Digest, Error, Replies, Reply, Text
from handlers.common import arxiv_down, resolve_topic, say


@command(
    "digest",
    help_en="Today's digest now: /digest [topic|mine] [all [page]] [YYYY-MM-DD]",
    help_zh="立即获取今日速递：/digest [主题] [all [页码]] [日期]",
    params=(
        Param("topic", "topic name, or mine for your filters; default: this chat's subscriptions", autocomplete="topic"),
        Param("options", "all (every paper, a page at a time: all 2 is the next page) and/or a date YYYY-MM-DD",
              rest=True),
    ),
    slow=True,
)
async def digest(core: Core, cmd: Command) -> Reply:
    language = await core.language_for(cmd.chat)
    names: list[str] = []
    numbers: list[str] = []
    include_all, day = False, None
    for arg in cmd.args:
        if arg.lower() == "all":
            include_all = True
        elif _looks_like_date(arg):
            day = _parse_date(arg, language, listing_day_for(core.clock()))
        elif arg.isdigit() and len(arg) <= 4:
            numbers.append(arg)
        else:
            names.append(arg)
    page = max(1, int(numbers.pop())) if include_all and len(numbers) == 1 else 1
    names += numbers
    if len(names) > 1:
        raise UsageError(say(language, "Name one topic at most.", "最多写一个主题。"))
    limit = await core.max_papers_for(cmd.chat)
    async with QuotaGate(core, cmd, language, "brief") as gate:
        cap = core.settings.digest_all_max_papers
        if names and names[0].lower() == PERSONAL_TOPIC:
            return await _personal(core, cmd, language, _Window(gate, language, limit, include_all, page, cap))
        if names:
            topics = [await resolve_topic(core, cmd, names[0])]
        else:
            subs = await core.store.subscriptions.for_chat(cmd.chat)
            topics = [t for t in [await core.topics.get(s.topic, cmd.chat.key) for s in subs] if t]
            if not topics:
                raise UsageError(say(language, "Which topic? See /topics.", "哪个主题？见 /topics。"))
        replies: list[Reply] = []
        for topic in topics:
            choice = _Window(gate, language, limit, include_all, page, cap)
            try:
                built = await core.digests.build(topic, language, day=day, limit=limit, include_all=include_all,
                                                 progress=cmd.progress, choose=choice.pick)
            except ArxivError as exc:
                return Error(arxiv_down(language, exc))
            except ListingPending as exc:
                return Error(_pending(language, exc))
            except QuotaExceeded as exc:
                if not replies:
                    return Error(exc.message)
                replies.append(Text(exc.message))
                break
            replies.extend(choice.annotate(built))
    return replies[0] if len(replies) == 1 else Replies(tuple(replies))


async def _personal(core: Core, cmd: Command, language: str, choice: _Window) -> Reply:
    """Today's papers for the sender's own filters (what /mydigest would send)."""
    if not await core.personal.has_filters(cmd.chat.platform, cmd.user_id):
        raise UsageError(say(language, "You have no filters yet; add one with /filter add TOPIC.",
                             "你还没有过滤器，请先 /filter add 主题。"))
    categories = await core.personal.categories()
    try:
        day = await core.digests.latest_day(categories)
    except ArxivError as exc:
        return Error(arxiv_down(language, exc))
    except ListingPending as exc:
        return Error(_pending(language, exc))
    topic = personal_topic(language, categories)
    if day.no_announcement:
        return Digest(topic, day.day, language, (), no_announcement=True)
    matched = await core.personal.match(cmd.chat.platform, cmd.user_id, day)
    try:
        chosen = await choice.pick(matched)
    except QuotaExceeded as exc:
        return Error(exc.message)
    entries = await core.digests.entries(chosen, language, cmd.progress)
    built = Digest(topic, day.day, language, entries, more=len(matched) - len(chosen))
    replies = choice.annotate(built)
    return replies[0] if len(replies) == 1 else Replies(tuple(replies))


@dataclass
class _Window:
    """Which of a topic's ranked papers one /digest shows: the chat's maximum, or a page of ``all``,
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

    async def pick(self, matched: list[Paper]) -> list[Paper]:
        self.matched = len(matched)
        if self.include_all:
            pages = max(1, -(-len(matched) // self.cap))
            if self.page > pages:
                raise UsageError(t(self.language, "page_out_of_range", page=self.page, pages=pages))
            self.start = (self.page - 1) * self.cap
            window = matched[self.start:self.start + self.cap]
        else:
            window = matched[:self.limit]
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


def _looks_like_date(text: str) -> bool:
    return len(text) == 10 and text[4] == "-" and text[7] == "-"


def _pending(language: str, exc: ListingPending) -> str:
    return t(language, "listing_pending", day=exc.listing.isoformat(), at=f"{exc.ready_at:%H:%M}")


def _parse_date(text: str, language: str, latest: date) -> date:
    """A listing date up to ``latest``, arXiv's current listing (its day is US Eastern, not the server's)."""
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise UsageError(say(language, f"'{text}' is not a date; use YYYY-MM-DD.", f"'{text}' 不是日期，请用 YYYY-MM-DD。")) from None
    if value < date(1991, 8, 1) or value > latest:
        raise UsageError(say(language, "That date has no arXiv listing.", "该日期没有 arXiv 列表。"))
    return value
