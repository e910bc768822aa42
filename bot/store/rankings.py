"""Trained ranking models, one per (audience, topic), so a restart does not retrain every voting chat.

A model is small (at most 400 hashed term keys and float32 weights, about 5 kB) and is
stored with digests of what trained it: the topic's definition and the audience's votes.
A row whose digests differ from the audience's current ones is simply not used, and is
replaced by the next training, so any vote, unvote, reset or topic edit invalidates it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.store.db import Database

if TYPE_CHECKING:  # numpy loads on first use: every command opens the store, few rank
    import numpy as np


@dataclass(frozen=True)
class StoredModel:
    keys: np.ndarray  # uint64 term keys
    weights: np.ndarray  # float32, one per key
    words: tuple[tuple[str, float], ...]  # the strongest terms in words, for /prefs


class RankingModelStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, audience: str, topic: str, definition: str, taught: str) -> StoredModel | None:
        """The model trained on exactly this topic definition and these votes, if one was stored."""
        import numpy as np
        row = await self.db.fetchone(
            "SELECT keys, weights, words FROM ranking_models "
            "WHERE audience = ? AND topic = ? AND definition = ? AND taught = ?", (audience, topic, definition, taught))
        if row is None:
            return None
        words = tuple((str(term), float(weight)) for term, weight in json.loads(row["words"]))
        return StoredModel(np.frombuffer(row["keys"], dtype="<u8").astype(np.uint64),
                           np.frombuffer(row["weights"], dtype="<f4").astype(np.float32), words)

    async def put(self, audience: str, topic: str, definition: str, taught: str, model: StoredModel) -> None:
        import numpy as np
        async with self.db.write() as conn:
            await conn.execute(
                "INSERT OR REPLACE INTO ranking_models (audience, topic, definition, taught, keys, weights, words, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (audience, topic, definition, taught, np.asarray(model.keys, dtype="<u8").tobytes(),
                 np.asarray(model.weights, dtype="<f4").tobytes(), json.dumps(model.words, ensure_ascii=False),
                 self.db.utcnow()))
