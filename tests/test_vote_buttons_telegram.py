"""👍/👎 under every digest paper on Telegram: a tap is recorded and shown in place, quietly.

The real adapter runs against the fake Bot API; taps are injected as callback queries
and the assertions read the answers and the edited reply markup.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bot.models import ChatRef
from bot.topics.profiles import chat_audience, user_audience
from tests import test_telegram_commands as command_tests
from tests.e2e_telegram import InProcessBot
from tests.fakes.telegram import Sent

tg, _settled = command_tests.tg, command_tests._settled  # the same fixture and helper
ADMIN, MEMBER, OTHER = 501, 502, 503
GROUP = -1001234567890


async def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


def _vote_button(sent: Sent, value: int) -> dict[str, str]:
    sign = "+" if value else "-"
    return next(b for b in sent.buttons if b["callback_data"].startswith(f"v:{sign}:"))


async def _digest(tg: InProcessBot) -> Sent:
    tg.fake.group_message(GROUP, MEMBER, "/digest virtual-humans")
    await tg.fake.wait_for_sent(1, chat_id=GROUP, timeout=20)
    return next(s for s in await _settled(tg.fake, GROUP) if s.buttons)


async def test_every_digest_paper_has_vote_buttons_beside_full_summary(tg: InProcessBot) -> None:
    sent = await _digest(tg)
    rows = sent.reply_markup["inline_keyboard"]  # type: ignore[index]
    for row in rows:
        paper = row[0]["callback_data"].removeprefix("/summarize ")
        assert [b["text"] for b in row[1:]] == ["👍", "👎", "🔖"]
        assert [b["callback_data"] for b in row[1:]] == [f"v:+:{paper}", f"v:-:{paper}", f"s:{paper}"]
        assert all(len(b["callback_data"].encode()) <= 64 for b in row)


async def test_a_tap_is_recorded_answered_and_shown_in_place_without_a_new_message(tg: InProcessBot) -> None:
    sent = await _digest(tg)
    before = len(tg.fake.messages_to(GROUP))
    up = _vote_button(sent, 1)
    paper = up["callback_data"][4:]
    tg.fake.callback_query(MEMBER, sent, up["callback_data"])
    await _until(lambda: len(tg.fake.markup_edits) == 1)
    assert _vote_button(sent, 1)["text"] == "👍 1"
    assert tg.fake.callback_answers[-1].get("text") is None, "a recorded tap is acknowledged silently"
    feedback = tg.core.store.feedback
    assert await feedback.votes(chat_audience("telegram", str(GROUP))) == {paper: 1.0}
    assert await feedback.votes(user_audience("telegram", str(MEMBER))) == {paper: 1.0}, "trains the voter too"

    tg.fake.callback_query(OTHER, sent, up["callback_data"])  # another member: counts separately
    await _until(lambda: _vote_button(sent, 1)["text"] == "👍 2")
    tg.fake.callback_query(MEMBER, sent, _vote_button(sent, 0)["callback_data"])  # switches, not adds
    await _until(lambda: _vote_button(sent, 0)["text"] == "👎 1")
    assert _vote_button(sent, 1)["text"] == "👍 1"
    tg.fake.callback_query(MEMBER, sent, _vote_button(sent, 0)["callback_data"])  # same button again: undone
    await _until(lambda: _vote_button(sent, 0)["text"] == "👎")
    await asyncio.sleep(0.3)
    assert len(tg.fake.messages_to(GROUP)) == before, "a tap never posts into the group"


async def test_a_flood_of_taps_is_refused_with_a_short_answer(tg: InProcessBot) -> None:
    sent = await _digest(tg)
    tg.core.feedback.limiter.per_minute = 2
    data = _vote_button(sent, 1)["callback_data"]
    for _ in range(3):
        tg.fake.callback_query(MEMBER, sent, data)
    await _until(lambda: len(tg.fake.callback_answers) >= 3)
    refused = [a for a in tg.fake.callback_answers if a.get("text")]
    assert len(refused) == 1 and "a minute" in refused[0]["text"]
    assert refused[0].get("show_alert") in (None, False), "a toast, not a dialog"


async def test_a_tap_on_a_paper_arxiv_no_longer_has_says_why(tg: InProcessBot) -> None:
    sent = await _digest(tg)
    edits = len(tg.fake.markup_edits)
    tg.fake.callback_query(MEMBER, sent, "v:+:0912.99999")
    await _until(lambda: any(a.get("text") for a in tg.fake.callback_answers))
    assert "no longer on arXiv" in tg.fake.callback_answers[-1]["text"]
    assert len(tg.fake.markup_edits) == edits
    chat = ChatRef("telegram", str(GROUP), "group")
    assert await tg.core.store.feedback.votes(chat_audience(chat.platform, chat.chat_id)) == {}


async def test_a_tap_with_forged_or_garbled_data_is_answered_and_stores_nothing(tg: InProcessBot) -> None:
    sent = await _digest(tg)
    for data in ("v:+:<b>x</b>", "v:-:2407.0000100000000000", "v:+:../../etc"):
        answers = len(tg.fake.callback_answers)
        tg.fake.callback_query(MEMBER, sent, data)
        await _until(lambda n=answers: len(tg.fake.callback_answers) > n)
        assert tg.fake.callback_answers[-1].get("text"), data
    chat = ChatRef("telegram", str(GROUP), "group")
    assert await tg.core.store.feedback.votes(chat_audience(chat.platform, chat.chat_id)) == {}
