"""Turn what a user types in chat into an arXiv identifier, or a polite refusal.

Chat input is untrusted: this module accepts only the few shapes an arXiv reference
really takes (bare ids and links on arXiv's own hosts) and never fetches anything,
so a crafted link cannot make the bot talk to another server. Everything is matched
with anchored, backtracking-free patterns after a length check, so hostile input
costs microseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.i18n import t

__all__ = ["ArxivIdError", "ArxivRef", "MAX_INPUT_LENGTH", "is_arxiv_id", "parse_arxiv_ref"]

#: Longest input worth looking at; a real link with a query string fits easily.
MAX_INPUT_LENGTH = 300

_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org"})

#: Archives that used the pre-2007 ``archive/YYMMNNN`` scheme; anything else is a typo.
_OLD_ARCHIVES = frozenset(
    [
        "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an", "chao-dyn", "chem-ph",
        "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th",
        "math", "math-ph", "mtrl-th", "nlin", "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg",
        "q-bio", "quant-ph", "solv-int", "supr-con",
    ]
)

_NEW_ID = re.compile(r"(?P<yymm>[0-9]{4})\.(?P<num>[0-9]{4,5})(?:[vV](?P<ver>[0-9]{1,3}))?")
_OLD_ID = re.compile(
    r"(?P<archive>[A-Za-z]{2,8}(?:-[A-Za-z]{2,8})?)(?:\.(?P<subj>[A-Za-z][A-Za-z-]{1,12}))?"
    r"/(?P<yymm>[0-9]{4})(?P<num>[0-9]{3})(?:[vV](?P<ver>[0-9]{1,3}))?"
)
_PREFIX = re.compile(r"arxiv:\s?", re.IGNORECASE)
_URL_PATH = re.compile(r"/(?P<kind>abs|pdf|html)/(?P<ref>[^?#]+?)(?P<pdf>\.pdf)?/?")

class ArxivIdError(ValueError):
    """Input is not an arXiv reference; ``key`` and ``values`` name the friendly line in :mod:`bot.i18n`."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(t("en", key, **values))
        self.key = key
        self.values = values


@dataclass(frozen=True)
class ArxivRef:
    """A parsed reference: ``id`` never carries a version, so it can key the store."""

    id: str
    version: int | None = None

    @property
    def versioned_id(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"

    def __str__(self) -> str:
        return self.versioned_id


def parse_arxiv_ref(text: str) -> ArxivRef:
    """Parse a bare id (optionally ``arXiv:``-prefixed) or an arxiv.org abs/pdf/html link."""
    if not isinstance(text, str):
        raise ArxivIdError("id_not_a_reference")
    if len(text) > MAX_INPUT_LENGTH:
        raise ArxivIdError("id_too_long")
    text = text.strip()
    if not text:
        raise ArxivIdError("id_which_paper")
    if "://" in text or text.lower().startswith(tuple(f"{h}/" for h in _HOSTS)):
        return _parse_url(text)
    prefix = _PREFIX.match(text)
    if prefix:
        text = text[prefix.end():]
    return _parse_id(text)


def is_arxiv_id(text: str) -> bool:
    """True for a canonical bare id (``2407.03204``, ``hep-th/9901001v2``) as the API takes it.

    Stricter than :func:`parse_arxiv_ref`: no prefix, no link, no subject class, no
    surrounding space, because callers use it to vet ids before sending them to arXiv.
    """
    if not isinstance(text, str) or len(text) > 40:
        return False
    try:
        ref = _parse_id(text)
    except ArxivIdError:
        return False
    return text in (ref.id, ref.versioned_id)


def _parse_url(text: str) -> ArxivRef:
    if "://" not in text:
        text = "https://" + text
    bad_link = ArxivIdError("id_foreign_link")
    if any(ch.isspace() or ch in "\\<>\"'" for ch in text):
        raise bad_link
    try:
        parts = urlsplit(text)
    except ValueError:
        raise bad_link from None
    # Compare the whole netloc, not ``hostname``: that rejects userinfo ("arxiv.org@evil.com"),
    # ports and look-alike suffixes ("arxiv.org.evil.com") in one go.
    if parts.scheme.lower() not in ("http", "https") or parts.netloc.lower() not in _HOSTS:
        raise bad_link
    match = _URL_PATH.fullmatch(parts.path)
    if match is None:
        raise ArxivIdError("id_link_not_a_paper")
    if match.group("pdf") and match.group("kind") != "pdf":
        raise ArxivIdError("id_link_not_a_paper")
    return _parse_id(match.group("ref"))


def _parse_id(text: str) -> ArxivRef:
    new = _NEW_ID.fullmatch(text)
    if new:
        yymm, num = new.group("yymm"), new.group("num")
        paper_id = f"{yymm}.{num}"
        _check_month(paper_id, yymm)
        # 4-digit numbers ran from 0704 to 1412, 5-digit ones from 1501 on.
        if (len(num) == 4) != (int(yymm) <= 1412) or int(yymm) < 704:
            raise ArxivIdError("id_wrong_length", id=paper_id)
        return ArxivRef(paper_id, _version(new.group("ver")))
    old = _OLD_ID.fullmatch(text)
    if old:
        archive = old.group("archive").lower()
        if archive not in _OLD_ARCHIVES:
            raise ArxivIdError("id_unknown_archive", archive=archive)
        yymm = old.group("yymm")
        # The subject class ("math.GT/...") is not part of the identifier itself.
        paper_id = f"{archive}/{yymm}{old.group('num')}"
        _check_month(paper_id, yymm)
        year = int(yymm[:2])
        if not (year >= 91 or year <= 7):
            raise ArxivIdError("id_old_style_years", id=paper_id)
        return ArxivRef(paper_id, _version(old.group("ver")))
    raise ArxivIdError("id_not_an_id")


def _check_month(paper_id: str, yymm: str) -> None:
    # Safe to echo: the patterns only let ASCII letters, digits, "-", "." and "/" through.
    if not 1 <= int(yymm[2:]) <= 12:
        raise ArxivIdError("id_no_such_month", id=paper_id, month=yymm[2:])


def _version(raw: str | None) -> int | None:
    if raw is None:
        return None
    version = int(raw)
    if version < 1:
        raise ArxivIdError("id_version_zero")
    return version
