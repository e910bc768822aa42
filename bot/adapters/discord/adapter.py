"""Discord adapter: slash commands in, embeds out, on the event loop shared with the rest.

Every command declared with ``@command`` becomes a slash command, generated from its
:class:`~bot.commands.CommandSpec` (no per-command code here). Commands are synced
explicitly (``paperbot discord-sync``) and at start only when their hash changed,
never in ``on_ready``: it runs on every reconnect and command creation has a daily
limit.

One setting, ``PAPERBOT_DISCORD_API_URL``, moves both REST and the gateway. discord.py
keeps the REST base in the class attribute ``Route.BASE`` and the gateway in
``DiscordWebSocket.DEFAULT_GATEWAY`` (a ``yarl.URL``), and a plain ``Client`` never asks
``/gateway``. So with a non-default base we ask that base's ``GET /gateway`` and use its
answer; that is how tests run the real adapter against a fake Discord on 127.0.0.1.

Start-up retries the REST login on network errors (a rejected token stops at once).
Stopping does not wait for discord.py's reconnect sleep, which grows to minutes while
Discord is unreachable and is not woken by ``close()``.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import keyword
import logging
import re
from typing import Any, Optional

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.base import AdapterBase
from bot.adapters.discord.render import OutMessage, escape, fit, render
from bot.adapters.discord.threads import Conversations, SummaryButton
from bot.adapters.discord.votes import SaveButton, VoteButton, answer_tap, relabeled, ticked, vote_view
from bot.config import ConfigError, Settings
from bot.i18n import t
from bot.models import ChatKind, ChatRef
from bot.ports import ChatUnavailable, Command, CommandSpec, Host, OnSent, Param
from bot.replies import Reply

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://discord.com/api/v10"
_DEFAULT_GATEWAY = DiscordWebSocket.DEFAULT_GATEWAY
META_KEY = "discord_commands_hash"
START_RETRY_SECONDS = (0.5, 30.0)  # first and longest wait between start-up attempts
GATEWAY_STOP_SECONDS = 1.0  # then the gateway task is cancelled: it may be sleeping before a reconnect
NETWORK_ERRORS = (OSError, aiohttp.ClientError, asyncio.TimeoutError, discord.DiscordServerError,
                  discord.GatewayNotFound)
FAST_REPLY_SECONDS = 2.0  # a "fast" command that is still busy by then is deferred (Discord allows 3 s)
NO_MENTIONS = discord.AllowedMentions.none()

Interaction = discord.Interaction[Any]
Values = dict[str, str | None]  # declared parameter name -> the option value, None when left out

# Errors that mean "this chat is gone for us": delivery pauses instead of retrying.
UNAVAILABLE_CODES = {
    50001: "missing access",
    50013: "missing permissions",
    50007: "cannot send messages to this user",
    10003: "unknown channel",
    10013: "unknown user",
}


class NotChannelManager(app_commands.CheckFailure):
    """A member without Manage Channels ran an admin command in a server."""


class _Tree(app_commands.CommandTree["_Client"]):
    async def on_error(self, interaction: Interaction, error: app_commands.AppCommandError) -> None:
        await self.client.adapter.on_command_error(interaction, error)


class _HelpTranslator(app_commands.Translator):
    """Command descriptions in the reader's Discord language, from each command's help_en/help_zh."""

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContext,
    ) -> str | None:
        language = _LOCALES.get(locale)
        text = string.extras.get(language) if language else None
        return fit(text, 100, escaped=False) if text else None


_LOCALES = {discord.Locale.chinese: "zh", discord.Locale.taiwan_chinese: "zh",
            discord.Locale.american_english: "en", discord.Locale.british_english: "en"}


class _Client(discord.Client):
    """Slash commands arrive as interactions; messages are read only for follow-ups in the bot's threads.

    ``message_content`` is privileged: when the Developer Portal has it off, the adapter
    connects without it and follow-ups then need a mention of the bot.
    """

    def __init__(self, adapter: DiscordAdapter, message_content: bool = True) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True  # MESSAGE_CREATE in threads: follow-up questions
        intents.message_content = message_content
        # We never join voice: skip the "PyNaCl/davey is not installed" warnings at every start.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            max_messages=None,
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
        )
        self.adapter = adapter
        self.tree = _Tree(self)
        self.add_dynamic_items(VoteButton, SaveButton, SummaryButton)  # digest buttons from before a restart work
        self.connected = asyncio.Event()

    async def on_connect(self) -> None:
        # Fired on READY, i.e. once the gateway session exists and interactions can arrive.
        self.connected.set()

    async def on_ready(self) -> None:
        log.info("discord ready", extra={"guilds": len(self.guilds)})  # deliberately no command sync here

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.threads.on_message(message)


class DiscordAdapter(AdapterBase):
    name = "discord"

    def __init__(self, settings: Settings, *, ready_timeout: float = 30.0) -> None:
        super().__init__(settings)
        self.ready_timeout = ready_timeout
        self.client: _Client | None = None
        self._gateway_task: asyncio.Task[None] | None = None
        self._dm_channels: dict[str, int] = {}
        self.message_content = True  # off once Discord refuses the privileged intent
        self.threads = Conversations(self, self._require_client, _send_kwargs)

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self, host: Host) -> None:
        """Log in, sync commands if they changed, connect the gateway in the background, wait for READY."""
        client = await self._login_retrying(host)
        try:
            await self._sync_if_changed()
        except Exception:  # a failed sync must not keep the bot offline; retried next start
            log.warning("discord command sync failed; will retry at next start", exc_info=True)
        self._gateway_task = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
        self._gateway_task.add_done_callback(_log_gateway_end)
        waiter = asyncio.create_task(client.connected.wait())
        done, _ = await asyncio.wait(
            {self._gateway_task, waiter}, timeout=self.ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if self._gateway_task in done:
            waiter.cancel()
            error = self._gateway_task.exception()
            await self.stop()
            if isinstance(error, discord.PrivilegedIntentsRequired) and self.message_content:
                log.warning("the Message Content intent is off in the Discord Developer Portal; follow-ups in "
                            "threads need a mention of the bot (see docs/discord.md)")
                self.message_content = False
                return await self.start(host)
            raise error or RuntimeError("the Discord gateway closed during start")
        if waiter not in done:
            waiter.cancel()
            log.warning("discord gateway not ready yet; still connecting", extra={"seconds": self.ready_timeout})
        else:
            log.info("discord connected", extra={"user_id": client.user.id if client.user else None})

    async def stop(self) -> None:
        """Let running commands finish briefly, then close the gateway and the HTTP session."""
        await self.finish_running()
        if self.client is not None and not self.client.is_closed():
            await self.client.close()
        if self._gateway_task is not None:
            _, pending = await asyncio.wait({self._gateway_task}, timeout=GATEWAY_STOP_SECONDS)
            for task in pending:
                task.cancel()
            await asyncio.gather(self._gateway_task, return_exceptions=True)
            self._gateway_task = None

    async def _login_retrying(self, host: Host) -> _Client:
        """:meth:`_login` until Discord answers; a network error at boot is not a crash."""
        wait, longest = START_RETRY_SECONDS
        attempt = 1
        while True:
            try:
                return await self._login(host)
            except NETWORK_ERRORS as exc:
                log.warning("discord is not reachable; retrying", extra={"attempt": attempt, "seconds": wait,
                                                                          "error": str(exc) or type(exc).__name__})
            await asyncio.sleep(wait)
            wait, attempt = min(wait * 2, longest), attempt + 1

    async def _login(self, host: Host) -> _Client:
        """REST login: fetches the bot user and application id; opens no gateway connection."""
        token = self.settings.discord_bot_token
        if token is None or not token.get_secret_value():
            raise ConfigError("configuration error: DISCORD_BOT_TOKEN: is not set")
        self.host = host
        point_rest_at(self.settings.discord_api_url)
        self.client = client = _Client(self, self.message_content)
        build_commands(client.tree, self)
        try:
            await client.tree.set_translator(_HelpTranslator())
            await client.login(token.get_secret_value())
            await point_gateway_at(client, self.settings.discord_api_url)
        except discord.LoginFailure:
            await client.close()
            raise ConfigError("configuration error: DISCORD_BOT_TOKEN: Discord rejected the token "
                              "(401 Unauthorized); copy it again from the Developer Portal") from None
        except BaseException:
            await client.close()  # an open aiohttp session would warn at exit
            raise
        return client

    # --- command sync ------------------------------------------------------------------

    async def commands_hash(self) -> str:
        """Hash of exactly what a sync would upload (translations included) and to which application."""
        tree = self._require_client().tree
        translator = tree.translator
        assert translator is not None
        payload = [await cmd.get_translated_payload(tree, translator) for cmd in tree.get_commands()]
        blob = json.dumps({"application": tree.client.application_id, "commands": payload}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    async def sync(self) -> int:
        """Overwrite the application's global commands with ours and remember their hash."""
        synced = await self._require_client().tree.sync()
        await self.host_or_fail.set_meta(META_KEY, await self.commands_hash())
        log.info("discord commands synced", extra={"count": len(synced)})
        return len(synced)

    async def _sync_if_changed(self) -> None:
        if await self.host_or_fail.get_meta(META_KEY) == await self.commands_hash():
            log.info("discord commands unchanged; not syncing")
            return
        await self.sync()

    # --- inbound -----------------------------------------------------------------------

    def chat_for(self, interaction: Interaction) -> ChatRef:
        channel = interaction.channel
        if isinstance(channel, discord.Thread):
            return ChatRef("discord", str(channel.parent_id), "group", str(channel.id))
        kind: ChatKind = "private" if interaction.guild_id is None else "group"
        return ChatRef("discord", str(interaction.channel_id or ""), kind)

    def command_for(self, interaction: Interaction, spec: CommandSpec, values: Values) -> Command:
        """The neutral command, with Discord's typed options by name: the dispatcher parses each by its kind."""
        options = {name: value for name, value in values.items() if value not in (None, "")}
        text = " ".join(str(v) for v in options.values())  # for the length check and the log only
        chat = self.chat_for(interaction)
        in_dm = interaction.guild_id is None
        perms = interaction.permissions
        return Command(
            name=spec.name,
            args=(),
            text=text,
            options={name: str(value) for name, value in options.items()},
            user_id=str(interaction.user.id),
            chat=chat,
            can_admin=in_dm or perms.manage_channels or perms.administrator,
            user_name=interaction.user.display_name,
            dm_chat_id=f"user:{interaction.user.id}",
        )

    async def handle(self, interaction: Interaction, spec: CommandSpec, values: Values) -> None:
        await self.track(self._handle(interaction, spec, values))

    async def _handle(self, interaction: Interaction, spec: CommandSpec, values: Values) -> None:
        host = self.host_or_fail
        cmd = self.command_for(interaction, spec, values)
        if spec.slow:
            await interaction.response.defer(thinking=True)
        work = asyncio.ensure_future(host.dispatch(cmd))
        if not spec.slow:
            done, _ = await asyncio.wait({work}, timeout=FAST_REPLY_SECONDS)
            if not done:  # slower than declared: keep the interaction alive
                await interaction.response.defer(thinking=True)
        reply = await work
        if not await self.threads.open_for_reply(interaction, reply):
            await self.respond(interaction, render(reply))

    async def respond(self, interaction: Interaction, messages: list[OutMessage]) -> None:
        """First message answers the interaction (or edits the "thinking" one); the rest are follow-ups."""
        for index, msg in enumerate(messages):
            kwargs = _send_kwargs(msg)
            if not interaction.response.is_done():
                await interaction.response.send_message(**kwargs, ephemeral=msg.ephemeral)
                continue
            deferred = interaction.response.type is discord.InteractionResponseType.deferred_channel_message
            if index == 0 and msg.ephemeral and deferred:
                # After defer(thinking=True) the "thinking…" message *is* the original response and
                # its visibility was fixed then; deleting it and following up leaves the user with
                # nothing. Replace it instead, so the error is seen where "thinking…" was.
                await interaction.edit_original_response(**_edit_kwargs(msg))
                continue
            await interaction.followup.send(**kwargs, ephemeral=msg.ephemeral, wait=True)

    async def on_vote(self, interaction: Interaction, paper_id: str, value: int) -> None:
        """A 👍/👎 tap: recorded, then shown by updating the buttons in place (type 7), quietly.

        A refusal (rate limit, a paper arXiv no longer has) is told to the tapper alone.
        """
        chat = self.chat_for(interaction)
        work = self.host_or_fail.tap_vote(chat, str(interaction.user.id), paper_id, value)
        await answer_tap(interaction, work, FAST_REPLY_SECONDS, lambda tapped: (
            (tapped.refusal, None) if tapped.refusal is not None else (None, relabeled(interaction.message, paper_id,
                                                                                      tapped))))

    async def on_save(self, interaction: Interaction, paper_id: str) -> None:
        """A 🔖 tap: the paper goes on the chat's reading list and its button is ticked in place, quietly."""
        chat = self.chat_for(interaction)
        work = self.host_or_fail.tap_save(chat, str(interaction.user.id), interaction.user.display_name, paper_id)
        await answer_tap(interaction, work, FAST_REPLY_SECONDS, lambda saved: (
            saved.note, ticked(interaction.message, paper_id, True) if saved.saved else None))

    async def on_full_summary(self, interaction: Interaction, paper_id: str) -> None:
        await self.threads.on_full_summary(interaction, paper_id)

    async def on_command_error(self, interaction: Interaction, error: app_commands.AppCommandError) -> None:
        """Every failure becomes one friendly ephemeral line; details go to the log only."""
        name = interaction.command.name if interaction.command else "?"
        chat = self.chat_for(interaction)
        if isinstance(error, NotChannelManager):
            text = await self.error_text(chat, "admins_only", name=name)
        elif isinstance(error, app_commands.NoPrivateMessage):
            text = await self.error_text(chat, "group_only", name=name)
        elif isinstance(error, app_commands.CommandNotFound):
            log.warning("unknown slash command; run `paperbot discord-sync`", extra={"command": error.name})
            text = await self.error_text(chat, "unknown_command", name=error.name[:40])
        else:
            original = getattr(error, "original", error)
            log.error("discord command failed", extra={"command": name},
                      exc_info=(type(original), original, original.__traceback__))
            text = await self.error_text(chat)
        try:
            await self.respond(interaction, [OutMessage(content=escape(text), ephemeral=True)])
        except Exception:
            log.warning("could not tell the user about a failed command", exc_info=True)

    async def complete_topic(self, interaction: Interaction, current: str,
                             keywords: tuple[str, ...] = ()) -> list[app_commands.Choice[str]]:
        names = [*keywords, *await self.host_or_fail.topic_names(self.chat_for(interaction))]
        needle = current.strip().lower()
        matches = [n for n in names if needle in n.lower()]
        matches.sort(key=lambda n: (not n.lower().startswith(needle), n))
        return [app_commands.Choice(name=n[:100], value=n[:100]) for n in matches[:25]]

    # --- outbound ----------------------------------------------------------------------

    async def send(self, chat: ChatRef, reply: Reply, *, skip: int = 0, on_sent: OnSent | None = None) -> list[str]:
        """Deliver a reply outside an interaction (scheduled digests); raises ChatUnavailable.

        Rendering is deterministic, so a resumed delivery skips the messages already recorded.
        """
        client = self._require_client()
        ids: list[str] = []
        try:
            target = await self._target(client, chat)
            for index, msg in enumerate(render(reply)):
                if index < skip:
                    continue
                sent = await target.send(**_send_kwargs(msg))
                ids.append(str(sent.id))
                if on_sent is not None:
                    await on_sent(index, ids[-1])
        except (discord.Forbidden, discord.NotFound) as exc:
            if isinstance(exc, discord.Forbidden) or exc.code in UNAVAILABLE_CODES:
                reason = UNAVAILABLE_CODES.get(exc.code, exc.text or "forbidden")
                log.warning("discord chat unavailable", extra={"chat": chat.key, "code": exc.code})
                raise ChatUnavailable(f"discord: {reason} ({exc.code})") from exc
            raise
        return ids

    def dm_chat(self, user_id: str) -> ChatRef | None:
        """A person's direct messages; ``send`` opens the DM channel on first use."""
        return ChatRef(self.name, f"user:{user_id}", "private") if user_id.isdigit() else None

    async def dm_channel_id(self, user_id: str) -> int:
        """The DM channel for a user, created on first use (personal digests go there)."""
        client = self._require_client()
        if user_id not in self._dm_channels:
            channel = await client.create_dm(discord.Object(int(user_id)))
            self._dm_channels[user_id] = channel.id
        return self._dm_channels[user_id]

    async def _target(self, client: _Client, chat: ChatRef) -> discord.abc.Messageable:
        try:
            if chat.chat_id.startswith("user:"):
                return client.get_partial_messageable(await self.dm_channel_id(chat.chat_id.removeprefix("user:")))
            return client.get_partial_messageable(int(chat.thread_id or chat.chat_id))
        except ValueError:
            raise ChatUnavailable(f"discord: {chat.chat_id!r} is not a channel id") from None

    def _require_client(self) -> _Client:
        if self.client is None:
            raise RuntimeError("the Discord adapter is not started")
        return self.client


# --- wiring discord.py -----------------------------------------------------------------


def point_rest_at(api_url: str) -> None:
    """Aim discord.py's REST calls (including webhooks and interaction callbacks) at ``api_url``."""
    Route.BASE = api_url.rstrip("/")


async def point_gateway_at(client: discord.Client, api_url: str) -> None:
    """With a non-default REST base, take the gateway URL from that base's ``GET /gateway``."""
    if api_url.rstrip("/") == DEFAULT_API_URL:
        DiscordWebSocket.DEFAULT_GATEWAY = _DEFAULT_GATEWAY
        return
    data = await client.http.request(Route("GET", "/gateway"))
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(data["url"])


def build_commands(tree: app_commands.CommandTree[Any], adapter: DiscordAdapter) -> None:
    """One slash command per declared command, options and permissions included."""
    for spec in adapter.host_or_fail.specs():
        tree.add_command(_slash_command(spec, adapter))


def _slash_command(spec: CommandSpec, adapter: DiscordAdapter) -> app_commands.Command[Any, ..., None]:
    """discord.py reads options from the callback's signature, so one generic callback gets a
    ``__signature__`` built from the spec, and the usual decorators add descriptions and choices."""
    names = {p.name: _option_names(p) for p in spec.params}

    async def callback(interaction: Interaction, **values: str | int | bool | None) -> None:
        by_param = {param: _option_text(values.get(py)) for param, (py, _) in names.items()}
        await adapter.handle(interaction, spec, by_param)

    parameters = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                    annotation=discord.Interaction)]
    describe: dict[str, str] = {}
    renames: dict[str, str] = {}
    choices: dict[str, list[app_commands.Choice[str]]] = {}
    autocompletes: dict[str, Any] = {}
    for param in spec.params:
        py, option = names[param.name]
        kind: Any = {"int": int, "switch": bool}.get(param.kind, str)  # Discord checks these types itself
        annotation: Any = kind if param.required else Optional[kind]  # noqa: UP007, UP045 - discord.py reads typing.Optional
        default = inspect.Parameter.empty if param.required else None
        parameters.append(inspect.Parameter(py, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default))
        describe[py] = fit(t("en", param.help), 100, escaped=False) or "…"
        if option != py:
            renames[py] = option
        if param.kind == "choice":
            choices[py] = [app_commands.Choice(name=c[:100], value=c[:100]) for c in param.choices[:25]]
        elif param.suggests_topics:
            autocompletes[py] = _completer(adapter, param.choices)
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = f"slash_{spec.name}"

    fn: Any = app_commands.describe(**describe)(callback)
    if renames:
        fn = app_commands.rename(**renames)(fn)
    if choices:
        fn = app_commands.choices(**choices)(fn)
    if autocompletes:
        fn = app_commands.autocomplete(**autocompletes)(fn)
    if spec.admin:
        fn = app_commands.default_permissions(manage_channels=True)(fn)
        fn = app_commands.check(_can_manage_channels)(fn)
    if spec.guild_only:
        fn = app_commands.guild_only()(fn)
    description = app_commands.locale_str(
        fit(t(adapter.settings.language, spec.help_key), 100, escaped=False) or spec.name,
        en=t("en", spec.help_key), zh=t("zh", spec.help_key),
    )
    return app_commands.Command(name=spec.name, description=description, callback=fn)


def _completer(adapter: DiscordAdapter, keywords: tuple[str, ...]) -> Any:
    """Topic names for this channel, plus the words the parameter also takes (``mine``, ``all``)."""

    async def complete(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await adapter.complete_topic(interaction, current, keywords)

    return complete


def _can_manage_channels(interaction: Interaction) -> bool:
    """Local twin of ``default_permissions``: server admins can lift that default per role, we cannot."""
    if interaction.guild_id is None:
        return True
    perms = interaction.permissions
    if perms.manage_channels or perms.administrator:
        return True
    raise NotChannelManager()


def _option_names(param: Param) -> tuple[str, str]:
    """(Python identifier, Discord option name) for a declared parameter."""
    option = re.sub(r"[^\w-]", "-", param.name.lower())[:32] or "value"
    py = re.sub(r"\W", "_", option)
    if keyword.iskeyword(py) or py[0].isdigit() or py == "interaction":
        py = f"opt_{py}"
    return py, option


def _option_text(value: str | int | bool | None) -> str | None:
    """An option's value as the dispatcher parses it: a bool switch is on/off."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return None if value is None else str(value)


def _send_kwargs(msg: OutMessage) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
    if msg.content:
        kwargs["content"] = msg.content
    if msg.embeds:
        kwargs["embeds"] = msg.embeds
    if msg.files:
        kwargs["files"] = msg.discord_files()
    if msg.votes:
        kwargs["view"] = vote_view(msg.votes, msg.language)
    return kwargs


def _edit_kwargs(msg: OutMessage) -> dict[str, Any]:
    """Like :func:`_send_kwargs` for an edit: every field is set, so nothing of "thinking…" remains."""
    kwargs: dict[str, Any] = {"content": msg.content or None, "embeds": msg.embeds or [],
                              "attachments": msg.discord_files(), "allowed_mentions": NO_MENTIONS}
    if msg.votes:
        kwargs["view"] = vote_view(msg.votes, msg.language)
    return kwargs


def _log_gateway_end(task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("discord gateway stopped", exc_info=(type(error), error, error.__traceback__))


async def sync_commands(host: Host, settings: Settings) -> int:
    """``paperbot discord-sync``: log in over REST only, overwrite the commands, log out."""
    adapter = DiscordAdapter(settings)
    try:
        await adapter._login(host)
        return await adapter.sync()
    finally:
        if adapter.client is not None:
            await adapter.client.close()
