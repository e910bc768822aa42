"""👍/👎 and followed authors: who may vote how often, and which audiences a vote trains.

A vote in a chat trains that chat's ranking (every member counts once per paper) and the
voter's own personal digest. Votes are rate-limited per person: at most
:data:`VOTES_PER_MINUTE` a minute, counted per paper, so a flood of taps or a
``/like`` with fifty ids cannot make the bot retrain without end.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.arxiv.ids import ArxivRef
from bot.models import ChatRef, Paper
from bot.pace import MinuteLimiter
from bot.services.catalog import PaperCatalog
from bot.store.feedback import FeedbackStore
from bot.topics.profiles import Profiles, chat_audience, user_audience

VOTES_PER_MINUTE = 30
MAX_IDS = 20


class UnknownPapers(Exception):
    def __init__(self, ids: list[str]) -> None:
        super().__init__(", ".join(ids))
        self.ids = ids


def audiences_of(chat: ChatRef, user_id: str) -> list[str]:
    """What a vote in ``chat`` trains: the chat, and the voter's own personal digest."""
    return list(dict.fromkeys([chat_audience(chat.platform, chat.chat_id), user_audience(chat.platform, user_id)]))


class Feedback:
    def __init__(self, store: FeedbackStore, catalog: PaperCatalog, profiles: Profiles,
                 limiter: MinuteLimiter | None = None) -> None:
        self._store = store
        self._catalog = catalog
        self.profiles = profiles
        self.limiter = limiter or MinuteLimiter(VOTES_PER_MINUTE)

    async def vote(self, chat: ChatRef, user_id: str, refs: Sequence[ArxivRef], value: int) -> list[Paper]:
        """Record ``value`` for every paper, or for none when one is unknown (:class:`UnknownPapers`)."""
        self.limiter.take(f"{chat.platform}:{user_id}", len(refs))
        papers: list[Paper] = []
        missing: list[str] = []
        for ref in dict.fromkeys(refs):
            paper = await self._catalog.get_or_fetch(ref)
            if paper is None:
                missing.append(ref.id)
            else:
                papers.append(paper)
        if missing:
            raise UnknownPapers(missing)
        audiences = audiences_of(chat, user_id)
        await self._store.vote(audiences, f"{chat.platform}:{user_id}", [p.id for p in papers], value)
        self.profiles.changed(audiences)
        return papers

    async def tap(self, chat: ChatRef, user_id: str, ref: ArxivRef, value: int) -> tuple[int, int]:
        """A 👍/👎 button: the chat's new (👍, 👎) counts for the paper.

        Each member has one vote per paper: tapping the other button switches it, tapping
        the same button again takes it back (so a slip of the finger can be undone).
        Raises :class:`RateLimited` or :class:`UnknownPapers` like :meth:`vote`.
        """
        if await self.current(chat, user_id, ref.id) == value:
            self.limiter.take(f"{chat.platform}:{user_id}")
            await self._store.unvote(audiences_of(chat, user_id), f"{chat.platform}:{user_id}", ref.id)
            self.profiles.changed(audiences_of(chat, user_id))
        else:
            await self.vote(chat, user_id, [ref], value)
        return await self._store.tally(chat_audience(chat.platform, chat.chat_id), ref.id)

    async def current(self, chat: ChatRef, user_id: str, paper_id: str) -> int | None:
        return await self._store.user_vote(chat_audience(chat.platform, chat.chat_id), paper_id,
                                           f"{chat.platform}:{user_id}")

    async def reset(self, chat: ChatRef) -> int:
        audience = chat_audience(chat.platform, chat.chat_id)
        forgotten = await self._store.reset(audience)
        self.profiles.changed([audience])
        return forgotten
