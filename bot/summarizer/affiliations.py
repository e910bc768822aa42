"""Affiliations a model may report: only those printed, word for word, on the paper's first page.

Why whole words in order: the reference digests show invented affiliations, and a
looser test (each word somewhere on the page) let them through. With XHand's first
page ("1Zhejiang University 2Shanghai AI Laboratory … submitted … limitations") it kept
"Shanghai University", "Zhejiang Laboratory" and "Hand University" (every word is on
the page, just not together) and "MIT" (a substring of "submitted"). So both sides are
normalised the same way (NFKC, casefold, superscript digits and punctuation removed,
whitespace collapsed) and the affiliation must appear as one contiguous run of whole
words. Chinese has no spaces, so each ideograph counts as a word of its own.

One relaxation, because pages often print a department apart from its university:
"Department of Computer Science, Stanford University" is kept when the institution
("Stanford University") and the department part each appear whole on the page.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_NOT_WORD = re.compile(r"[\W\d_]+")  # punctuation, symbols (*, †), digits (affiliation marks), underscores
_WORD = re.compile(rf"[{_CJK}]|[^{_CJK}]+")
_PARTS = re.compile(r"[,;，；]")
_DEPARTMENT = re.compile(
    r"^(?:department|dept|school|college|faculty|division|institute|laborator(?:y|ies)|lab|labs|center|centre"
    r"|group|graduate school|(?:state |national )?key lab(?:oratory)?)\b"
)


def words(text: str) -> list[str]:
    """Casefolded words without digits or punctuation; each CJK ideograph is one word."""
    folded = _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold())
    return [w for chunk in folded.split() for w in _WORD.findall(chunk)]


def verified_affiliations(affiliations: list[str], first_page: str | None) -> list[str]:
    """Keep only affiliations printed on the first page; with no first page, keep none (they'd be guesses)."""
    if not first_page:
        return []
    page = _joined(words(first_page))
    kept: list[str] = []
    seen: set[str] = set()
    for affiliation in affiliations:
        key = _joined(words(affiliation))
        if key.strip() and key not in seen and _printed(affiliation, page):
            seen.add(key)
            kept.append(affiliation.strip())
    return kept


def _printed(affiliation: str, page: str) -> bool:
    """The whole affiliation on the page, or department parts plus exactly one institution, each whole."""
    if _joined(words(affiliation)) in page:
        return True
    parts = [p for p in (words(part) for part in _PARTS.split(affiliation)) if p]
    if len(parts) < 2 or any(_joined(p) not in page for p in parts):
        return False
    institutions = [p for p in parts if not _DEPARTMENT.match(" ".join(p))]
    return len(institutions) == 1


def _joined(items: list[str]) -> str:
    """Words padded with spaces, so that ``in`` matches whole words only."""
    return f" {' '.join(items)} "
