"""`paperbot export` / `import` carry the reading list (savers, read marks) and the weekly-picks schedule."""

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

GROUP = ChatRef("console", "journal-club", "group")


async def test_the_reading_list_and_picks_round_trip(bot: ConsoleBot, core: Core, arxiv: FakeArxiv,
                                                     tmp_path: Path) -> None:
    await bot.say("/save 2407.02165", chat=GROUP, user="alice")
    await bot.say("/save 2407.02165", chat=GROUP, user="bob")
    await bot.say("/save 2407.21002", chat=GROUP, user="bob")
    await bot.say("/read 2407.21002", chat=GROUP, user="carol")
    await bot.say("/picks on fri 17:00 Europe/Berlin", chat=GROUP)
    exported = json.loads(json.dumps(await export_all(core.store)))  # through JSON, as the CLI writes it
    assert len(exported["reading"]) == 3 and exported["picks"][0]["weekday"] == "fri"
    assert {"2407.02165", "2407.21002"} <= {p["id"] for p in exported["papers"]}

    arxiv.papers = {}  # the metadata travels with the file: arXiv is not asked again
    other = await core_with(RecordingAdapter(), arxiv, tmp_path / "elsewhere")
    try:
        counts = await import_all(other.store, exported)
        assert counts["reading"] == 3 and counts["picks"] == 1
        assert await other.store.reading.all_saves() == await core.store.reading.all_saves()
        assert await other.store.reading.picks() == await core.store.reading.picks()
        listed = await other.reading.listed(GROUP)
        assert [(i.entry.paper_id, i.entry.savers) for i in listed] == [("2407.02165", ("alice", "bob"))]
        assert listed[0].paper is not None
    finally:
        await other.close()


async def test_a_bad_reading_record_imports_nothing(core: Core) -> None:
    bad = {"reading": [{"chat": "console:x", "paper_id": "not-an-id", "user": "console:a",
                        "at": "2026-11-20T12:00:00+00:00"}]}
    with pytest.raises(ValidationError):
        await import_all(core.store, bad)
    assert await core.store.reading.all_saves() == []
