"""``paperbot run`` as a subprocess against a fake Discord and a fake arXiv.

The bot is configured only through its environment, as in production; interactions
arrive over the fake gateway and every answer is read back from the fake's records.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e_discord import TOKEN, BotProcess, Fakes, count_rows, running_fakes, start_bot
from tests.fakes.discord import EPHEMERAL, MANAGER, MEMBER, FakeInteraction, limit_problems


@dataclass
class Live:
    fakes: Fakes
    bot: BotProcess
    db: Path

    def slash(self, name: str, options: dict[str, str] | None = None, **kwargs: object) -> FakeInteraction:
        fake = self.fakes.discord
        return self.fakes.discord_thread.call(fake.slash(name, options, **kwargs))  # type: ignore[arg-type]

    def settled_replies(self, token: str, timeout: float = 20.0) -> list:
        """Replies to one interaction once they stop arriving (a digest is several follow-ups)."""
        fake = self.fakes.discord
        self.bot.wait_until(lambda: bool(fake.replies(token)), f"a reply to {token}", timeout)
        count, stable_since = -1, time.monotonic()
        while time.monotonic() - stable_since < 0.6:
            if len(fake.replies(token)) != count:
                count, stable_since = len(fake.replies(token)), time.monotonic()
            time.sleep(0.05)
        return fake.replies(token)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    workdir = tmp_path_factory.mktemp("discord-e2e")
    with running_fakes() as fakes:
        bot = start_bot(fakes, workdir / "paperbot.db", workdir)
        try:
            yield Live(fakes, bot, workdir / "paperbot.db")
        finally:
            rc = bot.stop()
            output = bot.output()
            assert rc == 0, output
            assert "Traceback" not in output, output


def test_summarize_is_deferred_then_followed_up(live: Live) -> None:
    interaction = live.slash("summarize", {"paper": "2407.21002"})
    replies = live.settled_replies(interaction.token)

    assert live.fakes.discord.callback_types(interaction.token) == [5]  # "thinking…" within 3 s
    assert any("https://github.com/agnJason/XHand" in r.text for r in replies)
    assert all(r.kind == "followup" for r in replies)


@pytest.mark.parametrize(("paper", "says"), [
    ("hello", "arXiv id"),
    ("2407.99999", "arXiv has no paper 2407.99999"),
])
def test_an_error_after_thinking_is_seen_by_the_user(live: Live, paper: str, says: str) -> None:
    interaction = live.slash("summarize", {"paper": paper})
    live.settled_replies(interaction.token)

    assert live.fakes.discord.callback_types(interaction.token) == [5]
    (shown,) = live.fakes.discord.seen(interaction.token)
    assert says in shown


def test_an_arxiv_outage_during_summarize_is_seen_by_the_user(live: Live) -> None:
    live.fakes.arxiv.faults.extend(["500"] * 5)  # every try of one lookup fails
    interaction = live.slash("summarize", {"paper": "2407.12345"})
    live.settled_replies(interaction.token)
    live.fakes.arxiv.faults.clear()

    (shown,) = live.fakes.discord.seen(interaction.token)
    assert "arXiv" in shown and "try again later" in shown.lower()


def test_subscribe_needs_manage_channels_in_a_server(live: Live) -> None:
    refused = live.slash("subscribe", {"topic": "virtual-humans"}, permissions=MEMBER)
    (reply,) = live.settled_replies(refused.token)
    assert reply.payload.get("flags", 0) & EPHEMERAL
    assert reply.content == "Only admins of this chat can use /subscribe."
    assert count_rows(live.db, "subscriptions") == 0

    allowed = live.slash("subscribe", {"topic": "virtual-humans"}, permissions=MANAGER)
    (reply,) = live.settled_replies(allowed.token)
    assert reply.content.startswith("Subscribed to")
    assert count_rows(live.db, "subscriptions") == 1


def test_digest_is_posted_as_embeds_within_every_limit(live: Live) -> None:
    interaction = live.slash("digest", {"topic": "virtual-humans"})
    replies = live.settled_replies(interaction.token, timeout=30)

    assert live.fakes.discord.callback_types(interaction.token) == [5]
    embeds = [e for r in replies for e in r.embeds]
    assert embeds, [r.payload for r in replies]
    assert all(e["url"].startswith("https://arxiv.org/abs/") for e in embeds)
    assert all(limit_problems(r.payload) == [] for r in replies)
    assert live.fakes.discord.rejected == []
    assert "Virtual humans" in replies[0].content


def test_commands_sync_once_and_sigterm_exits_cleanly(tmp_path: Path) -> None:
    with running_fakes() as fakes:
        first = start_bot(fakes, tmp_path / "paperbot.db", tmp_path)
        assert fakes.discord.sync_count == 1
        assert {c["name"] for c in fakes.discord.synced_commands} >= {"summarize", "subscribe", "digest"}
        assert first.stop() == 0

        second = start_bot(fakes, tmp_path / "paperbot.db", tmp_path)
        assert fakes.discord.sync_count == 1  # same commands: no second sync at start
        assert second.stop() == 0

    for bot in (first, second):
        output = bot.output()
        assert "Traceback" not in output, output
        assert TOKEN not in output
    assert fakes.discord.bad_tokens == []


def test_debug_logs_hide_interaction_tokens(tmp_path: Path) -> None:
    with running_fakes() as fakes:
        bot = start_bot(fakes, tmp_path / "paperbot.db", tmp_path, PAPERBOT_LOG_LEVEL="DEBUG")
        interaction = fakes.discord_thread.call(fakes.discord.slash("summarize", {"paper": "hello"}))
        bot.wait_until(lambda: bool(fakes.discord.seen(interaction.token)), "the reply")
        assert bot.stop() == 0

    output = bot.output()
    assert f"/interactions/{interaction.id}/***/callback" in output  # discord.py did log the URL
    assert interaction.token not in output
    assert TOKEN not in output
