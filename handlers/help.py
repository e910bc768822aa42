"""/help: generated from the command declarations, so it can never fall out of date."""

from __future__ import annotations

from bot.commands import REGISTRY, Command, command
from bot.core import Core
from bot.replies import Reply, Text
from handlers.common import say


@command("help", help_en="Show what I can do", help_zh="查看所有命令")
async def help_command(core: Core, cmd: Command) -> Reply:
    language = await core.language_for(cmd.chat)
    lines = [say(language, "paperbot: daily arXiv digests and paper summaries.",
                 "paperbot：每日 arXiv 论文速递与论文解读。")]
    for spec in sorted(REGISTRY.values(), key=lambda s: s.name):
        admin = say(language, " (admins)", "（管理员）") if spec.admin else ""
        lines.append(f"{spec.usage} — {spec.help(language)}{admin}")
    return Text("\n".join(lines))
