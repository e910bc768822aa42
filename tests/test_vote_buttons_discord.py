"""👍/👎 under every digest paper on Discord: persistent buttons, recorded and updated in place.

The real adapter runs against the fake Discord; a press is a MESSAGE_COMPONENT
interaction (type 3) over the gateway, and the answer is the interaction callback the
fake records (7: UPDATE_MESSAGE, 6: DEFERRED_UPDATE_MESSAGE).
"""

from __future__ import annotations

from bot.adapters.discord.adapter import DiscordAdapter
from bot.core import Core
from bot.models import ChatRef
from bot.topics.profiles import chat_audience, user_audience
from tests import test_discord_adapter as adapter_tests
from tests.e2e_discord import digest
from tests.fakes.discord import CHANNEL_ID, EPHEMERAL, USER_ID, FakeDiscord, Posted, limit_problems

fake, arxiv_fake, core = adapter_tests.fake, adapter_tests.arxiv_fake, adapter_tests.core  # the same fixtures
CHANNEL = ChatRef("discord", str(CHANNEL_ID), "group")
OTHER = USER_ID + 1


async def _start(core: Core) -> DiscordAdapter:
    bot = DiscordAdapter(core.settings, ready_timeout=10)
    await bot.start(core.host)
    return bot


async def _posted_digest(core: Core, bot: DiscordAdapter, fake: FakeDiscord, n: int = 12) -> list[Posted]:
    sent = digest(n, long=False, more=0)
    await core.store.papers.upsert(e.paper for e in sent.entries[:-1])  # the last one arXiv no longer has
    await bot.send(CHANNEL, sent)
    return fake.posts_to(CHANNEL_ID)


def _label(post: Posted, custom_id: str) -> str:
    return next(b["label"] for b in post.buttons if b["custom_id"] == custom_id)


async def test_every_digest_paper_gets_numbered_vote_buttons_within_limits(core: Core, fake: FakeDiscord) -> None:
    bot = await _start(core)
    try:
        posts = await _posted_digest(core, bot, fake, n=12)
    finally:
        await bot.stop()
    assert all(limit_problems(p.payload) == [] for p in posts)
    buttons = [b for p in posts for b in p.buttons]
    assert [b["custom_id"] for b in buttons[:8]] == ["/summarize 2407.00001", "v:+:2407.00001", "v:-:2407.00001",
                                                     "s:2407.00001", "/summarize 2407.00002", "v:+:2407.00002",
                                                     "v:-:2407.00002", "s:2407.00002"]
    assert [b["label"] for b in buttons[:4]] == ["1. Full summary", "1 👍", "1 👎", "1 🔖"]
    assert len(buttons) == 48 and all(len(p.buttons) == 4 * len(p.embeds) for p in posts)
    assert all(len(p.payload["components"]) == len(p.embeds) <= 5 for p in posts), "a row per paper"


async def test_a_press_is_recorded_and_the_buttons_update_in_place(core: Core, fake: FakeDiscord) -> None:
    bot = await _start(core)
    try:
        post = (await _posted_digest(core, bot, fake))[0]
        pressed = await fake.press(post, "v:+:2407.00002")
        await fake.wait_until(lambda: fake.callback_types(pressed.token) == [7])
        assert _label(post, "v:+:2407.00002") == "2 👍 1"
        assert _label(post, "v:+:2407.00001") == "1 👍", "other papers' buttons are kept"
        other = await fake.press(post, "v:+:2407.00002", user_id=OTHER)
        await fake.wait_until(lambda: fake.callback_types(other.token) == [7])
        assert _label(post, "v:+:2407.00002") == "2 👍 2"
        again = await fake.press(post, "v:+:2407.00002", user_id=OTHER)  # the same button again: undone
        await fake.wait_until(lambda: fake.callback_types(again.token) == [7])
        assert _label(post, "v:+:2407.00002") == "2 👍 1"
    finally:
        await bot.stop()
    votes = core.store.feedback
    assert await votes.votes(chat_audience("discord", str(CHANNEL_ID))) == {"2407.00002": 1.0}
    assert await votes.votes(user_audience("discord", str(USER_ID))) == {"2407.00002": 1.0}
    assert len(fake.posts_to(CHANNEL_ID)) == 3 and not fake.followups, "a press never posts a message"


async def press_after_restart(core: Core, fake: FakeDiscord, custom_id: str) -> Posted:
    """Post a digest, restart the client, press ``custom_id`` on the first message; the message pressed."""
    first = await _start(core)
    try:
        post = (await _posted_digest(core, first, fake))[0]
    finally:
        await first.stop()
    second = await _start(core)  # a new client: nothing of the first one's views in memory
    try:
        pressed = await fake.press(post, custom_id)
        await fake.wait_until(lambda: fake.callback_types(pressed.token) == [7])
    finally:
        await second.stop()
    return post


async def test_a_button_posted_before_a_restart_still_works(core: Core, fake: FakeDiscord) -> None:
    post = await press_after_restart(core, fake, "v:-:2407.00001")
    assert _label(post, "v:-:2407.00001") == "1 👎 1"
    assert await core.store.feedback.votes(chat_audience("discord", str(CHANNEL_ID))) == {"2407.00001": 0.0}


async def test_a_refused_press_is_told_to_the_presser_alone(core: Core, fake: FakeDiscord) -> None:
    bot = await _start(core)
    try:
        post = (await _posted_digest(core, bot, fake))[0]
        core.feedback.limiter.per_minute = 1
        first = await fake.press(post, "v:+:2407.00001")
        await fake.wait_until(lambda: fake.callback_types(first.token) == [7])
        flood = await fake.press(post, "v:+:2407.00002")
        await fake.wait_until(lambda: fake.callback_types(flood.token) == [4])
        last = fake.posts_to(CHANNEL_ID)[-1]
        gone = await fake.press(last, "v:+:2407.00012", user_id=OTHER)  # arXiv is asked, which may take a while
        await fake.wait_until(lambda: bool(fake.replies(gone.token)), timeout=20)
    finally:
        await bot.stop()
    [limited] = fake.replies(flood.token)
    assert "a minute" in limited.content and int(limited.payload.get("flags") or 0) & EPHEMERAL
    [unknown] = fake.replies(gone.token)
    assert "no longer on arXiv" in unknown.content and int(unknown.payload.get("flags") or 0) & EPHEMERAL
    assert fake.callback_types(gone.token) in ([4], [6]), "answered at once, or deferred within 3 s"
    assert _label(post, "v:+:2407.00002") == "2 👍", "nothing recorded"
