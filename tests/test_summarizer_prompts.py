"""Prompts carry the metadata as context, forbid facts in the output, and are versioned."""

from __future__ import annotations

import pytest

from bot.summarizer.prompts import PROMPT_VERSION, build_prompt, prompt_digest, retry_prompt
from tests.summarizer_support import papers

EVA = papers(1)[0]

# Bump PROMPT_VERSION whenever a prompt changes, then update both values here: cached
# summaries are keyed by the version, so a forgotten bump keeps serving old-prompt text.
PINNED = ("2026-11-1", "7eeeef321886f3e6")


def test_prompt_edits_come_with_a_version_bump() -> None:
    assert (PROMPT_VERSION, prompt_digest()) == PINNED


@pytest.mark.parametrize("kind", ["brief", "full"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_prompt_includes_metadata_and_forbids_facts(kind: str, language: str) -> None:
    prompt = build_prompt(EVA, kind, language, source="abstract")  # type: ignore[arg-type]
    assert EVA.title in prompt and "Hezhen Hu" in prompt and EVA.abstract[:80] in prompt
    if language == "zh":
        assert "不要输出事实性元数据" in prompt and "待补充" in prompt and "简体中文" in prompt
    else:
        assert "Do not output factual metadata" in prompt and "No placeholders" in prompt


def test_source_is_described_honestly() -> None:
    assert "附件" in build_prompt(EVA, "full", "zh", source="pdf_attached")
    assert "只能依据摘要" in build_prompt(EVA, "full", "zh", source="abstract")
    assert "给空列表 []" in build_prompt(EVA, "full", "zh", source="abstract")
    text = build_prompt(EVA, "full", "en", source="pdf_text", text="3 Method\nOur $trick$ works.")
    assert "<<<\n3 Method\nOur $trick$ works.\n>>>" in text


def test_retry_prompt_names_every_problem() -> None:
    again = retry_prompt("BASE", ["one_line: 140 characters, the limit is 100", "takeaways[2]: empty"], "zh")
    assert again.startswith("BASE") and "没有通过自动检查" in again
    assert "- one_line: 140 characters, the limit is 100\n- takeaways[2]: empty" in again
