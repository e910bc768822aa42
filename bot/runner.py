"""``paperbot run``: every adapter with a token, the scheduler, one event loop.

Telegram, Discord and the scheduler share the loop, so adapters use their manual
lifecycles (never ``run_polling`` or ``client.run``, which own and close the loop).
With no token at all, the console adapter runs instead, scheduler included, so a
newcomer sees digests arrive in the terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.adapters import configured_adapters
from bot.adapters.console import CONSOLE_CHAT, ConsoleAdapter
from bot.config import Settings
from bot.core import Core
from bot.ports import Adapter

log = logging.getLogger(__name__)


async def run(settings: Settings) -> int:
    async with await Core.create(settings) as core:
        adapters = configured_adapters(settings)
        if not adapters:
            return await run_console(core)
        stop = asyncio.Event()
        _on_signals(stop.set)
        started: list[Adapter] = []
        scheduler = core.scheduler
        try:
            for adapter in adapters:
                if not await _start_unless_stopped(adapter, core, stop):
                    log.info("stopped during start-up")
                    return 0
                core.adapters[adapter.name] = adapter
                started.append(adapter)
                log.info("adapter started", extra={"adapter": adapter.name})
            await scheduler.start(catch_up=False)
            # Catching up may mean a long fan-out; SIGTERM must not wait for it. Cancelling
            # is safe: every message sent is recorded, and the next start resumes after it.
            catching_up = asyncio.create_task(scheduler.catch_up(), name="catch-up")
            catching_up.add_done_callback(_log_failure)
            log.info("paperbot running", extra={"adapters": [a.name for a in started]})
            await stop.wait()
            log.info("shutting down")
            catching_up.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await catching_up
        finally:
            await scheduler.stop()
            for adapter in reversed(started):
                try:
                    await adapter.stop()
                except Exception:
                    log.exception("adapter did not stop cleanly", extra={"adapter": adapter.name})
    return 0


async def run_console(core: Core) -> int:
    console = ConsoleAdapter()
    await console.start(core.host)
    core.adapters[console.name] = console
    await core.chats.ensure(CONSOLE_CHAT, "console")
    scheduler = core.scheduler
    await scheduler.start(catch_up=False)
    catching_up = asyncio.create_task(scheduler.catch_up(), name="catch-up")
    catching_up.add_done_callback(_log_failure)
    try:
        await console.repl()
    finally:
        catching_up.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await catching_up
        await scheduler.stop()
        await console.stop()
    return 0


async def _start_unless_stopped(adapter: Adapter, core: Core, stop: asyncio.Event) -> bool:
    """Start an adapter, unless SIGTERM comes first: start-up retries while the platform is
    unreachable, and a service manager must still be able to stop the bot then."""
    starting = asyncio.ensure_future(adapter.start(core.host))
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if starting.done():
        starting.result()  # a configuration error stops the bot here
        return True
    starting.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await starting
    with contextlib.suppress(Exception):
        await adapter.stop()  # whatever the cancelled start left open
    return False


def _log_failure(task: asyncio.Task[object]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("catch-up failed", exc_info=task.exception())


def _on_signals(callback: object) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, callback)  # type: ignore[arg-type]
