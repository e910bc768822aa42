"""The contract between the core and each platform adapter.

An adapter translates platform events into :class:`bot.commands.Command` objects for
the dispatcher and renders :mod:`bot.replies` back. It declares its own limits; the
core never imports telegram or discord.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.models import ChatRef
from bot.replies import Reply

if TYPE_CHECKING:
    from bot.core import Core


@dataclass(frozen=True)
class PlatformLimits:
    max_text: int  # characters per message
    max_caption: int = 1024
    per_chat_per_minute: int | None = None
    global_per_second: float | None = None


class ChatUnavailable(Exception):
    """The chat can no longer be reached (blocked, kicked, deleted, no permission).

    Delivery pauses the chat's subscriptions with ``reason`` instead of retrying forever.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


OnSent = Callable[[int, str], Awaitable[None]]


class Adapter(Protocol):
    name: str
    limits: PlatformLimits

    async def start(self, core: Core) -> None:
        """Connect and begin dispatching inbound commands; returns once running."""

    async def stop(self) -> None: ...

    async def send(
        self, chat: ChatRef, reply: Reply, *, skip: int = 0, on_sent: OnSent | None = None
    ) -> list[str]:
        """Deliver one reply as one or more messages; returns the platform message ids.

        Rendering is deterministic, so a resumed delivery passes ``skip`` (messages
        already recorded as sent) and gets ``on_sent(index, message_id)`` after each
        message, which is how a restart neither re-posts nor skips. Raises ChatUnavailable.
        """
        ...
