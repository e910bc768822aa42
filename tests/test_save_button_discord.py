"""🔖 under every digest paper on Discord: a persistent button that saves to the chat's reading list.

The real adapter runs against the fake Discord; a press is a MESSAGE_COMPONENT
interaction over the gateway, answered by the callback the fake records (7:
UPDATE_MESSAGE, 4: a message to the presser, 6: DEFERRED_UPDATE_MESSAGE).
"""

from __future__ import annotations

from bot.core import Core
from tests import test_discord_adapter as adapter_tests
from tests.fakes.discord import CHANNEL_ID, EPHEMERAL, FakeDiscord
from tests.test_vote_buttons_discord import OTHER, _label, _posted_digest, _start, press_after_restart

fake, arxiv_fake, core = adapter_tests.fake, adapter_tests.arxiv_fake, adapter_tests.core  # the same fixtures
CHAT = f"discord:{CHANNEL_ID}"


async def test_a_save_press_adds_the_paper_and_ticks_its_button_in_place(core: Core, fake: FakeDiscord) -> None:
    bot = await _start(core)
    try:
        post = (await _posted_digest(core, bot, fake))[0]
        pressed = await fake.press(post, "s:2407.00002")
        await fake.wait_until(lambda: fake.callback_types(pressed.token) == [7])
        assert _label(post, "s:2407.00002") == "2 🔖 ✓" and _label(post, "s:2407.00001") == "1 🔖"
        again = await fake.press(post, "s:2407.00002")  # the same member: a note to them alone, nothing stored
        await fake.wait_until(lambda: bool(fake.replies(again.token)))
        other = await fake.press(post, "s:2407.00002", user_id=OTHER)  # joins the savers; the tick stays
        await fake.wait_until(lambda: fake.callback_types(other.token) == [6])
    finally:
        await bot.stop()
    [note] = fake.replies(again.token)
    assert "Already on the reading list" in note.content and int(note.payload.get("flags") or 0) & EPHEMERAL
    [entry] = await core.store.reading.entries(CHAT)
    assert entry.paper_id == "2407.00002" and len(entry.savers) == 2
    assert len(fake.posts_to(CHANNEL_ID)) == 3, "a press never posts into the channel"


async def test_a_save_button_posted_before_a_restart_still_works(core: Core, fake: FakeDiscord) -> None:
    post = await press_after_restart(core, fake, "s:2407.00001")
    assert _label(post, "s:2407.00001") == "1 🔖 ✓"
    assert [e.paper_id for e in await core.store.reading.entries(CHAT)] == ["2407.00001"]


async def test_a_save_press_on_a_paper_arxiv_no_longer_has_says_why(core: Core, fake: FakeDiscord) -> None:
    bot = await _start(core)
    try:
        last = (await _posted_digest(core, bot, fake))[-1]
        gone = await fake.press(last, "s:2407.00012")  # arXiv is asked, which may take a while
        await fake.wait_until(lambda: bool(fake.replies(gone.token)), timeout=60)
    finally:
        await bot.stop()
    [unknown] = fake.replies(gone.token)
    assert "no longer on arXiv" in unknown.content and int(unknown.payload.get("flags") or 0) & EPHEMERAL
    assert await core.store.reading.entries(CHAT, None) == []
