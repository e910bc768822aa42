"""arXiv wire formats (API Atom, announcement RSS) to :class:`bot.models.Paper`; no I/O.

Kept apart from the transport so the parsing can be tested on plain strings and the
transport module stays about politeness and retries.

Both formats are read with ElementTree through defusedxml, which keeps text exactly
and refuses DTDs. Not feedparser: it treats the RSS ``<description>`` as HTML (an
abstract such as ``$y(u)<y(v)$`` comes back mangled), and it spends quadratic time
on an entry's authors (5,000 authors in a 5 MB page took 30 s to parse).

Nothing from the wire is trusted: a document with any DTD is refused, every id must
match arXiv's id grammar, and every text field is clipped (:func:`clip_paper`) so a
hostile feed cannot turn one title into a thousand chat messages.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, get_args

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from bot.arxiv.ids import is_arxiv_id
from bot.models import AnnounceType, Paper

__all__ = [
    "ApiPage",
    "FeedError",
    "RssDay",
    "clip",
    "clip_paper",
    "collapse",
    "enrich",
    "parse_api_feed",
    "parse_rss_feed",
    "split_versioned_id",
]

_ARXIV_NS = "{http://arxiv.org/schemas/atom}"
_ATOM = "{http://www.w3.org/2005/Atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
_DC_NS = "{http://purl.org/dc/elements/1.1/}"
_ANNOUNCE_TYPES: frozenset[str] = frozenset(get_args(AnnounceType))
_VERSIONED = re.compile(r"(?P<id>.+?)(?:v(?P<version>[0-9]+))?")
_ABS_PATH = re.compile(r"/abs/(?P<ref>[^?#]+)$")
_DESCRIPTION = re.compile(
    r"\s*arXiv:(?P<ref>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?(?P<abstract>.*)",
    re.DOTALL,
)
# Characters XML 1.0 forbids; one stray control character must not lose a whole day.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Generous for real papers (the longest titles run to ~300 characters, the largest
# collaborations to ~3000 authors), small enough that one paper stays a few messages.
MAX_TITLE = 500
MAX_AUTHORS = 3000
MAX_AUTHOR_NAME = 200
MAX_COMMENT = 1000
MAX_ABSTRACT = 6000
MAX_CATEGORIES = 40
MAX_SHORT = 300  # a category, a license URL


class FeedError(ValueError):
    """The body is not the feed it should be (HTML error page, truncated XML, entity tricks)."""


@dataclass(frozen=True)
class ApiPage:
    """One API response. ``total_results`` lets the caller spot suspiciously empty pages."""

    papers: list[Paper]
    total_results: int | None = None
    start_index: int | None = None
    items_per_page: int | None = None
    errors: list[str] = field(default_factory=list)  # arXiv reports bad input as "Error" entries


@dataclass(frozen=True)
class RssDay:
    """One announcement feed; ``day`` is None when the channel carries no date."""

    day: date | None
    papers: list[Paper]


def collapse(text: str | None) -> str:
    """arXiv wraps titles and abstracts at ~80 columns; users should never see that."""
    return " ".join((text or "").split())


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clip_paper(paper: Paper) -> Paper:
    """Every metadata field cut to a sane length; done when parsing and again when rendering."""
    if (
        len(paper.title) <= MAX_TITLE
        and len(paper.authors) <= MAX_AUTHORS
        and all(len(a) <= MAX_AUTHOR_NAME for a in paper.authors)
        and len(paper.comment or "") <= MAX_COMMENT
        and len(paper.abstract) <= MAX_ABSTRACT
        and len(paper.categories) <= MAX_CATEGORIES
        and all(len(c) <= MAX_SHORT for c in (*paper.categories, paper.primary_category or "", paper.license or ""))
    ):
        return paper
    return replace(
        paper,
        title=clip(paper.title, MAX_TITLE),
        authors=tuple(clip(a, MAX_AUTHOR_NAME) for a in paper.authors[:MAX_AUTHORS]),
        comment=clip(paper.comment, MAX_COMMENT) if paper.comment else paper.comment,
        abstract=clip(paper.abstract, MAX_ABSTRACT),
        categories=tuple(c[:MAX_SHORT] for c in paper.categories[:MAX_CATEGORIES]),
        primary_category=paper.primary_category[:MAX_SHORT] if paper.primary_category else None,
        license=paper.license[:MAX_SHORT] if paper.license else None,
    )


def split_versioned_id(raw: str) -> tuple[str, int | None]:
    """``2407.03204v2`` -> ``("2407.03204", 2)``; works for old-style ``hep-th/9901001v1`` too."""
    match = _VERSIONED.fullmatch(raw.strip())
    assert match is not None  # the pattern matches any non-empty string
    version = match.group("version")
    return match.group("id"), int(version) if version else None


def parse_api_feed(text: str) -> ApiPage:
    """Parse an ``/api/query`` Atom response; error entries go to ``errors``, not ``papers``."""
    root = _parse_document(text, "arXiv API answer")
    entries = root.findall(f"{_ATOM}entry")
    total = _int(root.findtext(f"{_OPENSEARCH}totalResults"))
    if root.tag != f"{_ATOM}feed" or (total is None and not entries):
        raise FeedError("not an arXiv API feed")
    papers: list[Paper] = []
    errors: list[str] = []
    for entry in entries:
        entry_id = entry.findtext(f"{_ATOM}id") or ""
        if "/api/errors" in entry_id or collapse(entry.findtext(f"{_ATOM}title")) == "Error":
            errors.append(collapse(entry.findtext(f"{_ATOM}summary")) or "error")
            continue
        paper = _api_entry(entry)
        if paper is not None:
            papers.append(paper)
    return ApiPage(
        papers=papers,
        total_results=total,
        start_index=_int(root.findtext(f"{_OPENSEARCH}startIndex")),
        items_per_page=_int(root.findtext(f"{_OPENSEARCH}itemsPerPage")),
        errors=errors,
    )


def parse_rss_feed(text: str) -> RssDay:
    """Parse an announcement RSS channel; items keep their announce type and license."""
    root = _parse_document(text, "arXiv RSS")
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise FeedError("not an RSS channel")
    day = _rss_day(channel.findtext("pubDate")) or _rss_day(channel.findtext("lastBuildDate"))
    papers = [p for item in channel.iter("item") if (p := _rss_item(item, day)) is not None]
    return RssDay(day=day, papers=papers)


def enrich(rss: Paper, api: Paper) -> Paper:
    """Combine an announced paper with its API record.

    The API knows comment, primary category, dates and the current version; only the
    RSS knows the license and why the paper was announced today, so those are kept.
    """
    return replace(
        clip_paper(api),
        license=rss.license or api.license,
        announce_type=rss.announce_type,
        announced=rss.announced,
        categories=api.categories or rss.categories,
    )


def _api_entry(entry: ET.Element) -> Paper | None:
    title = collapse(entry.findtext(f"{_ATOM}title"))
    match = _ABS_PATH.search((entry.findtext(f"{_ATOM}id") or "").strip())
    if not title or match is None or not is_arxiv_id(match.group("ref")):  # unknown ids come back as bare entries
        return None
    paper_id, version = split_versioned_id(match.group("ref"))
    primary = entry.find(f"{_ARXIV_NS}primary_category")
    categories = _unique(collapse(c.get("term")) for c in entry.iter(f"{_ATOM}category"))
    license_url = next((link.get("href") for link in entry.iter(f"{_ATOM}link") if link.get("rel") == "license"), None)
    authors = entry.findall(f"{_ATOM}author")[:MAX_AUTHORS]
    return clip_paper(Paper(
        id=paper_id,
        version=version or 1,
        title=title,
        authors=tuple(n for a in authors if (n := collapse(a.findtext(f"{_ATOM}name")))),
        abstract=collapse(entry.findtext(f"{_ATOM}summary")),
        comment=collapse(entry.findtext(f"{_ARXIV_NS}comment")) or None,
        categories=categories,
        primary_category=(collapse(primary.get("term")) or None) if primary is not None else None,
        published=_atom_time(entry.findtext(f"{_ATOM}published")),
        updated=_atom_time(entry.findtext(f"{_ATOM}updated")),
        license=license_url,
    ))


def _rss_item(item: ET.Element, day: date | None) -> Paper | None:
    description = item.findtext("description") or ""
    match = _DESCRIPTION.match(description)
    ref = match.group("ref") if match else None
    if ref is None:
        guid = item.findtext("guid") or ""
        ref = guid.rpartition(":")[2] if guid.startswith("oai:") else None
    if ref is None:
        link = _ABS_PATH.search((item.findtext("link") or "").strip())
        ref = link.group("ref") if link else None
    if not ref or not is_arxiv_id(ref):  # an id off arXiv's grammar could smuggle markup into links
        return None
    paper_id, version = split_versioned_id(ref)
    raw_type = (item.findtext(f"{_ARXIV_NS}announce_type") or (match.group("type") if match else "")).strip()
    creators = item.findtext(f"{_DC_NS}creator") or ""
    return clip_paper(Paper(
        id=paper_id,
        version=version or 1,
        title=collapse(item.findtext("title")),
        authors=tuple(name for part in creators.split(",") if (name := collapse(part))),
        abstract=collapse(match.group("abstract") if match else description),
        categories=_unique(collapse(c.text) for c in item.findall("category")),
        license=collapse(item.findtext(f"{_DC_NS}rights")) or None,
        announce_type=raw_type if raw_type in _ANNOUNCE_TYPES else None,  # type: ignore[arg-type]
        announced=day,
    ))


def _rss_day(raw: str | None) -> date | None:
    """The channel date in arXiv's own zone (US Eastern), not converted to UTC."""
    if not raw:
        return None
    try:
        return parsedate_to_datetime(raw.strip()).date()
    except (TypeError, ValueError, IndexError):
        return None


def _atom_time(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _refuse_entities(text: str) -> None:
    """arXiv never declares a DTD; a body that does, anywhere, is hostile or not from arXiv.

    The whole text is searched (linear time): a long comment must not push the DOCTYPE
    out of sight. defusedxml refuses it too; this check names the problem plainly.
    """
    if "<!ENTITY" in text or "<!DOCTYPE" in text:
        raise FeedError("feed declares a DTD")


def _parse_document(text: str, what: str) -> ET.Element:
    """The XML root; one stray control character must not lose a whole day, so they are dropped and retried."""
    _refuse_entities(text)
    try:
        try:
            return defused_fromstring(text, forbid_dtd=True)
        except ET.ParseError:
            try:
                return defused_fromstring(_XML_INVALID.sub("", text), forbid_dtd=True)
            except ET.ParseError as exc:
                raise FeedError(f"{what} is not valid XML: {exc}") from None
    except DefusedXmlException as exc:
        raise FeedError(f"feed declares a DTD or entities: {exc}") from None


def _unique(values: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _int(value: object) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None
