"""arXiv's category taxonomy, shipped as data (``arxiv_categories.toml``), and near-miss suggestions.

A topic may name only categories arXiv knows: the day's one RSS request covers every
subscribed category, and arXiv refuses the whole request if one is unknown.
"""

from __future__ import annotations

import difflib
import tomllib
from functools import cache
from importlib.resources import files

__all__ = ["categories", "is_category", "suggest"]


@cache
def categories() -> dict[str, str]:
    """Every arXiv category id, mapped to its name."""
    raw = files("bot.topics").joinpath("arxiv_categories.toml").read_text(encoding="utf-8")
    return dict(tomllib.loads(raw)["categories"])


def is_category(name: str) -> bool:
    return name in categories()


def suggest(name: str, n: int = 3) -> list[str]:
    """The ``n`` nearest real category ids, best first; a case-only slip (``cs.cv``) comes first."""
    by_lower = {c.lower(): c for c in categories()}
    wanted = name.strip().lower()[:40]
    if wanted in by_lower:
        return [by_lower[wanted]]
    # The archive is the part users rarely get wrong; rank within it when there is one.
    archive = wanted.partition(".")[0]
    pool = [c for c in by_lower if c.partition(".")[0] == archive] or list(by_lower)
    close = difflib.get_close_matches(wanted, pool, n=n, cutoff=0.5)
    if not close:
        close = difflib.get_close_matches(wanted, list(by_lower), n=n, cutoff=0.0)
    return [by_lower[c] for c in close]
