"""A fake Telegram Bot API server, strict where the real one is.

It speaks the wire protocol python-telegram-bot uses (``POST /bot{token}/{method}``,
form-encoded or multipart bodies whose nested values are JSON strings, JSON
envelopes) so the real adapter and the real ``paperbot run`` can be tested without
the internet. It rejects what Telegram rejects: text over 4096 characters counted
after entity parsing, HTML with unknown or unbalanced tags or bad entities, callback
data over 64 bytes, 2-10 items per album, and it answers 429 when a sliding window
of messages is exceeded. Faults can be injected per chat or scripted.

Updates are injected with helpers that build realistic Update JSON and are served
by real long polling (``getUpdates`` holds until an update arrives or ``timeout``
passes, and ``offset`` confirms updates). Helpers are safe to call from the test's
thread while the fake runs in a :class:`~tests.fakes.base.ThreadedFake`.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.base import FakeServer

JSON = dict[str, Any]

ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
MAX_TEXT = 4096
MAX_CAPTION = 1024
DEFAULT_UPDATES = {"message", "edited_message", "channel_post", "edited_channel_post", "callback_query",
                   "my_chat_member", "inline_query", "chosen_inline_result", "shipping_query",
                   "pre_checkout_query", "poll", "poll_answer", "chat_join_request"}
SENDING = {"sendMessage", "sendPhoto", "sendMediaGroup", "editMessageText"}
CHAT_METHODS = SENDING | {"sendChatAction", "getChatMember", "deleteMessage", "getChat"}
# Values PTB sends as plain strings; everything else is a JSON-encoded value.
STRING_FIELDS = {"text", "caption", "parse_mode", "action", "callback_query_id", "url", "language_code",
                 "secret_token", "photo", "description"}
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote",
                "tg-spoiler", "span", "tg-emoji"}
_TOKEN = re.compile(r"<[^>]*>|&[^;&<>\s]{0,12};?|[^<>&]+|[<>&]")
_ATTR = re.compile(r'\s*([a-zA-Z_-]+)(?:\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s"\'>]+)))?')
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")


class ApiError(Exception):
    """An error answer: ``{"ok": false, "error_code", "description", "parameters"}``."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass
class Fault:
    """A scripted failure for the next matching call (any method when ``method`` is None)."""

    code: int = 429
    description: str = "Too Many Requests: retry after 1"
    parameters: JSON | None = field(default_factory=lambda: {"retry_after": 1})
    method: str | None = None
    chat_id: int | str | None = None


@dataclass
class Sent:
    """One message the bot sent (each photo of an album is one)."""

    method: str
    chat_id: int | str
    message_id: int
    text: str | None  # as sent, markup included; the caption for photos
    parse_mode: str | None
    message_thread_id: int | None
    reply_markup: JSON | None
    at: float
    reply_to: int | None = None
    photo_bytes: int = 0
    link_preview_disabled: bool = False

    @property
    def plain(self) -> str:
        """The text as a user sees it."""
        if self.text is None:
            return ""
        return parse_html(self.text) if self.parse_mode == "HTML" else self.text

    @property
    def buttons(self) -> list[JSON]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(markup: str) -> str:
    """Telegram's HTML parse mode, strictly: returns the plain text or raises ApiError."""
    out: list[str] = []
    stack: list[str] = []
    for match in _TOKEN.finditer(markup):
        token = match.group()
        first = token[0]
        if first == "<":
            _tag(token, stack, match.start())
        elif first == "&":
            entity = _ENTITY.fullmatch(token)
            if entity is None:
                raise _cant_parse(f"Unsupported HTML entity or bare & at byte offset {match.start()}")
            out.append(html.unescape(token))
        elif first == ">":
            raise _cant_parse(f"Unexpected > at byte offset {match.start()}")
        else:
            out.append(token)
    if stack:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _tag(token: str, stack: list[str], offset: int) -> None:
    inner = token[1:-1].strip()
    if not inner:
        raise _cant_parse(f"Empty tag at byte offset {offset}")
    if inner.startswith("/"):
        name = inner[1:].strip().lower()
        if not stack or stack[-1] != name:
            raise _cant_parse(f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1] if stack else ""}>", '
                              f'found "</{name}>"')
        stack.pop()
        return
    name, _, rest = inner.partition(" ")
    name = name.lower()
    if name not in ALLOWED_TAGS:
        raise _cant_parse(f'Unsupported start tag "{name}" at byte offset {offset}')
    attrs: dict[str, str | None] = {}
    for attr in _ATTR.finditer(rest):
        if attr.group(1):
            value = next((g for g in attr.group(2, 3, 4) if g is not None), None)
            attrs[attr.group(1).lower()] = html.unescape(value) if value is not None else None
    if name == "a":
        href = attrs.get("href")
        if not href or "a" in stack:
            raise _cant_parse(f"Bad link at byte offset {offset}")
    elif name == "span" and attrs.get("class") != "tg-spoiler":
        raise _cant_parse(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    elif name == "blockquote" and set(attrs) - {"expandable"}:
        raise _cant_parse(f"Unsupported blockquote attribute at byte offset {offset}")
    elif name == "blockquote" and "blockquote" in stack:
        raise _cant_parse(f"Nested blockquote at byte offset {offset}")
    stack.append(name)


def _cant_parse(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


class FakeTelegram(FakeServer):
    def __init__(self, token: str = "123:ABC", username: str = "paperbot_test_bot") -> None:
        self.token = token
        self.bot_user: JSON = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "PaperBot",
                               "username": username, "can_join_groups": True,
                               "can_read_all_group_messages": False, "supports_inline_queries": False}
        self.chats: dict[int | str, JSON] = {}
        self.admins: dict[int | str, set[int]] = {}  # chat id -> user ids that are administrators
        self.owners: dict[int | str, int] = {}
        self.sent: list[Sent] = []
        self.requests: list[tuple[str, JSON]] = []
        self.actions: list[tuple[int | str, str]] = []
        self.callback_answers: list[JSON] = []
        self.markup_edits: list[JSON] = []
        self.commands: dict[str | None, list[JSON]] = {}
        self.webhook: JSON | None = None  # what setWebhook asked for; updates are then pushed there
        self.webhook_statuses: list[int] = []
        self._webhook_posts: set[asyncio.Future[None]] = set()
        # Faults
        self.blocked: set[int | str] = set()
        self.missing: set[int | str] = set()
        self.migrated: dict[int | str, int] = {}
        self.faults: deque[Fault] = deque()
        self.global_rate: int | None = 30  # messages per sliding second
        self.group_rate: int | None = 20  # messages per sliding minute in one group or channel
        self.group_period = 60.0  # the group window, in seconds (shorter in tests that fill it)
        self.rate_limited: list[tuple[str, int | str]] = []
        self.busiest_second = 0  # the most sends that arrived within one sliding second, refused ones too
        self._arrivals: deque[float] = deque()
        self.keep_requests = True  # False keeps no request bodies (a long benchmark needs only the messages)
        self._held = 0  # the next sends to hold on the way in (see ``hold_next``)
        self._release_after: int | None = None
        self._release = asyncio.Event()
        self._hold_timeout = 0.0
        self.expired_polls = 0  # getUpdates long polls that were held until their timeout ran out
        self._arrived = 0  # sends accepted, counted for ``hold_next``
        self.honour_allowed_updates = True
        self.malformed: set[str] = set()  # methods that succeed but answer with a Message missing chat and date
        self.outage = 0  # answer this many next requests with 502 Bad Gateway, as a proxy in front of Telegram would
        # Updates
        self._updates: deque[JSON] = deque()
        self._allowed: set[str] = set(DEFAULT_UPDATES)
        self._waiters: set[asyncio.Event] = set()
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._id_lock = threading.Lock()
        self._global_window: deque[float] = deque()
        self._group_windows: dict[int | str, deque[float]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        super().__init__()

    def setup_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._file)

    async def start(self) -> str:
        self._loop = asyncio.get_running_loop()
        self._closing = False
        return await super().start()

    async def stop(self) -> None:
        self._closing = True  # release held long polls so cleanup does not wait for them
        for waiter in list(self._waiters):
            waiter.set()
        await super().stop()

    @property
    def api_url(self) -> str:
        """What to put in PAPERBOT_TELEGRAM_API_URL."""
        return self.url

    # ------------------------------------------------------------------ helpers for tests

    def user(self, user_id: int, first_name: str | None = None, username: str | None = None) -> JSON:
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}",
                      "language_code": "en"}
        if username:
            user["username"] = username
        self.chats.setdefault(user_id, {"id": user_id, "type": "private", "first_name": user["first_name"]})
        return user

    def group(self, chat_id: int, title: str = "Reading group", *, forum: bool = False,
              kind: str = "supergroup") -> JSON:
        chat: JSON = {"id": chat_id, "type": kind, "title": title}
        if forum:
            chat["is_forum"] = True
        self.chats[chat_id] = chat
        return chat

    def channel(self, chat_id: int, title: str = "Paper channel", username: str | None = None) -> JSON:
        chat: JSON = {"id": chat_id, "type": "channel", "title": title}
        if username:
            chat["username"] = username
        self.chats[chat_id] = chat
        return chat

    def private_message(self, user: JSON | int, text: str) -> JSON:
        user = self._as_user(user)
        chat = self.chats.get(user["id"]) or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        return self.inject({"message": self._message(chat, text, sender=user)})

    def group_message(self, chat: JSON | int, user: JSON | int, text: str, thread_id: int | None = None,
                      forum: bool = False, anonymous_admin: bool = False) -> JSON:
        chat = self._as_chat(chat, forum=forum)
        if anonymous_admin:
            message = self._message(chat, text, sender=ANONYMOUS_ADMIN, sender_chat=chat, thread_id=thread_id)
        else:
            message = self._message(chat, text, sender=self._as_user(user), thread_id=thread_id)
        return self.inject({"message": message})

    def reply_message(self, user: JSON | int, to: Sent | JSON, text: str) -> JSON:
        """A user replied to ``to`` (a message the bot sent, or a message JSON): ``reply_to_message``
        carries the replied message, and in a forum topic the reply has the topic's
        ``message_thread_id`` with ``is_topic_message``, as Telegram sends them."""
        if isinstance(to, Sent):
            chat = self._as_chat(to.chat_id)
            replied: JSON = {"message_id": to.message_id, "date": int(to.at), "chat": chat, "text": to.plain,
                             "from": self.bot_user}
            if to.message_thread_id and chat.get("is_forum"):
                replied.update(message_thread_id=to.message_thread_id, is_topic_message=True)
        else:
            replied, chat = to, to["chat"]
        sender = self._as_user(user)
        if chat["type"] == "private":
            chat = self.chats.get(sender["id"]) or chat
        message = self._message(chat, text, sender=sender, thread_id=replied.get("message_thread_id"))
        message["reply_to_message"] = replied
        return self.inject({"message": message})

    def channel_post(self, chat: JSON | int, text: str) -> JSON:
        chat = self._as_chat(chat, kind="channel")
        return self.inject({"channel_post": self._message(chat, text, sender_chat=chat)})

    def edited_message(self, chat: JSON | int, user: JSON | int, text: str, message_id: int | None = None,
                       thread_id: int | None = None) -> JSON:
        user = self._as_user(user)
        if isinstance(chat, int) and chat == user["id"]:
            chat = self.chats[chat]
        chat = self._as_chat(chat)
        message = self._message(chat, text, sender=user, thread_id=thread_id, message_id=message_id)
        message["edit_date"] = message["date"] + 5
        return self.inject({"edited_message": message})

    def my_chat_member(self, chat: JSON | int, status: str, old_status: str | None = None,
                       by: JSON | int | None = None) -> JSON:
        """The bot's own membership changed: ``kicked``, ``left``, ``member``, ``administrator``."""
        chat = self._as_chat(chat)
        if old_status is None:
            old_status = "member" if status in ("kicked", "left") else "left"
        actor = self._as_user(by) if by is not None else (
            self._as_user(chat["id"]) if chat["type"] == "private" else self._as_user(1))
        change = {"chat": chat, "from": actor, "date": int(time.time()),
                  "old_chat_member": self._member(self.bot_user, old_status, chat),
                  "new_chat_member": self._member(self.bot_user, status, chat)}
        return self.inject({"my_chat_member": change})

    def migrate(self, chat_old: JSON | int, chat_new: JSON | int) -> list[JSON]:
        """A group became a supergroup: both service messages, and sends to the old id now fail."""
        old = self._as_chat(chat_old, kind="group")
        new = self._as_chat(chat_new)
        self.migrated[old["id"]] = new["id"]
        actor = self._as_user(1)
        first = self._message(old, None, sender=actor)
        first["migrate_to_chat_id"] = new["id"]
        second = self._message(new, None, sender=actor, sender_chat=old)
        second["migrate_from_chat_id"] = old["id"]
        return [self.inject({"message": first}), self.inject({"message": second})]

    def callback_query(self, user: JSON | int, sent: Sent, data: str | None = None) -> JSON:
        """A user pressed a button under a message the bot sent (the first button by default)."""
        if data is None:
            data = sent.buttons[0]["callback_data"]
        chat = self._as_chat(sent.chat_id)
        message: JSON = {"message_id": sent.message_id, "date": int(sent.at), "chat": chat,
                         "from": self.bot_user, "text": sent.plain}
        if sent.message_thread_id and chat.get("is_forum"):
            message["message_thread_id"] = sent.message_thread_id
            message["is_topic_message"] = True
        if sent.reply_markup:
            message["reply_markup"] = sent.reply_markup
        query = {"id": str(next(self._ids) * 7919), "from": self._as_user(user), "message": message,
                 "chat_instance": str(abs(hash(chat["id"]))), "data": data}
        return self.inject({"callback_query": query})

    def inject(self, update: JSON) -> JSON:
        """Queue an update; safe from any thread."""
        with self._id_lock:
            update["update_id"] = next(self._ids)
        loop = self._loop
        try:
            same_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            same_loop = False
        if loop is None or same_loop or not loop.is_running():
            self._deliver(update)
        else:
            loop.call_soon_threadsafe(self._deliver, update)
        return update

    def messages_to(self, chat_id: int | str) -> list[Sent]:
        return [s for s in list(self.sent) if s.chat_id == chat_id]

    async def wait_for_sent(self, n: int, timeout: float = 10.0, chat_id: int | str | None = None) -> list[Sent]:
        """Wait until ``n`` messages (to ``chat_id``, if given) were sent; works from any loop."""
        deadline = time.monotonic() + timeout
        while (found := self._enough(n, chat_id, deadline, timeout)) is None:
            await asyncio.sleep(0.02)
        return found

    def wait_sent(self, n: int, timeout: float = 10.0, chat_id: int | str | None = None) -> list[Sent]:
        """Blocking :meth:`wait_for_sent` for tests that run the bot as a subprocess."""
        deadline = time.monotonic() + timeout
        while (found := self._enough(n, chat_id, deadline, timeout)) is None:
            time.sleep(0.02)
        return found

    def _enough(self, n: int, chat_id: int | str | None, deadline: float, timeout: float) -> list[Sent] | None:
        found = self.messages_to(chat_id) if chat_id is not None else list(self.sent)
        if len(found) >= n:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(found)} of {n} messages sent after {timeout}s: {[s.plain[:80] for s in found]}")
        return None

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met in time")
            time.sleep(0.02)

    def hold_next(self, count: int, *, until: int, timeout: float = 2.0) -> None:
        """Hold the next ``count`` sends on the way in, then let them arrive together.

        They arrive (and are counted against the rate limits) once ``until`` other sends
        have arrived, or after ``timeout`` seconds if those never come: a stalled machine
        or network path that lets a backlog go all at once.
        """
        self._held, self._hold_timeout = count, timeout
        self._release_after, self._release = self._arrived + until, asyncio.Event()

    def calls(self, method: str) -> list[JSON]:
        return [params for name, params in list(self.requests) if name == method]

    # ------------------------------------------------------------------ wire

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        params = await _params(request)
        if self.keep_requests:
            self.requests.append((method, params))
        if method in SENDING and self._held > 0:
            self._held -= 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), self._hold_timeout)
        if self.outage > 0:
            self.outage -= 1
            return _json({"ok": False, "error_code": 502, "description": "Bad Gateway"}, 502)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _json({"ok": False, "error_code": 404, "description": "Not Found: method not found"}, 404)
        try:
            if method in CHAT_METHODS:
                self._check_chat(method, params)
            result = await handler(params)
        except ApiError as exc:
            body: JSON = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            return _json(body, exc.code)
        if method in self.malformed and isinstance(result, dict):
            result = {"message_id": result.get("message_id")}  # the work was done; the answer is broken
        return _json({"ok": True, "result": result})

    async def _file(self, request: web.Request) -> web.Response:
        return web.Response(status=404, text="Not Found")

    def _check_chat(self, method: str, params: JSON) -> None:
        chat_id = params.get("chat_id")
        for i, fault in enumerate(self.faults):
            if (fault.method in (None, method)) and (fault.chat_id in (None, chat_id)):
                del self.faults[i]
                raise ApiError(fault.code, fault.description, fault.parameters)
        if chat_id in self.migrated:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": self.migrated[chat_id]})
        if chat_id in self.missing:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            kind = self.chats.get(chat_id, {}).get("type", "private" if _positive(chat_id) else "supergroup")
            raise ApiError(403, "Forbidden: bot was blocked by the user" if kind == "private"
                           else f"Forbidden: bot was kicked from the {kind} chat")
        if method in SENDING:
            self._check_rate(chat_id)

    def _check_rate(self, chat_id: Any) -> None:
        now = time.monotonic()
        self._arrivals.append(now)  # counted before any 429, so a bot that sends too fast shows here
        while self._arrivals[0] <= now - 1.0:
            self._arrivals.popleft()
        self.busiest_second = max(self.busiest_second, len(self._arrivals))
        if self.global_rate:
            window = self._global_window
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= self.global_rate:
                self.rate_limited.append(("global", chat_id))
                raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        group_window = None
        if self.group_rate and not _positive(chat_id):
            group_window = self._group_windows.setdefault(chat_id, deque())
            while group_window and group_window[0] <= now - self.group_period:
                group_window.popleft()
            if len(group_window) >= self.group_rate:
                wait = max(1, int(group_window[0] + self.group_period - now + 0.999))
                self.rate_limited.append(("group", chat_id))
                raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
            group_window.append(now)
        if self.global_rate:
            self._global_window.append(now)
        self._arrived += 1
        if self._release_after is not None and self._arrived >= self._release_after:
            self._release.set()

    # ------------------------------------------------------------------ methods

    async def _api_getMe(self, params: JSON) -> JSON:
        return self.bot_user

    async def _api_logOut(self, params: JSON) -> bool:
        return True

    async def _api_close(self, params: JSON) -> bool:
        return True

    async def _api_deleteWebhook(self, params: JSON) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _api_setWebhook(self, params: JSON) -> bool:
        self.webhook = params
        allowed = params.get("allowed_updates")
        if allowed is not None:
            self._allowed = set(allowed) if allowed else set(DEFAULT_UPDATES)
        return True

    async def _post_webhook(self, update: JSON, webhook: JSON) -> None:
        """Push an update like Telegram does: POST JSON with the secret token, retry a few times."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": webhook["secret_token"]} if webhook.get("secret_token") else {}
        async with aiohttp.ClientSession() as session:
            for attempt in range(5):
                try:
                    async with session.post(webhook["url"], json=update, headers=headers) as response:
                        self.webhook_statuses.append(response.status)
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2 * (attempt + 1))

    async def _api_setMyCommands(self, params: JSON) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: command description is invalid")
        self.commands[params.get("language_code")] = commands
        return True

    async def _api_getUpdates(self, params: JSON) -> list[JSON]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates")
        if allowed is not None:
            self._allowed = set(allowed) if allowed else set(DEFAULT_UPDATES)
        if offset:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
        deadline = time.monotonic() + timeout
        while True:
            ready = [u for u in self._updates if u["update_id"] >= offset][:limit]
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._closing:
                self.expired_polls += not ready and remaining <= 0 and timeout > 0
                return ready
            waiter = asyncio.Event()
            self._waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter.wait(), remaining)
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(waiter)

    async def _api_sendMessage(self, params: JSON) -> JSON:
        text = params.get("text") or ""
        plain = self._check_text(text, params.get("parse_mode"), MAX_TEXT, "message is too long")
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        self._check_markup(params.get("reply_markup"))
        sent = self._record("sendMessage", params, text)
        sent.link_preview_disabled = bool((params.get("link_preview_options") or {}).get("is_disabled")
                                          or params.get("disable_web_page_preview"))
        return self._result(sent, {"text": plain})

    async def _api_editMessageText(self, params: JSON) -> JSON:
        text = params.get("text") or ""
        plain = self._check_text(text, params.get("parse_mode"), MAX_TEXT, "message is too long")
        self._check_markup(params.get("reply_markup"))
        for sent in self.sent:
            if sent.chat_id == params.get("chat_id") and sent.message_id == params.get("message_id"):
                sent.text, sent.parse_mode = text, params.get("parse_mode")
                return self._result(sent, {"text": plain, "edit_date": int(time.time())})
        raise ApiError(400, "Bad Request: message to edit not found")

    async def _api_editMessageReplyMarkup(self, params: JSON) -> JSON:
        markup = params.get("reply_markup")
        self._check_markup(markup)
        for sent in self.sent:
            if sent.chat_id == params.get("chat_id") and sent.message_id == params.get("message_id"):
                if (sent.reply_markup or None) == (markup or None):
                    raise ApiError(400, "Bad Request: message is not modified: specified new message content "
                                        "and reply markup are exactly the same as a current content and reply "
                                        "markup of the message")
                sent.reply_markup = markup
                self.markup_edits.append(params)
                return self._result(sent, {"text": sent.plain, "edit_date": int(time.time())})
        raise ApiError(400, "Bad Request: message to edit not found")

    async def _api_sendPhoto(self, params: JSON) -> JSON:
        photo = params.get("photo")
        if not isinstance(photo, bytes) or not photo:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        caption = params.get("caption")
        plain = self._check_text(caption, params.get("parse_mode"), MAX_CAPTION, "message caption is too long")
        sent = self._record("sendPhoto", params, caption)
        sent.photo_bytes = len(photo)
        return self._result(sent, {"caption": plain} if caption else {}, photo=True)

    async def _api_sendMediaGroup(self, params: JSON) -> list[JSON]:
        media = params.get("media") or []
        if not 2 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media in the album: must be 2-10")
        results = []
        records = []
        for item in media:
            ref = str(item.get("media", ""))
            data = params.get(ref.removeprefix("attach://")) if ref.startswith("attach://") else None
            if item.get("type") != "photo" or not isinstance(data, bytes) or not data:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            self._check_text(item.get("caption"), item.get("parse_mode"), MAX_CAPTION, "message caption is too long")
            records.append((item, data))
        for item, data in records:
            sent = self._record("sendMediaGroup", params, item.get("caption"), parse_mode=item.get("parse_mode"))
            sent.photo_bytes = len(data)
            results.append(self._result(sent, {}, photo=True))
        return results

    async def _api_sendChatAction(self, params: JSON) -> bool:
        self.actions.append((params["chat_id"], params.get("action", "")))
        return True

    async def _api_answerCallbackQuery(self, params: JSON) -> bool:
        self.callback_answers.append(params)
        return True

    async def _api_deleteMessage(self, params: JSON) -> bool:
        before = len(self.sent)
        self.sent = [s for s in self.sent if not (s.chat_id == params.get("chat_id")
                                                   and s.message_id == params.get("message_id"))]
        if len(self.sent) == before:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    async def _api_getChat(self, params: JSON) -> JSON:
        chat = self._as_chat(params["chat_id"])
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False}}

    async def _api_getChatMember(self, params: JSON) -> JSON:
        chat = self._as_chat(params["chat_id"])
        user_id = int(params["user_id"])
        if user_id == self.bot_user["id"]:
            return self._member(self.bot_user, "administrator", chat)
        if chat["type"] == "private":
            status = "member"
        elif self.owners.get(chat["id"]) == user_id:
            status = "creator"
        elif user_id in self.admins.get(chat["id"], set()):
            status = "administrator"
        else:
            status = "member"
        return self._member(self._as_user(user_id), status, chat)

    # ------------------------------------------------------------------ building JSON

    def _deliver(self, update: JSON) -> None:
        kind = next(k for k in update if k != "update_id")
        if self.honour_allowed_updates and kind not in self._allowed:
            return  # Telegram drops update types the bot did not ask for
        if self.webhook and self.webhook.get("url"):
            task = asyncio.ensure_future(self._post_webhook(update, dict(self.webhook)))
            self._webhook_posts.add(task)
            task.add_done_callback(self._webhook_posts.discard)
            return
        self._updates.append(update)
        for waiter in list(self._waiters):
            waiter.set()

    def _message(self, chat: JSON, text: str | None, *, sender: JSON | None = None, sender_chat: JSON | None = None,
                 thread_id: int | None = None, message_id: int | None = None) -> JSON:
        message: JSON = {"message_id": message_id or next(self._message_ids), "date": int(time.time()), "chat": chat}
        if sender is not None:
            message["from"] = sender
        if sender_chat is not None:
            message["sender_chat"] = sender_chat
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            if chat.get("is_forum"):
                message["is_topic_message"] = True
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        return message

    def _member(self, user: JSON, status: str, chat: JSON) -> JSON:
        member: JSON = {"status": status, "user": user}
        if status == "administrator":
            member.update(can_be_edited=False, is_anonymous=False, can_manage_chat=True, can_delete_messages=True,
                          can_manage_video_chats=True, can_restrict_members=True, can_promote_members=False,
                          can_change_info=True, can_invite_users=True, can_post_stories=False,
                          can_edit_stories=False, can_delete_stories=False)
            if chat.get("type") == "channel":
                member.update(can_post_messages=True, can_edit_messages=True)
        elif status == "creator":
            member["is_anonymous"] = False
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def _record(self, method: str, params: JSON, text: str | None, parse_mode: str | None = None) -> Sent:
        reply = params.get("reply_parameters") or {}
        sent = Sent(method=method, chat_id=params["chat_id"], message_id=next(self._message_ids), text=text,
                    parse_mode=parse_mode or params.get("parse_mode"),
                    message_thread_id=params.get("message_thread_id"), reply_markup=params.get("reply_markup"),
                    at=time.time(), reply_to=reply.get("message_id") or params.get("reply_to_message_id"))
        self.sent.append(sent)
        return sent

    def _result(self, sent: Sent, extra: JSON, photo: bool = False) -> JSON:
        chat = self._as_chat(sent.chat_id)
        result: JSON = {"message_id": sent.message_id, "date": int(sent.at), "chat": chat, **extra}
        if chat["type"] != "channel":
            result["from"] = self.bot_user
        else:
            result["sender_chat"] = chat
        if sent.message_thread_id and chat.get("is_forum"):
            result["message_thread_id"] = sent.message_thread_id
            result["is_topic_message"] = True
        replied = next((m for m in self.sent if m.chat_id == sent.chat_id and m.message_id == sent.reply_to), None)
        if replied is not None:  # Telegram echoes the replied message (only the bot's own are known here)
            result["reply_to_message"] = {"message_id": replied.message_id, "date": int(replied.at), "chat": chat,
                                          "from": self.bot_user, "text": replied.plain}
        if photo:
            result["photo"] = [{"file_id": f"photo{sent.message_id}", "file_unique_id": f"u{sent.message_id}",
                                "width": 640, "height": 480}]
        if sent.reply_markup:
            result["reply_markup"] = sent.reply_markup
        return result

    def _check_text(self, text: str | None, parse_mode: str | None, limit: int, too_long: str) -> str:
        if text is None:
            return ""
        if parse_mode not in (None, "HTML"):
            raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode} in this fake")
        plain = parse_html(text) if parse_mode == "HTML" else text
        if utf16_len(plain) > limit:
            raise ApiError(400, f"Bad Request: {too_long}")
        return plain

    def _check_markup(self, markup: JSON | None) -> None:
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")

    def _as_user(self, user: JSON | int) -> JSON:
        if isinstance(user, dict):
            return user
        if user == ANONYMOUS_ADMIN["id"]:
            return ANONYMOUS_ADMIN
        chat = self.chats.get(user)
        name = chat.get("first_name") if chat and chat.get("type") == "private" else None
        return {"id": user, "is_bot": False, "first_name": name or f"User{user}", "language_code": "en"}

    def _as_chat(self, chat: JSON | int | str, *, forum: bool = False, kind: str | None = None) -> JSON:
        if isinstance(chat, dict):
            self.chats.setdefault(chat["id"], chat)
            return chat
        known = self.chats.get(chat)
        if known is not None:
            return known
        if isinstance(chat, int) and chat > 0:
            return self.user(chat) and self.chats[chat]
        if kind == "channel":
            return self.channel(int(chat))
        return self.group(int(chat), forum=forum, kind=kind or "supergroup")


async def _params(request: web.Request) -> JSON:
    """PTB sends form fields whose nested values are JSON strings; decode them back."""
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        return dict(body or {})
    if not request.can_read_body:
        return dict(request.query)
    form = await request.post()
    params: JSON = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = value.file.read()
        elif key in STRING_FIELDS:
            params[key] = value
        else:
            try:
                params[key] = json.loads(value)
            except (TypeError, ValueError):
                params[key] = value
    return params


def _positive(chat_id: Any) -> bool:
    return isinstance(chat_id, int) and chat_id > 0


def _json(body: JSON | list[Any], status: int = 200) -> web.Response:
    return web.Response(status=status, body=json.dumps(body), content_type="application/json")
