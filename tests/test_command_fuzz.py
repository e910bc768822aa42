"""Fuzz every command with hypothesis: whatever users type, no handler raises.

The dispatcher turns an exception into a generic "something went wrong" reply, so
the assertion is on that reply: a bug would show up as it, or as a raise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import Core
from bot.i18n import t
from bot.models import ChatRef
from bot.replies import flatten
from tests.conftest import NOW, make_settings, today_listing
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.base import ThreadedFake
from tests.fakes.clock import ManualClock

# Every declared command (checked against the dispatcher below, so the list cannot drift).
COMMANDS = ("ask", "digest", "dislike", "filter", "follow", "help", "lang", "like", "mydigest", "picks", "prefs",
            "read", "reading", "save", "settings", "subscribe", "subscriptions", "summarize", "topic", "topics",
            "unsubscribe")
INTERNAL = {t("en", "internal_error"), t("zh", "internal_error")}
WORDS = st.sampled_from(["llm", "all", "on", "off", "add", "remove", "mute", "list", "08:00", "25:61", "UTC",
                         "Asia/Shanghai", "2407.03204", "hep-th/9901001", "max", "figures", "timezone", "zh",
                         "en", '"talking head"', "(", ")", "AND", "OR", "NOT", "-x", "2024-07-05", "9999-99-99",
                         "<b>", "&amp;", "*_`", "virtual-humans", "@bot", "https://arxiv.org/abs/2407.21002",
                         "bibtex", "done", "fri"])
ARGS = st.lists(st.one_of(WORDS, st.text(max_size=30)), max_size=6).map(" ".join)


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[asyncio.AbstractEventLoop, Core]]:
    fake = FakeArxiv()
    with ThreadedFake(fake) as served:
        served.day = today_listing()
        loop = asyncio.new_event_loop()
        path: Path = tmp_path_factory.mktemp("fuzz")
        core = loop.run_until_complete(Core.create(make_settings(served, path), ManualClock(NOW)))
        try:
            yield loop, core
        finally:
            loop.run_until_complete(core.close())
            loop.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(COMMANDS), args=ARGS, admin=st.booleans(),
       kind=st.sampled_from(["private", "group", "channel"]))
def test_no_command_input_raises_out_of_a_handler(harness: tuple[asyncio.AbstractEventLoop, Core], name: str,
                                                  args: str, admin: bool, kind: str) -> None:
    loop, core = harness
    chat = ChatRef("console", f"fuzz-{kind}", kind)  # type: ignore[arg-type]
    reply = loop.run_until_complete(
        core.dispatcher.dispatch_line(f"/{name} {args}", user_id="fuzzer", chat=chat, can_admin=admin)
    )
    for leaf in flatten(reply):
        assert getattr(leaf, "text", None) not in INTERNAL, (name, args)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=st.text(max_size=200))
def test_arbitrary_lines_never_raise(harness: tuple[asyncio.AbstractEventLoop, Core], line: str) -> None:
    loop, core = harness
    reply = loop.run_until_complete(
        core.dispatcher.dispatch_line(line, user_id="fuzzer", chat=ChatRef("console", "fuzz", "group"),
                                      can_admin=False)
    )
    for leaf in flatten(reply):
        assert getattr(leaf, "text", None) not in INTERNAL, line


def test_the_fuzzed_commands_are_every_declared_command(harness: tuple[asyncio.AbstractEventLoop, Core]) -> None:
    assert tuple(spec.name for spec in harness[1].dispatcher.specs()) == COMMANDS
