"""``paperbot run`` as a real process, talking to fake Telegram and fake arXiv servers.

One bot process serves the whole module, as it would in production. Each test
uses its own chats, and the last test stops the process with SIGTERM, the way a
service manager does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import serving_arxiv
from tests.e2e_telegram import TOKEN, BotProcess, settled, start_paperbot
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.base import ThreadedFake
from tests.fakes.telegram import FakeTelegram, Fault, parse_html

ADMIN, MEMBER = 7001, 7002


@pytest.fixture(scope="module")
def arxiv() -> Iterator[FakeArxiv]:
    with serving_arxiv() as fake:
        yield fake


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(token=TOKEN)
    fake.honour_allowed_updates = False  # deliver edits anyway: the bot itself must ignore them
    with ThreadedFake(fake) as running:
        yield running  # type: ignore[misc]


@pytest.fixture(scope="module")
def paperbot(telegram: FakeTelegram, arxiv: FakeArxiv,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    bot = start_paperbot(telegram, arxiv.url, tmp_path_factory.mktemp("paperbot"))
    try:
        yield bot
    finally:
        if bot.returncode is None:
            bot.stop()


def db_rows(bot: BotProcess, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{bot.db_path}?mode=ro", uri=True) as conn:
        return conn.execute(sql, params).fetchall()


def test_summarize_in_a_private_chat_links_the_code(telegram: FakeTelegram, paperbot: BotProcess) -> None:
    telegram.private_message(telegram.user(7101, "Ada"), "/summarize 2407.21002")
    sent = settled(telegram, 7101)
    text = "\n".join(s.plain for s in sent)
    assert "XHand: Real-time Expressive Hand Avatar" in text
    assert "https://github.com/agnJason/XHand" in text
    assert (7101, "typing") in telegram.actions


def test_summarize_in_a_forum_topic_answers_in_that_topic(telegram: FakeTelegram, paperbot: BotProcess) -> None:
    forum = telegram.group(-1007200, "Lab", forum=True)
    telegram.group_message(forum, MEMBER, "/summarize 2407.21002", thread_id=31, forum=True)
    sent = settled(telegram, -1007200)
    assert sent and all(s.message_thread_id == 31 for s in sent)
    assert "https://github.com/agnJason/XHand" in "\n".join(s.plain for s in sent)


def test_admin_subscribes_a_group_and_it_persists(telegram: FakeTelegram, paperbot: BotProcess) -> None:
    group = telegram.group(-1007300, "Vision group")
    telegram.admins[group["id"]] = {ADMIN}
    telegram.group_message(group, ADMIN, "/subscribe virtual-humans 08:00 Asia/Shanghai")
    [confirm] = telegram.wait_sent(1, chat_id=-1007300)
    assert "Subscribed" in confirm.plain and "Asia/Shanghai" in confirm.plain
    telegram.group_message(group, MEMBER, "/subscriptions")
    listing = telegram.wait_sent(2, chat_id=-1007300)[1]
    assert "virtual-humans" in listing.plain and "08:00 Asia/Shanghai" in listing.plain


def test_non_admin_cannot_subscribe_and_nothing_is_saved(telegram: FakeTelegram, paperbot: BotProcess) -> None:
    group = telegram.group(-1007400, "Busy group")
    telegram.group_message(group, MEMBER, "/subscribe virtual-humans 08:00 Asia/Shanghai")
    [refusal] = telegram.wait_sent(1, chat_id=-1007400)
    assert "admin" in refusal.plain.lower() and "\n" not in refusal.plain
    assert "Traceback" not in refusal.plain
    assert db_rows(paperbot, "SELECT * FROM subscriptions WHERE chat_id = ?", "-1007400") == []


def test_edited_subscribe_does_not_run_again(telegram: FakeTelegram, paperbot: BotProcess) -> None:
    group = telegram.group(-1007500, "Editors")
    telegram.admins[group["id"]] = {ADMIN}
    original = telegram.group_message(group, ADMIN, "/subscribe virtual-humans 08:00")
    telegram.wait_sent(1, chat_id=-1007500)
    telegram.edited_message(group, ADMIN, "/subscribe llm 09:00", message_id=original["message"]["message_id"])
    telegram.group_message(group, ADMIN, "/subscriptions")
    sent = settled(telegram, -1007500, at_least=2)
    assert len(sent) == 2, [s.plain for s in sent]
    assert "virtual-humans" in sent[1].plain and "llm" not in sent[1].plain
    assert db_rows(paperbot, "SELECT topic FROM subscriptions WHERE chat_id = ?", "-1007500") == [("virtual-humans",)]


def test_digest_posted_in_a_channel_is_split_into_valid_messages(telegram: FakeTelegram,
                                                                 paperbot: BotProcess) -> None:
    channel = telegram.channel(-1007600, "Papers daily")
    telegram.channel_post(channel, "/digest virtual-humans")
    sent = settled(telegram, -1007600, quiet=1.5, timeout=60)
    assert len(sent) >= 2, "a day of virtual-human papers does not fit one message"
    for message in sent:
        assert message.parse_mode == "HTML"
        assert len(parse_html(message.text or "").encode("utf-16-le")) // 2 <= 4096
    assert any(b["callback_data"].startswith("/summarize ") for m in sent for b in m.buttons)


def test_rate_limit_storm_loses_no_message(telegram: FakeTelegram, paperbot: BotProcess) -> None:
    calm, stormy = telegram.channel(-1007700, "Calm"), telegram.channel(-1007701, "Stormy")
    telegram.channel_post(calm, "/digest virtual-humans")
    expected = [m.text for m in settled(telegram, calm["id"], quiet=1.5, timeout=60)]
    telegram.faults.extend(Fault(method="sendMessage", chat_id=stormy["id"]) for _ in range(3))
    telegram.faults.append(Fault(method="sendMessage"))
    telegram.channel_post(stormy, "/digest virtual-humans")
    got = [m.text for m in settled(telegram, stormy["id"], at_least=len(expected), quiet=1.5, timeout=60)]
    assert got == expected
    assert not [f for f in telegram.faults if f.chat_id == stormy["id"]]


def test_kicked_group_is_paused_and_resumes_when_added_back(telegram: FakeTelegram, paperbot: BotProcess) -> None:
    group = telegram.group(-1007800, "Leaving group")
    telegram.admins[group["id"]] = {ADMIN}
    telegram.group_message(group, ADMIN, "/subscribe virtual-humans 08:00")
    telegram.wait_sent(1, chat_id=-1007800)
    telegram.my_chat_member(group, "kicked")
    query = "SELECT paused_reason FROM subscriptions WHERE chat_id = ?"
    telegram.wait_until(lambda: db_rows(paperbot, query, "-1007800") != [(None,)])
    [(reason,)] = db_rows(paperbot, query, "-1007800")
    assert "removed" in str(reason)
    telegram.my_chat_member(group, "member", old_status="kicked")
    telegram.wait_until(lambda: db_rows(paperbot, query, "-1007800") == [(None,)])
    telegram.group_message(group, MEMBER, "/subscriptions")
    [_, listing] = telegram.wait_sent(2, chat_id=-1007800)
    assert "virtual-humans" in listing.plain and "PAUSED" not in listing.plain


def test_migrated_group_keeps_its_subscriptions(telegram: FakeTelegram, paperbot: BotProcess) -> None:
    old = telegram.group(-7900, "Small group", kind="group")
    telegram.admins[-7900] = {ADMIN}
    telegram.group_message(old, ADMIN, "/subscribe virtual-humans 07:30 Europe/Berlin")
    telegram.wait_sent(1, chat_id=-7900)
    new = telegram.group(-1007900, "Small group")
    telegram.migrate(old, new)
    query = "SELECT topic FROM subscriptions WHERE chat_id = ?"
    telegram.wait_until(lambda: db_rows(paperbot, query, "-1007900") == [("virtual-humans",)])
    telegram.group_message(new, MEMBER, "/subscriptions")
    [listing] = telegram.wait_sent(1, chat_id=-1007900)
    assert "07:30 Europe/Berlin" in listing.plain


def test_sigterm_exits_cleanly_and_the_token_is_never_logged(telegram: FakeTelegram, paperbot: BotProcess) -> None:
    telegram.private_message(7102, "/help")
    telegram.wait_sent(1, chat_id=7102)
    assert paperbot.stop(timeout=8) == 0
    stdout, stderr = paperbot.logs()
    assert "Traceback" not in stderr, stderr[-3000:]
    assert TOKEN not in stdout and TOKEN not in stderr
    assert "telegram adapter running" in stderr
    assert not Path(paperbot.workdir / ".env").exists()
