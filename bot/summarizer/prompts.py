"""The prompts, versioned: a cached summary is only reused under the prompt that wrote it.

Templates live in ``bot/prompts/{kind}.{language}.txt`` so they can be read and
reviewed as prose. Editing any of them, or the retry texts below, must bump
:data:`PROMPT_VERSION`; ``tests/test_summarizer_prompts.py`` pins a digest of the
text to catch a forgotten bump, since a stale version would keep serving summaries
written by the old prompt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from string import Template
from typing import Literal

from bot.models import Paper
from bot.summary_schema import Kind

PROMPT_VERSION = "2026-11-1"

SourceKind = Literal["pdf_attached", "pdf_text", "abstract"]

_DIR = Path(__file__).resolve().parent.parent / "prompts"
_LANGUAGES = ("zh", "en")

_SOURCE = {
    "zh": {
        "pdf_attached": "论文 PDF 全文已作为附件提供，内容以 PDF 为准。",
        "pdf_text": "论文正文节选（从 PDF 自动提取，排版可能错乱，省略处已标出）：\n<<<\n$text\n>>>",
        "abstract": "没有论文全文，只能依据摘要撰写：不要猜测摘要以外的细节。",
    },
    "en": {
        "pdf_attached": "The full paper is attached as a PDF; treat it as the authoritative source.",
        "pdf_text": "Excerpts of the paper (extracted from the PDF automatically; layout may be garbled, "
                    "omissions are marked):\n<<<\n$text\n>>>",
        "abstract": "The full paper is not available: write from the abstract only and do not guess details beyond it.",
    },
}
_AFFILIATIONS = {
    "zh": {
        True: "按论文第一页印刷的原文照抄作者单位（不翻译、不猜测），每个单位一项，不重复；第一页看不到就给空列表。",
        False: "给空列表 []：没有全文，无法确认作者单位。",
    },
    "en": {
        True: "copy the author affiliations exactly as printed on the first page (no translation, no guessing), "
              "one per item, no duplicates; an empty list if none are printed.",
        False: "an empty list []: without the full paper the affiliations cannot be checked.",
    },
}
_RETRY = {
    "zh": "\n\n上一次的回答没有通过自动检查，问题如下：\n$problems\n\n请重新回答并修正以上每一个问题。"
          "严格遵守字段长度限制，宁短勿长；只写论文内容；只输出 JSON 对象。",
    "en": "\n\nYour previous answer failed automatic checks:\n$problems\n\nAnswer again and fix every problem "
          "above. Respect the length limits strictly (shorter is better), write only about the paper, and "
          "output only the JSON object.",
}


def build_prompt(paper: Paper, kind: Kind, language: str, *, source: SourceKind, text: str | None = None) -> str:
    """The one prompt for one paper: metadata as context, the source, and the rules for the answer."""
    lang = language if language in _LANGUAGES else "en"
    source_text = describe_source(lang, source, text)
    has_pdf = source != "abstract"
    return _template(kind, lang).substitute(
        title=" ".join(paper.title.split()),
        authors=", ".join(paper.authors) or "-",
        comment=" ".join((paper.comment or "-").split()),
        abstract=" ".join(paper.abstract.split()),
        source=source_text,
        affiliations_rule=_AFFILIATIONS[lang][has_pdf],
    )


def describe_source(language: str, source: SourceKind, text: str | None = None) -> str:
    """What the model reads the paper from, in the prompt's words (and the text itself for ``pdf_text``)."""
    lang = language if language in _LANGUAGES else "en"
    described = _SOURCE[lang][source]
    return Template(described).substitute(text=text or "") if source == "pdf_text" else described


def retry_prompt(prompt: str, problems: Sequence[str], language: str) -> str:
    """The same prompt plus what was wrong last time, so the second try can fix it."""
    lang = language if language in _LANGUAGES else "en"
    listed = "\n".join(f"- {p}" for p in problems[:12])
    return prompt + Template(_RETRY[lang]).substitute(problems=listed)


def prompt_digest() -> str:
    """A fingerprint of every prompt text, pinned in the tests next to PROMPT_VERSION."""
    digest = hashlib.sha256()
    for kind in ("brief", "full"):
        for lang in _LANGUAGES:
            digest.update(_template(kind, lang).template.encode())
    for table in (_SOURCE, _AFFILIATIONS, _RETRY):
        digest.update(repr(sorted((k, repr(v)) for k, v in table.items())).encode())
    return digest.hexdigest()[:16]


@cache
def _template(kind: Kind, language: str) -> Template:
    return Template((_DIR / f"{kind}.{language}.txt").read_text(encoding="utf-8"))
