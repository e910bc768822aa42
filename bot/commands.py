"""Commands: declared once next to their handler, dispatched from neutral objects.

A handler is a method of a handler class, marked with :func:`command`. The composition
root (:mod:`bot.core`) builds each handler class with the services it uses and
registers it here, so nothing registers itself by being imported. Telegram's command
list, Discord's slash commands, the console and ``/help`` all come from these
declarations.

The dispatcher is the one place that parses parameters, loads the chat's settings,
and turns user mistakes, outages and handler bugs into friendly replies: nothing
raises into a chat.
"""

from __future__ import annotations

import inspect
import logging
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.arxiv.source import ArxivError, ArxivUnavailable
from bot.i18n import t
from bot.listings import ListingPending
from bot.models import ChatRef
from bot.pace import MinuteLimiter, RateLimited
from bot.params import ParamParser, UsageError, short
from bot.ports import Command, CommandSpec, Handler, Param
from bot.quotas import QuotaExceeded, limit_message
from bot.replies import Error, Reply
from bot.services.chats import Chats, ChatView
from bot.store.db import StorageError
from bot.store.quotas import LimitReached
from bot.summarizer.service import BudgetExhausted
from bot.topics.registry import TopicError, UnknownCategoryError

log = logging.getLogger(__name__)

MAX_COMMAND_CHARS = 2000
_MARK = "__paperbot_command__"

__all__ = ["Command", "CommandSpec", "Context", "Dispatcher", "Param", "UsageError", "command"]


@dataclass(frozen=True)
class Context:
    """One command and its chat's settings, loaded once before the handler runs."""

    cmd: Command
    chat: ChatView

    @property
    def language(self) -> str:
        return self.chat.language


@dataclass(frozen=True)
class _Declared:
    name: str
    params: tuple[Param, ...]
    admin: bool
    slow: bool
    guild_only: bool


def command(name: str, *, params: tuple[Param, ...] = (), admin: bool = False, slow: bool = False,
            guild_only: bool = False) -> Callable[[Handler], Handler]:
    """Declare a handler method; its help is the ``cmd_<name>`` entry of :mod:`bot.i18n`."""

    def mark(fn: Handler) -> Handler:
        setattr(fn, _MARK, _Declared(name, params, admin, slow, guild_only))
        return fn

    return mark


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
    """Turns a neutral command into a reply; one person's flood of commands is refused before any work.

    ``pace`` counts every command a person sends on a chat platform, so a stranger in a
    public group cannot make the bot post (or open threads, or call models) without end.
    The console is the operator's own terminal and is not counted.
    """

    def __init__(self, chats: Chats, parser: ParamParser, pace: MinuteLimiter | None = None) -> None:
        self._chats = chats
        self._pace = pace or MinuteLimiter(0)
        self._parser = parser
        self._specs: dict[str, CommandSpec] = {}

    def register(self, *handlers: object) -> None:
        """Add every :func:`command` method of each handler object."""
        for handler in handlers:
            for _, method in inspect.getmembers(handler, inspect.ismethod):
                declared: _Declared | None = getattr(method, _MARK, None)
                if declared is None:
                    continue
                if declared.name in self._specs:
                    raise RuntimeError(f"command /{declared.name} declared twice")
                self._specs[declared.name] = CommandSpec(declared.name, f"cmd_{declared.name}", method,
                                                         declared.params, declared.admin, declared.slow,
                                                         declared.guild_only)

    def specs(self) -> list[CommandSpec]:
        return sorted(self._specs.values(), key=lambda s: s.name)

    def spec(self, name: str) -> CommandSpec | None:
        return self._specs.get(name)

    async def dispatch(self, cmd: Command) -> Reply:
        chat = await self._chats.view(cmd.chat)
        language = chat.language
        if cmd.chat.platform != "console":
            try:
                self._pace.take(cmd.user_key)
            except RateLimited as exc:
                return Error(t(language, "commands_too_fast", limit=exc.limit, seconds=round(exc.retry_in)))
        spec = self.spec(cmd.name)
        if spec is None:
            return Error(t(language, "unknown_command", name=short(cmd.name)))
        if len(cmd.text) > MAX_COMMAND_CHARS:
            return Error(t(language, "too_long", n=len(cmd.text), limit=MAX_COMMAND_CHARS))
        if spec.guild_only and cmd.chat.kind == "private":
            return Error(t(language, "group_only", name=spec.name))
        if spec.admin and not cmd.can_admin and cmd.chat.kind != "private":
            return Error(t(language, "admins_only", name=spec.name))
        started = time.perf_counter()
        try:
            values = await self._parser.bind(spec, cmd, language)
            reply = await spec.handler(Context(cmd, chat), **values)
        except UsageError as exc:
            return Error(f"{exc}\n{t(language, 'usage')}: {spec.usage}")
        except Exception as exc:  # noqa: BLE001 - every failure becomes a reply; bugs are logged
            return self._failure(spec, cmd, language, exc)
        log.info(
            "command handled",
            extra={"command": spec.name, "chat": cmd.chat.key, "ms": round((time.perf_counter() - started) * 1000)},
        )
        return reply

    def _failure(self, spec: CommandSpec, cmd: Command, language: str, exc: Exception) -> Reply:
        """What the user is told when a command could not do its work: one place for every kind."""
        if isinstance(exc, UnknownCategoryError):
            text = t(language, "topic_unknown_category", category=exc.category, suggestions=", ".join(exc.suggestions))
            return Error(f"{text}\n{t(language, 'usage')}: {spec.usage}")
        if isinstance(exc, TopicError):
            return Error(f"{t(language, exc.key, **exc.values)}\n{t(language, 'usage')}: {spec.usage}")
        if isinstance(exc, ArxivError):
            if isinstance(exc, ArxivUnavailable):
                return Error(t(language, "arxiv_unavailable"))
            return Error(t(language, "arxiv_error", reason=str(exc)))
        if isinstance(exc, ListingPending):
            return Error(t(language, "listing_pending", day=exc.listing.isoformat(), at=f"{exc.ready_at:%H:%M}"))
        if isinstance(exc, BudgetExhausted):
            return Error(t(language, "budget_used", at=exc.resets_at.strftime("%H:%M UTC")))
        if isinstance(exc, QuotaExceeded):
            return Error(exc.message)
        if isinstance(exc, LimitReached):
            return Error(limit_message(language, exc))
        if isinstance(exc, StorageError):  # rolled back: say what happened, not "something went wrong"
            log.warning("storage refused a write", extra={"command": spec.name, "kind": exc.kind, "error": str(exc)})
            return Error(t(language, "storage_full" if exc.kind == "full" else "storage_busy"))
        log.error("handler failed", extra={"command": spec.name, "chat": cmd.chat.key}, exc_info=exc)
        return Error(t(language, "internal_error"))

    async def dispatch_line(self, line: str, *, user_id: str, chat: ChatRef, can_admin: bool, **extra: Any) -> Reply:
        """Dispatch a typed line such as ``/digest llm``; for text-based adapters."""
        parsed = parse_line(line)
        if parsed is None:
            return Error(t((await self._chats.view(chat)).language, "not_a_command"))
        name, rest = parsed
        cmd = Command(name=name, args=tokenize(rest), text=rest, user_id=user_id, chat=chat, can_admin=can_admin,
                      **extra)
        return await self.dispatch(cmd)
