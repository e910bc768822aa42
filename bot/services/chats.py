"""A chat's settings as commands see them, and what happens when a platform says a chat is gone or back."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import Settings
from bot.i18n import t
from bot.models import ChatRef
from bot.ports import Adapter, ChatUnavailable
from bot.replies import Text
from bot.store.chats import ChatStore, Subscription, SubscriptionStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatView:
    """A chat's effective settings: its own, or the bot's defaults."""

    chat: ChatRef
    language: str
    timezone: str
    max_papers: int
    figures: bool
    title: str | None
    paused_reason: str | None
    also_relevant: bool = False


class Chats:
    def __init__(self, chats: ChatStore, settings: Settings) -> None:
        self._chats = chats
        self._settings = settings

    async def view(self, chat: ChatRef) -> ChatView:
        own = await self._chats.settings(chat)
        return ChatView(chat, own.language or self._settings.language, own.timezone or self._settings.timezone,
                        own.max_papers or self._settings.digest_max_papers, own.figures, own.title,
                        own.paused_reason, own.also_relevant)

    async def language(self, chat: ChatRef) -> str:
        return (await self.view(chat)).language

    async def update(self, chat: ChatRef, **values: object) -> None:
        await self._chats.update(chat, **values)

    async def ensure(self, chat: ChatRef, title: str | None = None) -> None:
        await self._chats.ensure(chat, title)


class ChatLifecycle:
    """Platform facts about a chat, and what they mean for its digests.

    Adapters only report: the bot was removed or blocked, let back in, or the group
    moved to a new id. Pausing, resuming, moving rows and telling the subscribers
    happen here.
    """

    def __init__(self, chats: ChatStore, subscriptions: SubscriptionStore, views: Chats,
                 adapters: Mapping[str, Adapter]) -> None:
        self._chats = chats
        self._subscriptions = subscriptions
        self._views = views
        self._adapters = adapters

    async def gone(self, chat: ChatRef, reason: str) -> int:
        """Pause a chat we lost access to, and tell each person who subscribed it, by DM, once.

        ``/subscriptions`` shows the pause, but only to someone who asks in that chat, which
        may be impossible now. Only subscriptions that were running are reported, so a
        second failure (or a second "kicked" update) sends nothing.
        """
        running = [s for s in await self._subscriptions.for_chat(chat) if s.paused_reason is None]
        paused = await self._chats.pause(chat.platform, chat.chat_id, reason)
        if paused:
            await self._tell_subscribers(chat, running, reason)
        return paused

    async def back(self, chat: ChatRef, title: str | None = None) -> int:
        await self._chats.ensure(chat, title)
        return await self._chats.resume(chat.platform, chat.chat_id)

    async def migrated(self, chat: ChatRef, new_chat_id: str) -> None:
        await self._chats.migrate(chat.platform, chat.chat_id, new_chat_id)

    async def _tell_subscribers(self, chat: ChatRef, subs: list[Subscription], reason: str) -> None:
        adapter = self._adapters.get(chat.platform)
        dm_chat = getattr(adapter, "dm_chat", None)  # adapters that can write to a person directly
        if adapter is None or dm_chat is None:
            return
        topics: dict[str, list[str]] = {}
        for sub in subs:
            platform, _, user_id = (sub.created_by or "").partition(":")
            if platform == chat.platform and user_id and user_id != chat.chat_id:
                topics.setdefault(user_id, []).append(sub.topic)
        if not topics:
            return
        view = await self._views.view(chat)
        for user_id, names in topics.items():
            target = dm_chat(user_id)
            if target is None:
                continue
            text = t(view.language, "subscription_paused_dm", chat=view.title or chat.chat_id, reason=reason,
                     topics=", ".join(names))
            try:
                await adapter.send(target, Text(text))
            except ChatUnavailable:  # they never opened a chat with the bot: nothing more to do
                log.info("could not tell the subscriber about a pause", extra={"chat": chat.key, "user": user_id})
            except Exception:
                log.warning("could not tell the subscriber about a pause", extra={"chat": chat.key}, exc_info=True)
