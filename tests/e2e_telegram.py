"""Harnesses for Telegram tests: the real adapter in-process, or ``paperbot run`` as a subprocess.

Both talk only to :class:`~tests.fakes.telegram.FakeTelegram` on 127.0.0.1. Nothing of
ours is patched: the adapter is pointed at the fake through the same setting a
self-hosted Bot API server would use (``PAPERBOT_TELEGRAM_API_URL``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.config import Settings
from bot.core import Core
from tests.conftest import NOW
from tests.e2e import BotProcess, scrubbed_env
from tests.fakes.clock import ManualClock
from tests.fakes.telegram import FakeTelegram, Sent

TOKEN = "123:ABC"


@dataclass
class InProcessBot:
    fake: FakeTelegram
    adapter: TelegramAdapter
    core: Core


@asynccontextmanager
async def running_adapter(settings: Settings, *, private_interval: float = 1.0) -> AsyncIterator[InProcessBot]:
    """Start a fake Telegram and the real adapter on it, in the test's event loop."""
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    settings = settings.model_copy(update={"telegram_bot_token": SecretStr(TOKEN), "telegram_api_url": fake.url})
    try:
        async with await Core.create(settings, ManualClock(NOW)) as core:
            adapter = TelegramAdapter(settings, private_interval=private_interval)
            await adapter.start(core.host)
            core.adapters[adapter.name] = adapter
            try:
                yield InProcessBot(fake, adapter, core)
            finally:
                await adapter.stop()
    finally:
        await fake.stop()


def bot_env(telegram_url: str, arxiv_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    return scrubbed_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        PAPERBOT_TELEGRAM_API_URL=telegram_url,
        PAPERBOT_ARXIV_API_URL=f"{arxiv_url}/api/query",
        PAPERBOT_ARXIV_RSS_URL=f"{arxiv_url}/rss",
        PAPERBOT_ARXIV_PDF_URL=f"{arxiv_url}/pdf",
        PAPERBOT_ARXIV_DELAY_SECONDS="0.1",
        PAPERBOT_DB_PATH=str(workdir / "paperbot.db"),
        PAPERBOT_LLM_BACKEND="extractive",
        PAPERBOT_LANGUAGE="en",
        PAPERBOT_LOG_LEVEL="INFO",
        **extra,
    )


def start_paperbot(fake: FakeTelegram, arxiv_url: str, workdir: Path, timeout: float = 30.0,
                   **extra_env: str) -> BotProcess:
    """Start ``python -m bot run`` in ``workdir`` (so no developer ``.env`` is read) and wait until it polls."""
    polls_before = len(fake.calls("getUpdates"))
    bot = BotProcess(bot_env(fake.url, arxiv_url, workdir, **extra_env), workdir)
    bot.wait_until(lambda: len(fake.calls("getUpdates")) > polls_before, "long polling", timeout)
    return bot


def settled(fake: FakeTelegram, chat_id: int, *, at_least: int = 1, quiet: float = 1.0,
            timeout: float = 30.0) -> list[Sent]:
    """Every message to a chat once at least ``at_least`` arrived and then nothing for ``quiet`` seconds."""
    fake.wait_sent(at_least, timeout, chat_id=chat_id)
    deadline = time.monotonic() + timeout
    count, since = len(fake.messages_to(chat_id)), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, "the bot kept sending"
        time.sleep(0.05)
        now = len(fake.messages_to(chat_id))
        if now != count:
            count, since = now, time.monotonic()
    return fake.messages_to(chat_id)
