"""Cached dense embeddings of papers, one row per (paper, model).

An embedding depends only on the paper's title and abstract and the model, so it is
computed once and shared by every chat and person, as summaries are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from bot.store.db import Database

if TYPE_CHECKING:  # numpy loads when a vector is first read or written, not with the store
    import numpy as np


class EmbeddingStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_many(self, model: str, paper_ids: Sequence[str]) -> dict[str, np.ndarray]:
        import numpy as np

        found: dict[str, np.ndarray] = {}
        ids = list(dict.fromkeys(paper_ids))
        for start in range(0, len(ids), 500):  # SQLite's host-parameter limit
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self.db.fetchall(
                f"SELECT paper_id, vector FROM paper_embeddings WHERE model = ? AND paper_id IN ({marks})",
                (model, *chunk))
            found.update({r["paper_id"]: np.frombuffer(r["vector"], dtype="<f4") for r in rows})
        return found

    async def put_many(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        import numpy as np

        now = self.db.utcnow()
        async with self.db.write() as conn:
            await conn.executemany(
                "INSERT OR REPLACE INTO paper_embeddings (paper_id, model, vector, at) VALUES (?, ?, ?, ?)",
                [(pid, model, np.asarray(v, dtype="<f4").tobytes(), now) for pid, v in vectors.items()])
