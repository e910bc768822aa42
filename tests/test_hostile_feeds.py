"""Hostile or broken arXiv answers, driven over HTTP through the real source against the fake arXiv.

A late DOCTYPE entity bomb, an endless body, a gzip bomb, a redirect to a foreign host,
ids that smuggle Markdown links, huge metadata, a slow parse; and one chat's unknown
category, which must not cost any other chat its digest.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord import render as discord_render
from bot.adapters.telegram.render import render_messages
from bot.arxiv.feeds import MAX_TITLE
from bot.arxiv.source import ArxivError, ArxivSource
from bot.core import Core
from bot.models import ChatRef, Paper, Topic
from bot.replies import Digest
from tests.conftest import NOW, ConsoleBot, core_with, make_settings, scheduler_at, today_listing
from tests.fakes.arxiv import BOMB_TITLE_CHARS, PHISHING_ID, FakeArxiv
from tests.fakes.recording import RecordingAdapter

CAP = 1_000_000  # a small PAPERBOT_ARXIV_MAX_RESPONSE_BYTES, so the tests move little data


async def _source(arxiv: FakeArxiv, tmp_path: Path, **overrides: Any) -> ArxivSource:
    return ArxivSource(make_settings(arxiv, tmp_path, **{"arxiv_max_response_bytes": CAP, **overrides}))


@pytest.fixture
async def source(arxiv: FakeArxiv, tmp_path: Path) -> AsyncIterator[ArxivSource]:
    async with await _source(arxiv, tmp_path) as s:
        yield s


# ------------------------------------------------------------------ DTD and entities


async def test_feed_with_a_late_doctype_is_refused(arxiv: FakeArxiv, source: ArxivSource) -> None:
    arxiv.faults.append("late_doctype")  # the DOCTYPE sits past the first 4096 characters
    feed = await source.announcement(["cs.CV"])
    # The bomb was refused as unreadable and asked again; the clean retry is what came back.
    assert [r.path for r in arxiv.requests] == ["/rss/cs.CV", "/rss/cs.CV"]
    assert feed.papers and max(len(p.title) for p in feed.papers) < 1000
    assert all(len(p.title) != BOMB_TITLE_CHARS for p in feed.papers)


async def test_feed_that_stays_a_doctype_bomb_gives_an_honest_error(arxiv: FakeArxiv, source: ArxivSource) -> None:
    arxiv.faults.extend(["late_doctype"] * 3)
    with pytest.raises(ArxivError):
        await source.announcement(["cs.CV"])


# ------------------------------------------------------------------ size caps


async def test_endless_body_is_cut_at_the_size_cap(arxiv: FakeArxiv, source: ArxivSource) -> None:
    arxiv.faults.append("endless")
    with pytest.raises(ArxivError, match="larger than"):
        await source.announcement(["cs.CV"])
    assert len(arxiv.requests) == 1  # not retried: the next answer would be just as endless
    # What left the server before the client hung up: the cap plus what sat in socket buffers.
    assert arxiv.bytes_sent < 20 * CAP


async def test_gzip_bomb_is_refused_before_it_is_decoded(arxiv: FakeArxiv, source: ArxivSource,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    arxiv.bomb_bytes = 64_000_000
    arxiv.faults.append("gzip_bomb")
    with caplog.at_level(logging.WARNING, logger="bot.arxiv.source"), pytest.raises(ArxivError, match="larger than"):
        await source.announcement(["cs.CV"])
    [record] = [r for r in caplog.records if r.getMessage().startswith("arXiv answer too large")]
    assert record.decoded <= CAP + 1  # type: ignore[attr-defined]  # never one byte more than the cap allows
    assert record.raw < CAP  # type: ignore[attr-defined]  # the compressed body itself was small


async def test_gzip_body_within_the_cap_is_read(arxiv: FakeArxiv, source: ArxivSource) -> None:
    arxiv.bomb_bytes = 200_000
    arxiv.faults.append("gzip_bomb")
    feed = await source.announcement(["cs.CV"])  # a well-formed channel with one id-less item: no papers
    assert feed.papers == []


async def test_parse_time_is_bounded(arxiv: FakeArxiv, tmp_path: Path) -> None:
    base = next(iter(arxiv.papers.values()))
    for i in range(3000):  # a 3000-item channel: far longer to parse than the bound below
        arxiv.add(replace(base, id=f"2407.{30000 + i}", categories=["cs.CV"]))
    async with await _source(arxiv, tmp_path, arxiv_max_response_bytes=64_000_000,
                             arxiv_parse_timeout_seconds=0.001) as source:
        with pytest.raises(ArxivError, match="too long to read"):
            await source.announcement(["cs.CV"])


# ------------------------------------------------------------------ redirects


async def test_redirect_to_a_foreign_host_is_refused(arxiv: FakeArxiv, source: ArxivSource) -> None:
    arxiv.faults.append("redirect_foreign")
    with pytest.raises(ArxivError, match="redirected to another host"):
        await source.announcement(["cs.CV"])
    assert [r.host for r in arxiv.requests] == ["127.0.0.1"]  # nothing was asked of "localhost"


async def test_redirect_within_the_configured_host_is_followed(arxiv: FakeArxiv, source: ArxivSource) -> None:
    arxiv.faults.append("redirect_same")
    feed = await source.announcement(["cs.CV"])
    assert feed.papers
    assert len(arxiv.requests) == 2


# ------------------------------------------------------------------ ids and metadata


async def test_feed_ids_off_the_arxiv_grammar_are_dropped(arxiv: FakeArxiv, bot: ConsoleBot) -> None:
    arxiv.faults.append("bad_ids")
    said = await bot.say("/digest virtual-humans all")
    assert isinstance(said.reply, Digest) and said.reply.entries
    assert "evil.example" not in said.text
    assert all(e.paper.id != PHISHING_ID for e in said.reply.entries)
    discord = discord_render.render(said.reply)
    assert not any("evil.example" in str([m.content, [e.to_dict() for e in m.embeds]]) for m in discord)


async def test_huge_metadata_is_clipped_before_it_is_stored_and_on_telegram(arxiv: FakeArxiv, core: Core) -> None:
    paper = arxiv.papers["2407.03204"]
    paper.title = "T" * BOMB_TITLE_CHARS
    paper.authors = [f"Author {'N' * 1000} {i}" for i in range(5000)]
    paper.comment = "C" * 1_000_000
    topic = core.topics.presets["virtual-humans"]
    digest = await core.digests.build(topic, "en", include_all=True)
    [entry] = [e for e in digest.entries if e.paper.id == "2407.03204"]
    assert len(entry.paper.title) <= MAX_TITLE
    stored = (await core.store.papers.load_day(list(topic.categories), today_listing()))
    assert stored is not None and all(len(p.title) <= MAX_TITLE for p in stored.papers)
    assert len(render_messages(digest)) <= 10  # not 1,024


async def test_telegram_clips_metadata_stored_before_the_limits(core: Core) -> None:
    paper = Paper(id="2407.03204", version=1, title="T" * BOMB_TITLE_CHARS, authors=("A" * 100_000,),
                  abstract="Nothing to see here.", comment="C" * 100_000, categories=("cs.CV",))
    topic = Topic("t", "t", ("cs.CV",), "x")
    entries = await core.digests.entries([paper], "en")
    messages = render_messages(Digest(topic, today_listing(), "en", entries))
    assert len(messages) <= 3
    assert sum(len(m.html) for m in messages) < 10_000


# ------------------------------------------------------------------ one bad category


async def test_unknown_category_costs_only_its_own_subscribers(arxiv: FakeArxiv, tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    adapter = RecordingAdapter()
    core = await core_with(adapter, arxiv, tmp_path)
    try:
        group = ChatRef("console", "group", "group")
        dm = ChatRef("console", "dm", "private")
        await core.store.subscriptions.upsert(group, "virtual-humans", time(8, 0), "UTC")
        # An old row, from before /topic add checked the taxonomy: it would be refused today.
        await core.store.custom_topics.save(Topic("poison", "poison", ("zzzz.qq",), "avatar", owner=dm.key))
        await core.store.subscriptions.upsert(dm, "poison", time(8, 0), "UTC")
        scheduler = scheduler_at(core, NOW)  # after 08:00 UTC: both runs are caught up
        await scheduler.rebuild()
        with caplog.at_level(logging.INFO):
            outcomes = await scheduler.catch_up()
            # A later run in the same process neither asks arXiv about it again nor logs it again.
            assert await scheduler.run_subscription(2, scheduled=NOW) == "arxiv_failed"
        assert outcomes == {"sub:1": "sent", "sub:2": "arxiv_failed"}
        good = [text for chat, _, text in adapter.sent if chat == "group"]
        assert good and "arxiv.org/abs/" in "\n".join(good)
        bad = [text for chat, _, text in adapter.sent if chat == "dm"]
        assert len(bad) == 1 and "zzzz.qq" in bad[0]
        lines = [r for r in caplog.records if "zzzz.qq" in r.getMessage() and r.levelno >= logging.WARNING]
        assert len(lines) == 1 and lines[0].levelno == logging.ERROR
        rss = [r.path for r in arxiv.requests if r.path.startswith("/rss/")]
        assert sum("zzzz.qq" in p for p in rss) == 2  # the union, then the culprit alone; never again
    finally:
        await core.close()


async def test_topic_with_an_unknown_category_is_refused_with_suggestions(bot: ConsoleBot) -> None:
    said = await bot.say("/topic add poison zzzz.qq avatar", chat=ChatRef("console", "dm", "private"))
    assert "zzzz.qq" in said.text and "category_taxonomy" in said.text
    assert "Did you mean" in said.text
    assert await bot.core.store.custom_topics.all() == []


async def test_near_miss_category_suggests_the_real_one(bot: ConsoleBot) -> None:
    said = await bot.say("/topic add x cs.cv avatar")
    assert "Did you mean cs.CV?" in said.text
    assert await bot.core.store.custom_topics.all() == []
    said = await bot.say("/topic add x cs.CV,physics.optic avatar")
    assert "physics.optics" in said.text


async def test_real_categories_are_accepted(bot: ConsoleBot) -> None:
    said = await bot.say("/topic add x cs.CV,math.AG,physics.optics,q-bio.NC,astro-ph.CO,hep-th,"
                         "cond-mat.mes-hall,econ.EM,eess.IV,stat.ML avatar")
    assert "saved" in said.text
