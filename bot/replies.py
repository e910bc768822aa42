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
    thread: str | None = None  # follow-ups to this summary continue this conversation (bot.ports.ThreadRef)

    @property
    def paper(self) -> Paper:
        """The paper summarized, as for an :class:`Answer`."""
        return self.result.paper


@dataclass(frozen=True)
class Answer:
    """A model's answer to a question about one paper, validated before anyone sees it."""

    paper: Paper
    question: str
    text: str  # plain text: no markup, and no link or mention the paper itself does not contain
    sources: tuple[str, ...]  # where in the paper it rests ("§3.2", "p. 5"); empty when the paper does not say
    model: str  # who wrote it, shown with the answer
    language: str
    thread: str  # the conversation this answer belongs to; follow-ups continue it


@dataclass(frozen=True)
class Replies:
    """Several replies in order, e.g. a confirmation followed by a digest."""

    items: tuple[Reply, ...] = field(default_factory=tuple)


Reply = Text | Error | Digest | Summary | Answer | Replies


def flatten(reply: Reply) -> list[Text | Error | Digest | Summary | Answer]:
    if isinstance(reply, Replies):
        return [leaf for item in reply.items for leaf in flatten(item)]
    return [reply]
