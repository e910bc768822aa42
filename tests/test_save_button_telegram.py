"""🔖 under every digest paper on Telegram: saved to the chat's reading list, ticked in place, quietly.

The real adapter runs against the fake Bot API; taps are callback queries, and the
assertions read the answers, the edited reply markup and the reading list.
"""

from __future__ import annotations

from bot.adapters.telegram.adapter import TelegramAdapter
from tests import test_telegram_commands as command_tests
from tests.e2e_telegram import InProcessBot
from tests.fakes.telegram import Sent
from tests.test_vote_buttons_telegram import GROUP, MEMBER, OTHER, _digest, _until

tg = command_tests.tg  # the same fixture


def _save_button(sent: Sent, n: int = 0) -> dict[str, str]:
    return [b for b in sent.buttons if b["callback_data"].startswith("s:")][n]


async def test_a_save_tap_adds_the_paper_answers_quietly_and_ticks_the_button(tg: InProcessBot) -> None:
    sent = await _digest(tg)
    before = len(tg.fake.messages_to(GROUP))
    data = _save_button(sent)["callback_data"]
    paper = data[2:]
    tg.fake.callback_query(MEMBER, sent, data)
    await _until(lambda: len(tg.fake.markup_edits) == 1)
    assert _save_button(sent)["text"] == "🔖 ✓" and _save_button(sent, 1)["text"] == "🔖"
    assert tg.fake.callback_answers[-1].get("text") is None, "acknowledged silently"
    [entry] = await tg.core.store.reading.entries(f"telegram:{GROUP}")
    assert entry.paper_id == paper and len(entry.savers) == 1

    tg.fake.callback_query(MEMBER, sent, data)  # the same member again: nothing changes, a toast says so
    await _until(lambda: len(tg.fake.callback_answers) == 2)
    assert "Already on the reading list" in tg.fake.callback_answers[-1]["text"]
    tg.fake.callback_query(OTHER, sent, data)  # another member: counted as a saver, still one entry
    await _until(lambda: len(tg.fake.callback_answers) == 3)
    [entry] = await tg.core.store.reading.entries(f"telegram:{GROUP}")
    assert len(entry.savers) == 2
    await tg.adapter.stop()  # waits for any handler still running, so a wrong post would be out by now
    assert len(tg.fake.messages_to(GROUP)) == before, "a tap never posts into the group"


async def test_a_save_button_from_before_a_restart_still_works(tg: InProcessBot) -> None:
    sent = await _digest(tg)
    await tg.adapter.stop()
    tg.adapter = TelegramAdapter(tg.core.settings, private_interval=0.05)  # the fixture stops this one
    await tg.adapter.start(tg.core.host)
    tg.core.adapters[tg.adapter.name] = tg.adapter
    data = _save_button(sent, 1)["callback_data"]
    tg.fake.callback_query(MEMBER, sent, data)
    await _until(lambda: _save_button(sent, 1)["text"] == "🔖 ✓")
    assert [e.paper_id for e in await tg.core.store.reading.entries(f"telegram:{GROUP}")] == [data[2:]]


async def test_a_save_tap_on_a_paper_arxiv_no_longer_has_says_why_and_stores_nothing(tg: InProcessBot) -> None:
    sent = await _digest(tg)
    edits = len(tg.fake.markup_edits)
    tg.fake.callback_query(MEMBER, sent, "s:0912.99999")
    tg.fake.callback_query(MEMBER, sent, "s:not an id")
    await _until(lambda: sum(1 for a in tg.fake.callback_answers if a.get("text")) == 2)
    assert all("no longer on arXiv" in a["text"] for a in tg.fake.callback_answers)
    assert len(tg.fake.markup_edits) == edits
    assert await tg.core.store.reading.entries(f"telegram:{GROUP}", None) == []


async def test_a_flood_of_save_taps_is_refused_with_a_short_answer(tg: InProcessBot) -> None:
    sent = await _digest(tg)
    tg.core.reading.limiter.per_minute = 2
    for n in range(3):
        tg.fake.callback_query(MEMBER, sent, _save_button(sent, n)["callback_data"])
    await _until(lambda: len(tg.fake.callback_answers) >= 3)
    refused = [a for a in tg.fake.callback_answers if a.get("text")]
    assert len(refused) == 1 and "a minute" in refused[0]["text"]
    assert len(await tg.core.store.reading.entries(f"telegram:{GROUP}")) == 2
