"""Telegram HTML rendering, checked by the fake's strict parser of Telegram's HTML.

A message Telegram cannot parse is lost, and so is one over 4096 characters. Titles
and abstracts contain ``<``, ``&`` and LaTeX, so every case here is sent through
the same parser and length rule that the fake Bot API applies.
"""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.telegram.render import MAX_TEXT, button_rows, render_messages, telegram_length
from bot.models import Paper, Topic
from bot.replies import Digest, DigestEntry, Error, Summary, Text
from bot.summary_schema import BriefSummary, Conclusion, FullSummary, SummaryResult
from tests.fakes.telegram import parse_html

TOPIC = Topic("virtual-humans", "元宇宙/虚拟人 · Virtual humans", ("cs.CV",), "avatar")
NASTY_TITLE = "Attention <is> all & you need: $\\mathcal{O}(n^2)$ *bold* _under_ `tick` </b> &amp; R&D"


def paper(i: int, title: str | None = None, abstract: str = "An abstract.") -> Paper:
    return Paper(id=f"2407.{21000 + i:05d}", version=1, title=title or f"Paper number {i}",
                 authors=tuple(f"Author {a} <{a}@lab>" for a in range(5)), abstract=abstract,
                 comment="CVPR 2025 & oral <8 pages>")


def brief(p: Paper, takeaway: str = "It works.", n: int = 4) -> SummaryResult:
    return SummaryResult(paper=p, kind="brief", language="en",
                         content=BriefSummary(one_line=f"One line for {p.title}", takeaways=[takeaway] * n),
                         model="extractive", label="extractive summary (no model configured)")


def digest(entries: list[DigestEntry]) -> Digest:
    return Digest(TOPIC, date(2024, 8, 5), "en", tuple(entries))


def plain_messages(reply: Text | Error | Digest | Summary) -> list[str]:
    """Render, then parse every message as Telegram would; fails on any invalid message."""
    out = []
    for message in render_messages(reply):
        plain = parse_html(message.html)
        assert len(plain.encode("utf-16-le")) // 2 <= MAX_TEXT
        out.append(plain)
    return out


def test_title_with_markup_characters_and_latex_shows_exactly_as_written() -> None:
    p = paper(1, NASTY_TITLE, abstract="uses <tags> & $x_i$")
    [text] = plain_messages(digest([DigestEntry(p, brief(p, "Beats <baseline> by 3% & more"), ("https://github.com/a/b?x=1&y=2",))]))
    assert NASTY_TITLE in text
    assert "Beats <baseline> by 3% & more" in text
    assert "Author 0 <0@lab>" in text
    assert "CVPR 2025 & oral <8 pages>" in text


def test_links_keep_query_strings_and_quotes_escaped_in_href() -> None:
    p = paper(2)
    [message] = render_messages(digest([DigestEntry(p, brief(p), ('https://github.com/a/"b"?x=1&y=2',))]))
    assert 'href="https://github.com/a/&quot;b&quot;?x=1&amp;y=2"' in message.html
    parse_html(message.html)


def test_long_digest_is_split_under_the_limit_without_breaking_tags() -> None:
    long_takeaway = "A long takeaway about avatars, <hands> & faces with $\\alpha$. " * 6
    entries = [DigestEntry(p, brief(p, long_takeaway, 6)) for p in (paper(i) for i in range(20))]
    plains = plain_messages(digest(entries))
    assert len(plains) > 3
    joined = "\n".join(plains)
    positions = [joined.index(f"Paper number {i}") for i in range(20)]
    assert positions == sorted(positions), "papers keep their order across messages"


def test_a_paper_and_its_takeaways_stay_in_one_message_when_they_fit() -> None:
    entries = [DigestEntry(p, brief(p, f"Point {i} " * 25, 5)) for i, p in enumerate(paper(i) for i in range(12))]
    plains = plain_messages(digest(entries))
    assert len(plains) > 1
    for i in range(12):
        [holder] = [text for text in plains if re.search(rf"^{i + 1}\. Paper number {i}$", text, re.M)]
        assert f"• Point {i} Point" in holder, f"paper {i} was separated from its takeaways"


def test_digest_buttons_offer_full_summaries_within_callback_limits() -> None:
    entries = [DigestEntry(p, brief(p)) for p in (paper(i) for i in range(3))]
    messages = render_messages(digest(entries))
    buttons = [b for m in messages for b in m.buttons]
    assert [b.command for b in buttons] == [
        c for i in range(3) for c in (f"/summarize 2407.{21000 + i:05d}", f"v:+:2407.{21000 + i:05d}",
                                      f"v:-:2407.{21000 + i:05d}", f"s:2407.{21000 + i:05d}")]
    assert buttons[0].label == "1. Full summary"
    assert [len(row) for row in button_rows(tuple(buttons))] == [4, 4, 4], "a paper's buttons share one row"
    assert all(len(b.command.encode()) <= 64 for b in buttons)


def test_astral_characters_count_twice_like_telegram_does() -> None:
    text = Text(("𝒳𝒴𝒵 " * 900 + "\n") * 3)
    messages = render_messages(text)
    assert len(messages) > 1
    assert all(telegram_length(m.html) <= MAX_TEXT for m in messages)
    for m in messages:
        parse_html(m.html)


def test_full_summary_folds_long_sections_into_expandable_quotes() -> None:
    p = paper(3, NASTY_TITLE)
    full = FullSummary(
        one_line="one line", takeaways=["a < b", "c & d"], title_translated="标题 <x>", keywords=["k&1"],
        affiliations=["Lab <A>"], background="Background " * 50, past_methods="Past & methods",
        proposed_method="Proposed <method>", task_and_performance="Task", method_steps=["step <1>", "step 2"],
        conclusion=Conclusion(significance="s", innovation="i", performance="p", workload="w"),
    )
    result = SummaryResult(paper=p, kind="full", language="en", content=full, model="m", label="Summary by m")
    messages = render_messages(Summary(result, "en", ("https://github.com/agnJason/XHand",)))
    html = "\n".join(m.html for m in messages)
    assert "<blockquote expandable>" in html
    plain = "\n".join(parse_html(m.html) for m in messages)
    assert NASTY_TITLE in plain and "Proposed <method>" in plain and "https://github.com/agnJason/XHand" in plain


def test_errors_are_one_friendly_line_with_a_warning_sign() -> None:
    [plain] = plain_messages(Error("Only admins of this chat can use /subscribe."))
    assert plain == "⚠️ Only admins of this chat can use /subscribe."


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=600).filter(lambda s: s.strip()))
def test_any_text_renders_to_valid_html_that_reads_back_unchanged(text: str) -> None:
    plains = plain_messages(Text(text))
    assert "\n".join(plains) == text
