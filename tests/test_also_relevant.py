""""Also relevant" papers: a chat setting that adds a few papers its votes rank high but the keywords miss."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from bot.core import Core
from bot.models import ChatRef, Paper
from bot.replies import Digest
from bot.topics.matcher import score
from bot.topics.presets import preset
from bot.topics.relevance import ALSO_RELEVANT, Vote, also_relevant, rank
from tests.conftest import ConsoleBot, core_with, scheduler_at
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.recording import RecordingAdapter
from tests.test_topic_matching import make_paper, real_papers

GROUP = ChatRef("console", "lab-group", "group")
LIKED = "2407.02165"  # WildAvatar
# The liked paper's own words with every virtual-humans keyword taken out: close to it, missed by the topic.
NEAR = ("Existing people datasets for creation are typically limited to laboratory environments. We propose a "
        "web-scale in-the-wild dataset extracted from YouTube, with 10,000 different subjects and scenes, richer "
        "than previous datasets for creation, and evaluate state-of-the-art creation methods on real-world "
        "applications at scale.")


def _outsiders(n: int) -> list[Paper]:
    return [make_paper(f"2407.9{i:04d}", f"In-the-wild web-scale YouTube dataset for creation, part {i}", NEAR)
            for i in range(n)]


def _add(arxiv: FakeArxiv, papers: list[Paper]) -> None:
    for p in papers:
        arxiv.add(p)


async def _digest(bot: ConsoleBot) -> Digest:
    said = await bot.say("/digest virtual-humans all", chat=GROUP)
    assert isinstance(said.reply, Digest), said.text
    return said.reply


async def test_also_relevant_is_off_by_default_and_adds_nothing(bot: ConsoleBot, arxiv: FakeArxiv) -> None:
    _add(arxiv, _outsiders(2))
    await bot.say(f"/like {LIKED}", chat=GROUP)
    digest = await _digest(bot)
    assert not any(e.paper.id.startswith("2407.9") for e in digest.entries)
    assert not any(e.reason.startswith("also relevant") for e in digest.entries)
    assert "“Also relevant” papers: off" in (await bot.say("/settings", chat=GROUP, admin=True)).text


async def test_turned_on_adds_at_most_n_marked_papers_that_miss_the_keywords(
        bot: ConsoleBot, arxiv: FakeArxiv) -> None:
    topic = preset("virtual-humans")
    assert topic is not None
    outsiders = _outsiders(ALSO_RELEVANT + 2)
    assert all(score(topic, p) is None for p in outsiders)
    _add(arxiv, outsiders)
    said = await bot.say("/settings related on", chat=GROUP, admin=True)
    assert "“Also relevant” papers on" in said.text
    await bot.say(f"/like {LIKED}", chat=GROUP)
    entries = (await _digest(bot)).entries
    extra = [e for e in entries if e.reason.startswith("also relevant: close to")]
    assert 1 <= len(extra) <= ALSO_RELEVANT
    assert all(score(topic, e.paper) is None for e in extra)
    assert all("WildAvatar" in e.reason for e in extra)
    assert list(entries[-len(extra):]) == extra  # after the keyword matches, never instead of them
    assert "also relevant" in (await bot.say("/digest virtual-humans", chat=GROUP)).text


async def test_with_no_feedback_nothing_is_added(bot: ConsoleBot, arxiv: FakeArxiv, core: Core) -> None:
    _add(arxiv, _outsiders(3))
    await bot.say("/settings related on", chat=GROUP, admin=True)
    topic = await core.topics.get("virtual-humans")
    assert topic is not None
    day = await core.digests.latest(topic)
    keyword = [p.id for p in await core.digests.matched(topic, day)]
    assert [e.paper.id for e in (await _digest(bot)).entries] == keyword


async def test_dislikes_alone_are_no_evidence_for_extra_papers() -> None:
    topic = preset("virtual-humans")
    assert topic is not None
    papers = [*real_papers(), *_outsiders(3)]
    liked = next(p for p in papers if p.id == LIKED)
    ranked = rank(topic, papers, [Vote(liked, 0)])
    assert also_relevant(topic, papers, [Vote(liked, 0)], ranked) == []
    assert also_relevant(topic, papers, [Vote(liked, 1)], ranked, n=0) == []
    assert 1 <= len(also_relevant(topic, papers, [Vote(liked, 1)], rank(topic, papers, [Vote(liked, 1)]), n=2)) <= 2


async def test_a_setting_value_that_is_not_a_switch_changes_nothing(bot: ConsoleBot) -> None:
    said = await bot.say("/settings related maybe", chat=GROUP, admin=True)
    assert said.reply is not None and "Traceback" not in said.text
    assert "“Also relevant” papers: off" in (await bot.say("/settings", chat=GROUP, admin=True)).text


async def _scheduled(arxiv: FakeArxiv, tmp_path: Path, related: bool) -> tuple[list[str], list[str], str]:
    """A scheduled morning digest for a group that liked WildAvatar: planned papers, their reasons, the text sent."""
    _add(arxiv, _outsiders(ALSO_RELEVANT + 2))
    adapter = RecordingAdapter(max_text=4000)
    core = await core_with(adapter, arxiv, tmp_path)
    try:
        bot = ConsoleBot(core)
        await bot.say(f"/settings related {'on' if related else 'off'}", chat=GROUP, admin=True)
        await bot.say(f"/like {LIKED}", chat=GROUP)
        sub = await core.store.subscriptions.upsert(GROUP, "virtual-humans", time(8), "UTC")
        morning = datetime(2026, 11, 20, 8, tzinfo=UTC)
        outcome = await scheduler_at(core, morning + timedelta(minutes=1)).run_subscription(sub.id, scheduled=morning)
        assert outcome == "sent"
        rows = await core.store.db.fetchall(
            "SELECT paper_id, reason FROM deliveries ORDER BY position")
        return [r[0] for r in rows], [r[1] or "" for r in rows], "\n".join(text for _, _, text in adapter.sent)
    finally:
        await core.close()


async def test_a_scheduled_digest_adds_the_also_relevant_papers_after_the_matches(
        arxiv: FakeArxiv, tmp_path: Path) -> None:
    planned, reasons, text = await _scheduled(arxiv, tmp_path, related=True)
    extra = [pid for pid, why in zip(planned, reasons, strict=True) if why.startswith("also relevant: close to")]
    assert 1 <= len(extra) <= ALSO_RELEVANT
    assert all(pid.startswith("2407.9") for pid in extra)
    assert planned[-len(extra):] == extra  # after the keyword matches, never instead of them
    assert all("WildAvatar" in why for why in reasons[-len(extra):])
    assert "also relevant: close to" in text


async def test_a_scheduled_digest_adds_nothing_while_the_setting_is_off(arxiv: FakeArxiv, tmp_path: Path) -> None:
    planned, reasons, text = await _scheduled(arxiv, tmp_path, related=False)
    assert planned and not any(pid.startswith("2407.9") for pid in planned)
    assert not any(why.startswith("also relevant") for why in reasons) and "also relevant" not in text
