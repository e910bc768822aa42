"""Which conversation about a paper a platform message or thread continues.

Kept in SQLite so a reply to an answer still reaches the same conversation after a restart.
"""

from __future__ import annotations

from bot.store.db import Database


class ThreadLinkStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def bind(self, chat: str, key: str, paper_id: str, thread: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "INSERT OR REPLACE INTO thread_links (chat, key, paper_id, thread, at) VALUES (?, ?, ?, ?, ?)",
                (chat, key, paper_id, thread, self.db.utcnow()))

    async def find(self, chat: str, key: str) -> tuple[str, str] | None:
        """(paper id, conversation key) bound to ``key`` in ``chat``, if any."""
        row = await self.db.fetchone("SELECT paper_id, thread FROM thread_links WHERE chat = ? AND key = ?",
                                     (chat, key))
        return (row["paper_id"], row["thread"]) if row else None
