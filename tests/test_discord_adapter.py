"""The real DiscordAdapter against the fake Discord, in the test's event loop.

Nothing in the adapter is patched: it reaches the fake only through
``Settings.discord_api_url``, exactly as in production with the real URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.adapters.discord.adapter import DiscordAdapter, sync_commands
from bot.adapters.discord.render import escape
from bot.config import ConfigError
from bot.core import Core
from bot.i18n import t
from bot.models import ChatRef
from bot.ports import ChatUnavailable
from bot.replies import Digest, Text
from bot.store.db import get_meta
from tests.conftest import NOW, today_listing
from tests.e2e_discord import (
    MARKDOWN_TITLE,
    TOPIC,
    brief,
    digest,
    discord_settings,
    full_summary,
    paper,
    running_discord,
)
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.clock import ManualClock
from tests.fakes.discord import (
    CHANNEL_ID,
    EPHEMERAL,
    MANAGER,
    MEMBER,
    THREAD_ID,
    USER_ID,
    FakeDiscord,
    limit_problems,
)

CHANNEL = ChatRef("discord", str(CHANNEL_ID), "group")


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def arxiv_fake() -> AsyncIterator[FakeArxiv]:
    server = FakeArxiv()
    server.day = today_listing()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def core(fake: FakeDiscord, arxiv_fake: FakeArxiv, tmp_path: Path) -> AsyncIterator[Core]:
    async with await Core.create(discord_settings(fake, arxiv_fake, tmp_path), ManualClock(NOW)) as c:
        yield c


@pytest.fixture
async def adapter(core: Core) -> AsyncIterator[DiscordAdapter]:
    async with running_discord(core) as bot:
        yield bot


# ---------------------------------------------------------------- sending


async def test_titles_with_markdown_characters_show_as_written(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    entry = digest(1, long=False, more=0).entries[0]
    odd = type(entry)(paper=paper(1, title=MARKDOWN_TITLE), summary=brief(1), code_links=())
    await adapter.send(CHANNEL, Digest(TOPIC, datetime(2024, 8, 1).date(), "en", (odd,)))
    await adapter.send(CHANNEL, Text("a *b* and @everyone"))

    embed_post, text_post = fake.posts_to(CHANNEL_ID)
    title = embed_post.embeds[0]["title"]
    assert title == "1. " + escape(MARKDOWN_TITLE)
    assert "\\*Stars\\*" in title and "\\_underscores\\_" in title and "\\`code\\`" in title
    assert "@\u200beveryone" in title
    assert text_post.content == "a \\*b\\* and @\u200beveryone"
    assert all(p.payload["allowed_mentions"] == {"parse": []} for p in (embed_post, text_post))


async def test_twenty_paper_digest_is_posted_within_every_limit(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    ids = await adapter.send(CHANNEL, digest(20, long=True))

    posts = fake.posts_to(CHANNEL_ID)
    assert len(ids) == len(posts) > 1
    assert all(limit_problems(p.payload) == [] for p in posts)
    titles = [e["title"] for p in posts for e in p.embeds]
    assert [t.split(".")[0] for t in titles] == [str(n) for n in range(1, 21)]
    assert all(len(p.embeds) <= 10 for p in posts)


async def test_rate_limited_send_is_retried_after_retry_after(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    route = rf"^/channels/{CHANNEL_ID}/messages$"
    fake.rate_limit("POST", route, retry_after=0.4)

    ids = await adapter.send(CHANNEL, Text("after the rate limit"))

    assert fake.early_retries == []  # the fake saw no retry inside the 429's window
    attempts = [r for r in fake.requests if r == ("POST", f"/channels/{CHANNEL_ID}/messages")]
    assert len(attempts) == 2
    assert [p.content for p in fake.posts_to(CHANNEL_ID)] == ["after the rate limit"]
    assert len(ids) == 1


@pytest.mark.parametrize(("status", "code"), [(403, 50013), (403, 50001), (404, 10003)])
async def test_unreachable_channel_raises_chat_unavailable(
    adapter: DiscordAdapter, fake: FakeDiscord, status: int, code: int,
) -> None:
    if status == 404:
        fake.delete_channel(CHANNEL_ID)
    else:
        fake.forbid_channel(CHANNEL_ID, code)

    with pytest.raises(ChatUnavailable) as caught:
        await adapter.send(CHANNEL, Text("hello"))

    assert str(code) in caught.value.reason
    assert fake.posts_to(CHANNEL_ID) == []


async def test_personal_digest_opens_a_direct_message_channel(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    await adapter.send(ChatRef("discord", f"user:{USER_ID}", "private"), Text("your digest"))
    await adapter.send(ChatRef("discord", f"user:{USER_ID}", "private"), Text("again"))

    dm = fake.dm_channels[str(USER_ID)]
    assert [p.content for p in fake.posts_to(dm)] == ["your digest", "again"]
    assert [r for r in fake.requests if r[1] == "/users/@me/channels"] == [("POST", "/users/@me/channels")]


async def test_chat_in_a_thread_posts_into_the_thread(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    await adapter.send(ChatRef("discord", str(CHANNEL_ID), "group", str(THREAD_ID)), Text("in thread"))
    assert [p.content for p in fake.posts_to(THREAD_ID)] == ["in thread"]


# ---------------------------------------------------------------- slash commands


async def test_slash_commands_are_generated_from_declared_commands(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core,
) -> None:
    synced = {c["name"]: c for c in fake.synced_commands}
    assert sorted(synced) == [spec.name for spec in core.dispatcher.specs()]
    assert all(1 <= len(c["description"]) <= 100 for c in synced.values())
    subscribe = synced["subscribe"]
    assert str(subscribe["default_member_permissions"]) == "16"  # Manage Channels
    topic = next(o for o in subscribe["options"] if o["name"] == "topic")
    assert topic["required"] is True and topic["autocomplete"] is True and topic["type"] == 3
    action = next(o for o in synced["filter"]["options"] if o["name"] == "action")
    assert [c["value"] for c in action["choices"]] == ["add", "remove", "mute", "list"]
    assert synced["help"].get("default_member_permissions") is None
    spec = core.dispatcher.spec("subscribe")
    assert spec is not None
    assert subscribe["description_localizations"]["zh-CN"] == t("zh", spec.help_key)
    assert subscribe["description_localizations"]["en-US"] == t("en", spec.help_key)


async def test_unchanged_commands_are_not_synced_again(core: Core, fake: FakeDiscord) -> None:
    for _ in range(2):
        bot = DiscordAdapter(core.settings, ready_timeout=10)
        await bot.start(core.host)
        await bot.stop()
    assert fake.sync_count == 1


async def test_fast_command_is_answered_directly(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    interaction = await fake.slash("help")
    await fake.wait_until(lambda: fake.replies(interaction.token))
    assert fake.callback_types(interaction.token) == [4]
    assert "/summarize" in fake.replies(interaction.token)[0].content


async def test_admin_command_needs_manage_channels_in_a_server(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core,
) -> None:
    refused = await fake.slash("subscribe", {"topic": "virtual-humans"}, permissions=MEMBER)
    await fake.wait_until(lambda: fake.replies(refused.token))
    reply = fake.replies(refused.token)[0]
    assert reply.payload["flags"] & EPHEMERAL
    assert reply.content == "Only admins of this chat can use /subscribe."
    assert await core.store.subscriptions.count() == 0

    allowed = await fake.slash("subscribe", {"topic": "virtual-humans"}, permissions=MANAGER)
    await fake.wait_until(lambda: fake.replies(allowed.token))
    assert "Subscribed" in fake.replies(allowed.token)[0].content
    assert [s.topic for s in await core.store.subscriptions.for_chat(CHANNEL)] == ["virtual-humans"]


async def test_direct_messages_need_no_permission_and_threads_keep_their_id(
    adapter: DiscordAdapter, fake: FakeDiscord, core: Core,
) -> None:
    in_dm = await fake.slash("subscribe", {"topic": "virtual-humans"}, guild_id=None, permissions=0)
    in_thread = await fake.slash("subscribe", {"topic": "virtual-humans", "time": "09:30"}, thread=True,
                                 permissions=MANAGER)
    await fake.wait_until(lambda: fake.replies(in_dm.token) and fake.replies(in_thread.token))

    subs = {s.chat.chat_id: s for s in await core.store.subscriptions.all()}
    dm = fake.dm_channels[str(USER_ID)]
    assert subs[dm].chat.kind == "private"
    assert subs[str(CHANNEL_ID)].chat.thread_id == str(THREAD_ID)
    assert subs[str(CHANNEL_ID)].at_time.strftime("%H:%M") == "09:30"


async def test_topic_option_autocompletes_topic_names(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    interaction = await fake.slash("subscribe", {"topic": "virtual"}, focused="topic")
    await fake.wait_until(lambda: fake.callback_types(interaction.token))
    answer = next(c for c in fake.callbacks if c.token == interaction.token).payload
    assert answer["type"] == 8
    assert "virtual-humans" in [c["value"] for c in answer["data"]["choices"]]


async def test_failure_while_replying_becomes_one_friendly_ephemeral_line(
    adapter: DiscordAdapter, fake: FakeDiscord,
) -> None:
    fake.fail("POST", r"/callback$", 400, code=50035)  # the first answer is refused once
    interaction = await fake.slash("help")
    await fake.wait_until(lambda: fake.replies(interaction.token))
    reply = fake.replies(interaction.token)[0]
    assert reply.payload["flags"] & EPHEMERAL
    assert reply.content.startswith("Sorry, something went wrong")
    assert "Traceback" not in reply.text


async def test_summary_figures_are_uploaded_as_png_attachments(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    await adapter.send(CHANNEL, full_summary(long=True))

    posts = fake.posts_to(CHANNEL_ID)
    assert posts[0].files == [("figure-1.png", b"\x89PNG\r\n\x1a\nfake")]
    assert all(limit_problems(p.payload) == [] for p in posts)
    fields = [f["name"] for p in posts for e in p.embeds for f in e.get("fields", [])]
    assert fields[:2] == ["Key takeaways", "Background"]


async def test_discord_sync_publishes_commands_and_start_then_skips_them(core: Core, fake: FakeDiscord) -> None:
    count = await sync_commands(core.host, core.settings)
    assert count == len(core.dispatcher.specs()) == len(fake.synced_commands)
    assert await get_meta(core.store.db, "discord_commands_hash")

    bot = DiscordAdapter(core.settings, ready_timeout=10)
    await bot.start(core.host)
    await bot.stop()
    assert fake.sync_count == 1


async def test_rejected_token_is_a_configuration_error(
    fake: FakeDiscord, arxiv_fake: FakeArxiv, tmp_path: Path,
) -> None:
    settings = discord_settings(fake, arxiv_fake, tmp_path).model_copy(
        update={"discord_bot_token": SecretStr("wrong-token")})
    async with await Core.create(settings, ManualClock(NOW)) as c:
        with pytest.raises(ConfigError, match="DISCORD_BOT_TOKEN"):
            await DiscordAdapter(settings).start(c.host)
    assert fake.identified == []


async def test_an_error_after_thinking_replaces_the_thinking_message(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    interaction = await fake.slash("summarize", {"paper": "https://evil.example/abs/2407.21002"})
    await fake.wait_until(lambda: bool(fake.seen(interaction.token)))
    assert fake.callback_types(interaction.token) == [5]  # deferred: "thinking…" within 3 s
    (shown,) = fake.seen(interaction.token)
    assert "arxiv" in shown.lower()
    assert [p.kind for p in fake.followups if p.token == interaction.token] == ["edit"]  # nothing deleted


async def test_losing_access_tells_the_subscriber_once_by_dm(
    adapter: DiscordAdapter, core: Core, fake: FakeDiscord,
) -> None:
    core.adapters[adapter.name] = adapter
    interaction = await fake.slash("subscribe", {"topic": "virtual-humans"}, permissions=MANAGER)
    await fake.wait_until(lambda: bool(fake.seen(interaction.token)))
    [sub] = await core.store.subscriptions.for_chat(CHANNEL)
    assert sub.created_by == f"discord:{USER_ID}"
    fake.forbid_channel(CHANNEL_ID, 50001)  # the bot lost access to the channel

    delivery = core.delivery
    assert await delivery.deliver_subscription(sub, NOW) == "unavailable"
    await delivery.notify_failure(CHANNEL, "arXiv down")  # a second failure in the same chat

    [notice] = fake.posts_to(fake.dm_channels[str(USER_ID)])
    assert "virtual-humans" in notice.content and "paused" in notice.content
    assert "50001" in notice.content


async def test_topic_options_are_typed_freely_with_suggestions_not_a_fixed_list(
    adapter: DiscordAdapter, fake: FakeDiscord,
) -> None:
    synced = {c["name"]: c for c in fake.synced_commands}
    for command, option in (("digest", "topic"), ("subscribe", "topic"), ("unsubscribe", "topic")):
        declared = next(o for o in synced[command]["options"] if o["name"] == option)
        assert declared.get("autocomplete") is True and not declared.get("choices"), (command, declared)
    page = next(o for o in synced["digest"]["options"] if o["name"] == "page")
    assert page["type"] == 4  # INTEGER: Discord checks the number itself
