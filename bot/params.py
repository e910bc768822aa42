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
        """Required parameters take words in order; each further word goes to the first optional
        parameter, in any order, whose type accepts it; a ``rest`` parameter takes what is left."""
        if cmd.options is not None:
            return await self._bind_options(spec, cmd, language)
        words = list(cmd.args)
        values: dict[str, Any] = {p.name: None for p in spec.params}
        required = [p for p in spec.params if p.required and not p.rest]
        optional = [p for p in spec.params if not p.required and not p.rest]
        rest = next((p for p in spec.params if p.rest), None)
        used = 0
        while used < len(words):
            word = words[used]
            waiting = [p for p in required if values[p.name] is None]
            if waiting:
                values[waiting[0].name] = await self.parse(waiting[0], word, cmd.chat, language)
                used += 1
                continue
            refusal: UsageError | None = None
            bound = False
            for param in (p for p in optional if values[p.name] is None):
                if param.kind == "word" and refusal is not None:
                    break  # a free word waits its turn: "/settings bogus 1" is about "bogus"
                try:
                    values[param.name] = await self.parse(param, word, cmd.chat, language)
                except UsageError as exc:
                    refusal = refusal or exc  # the first parameter's objection is the telling one
                else:
                    bound = True
                    break
            if not bound:
                if rest is not None:
                    parts = cmd.text.split(None, used)
                    values[rest.name] = parts[used].strip() if len(parts) > used else None
                    break
                raise refusal or UsageError(t(language, "too_many_args"))
            used += 1
        for param in spec.params:
            if param.required and values[param.name] is None:
                raise UsageError(t(language, "missing_param", name=t(language, param.help)))
        return values

    async def _bind_options(self, spec: CommandSpec, cmd: Command, language: str) -> dict[str, Any]:
        options = cmd.options or {}
        values: dict[str, Any] = {}
        for param in spec.params:
            raw = (options.get(param.name) or "").strip()
            if not raw:
                if param.required:
                    raise UsageError(t(language, "missing_param", name=t(language, param.help)))
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
