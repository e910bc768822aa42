"""ArxivSource against the fake arXiv: complete answers, politeness, retries, honest errors."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.arxiv.source import ArxivError, ArxivSource, ArxivUnavailable, Politeness
from bot.config import Settings
from tests.fakes.arxiv import FakeArxiv, FakeRequest

RECORDS: list[dict[str, Any]] = json.loads((Path(__file__).parent / "fakes/data/papers.json").read_text("utf-8"))
CV_IDS = ["2407.03204", "2407.02165", "2407.21047", "2407.21002", "2407.19593"]
DAY = date(2024, 7, 5)
FAST = 0.02  # delay for tests that are not about spacing
SPACED = 3.0  # arXiv's own minimum; free under VirtualTime
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
async def fake() -> AsyncIterator[FakeArxiv]:
    server = FakeArxiv()
    server.retry_after = 0.05
    server.slow_seconds = 0.6
    await server.start()
    yield server
    await server.stop()


def settings_for(fake: FakeArxiv, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"arxiv_delay_seconds": FAST, "arxiv_retries": 3, "arxiv_timeout_seconds": 5.0}
    values.update(overrides)
    return Settings(
        arxiv_api_url=fake.url + "/api/query",
        arxiv_rss_url=fake.url + "/rss",
        arxiv_pdf_url=fake.url + "/pdf",
        _env_file=None,  # type: ignore[call-arg]
        **values,
    )


@pytest.fixture
async def source(fake: FakeArxiv) -> AsyncIterator[ArxivSource]:
    async with ArxivSource(settings_for(fake)) as src:
        yield src


def id_lists(fake: FakeArxiv) -> list[list[str]]:
    return [r.query["id_list"].split(",") for r in fake.api_requests() if "id_list" in r.query]


def gaps(requests: list[FakeRequest]) -> list[float]:
    return [b.t - a.t for a, b in itertools.pairwise(requests)]


class VirtualTime:
    """A monotonic clock that moves only when the limiter sleeps, shared with the fake.

    The fake stamps each arrival with it, so the gaps it sees are exactly what the
    limiter waited for, however loaded the machine is, and long waits cost no real time.
    """

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds
        await asyncio.sleep(0)


def virtual_source(fake: FakeArxiv, **overrides: Any) -> tuple[ArxivSource, VirtualTime]:
    settings = settings_for(fake, **overrides)
    clock = VirtualTime()
    fake.clock = clock.clock
    politeness = Politeness(settings.arxiv_delay_seconds, clock=clock.clock, sleep=clock.sleep)
    return ArxivSource(settings, politeness=politeness), clock


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """A guard against hanging, not a timing: polls until ``check`` holds."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


# ------------------------------------------------------------------ today's announcement


async def test_comments_filled_by_batched_id_list(fake: FakeArxiv) -> None:
    fake.papers["2407.21002"].comment = "Accepted to IEEE TVCG. Code: https://github.com/agnJason/XHand"
    fake.announce(DAY, [(pid, "new") for pid in CV_IDS])
    async with ArxivSource(settings_for(fake, arxiv_batch_size=2)) as src:
        day = await src.todays_papers(["cs.CV"])
    assert [p.id for p in day.papers] == CV_IDS and not day.no_announcement
    assert src.stats.rss_requests == 1 and src.stats.api_requests == 3 and src.stats.retries == 0
    assert id_lists(fake) == [CV_IDS[0:2], CV_IDS[2:4], CV_IDS[4:]]
    assert {r.query["max_results"] for r in fake.api_requests()} == {"2"}
    xhand = next(p for p in day.papers if p.id == "2407.21002")
    assert xhand.comment == "Accepted to IEEE TVCG. Code: https://github.com/agnJason/XHand"
    assert "https://github.com/agnJason/XHand" in xhand.abstract
    assert xhand.primary_category == "cs.CV"
    assert xhand.published is not None and xhand.published.tzinfo is not None
    assert next(p for p in day.papers if p.id == "2407.19593").version == 2


async def test_one_rss_request_covers_all_categories(fake: FakeArxiv, source: ArxivSource) -> None:
    fake.day = DAY
    day = await source.todays_papers(["cs.GR", "cs.CV", "cs.GR", "cs.AI"])
    assert [r.path for r in fake.requests if r.path.startswith("/rss")] == ["/rss/cs.AI+cs.CV+cs.GR"]
    ids = {p.id for p in day.papers}
    assert set(CV_IDS) <= ids and "2502.09460" in ids  # cs.SE paper cross-listed to cs.AI and cs.CV
    assert next(p for p in day.papers if p.id == "2502.09460").announce_type == "cross"


async def test_rss_license_and_announce_type_kept(fake: FakeArxiv, source: ArxivSource) -> None:
    nc = "http://creativecommons.org/licenses/by-nc-sa/4.0/"
    arxiv_only = "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    fake.announce(DAY, [("2407.03204", "new"), ("2407.21002", "new", arxiv_only)], license=nc)
    day = await source.todays_papers(["cs.CV"])
    licenses = {p.id: p.license for p in day.papers}
    assert licenses == {"2407.03204": nc, "2407.21002": arxiv_only}
    assert all(p.announce_type == "new" and p.announced == DAY for p in day.papers)
    assert all(p.comment is None or isinstance(p.comment, str) for p in day.papers)


async def test_replacements_are_flagged(fake: FakeArxiv, source: ArxivSource) -> None:
    fake.announce(
        DAY,
        [("2407.03204", "new"), ("2502.09460", "cross"), ("2407.19593v2", "replace"), ("2103.02870", "replace-cross")],
    )
    day = await source.todays_papers(["cs.CV"])
    kinds = {p.id: (p.announce_type, p.is_replacement) for p in day.papers}
    assert kinds == {
        "2407.03204": ("new", False),
        "2502.09460": ("cross", False),
        "2407.19593": ("replace", True),
        "2103.02870": ("replace-cross", True),
    }


async def test_duplicate_rss_items_are_returned_once(fake: FakeArxiv, source: ArxivSource) -> None:
    fake.announce(DAY, [("2407.03204", "new"), ("2407.03204", "new"), ("2407.21002", "new")])
    day = await source.todays_papers(["cs.CV"])
    assert [p.id for p in day.papers] == ["2407.03204", "2407.21002"]
    assert id_lists(fake) == [["2407.03204", "2407.21002"]]


async def test_weekend_feed_reports_no_announcement(fake: FakeArxiv, source: ArxivSource) -> None:
    fake.day, fake.weekend = date(2024, 7, 6), True
    day = await source.todays_papers(["cs.CV"], today=date(2024, 7, 7))
    assert (day.day, day.papers, day.no_announcement) == (date(2024, 7, 6), [], True)
    assert fake.api_requests() == []


async def test_announcement_day_comes_from_the_channel_not_the_clock(fake: FakeArxiv, source: ArxivSource) -> None:
    fake.announce(date(2024, 8, 5), [("2407.21002", "new")])
    day = await source.todays_papers(["cs.CV"], today=date(2030, 1, 1))
    assert day.day == date(2024, 8, 5) and day.papers[0].announced == date(2024, 8, 5)


async def test_empty_first_id_list_page_is_retried_during_enrichment(fake: FakeArxiv, source: ArxivSource) -> None:
    fake.announce(DAY, [("2407.21002", "new")])
    fake.papers["2407.21002"].comment = "14 pages"
    fake.faults.extend(["ok", "empty"])
    day = await source.todays_papers(["cs.CV"])
    assert day.papers[0].comment == "14 pages"
    assert source.stats.retries == 1 and source.stats.api_requests == 2


async def test_enrichment_outage_still_returns_the_announced_papers(fake: FakeArxiv) -> None:
    fake.announce(DAY, [("2407.21002", "new")], license="http://creativecommons.org/licenses/by/4.0/")
    fake.faults.extend(["ok", "503", "503"])
    async with ArxivSource(settings_for(fake, arxiv_retries=1)) as src:
        day = await src.todays_papers(["cs.CV"])
    [paper] = day.papers
    assert paper.title == "XHand: Real-time Expressive Hand Avatar" and paper.announce_type == "new"
    assert paper.license == "http://creativecommons.org/licenses/by/4.0/" and paper.comment is None


# ------------------------------------------------------------------ retries


async def test_source_retries_503_and_returns_complete_results(fake: FakeArxiv, source: ArxivSource) -> None:
    fake.faults.extend(["503", "500", "502"])
    papers = await source.papers_by_ids(CV_IDS)
    assert [p.id for p in papers] == CV_IDS
    assert source.stats.retries == 3 and source.stats.api_requests == 4


@pytest.mark.parametrize("fault", ["reset", "garbage", "slow"])
async def test_transport_failures_are_retried(fake: FakeArxiv, fault: str) -> None:
    fake.faults.append(fault)
    async with ArxivSource(settings_for(fake, arxiv_timeout_seconds=0.3)) as src:
        papers = await src.papers_by_ids(["2407.21002"])
    assert [p.id for p in papers] == ["2407.21002"] and src.stats.retries == 1


async def test_rss_failures_are_retried_too(fake: FakeArxiv, source: ArxivSource) -> None:
    fake.announce(DAY, [("2407.03204", "new")])
    fake.faults.extend(["503", "garbage"])
    day = await source.todays_papers(["cs.CV"])
    assert [p.id for p in day.papers] == ["2407.03204"] and source.stats.rss_requests == 3


async def test_retry_after_is_honoured(fake: FakeArxiv) -> None:
    fake.retry_after = 7.0  # far longer than the back-off the client would pick by itself
    fake.faults.append("429")
    src, clock = virtual_source(fake)
    async with src:
        await src.papers_by_ids(["2407.03204"])
    [gap] = gaps(fake.requests)
    assert clock.slept == [7.0] and gap == pytest.approx(7.0)


async def test_gives_up_with_a_message_for_users(fake: FakeArxiv) -> None:
    fake.faults.extend(["503"] * 3)
    async with ArxivSource(settings_for(fake, arxiv_retries=2)) as src:
        with pytest.raises(ArxivUnavailable, match="arXiv did not answer after 3 tries"):
            await src.papers_submitted(["cs.CV"], date(2024, 7, 1), date(2024, 7, 31))
    assert src.stats.api_requests == 3 and src.stats.retries == 2


async def test_client_errors_are_not_retried(fake: FakeArxiv, source: ArxivSource) -> None:
    fake.faults.append("403")
    with pytest.raises(ArxivError, match="HTTP 403"):
        await source.papers_by_ids(["2407.03204"])
    assert source.stats.api_requests == 1 and source.stats.retries == 0


# ------------------------------------------------------------------ politeness


async def test_requests_are_spaced_by_configured_delay(fake: FakeArxiv) -> None:
    fake.announce(DAY, [(pid, "new") for pid in CV_IDS])
    fake.pdfs["2407.03204"] = PDF
    src, _ = virtual_source(fake, arxiv_delay_seconds=SPACED, arxiv_batch_size=2)
    async with src:
        await asyncio.gather(
            src.todays_papers(["cs.CV"]),
            src.papers_by_ids(["2407.21002", "2509.05540"]),
            src.fetch_pdf("2407.03204"),
            src.papers_submitted(["cs.CV"], date(2024, 7, 1), date(2024, 7, 31)),
        )
    assert len(fake.requests) == 1 + 3 + 1 + 1 + 3  # rss, enrichment, ids, pdf, 3 search pages
    assert fake.max_concurrency == 1
    assert gaps(fake.requests) == pytest.approx([SPACED] * 8)
    assert ArxivSource(settings_for(fake, arxiv_delay_seconds=SPACED)).politeness.delay == SPACED


async def test_only_one_request_in_flight_while_arxiv_is_slow(fake: FakeArxiv, source: ArxivSource) -> None:
    fake.slow_seconds = 0.3
    fake.faults.append("slow")  # the first request takes far longer than the delay
    fake.pdfs["2407.03204"] = PDF
    await asyncio.gather(
        source.papers_by_ids(["2407.21002"]), source.fetch_pdf("2407.03204"), source.papers_by_ids(["2407.03204"])
    )
    assert fake.max_concurrency == 1 and len(fake.requests) == 3  # the others waited for the slow first to finish


def test_politeness_spaces_starts_and_defers_everyone() -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    async def scenario() -> list[float]:
        limiter = Politeness(3.0, clock=lambda: now[0], sleep=sleep)
        starts = []
        for _ in range(3):
            async with limiter.slot():
                starts.append(now[0])
                now[0] += 0.5  # the request itself takes time; spacing counts from its start
        limiter.defer(10.0)
        async with limiter.slot():
            starts.append(now[0])
        return starts

    starts = asyncio.run(scenario())
    assert starts == [100.0, 103.0, 106.0, 116.5]
    assert slept == [2.5, 2.5, 10.0]


# ------------------------------------------------------------------ lookups and search


async def test_papers_by_ids_batches_and_skips_unknown_and_malformed(fake: FakeArxiv) -> None:
    async with ArxivSource(settings_for(fake, arxiv_batch_size=2)) as src:
        papers = await src.papers_by_ids(
            ["2407.21002", "not-an-id", "2407.99999", "hep-ex/0406020", "2407.19593v1", "https://evil.com/x"]
        )
    assert [(p.id, p.version) for p in papers] == [("2407.21002", 1), ("hep-ex/0406020", 1), ("2407.19593", 1)]
    assert id_lists(fake) == [["2407.21002", "2407.99999"], ["hep-ex/0406020", "2407.19593v1"]]


async def test_unknown_id_alone_is_simply_absent(fake: FakeArxiv, source: ArxivSource) -> None:
    assert await source.papers_by_ids(["2407.99999"]) == []
    assert await source.papers_by_ids([]) == []
    assert source.stats.api_requests == 1


async def test_papers_submitted_pages_through_everything(fake: FakeArxiv) -> None:
    start, end = date(2020, 1, 1), date(2026, 12, 31)
    expected = sorted(
        (r for r in RECORDS if "cs.SE" in r["categories"] and r["published"][:4] >= "2020"),
        key=lambda r: r["published"],
    )
    async with ArxivSource(settings_for(fake, arxiv_batch_size=10)) as src:
        papers = await src.papers_submitted(["cs.SE"], start, end)
    assert [p.versioned_id for p in papers] == [r["id"] for r in expected]
    pages = fake.api_requests()
    assert len(pages) == -(-len(expected) // 10)
    assert pages[0].query == {
        "search_query": "(cat:cs.SE) AND submittedDate:[202001010000 TO 202612312359]",
        "start": "0",
        "max_results": "10",
        "sortBy": "submittedDate",
        "sortOrder": "ascending",
    }
    assert [int(r.query["start"]) for r in pages] == list(range(0, len(expected), 10))


async def test_empty_search_page_is_retried_not_taken_as_no_papers(fake: FakeArxiv, source: ArxivSource) -> None:
    fake.faults.append("empty")
    papers = await source.papers_submitted(["cs.GR", "cs.CV"], date(2024, 7, 1), date(2024, 7, 31))
    assert sorted(p.id for p in papers) == sorted(CV_IDS)
    assert source.stats.retries == 1
    assert fake.api_requests()[0].query["search_query"].startswith("(cat:cs.CV OR cat:cs.GR) AND ")


async def test_bad_category_rejected_before_any_request(fake: FakeArxiv, source: ArxivSource) -> None:
    for bad in (["cs.CV) OR (all:x"], ["cs.CV&id_list=1"], []):
        with pytest.raises(ValueError):
            await source.todays_papers(bad)
    assert fake.requests == []


# ------------------------------------------------------------------ PDFs


async def test_fetch_pdf_returns_bytes_for_a_version(fake: FakeArxiv, source: ArxivSource) -> None:
    fake.pdfs["2407.21002v1"] = PDF
    assert await source.fetch_pdf("2407.21002", version=1) == PDF
    assert fake.requests[-1].path == "/pdf/2407.21002v1" and source.stats.pdf_requests == 1


async def test_fetch_pdf_errors_are_clear_and_not_retried_needlessly(fake: FakeArxiv, source: ArxivSource) -> None:
    fake.pdfs["2407.03204"] = PDF + b"x" * 10_000
    fake.pdfs["2407.02165"] = b"<html>PDF is being generated</html>"
    with pytest.raises(ArxivError, match="no PDF"):
        await source.fetch_pdf("2407.21002")
    with pytest.raises(ArxivError, match="larger than"):
        await source.fetch_pdf("2407.03204", max_bytes=5_000)
    with pytest.raises(ArxivError, match="did not return a PDF"):
        await source.fetch_pdf("2407.02165")
    with pytest.raises(ArxivError):
        await source.fetch_pdf("../../etc/passwd")
    assert source.stats.pdf_requests == 3 and source.stats.retries == 0


async def test_fetch_pdf_retries_server_errors_and_timeouts(fake: FakeArxiv) -> None:
    fake.pdfs["hep-ex/0406020"] = PDF
    fake.faults.extend(["503", "slow"])
    async with ArxivSource(settings_for(fake, arxiv_timeout_seconds=0.3)) as src:
        assert await src.fetch_pdf("hep-ex/0406020") == PDF
    assert src.stats.pdf_requests == 3 and src.stats.retries == 2



async def test_empty_feed_on_a_listing_day_is_retried_before_it_counts(fake: FakeArxiv, source: ArxivSource) -> None:
    fake.day = date(2024, 7, 4)  # a Thursday
    fake.faults.extend(["empty"])
    day = await source.todays_papers(["cs.CV"])
    assert not day.no_announcement and day.papers
    assert len([r for r in fake.requests if r.path.startswith("/rss")]) == 2


async def test_short_id_list_page_for_announced_papers_is_retried(fake: FakeArxiv) -> None:
    fake.day = date(2024, 7, 4)
    async with ArxivSource(settings_for(fake, arxiv_batch_size=100)) as src:
        fake.faults.extend(["ok", "short", "ok"])  # RSS fine, first id_list page half empty, then complete
        day = await src.todays_papers(["cs.CV"])
    assert all(p.primary_category for p in day.papers)


async def test_a_server_dripping_bytes_cannot_hold_the_request_past_the_timeout(fake: FakeArxiv) -> None:
    fake.slow_seconds = 3.0
    fake.faults.extend(["drip"])
    async with ArxivSource(settings_for(fake, arxiv_timeout_seconds=0.5, arxiv_retries=1)) as src:
        day = await src.todays_papers(["cs.CV"])
    assert day.papers and src.stats.rss_requests == 2
    await eventually(lambda: fake.hangups == 1)  # the client walked away from the drip instead of reading it out


def test_wrapped_and_escaped_code_links_are_rejoined() -> None:
    from bot.links import code_links
    from bot.models import Paper

    paper = Paper("2407.00001", 1, "t", (), r"Code is at https://github.com/ foo/my\_repo. See github.com/a/b.")
    assert code_links(paper) == ["https://github.com/foo/my_repo", "https://github.com/a/b"]
