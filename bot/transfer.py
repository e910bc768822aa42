"""Export and import of subscriptions, chat settings, chat topics, user filters, 👍/👎 votes,
followed authors, reading lists and weekly-picks schedules as JSON.

Votes travel with the metadata of the papers they are about (CC0), so an imported
database ranks with them at once instead of waiting for each paper to be fetched again.

Import validates every record before writing any, so a bad file changes nothing.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator

from bot.arxiv.feeds import clip_paper
from bot.arxiv.ids import is_arxiv_id
from bot.models import ChatKind, ChatRef, Paper, Topic
from bot.store import Store
from bot.store.chats import WEEKDAY_NAMES, format_weekdays, parse_weekdays
from bot.store.reading import PicksSchedule
from bot.topics.authors import clean_name
from bot.topics.expression import parse
from bot.topics.registry import NAME
from bot.topics.relevance import author_key

FORMAT_VERSION = 1


def _zone(value: str | None) -> str | None:
    if value is not None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value[:64]!r}") from None
    return value


class ChatRecord(BaseModel):
    platform: str
    chat_id: str
    kind: ChatKind = "private"
    title: str | None = None
    language: str | None = None
    timezone: str | None = None
    max_papers: int | None = Field(None, ge=1, le=200)
    figures: bool = False
    also_relevant: bool = False  # absent in files from before the setting: off, its default

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _zone(v)))


class SubscriptionRecord(BaseModel):
    platform: str
    chat_id: str
    thread_id: str | None = None
    topic: str
    at_time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str
    weekdays: str

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _zone(v)))

    @field_validator("weekdays")
    @classmethod
    def _days(cls, value: str) -> str:
        days = value.split(",")
        if not value or not all(d in WEEKDAY_NAMES for d in days):
            raise ValueError("weekdays are one or more of mon,tue,wed,thu,fri,sat,sun, comma-separated")
        return value

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("a topic name uses lowercase letters, digits and '-'")
        return value


class TopicRecord(BaseModel):
    name: str = Field(pattern=NAME.pattern)
    owner: str | None
    title: str
    categories: list[str]
    expression: str

    @field_validator("expression")
    @classmethod
    def _expression(cls, value: str) -> str:
        parse(value)
        return value


class FilterRecord(BaseModel):
    platform: str
    user_id: str
    kind: str = Field(pattern="^(include|mute)$")
    value: str = Field(max_length=300)


class UserDigestRecord(BaseModel):
    platform: str
    user_id: str
    dm_chat_id: str
    enabled: bool
    at_time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str
    weekdays: str = Field(pattern=r"^(mon|tue|wed|thu|fri|sat|sun)(,(mon|tue|wed|thu|fri|sat|sun))*$")
    language: str | None = None

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _zone(v)))


AUDIENCE = r"^(chat|user):[a-z]{1,20}:[^\s]{1,200}$"
VOTER = r"^[a-z]{1,20}:[^\s]{1,200}$"


def _moment(value: str) -> str:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not an ISO date and time") from None
    return value


def _arxiv_id(value: str) -> str:
    if not is_arxiv_id(value):
        raise ValueError("not an arXiv id")
    return value


class VoteRecord(BaseModel):
    audience: str = Field(pattern=AUDIENCE)
    paper_id: str
    user: str = Field(pattern=VOTER)
    value: int = Field(ge=0, le=1)
    at: str

    _at = field_validator("at")(classmethod(lambda cls, v: _moment(v)))
    _paper = field_validator("paper_id")(classmethod(lambda cls, v: _arxiv_id(v)))


class FollowedRecord(BaseModel):
    audience: str = Field(pattern=AUDIENCE)
    name: str
    created_by: str | None = Field(None, pattern=VOTER)
    at: str

    _at = field_validator("at")(classmethod(lambda cls, v: _moment(v)))

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if clean_name(value) != value:
            raise ValueError("not a plausible author name")
        return value


CHAT = r"^[a-z]{1,20}:[^\s]{1,200}$"


class ReadingRecord(BaseModel):
    """One member's save of one paper on a chat's reading list (the paper is read when ``done_at`` is set)."""

    chat: str = Field(pattern=CHAT)
    paper_id: str
    user: str = Field(pattern=VOTER)
    user_name: str | None = Field(None, max_length=200)
    at: str
    done_at: str | None = None
    done_by: str | None = Field(None, pattern=VOTER)

    _at = field_validator("at")(classmethod(lambda cls, v: _moment(v)))
    _done = field_validator("done_at")(classmethod(lambda cls, v: v if v is None else _moment(v)))
    _paper = field_validator("paper_id")(classmethod(lambda cls, v: _arxiv_id(v)))


class PicksRecord(BaseModel):
    platform: str = Field(pattern=r"^[a-z]{1,20}$")
    chat_id: str = Field(min_length=1, max_length=200)
    kind: ChatKind = "group"
    thread_id: str | None = None
    weekday: str
    at_time: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    timezone: str

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _zone(v)))
    _day = field_validator("weekday")(classmethod(lambda cls, v: v if v in WEEKDAY_NAMES else _bad_day(v)))


def _bad_day(value: str) -> str:
    raise ValueError(f"not a weekday: {value[:20]!r}")


class PaperRecord(BaseModel):
    id: str
    version: int = Field(ge=1)
    title: str
    authors: list[str]
    abstract: str
    comment: str | None = None
    categories: list[str] = []
    primary_category: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    license: str | None = None

    _id = field_validator("id")(classmethod(lambda cls, v: _arxiv_id(v)))

    def paper(self) -> Paper:
        return clip_paper(Paper(self.id, self.version, self.title, tuple(self.authors), self.abstract, self.comment,
                                tuple(self.categories), self.primary_category, self.published, self.updated,
                                self.license))


class Export(BaseModel):
    version: int = FORMAT_VERSION
    chats: list[ChatRecord] = []
    subscriptions: list[SubscriptionRecord] = []
    topics: list[TopicRecord] = []
    filters: list[FilterRecord] = []
    user_digests: list[UserDigestRecord] = []
    votes: list[VoteRecord] = []
    followed_authors: list[FollowedRecord] = []
    papers: list[PaperRecord] = []  # the voted and saved papers' metadata
    reading: list[ReadingRecord] = []
    picks: list[PicksRecord] = []


async def export_all(store: Store) -> dict[str, Any]:
    chats = [ChatRecord(platform=c.chat.platform, chat_id=c.chat.chat_id, kind=c.chat.kind, title=c.title,
                        language=c.language, timezone=c.timezone, max_papers=c.max_papers, figures=c.figures,
                        also_relevant=c.also_relevant)
             for c in await store.chats.all()]
    subs = [SubscriptionRecord(platform=s.chat.platform, chat_id=s.chat.chat_id, thread_id=s.chat.thread_id,
                               topic=s.topic, at_time=s.at_time.strftime("%H:%M"), timezone=s.timezone,
                               weekdays=format_weekdays(s.weekdays))
            for s in await store.subscriptions.all()]
    topics = [TopicRecord(name=t.name, owner=t.owner, title=t.title, categories=list(t.categories),
                          expression=t.expression) for t in await store.custom_topics.all()]
    filters = [FilterRecord(platform=p, user_id=u, kind=f.kind, value=f.value)
               for (p, u), items in (await store.filters.all()).items() for f in items]
    digests = [UserDigestRecord(platform=d.platform, user_id=d.user_id, dm_chat_id=d.dm_chat_id, enabled=d.enabled,
                                at_time=d.at_time.strftime("%H:%M"), timezone=d.timezone,
                                weekdays=format_weekdays(d.weekdays), language=d.language)
               for d in await store.filters.digests(enabled_only=False)]
    votes = [VoteRecord(audience=a, paper_id=p, user=u, value=v, at=at)
             for a, p, u, v, at in await store.feedback.all_votes()]
    followed = [FollowedRecord(audience=a, name=n, created_by=c, at=at)
                for a, n, c, at in await store.feedback.all_followed()]
    reading = [ReadingRecord(chat=c, paper_id=p, user=u, user_name=n, at=at, done_at=done, done_by=by)
               for c, p, u, n, at, done, by in await store.reading.all_saves()]
    picks = [PicksRecord(platform=s.chat.platform, chat_id=s.chat.chat_id, kind=s.chat.kind,
                         thread_id=s.chat.thread_id, weekday=WEEKDAY_NAMES[s.weekday], at_time=s.at_time,
                         timezone=s.timezone) for s in await store.reading.picks()]
    voted = await store.papers.get_many(sorted({v.paper_id for v in votes} | {r.paper_id for r in reading}))
    papers = [PaperRecord(id=p.id, version=p.version, title=p.title, authors=list(p.authors), abstract=p.abstract,
                          comment=p.comment, categories=list(p.categories), primary_category=p.primary_category,
                          published=p.published, updated=p.updated, license=p.license) for p in voted.values()]
    return Export(chats=chats, subscriptions=subs, topics=topics, filters=filters, user_digests=digests,
                  votes=votes, followed_authors=followed, papers=papers, reading=reading,
                  picks=picks).model_dump(mode="json")


async def import_all(store: Store, data: Any) -> dict[str, int]:
    """Validate the whole file first (raises pydantic.ValidationError), then write it."""
    doc = Export.model_validate(data)
    for c in doc.chats:
        chat = ChatRef(c.platform, c.chat_id, c.kind)
        await store.chats.ensure(chat, c.title)
        await store.chats.update(chat, language=c.language, timezone=c.timezone, max_papers=c.max_papers,
                                 figures=int(c.figures), also_relevant=int(c.also_relevant))
    for t in doc.topics:
        await store.custom_topics.save(Topic(t.name, t.title, tuple(t.categories), t.expression, owner=t.owner))
    kinds: dict[tuple[str, str], ChatKind] = {(c.platform, c.chat_id): c.kind for c in doc.chats}
    for s in doc.subscriptions:
        hh, mm = s.at_time.split(":")
        chat = ChatRef(s.platform, s.chat_id, kinds.get((s.platform, s.chat_id), "group"), s.thread_id)
        await store.subscriptions.upsert(chat, s.topic, time(int(hh), int(mm)), s.timezone, parse_weekdays(s.weekdays))
    for f in doc.filters:
        await store.filters.add(f.platform, f.user_id, f.kind, f.value)
    for d in doc.user_digests:
        hh, mm = d.at_time.split(":")
        await store.filters.set_digest(d.platform, d.user_id, d.dm_chat_id, d.enabled, time(int(hh), int(mm)),
                                       d.timezone, d.language, parse_weekdays(d.weekdays))
    await store.papers.upsert(p.paper() for p in doc.papers)
    await store.feedback.restore(
        [(v.audience, v.paper_id, v.user, v.value, v.at) for v in doc.votes],
        [(f.audience, f.name, author_key(f.name), f.created_by, f.at) for f in doc.followed_authors])
    await store.reading.restore(
        [(r.chat, r.paper_id, r.user, r.user_name, r.at, r.done_at, r.done_by) for r in doc.reading],
        [PicksSchedule(ChatRef(p.platform, p.chat_id, p.kind, p.thread_id), WEEKDAY_NAMES.index(p.weekday),
                       p.at_time, p.timezone) for p in doc.picks])
    return {"chats": len(doc.chats), "subscriptions": len(doc.subscriptions), "topics": len(doc.topics),
            "filters": len(doc.filters), "user_digests": len(doc.user_digests), "votes": len(doc.votes),
            "followed_authors": len(doc.followed_authors), "reading": len(doc.reading), "picks": len(doc.picks)}
