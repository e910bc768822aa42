"""👍/👎/🔖 buttons under digest papers on Discord, working after a restart.

Each button's ``custom_id`` is the vote itself (``v:+:2407.03204``, see
:func:`bot.ports.vote_data`), and :class:`VoteButton` is a ``DynamicItem`` registered
with ``client.add_dynamic_items`` at start: discord.py matches any pressed button's
``custom_id`` against its template, so a button posted before a restart (or years ago)
still reaches :meth:`DiscordAdapter.on_vote`. Nothing per message is kept in memory.

The 🔖 button (``s:2407.03204``, :class:`SaveButton`) saves the paper to the chat's
reading list the same way. Each paper has its own row: "Full summary"
(:class:`~bot.adapters.discord.threads.SummaryButton`), ``1 👍``, ``1 👎``, ``1 🔖``. Discord
allows five rows of five buttons, so a digest message holds at most five papers
(:data:`bot.adapters.discord.render.PAPERS_PER_MESSAGE`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import discord

from bot.adapters.discord.render import escape
from bot.adapters.discord.threads import SummaryButton
from bot.i18n import t
from bot.ports import Tapped, save_data, vote_data
from bot.render.document import save_label, vote_label

T = TypeVar("T")


class VoteHandler(Protocol):
    async def on_vote(self, interaction: discord.Interaction[Any], paper_id: str, value: int) -> None: ...
    async def on_save(self, interaction: discord.Interaction[Any], paper_id: str) -> None: ...


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"v:(?P<sign>[+-]):(?P<paper>\S{1,90})"):
    def __init__(self, paper_id: str, value: int, label: str | None = None, row: int | None = None) -> None:
        super().__init__(discord.ui.Button(label=label or VOTE_LABEL[value], custom_id=vote_data(paper_id, value),
                                           style=discord.ButtonStyle.secondary, row=row))
        self.paper_id = paper_id
        self.value = value

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> VoteButton:
        return cls(match["paper"], int(match["sign"] == "+"))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handler: VoteHandler = interaction.client.adapter
        await handler.on_vote(interaction, self.paper_id, self.value)


VOTE_LABEL = {1: vote_label(1, 0), 0: vote_label(0, 0)}


class SaveButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"s:(?P<paper>\S{1,90})"):
    def __init__(self, paper_id: str, label: str | None = None, row: int | None = None) -> None:
        super().__init__(discord.ui.Button(label=label or save_label(False), custom_id=save_data(paper_id),
                                           style=discord.ButtonStyle.secondary, row=row))
        self.paper_id = paper_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> SaveButton:
        return cls(match["paper"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handler: VoteHandler = interaction.client.adapter
        await handler.on_save(interaction, self.paper_id)


async def answer_tap(interaction: discord.Interaction[Any], work: Awaitable[T], fast: float,
                     outcome: Callable[[T], tuple[str | None, discord.ui.View | None]]) -> None:
    """Answer a button press quietly: new labels in place (type 7), a note to the presser alone.

    Work that may reach arXiv is deferred after ``fast`` seconds (Discord allows 3 s);
    a press that changes nothing is acknowledged without a message (type 6).
    """
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=fast)
    if not done:
        await interaction.response.defer()  # DEFERRED_UPDATE_MESSAGE
    note, view = outcome(await task)
    if view is not None and interaction.response.is_done():
        await interaction.edit_original_response(view=view)
    elif view is not None:
        await interaction.response.edit_message(view=view)  # UPDATE_MESSAGE
    if note is not None and interaction.response.is_done():
        await interaction.followup.send(escape(note), ephemeral=True)
    elif note is not None:
        await interaction.response.send_message(escape(note), ephemeral=True)
    elif not interaction.response.is_done():
        await interaction.response.defer()  # acknowledged, nothing to change


def vote_view(votes: list[tuple[int, str]], language: str = "en") -> discord.ui.View:
    """The buttons for one digest message: ``(number, paper id)`` per paper, in order, a row each."""
    view = discord.ui.View(timeout=None)
    for row, (number, paper_id) in enumerate(votes):
        view.add_item(SummaryButton(paper_id, f"{number}. {t(language, 'full_summary_button')}", row=row))
        for value in (1, 0):
            view.add_item(VoteButton(paper_id, value, f"{number} {VOTE_LABEL[value]}", row=row))
        view.add_item(SaveButton(paper_id, f"{number} {save_label(False)}", row=row))
    return view


def relabeled(message: discord.Message | None, paper_id: str, tapped: Tapped) -> discord.ui.View | None:
    """The pressed message's buttons with this paper's counts updated; None when nothing changes."""
    labels = {vote_data(paper_id, 1): vote_label(1, tapped.up), vote_data(paper_id, 0): vote_label(0, tapped.down)}
    return relabel_view(message, labels)


def ticked(message: discord.Message | None, paper_id: str, saved: bool) -> discord.ui.View | None:
    """The pressed message's buttons with this paper's 🔖 showing whether it is saved; None when unchanged."""
    return relabel_view(message, {save_data(paper_id): save_label(saved)})


def relabel_view(message: discord.Message | None, labels: dict[str, str]) -> discord.ui.View | None:
    """The message's buttons, those whose ``custom_id`` is in ``labels`` relabelled (keeping their number)."""
    if message is None:
        return None
    view = discord.ui.View(timeout=None)
    changed = False
    for row_index, row in enumerate(message.components):
        for component in getattr(row, "children", ()):
            if not isinstance(component, discord.Button) or not component.custom_id:
                continue
            label = component.label or ""
            if component.custom_id in labels:
                number = label.split(" ", 1)[0] if label[:1].isdigit() else ""
                new = f"{number} {labels[component.custom_id]}".strip()
                changed = changed or new != label
                label = new
            view.add_item(discord.ui.Button(label=label, custom_id=component.custom_id, style=component.style,
                                            row=row_index))
    return view if changed else None
