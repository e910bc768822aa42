"""Author names as people type them and as arXiv prints them.

A followed name is matched by its accent- and case-insensitive form
(:func:`bot.topics.relevance.author_key`), so "Zoe Muller" follows "Zoë Müller". Initials
are *not* merged: "J. Zhu" may be Jianke Zhu or Jun Zhu, so :func:`variants` only offers
the fuller names arXiv has printed, and the person chooses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.topics.relevance import author_key

MAX_NAME_CHARS = 100
# Letters of any script, spaces, and the punctuation real names carry (O'Brien, Jean-Pierre, J. Zhu).
_NAME = re.compile(r"^[^\W\d_]+(?:[ .'’\-]+[^\W\d_]+)*\.?$")


def clean_name(text: str) -> str | None:
    """The name without quotes and extra spaces, or None when it is not a plausible person's name."""
    name = " ".join(text.strip().strip("\"“”'").split())
    if not name or len(name) > MAX_NAME_CHARS or not _NAME.match(name):
        return None
    return name


def _parts(name: str) -> tuple[list[str], str]:
    tokens = author_key(name).replace(".", " ").replace("-", " ").split()
    return tokens[:-1], tokens[-1] if tokens else ""


def compatible(typed: str, printed: str) -> bool:
    """Whether ``printed`` could be the person ``typed`` names: same surname, given names equal or initials."""
    given_a, last_a = _parts(typed)
    given_b, last_b = _parts(printed)
    if not last_a or last_a != last_b or not given_b:
        return False
    return all(a == b or (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b))
               for a, b in zip(given_a, given_b, strict=False))


def variants(typed: str, printed: Iterable[str], limit: int = 8) -> list[str]:
    """Other ways arXiv prints a name that may be this person, fullest first (never ``typed`` itself)."""
    key = author_key(typed)
    found: dict[str, str] = {}
    for name in printed:
        k = author_key(name)
        if k != key and k not in found and compatible(typed, name):
            found[k] = name
    return sorted(found.values(), key=lambda n: (-len(n), n))[:limit]
