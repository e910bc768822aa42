"""Dense embeddings join the ranking when an embedding model is configured, through the real clients.

The fakes serve Gemini's ``:batchEmbedContents`` and OpenAI's ``/v1/embeddings`` with
deterministic vectors; a paper is embedded once and the vector is cached in SQLite.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core import Core
from bot.models import ChatRef
from bot.replies import Digest
from tests.conftest import NOW, ConsoleBot, ManualClock, make_settings
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.gemini import EMBEDDING_SIZE, FakeGemini
from tests.fakes.openai_compat import FakeOpenAI

GROUP = ChatRef("console", "lab-group", "group")
OTHER = ChatRef("console", "other-group", "group")


async def _core(arxiv: FakeArxiv, path: Path, **overrides: Any) -> Core:
    path.mkdir(exist_ok=True)
    return await Core.create(make_settings(arxiv, path, **overrides), ManualClock(NOW))


def _gemini(fake: FakeGemini, model: str = "text-embedding-004") -> dict[str, Any]:
    return {"llm_backend": "gemini", "gemini_api_key": "k", "gemini_base_url": fake.url, "embedding_model": model}


def _openai(fake: FakeOpenAI, model: str = "nomic-embed-text") -> dict[str, Any]:
    return {"llm_backend": "openai", "openai_api_key": "k", "openai_base_url": f"{fake.url}/v1",
            "embedding_model": model}


async def _digest(bot: ConsoleBot, chat: ChatRef = GROUP) -> Digest:
    said = await bot.say("/digest virtual-humans all", chat=chat)
    assert isinstance(said.reply, Digest), said.text
    return said.reply


async def test_each_paper_is_embedded_once_and_every_chat_shares_the_vector(
        arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path) -> None:
    async with await _core(arxiv, tmp_path, **_gemini(gemini)) as core:
        bot = ConsoleBot(core)
        first = [e.paper.id for e in (await _digest(bot)).entries]
        assert gemini.embedding_calls == 0  # no votes: the keyword order stands, nothing to embed for
        await bot.say(f"/like {first[-1]}", chat=GROUP)
        await _digest(bot)
        calls = gemini.embedding_calls
        embedded = sum(len(batch) for batch in gemini.embedded)
        assert calls >= 1 and embedded >= len(first)
        await _digest(bot)
        await bot.say(f"/like {first[-1]}", chat=OTHER)
        await _digest(bot, OTHER)
        assert gemini.embedding_calls == calls  # the second digest, and another chat's, made no call
        rows = await core.store.db.fetchall("SELECT model, length(vector) AS size FROM paper_embeddings")
        assert len(rows) == embedded and {(r["model"], r["size"]) for r in rows} == {
            ("text-embedding-004", 4 * EMBEDDING_SIZE)}


async def test_embeddings_from_an_openai_compatible_endpoint_change_the_ranking(
        arxiv: FakeArxiv, openai_fake: FakeOpenAI, tmp_path: Path) -> None:
    async with await _core(arxiv, tmp_path / "plain") as plain:
        before = [e.paper for e in (await _digest(ConsoleBot(plain))).entries]
    liked, far = before[1], before[-1]
    # The fake embeds the liked paper and the last one as the same vector: only embeddings know they are alike.
    same = [1.0] + [0.0] * (EMBEDDING_SIZE - 1)
    openai_fake.pinned_vectors = {liked.title: same, far.title: same}
    orders = {}
    for name, overrides in (("tfidf", {}), ("dense", _openai(openai_fake))):
        async with await _core(arxiv, tmp_path / name, **overrides) as core:
            bot = ConsoleBot(core)
            await bot.say(f"/like {liked.id}", chat=GROUP)
            orders[name] = [e.paper.id for e in (await _digest(bot)).entries]
    assert openai_fake.embedding_calls >= 1
    assert orders["dense"].index(far.id) < orders["tfidf"].index(far.id)


async def test_without_an_embedding_model_nothing_is_embedded_and_tfidf_ranks(
        arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path) -> None:
    async with await _core(arxiv, tmp_path, **_gemini(gemini, model="")) as core:
        assert core.embeddings is None
        bot = ConsoleBot(core)
        first = [e.paper.id for e in (await _digest(bot)).entries]
        await bot.say(f"/like {first[-1]}", chat=GROUP)
        after = [e.paper.id for e in (await _digest(bot)).entries]
        assert after != first  # the TF-IDF model still learns from the vote
    assert gemini.embedding_calls == 0


async def test_a_failing_embedding_endpoint_falls_back_to_tfidf_and_caches_nothing(
        arxiv: FakeArxiv, openai_fake: FakeOpenAI, tmp_path: Path) -> None:
    openai_fake.embeddings_fail = True
    orders = {}
    for name, overrides in (("tfidf", {}), ("failing", _openai(openai_fake))):
        async with await _core(arxiv, tmp_path / name, **overrides) as core:
            bot = ConsoleBot(core)
            first = [e.paper.id for e in (await _digest(bot)).entries]
            await bot.say(f"/like {first[-1]}", chat=GROUP)
            orders[name] = [e.paper.id for e in (await _digest(bot)).entries]
            assert await core.store.db.fetchall("SELECT * FROM paper_embeddings") == []
    assert orders["failing"] == orders["tfidf"]


async def test_prefs_says_which_embedding_model_joins_the_ranking(
        arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path) -> None:
    async with await _core(arxiv, tmp_path / "dense", **_gemini(gemini)) as core:
        bot = ConsoleBot(core)
        assert "Embeddings: text-embedding-004" in (await bot.say("/prefs", chat=GROUP)).text
        await bot.say("/like 2407.02165", chat=GROUP)
        assert "Embeddings: text-embedding-004" in (await bot.say("/prefs", chat=GROUP)).text
    async with await _core(arxiv, tmp_path / "plain") as core:
        assert "Embeddings" not in (await ConsoleBot(core).say("/prefs", chat=GROUP)).text
