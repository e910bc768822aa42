"""A chat's model is trained once per set of votes: digests reuse it until a vote, an unvote or a reset changes it."""

from __future__ import annotations

from bot.core import Core
from bot.models import ChatRef
from tests.conftest import ConsoleBot
from tests.test_feedback_commands import _order

GROUP = ChatRef("console", "lab-group", "group")
OTHER = ChatRef("console", "other-group", "group")


async def test_an_unchanged_chat_is_not_trained_again_and_every_vote_trains(bot: ConsoleBot, core: Core) -> None:
    before = await _order(bot)
    await bot.say(f"/like {before[-1]}", chat=GROUP)
    liked = await _order(bot)
    trained = core.profiles.trained
    assert trained >= 1
    assert await _order(bot) == liked and core.profiles.trained == trained  # same votes: the kept model

    await bot.say(f"/dislike {liked[0]}", chat=GROUP)
    disliked = await _order(bot)
    assert core.profiles.trained == trained + 1 and disliked != liked  # a new vote trains and changes the order

    await bot.say("/prefs reset", chat=GROUP, admin=True)
    assert await _order(bot) == before  # forgotten: the keyword order again, with no restart


async def test_chats_that_voted_alike_keep_their_own_models(bot: ConsoleBot, core: Core) -> None:
    before = await _order(bot)
    await bot.say(f"/like {before[-1]}", chat=GROUP)
    await bot.say(f"/like {before[-2]}", chat=OTHER)
    ours, theirs = await _order(bot, GROUP), await _order(bot, OTHER)
    assert ours.index(before[-1]) < ours.index(before[-2])
    assert theirs.index(before[-2]) < theirs.index(before[-1])
