"""/lang and /settings: per-chat language, time zone, digest size, figures and "also relevant" papers."""

from __future__ import annotations

import re

from bot.commands import Context, Param, UsageError, command
from bot.i18n import t
from bot.params import parse_switch, parse_zone
from bot.replies import Reply, Text
from bot.services.chats import Chats
from bot.services.subscriptions import Subscriptions
from bot.topics.relevance import ALSO_RELEVANT


class SettingsHandlers:
    def __init__(self, chats: Chats, subscriptions: Subscriptions) -> None:
        self._chats = chats
        self._subscriptions = subscriptions

    @command("lang", admin=True, params=(Param("language", "param_language", kind="choice", required=True,
                                               choices=("zh", "en")),))
    async def lang(self, ctx: Context, language: str) -> Reply:
        await self._chats.update(ctx.cmd.chat, language=language)
        return Text(t(language, "language_set"))

    @command("settings", admin=True, params=(
        Param("setting", "param_setting", kind="choice", choices=("timezone", "max", "figures", "related")),
        Param("value", "param_value"),
    ))
    async def settings(self, ctx: Context, setting: str | None, value: str | None) -> Reply:
        language, chat = ctx.language, ctx.chat
        if setting is None:
            figures = t(language, "on" if chat.figures else "off")
            related = t(language, "settings_related", state=t(language, "on" if chat.also_relevant else "off"))
            return Text(t(language, "settings_show", lang=language, zone=chat.timezone, max=chat.max_papers,
                          figures=figures) + "\n" + related)
        if value is None:
            raise UsageError(t(language, "settings_need_value"))
        if setting == "timezone":
            zone = parse_zone(value, language)
            moved = await self._subscriptions.move_chat_to_zone(ctx.cmd.chat, zone)
            return Text(t(language, "timezone_set", zone=zone, n=moved))
        if setting == "max":
            if not re.fullmatch(r"[0-9]{1,3}", value) or not 1 <= int(value) <= 100:
                raise UsageError(t(language, "max_range"))
            await self._chats.update(ctx.cmd.chat, max_papers=int(value))
            return Text(t(language, "max_set", n=int(value)))
        on = parse_switch(value, language)
        if setting == "related":
            await self._chats.update(ctx.cmd.chat, also_relevant=int(on))
            return Text(t(language, "related_set", state=t(language, "on" if on else "off"), n=ALSO_RELEVANT))
        await self._chats.update(ctx.cmd.chat, figures=int(on))
        return Text(t(language, "figures_set", state=t(language, "on" if on else "off")))
