"""Personal digests: a user's filters and mutes, delivered by direct message, once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bot.core import Core
from bot.models import ChatRef
from tests.conftest import core_with, scheduler_at
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.recording import RecordingAdapter

LISTING = date(2026, 11, 20)
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def _setup(arxiv: FakeArxiv, tmp_path: Path) -> tuple[Core, RecordingAdapter]:
    arxiv.day = LISTING
    adapter = RecordingAdapter()
    return await core_with(adapter, arxiv, tmp_path), adapter


async def _as(core: Core, user: str, line: str) -> None:
    await core.dispatcher.dispatch_line(line, user_id=user, chat=ChatRef("console", f"dm-{user}", "private"),
                                        can_admin=True)


async def test_personal_digest_follows_filters_and_mutes(arxiv: FakeArxiv, tmp_path: Path) -> None:
    core, adapter = await _setup(arxiv, tmp_path)
    try:
        await _as(core, "ana", '/filter add "hand reconstruction" OR xhand')
        await _as(core, "ana", "/mydigest on 11:00 UTC")
        await _as(core, "bo", "/filter add avatar")
        await _as(core, "bo", '/filter mute "hand avatar"')
        await _as(core, "bo", "/mydigest on 11:30 UTC")
        await _as(core, "cy", "/filter add avatar")  # no /mydigest: nothing is sent
        results = await scheduler_at(core, NOON).catch_up()
        assert results == {"user:console:ana": "sent", "user:console:bo": "sent"}
        ana = "\n".join(text for chat, _, text in adapter.sent if chat == "dm-ana")
        bo = "\n".join(text for chat, _, text in adapter.sent if chat == "dm-bo")
        assert "XHand" in ana and "Expressive Gaussian Human Avatars" not in ana
        assert "Expressive Gaussian Human Avatars" in bo and "XHand" not in bo  # muted: "hand avatar"
        assert not any(chat == "dm-cy" for chat, _, _ in adapter.sent)
        again = await scheduler_at(core, NOON + timedelta(minutes=5)).catch_up()
        assert again == {}
    finally:
        await core.close()


async def test_channel_digest_ignores_personal_filters(arxiv: FakeArxiv, tmp_path: Path) -> None:
    core, adapter = await _setup(arxiv, tmp_path)
    try:
        group = ChatRef("console", "group", "group")
        await core.store.subscriptions.upsert(group, "virtual-humans", time(11, 0), "UTC")
        await _as(core, "bo", '/filter mute "hand avatar"')
        await scheduler_at(core, NOON).catch_up()
        text = "\n".join(t for chat, _, t in adapter.sent if chat == "group")
        assert "XHand" in text
    finally:
        await core.close()


async def test_digest_mine_shows_the_personal_digest_now(arxiv: FakeArxiv, tmp_path: Path) -> None:
    core, _ = await _setup(arxiv, tmp_path)
    try:
        chat = ChatRef("console", "dm-dee", "private")
        empty = await core.dispatcher.dispatch_line("/digest mine", user_id="dee", chat=chat, can_admin=True)
        assert "/filter add" in getattr(empty, "text", "")
        await _as(core, "dee", "/filter add virtual-humans")
        await _as(core, "dee", "/filter mute wildavatar")
        from bot.replies import Digest

        reply = await core.dispatcher.dispatch_line("/digest mine", user_id="dee", chat=chat, can_admin=True)
        assert isinstance(reply, Digest)
        titles = [e.paper.title for e in reply.entries]
        assert any("XHand" in t for t in titles) and not any("WildAvatar" in t for t in titles)
    finally:
        await core.close()


async def _mine(core: Core, user: str) -> list[str]:
    from bot.replies import Digest

    chat = ChatRef("console", f"dm-{user}", "private")
    reply = await core.dispatcher.dispatch_line("/digest mine all", user_id=user, chat=chat, can_admin=True)
    assert isinstance(reply, Digest), reply
    return [e.paper.id for e in reply.entries]


async def test_a_personal_digest_is_ranked_by_keywords_then_by_the_persons_votes(arxiv: FakeArxiv,
                                                                                 tmp_path: Path) -> None:
    from bot.topics.matcher import score
    from bot.topics.presets import preset

    core, _ = await _setup(arxiv, tmp_path)
    try:
        await _as(core, "eve", "/filter add virtual-humans")
        before = await _mine(core, "eve")
        assert len(before) >= 4
        topic = preset("virtual-humans")
        assert topic is not None
        papers = await core.store.papers.get_many(before)
        strength = [score(topic, papers[pid]) or 0.0 for pid in before]
        assert strength == sorted(strength, reverse=True)  # keyword order, not newest first
        await _as(core, "eve", f"/like {before[-1]}")
        await _as(core, "eve", f"/dislike {before[0]}")
        after = await _mine(core, "eve")
        assert sorted(after) == sorted(before)
        assert after.index(before[-1]) < len(before) - 1 and after.index(before[0]) > 0
    finally:
        await core.close()
