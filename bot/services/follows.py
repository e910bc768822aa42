"""Followed authors: per chat, and per person in a direct message.

A followed author's new paper is always in the audience's digest and pinned to the top
(:func:`bot.topics.relevance.rank`). In a direct message the name is followed both by that
chat (its subscriptions' digests) and by the person (their ``/mydigest``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import ChatRef
from bot.store.feedback import FeedbackStore
from bot.store.papers import PaperStore
from bot.topics.authors import variants
from bot.topics.profiles import chat_audience, user_audience
from bot.topics.relevance import author_key

MAX_FOLLOWED = 50


class TooManyFollowed(Exception):
    pass


@dataclass(frozen=True)
class Followed:
    added: bool  # False: already followed
    offers: tuple[str, ...]  # fuller names arXiv printed that may be the same person, not merged


def follow_audiences(chat: ChatRef, user_id: str) -> list[str]:
    audiences = [chat_audience(chat.platform, chat.chat_id)]
    if chat.kind == "private":
        audiences.append(user_audience(chat.platform, user_id))
    return audiences


class Follows:
    def __init__(self, store: FeedbackStore, papers: PaperStore) -> None:
        self._store = store
        self._papers = papers

    async def add(self, chat: ChatRef, user_id: str, name: str) -> Followed:
        audiences = follow_audiences(chat, user_id)
        current = await self._store.followed(audiences[0])
        if len(current) >= MAX_FOLLOWED and author_key(name) not in {author_key(n) for n in current}:
            raise TooManyFollowed
        added = False
        for audience in audiences:
            added = await self._store.follow(audience, name, author_key(name), f"{chat.platform}:{user_id}") or added
        followed_keys = {author_key(n) for n in current}
        offers = [n for n in variants(name, await self._papers.author_names()) if author_key(n) not in followed_keys]
        return Followed(added, tuple(offers))

    async def remove(self, chat: ChatRef, user_id: str, name: str) -> bool:
        removed = False
        for audience in follow_audiences(chat, user_id):
            removed = await self._store.unfollow(audience, author_key(name)) or removed
        return removed

    async def names(self, chat: ChatRef) -> list[str]:
        return await self._store.followed(chat_audience(chat.platform, chat.chat_id))
