"""Inbound Telegram: updates become neutral commands, replies land where they were asked.

The real adapter runs in the test's loop against the fake Bot API; updates are
injected as Telegram would send them and the assertions read what the bot sent.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.config import ConfigError, Settings
from bot.core import Core
from bot.models import ChatRef
from tests.conftest import make_settings
from tests.e2e_telegram import InProcessBot, running_adapter
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.gemini import FakeGemini
from tests.fakes.telegram import FakeTelegram, Fault

ADMIN, MEMBER = 501, 502
GROUP = -1001234567890


@pytest.fixture
async def tg(settings: Settings) -> AsyncIterator[InProcessBot]:
    async with running_adapter(settings, private_interval=0.05) as running:
        running.fake.group(GROUP, "Vision reading group")
        running.fake.admins[GROUP] = {ADMIN}
        yield running


async def quiet(fake: FakeTelegram, seconds: float = 0.4) -> None:
    """Give the bot time to (wrongly) answer something it should ignore."""
    await asyncio.sleep(seconds)


async def test_every_command_is_published_with_short_descriptions(tg: InProcessBot) -> None:
    names = {spec.name for spec in tg.core.dispatcher.specs()}
    for language in (None, "en", "zh"):
        published = tg.fake.commands[language]
        assert {c["command"] for c in published} == names
        assert all(1 <= len(c["description"]) <= 256 for c in published)
    assert "订阅" in " ".join(c["description"] for c in tg.fake.commands["zh"])


async def test_help_in_a_private_chat_is_answered_as_html(tg: InProcessBot) -> None:
    tg.fake.private_message(tg.fake.user(42, "Ada"), "/help")
    [reply] = await tg.fake.wait_for_sent(1, chat_id=42)
    assert reply.parse_mode == "HTML" and reply.link_preview_disabled
    assert "/summarize" in reply.plain


async def test_pressing_start_shows_help(tg: InProcessBot) -> None:
    tg.fake.private_message(41, "/start")
    [reply] = await tg.fake.wait_for_sent(1, chat_id=41)
    assert "/summarize" in reply.plain


async def test_summary_in_a_forum_topic_replies_in_the_same_topic(tg: InProcessBot) -> None:
    forum = tg.fake.group(-1009876543210, "Lab", forum=True)
    tg.fake.group_message(forum, MEMBER, "/summarize 2407.21002", thread_id=77, forum=True)
    sent = await tg.fake.wait_for_sent(1, chat_id=forum["id"], timeout=20)
    assert all(s.message_thread_id == 77 for s in sent)
    assert "https://github.com/agnJason/XHand" in sent[0].plain
    assert (forum["id"], "typing") in tg.fake.actions, "slow commands show typing first"


async def test_non_admin_cannot_subscribe_a_group_and_nothing_is_saved(tg: InProcessBot) -> None:
    tg.fake.group_message(GROUP, MEMBER, "/subscribe virtual-humans 08:00 Asia/Shanghai")
    [reply] = await tg.fake.wait_for_sent(1, chat_id=GROUP)
    assert "admin" in reply.plain.lower() and "\n" not in reply.plain
    assert await tg.core.store.subscriptions.for_chat(ChatRef("telegram", str(GROUP), "group")) == []
    assert tg.fake.calls("getChatMember")[-1]["user_id"] == MEMBER


async def test_admin_and_anonymous_admin_can_subscribe_a_group(tg: InProcessBot) -> None:
    tg.fake.group_message(GROUP, ADMIN, "/subscribe virtual-humans 08:00 Asia/Shanghai")
    await tg.fake.wait_for_sent(1, chat_id=GROUP)
    tg.fake.group_message(GROUP, None, "/subscribe llm 09:30", anonymous_admin=True)  # type: ignore[arg-type]
    sent = await tg.fake.wait_for_sent(2, chat_id=GROUP)
    assert all("Subscribed" in s.plain for s in sent), [s.plain for s in sent]
    subs = await tg.core.store.subscriptions.for_chat(ChatRef("telegram", str(GROUP), "group"))
    assert {s.topic for s in subs} == {"virtual-humans", "llm"}
    assert sent[0].reply_to is not None, "in groups the reply quotes the command"


async def test_commands_that_need_no_admin_do_not_ask_telegram(tg: InProcessBot) -> None:
    tg.fake.group_message(GROUP, MEMBER, "/subscriptions")
    await tg.fake.wait_for_sent(1, chat_id=GROUP)
    assert tg.fake.calls("getChatMember") == []


async def test_edited_command_is_not_run_again(tg: InProcessBot) -> None:
    tg.fake.honour_allowed_updates = False  # even if Telegram sent edits, the filter must drop them
    tg.fake.edited_message(GROUP, ADMIN, "/subscribe virtual-humans 08:00")
    tg.fake.group_message(GROUP, ADMIN, "/subscriptions")
    [reply] = await tg.fake.wait_for_sent(1, chat_id=GROUP)
    await quiet(tg.fake)
    assert len(tg.fake.messages_to(GROUP)) == 1
    assert "No subscriptions" in reply.plain


async def test_unknown_commands_in_groups_are_ignored_unless_addressed_to_the_bot(tg: InProcessBot) -> None:
    tg.fake.group_message(GROUP, MEMBER, "/frobnicate")
    tg.fake.group_message(GROUP, MEMBER, "/help@some_other_bot")
    await quiet(tg.fake)
    assert tg.fake.messages_to(GROUP) == []
    tg.fake.group_message(GROUP, MEMBER, "/frobnicate@paperbot_test_bot")
    [reply] = await tg.fake.wait_for_sent(1, chat_id=GROUP)
    assert "/help" in reply.plain
    tg.fake.private_message(43, "/frobnicate")
    await tg.fake.wait_for_sent(1, chat_id=43)


async def test_addressed_command_in_a_group_runs(tg: InProcessBot) -> None:
    tg.fake.group_message(GROUP, MEMBER, "/help@paperbot_test_bot")
    [reply] = await tg.fake.wait_for_sent(1, chat_id=GROUP)
    assert "/summarize" in reply.plain


async def test_channel_post_command_runs_as_an_admin(tg: InProcessBot) -> None:
    channel = tg.fake.channel(-1005550001111, "Papers daily")
    tg.fake.channel_post(channel, "/subscribe@paperbot_test_bot virtual-humans 07:00 UTC")
    [reply] = await tg.fake.wait_for_sent(1, chat_id=channel["id"])
    assert "Subscribed" in reply.plain
    subs = await tg.core.store.subscriptions.for_chat(ChatRef("telegram", str(channel["id"]), "channel"))
    assert [s.topic for s in subs] == ["virtual-humans"]


async def test_full_summary_button_runs_the_command_for_the_presser(tg: InProcessBot) -> None:
    tg.fake.group_message(GROUP, MEMBER, "/digest virtual-humans")
    digest = await tg.fake.wait_for_sent(1, chat_id=GROUP, timeout=20)
    with_buttons = next(s for s in await _settled(tg.fake, GROUP) if s.buttons)
    assert with_buttons.buttons[0]["text"].startswith("1. ")
    before = len(tg.fake.messages_to(GROUP))
    tg.fake.callback_query(MEMBER, with_buttons)
    sent = await tg.fake.wait_for_sent(before + 1, chat_id=GROUP, timeout=20)
    assert tg.fake.callback_answers, "the button's spinner is stopped"
    assert "Key takeaways" in sent[before].plain and digest


async def test_button_in_a_channel_answers_the_reader_in_private(tg: InProcessBot) -> None:
    channel = tg.fake.channel(-1005550002222, "Papers daily")
    tg.fake.channel_post(channel, "/digest virtual-humans")
    with_buttons = next(s for s in await _settled(tg.fake, channel["id"]) if s.buttons)
    before = len(tg.fake.messages_to(channel["id"]))
    tg.fake.callback_query(tg.fake.user(46), with_buttons)
    sent = await tg.fake.wait_for_sent(1, chat_id=46, timeout=20)
    assert "Key takeaways" in sent[0].plain
    assert len(tg.fake.messages_to(channel["id"])) == before, "nothing is posted into the channel"


async def test_button_in_a_channel_asks_a_stranger_to_start_the_bot_first(tg: InProcessBot) -> None:
    channel = tg.fake.channel(-1005550003333, "Papers daily")
    tg.fake.channel_post(channel, "/digest virtual-humans")
    with_buttons = next(s for s in await _settled(tg.fake, channel["id"]) if s.buttons)
    tg.fake.blocked.add(47)  # never pressed Start: Telegram refuses to open the chat
    tg.fake.callback_query(tg.fake.user(47), with_buttons)
    await _until(lambda: _answered(tg.fake))
    answer = tg.fake.callback_answers[-1]
    assert answer["show_alert"] is True and "@paperbot_test_bot" in answer["text"]


async def test_a_reply_that_cannot_be_sent_ends_in_a_friendly_line(
    tg: InProcessBot, caplog: pytest.LogCaptureFixture,
) -> None:
    tg.fake.faults.extend(Fault(502, "Bad Gateway", None, method="sendMessage", chat_id=GROUP) for _ in range(3))
    tg.fake.group_message(GROUP, MEMBER, "/help")
    [reply] = await tg.fake.wait_for_sent(1, chat_id=GROUP, timeout=10)
    assert reply.plain.startswith("⚠️ Sorry, something went wrong")
    assert "Traceback" in caplog.text and "123:ABC" not in caplog.text


async def test_webhook_mode_receives_updates_with_the_secret(settings: Settings) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hooked = settings.model_copy(update={"telegram_webhook_url": f"http://127.0.0.1:{port}/tg/hook",
                                         "telegram_webhook_listen": "127.0.0.1", "telegram_webhook_port": port})
    async with running_adapter(hooked) as tg:
        assert tg.fake.webhook is not None and len(tg.fake.webhook["secret_token"]) >= 32
        assert tg.fake.calls("getUpdates") == []
        tg.fake.private_message(48, "/help")
        [reply] = await tg.fake.wait_for_sent(1, chat_id=48)
        assert "/summarize" in reply.plain and tg.fake.webhook_statuses == [200]


async def test_private_replies_are_spaced_by_the_private_interval(settings: Settings) -> None:
    async with running_adapter(settings, private_interval=0.3) as tg:
        tg.fake.private_message(44, "/help")
        tg.fake.private_message(44, "/topics")
        tg.fake.private_message(44, "/subscriptions")
        sent = await tg.fake.wait_for_sent(3, chat_id=44)
        gaps = [b.at - a.at for a, b in zip(sent, sent[1:], strict=False)]
        assert min(gaps) >= 0.28, gaps


async def test_bot_kicked_pauses_the_chat_and_being_added_back_resumes(tg: InProcessBot) -> None:
    chat = ChatRef("telegram", str(GROUP), "group")
    tg.fake.group_message(GROUP, ADMIN, "/subscribe virtual-humans")
    await tg.fake.wait_for_sent(1, chat_id=GROUP)
    tg.fake.my_chat_member(GROUP, "kicked")
    await _until(lambda: _paused(tg, chat))
    [sub] = await tg.core.store.subscriptions.for_chat(chat)
    assert "removed" in (sub.paused_reason or "")
    tg.fake.my_chat_member(GROUP, "member", old_status="left")
    await _until(lambda: _paused(tg, chat), expect=False)


async def test_user_blocking_the_bot_pauses_their_private_chat(tg: InProcessBot) -> None:
    chat = ChatRef("telegram", "45", "private")
    tg.fake.private_message(45, "/subscribe virtual-humans")
    await tg.fake.wait_for_sent(1, chat_id=45)
    tg.fake.my_chat_member(45, "kicked")
    await _until(lambda: _paused(tg, chat))
    [sub] = await tg.core.store.subscriptions.for_chat(chat)
    assert sub.paused_reason == "Forbidden: bot was blocked by the user"


async def test_group_upgraded_to_supergroup_keeps_its_subscriptions(tg: InProcessBot) -> None:
    old = tg.fake.group(-4001, "Small group", kind="group")
    tg.fake.admins[-4001] = {ADMIN}
    tg.fake.group_message(old, ADMIN, "/subscribe virtual-humans 08:00")
    await tg.fake.wait_for_sent(1, chat_id=-4001)
    tg.fake.migrate(old, tg.fake.group(-1004001, "Small group"))
    new = ChatRef("telegram", "-1004001", "group")

    async def moved() -> bool:
        return [s.topic for s in await tg.core.store.subscriptions.for_chat(new)] == ["virtual-humans"]

    await _until(moved)
    assert await tg.core.store.subscriptions.for_chat(ChatRef("telegram", "-4001", "group")) == []


async def test_stop_is_quick_and_lets_a_running_command_reply(settings: Settings) -> None:
    async with running_adapter(settings) as tg:
        tg.fake.private_message(49, "/summarize 2407.21002")
        await _until(lambda: _typing(tg.fake, 49))
        await tg.adapter.stop()
        assert "https://github.com/agnJason/XHand" in tg.fake.messages_to(49)[0].plain
        assert tg.fake.expired_polls == 0  # stop cut the long poll short rather than waiting it out


async def test_a_rejected_token_is_a_configuration_error(settings: Settings) -> None:
    fake = FakeTelegram(token="123:ABC")
    await fake.start()
    try:
        wrong = settings.model_copy(update={"telegram_bot_token": SecretStr("999:WRONG"),
                                            "telegram_api_url": fake.url})
        async with await Core.create(wrong) as core:
            with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
                await TelegramAdapter(wrong).start(core.host)
    finally:
        await fake.stop()


# ---------------------------------------------------------------------------- helpers

async def _paused(tg: InProcessBot, chat: ChatRef) -> bool:
    return (await tg.core.store.chats.settings(chat)).paused_reason is not None


async def _typing(fake: FakeTelegram, chat_id: int) -> bool:
    return (chat_id, "typing") in fake.actions


async def _answered(fake: FakeTelegram) -> bool:
    return bool(fake.callback_answers)


async def _until(check: object, expect: bool = True, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if (await check()) == expect:  # type: ignore[operator]
            return
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def _settled(fake: FakeTelegram, chat_id: int, quiet_for: float = 0.5) -> list:  # type: ignore[type-arg]
    """All messages to a chat once the bot has stopped sending for a moment."""
    count = -1
    while count != len(fake.messages_to(chat_id)):
        count = len(fake.messages_to(chat_id))
        await asyncio.sleep(quiet_for)
    return fake.messages_to(chat_id)


async def test_a_broken_answer_after_a_sent_reply_is_logged_not_shown(
    tg: InProcessBot, caplog: pytest.LogCaptureFixture,
) -> None:
    tg.fake.malformed.add("sendMessage")  # the message goes out; the Message sent back lacks chat and date
    tg.fake.group_message(GROUP, ADMIN, "/subscribe virtual-humans 08:00")
    await tg.fake.wait_for_sent(1, chat_id=GROUP)
    await quiet(tg.fake, 1.0)
    assert [s.plain for s in tg.fake.messages_to(GROUP)] == [tg.fake.messages_to(GROUP)[0].plain]
    assert "Subscribed" in tg.fake.messages_to(GROUP)[0].plain
    assert "something went wrong" not in "\n".join(s.plain for s in tg.fake.messages_to(GROUP))
    subs = await tg.core.store.subscriptions.for_chat(ChatRef("telegram", str(GROUP), "group"))
    assert [s.topic for s in subs] == ["virtual-humans"]
    assert "reply sent, but Telegram's answer could not be read" in caplog.text


async def test_bot_kicked_tells_the_subscriber_once_by_dm(tg: InProcessBot) -> None:
    chat = ChatRef("telegram", str(GROUP), "group")
    tg.fake.user(ADMIN, "Ada")  # has a private chat with the bot
    tg.fake.group_message(GROUP, ADMIN, "/subscribe virtual-humans")
    await tg.fake.wait_for_sent(1, chat_id=GROUP)
    tg.fake.my_chat_member(GROUP, "kicked")
    [notice] = await tg.fake.wait_for_sent(1, chat_id=ADMIN)
    assert "virtual-humans" in notice.plain and "paused" in notice.plain
    tg.fake.my_chat_member(GROUP, "kicked")  # told once, not at every update
    await _until(lambda: _paused(tg, chat))
    await quiet(tg.fake, 1.0)
    assert len(tg.fake.messages_to(ADMIN)) == 1


async def test_group_admins_get_the_larger_model_quota_on_telegram(arxiv: FakeArxiv, gemini: FakeGemini,
                                                                  tmp_path: Path) -> None:
    settings = make_settings(arxiv, tmp_path, llm_backend="gemini", gemini_api_key="test-gemini-key",
                             gemini_base_url=gemini.url, llm_requests_per_minute=1000,
                             quota_user_model_calls=0, quota_admin_model_calls=5)
    async with running_adapter(settings, private_interval=0.05) as running:
        running.fake.group(GROUP, "Vision reading group")
        running.fake.admins[GROUP] = {ADMIN}
        running.fake.group_message(GROUP, MEMBER, "/summarize 2407.21002")
        [refused] = await running.fake.wait_for_sent(1, chat_id=GROUP, timeout=20)
        assert "quota" in refused.plain and gemini.calls == 0
        running.fake.group_message(GROUP, ADMIN, "/summarize 2407.21002")
        await running.fake.wait_for_sent(2, chat_id=GROUP, timeout=20)
        assert gemini.calls >= 1
        assert "quota" not in (await _settled(running.fake, GROUP))[-1].plain
