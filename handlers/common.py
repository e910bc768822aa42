"""Small helpers every handler uses."""

from __future__ import annotations

from bot.commands import Command, UsageError
from bot.core import Core
from bot.models import Topic


def say(language: str, en: str, zh: str) -> str:
    return zh if language == "zh" else en


async def resolve_topic(core: Core, cmd: Command, name: str) -> Topic:
    topic = await core.topics.get(name, cmd.chat.key)
    if topic is None:
        names = ", ".join(await core.topics.names(cmd.chat.key))
        shown = name if len(name) <= 40 else name[:39] + "…"
        raise UsageError(f"Unknown topic '{shown}'. Topics: {names}. See /topics.")
    return topic
