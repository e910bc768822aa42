"""Pages for list replies (/topics, /subscriptions): a list never becomes hundreds of messages.

Why: 2,000 topics in one chat once made ``/topics`` hundreds of messages (511 in the
issue's count), flooding the chat and the platform's rate limits. A page holds a fixed
number of items and says how to ask for the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.i18n import t

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int  # 1-based
    pages: int
    total: int

    def footer(self, language: str, command: str) -> str | None:
        """"Page 2 of 7 (130 in all). Send /topics 3 ..."; None when everything fits on one page."""
        if self.pages <= 1:
            return None
        if self.number < self.pages:
            return t(language, "list_page", page=self.number, pages=self.pages, total=self.total, command=command,
                     next=self.number + 1)
        return t(language, "list_page_last", page=self.number, pages=self.pages, total=self.total)


class PageError(ValueError):
    """A page argument that is not a number, or past the last page; the message says which pages exist."""


def paginate(items: Sequence[T], text: str | None, size: int, language: str) -> Page[T]:
    """The page ``text`` names (``None``: the first) of ``items``, ``size`` at a time.

    The page is checked here, not by the command's parameter type, because only here
    is the number of pages known: a wrong page is answered with the pages there are.
    """
    pages = max(1, -(-len(items) // size))
    number = 1 if text is None else int(text) if text.isdigit() and len(text) <= 6 else 0
    if not 1 <= number <= pages:
        raise PageError(t(language, "page_out_of_range", page=(text or "")[:12], pages=pages))
    start = (number - 1) * size
    return Page(items[start:start + size], number, pages, len(items))
