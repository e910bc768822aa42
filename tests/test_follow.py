"""/follow: followed authors lead the digest; names are matched, offered, never silently merged."""

from __future__ import annotations

from dataclasses import replace

from bot.core import Core
from bot.models import ChatRef
from bot.replies import Digest, Error
from tests.conftest import ConsoleBot
from tests.test_feedback_commands import _order

GROUP = ChatRef("console", "lab-group", "group")
DM = ChatRef("console", "alice-dm", "private")


async def test_follow_add_list_and_remove_in_a_group(bot: ConsoleBot, core: Core) -> None:
    assert "No followed authors" in (await bot.say("/follow list", chat=GROUP)).text
    added = await bot.say('/follow add "Zoë Müller"', chat=GROUP)
    assert "Following Zoë Müller" in added.text
    assert "Already following" in (await bot.say("/follow add zoe muller", chat=GROUP)).text
    assert "• Zoë Müller" in (await bot.say("/follow list", chat=GROUP)).text
    assert "No longer following" in (await bot.say('/follow remove "Zoe Muller"', chat=GROUP)).text
    assert await core.store.feedback.followed("chat:console:lab-group") == []
    assert isinstance((await bot.say('/follow remove "Zoe Muller"', chat=GROUP)).reply, Error)


async def test_initials_are_offered_not_merged(bot: ConsoleBot, core: Core) -> None:
    day = await core.digests.latest(await core.topics.get("virtual-humans"))  # type: ignore[arg-type]
    a, b = day.papers[0], day.papers[1]
    await core.store.papers.upsert([replace(a, authors=("Jianke Zhu", *a.authors)),
                                    replace(b, authors=("Jun Zhu", "Xin Zhu", *b.authors))])
    said = await bot.say('/follow add "J. Zhu"', chat=GROUP)
    assert "Following J. Zhu" in said.text
    assert "Jianke Zhu" in said.text and "Jun Zhu" in said.text and "Xin Zhu" not in said.text
    assert await core.store.feedback.followed("chat:console:lab-group") == ["J. Zhu"]


async def test_a_huge_or_html_name_is_refused_and_nothing_is_stored(bot: ConsoleBot, core: Core) -> None:
    huge = await bot.say(f"/follow add {'A' * 10_000}", chat=GROUP)  # the dispatcher's own length limit
    assert isinstance(huge.reply, Error) and "too long" in huge.text
    for name in ("Ab" * 60, "<b>Evil</b> Hacker", '<a href="x">Zhu</a>', "Robert'); DROP TABLE--", "12345"):
        said = await bot.say(f"/follow add {name}", chat=GROUP)
        assert isinstance(said.reply, Error) and "look like a person's name" in said.text, name[:20]
    assert isinstance((await bot.say("/follow add", chat=GROUP)).reply, Error)
    assert await core.store.feedback.followed("chat:console:lab-group") == []


async def test_only_admins_change_a_groups_followed_authors(bot: ConsoleBot, core: Core) -> None:
    said = await bot.say('/follow add "Jianke Zhu"', chat=GROUP, admin=False)
    assert isinstance(said.reply, Error) and "admins" in said.text
    assert not isinstance((await bot.say("/follow list", chat=GROUP, admin=False)).reply, Error)
    assert await core.store.feedback.followed("chat:console:lab-group") == []


async def test_a_followed_authors_paper_is_pinned_first_whatever_the_keywords(bot: ConsoleBot, core: Core) -> None:
    topic = await core.topics.get("virtual-humans")
    assert topic is not None
    day = await core.digests.latest(topic)
    matched = {p.id for p in await core.digests.matched(topic, day)}
    outsider = next(p for p in day.papers if p.id not in matched and not p.is_replacement)
    assert outsider.id not in await _order(bot)
    await bot.say(f'/follow add "{outsider.authors[0]}"', chat=GROUP)
    said = await bot.say("/digest virtual-humans all", chat=GROUP)
    assert isinstance(said.reply, Digest)
    first = said.reply.entries[0]
    assert first.paper.id == outsider.id and outsider.authors[0] in first.reason


async def test_in_a_direct_message_the_person_follows_too(bot: ConsoleBot, core: Core) -> None:
    await bot.say('/follow add "Jianke Zhu"', chat=DM, admin=False)
    assert await core.store.feedback.followed("chat:console:alice-dm") == ["Jianke Zhu"]
    assert await core.store.feedback.followed("user:console:alice") == ["Jianke Zhu"]
