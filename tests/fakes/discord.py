"""A fake Discord on 127.0.0.1: REST under ``/api/v10`` plus a gateway websocket.

It speaks the wire the way discord.py 2.7.1 needs it:

- every JSON answer has Content-Type exactly ``application/json`` (with a charset,
  discord.py reads the body as text) and a ``Via`` header (without one, discord.py
  treats a 429 as a Cloudflare ban and does not retry);
- the interaction callback answers with an ``interaction`` object;
- the gateway sends plain-text JSON frames: discord.py asks for ``compress=zlib-stream``
  in the URL, but only decompresses *binary* frames, so text frames need no zlib.

After a deferred response ("thinking…") the first follow-up *fills* that message and
keeps the ephemerality chosen at defer time, as Discord does; once the original is
deleted, that follow-up and any edit of it fail with 404 / 10008 (Unknown Message),
so the user sees nothing. :meth:`FakeDiscord.seen` is what the user is left with.

Threads: ``POST /channels/{id}/messages/{message_id}/threads`` starts a public thread
whose id *is* the message id (one thread per message, else 400 / 160004), ``POST
/channels/{id}/threads`` starts one without a message; both answer with the thread
channel object and dispatch THREAD_CREATE, and GUILD_CREATE lists active threads.
:meth:`FakeDiscord.member_says` dispatches MESSAGE_CREATE for a member's message, only
to sessions that asked for GUILD_MESSAGES, with the content blanked unless they have
MESSAGE_CONTENT or the message mentions the bot. With ``message_content_allowed`` off,
IDENTIFY asking for MESSAGE_CONTENT is closed with 4014 (Disallowed intents).

Like Discord it refuses messages that break a limit with 400 and code 50035, and tests
can script faults: a 429 with ``retry_after`` on a route, 403 (50001/50013) or 404
(10003) on a channel. Everything is recorded: ``messages``, ``callbacks``,
``followups``, ``synced_commands``, ``requests``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.base import FakeServer

API = "/api/v10"
APP_ID = 900000000000000001
BOT_ID = 900000000000000002
GUILD_ID = 910000000000000001
CHANNEL_ID = 920000000000000001
THREAD_ID = 920000000000000099
USER_ID = 930000000000000001

VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
READ_HISTORY = 1 << 16
MANAGE_CHANNELS = 1 << 4
ADMINISTRATOR = 1 << 3
MEMBER = VIEW_CHANNEL | SEND_MESSAGES | READ_HISTORY
MANAGER = MEMBER | MANAGE_CHANNELS

EPHEMERAL = 1 << 6
GUILD_MESSAGES = 1 << 9  # gateway intents
MESSAGE_CONTENT = 1 << 15  # privileged: the Developer Portal must allow it
THREAD_ALREADY_EXISTS = 160004


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]  # matched against the path after /api/v10
    status: int
    code: int = 0
    retry_after: float = 0.0
    times: int | None = 1  # None: forever


@dataclass
class Posted:
    """One message as the fake received it: JSON payload plus attachment (name, bytes) pairs."""

    payload: dict[str, Any]
    files: list[tuple[str, bytes]] = field(default_factory=list)
    channel_id: str | None = None
    token: str | None = None  # interaction token for callbacks and follow-ups
    kind: str = "message"  # message, callback, followup, edit
    fills_original: bool = False  # the first follow-up after a defer: it becomes the "thinking…" message
    message_id: str | None = None  # for messages posted to a channel

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Every button under the message, row by row (what a member can press)."""
        return [c for row in self.payload.get("components") or [] for c in row.get("components") or []
                if c.get("type") == 2]

    @property
    def content(self) -> str:
        return self.payload.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.payload.get("embeds") or [])

    @property
    def text(self) -> str:
        """Content plus every embed string, for "does this reply mention X" assertions."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title") or "", embed.get("url") or "", embed.get("description") or ""]
            parts += [f"{f.get('name')}\n{f.get('value')}" for f in embed.get("fields") or []]
            parts.append((embed.get("footer") or {}).get("text") or "")
        return "\n".join(parts)


@dataclass
class FakeInteraction:
    id: str
    token: str
    payload: dict[str, Any]


def user_payload(user_id: int = USER_ID, name: str = "alice", bot: bool = False) -> dict[str, Any]:
    return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name.title(),
            "avatar": None, "bot": bot, "public_flags": 0}


def limit_problems(payload: dict[str, Any]) -> list[str]:
    """Discord's message limits, as its 400 / 50035 enforces them."""
    problems: list[str] = []
    content = payload.get("content") or ""
    embeds = payload.get("embeds") or []
    if len(content) > 2000:
        problems.append(f"content: {len(content)} > 2000")
    if len(embeds) > 10:
        problems.append(f"embeds: {len(embeds)} > 10")
    total = 0
    for i, embed in enumerate(embeds):
        title, description = embed.get("title") or "", embed.get("description") or ""
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        fields = embed.get("fields") or []
        if len(title) > 256:
            problems.append(f"embeds.{i}.title: {len(title)} > 256")
        if len(description) > 4096:
            problems.append(f"embeds.{i}.description: {len(description)} > 4096")
        if len(footer) > 2048:
            problems.append(f"embeds.{i}.footer.text: {len(footer)} > 2048")
        if len(fields) > 25:
            problems.append(f"embeds.{i}.fields: {len(fields)} > 25")
        for j, f in enumerate(fields):
            name, value = f.get("name") or "", f.get("value") or ""
            if not 1 <= len(name) <= 256:
                problems.append(f"embeds.{i}.fields.{j}.name: {len(name)} not in 1..256")
            if not 1 <= len(value) <= 1024:
                problems.append(f"embeds.{i}.fields.{j}.value: {len(value)} not in 1..1024")
            total += len(name) + len(value)
        total += len(title) + len(description) + len(footer) + len(author)
    if total > 6000:
        problems.append(f"embeds: {total} characters > 6000")
    rows = payload.get("components") or []
    if len(rows) > 5:
        problems.append(f"components: {len(rows)} rows > 5")
    custom_ids: set[str] = set()
    for i, row in enumerate(rows):
        buttons = row.get("components") or []
        if row.get("type") != 1 or not 1 <= len(buttons) <= 5:
            problems.append(f"components.{i}: an action row holds 1..5 components")
        for j, button in enumerate(buttons):
            custom_id, label = button.get("custom_id") or "", button.get("label") or ""
            if button.get("type") == 2 and button.get("style") != 5 and not 1 <= len(custom_id) <= 100:
                problems.append(f"components.{i}.components.{j}.custom_id: {len(custom_id)} not in 1..100")
            if custom_id and custom_id in custom_ids:
                problems.append(f"components.{i}.components.{j}.custom_id: duplicate")
            custom_ids.add(custom_id)
            if len(label) > 80:
                problems.append(f"components.{i}.components.{j}.label: {len(label)} > 80")
    return problems


class FakeDiscord(FakeServer):
    def __init__(self, token: str = "fake-token", *, heartbeat_ms: int = 41250) -> None:
        self.token = token
        self.heartbeat_ms = heartbeat_ms
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []  # (method, path after /api/v10)
        self.messages: list[Posted] = []  # POST /channels/{id}/messages
        self.callbacks: list[Posted] = []  # interaction callbacks (type 4, 5, 8...)
        self.followups: list[Posted] = []  # follow-up webhooks and @original edits
        self.synced_commands: list[dict[str, Any]] = []  # the last bulk overwrite
        self.sync_count = 0
        self.dm_channels: dict[str, str] = {}  # user id -> DM channel id
        self.identified: list[dict[str, Any]] = []  # IDENTIFY payloads (tokens are checked, not kept)
        self.gateway_queries: list[dict[str, str]] = []
        self.bad_tokens: list[str] = []  # redacted: only that a wrong token was seen
        self.rejected: list[tuple[str, list[str]]] = []  # (path, problems) of every 400 for a broken limit
        self.connected = asyncio.Event()
        self.threads: dict[str, dict[str, Any]] = {}  # thread id -> channel object
        self.message_content_allowed = True
        self.typing: list[str] = []  # channel ids the bot showed "typing…" in
        self.early_retries: list[tuple[str, str]] = []  # requests sent again before their 429's retry_after ran out
        self._limited: dict[tuple[str, str], float] = {}  # (method, path) -> monotonic time its 429 window ends
        self._sockets: set[web.WebSocketResponse] = set()
        self._intents: dict[web.WebSocketResponse, int] = {}
        self._seq = 0
        self._ids = itertools.count(1_300_000_000_000_000_000)
        self._command_ids: dict[str, str] = {}
        self._pressed: dict[str, Posted] = {}  # component interaction id -> the message pressed
        self._originals: dict[str, dict[str, bool]] = {}  # token -> deferred/ephemeral/filled/deleted
        self._original_ids: dict[str, str] = {}  # token -> the original response's message id
        super().__init__()

    # ------------------------------------------------------------ test controls

    def fail(self, method: str, path: str, status: int, *, code: int = 0, retry_after: float = 0.0,
             times: int | None = 1) -> None:
        """Answer requests matching ``method`` and ``path`` (a regex on the path after /api/v10) with an error."""
        self.faults.append(Fault(method.upper(), re.compile(path), status, code, retry_after, times))

    def rate_limit(self, method: str, path: str, retry_after: float = 0.3, times: int = 1) -> None:
        self.fail(method, path, 429, retry_after=retry_after, times=times)

    def forbid_channel(self, channel_id: int | str, code: int = 50013) -> None:
        self.fail("POST", rf"^/channels/{channel_id}/messages$", 403, code=code, times=None)

    def delete_channel(self, channel_id: int | str) -> None:
        self.fail("*", rf"^/channels/{channel_id}(/|$)", 404, code=10003, times=None)

    def posts_to(self, channel_id: int | str) -> list[Posted]:
        return [m for m in self.messages if m.channel_id == str(channel_id)]

    def replies(self, token: str) -> list[Posted]:
        """Everything the bot showed for one interaction, in order (callback data, follow-ups, edits)."""
        out = [Posted(c.payload.get("data") or {}, c.files, token=token, kind="callback")
               for c in self.callbacks if c.token == token and c.payload.get("type") in (4, 7)]
        return out + [f for f in self.followups if f.token == token]

    def seen(self, token: str) -> list[str]:
        """The texts the user can see for one interaction now: the original response (as last
        edited, unless deleted) and every follow-up after it."""
        original: str | None = None
        extra: list[str] = []
        for c in self.callbacks:
            if c.token == token and c.payload.get("type") in (4, 7):
                original = Posted(c.payload.get("data") or {}).text
        for f in self.followups:
            if f.token != token:
                continue
            if f.kind == "edit" or f.fills_original:
                original = f.text
            elif f.kind == "delete":
                original = None
            else:
                extra.append(f.text)
        return ([original] if original is not None else []) + extra

    def callback_types(self, token: str) -> list[int]:
        return [int(c.payload.get("type", 0)) for c in self.callbacks if c.token == token]

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("fake Discord: condition not met in time")
            await asyncio.sleep(0.02)

    # ------------------------------------------------------------ gateway events

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        for ws in list(self._sockets):
            await self._send_event(ws, event, data)

    async def slash(
        self, name: str, options: dict[str, str] | None = None, *, user_id: int = USER_ID,
        channel_id: int | None = CHANNEL_ID, guild_id: int | None = GUILD_ID, permissions: int = MEMBER,
        thread: bool = False, focused: str | None = None,
    ) -> FakeInteraction:
        """Dispatch INTERACTION_CREATE for ``/name`` (type 2), or autocomplete (type 4) when ``focused``."""
        interaction_id = str(next(self._ids))
        token = f"itoken-{interaction_id}"
        user = user_payload(user_id)
        opts = [{"name": k, "type": 3, "value": v, **({"focused": True} if k == focused else {})}
                for k, v in (options or {}).items()]
        data: dict[str, Any] = {"id": self._command_ids.get(name, str(next(self._ids))), "name": name, "type": 1}
        if opts:
            data["options"] = opts
        payload: dict[str, Any] = {
            "id": interaction_id, "application_id": str(APP_ID), "type": 4 if focused else 2, "token": token,
            "version": 1, "data": data, "locale": "en-US", "attachment_size_limit": 25 * 1024 * 1024,
            "entitlements": [], "app_permissions": str(MANAGER | (1 << 14) | (1 << 15) | (1 << 35) | (1 << 38)),
        }
        if guild_id is None:
            dm = self.dm_channels.setdefault(str(user_id), str(next(self._ids)))
            payload.update(user=user, channel_id=dm, context=1,
                           channel={"id": dm, "type": 1, "recipients": [user], "last_message_id": None},
                           authorizing_integration_owners={"0": str(user_id)})
        else:
            channel = self.channel_payload(channel_id or CHANNEL_ID, guild_id)
            if thread:
                channel = {
                    "id": str(THREAD_ID), "type": 11, "guild_id": str(guild_id), "name": "papers thread",
                    "parent_id": str(channel_id), "owner_id": str(user_id), "message_count": 0,
                    "member_count": 1, "rate_limit_per_user": 0, "flags": 0,
                    "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                        "archive_timestamp": _now(), "locked": False},
                }
            payload.update(
                guild_id=str(guild_id), channel_id=channel["id"], channel=channel, context=0, guild_locale="en-US",
                member={"user": user, "roles": [], "joined_at": _now(), "deaf": False, "mute": False, "flags": 0,
                        "nick": None, "pending": False, "permissions": str(permissions)},
                authorizing_integration_owners={"0": str(guild_id)},
            )
        await self.dispatch("INTERACTION_CREATE", payload)
        return FakeInteraction(interaction_id, token, payload)

    async def member_says(self, channel_id: int | str, content: str, *, user_id: int = USER_ID,
                          bot: bool = False) -> str:
        """A member (or another bot) posted ``content`` in a channel or thread: MESSAGE_CREATE.

        As on Discord, only sessions with GUILD_MESSAGES get it, and the content is empty
        for sessions without MESSAGE_CONTENT unless the message mentions the bot.
        """
        message_id = str(next(self._ids))
        author = user_payload(user_id, "alice" if not bot else "otherbot", bot=bot)
        mentions = [user_payload(BOT_ID, "paperbot", bot=True)] if f"<@{BOT_ID}>" in content else []
        data: dict[str, Any] = {
            "id": message_id, "channel_id": str(channel_id), "guild_id": str(GUILD_ID), "type": 0,
            "author": author, "content": content, "embeds": [], "attachments": [], "timestamp": _now(),
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": mentions,
            "mention_roles": [], "pinned": False, "flags": 0, "components": [],
            "member": {"roles": [], "joined_at": _now(), "deaf": False, "mute": False, "flags": 0},
        }
        for ws in list(self._sockets):
            intents = self._intents.get(ws, 0)
            if not intents & GUILD_MESSAGES:
                continue
            visible = bool(intents & MESSAGE_CONTENT or mentions)
            await self._send_event(ws, "MESSAGE_CREATE", {**data, "content": content if visible else ""})
        return message_id

    async def press(self, message: Posted, custom_id: str | None = None, *, user_id: int = USER_ID,
                    guild_id: int | None = GUILD_ID) -> FakeInteraction:
        """A member pressed a button under a message the bot posted: INTERACTION_CREATE type 3
        (MESSAGE_COMPONENT) with ``data.custom_id`` and the message as Discord stores it."""
        if custom_id is None:
            custom_id = message.buttons[0]["custom_id"]
        interaction_id = str(next(self._ids))
        token = f"itoken-{interaction_id}"
        user = user_payload(user_id)
        channel_id = message.channel_id or str(CHANNEL_ID)
        stored = self.message_payload(channel_id, message.payload, [])
        stored["id"] = message.message_id or stored["id"]
        payload: dict[str, Any] = {
            "id": interaction_id, "application_id": str(APP_ID), "type": 3, "token": token, "version": 1,
            "data": {"custom_id": custom_id, "component_type": 2}, "message": stored, "locale": "en-US",
            "attachment_size_limit": 25 * 1024 * 1024, "entitlements": [], "app_permissions": str(MANAGER),
            "channel_id": channel_id,
        }
        if guild_id is None:
            payload.update(user=user, context=1, channel={"id": channel_id, "type": 1, "recipients": [user],
                                                          "last_message_id": None},
                           authorizing_integration_owners={"0": str(user_id)})
        else:
            payload.update(
                guild_id=str(guild_id), channel=self.channel_payload(channel_id, guild_id), context=0,
                guild_locale="en-US",
                member={"user": user, "roles": [], "joined_at": _now(), "deaf": False, "mute": False, "flags": 0,
                        "nick": None, "pending": False, "permissions": str(MEMBER)},
                authorizing_integration_owners={"0": str(guild_id)},
            )
        self._pressed[interaction_id] = message
        await self.dispatch("INTERACTION_CREATE", payload)
        return FakeInteraction(interaction_id, token, payload)

    # ------------------------------------------------------------ payloads

    def channel_payload(self, channel_id: int | str, guild_id: int | None = GUILD_ID) -> dict[str, Any]:
        if guild_id is None:
            return {"id": str(channel_id), "type": 1, "recipients": [user_payload()], "last_message_id": None}
        return {"id": str(channel_id), "type": 0, "guild_id": str(guild_id), "name": "papers", "position": 0,
                "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
                "rate_limit_per_user": 0, "last_message_id": None, "flags": 0}

    def thread_payload(self, thread_id: str, parent_id: str, name: str, owner_id: int = BOT_ID) -> dict[str, Any]:
        return {
            "id": thread_id, "type": 11, "guild_id": str(GUILD_ID), "name": name, "parent_id": parent_id,
            "owner_id": str(owner_id), "message_count": 0, "member_count": 1, "rate_limit_per_user": 0, "flags": 0,
            "last_message_id": None, "total_message_sent": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": _now(),
                                "locked": False},
        }

    def guild_payload(self) -> dict[str, Any]:
        everyone = {"id": str(GUILD_ID), "name": "@everyone", "permissions": str(MEMBER), "position": 0,
                    "color": 0, "colors": {"primary_color": 0}, "hoist": False, "managed": False,
                    "mentionable": False, "flags": 0, "icon": None, "unicode_emoji": None}
        me = {"user": user_payload(BOT_ID, "paperbot", bot=True), "roles": [], "joined_at": _now(),
              "deaf": False, "mute": False, "flags": 0}
        return {
            "id": str(GUILD_ID), "name": "Research group", "unavailable": False, "member_count": 2,
            "owner_id": str(USER_ID), "roles": [everyone], "emojis": [], "stickers": [], "features": [],
            "channels": [self.channel_payload(CHANNEL_ID)], "threads": list(self.threads.values()),
            "members": [me], "voice_states": [],
            "presences": [], "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
            "large": False, "joined_at": _now(), "afk_timeout": 300, "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
            "premium_tier": 0, "nsfw_level": 0, "preferred_locale": "en-US", "system_channel_flags": 0,
        }

    def message_payload(self, channel_id: str, payload: dict[str, Any], files: list[tuple[str, bytes]],
                        webhook: bool = False) -> dict[str, Any]:
        message_id = str(next(self._ids))
        attachments = [
            {"id": str(next(self._ids)), "filename": name, "size": len(data), "url": f"{self.url}/a/{name}",
             "proxy_url": f"{self.url}/a/{name}", "content_type": "image/png"}
            for name, data in files
        ]
        message: dict[str, Any] = {
            "id": message_id, "channel_id": channel_id, "type": 0 if not webhook else 20,
            "content": payload.get("content") or "", "author": user_payload(BOT_ID, "paperbot", bot=True),
            "embeds": payload.get("embeds") or [], "attachments": attachments, "timestamp": _now(),
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [],
            "pinned": False, "flags": int(payload.get("flags") or 0), "components": payload.get("components") or [],
        }
        if webhook:
            message["webhook_id"] = str(APP_ID)
            message["application_id"] = str(APP_ID)
        return message

    # ------------------------------------------------------------ server

    def setup_routes(self, app: web.Application) -> None:
        app.middlewares.append(self._middleware)
        app.router.add_get("/gateway", self._gateway)
        r = app.router
        r.add_get(f"{API}/gateway", self._get_gateway)
        r.add_get(f"{API}/gateway/bot", self._get_gateway)
        r.add_get(f"{API}/users/@me", self._me)
        r.add_get(f"{API}/oauth2/applications/@me", self._application)
        r.add_get(f"{API}/applications/@me", self._application)
        r.add_put(f"{API}/applications/{{app}}/commands", self._put_commands)
        r.add_get(f"{API}/applications/{{app}}/commands", self._get_commands)
        r.add_post(f"{API}/interactions/{{id}}/{{token}}/callback", self._callback)
        r.add_post(f"{API}/webhooks/{{app}}/{{token}}", self._followup)
        r.add_patch(f"{API}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._edit)
        r.add_get(f"{API}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._get_webhook_message)
        r.add_delete(f"{API}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._delete_webhook_message)
        r.add_post(f"{API}/channels/{{channel}}/messages", self._post_message)
        r.add_post(f"{API}/channels/{{channel}}/messages/{{message}}/threads", self._start_thread)
        r.add_post(f"{API}/channels/{{channel}}/threads", self._start_thread)
        r.add_post(f"{API}/channels/{{channel}}/typing", self._typing)
        r.add_get(f"{API}/channels/{{channel}}", self._get_channel)
        r.add_post(f"{API}/users/@me/channels", self._create_dm)

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        await super().stop()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        if not request.path.startswith(API):
            return await handler(request)
        path = request.path[len(API):]
        self.requests.append((request.method, path))
        if time.monotonic() < self._limited.get((request.method, path), 0.0):
            self.early_retries.append((request.method, path))
        is_webhook = path.startswith(("/webhooks/", "/interactions/"))
        if not is_webhook and path != "/gateway" and request.headers.get("Authorization") != f"Bot {self.token}":
            self.bad_tokens.append(path)
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        for fault in self.faults:
            if fault.method in ("*", request.method) and fault.pattern.search(path) and fault.times != 0:
                if fault.times is not None:
                    fault.times -= 1
                if fault.status == 429:
                    self._limited[(request.method, path)] = time.monotonic() + fault.retry_after
                return _fault(fault)
        return await handler(request)

    async def _get_gateway(self, request: web.Request) -> web.Response:
        url = f"ws://127.0.0.1:{self.port}/gateway"
        if request.path.endswith("/bot"):
            return _json({"url": url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})
        return _json({"url": url})

    async def _me(self, request: web.Request) -> web.Response:
        return _json({**user_payload(BOT_ID, "paperbot", bot=True), "verified": True, "mfa_enabled": False,
                      "flags": 0, "locale": "en-US"})

    async def _application(self, request: web.Request) -> web.Response:
        return _json({
            "id": str(APP_ID), "name": "paperbot", "description": "", "icon": None, "bot_public": True,
            "bot_require_code_grant": False, "owner": user_payload(USER_ID), "verify_key": "00" * 32,
            "flags": 1 << 23, "summary": "", "team": None,
        })

    async def _put_commands(self, request: web.Request) -> web.Response:
        body = await request.json()
        problems = [f"{c.get('name')}: description {len(c.get('description', ''))}" for c in body
                    if not 1 <= len(c.get("description", "")) <= 100]
        if problems:
            return _json({"code": 50035, "message": "Invalid Form Body", "errors": problems}, 400)
        self.synced_commands = body
        self.sync_count += 1
        out = []
        for command in body:
            command_id = self._command_ids.setdefault(command["name"], str(next(self._ids)))
            out.append({"id": command_id, "application_id": str(APP_ID), "version": command_id, "type": 1,
                        "default_member_permissions": None, "dm_permission": True, "nsfw": False, **command})
        return _json(out)

    async def _get_commands(self, request: web.Request) -> web.Response:
        return _json([{"id": self._command_ids[c["name"]], "application_id": str(APP_ID), "version": "1",
                       "type": 1, **c} for c in self.synced_commands])

    async def _callback(self, request: web.Request) -> web.Response:
        payload, files = await _read_body(request)
        token = request.match_info["token"]
        kind = int(payload.get("type", 0))
        data = payload.get("data") or {}
        if kind in (4, 7):
            problems = limit_problems(data)
            if problems:
                return self._reject(request, problems)
        self.callbacks.append(Posted(payload, files, token=token, kind="callback"))
        flags = int(data.get("flags") or 0)
        if kind in (4, 5):
            self._originals[token] = {"deferred": kind == 5, "ephemeral": bool(flags & EPHEMERAL),
                                      "filled": kind == 4, "deleted": False}
            self._original_ids[token] = str(next(self._ids))
        pressed = self._pressed.get(request.match_info["id"])
        interaction = {"id": request.match_info["id"], "type": 3 if pressed is not None else 2,
                       "response_message_loading": kind == 5, "response_message_ephemeral": bool(flags & EPHEMERAL)}
        resource: dict[str, Any] = {"type": kind}
        if kind in (6, 7) and pressed is None:
            return _json({"code": 40060, "message": "Interaction has already been acknowledged"}, 400)
        if kind == 7 and pressed is not None:  # UPDATE_MESSAGE: the pressed message changes in place
            pressed.payload = {**pressed.payload, **{k: v for k, v in data.items() if k != "flags"}}
            message = self.message_payload(pressed.channel_id or str(CHANNEL_ID), pressed.payload, [])
            message["id"] = pressed.message_id or message["id"]
            resource["message"] = message
        if kind in (4, 5):
            message = self.message_payload(str(CHANNEL_ID), data, files, webhook=True)
            message["id"] = self._original_ids[token]
            interaction["response_message_id"] = message["id"]
            if kind == 4:
                resource["message"] = message
        return _json({"interaction": interaction, "resource": resource})

    async def _followup(self, request: web.Request) -> web.Response:
        payload, files = await _read_body(request)
        problems = limit_problems(payload)
        if problems:
            return self._reject(request, problems)
        if not (payload.get("content") or payload.get("embeds") or files):
            return _json({"code": 50006, "message": "Cannot send an empty message"}, 400)
        token = request.match_info["token"]
        original = self._originals.get(token)
        fills = False
        if original is not None and original["deferred"] and not original["filled"]:
            # The first follow-up after a defer fills the "thinking…" message, whatever its own flags.
            if original["deleted"]:
                return _json({"code": 10008, "message": "Unknown Message"}, 404)
            original["filled"], fills = True, True
            payload = {**payload, "flags": EPHEMERAL if original["ephemeral"] else 0}
        message = self.message_payload(str(CHANNEL_ID), payload, files, webhook=True)
        self.followups.append(Posted(payload, files, channel_id=str(CHANNEL_ID), token=token, kind="followup",
                                     fills_original=fills, message_id=message["id"]))
        if request.query.get("wait") in ("true", "1", "True"):
            return _json(message)
        return web.Response(status=204, headers={"Via": "1.1 google"})

    async def _edit(self, request: web.Request) -> web.Response:
        payload, files = await _read_body(request)
        problems = limit_problems(payload)
        if problems:
            return self._reject(request, problems)
        original = self._originals.get(request.match_info["token"])
        if request.match_info["message"] == "@original" and original is not None:
            if original["deleted"]:
                return _json({"code": 10008, "message": "Unknown Message"}, 404)
            original["filled"] = True
        self.followups.append(Posted(payload, files, token=request.match_info["token"], kind="edit"))
        message = self.message_payload(str(CHANNEL_ID), payload, files, webhook=True)
        if request.match_info["message"] == "@original" and request.match_info["token"] in self._original_ids:
            message["id"] = self._original_ids[request.match_info["token"]]
        return _json(message)

    async def _delete_webhook_message(self, request: web.Request) -> web.Response:
        original = self._originals.get(request.match_info["token"])
        if request.match_info["message"] == "@original" and original is not None:
            if original["deleted"]:
                return _json({"code": 10008, "message": "Unknown Message"}, 404)
            original["deleted"] = True
        self.followups.append(Posted({}, [], token=request.match_info["token"], kind="delete"))
        return web.Response(status=204, headers={"Via": "1.1 google"})

    async def _get_webhook_message(self, request: web.Request) -> web.Response:
        return _json(self.message_payload(str(CHANNEL_ID), {"content": ""}, [], webhook=True))

    async def _post_message(self, request: web.Request) -> web.Response:
        payload, files = await _read_body(request)
        channel_id = request.match_info["channel"]
        problems = limit_problems(payload)
        if problems:
            return self._reject(request, problems)
        if not (payload.get("content") or payload.get("embeds") or files):
            return _json({"code": 50006, "message": "Cannot send an empty message"}, 400)
        message = self.message_payload(channel_id, payload, files)
        self.messages.append(Posted(payload, files, channel_id=channel_id, message_id=message["id"]))
        return _json(message)

    async def _start_thread(self, request: web.Request) -> web.Response:
        body = await request.json()
        parent, message_id = request.match_info["channel"], request.match_info.get("message")
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= 100:
            return self._reject(request, [f"name: {len(name)} not in 1..100"])
        if message_id is not None and message_id in self.threads:
            return _json({"code": THREAD_ALREADY_EXISTS,
                          "message": "A thread has already been created for this message"}, 400)
        thread_id = message_id or str(next(self._ids))  # a thread started from a message has its id
        thread = self.thread_payload(thread_id, parent, name)
        self.threads[thread_id] = thread
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return _json(thread)

    async def _typing(self, request: web.Request) -> web.Response:
        self.typing.append(request.match_info["channel"])
        return web.Response(status=204, headers={"Via": "1.1 google"})

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel_id = request.match_info["channel"]
        if channel_id in self.dm_channels.values():
            return _json(self.channel_payload(channel_id, None))
        if channel_id in self.threads:
            return _json(self.threads[channel_id])
        return _json(self.channel_payload(channel_id))

    async def _create_dm(self, request: web.Request) -> web.Response:
        body = await request.json()
        user_id = str(body["recipient_id"])
        channel_id = self.dm_channels.setdefault(user_id, str(next(self._ids)))
        return _json({"id": channel_id, "type": 1, "recipients": [user_payload(int(user_id))],
                      "last_message_id": None, "flags": 0})

    def _reject(self, request: web.Request, problems: list[str]) -> web.Response:
        self.rejected.append((request.path[len(API):], problems))
        return _json({"code": 50035, "message": "Invalid Form Body", "errors": problems}, 400)

    # ------------------------------------------------------------ websocket

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.gateway_queries.append(dict(request.query))
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}, "s": None, "t": None}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op, data = frame.get("op"), frame.get("d")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
                elif op == 2:
                    if data.get("token") != self.token:
                        self.bad_tokens.append("IDENTIFY")
                        await ws.close(code=4004, message=b"Authentication failed.")
                        break
                    intents = int(data.get("intents") or 0)
                    if intents & MESSAGE_CONTENT and not self.message_content_allowed:
                        await ws.close(code=4014, message=b"Disallowed intent(s).")
                        break
                    self.identified.append({k: v for k, v in data.items() if k != "token"})
                    self._intents[ws] = intents
                    self._sockets.add(ws)
                    await self._send_event(ws, "READY", {
                        "v": 10, "user": user_payload(BOT_ID, "paperbot", bot=True), "guilds": [
                            {"id": str(GUILD_ID), "unavailable": True}],
                        "session_id": "fake-session", "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway",
                        "application": {"id": str(APP_ID), "flags": 1 << 23}, "private_channels": [],
                        "relationships": [], "presences": [], "guild_join_requests": [], "geo_ordered_rtc_regions": [],
                    })
                    await self._send_event(ws, "GUILD_CREATE", self.guild_payload())
                    self.connected.set()
                elif op == 6:
                    self._intents[ws] = int(self.identified[-1].get("intents") or 0) if self.identified else 0
                    self._sockets.add(ws)
                    await self._send_event(ws, "RESUMED", {})
        finally:
            self._sockets.discard(ws)
            self._intents.pop(ws, None)
        return ws

    async def _send_event(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        self._seq += 1
        if not ws.closed:
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))


# ---------------------------------------------------------------- helpers


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    base = {
        "Content-Type": "application/json",  # exactly: discord.py compares the whole header
        "Via": "1.1 google",
        "X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "49", "X-RateLimit-Reset-After": "1.0",
        "X-RateLimit-Bucket": "fakebucket",
    }
    base.update(headers or {})
    return web.Response(body=json.dumps(data).encode(), status=status, headers=base)


def _fault(fault: Fault) -> web.Response:
    if fault.status == 429:
        return _json(
            {"message": "You are being rate limited.", "retry_after": fault.retry_after, "global": False, "code": 0},
            429,
            {"Retry-After": str(math.ceil(fault.retry_after)), "X-RateLimit-Remaining": "0",
             "X-RateLimit-Reset-After": str(fault.retry_after), "X-RateLimit-Scope": "user"},
        )
    messages = {50001: "Missing Access", 50013: "Missing Permissions", 10003: "Unknown Channel",
                50007: "Cannot send messages to this user", 10013: "Unknown User"}
    return _json({"message": messages.get(fault.code, "error"), "code": fault.code}, fault.status)


async def _read_body(request: web.Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """JSON, or multipart with ``payload_json`` and ``files[n]`` parts as discord.py sends attachments."""
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        payload = json.loads(str(form.get("payload_json") or "{}"))
        files = []
        for name, value in form.items():
            if name.startswith("files[") and hasattr(value, "file"):
                files.append((value.filename, value.file.read()))
        return payload, files
    if not request.can_read_body:
        return {}, []
    return await request.json(), []
