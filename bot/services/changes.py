"""Who must hear that a chat's or a person's schedule changed: the scheduler, once it exists."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.models import ChatRef

Listener = Callable[[ChatRef | None, tuple[str, str] | None], Awaitable[None]]


class ScheduleChanges:
    """A tiny event bus between the services that change schedules and the scheduler that runs them.

    Services must not depend on the scheduler (it depends on them, through delivery);
    they announce a change here and the scheduler, listening since it was built,
    applies it.
    """

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def changed(self, chat: ChatRef | None = None, user: tuple[str, str] | None = None) -> None:
        """A chat's subscriptions or a user's personal digest changed (both None: anything may have)."""
        for listener in self._listeners:
            await listener(chat, user)
