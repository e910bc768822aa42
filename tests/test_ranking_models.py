"""Models are trained at vote time, kept in SQLite across restarts, and follow the votes in the database.

The digest right after a vote reflects it even before the background retraining has run;
a burst of taps trains once; a restart with unchanged votes trains nothing; a 👍 made by
another process on the same database (``paperbot like``) changes the running bot's next digest.
"""

from __future__ import annotations

import dataclasses

from bot.config import Settings
from bot.core import Core
from bot.models import ChatRef
from bot.topics.presets import preset
from bot.topics.profiles import chat_audience
from tests.conftest import ConsoleBot, ManualClock
from tests.test_feedback_commands import _order

GROUP = ChatRef("console", "lab-group", "group")
AUDIENCE = chat_audience(GROUP.platform, GROUP.chat_id)


async def test_the_digest_right_after_a_vote_reflects_it_before_the_background_training(
        bot: ConsoleBot, core: Core) -> None:
    core.profiles.train_delay = 3600.0  # the background retraining would come much later
    before = await _order(bot)
    await bot.say(f"/like {before[-1]}", chat=GROUP)
    assert AUDIENCE in core.profiles.pending
    after = await _order(bot)
    assert after.index(before[-1]) < before.index(before[-1])


async def test_a_burst_of_taps_trains_once_and_the_next_digest_uses_that_model(bot: ConsoleBot, core: Core) -> None:
    core.profiles.train_delay = 3600.0
    before = await _order(bot)
    await bot.say(f"/like {before[-1]}", chat=GROUP)
    await _order(bot)  # the chat's model for this topic, trained on demand
    trained = core.profiles.trained
    for paper in before[:3]:
        await bot.say(f"/dislike {paper}", chat=GROUP)
    assert AUDIENCE in core.profiles.pending  # one wait per audience, restarted by each tap
    assert await core.profiles.retrain(AUDIENCE) == 1  # what the wait ends in
    assert core.profiles.trained == trained + 1
    after = await _order(bot)
    assert core.profiles.trained == trained + 1  # the digest found the model ready
    assert after.index(before[0]) > 0 and after != before


async def test_a_restart_uses_the_stored_model_until_the_votes_or_the_topic_change(
        settings: Settings, clock: ManualClock) -> None:
    async with await Core.create(settings, clock) as first:
        bot = ConsoleBot(first)
        before = await _order(bot)
        await bot.say(f"/like {before[-1]}", chat=GROUP)
        liked = await _order(bot)
        assert first.profiles.trained == 1
    async with await Core.create(settings, clock) as second:
        bot = ConsoleBot(second)
        assert await _order(bot) == liked
        assert second.profiles.trained == 0  # the stored model, not a new training

        topic = preset("virtual-humans")
        assert topic is not None
        edited = dataclasses.replace(topic, description=topic.description + " and sign language")
        day = await second.digests.latest(topic)
        await second.profiles.rank(AUDIENCE, edited, day.papers)
        assert second.profiles.trained == 1  # another definition: the stored model is not used

        await bot.say(f"/dislike {before[0]}", chat=GROUP)
        await _order(bot)
        assert second.profiles.trained == 2  # other votes: trained again


async def test_a_like_from_another_process_changes_the_running_bots_next_digest(
        settings: Settings, clock: ManualClock) -> None:
    async with await Core.create(settings, clock) as running:
        bot = ConsoleBot(running)
        before = await _order(bot)
        async with await Core.create(settings, clock) as shell:  # `paperbot like` on the same database
            await ConsoleBot(shell).say(f"/like {before[-1]}", chat=GROUP)
        after = await _order(bot)
        assert after.index(before[-1]) < before.index(before[-1])
