"""Every command, end to end through the console adapter, against the fake arXiv."""

from __future__ import annotations

import pytest

from bot.models import ChatRef, Paper
from bot.replies import Digest, Error, Summary, Text
from tests.conftest import REFERENCE_IDS, ConsoleBot
from tests.fakes.arxiv import FakeArxiv

GROUP = ChatRef("console", "lab-group", "group")


async def test_help_lists_every_command_with_usage(bot: ConsoleBot) -> None:
    said = await bot.say("/help")
    for name in ("help", "topics", "subscribe", "unsubscribe", "subscriptions", "digest", "summarize", "lang",
                 "filter", "mydigest", "settings", "topic"):
        assert f"/{name}" in said.text


async def test_unknown_command_gets_a_friendly_reply(bot: ConsoleBot) -> None:
    said = await bot.say("/frobnicate now")
    assert isinstance(said.reply, Error)
    assert "/help" in said.text


async def test_topics_lists_presets(bot: ConsoleBot) -> None:
    said = await bot.say("/topics")
    for name in ("virtual-humans", "llm", "diffusion", "3d-vision", "robotics"):
        assert name in said.text


async def test_digest_shows_reference_papers_with_facts_and_code_link(bot: ConsoleBot) -> None:
    said = await bot.say("/digest virtual-humans all")
    assert isinstance(said.reply, Digest)
    ids = {e.paper.id for e in said.reply.entries}
    assert set(REFERENCE_IDS) <= ids
    assert "Expressive Gaussian Human Avatars from Monocular RGB Video" in said.text
    assert "https://arxiv.org/abs/2407.21002" in said.text
    assert "https://github.com/agnJason/XHand" in said.text
    assert "Accepted to ECCV24" in said.text  # arXiv comment, from metadata
    assert "extractive summary" in said.text  # honest label


async def test_digest_lists_no_replacement_and_no_paper_twice(bot: ConsoleBot, arxiv: FakeArxiv) -> None:
    arxiv.announce(arxiv.day, [("2407.03204", "new"), ("2407.03204", "cross"), ("2407.21002", "replace"),
                               ("2407.02165", "new")])
    said = await bot.say("/digest virtual-humans")
    assert isinstance(said.reply, Digest)
    ids = [e.paper.id for e in said.reply.entries]
    assert ids.count("2407.03204") == 1
    assert "2407.21002" not in ids


async def test_weekend_digest_says_no_papers_were_announced(bot: ConsoleBot, arxiv: FakeArxiv) -> None:
    arxiv.weekend = True
    said = await bot.say("/digest virtual-humans")
    assert isinstance(said.reply, Digest) and said.reply.no_announcement
    assert "No new papers announced today" in said.text


async def test_digest_respects_the_chat_maximum_and_says_how_many_more(bot: ConsoleBot) -> None:
    await bot.say("/settings max 2")
    said = await bot.say("/digest virtual-humans")
    assert isinstance(said.reply, Digest)
    assert len(said.reply.entries) == 2 and said.reply.more >= 3
    assert "/digest virtual-humans all" in said.text


async def test_second_digest_of_the_day_reuses_the_stored_fetch(bot: ConsoleBot, arxiv: FakeArxiv) -> None:
    await bot.say("/digest virtual-humans")
    rss_before = len([r for r in arxiv.requests if r.path.startswith("/rss")])
    await bot.say("/digest 3d-vision")
    await bot.say("/digest virtual-humans")
    assert len([r for r in arxiv.requests if r.path.startswith("/rss")]) == rss_before == 1


async def test_summarize_gives_facts_from_arxiv_and_a_labelled_fallback(bot: ConsoleBot) -> None:
    said = await bot.say("/summarize https://arxiv.org/abs/2407.21002v1")
    assert isinstance(said.reply, Summary)
    paper = said.reply.result.paper
    assert paper.id == "2407.21002"
    assert "https://github.com/agnJason/XHand" in said.text
    assert all(author in said.text for author in paper.authors[:3])
    assert "extractive summary" in said.text


async def test_summarize_unknown_id_is_a_friendly_error(bot: ConsoleBot) -> None:
    said = await bot.say("/summarize 2407.99998")
    assert isinstance(said.reply, Error)
    assert "2407.99998" in said.text


async def test_summarize_refuses_non_arxiv_urls_without_fetching(bot: ConsoleBot, arxiv: FakeArxiv) -> None:
    before = len(arxiv.requests)
    for hostile in ("https://evil.example/abs/2407.03204", "<b>2407.03204</b>", "x" * 10_000,
                    "https://arxiv.org.evil.example/abs/2407.03204"):
        said = await bot.say(f"/summarize {hostile}")
        assert isinstance(said.reply, Error), hostile[:50]
        assert "Traceback" not in said.text
    assert len(arxiv.requests) == before


async def test_huge_message_is_refused_politely(bot: ConsoleBot) -> None:
    said = await bot.say("/subscribe " + "a" * 10_000)
    assert isinstance(said.reply, Error)
    assert "too long" in said.text
    assert await bot.core.store.subscriptions.count() == 0


async def test_subscribe_then_list_and_unsubscribe(bot: ConsoleBot) -> None:
    said = await bot.say("/subscribe virtual-humans 07:30 Asia/Shanghai", chat=GROUP)
    assert isinstance(said.reply, Text) and "07:30" in said.text
    listed = await bot.say("/subscriptions", chat=GROUP)
    assert "virtual-humans" in listed.text and "Asia/Shanghai" in listed.text
    gone = await bot.say("/unsubscribe all", chat=GROUP)
    assert "1" in gone.text
    assert await bot.core.store.subscriptions.count() == 0


async def test_non_admin_cannot_subscribe_a_group(bot: ConsoleBot) -> None:
    said = await bot.say("/subscribe llm", chat=GROUP, admin=False)
    assert isinstance(said.reply, Error) and "admins" in said.text
    assert await bot.core.store.subscriptions.count() == 0


async def test_bad_subscribe_arguments_change_nothing(bot: ConsoleBot) -> None:
    for line in ("/subscribe llm 25:00", "/subscribe llm 08:00 Mars/Olympus", "/subscribe no-such-topic",
                 "/subscribe", "/subscribe llm 8h"):
        said = await bot.say(line, chat=GROUP)
        assert isinstance(said.reply, Error), line
        assert "Usage" in said.text or "Unknown" in said.text or "not" in said.text
    assert await bot.core.store.subscriptions.count() == 0


async def test_lang_switches_the_chat_to_chinese(bot: ConsoleBot) -> None:
    await bot.say("/lang zh")
    said = await bot.say("/digest virtual-humans")
    assert "更新" in said.text  # "2024-07-05 更新"-style header


async def test_chat_can_define_its_own_topic_and_gets_a_pointed_error(bot: ConsoleBot) -> None:
    bad = await bot.say('/topic add my-heads cs.CV "talking head" AND (avatar')
    assert isinstance(bad.reply, Error) and "position" in bad.text
    good = await bot.say('/topic add my-heads cs.CV,cs.GR "talking head" OR avatar')
    assert isinstance(good.reply, Text)
    said = await bot.say("/digest my-heads all")
    assert isinstance(said.reply, Digest) and said.reply.entries


async def test_html_and_markdown_in_titles_are_kept_as_text(bot: ConsoleBot, arxiv: FakeArxiv) -> None:
    arxiv.add(Paper(id="2407.99999", version=1, title="<b>Bold</b> & *stars* _under_ `code` $\\alpha$ avatars",
                    authors=("A. <script>",), abstract="We build avatar models. Code at https://github.com/x/y.",
                    categories=("cs.CV",), primary_category="cs.CV"))
    said = await bot.say("/digest virtual-humans all")
    assert "<b>Bold</b> & *stars* _under_ `code` $\\alpha$ avatars" in said.text


async def test_filters_and_personal_digest_commands(bot: ConsoleBot) -> None:
    assert isinstance((await bot.say('/filter add "talking head" OR avatar')).reply, Text)
    assert isinstance((await bot.say("/filter mute survey")).reply, Text)
    assert isinstance((await bot.say("/filter add " + "x" * 10_000)).reply, Error)
    assert isinstance((await bot.say("/filter add (avatar")).reply, Error)
    listed = await bot.say("/filter list")
    assert "talking head" in listed.text and "survey" in listed.text
    on = await bot.say("/mydigest on 09:15 Europe/Berlin")
    assert isinstance(on.reply, Text) and "09:15" in on.text
    bad = await bot.say("/mydigest on 9am")
    assert isinstance(bad.reply, Error)
    digest = await bot.core.store.filters.get_digest("console", "alice")
    assert digest is not None and digest.at_time.hour == 9 and digest.timezone == "Europe/Berlin"


async def test_odd_digits_and_non_listing_dates_get_clear_answers(bot: ConsoleBot) -> None:
    said = await bot.say("/settings max ²")
    assert isinstance(said.reply, Error) and "1 to 100" in said.text
    saturday = await bot.say("/digest virtual-humans 2024-07-06")
    assert isinstance(saturday.reply, Digest) and saturday.reply.no_announcement


async def test_subscribe_confirmation_names_the_topic_as_the_other_commands_do(bot: ConsoleBot) -> None:
    said = await bot.say("/subscribe virtual-humans 07:30 Asia/Shanghai", chat=GROUP)
    assert said.text.startswith("Subscribed to virtual-humans (元宇宙/虚拟人 · Virtual humans): "), said.text


@pytest.mark.parametrize("line", ["/summarize 2407.12345", "/digest virtual-humans"])
async def test_arxiv_down_says_try_again_later_once(bot: ConsoleBot, arxiv: FakeArxiv, line: str) -> None:
    arxiv.faults.extend(["500"] * 50)
    said = await bot.say(line)
    assert isinstance(said.reply, Error)
    assert said.text.lower().count("try again later") == 1, said.text
    assert "arXiv is not answering right now" in said.text


@pytest.mark.parametrize("line", ["/digest virtual-humans all", "/digest all virtual-humans",
                                  "/digest 2026-11-20 virtual-humans", "/digest virtual-humans 2026-11-20 all"])
async def test_digest_options_come_in_any_order(bot: ConsoleBot, line: str) -> None:
    said = await bot.say(line)
    assert isinstance(said.reply, Digest) and said.reply.topic.name == "virtual-humans", said.text


@pytest.mark.parametrize(("line", "blamed"), [
    ("/digest nosuch", "Unknown topic 'nosuch'"),
    ("/subscribe virtual-humans 25:00", "'25:00' is not a valid time"),
    ("/settings bogus 1", "'bogus' is not one of"),
])
async def test_a_refused_word_is_blamed_on_the_parameter_it_was_meant_for(bot: ConsoleBot, line: str,
                                                                           blamed: str) -> None:
    said = await bot.say(line)
    assert isinstance(said.reply, Error) and blamed in said.text, said.text


async def test_a_missing_parameter_is_named_in_the_chats_language(bot: ConsoleBot) -> None:
    await bot.say("/lang zh")
    said = await bot.say("/subscribe")
    assert isinstance(said.reply, Error) and "缺少参数：主题名" in said.text
