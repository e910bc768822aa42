"""What every platform adapter does the same way, so each adapter keeps only its platform's work.

An adapter knows its :class:`~bot.ports.Host`, tracks the commands it is running so a
shutdown lets them answer (briefly) before cancelling them, and words an error reply in
the chat's language without ever failing over it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable

from bot.config import Settings
from bot.i18n import t
from bot.models import ChatRef
from bot.ports import Host

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 5.0


class AdapterBase:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.host: Host | None = None
        self._inflight: set[asyncio.Task[object]] = set()

    @property
    def host_or_fail(self) -> Host:
        if self.host is None:
            raise RuntimeError(f"the {type(self).__name__} was not started")
        return self.host

    async def track(self, work: Awaitable[None]) -> None:
        """Run one command's work as a tracked task, so :meth:`finish_running` can wait for it."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            await work
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def finish_running(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Give running commands ``grace`` seconds to reply, then cancel the rest."""
        pending = {task for task in self._inflight if task is not asyncio.current_task()}
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def error_text(self, chat: ChatRef | None, key: str = "internal_error", **values: object) -> str:
        """An error line in the chat's language; the bot's default if even that cannot be read."""
        language: str = self.settings.language
        if chat is not None and self.host is not None:
            with contextlib.suppress(Exception):
                language = await self.host.language(chat)
        return t(language, key, **values)
