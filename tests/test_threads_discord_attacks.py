"""Hostile use of the Discord threads: a member pressing buttons again and again."""

from __future__ import annotations

from datetime import date

from bot.core import Core
from bot.replies import Digest, DigestEntry
from tests.e2e_discord import TOPIC
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.discord import CHANNEL_ID, USER_ID, FakeDiscord
from tests.summarizer_support import make_pdf, papers
from tests.test_discord_adapter import fake  # noqa: F401 - the fake Discord fixture
from tests.test_threads_discord import CHANNEL, core, running  # noqa: F401 - the core on the fakes


async def test_pressing_full_summary_again_and_again_opens_one_thread_per_paper(
    core: Core, fake: FakeDiscord, arxiv: FakeArxiv,  # noqa: F811
) -> None:
    first, second = papers(2)
    arxiv.pdfs[second.id] = make_pdf(second, body_pages=1)
    entries = tuple([DigestEntry(p, await core.summarizer.summarize(p, "brief", "en")) for p in (first, second)])
    sent = Digest(topic=TOPIC, day=date(2026, 11, 20), language="en", entries=entries)
    async with running(core) as bot:
        await bot.send(CHANNEL, sent)
        [post] = fake.posts_to(CHANNEL_ID)
        for n, paper in enumerate((first, second, second, second, first)):
            pressed = await fake.press(post, f"/summarize {paper.id}", user_id=USER_ID + n)
            await fake.wait_until(lambda: bool(fake.seen(pressed.token)), timeout=40)  # noqa: B023
    assert len(fake.threads) == 2, "one thread per paper of the digest message, however often it is pressed"
