"""``paperbot run`` starting while the platform is unreachable, and stopping while it is gone.

Real subprocesses against the fakes. "Unreachable" is a port nobody listens on yet, or a
fake that answers 502 like a proxy in front of the platform; "gone" is a fake that was
stopped, so every new connection is refused and the libraries sit between reconnects.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import BotProcess, serving_arxiv
from tests.e2e_discord import TOKEN as DISCORD_TOKEN
from tests.e2e_discord import Fakes
from tests.e2e_discord import bot_env as discord_env
from tests.e2e_telegram import TOKEN as TELEGRAM_TOKEN
from tests.e2e_telegram import bot_env as telegram_env
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.base import ThreadedFake
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import FakeTelegram

STOP_BOUND = 3.0  # seconds from SIGTERM to exit, with the platform unreachable


@pytest.fixture(scope="module")
def arxiv() -> Iterator[FakeArxiv]:
    with serving_arxiv() as fake:
        yield fake


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean(bot: BotProcess, *secrets: str) -> str:
    output = bot.output()
    assert "Traceback" not in output, output[-3000:]
    for secret in secrets:
        assert secret not in output
    return output


# ------------------------------------------------------------------ start-up


def test_telegram_start_retries_a_network_error_then_runs(arxiv: FakeArxiv, tmp_path: Path) -> None:
    fake = FakeTelegram(token=TELEGRAM_TOKEN)
    fake.outage = 2  # the first two getMe calls meet a 502
    with ThreadedFake(fake):
        bot = BotProcess(telegram_env(fake.url, arxiv.url, tmp_path), tmp_path)
        bot.wait_until(lambda: bool(fake.calls("getUpdates")), "long polling", timeout=30)
        assert len(fake.calls("getMe")) == 3
        assert bot.stop() == 0
    output = clean(bot, TELEGRAM_TOKEN)
    assert output.count("telegram is not reachable") == 2


def test_discord_start_retries_a_refused_connection_then_runs(arxiv: FakeArxiv, tmp_path: Path) -> None:
    fake = FakeDiscord(token=DISCORD_TOKEN)
    fake.port = free_port()  # nobody listens there yet: connections are refused
    fakes = Fakes(fake, ThreadedFake(fake), arxiv)
    bot = BotProcess(discord_env(fakes, tmp_path / "paperbot.db"), tmp_path)
    bot.wait_until(lambda: bot.output().count("discord is not reachable") >= 2, "two failed attempts", timeout=30)
    with fakes.discord_thread:
        bot.wait_until(lambda: bool(fake.identified), "the gateway IDENTIFY", timeout=30)
        assert bot.stop() == 0
    clean(bot, DISCORD_TOKEN)


def test_telegram_api_url_written_like_a_base_url_works(arxiv: FakeArxiv, tmp_path: Path) -> None:
    fake = FakeTelegram(token=TELEGRAM_TOKEN)
    with ThreadedFake(fake):
        env = telegram_env(fake.url, arxiv.url, tmp_path)
        env["PAPERBOT_TELEGRAM_API_URL"] = f"{fake.url}/bot"  # as python-telegram-bot's base_url is written
        bot = BotProcess(env, tmp_path)
        bot.wait_until(lambda: bool(fake.calls("getUpdates")), "long polling", timeout=30)
        assert bot.stop() == 0
    assert "rejected" not in clean(bot, TELEGRAM_TOKEN)


def test_telegram_wrong_token_stops_at_once_with_one_line(arxiv: FakeArxiv, tmp_path: Path) -> None:
    fake = FakeTelegram(token="999:OTHER")
    with ThreadedFake(fake):
        bot = BotProcess(telegram_env(fake.url, arxiv.url, tmp_path), tmp_path)
        code = bot.proc.wait(30)
    assert code != 0
    output = bot.output()
    assert "Traceback" not in output and TELEGRAM_TOKEN not in output
    assert "not reachable" not in output  # no retry for a token that is wrong
    assert [line for line in output.splitlines() if "TELEGRAM_BOT_TOKEN" in line] == [
        f"configuration error: TELEGRAM_BOT_TOKEN: rejected by the Bot API at {fake.url.removeprefix('http://')}; "
        "check the token (and that PAPERBOT_TELEGRAM_API_URL is the server's root URL)"]


# ------------------------------------------------------------------ SIGTERM while the platform is gone


def test_sigterm_stops_telegram_in_time_while_telegram_is_gone(arxiv: FakeArxiv, tmp_path: Path) -> None:
    fake = FakeTelegram(token=TELEGRAM_TOKEN)
    with ThreadedFake(fake):
        bot = BotProcess(telegram_env(fake.url, arxiv.url, tmp_path), tmp_path)
        bot.wait_until(lambda: bool(fake.calls("getUpdates")), "long polling", timeout=30)
    # The fake is gone: polling fails and python-telegram-bot waits longer after each failure
    # (1, 1.5, 2.25, 3.4, 5.1 s…), without waking up for stop(). Stop during a long wait.
    bot.wait_until(lambda: bot.output().count("Exception happened while polling for updates") >= 5,
                   "five failed polls", timeout=60)
    assert bot.stop(timeout=STOP_BOUND) == 0


def test_sigterm_stops_discord_in_time_while_discord_is_gone(arxiv: FakeArxiv, tmp_path: Path) -> None:
    fake = FakeDiscord(token=DISCORD_TOKEN)
    fakes = Fakes(fake, ThreadedFake(fake), arxiv)
    with fakes.discord_thread:
        bot = BotProcess(discord_env(fakes, tmp_path / "paperbot.db"), tmp_path)
        bot.wait_until(lambda: bool(fake.identified), "the gateway IDENTIFY", timeout=30)
    # The fake is gone: the gateway closed and discord.py sleeps a growing, random time
    # between reconnects. Stop while it sleeps longer than the bound.
    bot.wait_until(lambda: _longest_reconnect_wait(bot.output()) > STOP_BOUND, "a long reconnect wait", timeout=90)
    assert bot.stop(timeout=STOP_BOUND) == 0


def _longest_reconnect_wait(output: str) -> float:
    return max((float(s) for s in re.findall(r"Attempting a reconnect in ([\d.]+)s", output)), default=0.0)
