"""The contracts every layer may import: neutral commands, progress, and what an adapter is.

Adapters turn platform events into a :class:`Command` and hand it to their
:class:`Host`; handlers return :mod:`bot.replies`; adapters render those and report
platform facts (a chat is gone, migrated, back) as events. Nothing here knows a
platform, a service or a table, so any module may depend on it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from bot.models import ChatRef
from bot.replies import Reply

ParamKind = Literal["word", "topic", "time", "zone", "switch", "choice", "date", "int", "rest"]


class Progress(Protocol):
    """Optional progress reporting for long work (the console shows a bar)."""

    def start(self, total: int, label: str) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def done(self) -> None: ...


@dataclass(frozen=True)
class Command:
    """One command as a platform delivered it, before its parameters are parsed.

    ``options`` carries values a platform already split by parameter name (Discord's
    slash-command options); text platforms leave it empty and the dispatcher splits
    ``text`` itself.
    """

    name: str
    args: tuple[str, ...]
    text: str  # the raw argument text after the command name
    user_id: str
    chat: ChatRef
    can_admin: bool  # may this user change this chat's subscriptions and settings?
    user_name: str | None = None
    dm_chat_id: str | None = None  # where a personal digest goes; the adapter knows
    progress: Progress | None = field(default=None, compare=False)
    options: dict[str, str] | None = field(default=None, compare=False)
    thread: str | None = None  # a follow-up inside a conversation about one paper (see ThreadRef)

    @property
    def user_key(self) -> str:
        return f"{self.chat.platform}:{self.user_id}"


@dataclass(frozen=True)
class Param:
    """One declared parameter; its ``kind`` says how the dispatcher parses and checks it."""

    name: str
    help: str  # bot.i18n key
    kind: ParamKind = "word"
    required: bool = False
    choices: tuple[str, ...] = ()  # kind "choice": the values; kind "topic": words meant besides topic names
    autocomplete: Literal["topic"] | None = None  # platforms suggest topic names (implied for kind "topic")

    @property
    def rest(self) -> bool:
        return self.kind == "rest"

    @property
    def suggests_topics(self) -> bool:
        return self.kind == "topic" or self.autocomplete == "topic"

    @property
    def label(self) -> str:
        if self.kind == "choice":
            return "|".join(self.choices)
        if self.kind == "switch":
            return "on|off"
        if self.kind == "topic" and self.choices:
            return "|".join((self.name, *self.choices))
        return self.name


Handler = Callable[..., Awaitable[Reply]]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    help_key: str  # bot.i18n key of the one-line help
    handler: Handler
    params: tuple[Param, ...] = ()
    admin: bool = False  # needs can_admin in groups and channels
    slow: bool = False  # may take seconds: adapters show "thinking" first
    guild_only: bool = False  # only meaningful in a group/server chat

    @property
    def usage(self) -> str:
        parts = [f"/{self.name}"]
        for p in self.params:
            label = f"{p.label}..." if p.rest else p.label
            parts.append(f"<{label}>" if p.required else f"[{label}]")
        return " ".join(parts)


class ChatUnavailable(Exception):
    """The chat can no longer be reached (blocked, kicked, deleted, no permission).

    Delivery pauses the chat's subscriptions with ``reason`` instead of retrying forever.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


OnSent = Callable[[int, str], Awaitable[None]]


@dataclass(frozen=True)
class Tapped:
    """What a 👍/👎 button tap did: the chat's counts to show on the buttons, or why nothing changed."""

    up: int = 0
    down: int = 0
    refusal: str | None = None  # short text for the tapper alone (rate limit, unknown paper); None: recorded


VOTE_PREFIX = "v:"  # a vote button's data: "v:+:2407.03204" or "v:-:2407.03204"


def vote_data(paper_id: str, value: int) -> str:
    return f"{VOTE_PREFIX}{'+' if value else '-'}:{paper_id}"


def parse_vote_data(data: str) -> tuple[str, int] | None:
    """(paper id, 1 for 👍 / 0 for 👎) from a vote button's data, or None when it is not one."""
    if not data.startswith(VOTE_PREFIX) or data[2:4] not in ("+:", "-:") or len(data) <= 4:
        return None
    return data[4:], int(data[2] == "+")


@dataclass(frozen=True)
class Saved:
    """What a 🔖 tap did: whether the paper is on the chat's reading list now, and a note for the tapper alone."""

    saved: bool = False
    note: str | None = None  # short text for the tapper alone (already saved, rate limit, unknown paper)


SAVE_PREFIX = "s:"  # a 🔖 button's data: "s:2407.03204"


def save_data(paper_id: str) -> str:
    return f"{SAVE_PREFIX}{paper_id}"


def parse_save_data(data: str) -> str | None:
    """The paper id from a 🔖 button's data, or None when it is not one."""
    return data[2:] if data.startswith(SAVE_PREFIX) and len(data) > 2 else None


@dataclass(frozen=True)
class ThreadRef:
    """Which paper a platform thread or reply chain is about, and which conversation it continues.

    A summary or an answer carries a ``thread`` key; the adapter binds the messages it
    sent for it (Telegram message ids, a Discord thread's channel id) to that key, so a
    reply to them, or a message inside the thread, is dispatched as ``/ask`` about the
    same paper with ``Command.thread`` set, and the model sees the last few turns.
    """

    paper_id: str
    thread: str


class Host(Protocol):
    """What an adapter may use of the core, and nothing more."""

    def specs(self) -> list[CommandSpec]: ...
    def spec(self, name: str) -> CommandSpec | None: ...
    async def dispatch(self, cmd: Command) -> Reply: ...
    async def dispatch_line(self, line: str, *, user_id: str, chat: ChatRef, can_admin: bool,
                            **extra: Any) -> Reply: ...
    async def language(self, chat: ChatRef) -> str: ...
    async def topic_names(self, chat: ChatRef) -> list[str]: ...
    async def chat_gone(self, chat: ChatRef, reason: str) -> int:
        """The bot lost access: pause the chat's digests, tell whoever subscribed; how many were running."""
    async def chat_back(self, chat: ChatRef, title: str | None = None) -> int: ...
    async def chat_migrated(self, chat: ChatRef, new_chat_id: str) -> None: ...
    async def tap_vote(self, chat: ChatRef, user_id: str, paper_id: str, value: int) -> Tapped:
        """A member tapped 👍 (1) or 👎 (0) under a digest paper; never raises."""
    async def tap_save(self, chat: ChatRef, user_id: str, user_name: str | None, paper_id: str) -> Saved:
        """A member tapped 🔖 under a digest paper: put it on the chat's reading list; never raises."""
    async def bind_thread(self, chat: ChatRef, key: str, ref: ThreadRef) -> None:
        """Remember that platform message or thread ``key`` in ``chat`` continues ``ref``."""
    async def find_thread(self, chat: ChatRef, key: str) -> ThreadRef | None:
        """The conversation a platform message or thread belongs to, if the bot started one there."""
    async def get_meta(self, key: str) -> str | None: ...
    async def set_meta(self, key: str, value: str) -> None: ...


class Adapter(Protocol):
    name: str

    async def start(self, host: Host) -> None:
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
