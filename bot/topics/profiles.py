"""What an audience has taught: its votes as papers, and the authors it follows.

Digests ask for a profile each time they are built, so a 👍 changes the next digest with
no restart; profiles are cached until the feedback store changes. With an embedding
model configured, the papers' cached dense vectors join the ranking.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import Paper, Topic
from bot.store.feedback import FeedbackStore
from bot.store.papers import PaperStore
from bot.topics.embedders import Embeddings
from bot.topics.relevance import Model, Scored, TextSpace, Vote, learn, rank


def chat_audience(platform: str, chat_id: str) -> str:
    return f"chat:{platform}:{chat_id}"


def user_audience(platform: str, user_id: str) -> str:
    return f"user:{platform}:{user_id}"


@dataclass(frozen=True)
class Profile:
    votes: tuple[Vote, ...] = ()
    followed: tuple[str, ...] = ()


class Profiles:
    def __init__(self, feedback: FeedbackStore, papers: PaperStore, embeddings: Embeddings | None = None) -> None:
        self._feedback = feedback
        self._papers = papers
        self._embeddings = embeddings
        self._cache: dict[str, tuple[int, Profile]] = {}

    @property
    def embedding_model(self) -> str | None:
        """The embedding model that joins the ranking, or None when TF-IDF ranks alone."""
        return self._embeddings.model if self._embeddings is not None else None

    async def of(self, audience: str) -> Profile:
        cached = self._cache.get(audience)
        if cached is not None and cached[0] == self._feedback.version:
            return cached[1]
        shares = await self._feedback.votes(audience)
        papers = await self._papers.get_many(list(shares))
        votes = tuple(Vote(papers[pid], int(share >= 0.5)) for pid, share in shares.items() if pid in papers)
        profile = Profile(votes, tuple(await self._feedback.followed(audience)))
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[audience] = (self._feedback.version, profile)
        return profile

    async def rank(self, audience: str | None, topic: Topic, papers: list[Paper],
                   matched: list[Scored] | None = None) -> list[Scored]:
        """``papers`` in this audience's order; without an audience, the keyword order.

        ``matched``: keyword scores and reasons from elsewhere (a person's filters), see :func:`rank`.
        """
        profile = await self.of(audience) if audience else Profile()
        dense = None
        if self._embeddings is not None and profile.votes:  # without votes the keyword order stands anyway
            dense = await self._embeddings.vectors([*papers, *(v.paper for v in profile.votes)])
        return rank(topic, papers, profile.votes, profile.followed, dense=dense, matched=matched)

    async def model(self, audience: str, topic: Topic) -> Model | None:
        """What ``/prefs`` shows: the model the audience's votes train, in the voted papers' own words."""
        profile = await self.of(audience)
        if not profile.votes:
            return None
        return learn(topic, profile.votes, TextSpace([v.paper for v in profile.votes]))
