"""Hostile input against the reading list: what a member's own name can make the bot post."""

from __future__ import annotations

from bot.core import Core
from tests.conftest import ConsoleBot
from tests.test_reading_list import GROUP


async def test_a_saver_s_display_name_brings_no_link_or_mention_into_the_list(bot: ConsoleBot, core: Core) -> None:
    name = "Free GPUs at scam.com/gpu @everyone t.me/evil_bot"
    await core.dispatcher.dispatch_line("/save 2407.02165", user_id="mallory", chat=GROUP, can_admin=False,
                                        user_name=name)
    await core.host.tap_save(GROUP, "trudy", "[click](https://evil.example)", "2407.21002")
    listed = (await bot.say("/reading", chat=GROUP)).text
    assert "Free GPUs" in listed and "click" in listed, listed  # the names are still there, as words
    assert "scam" not in listed and "evil" not in listed and "@everyone" not in listed
