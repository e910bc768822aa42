"""How a full summary reads: project pages are not "Code", steps have one number, titles one translation."""

from __future__ import annotations

import dataclasses

from bot.links import code_links
from bot.render.document import is_translation
from bot.render.plain import render
from bot.replies import Summary
from bot.summary_schema import FullSummary, SummaryResult
from tests.fakes.gemini import valid_answer
from tests.summarizer_support import papers

EVA = papers(1)[0]


def _summary(language: str, **changes: object) -> Summary:
    data = valid_answer("full", language, f"Title: {EVA.title}", [])
    data.update(changes)
    result = SummaryResult(paper=EVA, kind="full", language=language, content=FullSummary.model_validate(data),
                           model="m", label="Summary by m")
    return Summary(result, language, tuple(code_links(EVA)))


def test_a_project_page_is_labelled_as_one_and_a_repository_as_code() -> None:
    paper = dataclasses.replace(EVA, comment="Project page: https://evahuman.github.io. Code: https://github.com/x/eva")
    links = tuple(code_links(paper))
    for language, code, page in (("en", "Code", "Project page"), ("zh", "代码", "项目主页")):
        reply = _summary(language)
        text = render(dataclasses.replace(reply, result=dataclasses.replace(reply.result, paper=paper),
                                          code_links=links))
        assert f"{code}: https://github.com/x/eva" in text
        assert f"{page}: https://evahuman.github.io" in text and f"{code}: https://evahuman.github.io" not in text


def test_method_steps_have_a_number_and_no_bullet() -> None:
    text = render(_summary("en"))
    steps = text.split("Method, step by step", 1)[1].splitlines()[1:5]
    assert [line.strip()[:3] for line in steps] == ["1. ", "2. ", "3. ", "4. "]
    assert "• 1." not in text


def test_the_translated_title_is_shown_only_when_it_is_one() -> None:
    shown = _summary("zh", title_translated="基于单目RGB视频的高表现力高斯人体化身")
    assert "标题: 基于单目RGB视频的高表现力高斯人体化身" in render(shown)
    for fake in ("PAV：基于非结构化视频集合的个性化头部化身",  # the prompt's example, echoed
                 EVA.title, EVA.title.upper() + ".",  # the original again
                 "Expressive avatars from monocular video"):  # not Chinese
        assert "标题:" not in render(_summary("zh", title_translated=fake)), fake
    assert "Title:" not in render(_summary("en", title_translated="Expressive Gaussian avatars from one RGB video"))
    assert render(_summary("zh")).count(EVA.title) == 1  # the original stays the heading


def test_translation_check_keeps_names_printed_in_the_title() -> None:
    assert is_translation("EVA: Expressive Avatars with SMPL-X", "EVA：基于SMPL-X的高表现力化身", "zh")
    assert not is_translation("EVA: Expressive Avatars", "XHand：实时高表现力手部化身", "zh")
