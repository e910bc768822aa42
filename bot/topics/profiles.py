"""What an audience has taught: its votes as papers, and the authors it follows.

Digests ask for a profile each time they are built, so a 👍 changes the next digest with
no restart. A profile is cached per audience until its revision in the database changes
(triggers bump it on any vote, unvote, reset or follow, from this process or another,
e.g. ``paperbot like``). With an embedding model configured, the papers' cached dense
vectors join the ranking.

A morning fan-out ranks one topic's day for thousands of chats. The day's keyword
matches and their TF-IDF space are worked out once per topic and day
(:class:`Candidates`). Training a model costs 0.2–0.3 s of CPU, so it is kept out of the
fan-out: a vote schedules a retraining of the audience's models a little later
(debounced: several taps, one training), in the space of the last day its topic was
ranked on. Models are kept in a bounded LRU and in SQLite, keyed by what trained them
(the topic's definition and the votes themselves), so a digest finds them ready, a
restart does not retrain, and any change of votes or topic is a new key. A chat whose
model is not ready is trained on demand. Training, ranking and the day's shared work
run in one worker thread (so they never run at once and share the day's caches safely):
scikit-learn and scipy release the GIL for most of their work, so the event loop (and
the platform limiters' pacing) stalls for tens of milliseconds, not a whole fit or a
whole batch of chats' rankings; a process pool stalled it longer, pickling the day's
space for every job.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.models import Paper, Topic
from bot.store.db import StorageError
from bot.store.feedback import FeedbackStore
from bot.store.papers import PaperStore
from bot.store.rankings import RankingModelStore, StoredModel
from bot.topics.embedders import Embeddings
from bot.topics.relevance import Candidates, Model, Scored, TextSpace, Vote, also_relevant, learn, rank

log = logging.getLogger(__name__)
T = TypeVar("T")


def chat_audience(platform: str, chat_id: str) -> str:
    return f"chat:{platform}:{chat_id}"


def user_audience(platform: str, user_id: str) -> str:
    return f"user:{platform}:{user_id}"


MODELS_KEPT = 10_000  # trained models held (about 6 kB each): one per voting audience of a large fan-out
DAYS_KEPT = 64  # (topic, day) candidate sets held: a day's topics, plus a few catch-up windows
PROFILES_KEPT = 10_000  # audiences' votes held between digests
TRAIN_DELAY = 30.0  # seconds after an audience's last tap before its models are retrained in the background

ModelKey = tuple[str, str, str, tuple[str, ...], str, str]
Taught = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Trained:
    taught: Taught
    model: Model | None
    topic: Topic  # what a later vote retrains it for


def _topic_key(topic: Topic) -> tuple[str, str, tuple[str, ...], str, str]:
    return topic.name, topic.expression, topic.categories, topic.title, topic.description


def _digest(value: object) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Profile:
    votes: tuple[Vote, ...] = ()
    followed: tuple[str, ...] = ()


def _prepared(candidates: Candidates) -> Candidates:
    """``candidates`` with their TF-IDF space built, so the event loop never builds it."""
    _ = candidates.space  # built here, in the worker; an ``assert`` would vanish under ``python -O``
    return candidates


class Profiles:
    def __init__(self, feedback: FeedbackStore, papers: PaperStore, embeddings: Embeddings | None = None,
                 stored: RankingModelStore | None = None, train_delay: float = TRAIN_DELAY) -> None:
        self._feedback = feedback
        self._papers = papers
        self._embeddings = embeddings
        self._stored = stored
        self.train_delay = train_delay
        self._cache: OrderedDict[str, tuple[int, Profile]] = OrderedDict()
        self._days: OrderedDict[tuple[object, ...], asyncio.Future[Candidates]] = OrderedDict()
        self._models: OrderedDict[ModelKey, Trained] = OrderedDict()
        self._flights: dict[tuple[ModelKey, Taught], asyncio.Future[Model | None]] = {}
        self._soon: dict[str, asyncio.TimerHandle] = {}  # audiences waiting for a background retraining
        self._tasks: set[asyncio.Task[int]] = set()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ranking")
        self._closed = False
        self.trained = 0  # models trained since start: how often neither memory nor the store had one

    @property
    def embedding_model(self) -> str | None:
        """The embedding model that joins the ranking, or None when TF-IDF ranks alone."""
        return self._embeddings.model if self._embeddings is not None else None

    async def _off_loop(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._worker, work)

    async def of(self, audience: str) -> Profile:
        revision = await self._feedback.revision(audience)
        cached = self._cache.get(audience)
        if cached is not None and cached[0] == revision:
            self._cache.move_to_end(audience)
            return cached[1]
        shares = await self._feedback.votes(audience)
        papers = await self._papers.get_many(list(shares))
        votes = tuple(Vote(papers[pid], int(share >= 0.5)) for pid, share in shares.items() if pid in papers)
        profile = Profile(votes, tuple(await self._feedback.followed(audience)))
        self._cache[audience] = (revision, profile)
        self._cache.move_to_end(audience)
        while len(self._cache) > PROFILES_KEPT:
            self._cache.popitem(last=False)
        return profile

    async def candidates(self, topic: Topic, papers: Sequence[Paper],
                         matched: Sequence[Scored] | None = None) -> Candidates:
        """The shared keyword and TF-IDF work for ``topic`` over ``papers`` (one day, or a window).

        Worked out in the worker (about half a second for 1,000 papers), once per topic and
        papers: every audience ranking the same day awaits the same work.
        """
        if matched is not None:  # a person's own filters: nothing to share
            return await self._off_loop(lambda: _prepared(Candidates(topic, papers, matched)))
        key = (*_topic_key(topic), tuple(p.id for p in papers))
        found = self._days.get(key)
        if found is None or (found.done() and found.exception() is not None):
            found = self._days[key] = asyncio.ensure_future(
                self._off_loop(lambda: _prepared(Candidates(topic, papers))))
        self._days.move_to_end(key)
        while len(self._days) > DAYS_KEPT:
            self._days.popitem(last=False)
        return await asyncio.shield(found)

    async def trained_model(self, audience: str, topic: Topic, votes: Sequence[Vote],
                            candidates: Candidates) -> Model | None:
        """The audience's model for ``topic``: kept in memory, else stored, else trained now in the worker.

        The model is kept as term weights, so one trained on an earlier day's space ranks
        today's papers in today's vocabulary; a new vote makes a new key and trains again.
        """
        if not votes:
            return None
        key = (audience, *_topic_key(topic))
        taught = tuple((v.paper.id, v.value) for v in votes)
        found = self._models.get(key)
        if found is not None and found.taught == taught:
            self._models.move_to_end(key)
            return found.model
        flight = self._flights.get((key, taught))
        if flight is None:
            flight = self._flights[(key, taught)] = asyncio.ensure_future(
                self._load_or_train(key, taught, topic, votes, candidates))
            flight.add_done_callback(lambda _: self._flights.pop((key, taught), None))
        return await asyncio.shield(flight)

    async def _load_or_train(self, key: ModelKey, taught: Taught, topic: Topic, votes: Sequence[Vote],
                             candidates: Candidates) -> Model | None:
        audience, definition, digest = key[0], _digest(key[1:]), _digest(taught)
        liked = tuple(v.paper for v in votes if v.value == 1)
        stored = await self._read(audience, topic.name, definition, digest)
        if stored is not None:
            model: Model | None = Model(stored.keys, stored.weights, liked, stored.words)
        else:
            model = await self._off_loop(lambda: learn(topic, votes, candidates.space))
            self.trained += 1
            if model is not None:
                await self._write(audience, topic.name, definition, digest,
                                  StoredModel(model.keys, model.values, model.words))
        self._models[key] = Trained(taught, model, topic)
        self._models.move_to_end(key)
        while len(self._models) > MODELS_KEPT:
            self._models.popitem(last=False)
        return model

    async def _read(self, audience: str, topic: str, definition: str, taught: str) -> StoredModel | None:
        if self._stored is None:
            return None
        try:
            return await self._stored.get(audience, topic, definition, taught)
        except StorageError:  # a model can always be trained again
            log.warning("stored ranking model unreadable", exc_info=True)
            return None

    async def _write(self, audience: str, topic: str, definition: str, taught: str, model: StoredModel) -> None:
        if self._stored is None:
            return
        try:
            await self._stored.put(audience, topic, definition, taught, model)
        except StorageError:  # the digest does not depend on it: the next restart trains again
            log.warning("ranking model not stored", exc_info=True)

    @property
    def pending(self) -> frozenset[str]:
        """Audiences whose models wait for a background retraining."""
        return frozenset(self._soon)

    def changed(self, audiences: Sequence[str]) -> None:
        """Votes of ``audiences`` changed: retrain their models after :attr:`train_delay` of quiet.

        Each further tap restarts the wait, so a burst of taps trains once. A digest that
        comes first does not wait for it: it trains on demand, and the retraining then
        finds the model current.
        """
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        for audience in audiences:
            waiting = self._soon.pop(audience, None)
            if waiting is not None:
                waiting.cancel()
            self._soon[audience] = loop.call_later(self.train_delay, self._retrain_soon, audience)

    def _retrain_soon(self, audience: str) -> None:
        self._soon.pop(audience, None)
        task = asyncio.ensure_future(self.retrain(audience))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def retrain(self, audience: str) -> int:
        """Train ``audience``'s models for its new votes, each in its topic's latest day; how many were trained.

        Only topics this process has ranked for the audience are known here; any other is
        trained on demand by its next digest.
        """
        try:
            profile = await self.of(audience)
            done = 0
            for key, trained in list(self._models.items()):
                day = self._latest(key) if key[0] == audience else None
                if day is not None and trained.taught != tuple((v.paper.id, v.value) for v in profile.votes):
                    await self.trained_model(audience, trained.topic, profile.votes, day)
                    done += 1
            return done
        except Exception:  # a background retraining must never take the bot down; the next digest trains
            log.exception("background retraining failed", extra={"audience": audience})
            return 0

    def _latest(self, key: ModelKey) -> Candidates | None:
        """The last day's candidates ranked for the model's topic, if still held."""
        for day, found in reversed(self._days.items()):
            if day[:5] == key[1:] and found.done() and found.exception() is None:
                return found.result()
        return None

    async def close(self) -> None:
        """Drop pending retrainings, trainings and days' work, and wait for the worker's current job.

        Trainings and days' work are tasks of their own (several digests await each), so
        cancelling the digests does not end them: left pending, they outlive the loop
        ("Task was destroyed but it is pending") or write to a closed database. The job
        running in the thread cannot be interrupted; it is waited for off the loop (at most
        one fit or one day's TF-IDF, under a second). Taps after this are ignored.
        """
        self._closed = True
        for waiting in self._soon.values():
            waiting.cancel()
        self._soon.clear()
        work: list[asyncio.Future[Any]] = [*self._tasks, *self._flights.values(), *self._days.values()]
        for future in work:
            future.cancel()
        await asyncio.gather(*work, return_exceptions=True)
        await asyncio.to_thread(self._worker.shutdown, wait=True, cancel_futures=True)

    async def rank(self, audience: str | None, topic: Topic, papers: list[Paper],
                   matched: list[Scored] | None = None, profile: Profile | None = None) -> list[Scored]:
        """``papers`` in this audience's order; without an audience, the keyword order.

        ``matched``: keyword scores and reasons from elsewhere (a person's filters), see :func:`rank`.
        """
        if profile is None:  # a caller that just read it passes it, saving a query per chat of a fan-out
            profile = await self.of(audience) if audience else Profile()
        dense = None
        if self._embeddings is not None and profile.votes:  # without votes the keyword order stands anyway
            dense = await self._embeddings.vectors([*papers, *(v.paper for v in profile.votes)])
        candidates = await self.candidates(topic, papers, matched)
        model = await self.trained_model(audience, topic, profile.votes, candidates) if audience else None
        return await self._off_loop(lambda: rank(topic, papers, profile.votes, profile.followed,
                                                 candidates=candidates, model=model, dense=dense, matched=matched))

    async def also(self, audience: str, topic: Topic, papers: list[Paper], day_papers: Sequence[Paper],
                   ranked: Sequence[Scored], n: int) -> list[Scored]:
        """"Also relevant" papers of ``day_papers`` with the model and space ``ranked`` was ranked with."""
        profile = await self.of(audience)
        if not profile.votes:
            return []
        candidates = await self.candidates(topic, papers)
        model = await self.trained_model(audience, topic, profile.votes, candidates)
        return await self._off_loop(lambda: also_relevant(topic, day_papers, profile.votes, ranked, n,
                                                          candidates=candidates, model=model))

    async def model(self, audience: str, topic: Topic) -> Model | None:
        """What ``/prefs`` shows: the model the audience's votes train, in the voted papers' own words."""
        profile = await self.of(audience)
        if not profile.votes:
            return None
        return await self._off_loop(lambda: learn(topic, profile.votes, TextSpace([v.paper for v in profile.votes])))
