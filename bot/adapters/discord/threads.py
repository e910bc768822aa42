"""Conversations about one paper in Discord threads.

``/ask`` and the "Full summary" button open a public thread (on the bot's reply, or on
the digest message) and post the answer or summary inside it; the thread's channel id
is bound to the conversation (:class:`bot.ports.ThreadRef`), so what members then write
in that thread is a follow-up question about the same paper.

Facts of Discord that shape this:

* A thread started from a message has the message's id, and a message holds one thread
  only: a second paper's summary from the same digest message gets its own thread
  started without a message.
* Thread names are 1-100 characters and are shown as plain text.
* Reading what members write needs the ``GUILD_MESSAGES`` intent and the privileged
  ``MESSAGE_CONTENT`` intent. Without the latter Discord still delivers the content of
  messages that mention the bot, so follow-ups then work by mentioning it.
* After a restart a thread may not be in discord.py's cache: its message then arrives on
  a ``PartialMessageable`` without a parent, which is looked up once over REST.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Literal, Protocol

import discord

from bot.adapters.discord.render import OutMessage, escape, render
from bot.i18n import t
from bot.models import ChatRef
from bot.ports import Host, ThreadRef
from bot.replies import Answer, Reply, Summary, flatten

log = logging.getLogger(__name__)

MAX_THREAD_NAME = 100
ARCHIVE_MINUTES: Literal[1440] = 1440  # a quiet day, then Discord archives the thread; a new message reopens it
SUMMARY_ID = re.compile(r"/summarize (?P<paper>\S{1,88})")


class SummaryHandler(Protocol):
    async def on_full_summary(self, interaction: discord.Interaction[Any], paper_id: str) -> None: ...


class SummaryButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=SUMMARY_ID.pattern):
    """ "Full summary" under a digest paper; its ``custom_id`` is the command line, as on Telegram."""

    def __init__(self, paper_id: str, label: str, row: int | None = None) -> None:
        super().__init__(discord.ui.Button(label=label[:80], custom_id=f"/summarize {paper_id}",
                                           style=discord.ButtonStyle.primary, row=row))
        self.paper_id = paper_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> SummaryButton:
        return cls(match["paper"], getattr(item, "label", None) or "…")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handler: SummaryHandler = interaction.client.adapter
        await handler.on_full_summary(interaction, self.paper_id)


def conversation(reply: Reply) -> tuple[Summary | Answer, ThreadRef] | None:
    """The one summary or answer in a reply that starts a conversation, with the ref to bind."""
    leaves = [leaf for leaf in flatten(reply) if isinstance(leaf, Summary | Answer) and leaf.thread]
    if len(leaves) != 1:
        return None
    leaf = leaves[0]
    assert leaf.thread is not None
    return leaf, ThreadRef(leaf.paper.id, leaf.thread)


def thread_name(title: str) -> str:
    """A paper title as a thread name: one line, 1-100 characters."""
    name = " ".join(title.split()) or "paper"
    return name if len(name) <= MAX_THREAD_NAME else name[: MAX_THREAD_NAME - 1].rstrip() + "…"


async def start_thread(client: discord.Client, channel_id: int, message_id: int | None, name: str) -> int:
    """Start a public thread on ``message_id`` (or without a message when None); its channel id."""
    if message_id is not None:
        data = await client.http.start_thread_with_message(channel_id, message_id, name=name,
                                                           auto_archive_duration=ARCHIVE_MINUTES)
    else:
        data = await client.http.start_thread_without_message(channel_id, name=name, type=11,
                                                              auto_archive_duration=ARCHIVE_MINUTES)
    return int(data["id"])


async def thread_parent(client: discord.Client, message: discord.Message) -> int | None:
    """The text channel a message's thread belongs to; None when the message is not in a thread."""
    channel = message.channel
    if isinstance(channel, discord.Thread):
        return channel.parent_id
    if not isinstance(channel, discord.PartialMessageable) or channel.guild_id is None:
        return None  # a DM, or a server channel discord.py knows is not a thread
    try:  # not cached (e.g. after a restart): ask once what this channel is
        fetched = await client.fetch_channel(channel.id)
    except discord.HTTPException:
        return None
    return fetched.parent_id if isinstance(fetched, discord.Thread) else None


def question_text(message: discord.Message, bot_id: int | None) -> str:
    """What a member asked: the message text without a leading mention of the bot."""
    text = message.content
    if bot_id is not None:
        text = re.sub(rf"<@!?{bot_id}>", " ", text)
    return text.strip()


Interaction = discord.Interaction[Any]


class Side(Protocol):
    """What :class:`Conversations` uses of the Discord adapter."""

    @property
    def host_or_fail(self) -> Host: ...
    def chat_for(self, interaction: Interaction) -> ChatRef: ...
    async def respond(self, interaction: Interaction, messages: list[OutMessage]) -> None: ...
    async def error_text(self, chat: ChatRef | None, key: str = "internal_error", **values: object) -> str: ...
    async def track(self, work: Awaitable[None]) -> None: ...


class Conversations:
    """Opens threads for answers and summaries, and turns messages in them into follow-ups."""

    def __init__(self, side: Side, client: Callable[[], discord.Client],
                 send_kwargs: Callable[[OutMessage], dict[str, Any]]) -> None:
        self.side = side
        self.client = client
        self.send_kwargs = send_kwargs

    @staticmethod
    def can_open(interaction: Interaction) -> bool:
        """Threads need a server text channel: not a DM, and not a thread already."""
        return interaction.guild_id is not None and not isinstance(interaction.channel, discord.Thread | None)

    async def open_for_reply(self, interaction: Interaction, reply: Reply) -> bool:
        """``/ask`` (or ``/summarize``) answered: a short reply in the channel, the answer in a thread on it.

        False when nothing was shown because no thread could be opened; the caller then
        answers as usual. Once the answer is out, a later failure is only logged.
        """
        started = conversation(reply)
        if started is None or not isinstance(started[0], Answer) or not self.can_open(interaction):
            return False
        leaf, ref = started
        chat = self.side.chat_for(interaction)
        language = leaf.language
        if not interaction.response.is_done():
            await interaction.response.defer(thinking=True)
        name = thread_name(leaf.paper.title)
        note = escape(t(language, "thread_started", title=name))
        original = await interaction.edit_original_response(content=note[:2000], embeds=[],
                                                            allowed_mentions=discord.AllowedMentions.none())
        try:
            thread_id = await start_thread(self.client(), int(chat.chat_id), original.id, name)
        except discord.HTTPException as exc:  # no Create Public Threads permission, say: answer right here
            log.warning("could not open a discord thread; answering in the channel",
                        extra={"chat": chat.key, "code": getattr(exc, "code", None)})
            await self._answer_here(interaction, reply)
            return True
        if not await self._post(chat, thread_id, ref, reply):
            await self._answer_here(interaction, reply)
        return True

    async def _answer_here(self, interaction: Interaction, reply: Reply) -> None:
        for msg in render(reply):
            await interaction.followup.send(**self.send_kwargs(msg), wait=True)

    async def on_full_summary(self, interaction: Interaction, paper_id: str) -> None:
        await self.side.track(self._full_summary_or_error(interaction, paper_id))

    async def _full_summary_or_error(self, interaction: Interaction, paper_id: str) -> None:
        """A failure is told to the presser where "thinking…" was, never left spinning."""
        try:
            await self._full_summary(interaction, paper_id)
        except Exception:
            log.error("discord full summary failed", extra={"paper": paper_id}, exc_info=True)
            text = await self.side.error_text(self.side.chat_for(interaction))
            try:
                await self.side.respond(interaction, [OutMessage(content=escape(text), ephemeral=True)])
            except discord.HTTPException:
                log.warning("could not tell the presser about a failed summary", exc_info=True)

    async def _full_summary(self, interaction: Interaction, paper_id: str) -> None:
        """The summary goes into a thread on the digest message; the presser alone sees where."""
        side = self.side
        chat = side.chat_for(interaction)
        await interaction.response.defer(thinking=True, ephemeral=True)
        perms = interaction.permissions
        reply = await side.host_or_fail.dispatch_line(
            f"/summarize {paper_id}", user_id=str(interaction.user.id), chat=chat,
            can_admin=interaction.guild_id is None or perms.manage_channels or perms.administrator,
            user_name=interaction.user.display_name, dm_chat_id=f"user:{interaction.user.id}")
        started = conversation(reply)
        message = interaction.message
        if started is None or message is None or not self.can_open(interaction):
            await side.respond(interaction, render(reply))
            return
        leaf, ref = started
        name = thread_name(leaf.paper.title)
        try:
            thread_id = await self._thread_for(chat, message.id, ref, name)
        except discord.HTTPException as exc:
            log.warning("could not open a discord thread; showing the summary to the presser",
                        extra={"chat": chat.key, "code": getattr(exc, "code", None)})
            await side.respond(interaction, render(reply))
            return
        if await self._post(chat, thread_id, ref, reply):
            text = escape(t(leaf.language, "thread_summary_at")) + f" <#{thread_id}>"
            await side.respond(interaction, [OutMessage(content=text, ephemeral=True)])
        else:
            await side.respond(interaction, render(reply))

    async def _thread_for(self, chat: ChatRef, message_id: int, ref: ThreadRef, name: str) -> int:
        """The digest message's thread when it is about this paper; else this paper's own thread of it.

        A paper whose message already holds another paper's thread gets a thread started
        without a message, remembered under ``<message id>:<paper id>`` (its ``thread`` is
        the Discord thread id), so pressing its button again reuses it: one thread per
        paper, not one per press.
        """
        host, client = self.side.host_or_fail, self.client()
        bound = await host.find_thread(chat, str(message_id))
        if bound is not None and bound.paper_id == ref.paper_id:
            return message_id  # a thread started from a message has the message's id
        if bound is None:
            try:
                return await start_thread(client, int(chat.chat_id), message_id, name)
            except discord.HTTPException as exc:
                if exc.code != THREAD_ALREADY_EXISTS:
                    raise
        alias = f"{message_id}:{ref.paper_id}"
        own = await host.find_thread(chat, alias)
        if own is not None and own.thread.isdigit():
            return int(own.thread)
        thread_id = await start_thread(client, int(chat.chat_id), None, name)  # the message already has a thread
        try:
            await host.bind_thread(chat, alias, ThreadRef(ref.paper_id, str(thread_id)))
        except Exception:  # the thread is open; only its reuse by a later press is lost
            log.error("could not remember a discord thread", extra={"chat": chat.key}, exc_info=True)
        return thread_id

    async def _post(self, chat: ChatRef, thread_id: int, ref: ThreadRef, reply: Reply) -> bool:
        """Bind the thread, then post the reply in it; False when the reply did not get through.

        Binding first means a member who writes in the thread the moment the answer shows
        is already heard as a follow-up.
        """
        try:
            await self.side.host_or_fail.bind_thread(chat, str(thread_id), ref)
        except Exception:  # the answer still goes out; only follow-ups in this thread are lost
            log.error("could not remember a discord thread", extra={"chat": chat.key}, exc_info=True)
        target = self.client().get_partial_messageable(thread_id)
        try:
            for msg in render(reply):
                await target.send(**self.send_kwargs(msg))
        except discord.HTTPException:
            log.warning("could not post in a discord thread", extra={"chat": chat.key}, exc_info=True)
            return False
        return True

    # --- follow-ups --------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        """A member wrote in a thread the bot started: a follow-up question about its paper."""
        client = self.client()
        question = question_text(message, client.user.id if client.user else None)
        if message.author.bot or not question:  # itself included; the cheap checks before any lookup
            return
        parent = await thread_parent(client, message)
        if parent is None:
            return
        chat = ChatRef("discord", str(parent), "group")
        ref = await self.side.host_or_fail.find_thread(chat, str(message.channel.id))
        if ref is None:
            return
        await self.side.track(self._follow_up(message, chat, ref, question))

    async def _follow_up(self, message: discord.Message, chat: ChatRef, ref: ThreadRef, question: str) -> None:
        channel = message.channel
        here = ChatRef(chat.platform, chat.chat_id, chat.kind, str(channel.id))
        try:
            async with channel.typing():
                reply = await self.side.host_or_fail.dispatch_line(
                    f"/ask {ref.paper_id} {question}", user_id=str(message.author.id), chat=here, can_admin=False,
                    user_name=message.author.display_name, thread=ref.thread)
        except Exception:
            log.error("discord follow-up failed", extra={"chat": chat.key}, exc_info=True)
            reply = None
        messages = render(reply) if reply is not None else [
            OutMessage(content=escape(await self.side.error_text(here)))]
        try:
            for index, msg in enumerate(messages):
                kwargs = self.send_kwargs(msg)
                if index == 0:
                    kwargs["reference"] = message.to_reference(fail_if_not_exists=False)
                await channel.send(**kwargs)
        except discord.HTTPException:
            log.warning("could not answer a follow-up in a discord thread", extra={"chat": chat.key}, exc_info=True)


THREAD_ALREADY_EXISTS = 160004  # "A thread has already been created for this message"
