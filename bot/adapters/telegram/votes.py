"""👍/👎/🔖 buttons under digest papers: a tap is recorded and shown in place, never as a new message.

The tap is answered with ``answerCallbackQuery`` (silently, or with a short reason such
as the rate limit, which only the tapper sees) and the buttons are relabelled with the
chat's counts by ``editMessageReplyMarkup``. Tapping the same button again takes the
vote back (see :meth:`bot.services.feedback.Feedback.tap`).
"""

from __future__ import annotations

import contextlib
import logging

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.models import ChatRef
from bot.ports import Host, Tapped, save_data, vote_data
from bot.render.document import save_label, vote_label

log = logging.getLogger(__name__)


def relabel(markup: InlineKeyboardMarkup | None, paper_id: str, tapped: Tapped) -> InlineKeyboardMarkup | None:
    """The message's keyboard with this paper's vote buttons showing the new counts; None if unchanged."""
    labels = {vote_data(paper_id, 1): vote_label(1, tapped.up), vote_data(paper_id, 0): vote_label(0, tapped.down)}
    return relabel_buttons(markup, labels)


def relabel_buttons(markup: InlineKeyboardMarkup | None, labels: dict[str, str]) -> InlineKeyboardMarkup | None:
    """The keyboard with the buttons whose data is in ``labels`` relabelled; None if nothing changes."""
    if markup is None:
        return None
    changed = False
    rows: list[list[InlineKeyboardButton]] = []
    for row in markup.inline_keyboard:
        new_row = []
        for button in row:
            label = labels.get(str(button.callback_data)) if button.callback_data is not None else None
            if label is not None and label != button.text:
                button = InlineKeyboardButton(label, callback_data=button.callback_data)
                changed = True
            new_row.append(button)
        rows.append(new_row)
    return InlineKeyboardMarkup(rows) if changed else None


async def on_vote(host: Host, query: CallbackQuery, chat: ChatRef, paper_id: str, value: int) -> None:
    """Record one tap; answer it; show the counts. Never raises: a failed edit only loses the label."""
    tapped = await host.tap_vote(chat, str(query.from_user.id), paper_id, value)
    markup = None if tapped.refusal is not None else relabel(getattr(query.message, "reply_markup", None),
                                                             paper_id, tapped)
    await _answer(query, chat, tapped.refusal, markup)


async def on_save(host: Host, query: CallbackQuery, chat: ChatRef, paper_id: str) -> None:
    """A 🔖 tap: saved to the chat's reading list, answered (a note only the tapper sees), the button ticked."""
    user = query.from_user
    saved = await host.tap_save(chat, str(user.id), user.full_name or user.username, paper_id)
    markup = relabel_buttons(getattr(query.message, "reply_markup", None),
                             {save_data(paper_id): save_label(saved.saved)}) if saved.saved else None
    await _answer(query, chat, saved.note, markup)


async def _answer(query: CallbackQuery, chat: ChatRef, note: str | None, markup: InlineKeyboardMarkup | None) -> None:
    """Acknowledge the tap (with a toast only the tapper sees, if any), then show the new labels in place."""
    with contextlib.suppress(TelegramError):
        await query.answer(note)
    if markup is None:
        return
    try:
        await query.edit_message_reply_markup(markup)
    except TelegramError as exc:  # too old to edit, or deleted: the tap is recorded all the same
        log.info("could not relabel buttons", extra={"chat": chat.key, "error": str(exc)})
