"""Which writing systems a text uses, so an answer in the wrong language is caught.

Why every letter counts: an earlier check measured only CJK ideographs against ASCII
letters, so Russian or Korean (neither) passed as both Chinese and English, and
Japanese (kanji) passed as Chinese. Here every letter (``str.isalpha``) falls into one
script and counts towards the total: Chinese must be mostly ideographs with almost no
kana or Hangul, English mostly Latin letters.

Units follow how much meaning a character carries: one per ideograph, kana or Hangul
syllable, two per alphabetic word (so "基于3D Gaussian Splatting的方法" is still mostly
Chinese, as the prompt asks to keep English terms).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

Script = Literal["han", "kana", "hangul", "latin", "other"]

_PROSE_FIELDS = ("one_line", "takeaways", "background", "past_methods", "proposed_method",
                 "task_and_performance", "method_steps", "conclusion", "answer")
_SYLLABIC: frozenset[Script] = frozenset({"han", "kana", "hangul"})


@dataclass(frozen=True)
class ScriptMix:
    """Units of text per script; ``share`` is a script's part of all of them."""

    units: Counter[Script]

    @property
    def total(self) -> int:
        return sum(self.units.values())

    def share(self, *scripts: Script) -> float:
        return sum(self.units[s] for s in scripts) / self.total if self.total else 0.0


def script_of(char: str) -> Script:
    """The script of one letter; accented Latin counts as Latin (names like Poincaré)."""
    code = ord(char)
    if 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or code in (0x3005, 0x3007):
        return "han"
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9F:
        return "kana"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if code < 0x250 or 0x1E00 <= code <= 0x1EFF or 0xFF21 <= code <= 0xFF5A:
        return "latin"
    return "other"


def script_mix(text: str) -> ScriptMix:
    """Units per script over every letter in ``text``."""
    units: Counter[Script] = Counter()
    previous: Script | None = None
    for char in text:
        if not char.isalpha():
            previous = None
            continue
        script = script_of(char)
        if script in _SYLLABIC:
            units[script] += 1
        elif script != previous:  # the first letter of an alphabetic word
            units[script] += 2
        previous = script
    return ScriptMix(units)


def language_problems(fields: dict[str, str], language: str) -> list[str]:
    """zh prose must be mostly Chinese ideographs (English terms are fine); en prose mostly Latin letters."""
    prose = {k: v for k, v in fields.items() if k.split("[")[0].split(".")[0] in _PROSE_FIELDS}
    whole = script_mix("\n".join(prose.values()))
    problems: list[str] = []
    if language == "zh":
        if whole.total >= 20 and (whole.share("han") < 0.4 or whole.share("kana", "hangul") > 0.1):
            problems.append("the answer must be written in Simplified Chinese (English technical terms are fine)")
        for name, value in prose.items():
            mix = script_mix(value)
            if (mix.total >= 30 and mix.share("han") < 0.2) or (mix.total >= 10 and mix.share("kana", "hangul") > 0.2):
                problems.append(f"{name}: not written in Chinese; write it in Simplified Chinese")
        title = fields.get("title_translated")
        if title is not None and not script_mix(title).units["han"]:
            problems.append("title_translated: translate the title into Chinese")
    elif language == "en":
        if whole.total >= 20 and whole.share("latin") < 0.8:
            problems.append("the answer must be written in English")
        for name, value in prose.items():
            mix = script_mix(value)
            if mix.total >= 10 and mix.share("latin") < 0.6:
                problems.append(f"{name}: not written in English; write it in English")
    return problems
