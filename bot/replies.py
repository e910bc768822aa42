"""Neutral replies that handlers return and adapters render their own way.

The core never produces markup: adapters turn these into Telegram HTML, Discord
embeds, rich renderables or plain text, escaping every piece of text themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.models import Paper, Topic
from bot.summary_schema import SummaryResult


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Error:
    """Something the user can fix; shown as a friendly one-liner, never a traceback."""

    text: str


@dataclass(frozen=True)
class DigestEntry:
    paper: Paper
    summary: SummaryResult
    code_links: tuple[str, ...] = ()
    reason: str = ""  # why this paper is here, in the digest's language: matched terms, a liked paper...


@dataclass(frozen=True)
class Digest:
    topic: Topic
    day: date
    language: str
    entries: tuple[DigestEntry, ...]
    more: int = 0  # matching papers left out by the per-chat maximum
    no_announcement: bool = False  # weekend or holiday: arXiv announced nothing
    days: int = 1  # how many announcement days this covers, ending at ``day``


@dataclass(frozen=True)
class Summary:
    result: SummaryResult
    language: str
    code_links: tuple[str, ...] = ()


@dataclass(frozen=True)
class Replies:
    """Several replies in order, e.g. a confirmation followed by a digest."""

    items: tuple[Reply, ...] = field(default_factory=tuple)


Reply = Text | Error | Digest | Summary | Replies


def flatten(reply: Reply) -> list[Text | Error | Digest | Summary]:
    if isinstance(reply, Replies):
        return [leaf for item in reply.items for leaf in flatten(item)]
    return [reply]
