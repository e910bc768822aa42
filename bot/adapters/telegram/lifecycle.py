"""Starting and stopping python-telegram-bot's Application under our own lifecycle.

``run_polling`` would retry ``getMe`` at start and own the loop; we share the loop, so
the retry is ours: network errors are retried with backoff, a rejected token is one
configuration error. Between failed polls python-telegram-bot sleeps up to 30 s and
``updater.stop()`` waits for that sleep, so stopping cancels the polling task when it
does not end soon (SIGTERM must stop the bot in seconds while Telegram is unreachable).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.config import ConfigError

log = logging.getLogger("bot.adapters.telegram")

UPDATER_STOP_SECONDS = 1.0  # then the polling task is cancelled: it may be in a 30 s sleep
START_RETRY_SECONDS = (0.5, 30.0)  # first and longest wait between start-up attempts
POLLING_TASK = "Updater:start_polling:polling_task"  # python-telegram-bot's name for it


def bot_api_root(url: str) -> str:
    """The server's root URL. python-telegram-bot's ``base_url`` is written ending in ``/bot``;
    a setting copied from there would become ``…/bot/bot<token>`` and look like a bad token."""
    url = url.rstrip("/")
    return url.removesuffix("/bot") if url.endswith("/bot") else url


async def initialize(app: Application[Any, Any, Any, Any, Any, Any], api: str) -> None:
    """``getMe`` until it answers: a network error at boot is retried with backoff; a rejected token is not."""
    wait, longest = START_RETRY_SECONDS
    attempt = 1
    while True:
        try:
            await app.initialize()
            return
        except InvalidToken:
            host = urlsplit(api).netloc
            raise ConfigError(f"configuration error: TELEGRAM_BOT_TOKEN: rejected by the Bot API at {host}; "
                              "check the token (and that PAPERBOT_TELEGRAM_API_URL is the server's root URL)") from None
        except NetworkError as exc:  # TimedOut included
            log.warning("telegram is not reachable; retrying", extra={"attempt": attempt, "seconds": wait,
                                                                       "error": str(exc)})
        await asyncio.sleep(wait)
        wait, attempt = min(wait * 2, longest), attempt + 1


async def stop_updater(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """``updater.stop()``, but not after a long sleep between failed polls (see module docstring)."""
    assert app.updater is not None
    stopping = asyncio.ensure_future(app.updater.stop())
    done, _ = await asyncio.wait({stopping}, timeout=UPDATER_STOP_SECONDS)
    if not done:
        for task in asyncio.all_tasks():
            if task.get_name() == POLLING_TASK:
                task.cancel()  # stop() then finishes: it ignores the polling task's cancellation
        done, _ = await asyncio.wait({stopping}, timeout=UPDATER_STOP_SECONDS)
    if not done:
        stopping.cancel()
        log.warning("telegram polling did not stop in time; left behind")
    await asyncio.gather(stopping, return_exceptions=True)
