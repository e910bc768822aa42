"""/help: generated from the command declarations, so it can never fall out of date."""

from __future__ import annotations

from collections.abc import Callable

from bot.commands import Context, command
from bot.i18n import t
from bot.ports import CommandSpec
from bot.replies import Reply, Text


class HelpHandlers:
    def __init__(self, specs: Callable[[], list[CommandSpec]]) -> None:
        self._specs = specs

    @command("help")
    async def help(self, ctx: Context) -> Reply:
        language = ctx.language
        lines = [t(language, "help_intro")]
        for spec in self._specs():
            admin = t(language, "admins_mark") if spec.admin else ""
            lines.append(f"{spec.usage} — {t(language, spec.help_key)}{admin}")
        return Text("\n".join(lines))
