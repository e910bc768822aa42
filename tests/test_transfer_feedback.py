"""`paperbot export` / `import` carry 👍/👎 votes and followed authors: the ranking survives a move."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.core import Core
from bot.models import ChatRef
from bot.transfer import export_all, import_all
from tests.conftest import ConsoleBot, core_with
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.recording import RecordingAdapter
from tests.test_feedback_commands import _order

GROUP = ChatRef("console", "lab-group", "group")


async def test_votes_and_followed_authors_round_trip_and_rank_the_same(
    bot: ConsoleBot, core: Core, arxiv: FakeArxiv, tmp_path: Path,
) -> None:
    before = await _order(bot)
    await bot.say(f"/dislike {before[0]} {before[1]}", chat=GROUP, user="alice")
    await bot.say(f"/like {before[-1]}", chat=GROUP, user="bob")
    await bot.say('/follow add "Zoë Müller"', chat=GROUP)
    learned = await _order(bot)
    assert learned != before
    exported = json.loads(json.dumps(await export_all(core.store)))  # through JSON, as the CLI writes it
    assert len(exported["votes"]) == 6 and exported["followed_authors"][0]["name"] == "Zoë Müller"
    assert {p["id"] for p in exported["papers"]} == {before[0], before[1], before[-1]}

    arxiv.papers = {pid: p for pid, p in arxiv.papers.items() if pid not in {before[0], before[1], before[-1]}}
    other = await core_with(RecordingAdapter(), arxiv, tmp_path / "elsewhere")
    try:
        counts = await import_all(other.store, exported)
        assert counts["votes"] == 6 and counts["followed_authors"] == 1
        assert await other.store.feedback.all_votes() == await core.store.feedback.all_votes()
        assert await other.store.feedback.followed("chat:console:lab-group") == ["Zoë Müller"]
        moved = ConsoleBot(other)
        prefs = await moved.say("/prefs", chat=GROUP)
        assert "3 votes" in prefs.text and before[-1] in prefs.text  # the voted papers came along
        assert "Followed authors: Zoë Müller" in prefs.text
    finally:
        await other.close()


@pytest.mark.parametrize(("field", "record"), [
    ("votes", {"audience": "chat:console:g", "paper_id": "not-an-id", "user": "console:a", "value": 1,
               "at": "2026-11-20T12:00:00"}),
    ("votes", {"audience": "chat:console:g", "paper_id": "2407.02165", "user": "console:a", "value": 7,
               "at": "2026-11-20T12:00:00"}),
    ("followed_authors", {"audience": "chat:console:g", "name": "<script>x</script>", "at": "2026-11-20T12:00:00"}),
])
async def test_a_bad_vote_or_name_in_a_file_imports_nothing(core: Core, field: str, record: dict[str, object]) -> None:
    good = {"audience": "chat:console:g", "name": "Jianke Zhu", "at": "2026-11-20T12:00:00"}
    with pytest.raises(ValidationError):
        await import_all(core.store, {"followed_authors": [good], field: [record]}
                         if field == "votes" else {field: [good, record]})
    assert await core.store.feedback.all_votes() == [] and await core.store.feedback.all_followed() == []


async def test_the_also_relevant_setting_survives_export_and_import(
    bot: ConsoleBot, core: Core, arxiv: FakeArxiv, tmp_path: Path,
) -> None:
    other_chat = ChatRef("console", "other-group", "group")
    await bot.say("/settings related on", chat=GROUP, admin=True)
    await core.store.chats.ensure(other_chat, "keeps the default")
    exported = json.loads(json.dumps(await export_all(core.store)))
    assert {c["chat_id"]: c["also_relevant"] for c in exported["chats"]} == {"lab-group": True, "other-group": False}

    other = await core_with(RecordingAdapter(), arxiv, tmp_path / "elsewhere")
    try:
        await import_all(other.store, exported)
        assert (await other.store.chats.settings(GROUP)).also_relevant
        assert not (await other.store.chats.settings(other_chat)).also_relevant
        moved = ConsoleBot(other)
        assert "“Also relevant” papers: on" in (await moved.say("/settings", chat=GROUP, admin=True)).text
    finally:
        await other.close()


async def test_a_file_from_before_the_also_relevant_setting_imports_it_as_off(core: Core) -> None:
    old = {"chats": [{"platform": "console", "chat_id": "lab-group", "kind": "group", "figures": True}]}
    await import_all(core.store, old)
    settings = await core.store.chats.settings(GROUP)
    assert settings.figures and not settings.also_relevant
