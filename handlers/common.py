"""Small helpers every handler uses."""

from __future__ import annotations

from bot.arxiv_source import ArxivError, ArxivUnavailable
from bot.commands import Command, UsageError
from bot.core import Core
from bot.i18n import t
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


def arxiv_down(language: str, exc: ArxivError) -> str:
    """One sentence for an arXiv failure. ``ArxivUnavailable`` already says "try again later"
    in English, so wrapping it in another "please try again later" repeated itself."""
    if isinstance(exc, ArxivUnavailable):
        return t(language, "arxiv_unavailable")
    return t(language, "arxiv_error", reason=str(exc))
