"""The translation table: every message in both languages, and every key the code names exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

from bot.i18n import MESSAGES

ROOT = Path(__file__).resolve().parent.parent


def test_every_message_has_english_and_chinese_with_the_same_placeholders() -> None:
    for key, entry in MESSAGES.items():
        assert set(entry) == {"en", "zh"}, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f} for lang in ("en", "zh")]
        assert fields[0] == fields[1], key


def test_every_key_named_in_the_code_exists() -> None:
    named: set[str] = set()
    for path in [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("handlers").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        named.update(re.findall(r"\bt\([\w.]+, \"([a-z_]+)\"", text))
        named.update(re.findall(r"Param\(\"\w+\", \"([a-z_]+)\"", text))
        named.update(f"cmd_{name}" for name in re.findall(r"@command\(\"(\w+)\"", text))
    missing = sorted(k for k in named if k not in MESSAGES and k not in {"full", "brief"})
    assert missing == []
