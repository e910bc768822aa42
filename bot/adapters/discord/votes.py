"""👍/👎 buttons under digest papers on Discord, working after a restart.

Each button's ``custom_id`` is the vote itself (``v:+:2407.03204``, see
:func:`bot.ports.vote_data`), and :class:`VoteButton` is a ``DynamicItem`` registered
with ``client.add_dynamic_items`` at start: discord.py matches any pressed button's
``custom_id`` against its template, so a button posted before a restart (or years ago)
still reaches :meth:`DiscordAdapter.on_vote`. Nothing per message is kept in memory.

Each paper has its row: "Full summary" (:class:`~bot.adapters.discord.threads.SummaryButton`),
``1 👍``, ``1 👎``; Discord allows five rows, so a digest message holds five papers.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

from bot.adapters.discord.threads import SummaryButton
from bot.i18n import t
from bot.ports import Tapped, parse_vote_data, vote_data
from bot.render.document import vote_label


class VoteHandler(Protocol):
    async def on_vote(self, interaction: discord.Interaction[Any], paper_id: str, value: int) -> None: ...


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


def vote_view(votes: list[tuple[int, str]], language: str = "en") -> discord.ui.View:
    """The buttons for one digest message: ``(number, paper id)`` per paper, in order, a row each."""
    view = discord.ui.View(timeout=None)
    for row, (number, paper_id) in enumerate(votes):
        view.add_item(SummaryButton(paper_id, f"{number}. {t(language, 'full_summary_button')}", row=row))
        for value in (1, 0):
            view.add_item(VoteButton(paper_id, value, f"{number} {VOTE_LABEL[value]}", row=row))
    return view


def relabeled(message: discord.Message | None, paper_id: str, tapped: Tapped) -> discord.ui.View | None:
    """The pressed message's buttons with this paper's counts updated; None when nothing changes."""
    if message is None:
        return None
    view = discord.ui.View(timeout=None)
    changed = False
    for row_index, row in enumerate(message.components):
        for component in getattr(row, "children", ()):
            if not isinstance(component, discord.Button) or not component.custom_id:
                continue
            label = component.label or ""
            vote = parse_vote_data(component.custom_id)
            if vote is not None and vote[0] == paper_id:
                number = label.split(" ", 1)[0] if label[:1].isdigit() else ""
                count = tapped.up if vote[1] else tapped.down
                new = f"{number} {vote_label(vote[1], count)}".strip()
                changed = changed or new != label
                label = new
            view.add_item(discord.ui.Button(label=label, custom_id=component.custom_id, style=component.style,
                                            row=row_index))
    return view if changed else None
