"""Settings: documented, validated, and bad values stop start-up with one clear line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import AliasChoices

from bot.config import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


def _env_names() -> set[str]:
    names = set()
    for info in Settings.model_fields.values():
        alias = info.validation_alias
        assert isinstance(alias, AliasChoices)
        names.add(str(alias.choices[0]))
    return names


def test_env_example_documents_every_setting() -> None:
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert _env_names() == documented


def test_env_example_copied_as_is_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.backend() == "extractive"
    assert settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value()


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("PAPERBOT_ARXIV_API_URL", "not a url", "PAPERBOT_ARXIV_API_URL"),
        ("PAPERBOT_ARXIV_DELAY_SECONDS", "-1", "PAPERBOT_ARXIV_DELAY_SECONDS"),
        ("PAPERBOT_LANGUAGE", "fr", "PAPERBOT_LANGUAGE"),
        ("PAPERBOT_TIMEZONE", "Mars/Olympus", "PAPERBOT_TIMEZONE"),
    ],
)
def test_bad_setting_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str,
                                           expected: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith(f"configuration error: {expected}:")
    assert "\n" not in str(info.value)


def test_cli_bad_config_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_TOKEN", "_KEY"))}
    env["PAPERBOT_ARXIV_DELAY_SECONDS"] = "-3"
    done = subprocess.run([sys.executable, "-m", "bot", "topics"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "configuration error: PAPERBOT_ARXIV_DELAY_SECONDS: Input should be greater than or equal to 0"
    ]
    assert "Traceback" not in done.stderr


def test_backend_is_chosen_by_which_key_is_set() -> None:
    assert Settings(_env_file=None).backend() == "extractive"  # type: ignore[call-arg]
    assert Settings(_env_file=None, openai_api_key="sk-x").backend() == "openai"  # type: ignore[call-arg]
    assert Settings(_env_file=None, openai_api_key="sk-x", gemini_api_key="g").backend() == "gemini"  # type: ignore[call-arg]
