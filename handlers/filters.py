"""/filter and /mydigest: a user's own topics and mutes, delivered by direct message."""

from __future__ import annotations

from datetime import time

from bot.commands import Context, Param, UsageError, command
from bot.config import Settings
from bot.i18n import t
from bot.replies import Reply, Text
from bot.services.filters import Filters
from bot.services.subscriptions import DEFAULT_TIME
from bot.topics.expression import ExpressionError, parse
from bot.topics.registry import TopicRegistry

MAX_FILTER_CHARS = 300


class FilterHandlers:
    def __init__(self, filters: Filters, topics: TopicRegistry, settings: Settings) -> None:
        self._filters = filters
        self._topics = topics
        self._settings = settings

    @command("filter", params=(
        Param("action", "param_filter_action", kind="choice", required=True, choices=("add", "remove", "mute", "list")),
        Param("value", "param_filter_value", kind="rest"),
    ))
    async def filter(self, ctx: Context, action: str, value: str | None) -> Reply:
        language = ctx.language
        platform, user = ctx.cmd.chat.platform, ctx.cmd.user_id
        if action == "list":
            items = await self._filters.of_user(platform, user)
            if not items:
                return Text(t(language, "no_filters"))
            lines = [t(language, "filters_header")]
            lines += [f"• {'mute' if f.kind == 'mute' else 'add'}: {f.value}" for f in items]
            return Text("\n".join(lines))
        if not value:
            raise UsageError(t(language, "filter_needs_value", action=action))
        if len(value) > MAX_FILTER_CHARS:
            raise UsageError(t(language, "filter_too_long", limit=MAX_FILTER_CHARS))
        if action == "remove":
            if not await self._filters.remove(platform, user, value):
                raise UsageError(t(language, "no_such_filter"))
            return Text(t(language, "filter_removed", value=value))
        if await self._topics.get(value, None) is None:
            try:
                parse(value)
            except ExpressionError as exc:
                raise UsageError(t(language, "bad_expression", error=str(exc))) from None
        kind = "mute" if action == "mute" else "include"
        if not await self._filters.add(platform, user, kind, value):
            return Text(t(language, "filter_exists"))
        return Text(t(language, "filter_muted" if kind == "mute" else "filter_added", value=value))

    @command("mydigest", params=(
        Param("switch", "param_switch", kind="switch", required=True),
        Param("time", "param_time", kind="time"),
        Param("timezone", "param_zone", kind="zone"),
    ))
    async def mydigest(self, ctx: Context, switch: bool, time: time | None, timezone: str | None) -> Reply:
        language, cmd = ctx.language, ctx.cmd
        existing = await self._filters.digest(cmd.chat.platform, cmd.user_id)
        at = time or (existing.at_time if existing else DEFAULT_TIME)
        zone = timezone or (existing.timezone if existing else self._settings.timezone)
        dm = cmd.dm_chat_id or (cmd.chat.chat_id if cmd.chat.kind == "private" else None)
        if dm is None:
            raise UsageError(t(language, "mydigest_in_dm"))
        await self._filters.set_digest(cmd.chat.platform, cmd.user_id, dm, switch, at, zone, language)
        if not switch:
            return Text(t(language, "mydigest_off"))
        filters = await self._filters.of_user(cmd.chat.platform, cmd.user_id)
        hint = "" if any(f.kind == "include" for f in filters) else t(language, "mydigest_hint")
        return Text(t(language, "mydigest_on", at=f"{at:%H:%M}", zone=zone) + hint)
