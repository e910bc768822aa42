"""Validation catches what the reference digests let through, and passes what they did well."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.summarizer.validate import check, degenerate_problems, tokens, validate, verified_affiliations
from bot.summary_schema import FullSummary
from tests.fakes.gemini import WILDAVATAR_RAMBLING, valid_answer
from tests.summarizer_support import papers

EVA, WILDAVATAR = papers(2)

# The good parts of the reference EVA summary (digest-2024-07-05.md), lightly trimmed.
EVA_REFERENCE = {
    "one_line": "数字人类表现力通过精细的手部和面部表情表达对增强虚拟人类的真实感和活力至关重要。",
    "takeaways": [
        "研究侧重于从单目RGB视频学习人类化身的表现力。",
        "引入了基于3D高斯和SMPL-X的EVA驱动人类模型。",
        "对齐SMPL-X模型与RGB帧对有效学习人类化身至关重要。",
        "提出了上下文感知的自适应密度控制策略。",
        "开发了预测每像素置信度的反馈机制。",
    ],
    "title_translated": "基于单目RGB视频的高表现力高斯人类角色模型",
    "keywords": ["高斯人类角色模型", "单目RGB视频", "SMPL-X模型"],
    "affiliations": ["The University of Texas at Austin"],
    "background": "本文关注从单目RGB视频中学习人类角色模型的表现力。细微且复杂的动作，如手和脸部的表情，"
                  "对于增强数字角色的真实感和活力至关重要。",
    "past_methods": "现有的方法在捕捉和动画化精细细节方面存在挑战，特别是在对齐SMPL-X模型和RGB帧时面临局限性。",
    "proposed_method": "本文引入EVA，一个基于3D高斯和SMPL-X参数化人类模型的驱动型人类角色模型，"
                       "并提出上下文感知的自适应密度控制策略与像素级置信度反馈机制。",
    "task_and_performance": "本文的方法在基准测试上取得了显著的优势，特别是在精细的手部和面部细节上。",
    "method_steps": ["用即插即用模块改善SMPL-X与RGB帧的对齐。", "以3D高斯表示人体并绑定到SMPL-X。",
                     "按身体部位自适应调整梯度阈值。", "预测像素级置信度以指导3D高斯的学习。"],
    "conclusion": {
        "significance": "有助于增强数字角色的真实感和活力，为娱乐、游戏、电影等行业提供新的技术手段。",
        "innovation": "结合3D高斯和SMPL-X参数化模型，引入对齐模块和自适应密度控制策略。",
        "performance": "在精细的手部和面部细节上定量和定性均优于现有方法。",
        "workload": "论文未说明训练所需的算力。",
    },
}
FIRST_PAGE = f"{EVA.title}\n{', '.join(EVA.authors)}\nThe University of Texas at Austin\nAbstract\n{EVA.abstract}"


def full(**changes: object) -> str:
    data = json.loads(json.dumps(EVA_REFERENCE, ensure_ascii=False))
    data.update(changes)
    return json.dumps(data, ensure_ascii=False)


def test_the_good_parts_of_the_reference_digest_pass() -> None:
    verdict = validate(full(), kind="full", language="zh", paper=EVA, first_page=FIRST_PAGE)
    assert verdict.problems == []
    assert verdict.ok and verdict.summary.affiliations == ["The University of Texas at Austin"]


def test_the_real_wildavatar_rambling_is_flagged_as_degenerate() -> None:
    problems = degenerate_problems(WILDAVATAR_RAMBLING, "zh")
    assert any("no punctuation" in p for p in problems)
    assert any("far beyond" in p for p in problems)
    verdict = validate(full(proposed_method=WILDAVATAR_RAMBLING), kind="full", language="zh", paper=WILDAVATAR)
    assert not verdict.ok
    joined = " | ".join(verdict.problems)
    assert "proposed_method: 2983 characters, the limit is 600" in joined
    assert "talks to the reader" in joined and "placeholder" in joined


def test_rambling_cut_to_fit_the_length_cap_is_still_rejected() -> None:
    for start in range(0, len(WILDAVATAR_RAMBLING) - 500, 250):
        excerpt = WILDAVATAR_RAMBLING[start : start + 500]
        verdict = validate(full(background=excerpt), kind="full", language="zh", paper=WILDAVATAR)
        assert any(p.startswith("background:") for p in verdict.problems), excerpt[:40]


def test_loops_and_tiny_vocabularies_are_degenerate() -> None:
    assert degenerate_problems("我们提出了一种新的方法。" * 15, "zh")
    assert degenerate_problems("the model the model the model " * 20, "en")
    assert degenerate_problems(" ".join(["avatar"] * 80), "en")


def test_cjk_is_tokenised_per_character() -> None:
    assert tokens("基于3D高斯的EVA模型") == ["基", "于", "3", "d", "高", "斯", "的", "eva", "模", "型"]


def test_placeholders_from_the_reference_digests_are_rejected() -> None:
    for bad in ("论文链接（待补充）", "GitHub：暂无", "未知", "TBD", "N/A", "Code: to be added.", "见 [...]"):
        verdict = validate(full(task_and_performance=bad), kind="full", language="zh", paper=EVA)
        assert any("placeholder" in p for p in verdict.problems), bad


def test_honest_statements_are_not_placeholders() -> None:
    verdict = validate(full(), kind="full", language="zh", paper=EVA)
    assert "论文未说明" in verdict.summary.conclusion.workload and verdict.ok


def test_wrong_language_is_rejected_both_ways() -> None:
    english = json.dumps(valid_answer("brief", "en", "", []))
    chinese = json.dumps(valid_answer("brief", "zh", "", []), ensure_ascii=False)
    assert "Simplified Chinese" in " ".join(validate(english, kind="brief", language="zh", paper=EVA).problems)
    assert "must be written in English" in " ".join(validate(chinese, kind="brief", language="en", paper=EVA).problems)
    assert validate(english, kind="brief", language="en", paper=EVA).ok
    assert validate(chinese, kind="brief", language="zh", paper=EVA).ok


def test_length_and_count_limits() -> None:
    verdict = validate(full(one_line="很" * 101, takeaways=["只有一条。"]), kind="full", language="zh", paper=EVA)
    assert "one_line: 101 characters, the limit is 100" in verdict.problems
    assert "takeaways: 1 items; give at least 3" in verdict.problems
    trimmed = validate(full(keywords=[f"词{i}" for i in range(12)]), kind="full", language="zh", paper=EVA)
    assert trimmed.ok and len(trimmed.summary.keywords) == 8


def test_affiliations_are_dropped_without_a_pdf_and_checked_against_page_one() -> None:
    assert validate(full(), kind="full", language="zh", paper=EVA).summary.affiliations == []
    page = "EVA\nHezhen Hu\nThe University of Texas at Austin\nAbstract"
    assert verified_affiliations(["University of Texas at Austin", "Tsinghua University"], page) == [
        "University of Texas at Austin"]


def test_claims_about_authors_and_any_links_are_rejected() -> None:
    claims = full(takeaways=EVA_REFERENCE["takeaways"][:3] + ["作者为Johnny Bogus，来自霍格沃茨大学。"])
    assert any("authors" in p for p in validate(claims, kind="full", language="zh", paper=EVA).problems)
    link = full(background="项目主页见 https://example.com/eva ，代码即将开源。")
    assert any("link" in p for p in validate(link, kind="full", language="zh", paper=EVA).problems)
    # Even the paper's real project page: the bot shows it from arXiv's metadata, never from model prose.
    real = full(background="项目主页为 https://evahuman.github.io ，提供演示视频。")
    assert any("link" in p for p in validate(real, kind="full", language="zh", paper=EVA).problems)


def test_empty_not_json_and_schema_breaks_name_the_problem() -> None:
    assert validate("", kind="brief", language="en", paper=EVA).problems == ["the response was empty"]
    assert "not valid JSON" in validate("Sure! {", kind="brief", language="en", paper=EVA).problems[0]
    broken = validate('{"one_line": 4}', kind="brief", language="en", paper=EVA).problems
    assert "takeaways: required field is missing" in broken and any(p.startswith("one_line:") for p in broken)


def test_code_fences_and_bullets_are_cleaned_silently() -> None:
    data = valid_answer("brief", "en", "", [])
    data["takeaways"] = [f"- **{t}**" for t in data["takeaways"]]
    verdict = validate(f"```json\n{json.dumps(data)}\n```", kind="brief", language="en", paper=EVA)
    assert verdict.ok and not verdict.summary.takeaways[0].startswith(("-", "*"))


def test_check_accepts_a_parsed_summary() -> None:
    summary = FullSummary.model_validate(EVA_REFERENCE)
    assert check(summary, language="zh", paper=EVA, first_page=FIRST_PAGE) == []


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_validation_never_raises_on_arbitrary_output(text: str) -> None:
    for kind in ("brief", "full"):
        verdict = validate(text, kind=kind, language="zh", paper=EVA)
        assert verdict.ok or verdict.problems


# XHand's first page as pdfium extracts it: superscript affiliation marks run into the names.
XHAND_PAGE = (
    "XHand: Real-time Expressive Hand Avatar\nQijun Gan1, Zijie Zhou1, Jianke Zhu1,2*\n"
    "1Zhejiang University 2Shanghai AI Laboratory\nAbstract\nHand avatars play a pivotal role in a wide array "
    "of digital interfaces. This work was submitted for review; we discuss its limitations in Section 5."
)


def test_affiliations_must_appear_as_whole_words_in_order_on_page_one() -> None:
    invented = ["Shanghai University", "MIT", "Meta AI", "Zhejiang Laboratory", "Hand University"]
    kept = verified_affiliations(["Zhejiang University", "Shanghai AI Laboratory", *invented], XHAND_PAGE)
    assert kept == ["Zhejiang University", "Shanghai AI Laboratory"]


def test_affiliations_with_a_department_part_are_kept_only_when_the_institution_is_printed() -> None:
    page = "1Department of Computer Science, 2Stanford University\n³浙江大学  ⁴上海人工智能实验室"
    assert verified_affiliations(["Department of Computer Science, Stanford University", "浙江大学"], page) == [
        "Department of Computer Science, Stanford University", "浙江大学"]
    assert verified_affiliations(["Department of Computer Science, Stanford Research", "浙江实验室",
                                  "Stanford University, 上海人工智能实验室"], page) == []


def test_the_authors_doing_something_is_not_an_author_statement() -> None:
    for sentence in ("作者为解决单目视频中对齐误差大的问题，提出了EVA。",
                     "作者为每个输入视频学习一个可驱动的化身模型。",
                     "作者为相关领域的研究者提供了一个宝贵的资源平台。"):
        verdict = validate(full(background=sentence), kind="full", language="zh", paper=EVA)
        assert verdict.problems == [], sentence


def test_written_by_placeholder_tokens_and_undetermined_coefficients_are_accepted() -> None:
    en = valid_answer("full", "en", "", [])
    en["background"] = "Detecting text written by large language models matters for peer review."
    en["proposed_method"] = "The method appends learnable placeholder tokens to the prompt of the avatar model."
    assert validate(json.dumps(en), kind="full", language="en", paper=EVA).problems == []
    zh = full(past_methods="已有方法用待定系数法拟合手部形变，难以表达细节。")
    assert validate(zh, kind="full", language="zh", paper=EVA).problems == []


def test_real_author_statements_are_still_caught_and_quoted_in_the_retry() -> None:
    for sentence, quoted in (("作者为浙江大学的研究人员，提出了EVA。", "作者为浙江大学"),
                             ("作者为Johnny Bogus和Jane Fakename，提出了EVA。", "作者为Johnny Bogus和Jane Fakename"),
                             ("作者是胡鹤臻等人。", "作者是")):
        problems = validate(full(background=sentence), kind="full", language="zh", paper=EVA).problems
        assert any("authors" in p and f"“{quoted}”" in p for p in problems), sentence
    en = valid_answer("full", "en", "", [])
    en["background"] = "This paper was written by Jane Fakename at a small lab."
    problems = validate(json.dumps(en), kind="full", language="en", paper=EVA).problems
    assert any("“paper was written by”" in p for p in problems)


SAMPLES = {
    "ru": ["В статье предлагается метод обучения выразительных аватаров человека по монокулярному видео.",
           "Метод выравнивает параметрическую модель тела с кадрами видео.",
           "Адаптивное управление плотностью учитывает разные части тела.",
           "Результаты превосходят базовые методы на двух наборах данных."],
    "ko": ["본 논문은 단안 RGB 비디오에서 표현력 있는 인간 아바타를 학습하는 방법을 제안한다.",
           "SMPL-X 모델과 비디오 프레임의 정렬을 개선하는 모듈을 도입한다.",
           "신체 부위별로 밀도 제어 임계값을 적응적으로 조정한다.",
           "두 개의 벤치마크에서 기존 방법보다 우수한 성능을 보인다."],
    "ja": ["本研究では、単眼RGB動画から表現力豊かな人間アバターを学習する手法を提案する。",
           "SMPL-XモデルとRGBフレームの位置合わせを改善するモジュールを導入する。",
           "身体の部位ごとに密度制御の閾値を適応的に調整する。",
           "二つのベンチマークで既存手法を上回る性能を示した。"],
}


def test_russian_korean_and_japanese_are_the_wrong_language_for_both_zh_and_en() -> None:
    for script, (one_line, *takeaways) in SAMPLES.items():
        answer = json.dumps({"one_line": one_line, "takeaways": takeaways}, ensure_ascii=False)
        zh = " ".join(validate(answer, kind="brief", language="zh", paper=EVA).problems)
        en = " ".join(validate(answer, kind="brief", language="en", paper=EVA).problems)
        assert "must be written in Simplified Chinese" in zh, script
        assert "must be written in English" in en, script


def test_chinese_with_english_terms_is_still_chinese() -> None:
    answer = {"one_line": "基于3D Gaussian Splatting的方法，从单目视频重建SMPL-X驱动的数字人。",
              "takeaways": ["基于3D Gaussian Splatting的方法。", "引入SMPL-X与RGB帧的对齐模块。",
                            "在THuman2.0和ZJU-MoCap上优于NeRF类基线。"]}
    assert validate(json.dumps(answer, ensure_ascii=False), kind="brief", language="zh", paper=EVA).ok


def test_deeply_nested_json_is_a_problem_not_a_crash() -> None:
    for raw in ("[" * 50000, '{"one_line": ' + "[" * 900 + "]" * 900 + "}", '{"one_line": ' + "1" * 5000 + "}"):
        verdict = validate(raw, kind="brief", language="en", paper=EVA)
        assert verdict.summary is None and verdict.problems, raw[:20]
    assert "nested too deeply" in validate("[" * 50000, kind="brief", language="en", paper=EVA).problems[0]


def test_placeholder_keywords_are_rejected() -> None:
    problems = validate(full(keywords=["待补充", "N/A", "暂无"]), kind="full", language="zh", paper=EVA).problems
    assert {p.split(":")[0] for p in problems if "placeholder" in p} == {"keywords[0]", "keywords[1]", "keywords[2]"}


def test_placeholders_naming_what_is_missing_are_rejected() -> None:
    for bad in ("作者单位：暂无所属机构信息", "实验细节暂无相关数据。", "代码暂未公开", "论文链接：暂未提供"):
        verdict = validate(full(task_and_performance=bad), kind="full", language="zh", paper=EVA)
        assert any("placeholder" in p for p in verdict.problems), bad
    honest = full(background="目前暂无大规模的真实场景数据集，该领域暂无相关研究系统地评估手部细节。")
    assert validate(honest, kind="full", language="zh", paper=EVA).ok
