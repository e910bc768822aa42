"""Outbound Telegram: ordered, paced sends with Telegram's failure modes handled.

Command replies and scheduled digests both come through :meth:`TelegramSender.send`,
so they share the same ordering, pacing and failure handling:

* One lock per chat keeps the parts of two replies from interleaving.
* A private chat gets at most one message a second. ``FloodLimiter`` paces groups
  (20 a minute) and the global rate (30 a second), but not private chats.
* ``RetryAfter`` that escapes the limiter's own retries is waited out and retried.
* A group upgraded to a supergroup (``ChatMigrated``) is migrated in the store, and
  the message is sent again to the new id.
* A chat we can no longer reach raises :class:`ChatUnavailable`, so delivery pauses it.
* HTML that Telegram rejects is a bug on our side. The message still goes out, as
  plain text, and the rejection is logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol, TypeVar

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.adapters.telegram.render import Outgoing, button_rows, caption_for, plain_text, render_messages
from bot.models import ChatRef
from bot.ports import ChatUnavailable, OnSent
from bot.replies import Answer, Digest, Error, Reply, Summary, Text, flatten

log = logging.getLogger(__name__)

T = TypeVar("T")
Call = Callable[[int | str, int | None, str | None], Awaitable[T]]  # (chat id, thread id, parse mode)
Migrate = Callable[[str, str], Awaitable[None]]
Leaf = Text | Error | Digest | Summary | Answer
OnLeaf = Callable[[ChatRef, Leaf, list[str]], Awaitable[None]]  # (chat it went to, leaf, its message ids)


class Part(Protocol):
    """One message or album, ready to go to a chat; returns its ids and the chat it went to."""

    def __call__(self, chat: ChatRef, *, reply_to: int | None) -> Awaitable[tuple[list[str], ChatRef]]: ...


# BadRequest descriptions that mean "this chat is gone for us", not "this message is wrong".
# "not enough rights to send photos" only means no figures there, so the text markers are specific.
UNREACHABLE = ("chat not found", "peer_id_invalid", "not enough rights to send text",
               "have no rights to send a message",
               "not enough rights to send messages", "chat_write_forbidden", "need administrator rights",
               "bot is not a member", "user is deactivated")
EXTRA_RETRIES = 5  # RetryAfter still escaping FloodLimiter's own 5 retries
NETWORK_RETRIES = 2
ALBUM_MAX = 10


class TelegramSender:
    def __init__(self, bot: Callable[[], Bot], migrate: Migrate, private_interval: float = 1.0) -> None:
        self._bot = bot
        self._migrate = migrate
        self.private_interval = private_interval
        self._gates: dict[str, _Gate] = {}
        self._last_sent: dict[str, float] = {}

    async def send(self, chat: ChatRef, reply: Reply, *, skip: int = 0, on_sent: OnSent | None = None,
                   reply_to: int | None = None, on_leaf: OnLeaf | None = None) -> list[str]:
        """Send every part of a reply in order and return the message ids.

        Parts are numbered in rendering order (each text message, each album); a
        resumed delivery skips the first ``skip`` and hears about each one sent.
        ``on_leaf`` hears which messages each leaf became (replies to them continue it).
        """
        key = chat.chat_id
        gate = self._gates.setdefault(key, _Gate())
        gate.users += 1
        ids: list[str] = []
        index = 0
        try:
            async with gate.lock:
                for leaf in flatten(reply):
                    first = len(ids)
                    parts: list[Part] = [partial(self._send_text, out=out) for out in render_messages(leaf)]
                    if isinstance(leaf, Summary) and leaf.result.figures:
                        caption = caption_for(leaf)
                        figures = leaf.result.figures
                        parts += [partial(self._send_album, photos=figures[i : i + ALBUM_MAX],
                                          caption=caption if i == 0 else None)
                                  for i in range(0, len(figures), ALBUM_MAX)]
                    for part in parts:
                        if index >= skip:
                            message_ids, chat = await part(chat, reply_to=reply_to)
                            reply_to = None
                            ids += message_ids
                            if on_sent is not None:
                                await on_sent(index, message_ids[0])
                        index += 1
                    if on_leaf is not None and len(ids) > first:
                        await on_leaf(chat, leaf, ids[first:])
        finally:
            gate.users -= 1
            if gate.users == 0:
                del self._gates[key]
        return ids

    async def _send_text(self, chat: ChatRef, *, out: Outgoing, reply_to: int | None) -> tuple[list[str], ChatRef]:
        markup = None
        if out.buttons:
            rows = button_rows(out.buttons)
            markup = InlineKeyboardMarkup(
                [[InlineKeyboardButton(a.label, callback_data=a.command) for a in row] for row in rows]
            )
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None

        def call(chat_id: int | str, thread: int | None, parse_mode: str | None) -> Awaitable[Any]:
            text = out.html if parse_mode else plain_text(out.html)
            return self._bot().send_message(
                chat_id, text, parse_mode=parse_mode, message_thread_id=thread, reply_markup=markup,
                reply_parameters=reply, link_preview_options=LinkPreviewOptions(is_disabled=True),
            )

        message, chat = await self._request(chat, call, ParseMode.HTML)
        return [str(message.message_id)], chat

    async def _send_album(self, chat: ChatRef, *, photos: list[bytes], caption: str | None,
                          reply_to: int | None) -> tuple[list[str], ChatRef]:
        """Up to 10 figures as one album, the title as the caption; a lone photo cannot be an album."""

        def call(chat_id: int | str, thread: int | None, parse_mode: str | None) -> Awaitable[Any]:
            text = caption if parse_mode or caption is None else plain_text(caption)
            if len(photos) == 1:
                return self._bot().send_photo(chat_id, photos[0], caption=text, parse_mode=parse_mode,
                                              message_thread_id=thread)
            media = [InputMediaPhoto(data, caption=text if i == 0 else None, parse_mode=parse_mode)
                     for i, data in enumerate(photos)]
            return self._bot().send_media_group(chat_id, media, message_thread_id=thread)

        try:
            result, chat = await self._request(chat, call, ParseMode.HTML)
        except BadRequest as exc:
            if "photo" not in exc.message.lower() and "media" not in exc.message.lower():
                raise
            # The chat allows text but not photos: the summary already arrived, figures are optional.
            log.warning("telegram refused the figures; skipped", extra={"chat": chat.key, "error": exc.message})
            return ["figures-skipped"], chat
        messages = result if isinstance(result, tuple | list) else [result]
        return [str(m.message_id) for m in messages], chat

    async def _request(self, chat: ChatRef, call: Call[T], parse_mode: str | None) -> tuple[T, ChatRef]:
        """One API call; returns its result and the chat it finally went to (it may have migrated)."""
        retries = network = 0
        while True:
            await self._space(chat)
            thread = int(chat.thread_id) if chat.thread_id else None
            try:
                result = await call(api_chat_id(chat.chat_id), thread, parse_mode)
                self._last_sent[chat.chat_id] = time.monotonic()
                return result, chat
            except RetryAfter as exc:
                retries += 1
                if retries > EXTRA_RETRIES:
                    raise
                log.warning("telegram flood control outlasted the rate limiter; waiting",
                            extra={"chat": chat.key, "seconds": retry_seconds(exc)})
                await asyncio.sleep(retry_seconds(exc) + 0.1)
            except ChatMigrated as exc:
                new_id = str(exc.new_chat_id)
                log.info("telegram group migrated", extra={"chat": chat.key, "new_chat_id": new_id})
                await self._migrate(chat.chat_id, new_id)
                chat = ChatRef(chat.platform, new_id, "group", chat.thread_id)
            except Forbidden as exc:
                raise ChatUnavailable(exc.message) from None
            except BadRequest as exc:  # a NetworkError subclass in PTB, so it must come first
                text = exc.message.lower()
                if "can't parse entities" in text and parse_mode:
                    log.error("telegram rejected our HTML; sending plain text", extra={"error": exc.message})
                    parse_mode = None
                elif "thread not found" in text and chat.thread_id:
                    chat = ChatRef(chat.platform, chat.chat_id, chat.kind, None)  # the topic was deleted
                elif any(marker in text for marker in UNREACHABLE):
                    raise ChatUnavailable(exc.message) from None
                else:
                    raise
            except TimedOut:
                # Telegram may have posted it and only answered late: resending could post it twice.
                raise
            except NetworkError:
                network += 1
                if network > NETWORK_RETRIES:
                    raise
                await asyncio.sleep(0.5 * network)

    async def _space(self, chat: ChatRef) -> None:
        """Telegram asks for at most one message per second in a private chat."""
        if self.private_interval <= 0 or chat.kind != "private":
            return
        last = self._last_sent.get(chat.chat_id)
        if last is not None:
            wait = last + self.private_interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        if len(self._last_sent) > 10_000:  # forget chats that are long quiet
            horizon = time.monotonic() - self.private_interval
            self._last_sent = {k: v for k, v in self._last_sent.items() if v > horizon}


class _Gate:
    """A per-chat lock that is dropped when nobody holds or waits for it: fan-outs touch many chats."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


def api_chat_id(chat_id: str) -> int | str:
    """Numeric ids go out as numbers (the rate limiter tells groups by their sign); ``@name`` stays."""
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def retry_seconds(exc: RetryAfter) -> float:
    # The public ``retry_after`` warns about its future type in 22.x; AIORateLimiter reads this one too.
    return float(exc._retry_after.total_seconds())  # noqa: SLF001
