"""Typed command parameters: each declared :class:`~bot.ports.Param` is parsed and checked once, here.

Handlers receive values (a ``time``, a zone name, a :class:`Topic`, a ``date``) and never
re-parse text. Text platforms give a line, which is bound to the declared parameters
in order; an optional parameter whose type does not fit the next word is skipped, so
``/subscribe llm Asia/Shanghai`` needs no time. Platforms with typed options (Discord)
give values by name. Every error is a :class:`UsageError` in the chat's language.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n import t
from bot.models import ChatRef, Topic
from bot.ports import Command, CommandSpec, Param

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_SWITCH = {"on": True, "yes": True, "true": True, "1": True, "开": True,
           "off": False, "no": False, "false": False, "0": False, "关": False}
FIRST_LISTING = date(1991, 8, 1)

TopicLookup = Callable[[str, ChatRef], Awaitable[Topic | None]]
TopicNames = Callable[[ChatRef], Awaitable[list[str]]]


class UsageError(Exception):
    """Bad arguments; becomes a friendly reply with the usage line. ``str(exc)`` is already translated."""


def short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_time(text: str, language: str) -> time:
    match = _TIME.match(text)
    if not match:
        raise UsageError(t(language, "bad_time", value=short(text)))
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise UsageError(t(language, "bad_time_range", value=short(text)))
    return time(hour, minute)


def parse_zone(text: str, language: str) -> str:
    if len(text) > 64 or not re.fullmatch(r"[A-Za-z0-9_+\-/]+", text):
        raise UsageError(t(language, "bad_zone", value=short(text)))
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(t(language, "unknown_zone", value=short(text))) from None
    return text


def parse_switch(text: str, language: str) -> bool:
    value = _SWITCH.get(text.lower())
    if value is None:
        raise UsageError(t(language, "bad_switch", value=short(text)))
    return value


def parse_date(text: str, language: str) -> date:
    try:
        value = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        value = None
    if value is None:
        raise UsageError(t(language, "bad_date", value=short(text)))
    if value < FIRST_LISTING:
        raise UsageError(t(language, "no_listing_that_day"))
    return value


class ParamParser:
    """Binds a command's text or options to its declared parameters, as typed values."""

    def __init__(self, topic: TopicLookup, topic_names: TopicNames) -> None:
        self._topic = topic
        self._topic_names = topic_names

    async def bind(self, spec: CommandSpec, cmd: Command, language: str) -> dict[str, Any]:
        if cmd.options is not None:
            return await self._bind_options(spec, cmd, language)
        words = list(cmd.args)
        values: dict[str, Any] = {}
        used = 0
        for index, param in enumerate(spec.params):
            if param.rest:
                parts = cmd.text.split(None, used)
                text = parts[used].strip() if len(parts) > used else ""
                if param.required and not text:
                    raise UsageError(t(language, "missing_param", name=param.name))
                values[param.name] = text or None
                used = len(words)
                break
            if used >= len(words):
                if param.required:
                    raise UsageError(t(language, "missing_param", name=param.name))
                values[param.name] = None
                continue
            try:
                values[param.name] = await self.parse(param, words[used], cmd.chat, language)
                used += 1
            except UsageError:
                later = spec.params[index + 1:]
                if param.required or not later:
                    raise
                values[param.name] = None  # an optional parameter of another type: let the next ones try
        if used < len(words):
            # A word nothing took: say why the first optional parameter refused it, if one did.
            for param in spec.params:
                if not param.rest and values.get(param.name) is None:
                    await self.parse(param, words[used], cmd.chat, language)
            raise UsageError(t(language, "too_many_args"))
        return values

    async def _bind_options(self, spec: CommandSpec, cmd: Command, language: str) -> dict[str, Any]:
        options = cmd.options or {}
        values: dict[str, Any] = {}
        for param in spec.params:
            raw = (options.get(param.name) or "").strip()
            if not raw:
                if param.required:
                    raise UsageError(t(language, "missing_param", name=param.name))
                values[param.name] = None
            else:
                values[param.name] = raw if param.rest else await self.parse(param, raw, cmd.chat, language)
        return values

    async def parse(self, param: Param, text: str, chat: ChatRef, language: str) -> Any:
        kind = param.kind
        if kind == "time":
            return parse_time(text, language)
        if kind == "zone":
            return parse_zone(text, language)
        if kind == "switch":
            return parse_switch(text, language)
        if kind == "date":
            return parse_date(text, language)
        if kind == "int":
            if not re.fullmatch(r"[0-9]{1,4}", text):
                raise UsageError(t(language, "bad_number", value=short(text)))
            return int(text)
        if kind == "choice":
            value = text.lower()
            if value not in param.choices:
                raise UsageError(t(language, "bad_choice", value=short(text), choices=", ".join(param.choices)))
            return value
        if kind == "topic":
            if text.lower() in param.choices:
                return text.lower()
            topic = await self._topic(text, chat)
            if topic is None:
                names = ", ".join(await self._topic_names(chat))
                raise UsageError(t(language, "unknown_topic", name=short(text), names=short(names, 600)))
            return topic
        return text
