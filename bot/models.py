"""Data that crosses modules: papers, topics and where a chat lives.

Every fact shown to users about a paper (title, authors, links, comment, dates,
license) lives in :class:`Paper` and comes from arXiv metadata, never from a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

AnnounceType = Literal["new", "cross", "replace", "replace-cross"]
ChatKind = Literal["private", "group", "channel", "console"]


@dataclass(frozen=True)
class Paper:
    id: str  # arXiv id without version: "2407.03204" or "hep-th/9901001"
    version: int
    title: str
    authors: tuple[str, ...]
    abstract: str
    comment: str | None = None
    categories: tuple[str, ...] = ()
    primary_category: str | None = None
    published: datetime | None = None  # v1 submission
    updated: datetime | None = None  # this version
    license: str | None = None  # URL from RSS dc:rights or the API
    announce_type: AnnounceType | None = None
    announced: date | None = None  # announcement day, when it came from RSS

    @property
    def versioned_id(self) -> str:
        return f"{self.id}v{self.version}"

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.id}"

    @property
    def is_replacement(self) -> bool:
        return self.announce_type in ("replace", "replace-cross")


@dataclass(frozen=True)
class Topic:
    """A named set of arXiv categories plus a keyword expression (see ``bot.topics``)."""

    name: str  # slug used in commands: "virtual-humans"
    title: str  # display name: "元宇宙/虚拟人 · Virtual humans"
    categories: tuple[str, ...]
    expression: str  # e.g. 'avatar OR "talking head" OR "digital human"'
    description: str = ""
    builtin: bool = False
    owner: str | None = None  # "platform:chat_id" for chat-defined topics, None for presets


@dataclass(frozen=True)
class ChatRef:
    """Where a message goes: a chat on a platform, optionally a thread/forum topic inside it."""

    platform: str  # "telegram", "discord", "console"
    chat_id: str
    kind: ChatKind = "private"
    thread_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.chat_id}"


@dataclass
class DayPapers:
    """One announcement day's papers for a set of categories, or the honest reason there are none."""

    day: date
    papers: list[Paper] = field(default_factory=list)
    no_announcement: bool = False  # weekend / holiday: arXiv announced nothing
