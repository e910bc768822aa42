"""A fake arXiv on 127.0.0.1 speaking the real wire formats: API Atom, announcement RSS, PDFs.

Tests point ``PAPERBOT_ARXIV_*_URL`` here, script faults (``fake.faults``), and read
``fake.requests`` to check politeness. Run standalone for manual tries::

    python -m tests.fakes.arxiv --port 8701
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import hashlib
import json
import re
import textwrap
import time
import zlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from email.utils import format_datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.models import Paper
from tests.fakes.base import FakeServer

DATA = Path(__file__).parent / "data" / "papers.json"
# Ten real announcement days (June 2026), one gzipped JSON line a listed paper; see their README.
LISTINGS = Path(__file__).resolve().parents[3] / "shared" / "arxiv-listings"
CC_BY = "http://creativecommons.org/licenses/by/4.0/"
ARXIV_LICENSE = "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
EASTERN = ZoneInfo("America/New_York")
_ID = re.compile(r"(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?")
_WORD = re.compile(r"\w+")
_EMPTY = web.RequestKey("empty", bool)
_SHORT = web.RequestKey("short", bool)
_HOSTILE = web.RequestKey("hostile", str)
# arXiv answers 400 for an RSS path naming an archive it does not have; the fake knows arXiv's archives.
ARCHIVES = frozenset(
    [
        "astro-ph", "cond-mat", "cs", "econ", "eess", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math",
        "math-ph", "nlin", "nucl-ex", "nucl-th", "physics", "q-bio", "q-fin", "quant-ph", "stat",
    ]
)
#: An id that breaks out of a Markdown link: what a hostile feed would use to plant a phishing link.
PHISHING_ID = "2407.03204)_[Verify_your_account](https://evil.example/phish"
#: The title length the late-DOCTYPE entity bomb expands to.
BOMB_TITLE_CHARS = 3_000_007


class FakeRequest(NamedTuple):
    path: str
    query: dict[str, str]
    t: float  # ``FakeArxiv.clock()`` at arrival: time.monotonic() unless a test shares its own clock
    host: str = "127.0.0.1"  # the Host header's name, to see whether a redirect was followed


@dataclass
class FakePaper:
    """One arXiv record; mutable so tests can change a comment or bump a version."""

    id: str  # without version
    version: int
    title: str
    authors: list[str]
    summary: str
    published: datetime
    updated: datetime
    primary_category: str
    categories: list[str]
    comment: str = ""
    journal_ref: str = ""
    doi: str = ""
    affiliations: dict[str, list[str]] = field(default_factory=dict)
    license: str = CC_BY

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> FakePaper:
        """From an entry of ``papers.json`` (id with version, ISO timestamps)."""
        bare, _, ver = rec["id"].rpartition("v")
        return cls(
            id=bare, version=int(ver), title=rec["title"], authors=list(rec["authors"]),
            summary=rec["summary"], published=_iso(rec["published"]), updated=_iso(rec["updated"]),
            primary_category=rec["primary_category"], categories=list(rec["categories"]),
            comment=rec.get("comment") or "", journal_ref=rec.get("journal_ref") or "",
            doi=rec.get("doi") or "", affiliations=dict(rec.get("affiliations") or {}),
            license=rec.get("license") or CC_BY,
        )

    @classmethod
    def from_paper(cls, p: Paper) -> FakePaper:
        when = p.published or datetime(2024, 7, 1, tzinfo=UTC)
        return cls(
            id=p.id, version=p.version, title=p.title, authors=list(p.authors), summary=p.abstract,
            published=when, updated=p.updated or when, primary_category=p.primary_category or p.categories[0],
            categories=list(p.categories), comment=p.comment or "", license=p.license or CC_BY,
        )


class FakeArxiv(FakeServer):
    """``GET /api/query``, ``GET /rss/{cats}``, ``GET /pdf/{id}``.

    Faults in ``faults`` are used one per request, in order: an HTTP status such as
    ``"503"`` or ``"429"`` (both with ``Retry-After: retry_after``), ``"empty"`` (a
    well-formed page or channel with no entries), ``"slow"`` (sleep ``slow_seconds``,
    then answer), ``"garbage"`` (an HTML page with status 200), ``"drip"`` (a byte every 0.2 s for
    ``slow_seconds``; a client hanging up is counted in ``hangups``), ``"short"`` (half of an API page's
    entries) and ``"reset"`` (drop the connection);
    ``"ok"`` answers normally, to aim a later fault at a later request.

    Hostile answers, for the hardening tests: ``"late_doctype"`` (the RSS with a long
    comment, then a DTD whose entities blow the first title up to :data:`BOMB_TITLE_CHARS`),
    ``"endless"`` (an RSS body that never ends; ``bytes_sent`` counts what went out),
    ``"gzip_bomb"`` (a gzip body of a few hundred kB that decodes to ``bomb_bytes``),
    ``"redirect_foreign"`` (a 302 to the same fake under the host name ``localhost``),
    ``"redirect_same"`` (a 302 to the same fake under its own address) and
    ``"bad_ids"`` (the RSS with the first item's id replaced by :data:`PHISHING_ID`).
    """

    def __init__(self, papers: Iterable[dict[str, Any] | Paper | FakePaper] | None = None) -> None:
        self.papers: dict[str, FakePaper] = {}
        self.pdfs: dict[str, bytes] = {}
        self.announcements: dict[date, list[tuple[str, str, str | None]]] = {}
        self.day: date | None = None  # the RSS channel's day; None = today (UTC)
        self.weekend = False
        self.faults: deque[str] = deque()
        self.retry_after: float = 1.0
        self.slow_seconds: float = 5.0
        self.requests: list[FakeRequest] = []
        self.max_concurrency = 0
        self.bytes_sent = 0  # by "endless" and "gzip_bomb"
        self.hangups = 0  # "drip" answers the client walked away from before they ended
        self.clock: Callable[[], float] = time.monotonic  # stamps FakeRequest.t
        self.bomb_bytes = 300_000_000
        self._active = 0
        records = json.loads(DATA.read_text(encoding="utf-8")) if papers is None else papers
        for rec in records:
            self.add(rec)
        super().__init__()

    # ------------------------------------------------------------ test controls

    def add(self, paper: dict[str, Any] | Paper | FakePaper) -> FakePaper:
        """Add or replace a paper (keyed by id without version)."""
        if isinstance(paper, dict):
            paper = FakePaper.from_record(paper)
        elif isinstance(paper, Paper):
            paper = FakePaper.from_paper(paper)
        self.papers[paper.id] = paper
        return paper

    def announce(
        self,
        day: date,
        entries: Iterable[tuple[str, str] | tuple[str, str, str]],
        license: str | None = None,
    ) -> None:
        """Make the RSS serve exactly these items for ``day`` (and make ``day`` the current one).

        Each entry is ``(paper_id, announce_type)`` or ``(paper_id, announce_type, license)``;
        ``license`` overrides every paper's own license for this day.
        """
        items: list[tuple[str, str, str | None]] = []
        for entry in entries:
            pid, kind = re.sub(r"v\d+$", "", entry[0]), entry[1]
            items.append((pid, kind, entry[2] if len(entry) > 2 else license))
        self.announcements[day] = items
        self.day = day

    def announce_listing(self, day: date, directory: Path = LISTINGS) -> list[FakePaper]:
        """Serve one real day of ``../shared/arxiv-listings`` as today's announcement.

        Each id is announced once (the file lists a paper under each of its categories);
        an id from before the previous month is an old paper's replacement, as in real listings.
        """
        papers: dict[str, FakePaper] = {}
        with gzip.open(directory / f"{day.isoformat()}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                cats = list(row.get("categories") or ["cs.AI"])
                when = datetime.combine(day - timedelta(days=1), dtime(18, 0), UTC)
                papers.setdefault(row["id"], FakePaper(
                    id=row["id"], version=1, title=" ".join(row["title"].split()), authors=list(row["authors"]),
                    summary=row.get("summary") or "", published=when, updated=when, primary_category=cats[0],
                    categories=cats, comment=row.get("comment") or ""))
        recent = f"{(day.replace(day=1) - timedelta(days=1)):%y%m}"  # the previous month's id prefix
        for paper in papers.values():
            self.add(paper)
        self.announce(day, [(p.id, "new" if p.id[:4] >= recent else "replace") for p in papers.values()])
        return list(papers.values())

    def api_requests(self) -> list[FakeRequest]:
        return [r for r in self.requests if r.path.startswith("/api/")]

    def setup_routes(self, app: web.Application) -> None:
        app.middlewares.append(self._middleware)
        app.router.add_get("/api/query", self._api)
        app.router.add_get("/rss/{cats}", self._rss)
        app.router.add_get("/pdf/{ref:.+}", self._pdf)

    # ------------------------------------------------------------ plumbing

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        self.requests.append(FakeRequest(request.path, dict(request.query), self.clock(),
                                         request.host.rsplit(":", 1)[0]))
        self._active += 1
        self.max_concurrency = max(self.max_concurrency, self._active)
        try:
            fault = self.faults.popleft() if self.faults else None
            if fault == "ok":
                fault = None
            if fault == "slow":
                await asyncio.sleep(self.slow_seconds)
            elif fault is not None and fault.isdigit():
                after = f"{self.retry_after:g}"
                headers = {"Retry-After": after} if fault in ("429", "503") else {}
                return web.Response(status=int(fault), text=f"fake arXiv fault {fault}\n", headers=headers)
            elif fault == "garbage":
                return web.Response(text="<html><body>Something went wrong</body></html>", content_type="text/html")
            elif fault == "drip":  # headers at once, then one byte every 0.2 s: per-read timeouts never fire
                response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
                await response.prepare(request)
                for _ in range(int(self.slow_seconds / 0.2) + 1):
                    try:
                        await response.write(b" ")
                    except ConnectionError:  # the client hung up mid-answer
                        self.hangups += 1
                        return response
                    await asyncio.sleep(0.2)
                return response
            elif fault == "reset":
                assert request.transport is not None
                request.transport.abort()
                return web.Response(status=500)
            elif fault == "endless":
                return await self._endless(request)
            elif fault == "gzip_bomb":
                return self._gzip_bomb()
            elif fault in ("redirect_foreign", "redirect_same"):
                host = "localhost" if fault == "redirect_foreign" else "127.0.0.1"
                return web.Response(status=302, headers={"Location": f"http://{host}:{self.port}{request.path_qs}"})
            request[_HOSTILE] = fault if fault in ("late_doctype", "bad_ids") else ""
            request[_EMPTY] = fault == "empty"
            request[_SHORT] = fault == "short"
            return await handler(request)
        finally:
            self._active -= 1

    # ------------------------------------------------------------ API

    async def _api(self, request: web.Request) -> web.Response:
        q = request.query
        try:
            start = int(q.get("start", "0"))
            max_results = int(q.get("max_results", "10"))
            if start < 0 or max_results < 0:
                raise ValueError
        except ValueError:
            return self._api_error(request, "start and max_results must be non-negative integers")
        ids = [i.strip() for i in q.get("id_list", "").split(",") if i.strip()]
        for raw in ids:
            if not _ID.fullmatch(raw):
                return self._api_error(request, f"incorrect id format for {raw}")
        query = q.get("search_query", "").strip()
        if ids:
            results = [p for p in (self._lookup(i) for i in ids) if p is not None]
        else:
            results = list(self.papers.values()) if query else []
        if query:
            matcher = parse_query(query)
            results = [p for p in results if matcher(p)]
        sort_by, order = q.get("sortBy", "relevance"), q.get("sortOrder", "descending")
        if sort_by in ("submittedDate", "lastUpdatedDate"):
            key = "published" if sort_by == "submittedDate" else "updated"
            results.sort(key=lambda p: getattr(p, key), reverse=order != "ascending")
        end = start + min(max_results, 2000)
        page = [] if request[_EMPTY] or start >= 30000 else results[start:end]
        if request[_SHORT]:
            page = page[: len(page) // 2]
        entries = "".join(_atom_entry(p) for p in page)
        body = self._atom_feed(request, len(results), start, max_results, entries)
        return web.Response(body=body.encode(), content_type="application/atom+xml", charset="utf-8")

    def _lookup(self, raw: str) -> FakePaper | None:
        bare, _, ver = raw.rpartition("v") if re.search(r"v\d+$", raw) else (raw, "", "")
        paper = self.papers.get(bare)
        if paper is None or (ver and int(ver) > paper.version):
            return None
        if ver and int(ver) != paper.version:
            return FakePaper(**{**paper.__dict__, "version": int(ver), "updated": paper.published})
        return paper

    def _atom_feed(self, request: web.Request, total: int, start: int, per_page: int, entries: str) -> str:
        q = request.query
        shown = {"search_query": "", "id_list": "", "start": "0", "max_results": "10"}
        shown = {k: q.get(k, default) for k, default in shown.items()}
        title = "&".join(f"{k}={v}" for k, v in shown.items())
        digest = hashlib.sha1(title.encode()).hexdigest()[:27]
        self_link = "https://arxiv.org/api/query?" + urlencode(shown)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
            'xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
            f"  <id>https://arxiv.org/api/{digest}</id>\n"
            f"  <title>arXiv Query: {escape(title)}</title>\n"
            f"  <updated>{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}</updated>\n"
            f"  <link href={quoteattr(self_link)} type=\"application/atom+xml\"/>\n"
            f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
            f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
            f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
            f"{entries}</feed>\n"
        )

    def _api_error(self, request: web.Request, message: str) -> web.Response:
        anchor = "https://arxiv.org/api/errors#" + re.sub(r"\W+", "_", message)
        entry = (
            f"  <entry>\n    <id>{escape(anchor)}</id>\n    <title>Error</title>\n"
            f"    <summary>{escape(message)}</summary>\n"
            f"    <updated>{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}</updated>\n"
            f"    <link href={quoteattr(anchor)} rel=\"alternate\" type=\"text/html\"/>\n"
            "    <author>\n      <name>arXiv api core</name>\n    </author>\n  </entry>\n"
        )
        body = self._atom_feed(request, 1, 0, 1, entry)
        return web.Response(status=400, body=body.encode(), content_type="application/atom+xml", charset="utf-8")

    # ------------------------------------------------------------ RSS

    async def _rss(self, request: web.Request) -> web.Response:
        cats = [c for c in request.match_info["cats"].split("+") if c]
        unknown = [c for c in cats if c.partition(".")[0] not in ARCHIVES]
        if unknown:
            return web.Response(status=400, text=f"Bad Request: unknown category {unknown[0]}\n")
        day = self.day or datetime.now(UTC).date()
        items: list[tuple[FakePaper, str, str | None]] = []
        if self.announcements.get(day) is not None:
            for pid, kind, lic in self.announcements[day]:
                paper = self.papers.get(pid)
                if paper is not None and set(paper.categories) & set(cats):
                    items.append((paper, kind, lic))
        else:
            for paper in self.papers.values():
                if set(paper.categories) & set(cats):
                    items.append((paper, "new" if paper.primary_category in cats else "cross", None))
            items.sort(key=lambda it: it[1] != "new")
        if self.weekend or request[_EMPTY]:
            items = []
        stamp = format_datetime(datetime.combine(day, dtime(0, 0), EASTERN))
        name = "+".join(cats)
        body = (
            "<?xml version='1.0' encoding='UTF-8'?>\n"
            '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'version="2.0">\n  <channel>\n'
            f"    <title>{escape(name)} updates on arXiv.org</title>\n"
            f"    <link>http://rss.arxiv.org/rss/{escape(name)}</link>\n"
            f"    <description>{escape(name)} updates on the arXiv.org e-print archive.</description>\n"
            f'    <atom:link href="http://rss.arxiv.org/rss/{escape(name)}" rel="self" type="application/rss+xml"/>\n'
            "    <docs>http://www.rssboard.org/rss-specification</docs>\n    <language>en-us</language>\n"
            f"    <lastBuildDate>{stamp}</lastBuildDate>\n    <managingEditor>rss-help@arxiv.org</managingEditor>\n"
            f"    <pubDate>{stamp}</pubDate>\n"
            "    <skipDays>\n      <day>Sunday</day>\n      <day>Saturday</day>\n    </skipDays>\n"
            + "".join(_rss_item(p, kind, lic, stamp) for p, kind, lic in items)
            + "  </channel>\n</rss>\n"
        )
        body = _hostile(body, request.get(_HOSTILE, ""))
        return web.Response(body=body.encode(), content_type="application/rss+xml", charset="utf-8")

    # ------------------------------------------------------------ hostile answers

    async def _endless(self, request: web.Request) -> web.StreamResponse:
        """An RSS body that never ends, until the client hangs up (or 4 GB, as a safety net)."""
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        chunk = b"<item><title>" + b"x" * 65_000 + b"</title></item>\n"
        with contextlib.suppress(ConnectionError, RuntimeError):
            await response.write(b"<?xml version='1.0'?><rss version='2.0'><channel>")
            while self.bytes_sent < 4_000_000_000:
                await response.write(chunk)
                self.bytes_sent += len(chunk)
        return response

    def _gzip_bomb(self) -> web.Response:
        body = _gzip_bomb(self.bomb_bytes)
        self.bytes_sent += len(body)
        return web.Response(body=body, headers={"Content-Type": "application/rss+xml; charset=utf-8",
                                                "Content-Encoding": "gzip"})

    # ------------------------------------------------------------ PDF

    async def _pdf(self, request: web.Request) -> web.Response:
        ref = request.match_info["ref"].removesuffix(".pdf")
        body = self.pdfs.get(ref)
        if body is None and re.search(r"v\d+$", ref):
            body = self.pdfs.get(ref.rpartition("v")[0])
        if body is None or request[_EMPTY]:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=body, content_type="application/pdf")


# ---------------------------------------------------------------- wire formats


def _hostile(body: str, kind: str) -> str:
    """The normal RSS ``body`` turned into one of the hostile variants (``""`` leaves it alone)."""
    if kind == "late_doctype":
        # Past the first 4096 characters: a check that reads only the head misses it.
        dtd = (
            "<!-- " + "padding " * 520 + "-->\n"
            '<!DOCTYPE rss [<!ENTITY a "' + "A" * 100 + '">'
            '<!ENTITY b "' + "&a;" * 100 + '"><!ENTITY c "' + "&b;" * 100 + '">]>\n'
        )
        head, sep, rest = body.partition("?>\n")
        body = head + sep + dtd + rest
        return re.sub(
            r"<item>\n      <title>[^<]*</title>", "<item>\n      <title>&c;&c;&c;1234567</title>", body, count=1
        )
    if kind == "bad_ids":
        match = re.search(r"oai:arXiv.org:(\S+?)v\d+</guid>", body)
        if match:  # the first item's id, in its link, description and guid, in one pass
            body = re.sub(re.escape(match.group(1)) + r"(?:v\d+)?", lambda _: escape(PHISHING_ID), body)
    return body


_BOMBS: dict[int, bytes] = {}


def _gzip_bomb(size: int) -> bytes:
    """An RSS prelude and then ``size`` bytes of one huge title, gzip-compressed (~1000:1)."""
    if size not in _BOMBS:
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        parts = [packer.compress(b"<?xml version='1.0'?><rss version='2.0'><channel><item><title>")]
        block = b"A" * 1_000_000
        for _ in range(size // len(block)):
            parts.append(packer.compress(block))
        parts.append(packer.compress(b"</title></item></channel></rss>"))
        parts.append(packer.flush())
        _BOMBS[size] = b"".join(parts)
    return _BOMBS[size]


def _wrap(text: str) -> str:
    """arXiv hard-wraps long fields; clients must collapse the whitespace."""
    lines = textwrap.wrap(text, 78, break_on_hyphens=False, break_long_words=False)
    return "\n  ".join(lines) if len(text) > 78 else text


def _atom_entry(p: FakePaper) -> str:
    vid = f"{p.id}v{p.version}"
    lines = [
        f"    <id>http://arxiv.org/abs/{vid}</id>",
        f"    <title>{escape(_wrap(p.title))}</title>",
        f"    <updated>{p.updated:%Y-%m-%dT%H:%M:%SZ}</updated>",
        f'    <link href="https://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>',
        f'    <link href="https://arxiv.org/pdf/{vid}" rel="related" type="application/pdf" title="pdf"/>',
    ]
    if p.doi:
        lines.append(f'    <link href={quoteattr("https://doi.org/" + p.doi)} rel="related" title="doi"/>')
    lines.append(f"    <summary>{escape(_wrap(p.summary))}</summary>")
    lines += [f'    <category term={quoteattr(c)} scheme="http://arxiv.org/schemas/atom"/>' for c in p.categories]
    lines.append(f"    <published>{p.published:%Y-%m-%dT%H:%M:%SZ}</published>")
    if p.comment:
        lines.append(f"    <arxiv:comment>{escape(p.comment)}</arxiv:comment>")
    if p.journal_ref:
        lines.append(f"    <arxiv:journal_ref>{escape(p.journal_ref)}</arxiv:journal_ref>")
    if p.doi:
        lines.append(f"    <arxiv:doi>{escape(p.doi)}</arxiv:doi>")
    lines.append(f"    <arxiv:primary_category term={quoteattr(p.primary_category)}/>")
    for name in p.authors:
        affs = "".join(
            f"\n      <arxiv:affiliation>{escape(a)}</arxiv:affiliation>" for a in p.affiliations.get(name, [])
        )
        lines.append(f"    <author>\n      <name>{escape(name)}</name>{affs}\n    </author>")
    return "  <entry>\n" + "\n".join(lines) + "\n  </entry>\n"


def _rss_item(p: FakePaper, kind: str, license: str | None, stamp: str) -> str:
    vid = f"{p.id}v{p.version}"
    cats = "".join(f"      <category>{escape(c)}</category>\n" for c in p.categories)
    return (
        "    <item>\n"
        f"      <title>{escape(p.title)}</title>\n"
        f"      <link>https://arxiv.org/abs/{p.id}</link>\n"
        f"      <description>{escape(f'arXiv:{vid} Announce Type: {kind} ')}\n"
        f"Abstract: {escape(p.summary)}</description>\n"
        f'      <guid isPermaLink="false">oai:arXiv.org:{vid}</guid>\n'
        f"{cats}"
        f"      <pubDate>{stamp}</pubDate>\n"
        f"      <arxiv:announce_type>{escape(kind)}</arxiv:announce_type>\n"
        f"      <dc:rights>{escape(license or p.license)}</dc:rights>\n"
        f"      <dc:creator>{escape(', '.join(p.authors))}</dc:creator>\n"
        "    </item>\n"
    )


# ---------------------------------------------------------------- search_query

_TOKEN = re.compile(
    r'\s*(?:(?P<paren>[()])|(?P<field>\w+):\[(?P<lo>[^\]\s]*)\s+TO\s+(?P<hi>[^\]\s]*)\]'
    r'|(?:(?P<qfield>\w+):)?"(?P<phrase>[^"]*)"|(?P<word>[^\s()"]+))'
)
Matcher = Callable[[FakePaper], bool]


def parse_query(query: str) -> Matcher:
    """Compile arXiv's query language: ``ti: au: abs: co: jr: cat: id: all:``, quoted
    phrases, ``submittedDate:[A TO B]``, ``AND``/``OR``/``ANDNOT`` and parentheses.

    OR binds loosest; adjacent terms are ANDed. Unparseable input matches nothing.
    """
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(query.rstrip()):
        m = _TOKEN.match(query, pos)
        if m is None or m.end() == pos:
            return lambda p: False
        pos = m.end()
        if m["paren"]:
            tokens.append((m["paren"], None))
        elif m["lo"] is not None:
            tokens.append(("term", _range(m["field"], m["lo"], m["hi"])))
        elif m["phrase"] is not None:
            tokens.append(("term", _term(m["qfield"] or "all", m["phrase"])))
        elif m["word"] in ("AND", "OR", "ANDNOT"):
            tokens.append((m["word"], None))
        else:
            fld, sep, value = m["word"].partition(":")
            tokens.append(("term", _term(fld, value) if sep else _term("all", fld)))
    try:
        matcher, rest = _parse_or(tokens)
    except (IndexError, ValueError):
        return lambda p: False
    return matcher if not rest else (lambda p: False)


def _parse_or(tokens: list[tuple[str, Any]]) -> tuple[Matcher, list[tuple[str, Any]]]:
    left, tokens = _parse_and(tokens)
    while tokens and tokens[0][0] == "OR":
        right, tokens = _parse_and(tokens[1:])
        left = _either(left, right)
    return left, tokens


def _parse_and(tokens: list[tuple[str, Any]]) -> tuple[Matcher, list[tuple[str, Any]]]:
    left, tokens = _parse_unary(tokens)
    while tokens and tokens[0][0] in ("AND", "ANDNOT", "term", "("):
        op = tokens[0][0]
        right, tokens = _parse_unary(tokens[1:] if op in ("AND", "ANDNOT") else tokens)
        left = _both(left, _negate(right) if op == "ANDNOT" else right)
    return left, tokens


def _either(a: Matcher, b: Matcher) -> Matcher:
    return lambda p: a(p) or b(p)


def _both(a: Matcher, b: Matcher) -> Matcher:
    return lambda p: a(p) and b(p)


def _negate(a: Matcher) -> Matcher:
    return lambda p: not a(p)


def _parse_unary(tokens: list[tuple[str, Any]]) -> tuple[Matcher, list[tuple[str, Any]]]:
    kind, value = tokens[0]
    if kind == "(":
        inner, rest = _parse_or(tokens[1:])
        if not rest or rest[0][0] != ")":
            raise ValueError("unbalanced parentheses")
        return inner, rest[1:]
    if kind != "term":
        raise ValueError(f"unexpected {kind}")
    return value, tokens[1:]


def _fields(p: FakePaper, name: str) -> list[str]:
    table = {
        "ti": [p.title], "au": p.authors, "abs": [p.summary], "co": [p.comment],
        "jr": [p.journal_ref], "id": [p.id, f"{p.id}v{p.version}"],
    }
    if name == "all":
        return [p.title, *p.authors, p.summary, p.comment, p.journal_ref]
    return table.get(name, [])


def _term(name: str, value: str) -> Matcher:
    if name == "cat":
        want = value.lower()
        if want.endswith("*"):
            return lambda p: any(c.lower().startswith(want[:-1]) for c in p.categories)
        return lambda p: want in (c.lower() for c in p.categories)
    wanted = _WORD.findall(value.lower())
    prefix = value.endswith("*")
    if not wanted:
        return lambda p: False

    def match(p: FakePaper) -> bool:
        for text in _fields(p, name):
            words = _WORD.findall(text.lower())
            for i in range(len(words) - len(wanted) + 1):
                window = words[i : i + len(wanted)]
                if window[:-1] == wanted[:-1] and (
                    window[-1].startswith(wanted[-1]) if prefix else window[-1] == wanted[-1]
                ):
                    return True
        return False

    return match


def _range(name: str, lo: str, hi: str) -> Matcher:
    attr = {"submittedDate": "published", "lastUpdatedDate": "updated"}.get(name)
    if attr is None:
        return lambda p: False
    low, high = lo.ljust(12, "0"), hi.ljust(12, "9")
    return lambda p: low <= f"{getattr(p, attr):%Y%m%d%H%M}" <= high


def _iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# ---------------------------------------------------------------- standalone


async def _serve(host: str, port: int) -> None:
    fake = FakeArxiv()
    runner = web.AppRunner(fake.app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = getattr(site._server, "sockets", None)  # aiohttp has no public accessor for the bound port
    fake.port = sockets[0].getsockname()[1] if sockets else port
    print(f"fake arXiv at http://{host}:{fake.port} (api /api/query, rss /rss/CATS, pdf /pdf/ID)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a fake arXiv (API, RSS, PDF) for manual runs.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8701)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port))


if __name__ == "__main__":
    main()
