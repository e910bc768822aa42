"""Telegram: updates in as neutral Commands, neutral replies out as HTML messages.

Runs python-telegram-bot's Application with the manual lifecycle so it shares the
event loop with Discord and the scheduler. Every command comes from the dispatcher's
specs through one generic handler; nothing here knows what a command does.
Rendering lives in ``telegram_render`` and sending (pacing, retries, failures) in
``telegram_send``.

Things that are easy to get wrong and are handled here:

* ``CommandHandler`` also fires on edited messages and never on channel posts, so it
  is limited to new messages and channel posts get their own handler.
* Admin rights are asked of Telegram only for admin commands in groups; anonymous
  admins post as the group itself and count as admins.
* Being removed or blocked arrives as a ``my_chat_member`` update: the chat's
  subscriptions are paused, and resumed when the bot is let back in.
* httpx logs request URLs, which contain the token, at INFO.
* Start-up retries and a prompt stop live in ``telegram_lifecycle``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import time
import traceback
from typing import Any
from urllib.parse import urlsplit

from telegram import Bot, BotCommand, CallbackQuery, Chat, Message, Update
from telegram.constants import ChatAction, ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.adapters.base import AdapterBase
from bot.adapters.telegram.lifecycle import bot_api_root, initialize, stop_updater
from bot.adapters.telegram.limiter import FloodLimiter
from bot.adapters.telegram.send import Leaf, TelegramSender, api_chat_id
from bot.adapters.telegram.votes import on_save, on_vote
from bot.commands import parse_line, tokenize
from bot.config import ConfigError, Settings
from bot.i18n import t
from bot.models import ChatKind, ChatRef
from bot.ports import ChatUnavailable, Command, CommandSpec, Host, OnSent, ThreadRef, parse_save_data, parse_vote_data
from bot.replies import Answer, Error, Reply, Summary

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "channel_post", "callback_query", "my_chat_member"]
ANONYMOUS_ADMIN_ID = 1087968824  # @GroupAnonymousBot: the sender of anonymous admins' messages
ADMIN_STATUSES = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
GONE_STATUSES = {ChatMemberStatus.LEFT, ChatMemberStatus.BANNED}
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")  # what Telegram accepts in a command list
BUTTON_COOLDOWN_SECONDS = 30.0
TYPING_EVERY_SECONDS = 4.5


class TelegramAdapter(AdapterBase):
    name = "telegram"

    def __init__(self, settings: Settings, *, private_interval: float = 1.0) -> None:
        if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
            raise ConfigError("configuration error: TELEGRAM_BOT_TOKEN: not set")
        super().__init__(settings)
        self._token = settings.telegram_bot_token.get_secret_value()
        self._app: Application[Any, Any, Any, Any, Any, Any] | None = None
        self._sender = TelegramSender(lambda: self._bot, self._migrate, private_interval)
        self._pressed: dict[tuple[int, str], float] = {}
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("httpcore").setLevel(logging.WARNING)

    # ----------------------------------------------------------------- lifecycle

    async def start(self, host: Host) -> None:
        self.host = host
        api = bot_api_root(self.settings.telegram_api_url)
        limiter = FloodLimiter()  # 30/s overall, 20/min per group; O(1) per request at any number of chats
        app = (
            ApplicationBuilder().token(self._token).base_url(f"{api}/bot").base_file_url(f"{api}/file/bot")
            .rate_limiter(limiter).concurrent_updates(True).job_queue(None).build()
        )
        specs = host.specs()
        names = [s.name for s in specs if COMMAND_NAME.match(s.name)]
        app.add_handler(CommandHandler(names, self._on_command, filters=filters.UpdateType.MESSAGE))
        app.add_handler(MessageHandler(filters.UpdateType.CHANNEL_POST & filters.COMMAND, self._on_command))
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND, self._on_command))
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.REPLY & filters.TEXT, self._on_reply))
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self._on_migrate))
        app.add_handler(ChatMemberHandler(self._on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_error_handler(self._on_error)
        await initialize(app, api)
        self._app = app
        try:
            await self._publish_commands(specs)
            await app.start()
            assert app.updater is not None
            url = self.settings.telegram_webhook_url
            if url:
                await app.updater.start_webhook(
                    listen=self.settings.telegram_webhook_listen, port=self.settings.telegram_webhook_port,
                    url_path=urlsplit(url).path.lstrip("/"), webhook_url=url,
                    secret_token=secrets.token_urlsafe(32), allowed_updates=ALLOWED_UPDATES, bootstrap_retries=2,
                )
            else:
                await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES, bootstrap_retries=2)
        except BaseException:
            await self.stop()  # the runner only stops adapters that started
            raise
        log.info("telegram adapter running", extra={"bot": app.bot.username, "mode": "webhook" if url else "polling"})

    async def stop(self) -> None:
        """Stop fetching, give running commands a moment to reply, then cancel the rest."""
        app = self._app
        if app is None:
            return
        try:
            if app.updater is not None and app.updater.running:
                await stop_updater(app)
            await self.finish_running()
            if app.running:
                await app.stop()
            await app.shutdown()
        finally:
            self._app = None

    async def _publish_commands(self, specs: list[CommandSpec]) -> None:
        """The "/" menu in Telegram clients; a failure costs only the menu, so it is logged."""
        assert self._app is not None
        default = self.settings.language
        for language in (None, "en", "zh"):
            commands = [
                BotCommand(s.name, _description(t(language or default, s.help_key)))
                for s in specs if COMMAND_NAME.match(s.name)
            ]
            try:
                await self._app.bot.set_my_commands(commands, language_code=language)
            except TelegramError as exc:
                log.warning("could not publish the command list", extra={"language": language, "error": str(exc)})

    # ------------------------------------------------------------------ outbound

    async def send(self, chat: ChatRef, reply: Reply, *, skip: int = 0, on_sent: OnSent | None = None) -> list[str]:
        return await self._sender.send(chat, reply, skip=skip, on_sent=on_sent)

    def dm_chat(self, user_id: str) -> ChatRef | None:
        """A person's private chat (the id of a user); groups and channels have negative ids."""
        return ChatRef(self.name, user_id, "private") if user_id.isdigit() else None

    async def _migrate(self, old_id: str, new_id: str) -> None:
        if old_id != new_id:
            await self.host_or_fail.chat_migrated(ChatRef(self.name, old_id, "group"), new_id)

    # ------------------------------------------------------------------- inbound

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text or not message.entities:
            return
        entity = message.entities[0]
        head = message.text[1 : entity.length]
        name, _, target = head.partition("@")
        name = name.lower()
        if target and target.lower() != (self._bot.username or "").lower():
            return  # meant for another bot
        rest = message.text[entity.length :].strip()
        host = self.host_or_fail
        spec = host.spec(name)
        if spec is None and name == "start":  # what a Telegram client sends when a user presses Start
            name, rest, spec = "help", "", host.spec("help")
        if spec is None and message.chat.type != ChatType.PRIVATE and not target:
            return  # an unknown "/word" in a group is probably for someone else: stay quiet
        await self.track(self._run(message.chat, message, message.from_user, name, rest, spec))

    async def _on_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A reply to the bot's summary or answer is a follow-up question about that paper.

        Replies to anything else (a person, an unbound bot message) stay ignored. Groups
        with privacy mode on still deliver replies to the bot's own messages.
        """
        message = update.message
        replied = message.reply_to_message if message is not None else None
        question = (message.text or "").strip() if message is not None else ""
        if message is None or replied is None or not question:
            return
        if replied.from_user is None or replied.from_user.id != self._bot.id:
            return
        host = self.host_or_fail
        found = await host.find_thread(_chat_ref(message.chat, message), str(replied.message_id))
        if found is None:
            return
        await self.track(self._run(message.chat, message, message.from_user, "ask",
                                   f"{found.paper_id} {question}", host.spec("ask"), thread=found.thread))

    async def _bind(self, chat: ChatRef, leaf: Leaf, ids: list[str]) -> None:
        """Remember the messages of a summary or answer, so a reply to any of them continues it."""
        if not isinstance(leaf, Summary | Answer) or not leaf.thread:
            return
        try:
            for message_id in ids:
                if message_id.isdigit():
                    await self.host_or_fail.bind_thread(chat, message_id, ThreadRef(leaf.paper.id, leaf.thread))
        except Exception:  # the answer is out; only replies to it are lost
            log.error("could not remember a telegram conversation", extra={"chat": chat.key}, exc_info=True)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button carries a command line: run it as if the pressing user had typed it."""
        query: CallbackQuery | None = update.callback_query
        if query is None or not query.data or query.message is None:
            return
        chat = query.message.chat
        vote = parse_vote_data(query.data)
        if vote is not None:
            message = query.message if isinstance(query.message, Message) else None
            await self.track(on_vote(self.host_or_fail, query, _chat_ref(chat, message), *vote))
            return
        saved = parse_save_data(query.data)
        if saved is not None:  # 🔖: answered in place like a vote, never a new message
            message = query.message if isinstance(query.message, Message) else None
            await self.track(on_save(self.host_or_fail, query, _chat_ref(chat, message), saved))
            return
        parsed = parse_line(query.data)
        # In a channel every reader gets their own answer, so the cooldown is per reader there.
        key = (query.from_user.id if chat.type == ChatType.CHANNEL else chat.id, query.data)
        now = time.monotonic()
        if parsed is None or now - self._pressed.get(key, -1e9) < BUTTON_COOLDOWN_SECONDS:
            await _answer(query)
            return
        self._pressed = {k: v for k, v in self._pressed.items() if now - v < BUTTON_COOLDOWN_SECONDS}
        self._pressed[key] = now
        name, rest = parsed
        host = self.host_or_fail
        if chat.type == ChatType.CHANNEL:
            # Anyone reading a channel can press; answer in private instead of posting into the channel.
            try:
                await self._bot.send_chat_action(query.from_user.id, ChatAction.TYPING)
            except TelegramError:  # the reader never started a chat with the bot
                self._pressed.pop(key, None)
                await _answer(query, await self.error_text(_chat_ref(chat, None), "start_first",
                                                           bot=self._bot.username))
                return
            await _answer(query)
            dm = Chat(query.from_user.id, ChatType.PRIVATE)
            with contextlib.suppress(ChatUnavailable):
                await self.track(self._run(dm, None, query.from_user, name, rest, host.spec(name)))
            return
        await _answer(query)
        message = query.message if isinstance(query.message, Message) else None
        await self.track(self._run(chat, message, query.from_user, name, rest, host.spec(name),
                                    reply=False))

    async def _run(self, chat: Chat, message: Message | None, user: Any, name: str, rest: str,
                   spec: CommandSpec | None, reply: bool = True, thread: str | None = None) -> None:
        host = self.host_or_fail
        ref = _chat_ref(chat, message)
        sender = message.sender_chat if message is not None else None
        real_user = user is not None and user.id != ANONYMOUS_ADMIN_ID and sender is None
        typing = None
        if spec is not None and spec.slow:  # "typing…" first: the admin check below is a request too
            typing = asyncio.create_task(self._keep_typing(ref, first=await self._typing(ref)))
        cmd = Command(
            name=name, args=tokenize(rest), text=rest,
            user_id=str(sender.id if sender is not None else user.id if user is not None else chat.id),
            chat=ref, can_admin=await self._can_admin(chat, message, user, spec),
            user_name=(user.full_name if real_user else (sender.title if sender is not None else chat.title)),
            dm_chat_id=str(user.id) if real_user else None, thread=thread,
        )
        try:
            result = await host.dispatch(cmd)
        finally:
            if typing is not None:
                typing.cancel()
        answers = ref.kind == "group" or thread is not None  # a follow-up replies to its question, even in private
        reply_to = message.message_id if reply and message is not None and answers else None
        try:
            await self._sender.send(ref, result, reply_to=reply_to, on_leaf=self._bind)
        except ChatUnavailable as exc:
            log.warning("cannot reply in telegram chat", extra={"chat": ref.key, "reason": exc.reason})
            if ref.kind != "private":
                await host.chat_gone(ref, exc.reason)
            raise
        except TelegramError:
            raise  # the reply did not get through: _on_error tells the chat
        except Exception:
            # Telegram took the message, but reading its answer failed. The command worked (a
            # subscription may be saved), so telling the chat "something went wrong" would be false.
            log.exception("reply sent, but Telegram's answer could not be read", extra={"chat": ref.key})

    async def _can_admin(self, chat: Chat, message: Message | None, user: Any, spec: CommandSpec | None) -> bool:
        """Private chats and channel posts are admin by nature; groups ask Telegram, only when needed:
        for admin commands, and for slow ones, whose model-call quota is larger for admins."""
        if chat.type in (ChatType.PRIVATE, ChatType.CHANNEL):
            return True
        if spec is None or not (spec.admin or spec.slow):
            return False
        if message is not None and message.sender_chat is not None:
            return message.sender_chat.id == chat.id  # anonymous admin; a linked channel is not
        if user is None:
            return False
        try:
            member = await self._bot.get_chat_member(chat.id, user.id)
        except TelegramError as exc:
            log.warning("could not check admin status", extra={"chat": chat.id, "error": str(exc)})
            return False
        return member.status in ADMIN_STATUSES

    async def _keep_typing(self, chat: ChatRef, first: bool) -> None:
        """Telegram shows "typing…" for 5 s; repeat a few times while a slow command runs.

        Only once in groups and channels: PTB's rate limiter counts chat actions against a
        group's 20 messages a minute, and the reply matters more than the indicator.
        """
        if not first:
            return
        for _ in range(3 if chat.kind == "private" else 0):
            await asyncio.sleep(TYPING_EVERY_SECONDS)
            if not await self._typing(chat):
                return

    async def _typing(self, chat: ChatRef) -> bool:
        thread = int(chat.thread_id) if chat.thread_id else None
        try:
            await self._bot.send_chat_action(api_chat_id(chat.chat_id), ChatAction.TYPING, message_thread_id=thread)
        except TelegramError:
            return False
        return True

    async def _on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Removed or blocked: pause the chat's subscriptions; let back in: resume them."""
        change = update.my_chat_member
        if change is None:
            return
        chat = change.chat
        ref = _chat_ref(chat, None)
        old, new = change.old_chat_member, change.new_chat_member
        if not _can_post(new, chat):
            reason = _gone_reason(chat, new.status)
            count = await self.host_or_fail.chat_gone(ref, reason)
            log.info("telegram chat paused", extra={"chat": ref.key, "reason": reason, "subscriptions": count})
        elif not _can_post(old, chat):
            count = await self.host_or_fail.chat_back(ref, chat.title)
            log.info("telegram chat resumed", extra={"chat": ref.key, "subscriptions": count})

    async def _on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id:
            await self._migrate(str(message.chat.id), str(message.migrate_to_chat_id))
        elif message.migrate_from_chat_id:
            await self._migrate(str(message.migrate_from_chat_id), str(message.chat.id))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log without the token; tell the chat something went wrong, never how."""
        error = context.error
        if isinstance(error, ChatUnavailable):
            return  # already logged and paused
        detail = "".join(traceback.format_exception(error)) if error else "unknown error"
        log.error("telegram update failed: %s", detail.replace(self._token, "<token>"))
        if not isinstance(update, Update) or update.effective_chat is None or update.effective_message is None:
            return
        if update.callback_query is not None and update.effective_chat.type == ChatType.CHANNEL:
            return  # a reader's button press; the channel itself did nothing wrong
        ref = _chat_ref(update.effective_chat, update.effective_message)
        try:
            await self._sender.send(ref, Error(await self.error_text(ref)))
        except Exception:  # the chat may be the problem; nothing more to do
            log.warning("could not report an error to telegram chat", extra={"chat": ref.key})

    @property
    def _bot(self) -> Bot:
        if self._app is None:
            raise RuntimeError("the Telegram adapter is not running")
        return self._app.bot



def _chat_ref(chat: Chat, message: Message | None) -> ChatRef:
    kind: ChatKind = "group"  # supergroups and basic groups alike
    if chat.type in (ChatType.PRIVATE, ChatType.CHANNEL):
        kind = "private" if chat.type == ChatType.PRIVATE else "channel"
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    return ChatRef("telegram", str(chat.id), kind, str(thread) if thread else None)


def _can_post(member: Any, chat: Chat) -> bool:
    if member.status in GONE_STATUSES:
        return False
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "can_send_messages", True)) and bool(getattr(member, "is_member", True))
    if chat.type == ChatType.CHANNEL:
        return member.status == ChatMemberStatus.OWNER or bool(getattr(member, "can_post_messages", False))
    return True


def _gone_reason(chat: Chat, status: str) -> str:
    if chat.type == ChatType.PRIVATE:
        return "Forbidden: bot was blocked by the user"
    if status in GONE_STATUSES:
        return f"Forbidden: bot was removed from the {chat.type}"
    return f"Forbidden: bot may not post in this {chat.type}"


def _description(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "…"
    return line if len(line) <= 256 else line[:255] + "…"


async def _answer(query: CallbackQuery, alert: str | None = None) -> None:
    with contextlib.suppress(TelegramError):  # an old button: the spinner stops on its own
        await query.answer(alert, show_alert=alert is not None)
