"""/digest: a digest right now, for one topic or for every topic this chat follows."""

from __future__ import annotations

from datetime import date

from bot.arxiv_calendar import listing_day_for
from bot.arxiv_source import ArxivError
from bot.commands import Command, Param, UsageError, command
from bot.core import Core
from bot.digest import ListingPending
from bot.i18n import t
from bot.personal import PERSONAL_TOPIC, personal_topic
from bot.replies import Digest, Error, Replies, Reply
from handlers.common import arxiv_down, resolve_topic, say


@command(
    "digest",
    help_en="Today's digest now: /digest [topic|mine] [all] [YYYY-MM-DD]",
    help_zh="立即获取今日速递：/digest [主题] [all] [日期]",
    params=(
        Param("topic", "topic name, or mine for your filters; default: this chat's subscriptions", autocomplete="topic"),
        Param("options", "all (no limit) and/or a date YYYY-MM-DD", rest=True),
    ),
    slow=True,
)
async def digest(core: Core, cmd: Command) -> Reply:
    language = await core.language_for(cmd.chat)
    names: list[str] = []
    include_all, day = False, None
    for arg in cmd.args:
        if arg.lower() == "all":
            include_all = True
        elif _looks_like_date(arg):
            day = _parse_date(arg, language, listing_day_for(core.clock()))
        else:
            names.append(arg)
    if len(names) > 1:
        raise UsageError(say(language, "Name one topic at most.", "最多写一个主题。"))
    limit = await core.max_papers_for(cmd.chat)
    if names and names[0].lower() == PERSONAL_TOPIC:
        return await _personal(core, cmd, language, limit, include_all)
    if names:
        topics = [await resolve_topic(core, cmd, names[0])]
    else:
        subs = await core.store.subscriptions.for_chat(cmd.chat)
        topics = [t for t in [await core.topics.get(s.topic, cmd.chat.key) for s in subs] if t]
        if not topics:
            raise UsageError(say(language, "Which topic? See /topics.", "哪个主题？见 /topics。"))
    digests: list[Reply] = []
    for topic in topics:
        try:
            digests.append(await core.digests.build(topic, language, day=day, limit=limit, include_all=include_all,
                                                    progress=cmd.progress))
        except ArxivError as exc:
            return Error(arxiv_down(language, exc))
        except ListingPending as exc:
            return Error(_pending(language, exc))
    return digests[0] if len(digests) == 1 else Replies(tuple(digests))


async def _personal(core: Core, cmd: Command, language: str, limit: int, include_all: bool) -> Reply:
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
    chosen = matched if include_all else matched[:limit]
    entries = await core.digests.entries(chosen, language, cmd.progress)
    return Digest(topic, day.day, language, entries, more=len(matched) - len(chosen))


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
