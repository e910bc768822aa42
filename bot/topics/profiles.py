"""What an audience has taught: its votes as papers, and the authors it follows.

Digests ask for a profile each time they are built, so a 👍 changes the next digest with
no restart; profiles are cached until the feedback store changes. With an embedding
model configured, the papers' cached dense vectors join the ranking.

A morning fan-out ranks one topic's day for thousands of chats. The day's keyword
matches and their TF-IDF space are worked out once per topic and day
(:class:`Candidates`), and each audience's model is kept in a bounded LRU keyed by what
trained it (the topic and the votes themselves), so a chat whose votes did not change
since its last digest is not trained again, and any vote, unvote or reset is a new key.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import Paper, Topic
from bot.store.feedback import FeedbackStore
from bot.store.papers import PaperStore
from bot.topics.embedders import Embeddings
from bot.topics.relevance import Candidates, Model, Scored, TextSpace, Vote, also_relevant, learn, rank


def chat_audience(platform: str, chat_id: str) -> str:
    return f"chat:{platform}:{chat_id}"


def user_audience(platform: str, user_id: str) -> str:
    return f"user:{platform}:{user_id}"


MODELS_KEPT = 10_000  # trained models held (about 6 kB each): one per voting audience of a large fan-out
DAYS_KEPT = 64  # (topic, day) candidate sets held: a day's topics, plus a few catch-up windows

ModelKey = tuple[str, str, str, tuple[str, ...], str, str]
Trained = tuple[tuple[tuple[str, int], ...], Model | None]


def _topic_key(topic: Topic) -> tuple[str, str, tuple[str, ...], str, str]:
    return topic.name, topic.expression, topic.categories, topic.title, topic.description


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
        self._days: OrderedDict[tuple[object, ...], Candidates] = OrderedDict()
        self._models: OrderedDict[ModelKey, Trained] = OrderedDict()
        self.trained = 0  # models trained since start: how often the cache missed

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

    def candidates(self, topic: Topic, papers: Sequence[Paper],
                   matched: Sequence[Scored] | None = None) -> Candidates:
        """The shared keyword and TF-IDF work for ``topic`` over ``papers`` (one day, or a window)."""
        if matched is not None:  # a person's own filters: nothing to share
            return Candidates(topic, papers, matched)
        key = (*_topic_key(topic), tuple(p.id for p in papers))
        found = self._days.get(key)
        if found is None:
            found = self._days[key] = Candidates(topic, papers)
            while len(self._days) > DAYS_KEPT:
                self._days.popitem(last=False)
        self._days.move_to_end(key)
        return found

    def trained_model(self, audience: str, topic: Topic, votes: Sequence[Vote], candidates: Candidates) -> Model | None:
        """The audience's model for ``topic``, trained only when its votes differ from the last training.

        The model is kept as term weights, so one trained on an earlier day's space ranks
        today's papers in today's vocabulary; a new vote makes a new key and trains again.
        """
        if not votes:
            return None
        key = (audience, *_topic_key(topic))
        taught = tuple((v.paper.id, v.value) for v in votes)
        found = self._models.get(key)
        if found is not None and found[0] == taught:
            self._models.move_to_end(key)
            return found[1]
        model = learn(topic, votes, candidates.space)
        self.trained += 1
        self._models[key] = (taught, model)
        self._models.move_to_end(key)
        while len(self._models) > MODELS_KEPT:
            self._models.popitem(last=False)
        return model

    async def rank(self, audience: str | None, topic: Topic, papers: list[Paper],
                   matched: list[Scored] | None = None) -> list[Scored]:
        """``papers`` in this audience's order; without an audience, the keyword order.

        ``matched``: keyword scores and reasons from elsewhere (a person's filters), see :func:`rank`.
        """
        profile = await self.of(audience) if audience else Profile()
        dense = None
        if self._embeddings is not None and profile.votes:  # without votes the keyword order stands anyway
            dense = await self._embeddings.vectors([*papers, *(v.paper for v in profile.votes)])
        candidates = self.candidates(topic, papers, matched)
        model = self.trained_model(audience, topic, profile.votes, candidates) if audience else None
        return rank(topic, papers, profile.votes, profile.followed, candidates=candidates, model=model,
                    dense=dense, matched=matched)

    async def also(self, audience: str, topic: Topic, papers: list[Paper], day_papers: Sequence[Paper],
                   ranked: Sequence[Scored], n: int) -> list[Scored]:
        """"Also relevant" papers of ``day_papers`` with the model and space ``ranked`` was ranked with."""
        profile = await self.of(audience)
        if not profile.votes:
            return []
        candidates = self.candidates(topic, papers)
        model = self.trained_model(audience, topic, profile.votes, candidates)
        return also_relevant(topic, day_papers, profile.votes, ranked, n, candidates=candidates, model=model)

    async def model(self, audience: str, topic: Topic) -> Model | None:
        """What ``/prefs`` shows: the model the audience's votes train, in the voted papers' own words."""
        profile = await self.of(audience)
        if not profile.votes:
            return None
        return learn(topic, profile.votes, TextSpace([v.paper for v in profile.votes]))
