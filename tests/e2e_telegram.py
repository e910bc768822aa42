"""Harnesses for Telegram tests: the real adapter in-process, or ``paperbot run`` as a subprocess.

Both talk only to :class:`~tests.fakes.telegram.FakeTelegram` on 127.0.0.1. Nothing of
ours is patched: the adapter is pointed at the fake through the same setting a
self-hosted Bot API server would use (``PAPERBOT_TELEGRAM_API_URL``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from bot.adapters.telegram import TelegramAdapter
from bot.config import Settings
from bot.core import Core
from tests.fakes.telegram import FakeTelegram, Sent

TOKEN = "123:ABC"
ROOT = Path(__file__).resolve().parent.parent
# Names a developer's shell may carry that must not leak into the bot under test.
_SCRUB = ("PAPERBOT_", "TELEGRAM_", "DISCORD_", "GEMINI_", "GOOGLE_", "OPENAI_", "HTTP_PROXY", "HTTPS_PROXY",
          "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


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
        async with await Core.create(settings) as core:
            adapter = TelegramAdapter(settings, private_interval=private_interval)
            await adapter.start(core)
            core.adapters[adapter.name] = adapter
            try:
                yield InProcessBot(fake, adapter, core)
            finally:
                await adapter.stop()
    finally:
        await fake.stop()


@dataclass
class BotProcess:
    """``paperbot run`` in a subprocess, its logs in files so a full pipe never blocks it."""

    proc: subprocess.Popen[bytes]
    workdir: Path
    returncode: int | None = None
    _logs: dict[str, str] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        return self.workdir / "paperbot.db"

    def logs(self) -> tuple[str, str]:
        """(stdout, stderr) so far."""
        return ((self.workdir / "stdout.log").read_text(errors="replace"),
                (self.workdir / "stderr.log").read_text(errors="replace"))

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, as a service manager would; kill only if it does not exit in time."""
        if self.returncode is not None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                raise AssertionError(f"paperbot did not exit within {timeout}s of SIGTERM") from None
        self.returncode = self.proc.returncode
        return self.returncode


def bot_env(telegram_url: str, arxiv_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUB)}
    env.update(
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
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def start_paperbot(fake: FakeTelegram, arxiv_url: str, workdir: Path, timeout: float = 30.0,
                   **extra_env: str) -> BotProcess:
    """Start ``python -m bot run`` in ``workdir`` (so no developer ``.env`` is read) and wait until it polls."""
    workdir.mkdir(parents=True, exist_ok=True)
    polls_before = len(fake.calls("getUpdates"))
    with open(workdir / "stdout.log", "wb") as out, open(workdir / "stderr.log", "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=workdir, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, env=bot_env(fake.url, arxiv_url, workdir, **extra_env))
    bot = BotProcess(proc, workdir)
    deadline = time.monotonic() + timeout
    while len(fake.calls("getUpdates")) <= polls_before:
        if proc.poll() is not None:
            raise AssertionError(f"paperbot exited with {proc.returncode} before polling:\n{bot.logs()[1][-3000:]}")
        if time.monotonic() > deadline:
            bot.proc.kill()
            raise AssertionError(f"paperbot did not start polling in {timeout}s:\n{bot.logs()[1][-3000:]}")
        time.sleep(0.05)
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
