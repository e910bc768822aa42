"""arXiv wire formats (API Atom, announcement RSS) to :class:`bot.models.Paper`; no I/O.

Kept apart from the transport so the parsing can be tested on plain strings and the
transport module stays about politeness and retries.

The two formats need different parsers. The API's Atom marks every text field as
plain text, so feedparser returns it losslessly. The RSS ``<description>`` is
treated by feedparser as HTML: an abstract such as ``$y(u)<y(v)$`` comes back
mangled. So the RSS is read with ElementTree, which keeps the text exactly.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, get_args

import feedparser

from bot.models import AnnounceType, Paper

__all__ = [
    "ApiPage",
    "FeedError",
    "RssDay",
    "collapse",
    "enrich",
    "parse_api_feed",
    "parse_rss_feed",
    "split_versioned_id",
]

_ARXIV_NS = "{http://arxiv.org/schemas/atom}"
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


def split_versioned_id(raw: str) -> tuple[str, int | None]:
    """``2407.03204v2`` -> ``("2407.03204", 2)``; works for old-style ``hep-th/9901001v1`` too."""
    match = _VERSIONED.fullmatch(raw.strip())
    assert match is not None  # the pattern matches any non-empty string
    version = match.group("version")
    return match.group("id"), int(version) if version else None


def parse_api_feed(text: str) -> ApiPage:
    """Parse an ``/api/query`` Atom response; error entries go to ``errors``, not ``papers``."""
    _refuse_entities(text)
    parsed = feedparser.parse(text, sanitize_html=False, resolve_relative_uris=False)
    meta = parsed.get("feed", {})
    total = _int(meta.get("opensearch_totalresults"))
    if total is None and not parsed.entries:
        raise FeedError("not an arXiv API feed")
    papers: list[Paper] = []
    errors: list[str] = []
    for entry in parsed.entries:
        entry_id = str(entry.get("id", ""))
        if "/api/errors" in entry_id or collapse(entry.get("title")) == "Error":
            errors.append(collapse(entry.get("summary")) or "error")
            continue
        paper = _api_entry(entry)
        if paper is not None:
            papers.append(paper)
    return ApiPage(
        papers=papers,
        total_results=total,
        start_index=_int(meta.get("opensearch_startindex")),
        items_per_page=_int(meta.get("opensearch_itemsperpage")),
        errors=errors,
    )


def parse_rss_feed(text: str) -> RssDay:
    """Parse an announcement RSS channel; items keep their announce type and license."""
    _refuse_entities(text)
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        try:
            root = ET.fromstring(_XML_INVALID.sub("", text))
        except ET.ParseError as exc:
            raise FeedError(f"arXiv RSS is not valid XML: {exc}") from None
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
        api,
        license=rss.license or api.license,
        announce_type=rss.announce_type,
        announced=rss.announced,
        categories=api.categories or rss.categories,
    )


def _api_entry(entry: Any) -> Paper | None:
    title = collapse(entry.get("title"))
    match = _ABS_PATH.search(str(entry.get("id", "")))
    if not title or match is None:  # ids that do not exist come back as bare entries
        return None
    paper_id, version = split_versioned_id(match.group("ref"))
    primary = entry.get("arxiv_primary_category") or {}
    categories = _unique(str(tag.get("term", "")) for tag in entry.get("tags", []))
    license_url = next(
        (link.get("href") for link in entry.get("links", []) if link.get("rel") == "license"), None
    )
    return Paper(
        id=paper_id,
        version=version or 1,
        title=title,
        authors=tuple(n for a in entry.get("authors", []) if (n := collapse(a.get("name")))),
        abstract=collapse(entry.get("summary")),
        comment=collapse(entry.get("arxiv_comment")) or None,
        categories=categories,
        primary_category=(primary.get("term") if isinstance(primary, dict) else None) or None,
        published=_atom_time(entry, "published"),
        updated=_atom_time(entry, "updated"),
        license=license_url,
    )


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
    if not ref:
        return None
    paper_id, version = split_versioned_id(ref)
    raw_type = (item.findtext(f"{_ARXIV_NS}announce_type") or (match.group("type") if match else "")).strip()
    creators = item.findtext(f"{_DC_NS}creator") or ""
    return Paper(
        id=paper_id,
        version=version or 1,
        title=collapse(item.findtext("title")),
        authors=tuple(name for part in creators.split(",") if (name := collapse(part))),
        abstract=collapse(match.group("abstract") if match else description),
        categories=_unique(collapse(c.text) for c in item.findall("category")),
        license=collapse(item.findtext(f"{_DC_NS}rights")) or None,
        announce_type=raw_type if raw_type in _ANNOUNCE_TYPES else None,  # type: ignore[arg-type]
        announced=day,
    )


def _rss_day(raw: str | None) -> date | None:
    """The channel date in arXiv's own zone (US Eastern), not converted to UTC."""
    if not raw:
        return None
    try:
        return parsedate_to_datetime(raw.strip()).date()
    except (TypeError, ValueError, IndexError):
        return None


def _atom_time(entry: Any, key: str) -> datetime | None:
    raw = entry.get(key)
    if raw:
        try:
            value = datetime.fromisoformat(str(raw).strip())
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        except ValueError:
            pass
    parsed: time.struct_time | None = entry.get(f"{key}_parsed")
    return datetime(*parsed[:6], tzinfo=UTC) if parsed else None


def _refuse_entities(text: str) -> None:
    # arXiv never declares entities; a body that does is hostile or not from arXiv.
    if "<!ENTITY" in text[:4096] or "<!DOCTYPE" in text[:4096]:
        raise FeedError("feed declares a DTD")


def _unique(values: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _int(value: object) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None
