"""/subscribe, /unsubscribe and /subscriptions: which topics this chat gets every morning."""

from __future__ import annotations

from datetime import time

from bot.commands import Context, Param, UsageError, command
from bot.i18n import t
from bot.models import Topic
from bot.params import short
from bot.render.paging import PageError, paginate
from bot.replies import Reply, Text
from bot.services.subscriptions import Subscriptions

SUBSCRIPTIONS_PER_PAGE = 20


class SubscriptionHandlers:
    def __init__(self, subscriptions: Subscriptions) -> None:
        self._subscriptions = subscriptions

    @command("subscribe", admin=True, params=(
        Param("topic", "param_topic", kind="topic", required=True),
        Param("time", "param_time", kind="time"),
        Param("timezone", "param_zone", kind="zone"),
    ))
    async def subscribe(self, ctx: Context, topic: Topic, time: time | None, timezone: str | None) -> Reply:
        sub = await self._subscriptions.subscribe(ctx.cmd.chat, topic, time, timezone, created_by=ctx.cmd.user_key)
        # The short name is what /subscriptions lists and /unsubscribe takes; the title says what it is.
        named = topic.name if topic.title in ("", topic.name) else f"{topic.name} ({topic.title})"
        return Text(t(ctx.language, "subscribed", topic=named, days=weekdays_text(sub.weekdays, ctx.language),
                      at=f"{sub.at_time:%H:%M}", zone=sub.timezone))

    @command("unsubscribe", admin=True, params=(Param("topic", "param_topic_or_all", required=True,
                                                      autocomplete="topic", choices=("all",)),))
    async def unsubscribe(self, ctx: Context, topic: str) -> Reply:
        name = topic.lower()
        removed = await self._subscriptions.unsubscribe(ctx.cmd.chat, None if name == "all" else name)
        if not removed:
            return Text(t(ctx.language, "not_subscribed", topic=short(name)))
        return Text(t(ctx.language, "unsubscribed", n=removed))

    @command("subscriptions", params=(Param("page", "param_page"),))
    async def subscriptions(self, ctx: Context, page: str | None) -> Reply:
        language = ctx.language
        subs = await self._subscriptions.of_chat(ctx.cmd.chat)
        if not subs:
            return Text(t(language, "no_subscriptions"))
        try:
            shown = paginate(subs, page, SUBSCRIPTIONS_PER_PAGE, language)
        except PageError as exc:
            raise UsageError(str(exc)) from None
        lines = [t(language, "subscriptions_header")]
        for sub in shown.items:
            line = f"• {sub.topic} — {sub.at_time:%H:%M} {sub.timezone}, {weekdays_text(sub.weekdays, language)}"
            if sub.last_sent_day:
                line += t(language, "subscription_last_sent", day=sub.last_sent_day)
            if sub.paused_reason:
                line += t(language, "subscription_paused", reason=sub.paused_reason)
            lines.append(line)
        footer = shown.footer(language, "subscriptions")
        return Text("\n".join(lines + ([footer] if footer else [])))


def weekdays_text(days: tuple[int, ...], language: str) -> str:
    if tuple(sorted(days)) == (0, 1, 2, 3, 4):
        return t(language, "weekdays")
    names = t(language, "weekday_names").split(",")
    return ",".join(names[d] for d in sorted(days))
