"""/subscribe, /unsubscribe and /subscriptions: which topics this chat gets every morning."""

from __future__ import annotations

from datetime import time

from bot.arxiv_calendar import default_weekdays
from bot.commands import Command, Param, UsageError, command
from bot.core import Core
from bot.quotas import limit_message
from bot.render.paging import PageError, paginate
from bot.replies import Error, Reply, Text
from bot.store.quotas import Caps, LimitReached
from handlers.args import is_time, parse_time, parse_timezone
from handlers.common import resolve_topic, say

DEFAULT_TIME = time(8, 0)
SUBSCRIPTIONS_PER_PAGE = 20


@command(
    "subscribe",
    help_en="Post a daily digest of a topic in this chat, at HH:MM in a time zone",
    help_zh="订阅主题，每天在指定时间（时区）推送论文速递",
    params=(
        Param("topic", "topic name, see /topics", required=True, autocomplete="topic"),
        Param("time", "local time HH:MM, default 08:00"),
        Param("timezone", "IANA time zone such as Asia/Shanghai"),
    ),
    admin=True,
)
async def subscribe(core: Core, cmd: Command) -> Reply:
    language = await core.language_for(cmd.chat)
    if not cmd.args:
        raise UsageError(say(language, "Which topic? See /topics.", "订阅哪个主题？见 /topics。"))
    if len(cmd.args) > 3:
        raise UsageError(say(language, "Too many arguments.", "参数太多。"))
    topic = await resolve_topic(core, cmd, cmd.args[0])
    at, zone = DEFAULT_TIME, await core.timezone_for(cmd.chat)
    rest = list(cmd.args[1:])
    if rest and (is_time(rest[0]) or ":" in rest[0]):
        at = parse_time(rest.pop(0))
    if rest:
        zone = parse_timezone(rest.pop(0))
    caps = Caps(core.settings.max_subscriptions_per_chat, core.settings.max_subscriptions_per_user)
    try:
        sub = await core.store.subscriptions.upsert(cmd.chat, topic.name, at, zone, default_weekdays(at, zone),
                                                    created_by=cmd.user_key, caps=caps)
    except LimitReached as exc:
        return Error(limit_message(language, "subscriptions", exc))
    await core.schedule_changed(chat=cmd.chat)
    # The short name is what /subscriptions lists and /unsubscribe takes; the title says what it is.
    named = topic.name if topic.title in ("", topic.name) else f"{topic.name} ({topic.title})"
    return Text(say(
        language,
        f"Subscribed to {named}: a digest every {_days(sub.weekdays)} at {at:%H:%M} ({zone}).",
        f"已订阅 {named}：每个{_days(sub.weekdays, 'zh')} {at:%H:%M}（{zone}）推送。",
    ))


@command(
    "unsubscribe",
    help_en="Stop a topic's digest in this chat (or all)",
    help_zh="取消订阅某个主题（或 all 全部取消）",
    params=(Param("topic", "topic name or all", required=True, autocomplete="topic"),),
    admin=True,
)
async def unsubscribe(core: Core, cmd: Command) -> Reply:
    language = await core.language_for(cmd.chat)
    if len(cmd.args) != 1:
        raise UsageError(say(language, "Name one topic, or all.", "请写一个主题名，或 all。"))
    target = cmd.args[0].lower()
    removed = await core.store.subscriptions.remove(cmd.chat, None if target == "all" else target)
    if not removed:
        shown = target if len(target) <= 40 else target[:39] + "…"
        return Text(say(language, f"This chat is not subscribed to {shown}.", f"本群没有订阅 {shown}。"))
    await core.schedule_changed(chat=cmd.chat)
    return Text(say(language, f"Unsubscribed ({len(removed)}).", f"已取消订阅（{len(removed)} 个）。"))


@command(
    "subscriptions",
    help_en="Show this chat's subscriptions, a page at a time: /subscriptions [page]",
    help_zh="查看本群的订阅（分页）：/subscriptions [页码]",
    params=(Param("page", "page number, default 1"),),
)
async def subscriptions(core: Core, cmd: Command) -> Reply:
    language = await core.language_for(cmd.chat)
    subs = await core.store.subscriptions.for_chat(cmd.chat)
    if not subs:
        return Text(say(language, "No subscriptions here yet. Try /subscribe virtual-humans 08:00 Asia/Shanghai",
                        "本群还没有订阅。试试 /subscribe virtual-humans 08:00 Asia/Shanghai"))
    try:
        page = paginate(subs, cmd.args[0] if cmd.args else None, SUBSCRIPTIONS_PER_PAGE, language)
    except PageError as exc:
        raise UsageError(str(exc)) from None
    lines = [say(language, "Subscriptions:", "订阅：")]
    for sub in page.items:
        line = f"• {sub.topic} — {sub.at_time:%H:%M} {sub.timezone}, {_days(sub.weekdays, language)}"
        if sub.last_sent_day:
            line += say(language, f"; last sent {sub.last_sent_day}", f"；上次推送 {sub.last_sent_day}")
        if sub.paused_reason:
            line += say(language, f"; PAUSED: {sub.paused_reason}", f"；已暂停：{sub.paused_reason}")
        lines.append(line)
    footer = page.footer(language, "subscriptions")
    return Text("\n".join(lines + ([footer] if footer else [])))


_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def _days(days: tuple[int, ...], language: str = "en") -> str:
    if tuple(sorted(days)) == (0, 1, 2, 3, 4):
        return "工作日" if language == "zh" else "weekday"
    names = _ZH if language == "zh" else _EN
    return ",".join(names[d] for d in sorted(days))
