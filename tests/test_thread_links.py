"""A conversation bound to a platform message outlives the process that bound it."""

from __future__ import annotations

from bot.models import ChatRef
from bot.ports import ThreadRef
from tests.conftest import core_with


async def test_thread_binding_survives_a_restart(arxiv, tmp_path) -> None:
    from bot.adapters.console import ConsoleAdapter

    chat = ChatRef("telegram", "-100", "group")
    other = ChatRef("telegram", "-200", "group")
    core = await core_with(ConsoleAdapter(), arxiv, tmp_path)
    try:
        await core.host.bind_thread(chat, "42", ThreadRef("2406.12345v2", "t-1"))
    finally:
        await core.close()
    core = await core_with(ConsoleAdapter(), arxiv, tmp_path)
    try:
        assert await core.host.find_thread(chat, "42") == ThreadRef("2406.12345v2", "t-1")
        assert await core.host.find_thread(chat, "43") is None
        assert await core.host.find_thread(other, "42") is None  # keys are per chat
    finally:
        await core.close()
