"""Discord rendering without a network: escaping, cutting and packing embeds within every limit."""

from __future__ import annotations

import discord

from bot.adapters.discord.render import (
    MAX_CONTENT,
    embed_problems,
    escape,
    fit,
    fit_embeds,
    render,
    render_digest,
    render_summary,
)
from bot.replies import Error, Replies, Text
from tests.e2e_discord import MARKDOWN_TITLE, digest, full_summary
from tests.fakes.discord import limit_problems


def _wire(messages: list) -> list[dict]:
    return [{"content": m.content, "embeds": [e.to_dict() for e in m.embeds]} for m in messages]


def test_markdown_characters_are_escaped_but_urls_are_not() -> None:
    text = escape(MARKDOWN_TITLE + " https://github.com/a_b/c_d*e")
    assert "\\*Stars\\*" in text
    assert "\\_underscores\\_" in text
    assert "\\`code\\`" in text
    assert "\\~\\~struck\\~\\~" in text
    assert "\\|\\|spoiler\\|\\|" in text
    assert "@\u200beveryone" in text
    assert text.endswith("https://github.com/a_b/c_d*e")


def test_fit_never_exceeds_the_limit_after_escaping() -> None:
    raw = "*_" * 500
    for limit in (1, 2, 10, 256, 1000):
        cut = fit(raw, limit)
        assert len(cut) <= limit
        # the cut happens in the plain text, so what is left is a whole escaped prefix
        assert any(cut.removesuffix("…") == escape(raw[:k]) for k in range(len(raw) + 1))


def test_long_text_is_split_into_messages_of_at_most_2000_characters() -> None:
    text = "\n".join(f"line {i}: " + "*word* " * 30 for i in range(200))
    messages = render(Text(text))
    assert len(messages) > 1
    assert all(len(m.content or "") <= MAX_CONTENT for m in messages)


def test_errors_are_ephemeral_and_text_is_not() -> None:
    out = render(Replies((Text("done"), Error("nope"))))
    assert [m.ephemeral for m in out] == [False, True]


def test_twenty_long_papers_pack_into_messages_within_every_limit() -> None:
    messages = render_digest(digest(20, long=True))
    wire = _wire(messages)
    assert all(limit_problems(payload) == [] for payload in wire)
    embeds = [e for m in messages for e in m.embeds]
    assert len(embeds) == 20  # one per paper, none lost
    assert all(embed_problems(e) == [] for e in embeds)
    assert [e.title.split(".")[0] for e in embeds] == [str(n) for n in range(1, 21)]
    assert messages[0].content and "Virtual humans" in messages[0].content
    assert "3 more" in (messages[-1].content or "")


def test_short_papers_share_messages_five_to_a_message_one_button_row_each() -> None:
    messages = render_digest(digest(20, long=False, more=0))
    assert [len(m.embeds) for m in messages] == [5, 5, 5, 5]  # a row of Full summary, 👍, 👎, 🔖 each


def test_long_summary_sections_become_several_fields_and_embeds() -> None:
    messages = render_summary(full_summary(long=True))
    wire = _wire(messages)
    assert all(limit_problems(payload) == [] for payload in wire)
    fields = [f for m in messages for e in m.embeds for f in e.fields]
    names = [f.name for f in fields]
    assert "Background" in names and "Background (2)" in names
    assert all(len(f.value) <= 1024 for f in fields)
    assert messages[0].files and messages[0].files[0][0] == "figure-1.png"
    first = messages[0].embeds[0]
    assert first.url == "https://arxiv.org/abs/2407.21002"
    assert "https://github.com/agnJason/XHand" in (first.description or "")


def test_fit_embeds_respects_ten_embeds_and_six_thousand_characters() -> None:
    embeds = [discord.Embed(description="x" * 1000) for _ in range(25)]
    groups = fit_embeds(embeds)
    assert [len(g) for g in groups] == [6, 6, 6, 6, 1]
    small = [discord.Embed(description="x") for _ in range(25)]
    assert [len(g) for g in fit_embeds(small)] == [10, 10, 5]


def test_masked_links_and_role_mentions_in_arxiv_text_show_as_written() -> None:
    from bot.adapters.discord.render import escape

    hostile = "Project page: [arxiv.org/abs/2408.10001](https://evil.example/phish) <@&123456>"
    shown = escape(hostile)
    assert "\\[arxiv.org/abs/2408.10001\\]" in shown and "\\<@&123456>" in shown
