"""One person's flood of commands is refused before any work; others in the chat are not slowed."""

from __future__ import annotations

from bot.core import Core
from bot.models import ChatRef
from bot.replies import Error, flatten

GROUP = ChatRef("telegram", "-100777", "group")


async def _say(core: Core, line: str, user: str, chat: ChatRef = GROUP) -> str:
    reply = await core.host.dispatch_line(line, user_id=user, chat=chat, can_admin=True)
    return "\n".join(getattr(leaf, "text", "") for leaf in flatten(reply))


async def test_a_flood_of_commands_from_one_person_is_refused_and_changes_nothing(core: Core) -> None:
    limit = core.settings.commands_per_minute
    assert limit > 0, "the default limits commands"
    for _ in range(limit):
        assert "faster than" not in await _say(core, "/topics", "spammer")
    refused = await core.host.dispatch_line("/subscribe llm 08:00 UTC", user_id="spammer", chat=GROUP,
                                            can_admin=True)
    assert isinstance(refused, Error) and f"faster than {limit} a minute" in refused.text
    assert await core.store.subscriptions.for_chat(GROUP) == [], "the refused command did nothing"
    # Someone else in the same chat, and the operator's console, are not held back.
    assert "faster than" not in await _say(core, "/subscribe llm 08:00 UTC", "colleague")
    assert len(await core.store.subscriptions.for_chat(GROUP)) == 1
    console = ChatRef("console", "local", "private")
    for _ in range(limit + 5):
        assert "faster than" not in await _say(core, "/topics", "spammer", console)
