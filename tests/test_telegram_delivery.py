"""Outbound Telegram: what the real Bot API does to messages, and how nothing gets lost.

``adapter.send`` is what scheduled digests use. It runs against the fake Bot API,
which is strict: it rejects invalid HTML and text over the limit, answers 429 on a
sliding window, and fails chats that are blocked, missing or migrated.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from datetime import time as dtime

import pytest

from bot.config import Settings
from bot.delivery import Target
from bot.models import ChatRef, Paper, Topic
from bot.ports import ChatUnavailable
from bot.replies import Digest, DigestEntry, Replies, Summary, Text
from bot.summary_schema import BriefSummary, SummaryResult
from tests.e2e_telegram import InProcessBot, running_adapter
from tests.fakes.telegram import Fault, parse_html

# PTB 22.8 itself reads the deprecated RetryAfter.retry_after when it builds the exception for a 429.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")

TOPIC = Topic("virtual-humans", "元宇宙/虚拟人 · Virtual humans", ("cs.CV",), "avatar")
CHANNEL = -1007770001
GROUP = -1007770002
TITLE = "Gaussian <Avatars> & $\\mathbb{R}^3$: *fast* R&D"


@pytest.fixture
async def tg(settings: Settings) -> AsyncIterator[InProcessBot]:
    async with running_adapter(settings, private_interval=0.05) as running:
        running.fake.channel(CHANNEL, "Papers daily")
        running.fake.group(GROUP, "Reading group")
        yield running


def result(i: int, title: str | None = None, takeaway: str = "A takeaway.", figures: int = 0) -> SummaryResult:
    paper = Paper(id=f"2408.{10000 + i}", version=1, title=title or f"Avatar paper {i}", authors=("A. Author",),
                  abstract="Abstract.")
    return SummaryResult(paper=paper, kind="brief", language="en",
                         content=BriefSummary(one_line=f"What paper {i} does.", takeaways=[takeaway] * 5),
                         model="extractive", label="extractive summary", figures=[b"\x89PNG fake"] * figures)


def long_digest(n: int = 20) -> Digest:
    takeaway = "Avatars with <hands> & faces, trained on $10^6$ frames; beats the baseline by 3%. " * 2
    return Digest(TOPIC, date(2024, 8, 5), "en",
                  tuple(DigestEntry(r.paper, r) for r in (result(i, takeaway=takeaway) for i in range(n))))


def channel(chat_id: int = CHANNEL) -> ChatRef:
    return ChatRef("telegram", str(chat_id), "channel")


async def test_long_digest_to_a_channel_is_split_into_valid_messages(tg: InProcessBot) -> None:
    ids = await tg.adapter.send(channel(), long_digest())
    sent = tg.fake.messages_to(CHANNEL)
    assert len(ids) == len(sent) > 2
    for message in sent:  # the fake already refused anything invalid; check the rule anyway
        assert len(parse_html(message.text or "").encode("utf-16-le")) // 2 <= 4096
    assert sum(len(m.buttons) for m in sent) == 20 * 4  # Full summary, 👍, 👎, 🔖 per paper


async def test_markup_characters_in_titles_arrive_as_written(tg: InProcessBot) -> None:
    r = result(1, TITLE)
    await tg.adapter.send(channel(), Digest(TOPIC, date(2024, 8, 5), "en", (DigestEntry(r.paper, r),)))
    [message] = tg.fake.messages_to(CHANNEL)
    assert TITLE in message.plain


async def test_resumed_delivery_skips_parts_already_sent_and_reports_each_part(tg: InProcessBot) -> None:
    digest = long_digest(10)
    first = await tg.adapter.send(channel(), digest)
    assert len(first) >= 3
    recorded: list[tuple[int, str]] = []

    async def on_sent(index: int, message_id: str) -> None:
        recorded.append((index, message_id))

    rest = await tg.adapter.send(channel(), digest, skip=2, on_sent=on_sent)
    assert [i for i, _ in recorded] == list(range(2, len(first)))
    assert [m for _, m in recorded] == rest
    texts = [m.text for m in tg.fake.messages_to(CHANNEL)]
    assert texts[len(first):] == texts[2:len(first)]


async def test_rate_limit_storm_loses_no_message_and_keeps_order(
    tg: InProcessBot, caplog: pytest.LogCaptureFixture,
) -> None:
    chats = [ChatRef("telegram", str(GROUP - c), "group") for c in range(6)]
    for chat in chats:
        tg.fake.group(int(chat.chat_id))
    # Six 429s in a row for one chat outlast AIORateLimiter's five retries; the adapter waits out
    # the sixth. Meanwhile the fake's global window is far below what the adapter aims for.
    tg.fake.faults.extend(Fault(method="sendMessage", chat_id=int(chats[0].chat_id)) for _ in range(6))
    tg.fake.global_rate = 3  # (every 429 pauses all requests, so the window must be small to be hit)
    replies = [Replies(tuple(Text(f"chat {c} part {p}") for p in range(3))) for c in range(6)]
    await asyncio.gather(*(tg.adapter.send(chat, reply) for chat, reply in zip(chats, replies, strict=True)))
    for c, chat in enumerate(chats):
        assert [m.plain for m in tg.fake.messages_to(int(chat.chat_id))] == [f"chat {c} part {p}" for p in range(3)]
    assert not tg.fake.faults and tg.fake.rate_limited, "the storm really happened"
    # Each 429 (the six scripted, and the fake's own) is waited out once, for what it asked (1 s) and
    # no longer; the sixth scripted one outlasts the limiter's retries and the adapter waits it out.
    waits = [(r.getMessage(), r.__dict__["seconds"]) for r in caplog.records if "seconds" in r.__dict__]
    pauses = [seconds for message, seconds in waits if message == "telegram flood control: pausing every request"]
    assert pauses == [1.1] * (6 + len(tg.fake.rate_limited))
    assert [seconds for message, seconds in waits if "outlasted the rate limiter" in message] == [1.0]


async def test_blocked_private_chat_raises_chat_unavailable(tg: InProcessBot) -> None:
    tg.fake.blocked.add(601)
    with pytest.raises(ChatUnavailable, match="blocked by the user"):
        await tg.adapter.send(ChatRef("telegram", "601", "private"), Text("hello"))


async def test_kicked_group_and_missing_chat_raise_chat_unavailable(tg: InProcessBot) -> None:
    tg.fake.blocked.add(GROUP)
    with pytest.raises(ChatUnavailable, match="kicked"):
        await tg.adapter.send(ChatRef("telegram", str(GROUP), "group"), Text("hello"))
    tg.fake.missing.add(-100999)
    with pytest.raises(ChatUnavailable, match="(?i)chat not found"):
        await tg.adapter.send(ChatRef("telegram", "-100999", "group"), Text("hello"))


async def test_delivery_to_a_blocked_chat_pauses_its_subscription(tg: InProcessBot) -> None:
    chat = ChatRef("telegram", str(GROUP), "group")
    sub = await tg.core.store.subscriptions.upsert(chat, "virtual-humans", dtime(8), "UTC")
    plan = await tg.core.store.deliveries.plan(sub.target, date(2024, 8, 5), "telegram", chat.chat_id, [])
    tg.fake.blocked.add(GROUP)
    outcome = await tg.core.delivery.send_plan(plan, Target(sub.target, chat, "en", 20, None), TOPIC)
    assert outcome == "unavailable"
    [paused] = await tg.core.store.subscriptions.for_chat(chat)
    assert paused.paused_reason == "Forbidden: bot was kicked from the supergroup chat"


async def test_migrated_group_gets_the_message_and_keeps_subscriptions(tg: InProcessBot) -> None:
    old = ChatRef("telegram", "-5001", "group")
    await tg.core.store.subscriptions.upsert(old, "virtual-humans", dtime(8), "UTC")
    tg.fake.group(-5001, kind="group")
    tg.fake.group(-1005001)
    tg.fake.migrated[-5001] = -1005001
    await tg.adapter.send(old, Replies((Text("first"), Text("second"))))
    assert [m.plain for m in tg.fake.messages_to(-1005001)] == ["first", "second"]
    assert tg.fake.messages_to(-5001) == []
    moved = await tg.core.store.subscriptions.for_chat(ChatRef("telegram", "-1005001", "group"))
    assert [s.topic for s in moved] == ["virtual-humans"]


async def test_rejected_html_still_arrives_as_plain_text(tg: InProcessBot) -> None:
    tg.fake.faults.append(Fault(400, "Bad Request: can't parse entities: Unsupported start tag", None,
                                method="sendMessage"))
    await tg.adapter.send(channel(), Text("a <b> & c"))
    [message] = tg.fake.messages_to(CHANNEL)
    assert message.parse_mode is None and message.text == "a <b> & c"


async def test_deleted_forum_topic_falls_back_to_the_main_chat(tg: InProcessBot) -> None:
    tg.fake.faults.append(Fault(400, "Bad Request: message thread not found", None, method="sendMessage"))
    await tg.adapter.send(ChatRef("telegram", str(GROUP), "group", "99"), Text("digest"))
    [message] = tg.fake.messages_to(GROUP)
    assert message.message_thread_id is None


async def test_figures_go_out_as_an_album_with_the_title_as_caption(tg: InProcessBot) -> None:
    await tg.adapter.send(channel(), Summary(result(2, TITLE, figures=3), "en"))
    album = [m for m in tg.fake.messages_to(CHANNEL) if m.method == "sendMediaGroup"]
    assert len(album) == 3 and album[0].plain == TITLE and album[1].text is None
    await tg.adapter.send(channel(), Summary(result(3, figures=1), "en"))
    assert tg.fake.messages_to(CHANNEL)[-1].method == "sendPhoto"


async def test_many_chats_at_once_stay_under_the_global_rate(tg: InProcessBot) -> None:
    chats = [ChatRef("telegram", str(-1008000000 - i), "channel") for i in range(45)]
    for chat in chats:
        tg.fake.channel(int(chat.chat_id))
    await asyncio.gather(*(tg.adapter.send(chat, Text("digest")) for chat in chats))
    assert len(tg.fake.sent) == 45
    assert not tg.fake.rate_limited, "the adapter paces itself below Telegram's 30/s"
    assert tg.fake.busiest_second <= 30  # as the fake counted them on arrival


async def test_a_chat_that_forbids_photos_gets_the_summary_and_stays_subscribed(tg: InProcessBot) -> None:
    tg.fake.faults.append(Fault(400, "Bad Request: not enough rights to send photos to the chat", None,
                                method="sendMediaGroup"))
    ids = await tg.adapter.send(channel(), Summary(result(4, TITLE, figures=3), "en"))
    texts = [m for m in tg.fake.messages_to(CHANNEL) if m.method == "sendMessage"]
    assert texts and ids[-1] == "figures-skipped"
