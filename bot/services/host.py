"""What an adapter may use of the core (:class:`bot.ports.Host`), assembled from the services."""

from __future__ import annotations

import logging
from typing import Any

from bot.arxiv.ids import ArxivIdError, parse_arxiv_ref
from bot.commands import Dispatcher
from bot.i18n import t
from bot.models import ChatRef
from bot.pace import RateLimited
from bot.ports import Command, CommandSpec, Saved, Tapped, ThreadRef
from bot.quotas import limit_message
from bot.replies import Reply
from bot.services.chats import ChatLifecycle, Chats
from bot.services.feedback import Feedback, UnknownPapers
from bot.services.reading import ReadingList
from bot.store.db import Database, get_meta, set_meta
from bot.store.quotas import LimitReached
from bot.store.threads import ThreadLinkStore
from bot.topics.registry import TopicRegistry

log = logging.getLogger(__name__)


class AdapterHost:
    def __init__(self, dispatcher: Dispatcher, chats: Chats, lifecycle: ChatLifecycle, topics: TopicRegistry,
                 db: Database, feedback: Feedback, thread_links: ThreadLinkStore, reading: ReadingList) -> None:
        self._dispatcher = dispatcher
        self._chats = chats
        self._lifecycle = lifecycle
        self._topics = topics
        self._db = db
        self._feedback = feedback
        self._thread_links = thread_links
        self._reading = reading

    def specs(self) -> list[CommandSpec]:
        return self._dispatcher.specs()

    def spec(self, name: str) -> CommandSpec | None:
        return self._dispatcher.spec(name)

    async def dispatch(self, cmd: Command) -> Reply:
        return await self._dispatcher.dispatch(cmd)

    async def dispatch_line(self, line: str, *, user_id: str, chat: ChatRef, can_admin: bool, **extra: Any) -> Reply:
        return await self._dispatcher.dispatch_line(line, user_id=user_id, chat=chat, can_admin=can_admin, **extra)

    async def language(self, chat: ChatRef) -> str:
        return await self._chats.language(chat)

    async def topic_names(self, chat: ChatRef) -> list[str]:
        return await self._topics.names(chat.key)

    async def chat_gone(self, chat: ChatRef, reason: str) -> int:
        return await self._lifecycle.gone(chat, reason)

    async def chat_back(self, chat: ChatRef, title: str | None = None) -> int:
        return await self._lifecycle.back(chat, title)

    async def chat_migrated(self, chat: ChatRef, new_chat_id: str) -> None:
        await self._lifecycle.migrated(chat, new_chat_id)

    async def tap_vote(self, chat: ChatRef, user_id: str, paper_id: str, value: int) -> Tapped:
        language = await self._chats.language(chat)
        try:
            up, down = await self._feedback.tap(chat, user_id, parse_arxiv_ref(paper_id), value)
        except RateLimited as exc:
            return Tapped(refusal=t(language, "feedback_rate_limited", limit=exc.limit))
        except (UnknownPapers, ArxivIdError):
            return Tapped(refusal=t(language, "tap_unknown_paper"))
        except Exception:  # a store or network failure: the tapper gets a reason, the adapter never a traceback
            log.warning("vote tap failed", extra={"chat": chat.key}, exc_info=True)
            return Tapped(refusal=t(language, "tap_failed"))
        return Tapped(up, down)

    async def tap_save(self, chat: ChatRef, user_id: str, user_name: str | None, paper_id: str) -> Saved:
        language = await self._chats.language(chat)
        try:
            _, outcome = await self._reading.save(chat, user_id, user_name, parse_arxiv_ref(paper_id))
        except RateLimited as exc:
            return Saved(await self._reading.has(chat, paper_id), t(language, "save_rate_limited",
                                                                     limit=exc.limit))
        except (UnknownPapers, ArxivIdError):
            return Saved(note=t(language, "tap_unknown_paper"))
        except LimitReached as exc:
            return Saved(note=limit_message(language, exc))
        except Exception:  # arXiv or the store failed: a reason for the tapper, never a traceback
            log.warning("save tap failed", extra={"chat": chat.key}, exc_info=True)
            return Saved(note=t(language, "tap_failed"))
        return Saved(True, t(language, "reading_tap_already") if outcome == "already" else None)

    async def bind_thread(self, chat: ChatRef, key: str, ref: ThreadRef) -> None:
        await self._thread_links.bind(chat.key, key, ref.paper_id, ref.thread)

    async def find_thread(self, chat: ChatRef, key: str) -> ThreadRef | None:
        found = await self._thread_links.find(chat.key, key)
        return ThreadRef(*found) if found else None

    async def get_meta(self, key: str) -> str | None:
        return await get_meta(self._db, key)

    async def set_meta(self, key: str, value: str) -> None:
        await set_meta(self._db, key, value)
