"""arXiv's wire formats parse into Papers without losing text, dates or provenance."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from bot.arxiv.feeds import FeedError, enrich, parse_api_feed, parse_rss_feed, split_versioned_id
from tests.fakes.arxiv import FakeArxiv

DATA = Path(__file__).parent / "fakes" / "data" / "papers.json"
RECORDS = {r["id"].rpartition("v")[0]: r for r in json.loads(DATA.read_text("utf-8"))}

RSS_HEAD = """<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">
<channel><title>cs.CG updates on arXiv.org</title><link>http://rss.arxiv.org/rss/cs.CG</link>
<pubDate>{pub}</pubDate>
"""


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeArxiv]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = FakeArxiv()
    await server.start()
    yield server
    await server.stop()


async def _get(url: str, **params: str) -> str:
    async with httpx.AsyncClient() as client:
        return (await client.get(url, params=params)).text


async def test_api_entries_parse_to_papers_with_collapsed_text_and_aware_dates(fake: FakeArxiv) -> None:
    page = parse_api_feed(await _get(fake.url + "/api/query", id_list="2407.21002,hep-ex/0406020v1,2509.05540"))
    by_id = {p.id: p for p in page.papers}
    assert page.total_results == 3 and page.errors == []
    xhand = by_id["2407.21002"]
    assert xhand.title == "XHand: Real-time Expressive Hand Avatar"
    assert xhand.abstract == RECORDS["2407.21002"]["summary"]  # wrapped on the wire, whole again here
    assert "https://github.com/agnJason/XHand" in xhand.abstract
    assert xhand.authors == ("Qijun Gan", "Zijie Zhou", "Jianke Zhu")
    assert xhand.version == 1 and xhand.primary_category == "cs.CV" and xhand.categories == ("cs.CV",)
    assert xhand.published == datetime(2024, 7, 30, 17, 3, 12, tzinfo=UTC)
    assert xhand.comment is None and xhand.license is None and xhand.announce_type is None
    assert by_id["hep-ex/0406020"].version == 1
    assert by_id["2509.05540"].comment == RECORDS["2509.05540"]["comment"]


async def test_api_error_entries_are_reported_not_turned_into_papers(fake: FakeArxiv) -> None:
    page = parse_api_feed(await _get(fake.url + "/api/query", id_list="1234.5"))
    assert page.papers == [] and page.errors == ["incorrect id format for 1234.5"]


def test_html_instead_of_atom_is_a_feed_error() -> None:
    with pytest.raises(FeedError):
        parse_api_feed("<html><body>Rate exceeded.</body></html>")
    with pytest.raises(FeedError):
        parse_rss_feed("<html><body>Rate exceeded.</body></html>")


def test_entity_declarations_are_refused() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><rss><channel/></rss>'
    with pytest.raises(FeedError):
        parse_rss_feed(bomb)
    with pytest.raises(FeedError):
        parse_api_feed(bomb.replace("rss", "feed"))


def test_rss_abstract_keeps_math_and_ampersands_exactly() -> None:
    # feedparser would treat the description as HTML and eat "<γ(v)$ ..." up to the next ">".
    text = RSS_HEAD.format(pub="Fri, 05 Jul 2024 00:00:00 -0400") + """<item>
<title>Maps &amp; V&amp;V for $x&lt;y$</title><link>https://arxiv.org/abs/1309.0683</link>
<description>arXiv:1309.0683v1 Announce Type: new
Abstract: with $\u03b3(u)&lt;\u03b3(v)$, it holds $y(u)&lt;y(v)$. V&amp;V &lt;b&gt;ok&lt;/b&gt;</description>
<guid isPermaLink="false">oai:arXiv.org:1309.0683v1</guid><category>cs.CG</category><category>cs.DM</category>
<arxiv:announce_type>new</arxiv:announce_type><dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
<dc:creator>Ana Ab, Bo Bc</dc:creator></item></channel></rss>"""
    feed = parse_rss_feed(text)
    [paper] = feed.papers
    assert paper.title == "Maps & V&V for $x<y$"
    assert paper.abstract == "with $\u03b3(u)<\u03b3(v)$, it holds $y(u)<y(v)$. V&V <b>ok</b>"
    assert paper.authors == ("Ana Ab", "Bo Bc")
    assert paper.categories == ("cs.CG", "cs.DM")
    assert (paper.id, paper.version, paper.announce_type) == ("1309.0683", 1, "new")


def test_rss_day_is_the_channel_date_in_arxiv_time_not_utc() -> None:
    text = RSS_HEAD.format(pub="Thu, 04 Jul 2024 20:00:00 -0400") + "</channel></rss>"
    assert parse_rss_feed(text).day == date(2024, 7, 4)
    assert parse_rss_feed(RSS_HEAD.format(pub="") + "</channel></rss>").day is None


def test_rss_with_a_stray_control_character_still_parses() -> None:
    text = RSS_HEAD.format(pub="Fri, 05 Jul 2024 00:00:00 -0400") + """<item><title>T\x0b</title>
<link>https://arxiv.org/abs/2407.03204</link><description>arXiv:2407.03204v2 Announce Type: replace
Abstract: A.</description></item></channel></rss>"""
    [paper] = parse_rss_feed(text).papers
    assert (paper.id, paper.version, paper.announce_type, paper.title) == ("2407.03204", 2, "replace", "T")


async def test_fake_rss_round_trips_license_announce_type_and_authors(fake: FakeArxiv) -> None:
    nc = "http://creativecommons.org/licenses/by-nc-sa/4.0/"
    fake.announce(date(2024, 7, 5), [("2407.03204", "new"), ("2407.19593v2", "replace")], license=nc)
    feed = parse_rss_feed(await _get(fake.url + "/rss/cs.CV"))
    assert feed.day == date(2024, 7, 5)
    kinds = [(p.id, p.version, p.announce_type) for p in feed.papers]
    assert kinds == [("2407.03204", 1, "new"), ("2407.19593", 2, "replace")]
    assert {p.license for p in feed.papers} == {nc}
    assert feed.papers[0].authors == tuple(RECORDS["2407.03204"]["authors"])
    assert feed.papers[0].abstract == RECORDS["2407.03204"]["summary"]
    assert all(p.announced == date(2024, 7, 5) for p in feed.papers)


async def test_enrich_takes_api_facts_but_keeps_rss_provenance(fake: FakeArxiv) -> None:
    fake.papers["2407.21002"].comment = "Accepted to TVCG"
    fake.announce(date(2024, 8, 5), [("2407.21002", "new")], license="http://creativecommons.org/publicdomain/zero/1.0/")
    [rss] = parse_rss_feed(await _get(fake.url + "/rss/cs.CV")).papers
    [api] = parse_api_feed(await _get(fake.url + "/api/query", id_list="2407.21002")).papers
    merged = enrich(rss, api)
    assert merged.comment == "Accepted to TVCG" and merged.primary_category == "cs.CV"
    assert merged.license == "http://creativecommons.org/publicdomain/zero/1.0/"
    assert merged.announce_type == "new" and merged.announced == date(2024, 8, 5)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2407.03204v12", ("2407.03204", 12)),
        ("2407.03204", ("2407.03204", None)),
        ("hep-th/9901001v1", ("hep-th/9901001", 1)),
    ],
)
def test_split_versioned_id(raw: str, expected: tuple[str, int | None]) -> None:
    assert split_versioned_id(raw) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('ti:"hand avatar" ANDNOT cat:cs.SE', {"2407.21002"}),
        ("au:Pavlakos AND all:gaussian", {"2407.03204"}),
        ("(cat:cs.CV OR cat:cs.GR) AND submittedDate:[202407010000 TO 202407032359]", {"2407.03204", "2407.02165"}),
        ("cat:cs.CV AND abs:github ANDNOT ti:XHand", {"2407.03204", "2407.19593"}),  # github.io pages
        ("ti:avatar* AND cat:cs.CV", {"2407.03204", "2407.02165", "2407.21047", "2407.21002", "2407.19593"}),
        ("ti:(unbalanced", set()),
    ],
)
async def test_fake_arxiv_understands_the_query_language(fake: FakeArxiv, query: str, expected: set[str]) -> None:
    page = parse_api_feed(await _get(fake.url + "/api/query", search_query=query, max_results="50"))
    assert {p.id for p in page.papers} == expected
