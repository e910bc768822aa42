"""Answers to questions about a paper, and the turns of each conversation.

An answer is keyed like a summary (paper, version, language, model, prompt version) plus
the normalised question and a ``context``: empty for a new question, so the same
question from anyone anywhere is answered once; for a follow-up, a digest of the turns
the model was shown, because "and on the second dataset?" means something different in
every conversation. A follow-up is therefore reused only for the very same conversation
(a repeated message, a retry after a crash), never across conversations.

Turns are kept per conversation, at most :data:`KEPT_TURNS`, each clipped, so a long
thread cannot grow the database or the prompt without bound.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.store.db import Database

KEPT_TURNS = 20  # per conversation; the model sees fewer (PAPERBOT_ASK_HISTORY_TURNS)
QUESTION_CHARS = 500
ANSWER_CHARS = 2000


@dataclass(frozen=True)
class AnswerKey:
    paper_id: str
    version: int
    question: str  # normalised
    context: str  # '' or a digest of the turns shown to the model
    language: str
    model: str
    prompt_version: str

    def row(self) -> tuple[str, int, str, str, str, str, str]:
        return (self.paper_id, self.version, self.question, self.context, self.language, self.model,
                self.prompt_version)


@dataclass(frozen=True)
class StoredAnswer:
    text: str
    sources: tuple[str, ...]
    says: bool


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str


@dataclass(frozen=True)
class TurnCost:
    calls: int
    tokens_in: int | None = None
    tokens_out: int | None = None


_WHERE = ("paper_id = ? AND version = ? AND question = ? AND context = ? AND language = ? AND model = ? "
          "AND prompt_version = ?")


class AnswerStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: AnswerKey) -> StoredAnswer | None:
        row = await self.db.fetchone(f"SELECT text, sources, says FROM answers WHERE {_WHERE}", key.row())
        if row is None:
            return None
        try:
            sources = tuple(str(s) for s in json.loads(row["sources"]))
        except (ValueError, TypeError):
            sources = ()
        return StoredAnswer(row["text"], sources, bool(row["says"]))

    async def put(self, key: AnswerKey, answer: StoredAnswer) -> None:
        await self.db.execute(
            """INSERT OR REPLACE INTO answers (paper_id, version, question, context, language, model, prompt_version,
                                               text, sources, says, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (*key.row(), answer.text, json.dumps(list(answer.sources), ensure_ascii=False), int(answer.says),
             self.db.utcnow()),
        )

    async def turns(self, thread: str, paper_id: str, limit: int) -> list[Turn]:
        """The last ``limit`` turns of a conversation about ``paper_id``, oldest first."""
        if limit <= 0:
            return []
        rows = await self.db.fetchall(
            "SELECT question, answer FROM ask_turns WHERE thread = ? AND paper_id = ? ORDER BY id DESC LIMIT ?",
            (thread, paper_id, limit))
        return [Turn(r["question"], r["answer"]) for r in reversed(rows)]

    async def add_turn(self, *, thread: str, paper_id: str, chat: str, user: str, turn: Turn, cost: TurnCost) -> None:
        """Append a turn and forget the conversation's turns beyond :data:`KEPT_TURNS`."""
        async with self.db.write() as conn:
            await conn.execute(
                """INSERT INTO ask_turns (thread, paper_id, chat, user, question, answer, calls, tokens_in,
                                          tokens_out, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (thread, paper_id, chat, user, turn.question[:QUESTION_CHARS], turn.answer[:ANSWER_CHARS],
                 cost.calls, cost.tokens_in, cost.tokens_out, self.db.utcnow()))
            await conn.execute(
                """DELETE FROM ask_turns WHERE thread = ? AND id NOT IN
                   (SELECT id FROM ask_turns WHERE thread = ? ORDER BY id DESC LIMIT ?)""",
                (thread, thread, KEPT_TURNS))

    async def stats(self) -> dict[str, object] | None:
        """What /ask cost, per answer: for ``paperbot stats``. None before the first answer."""
        row = await self.db.fetchone(
            """SELECT COUNT(*) AS answers, SUM(calls = 0) AS cached, SUM(calls) AS calls,
                      SUM(tokens_in) AS tokens_in, SUM(tokens_out) AS tokens_out FROM ask_turns""")
        if row is None or not row["answers"]:
            return None
        answers = int(row["answers"])
        calls = int(row["calls"] or 0)
        return {
            "answers": answers,
            "cached": int(row["cached"] or 0),
            "calls": calls,
            "calls_per_answer": round(calls / answers, 2),
            "tokens_in_per_answer": round(int(row["tokens_in"] or 0) / answers),
            "tokens_out_per_answer": round(int(row["tokens_out"] or 0) / answers),
        }
