"""Commands: declared once next to their handler, dispatched from neutral objects.

Telegram's command list, Discord's slash commands, the console and ``/help`` are all
generated from the :data:`REGISTRY` filled by the :func:`command` decorator, so a
command is never listed twice. The dispatcher is the one place that turns user
mistakes and handler bugs into friendly replies: nothing raises into a chat.
"""

from __future__ import annotations

import logging
import shlex
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from bot.i18n import t
from bot.models import ChatRef
from bot.replies import Error, Reply
from bot.store.db import StorageError

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

MAX_COMMAND_CHARS = 2000


class Progress(Protocol):
    """Optional progress reporting for long work (the console shows a bar)."""

    def start(self, total: int, label: str) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def done(self) -> None: ...


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...]
    text: str  # the raw argument text after the command name
    user_id: str
    chat: ChatRef
    can_admin: bool  # may this user change this chat's subscriptions and settings?
    user_name: str | None = None
    dm_chat_id: str | None = None  # where a personal digest goes; the adapter knows
    progress: Progress | None = field(default=None, compare=False)

    @property
    def user_key(self) -> str:
        return f"{self.chat.platform}:{self.user_id}"


@dataclass(frozen=True)
class Param:
    name: str
    help: str
    required: bool = False
    rest: bool = False  # takes the rest of the text, spaces included
    autocomplete: Literal["topic"] | None = None
    choices: tuple[str, ...] = ()


Handler = Callable[["Core", Command], Awaitable[Reply]]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    help_en: str
    help_zh: str
    handler: Handler
    params: tuple[Param, ...] = ()
    admin: bool = False  # needs can_admin in groups and channels
    slow: bool = False  # may take seconds: adapters show "thinking" first
    guild_only: bool = False  # only meaningful in a group/server chat

    @property
    def usage(self) -> str:
        parts = [f"/{self.name}"]
        for p in self.params:
            label = "|".join(p.choices) if p.choices else p.name
            label = f"{label}..." if p.rest else label
            parts.append(f"<{label}>" if p.required else f"[{label}]")
        return " ".join(parts)

    def help(self, language: str) -> str:
        return self.help_zh if language == "zh" else self.help_en


REGISTRY: dict[str, CommandSpec] = {}


def command(
    name: str, *, help_en: str, help_zh: str, params: tuple[Param, ...] = (), admin: bool = False,
    slow: bool = False, guild_only: bool = False,
) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if name in REGISTRY:
            raise RuntimeError(f"command /{name} declared twice")
        REGISTRY[name] = CommandSpec(name, help_en, help_zh, fn, params, admin, slow, guild_only)
        return fn

    return register


class UsageError(Exception):
    """Raised by handlers for bad arguments; becomes a friendly reply with the usage line."""


def tokenize(text: str) -> tuple[str, ...]:
    """Split arguments like a shell, but never fail on an unbalanced quote."""
    try:
        return tuple(shlex.split(text))
    except ValueError:
        return tuple(text.split())


def parse_line(line: str) -> tuple[str, str] | None:
    """``"/subscribe@paperbot llm 08:00"`` -> ``("subscribe", "llm 08:00")``; None if not a command."""
    line = line.strip()
    if not line.startswith("/"):
        return None
    head, _, rest = line[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    if not name:
        return None
    return name, rest.strip()


class Dispatcher:
    def __init__(self, core: Core) -> None:
        self.core = core

    def specs(self) -> list[CommandSpec]:
        _load_handlers()
        return sorted(REGISTRY.values(), key=lambda s: s.name)

    def spec(self, name: str) -> CommandSpec | None:
        _load_handlers()
        return REGISTRY.get(name)

    async def dispatch(self, cmd: Command) -> Reply:
        language = await self.core.language_for(cmd.chat)
        spec = self.spec(cmd.name)
        if spec is None:
            return Error(t(language, "unknown_command", name=_short(cmd.name)))
        if len(cmd.text) > MAX_COMMAND_CHARS:
            return Error(t(language, "too_long", n=len(cmd.text), limit=MAX_COMMAND_CHARS))
        if spec.guild_only and cmd.chat.kind == "private":
            return Error(t(language, "group_only", name=spec.name))
        if spec.admin and not cmd.can_admin and cmd.chat.kind != "private":
            return Error(t(language, "admins_only", name=spec.name))
        started = time.perf_counter()
        try:
            reply = await spec.handler(self.core, cmd)
        except UsageError as exc:
            return Error(f"{exc}\n{t(language, 'usage')}: {spec.usage}")
        except StorageError as exc:  # rolled back: say what happened, not "something went wrong"
            log.warning("storage refused a write", extra={"command": spec.name, "kind": exc.kind, "error": str(exc)})
            return Error(t(language, "storage_full" if exc.kind == "full" else "storage_busy"))
        except Exception:
            log.exception("handler failed", extra={"command": spec.name, "chat": cmd.chat.key})
            return Error(t(language, "internal_error"))
        log.info(
            "command handled",
            extra={"command": spec.name, "chat": cmd.chat.key, "ms": round((time.perf_counter() - started) * 1000)},
        )
        return reply

    async def dispatch_line(self, line: str, *, user_id: str, chat: ChatRef, can_admin: bool, **extra: object) -> Reply:
        """Dispatch a typed line such as ``/digest llm``; for text-based adapters."""
        parsed = parse_line(line)
        if parsed is None:
            language = await self.core.language_for(chat)
            return Error(t(language, "not_a_command"))
        name, rest = parsed
        cmd = Command(name=name, args=tokenize(rest), text=rest, user_id=user_id, chat=chat, can_admin=can_admin,
                      **extra)  # type: ignore[arg-type]
        return await self.dispatch(cmd)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_loaded = False


def _load_handlers() -> None:
    """Import ``handlers`` once so their ``@command`` declarations fill the registry."""
    global _loaded
    if not _loaded:
        import handlers  # noqa: F401

        _loaded = True
