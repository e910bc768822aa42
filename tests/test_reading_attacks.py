"""Hostile input against the reading list: what a member's own name can make the bot post."""

from __future__ import annotations

import re
from dataclasses import replace

import bibtexparser
import pytest

from bot.core import Core
from bot.render.plain import render
from bot.replies import Replies
from tests.conftest import ConsoleBot
from tests.summarizer_support import papers
from tests.test_reading_list import GROUP

PAPER = papers(1)[0]


async def test_a_saver_s_display_name_brings_no_link_or_mention_into_the_list(bot: ConsoleBot, core: Core) -> None:
    name = "Free GPUs at scam.com/gpu @everyone t.me/evil_bot"
    await core.dispatcher.dispatch_line("/save 2407.02165", user_id="mallory", chat=GROUP, can_admin=False,
                                        user_name=name)
    await core.host.tap_save(GROUP, "trudy", "[click](https://evil.example)", "2407.21002")
    listed = (await bot.say("/reading", chat=GROUP)).text
    assert "Free GPUs" in listed and "click" in listed, listed  # the names are still there, as words
    assert "scam" not in listed and "evil" not in listed and "@everyone" not in listed


@pytest.mark.parametrize("title", ["Leaks $\\input{/etc/passwd}$", "Runs $\\immediate\\write18{rm -rf ~}$",
                                   "Hides $\\^^69nput{/etc/passwd}$", "Redefines $\\def\\alpha{x}\\alpha$"])
async def test_a_title_s_math_cannot_run_tex_primitives_in_the_reader_s_latex(
    bot: ConsoleBot, core: Core, title: str,
) -> None:
    await core.store.papers.upsert([replace(PAPER, title=title)])
    await bot.say(f"/save {PAPER.id}", chat=GROUP)
    reply = (await bot.say("/reading bibtex", chat=GROUP)).reply
    assert isinstance(reply, Replies)
    [entry] = bibtexparser.parse_string(render(reply.items[1])).entries
    shown = entry["title"]
    assert "$" not in shown.replace("\\$", ""), "math with a TeX primitive is shown as typed, not run"
    assert re.search(r"\\(input|write18|def|immediate)\b", shown) is None, shown


async def test_ordinary_title_math_is_still_kept_as_latex(bot: ConsoleBot, core: Core) -> None:
    title = "$k$-NN in $\\mathbb{R}^n$ with $\\ell_1$ loss: $\\mathcal{O}(n \\log n)$, $\\alpha \\times \\beta_{0}$"
    await core.store.papers.upsert([replace(PAPER, title=title)])
    await bot.say(f"/save {PAPER.id}", chat=GROUP)
    reply = (await bot.say("/reading bibtex", chat=GROUP)).reply
    assert isinstance(reply, Replies)
    [entry] = bibtexparser.parse_string(render(reply.items[1])).entries
    assert entry["title"] == title
