"""Run an aiohttp fake on 127.0.0.1, either in the test's loop or in its own thread.

End-to-end tests start ``paperbot run`` as a subprocess, so the fakes it talks to
must keep serving while the test blocks; :class:`ThreadedFake` gives each fake its
own loop in a daemon thread. In-process async tests can ``await fake.start()``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Self, TypeVar

from aiohttp import web

T = TypeVar("T")


class FakeServer:
    """Base class: subclasses build ``self.app`` routes in ``setup_routes``."""

    def __init__(self) -> None:
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.setup_routes(self.app)
        self._runner: web.AppRunner | None = None
        self.port: int = 0

    def setup_routes(self, app: web.Application) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)  # 0 unless a test chose a port
        await site.start()
        server = site._server  # noqa: SLF001 - aiohttp exposes no public accessor for the bound port
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class ThreadedFake:
    """Serve a :class:`FakeServer` from a background thread with its own event loop."""

    def __init__(self, fake: FakeServer) -> None:
        self.fake = fake
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        self.call(self.fake.start())
        return self.fake

    def __exit__(self, *exc: object) -> None:
        self.call(self.fake.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()

    def call(self, coro: Awaitable[T], timeout: float = 30) -> T:
        """Run a coroutine on the fake's loop (e.g. to inject an update) and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)  # type: ignore[arg-type]

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self.loop.call_soon_threadsafe(fn, *args)
