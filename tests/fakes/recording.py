"""A platform adapter that records what it would post, for scheduler and delivery tests.

It renders like a text platform (plain text packed into messages of ``max_text``),
so message indices are real; ``crash_after`` simulates the process dying mid-send
(kill -9) by raising a BaseException that nothing in the bot catches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.models import ChatRef
from bot.ports import ChatUnavailable, OnSent
from bot.render.plain import document, render_block
from bot.render.split import pack
from bot.replies import Reply


class Killed(BaseException):
    """The process died: not an Exception, so no handler in the bot swallows it."""


@dataclass
class RecordingAdapter:
    name: str = "console"
    max_text: int = 700  # characters per message, like a small text platform
    sent: list[tuple[str, int, str]] = field(default_factory=list)  # (chat_id, index, text)
    unavailable: dict[str, str] = field(default_factory=dict)  # chat_id -> reason
    crash_after: int | None = None  # total messages before the "process" dies
    attempts: list[str] = field(default_factory=list)

    async def start(self, core: object) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, chat: ChatRef, reply: Reply, *, skip: int = 0, on_sent: OnSent | None = None) -> list[str]:
        self.attempts.append(chat.chat_id)
        if chat.chat_id in self.unavailable:
            raise ChatUnavailable(self.unavailable[chat.chat_id])
        messages = pack(document(reply), render_block, self.max_text)
        ids = []
        for index, message in enumerate(messages):
            if index < skip:
                continue
            if self.crash_after is not None and len(self.sent) >= self.crash_after:
                raise Killed()
            self.sent.append((chat.chat_id, index, message.text))
            ids.append(f"{chat.chat_id}/{index}")
            if on_sent is not None:
                await on_sent(index, ids[-1])
        return ids

    def messages_for(self, chat_id: str) -> list[int]:
        return [index for cid, index, _ in self.sent if cid == chat_id]
