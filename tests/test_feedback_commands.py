"""/like, /dislike and /prefs through the console, against the fake arXiv: a vote changes the next digest."""

from __future__ import annotations

from bot.core import Core
from bot.models import ChatRef
from bot.replies import Digest, Error
from tests.conftest import ConsoleBot

GROUP = ChatRef("console", "lab-group", "group")


async def _order(bot: ConsoleBot, chat: ChatRef = GROUP) -> list[str]:
    said = await bot.say("/digest virtual-humans all", chat=chat)
    assert isinstance(said.reply, Digest)
    return [e.paper.id for e in said.reply.entries]


async def test_a_like_and_a_dislike_change_the_next_digest_without_a_restart(bot: ConsoleBot) -> None:
    before = await _order(bot)
    assert len(before) >= 4
    first, last = before[0], before[-1]
    assert "👎" in (await bot.say(f"/dislike {first}", chat=GROUP)).text
    assert "👍" in (await bot.say(f"/like {last}", chat=GROUP)).text
    after = await _order(bot)
    assert sorted(after) == sorted(before)  # the same papers, in another order
    assert after.index(last) < before.index(last) and after.index(first) > 0


async def test_each_digest_entry_says_why_it_is_there(bot: ConsoleBot) -> None:
    said = await bot.say("/digest virtual-humans", chat=GROUP)
    assert isinstance(said.reply, Digest)
    assert all(e.reason.startswith("matched: ") for e in said.reply.entries)
    assert "matched: " in said.text


async def test_like_works_before_any_digest_as_seeding(bot: ConsoleBot) -> None:
    said = await bot.say("/like 2407.02165 2407.21002", chat=GROUP)
    assert "2 papers like these" in said.text
    prefs = await bot.say("/prefs", chat=GROUP)
    assert "2407.02165" in prefs.text and "More of:" in prefs.text


async def test_feedback_on_an_unknown_id_is_refused_and_stores_nothing(bot: ConsoleBot, core: Core) -> None:
    said = await bot.say("/like 2407.02165 2407.99999", chat=GROUP)
    assert isinstance(said.reply, Error) and "2407.99999" in said.text
    assert await core.store.feedback.votes("chat:console:lab-group") == {}
    assert isinstance((await bot.say("/like not-an-id", chat=GROUP)).reply, Error)
    assert isinstance((await bot.say("/dislike", chat=GROUP)).reply, Error)


async def test_each_member_counts_once_and_the_group_learns_from_all(bot: ConsoleBot, core: Core) -> None:
    for _ in range(3):
        await bot.say("/like 2407.02165", chat=GROUP, user="alice")
    await bot.say("/dislike 2407.02165", chat=GROUP, user="bob")
    await bot.say("/dislike 2407.02165", chat=GROUP, user="carol")
    assert await core.store.feedback.votes("chat:console:lab-group") == {"2407.02165": 1 / 3}
    # Each member's own tap also trains their personal digest.
    assert await core.store.feedback.votes("user:console:alice") == {"2407.02165": 1.0}


async def test_prefs_reset_forgets_and_the_keyword_order_returns(bot: ConsoleBot) -> None:
    before = await _order(bot)
    await bot.say(f"/dislike {before[0]} {before[1]}", chat=GROUP)
    assert await _order(bot) != before
    assert "Forgotten: 2 votes" in (await bot.say("/prefs reset", chat=GROUP)).text
    assert await _order(bot) == before
    assert "Nothing learned yet" in (await bot.say("/prefs", chat=GROUP)).text


async def test_a_flood_of_votes_from_one_person_is_rate_limited(bot: ConsoleBot) -> None:
    ids = " ".join(["2407.02165"] * 20)
    assert not isinstance((await bot.say(f"/like {ids}", chat=GROUP)).reply, Error)
    flood = await bot.say(f"/like {ids}", chat=GROUP)
    assert isinstance(flood.reply, Error) and "at most 30 a minute" in flood.text
    other = await bot.say("/like 2407.02165", chat=GROUP, user="bob")  # the limit is per person
    assert not isinstance(other.reply, Error)
