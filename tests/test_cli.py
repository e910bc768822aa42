"""The command line, run as a real process against the fake arXiv on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import NOW, today_listing
from tests.e2e import pinned_clock_env
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.base import ThreadedFake


@pytest.fixture(scope="module")
def arxiv_url() -> Iterator[str]:
    fake = FakeArxiv()
    with ThreadedFake(fake) as served:
        served.day = today_listing()
        yield served.url


def paperbot(args: list[str], arxiv_url: str, tmp_path: Path, stdin: str | None = None,
             **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_TOKEN", "_KEY"))}
    env.update({
        "PAPERBOT_DB_PATH": str(tmp_path / "cli.db"),
        "PAPERBOT_ARXIV_API_URL": f"{arxiv_url}/api/query",
        "PAPERBOT_ARXIV_RSS_URL": f"{arxiv_url}/rss",
        "PAPERBOT_ARXIV_PDF_URL": f"{arxiv_url}/pdf",
        "PAPERBOT_ARXIV_DELAY_SECONDS": "0.05",
        "PAPERBOT_LANGUAGE": "en",
        "NO_PROXY": "127.0.0.1,localhost",
        "COLUMNS": "200",
        **pinned_clock_env(NOW),
        **extra_env,
    })
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_help_is_useful_everywhere(arxiv_url: str, tmp_path: Path) -> None:
    top = paperbot(["--help"], arxiv_url, tmp_path)
    assert top.returncode == 0 and "digest" in top.stdout and "summarize" in top.stdout
    for command in ("run", "console", "summarize", "digest", "topics", "stats", "status", "export", "import"):
        done = paperbot([command, "--help"], arxiv_url, tmp_path)
        assert done.returncode == 0, command
        assert "usage: paperbot" in done.stdout


def test_cli_digest_prints_todays_papers(arxiv_url: str, tmp_path: Path) -> None:
    done = paperbot(["digest", "--topic", "virtual-humans"], arxiv_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Expressive Gaussian Human Avatars" in done.stdout
    assert "https://github.com/agnJason/XHand" in done.stdout
    assert "extractive summary" in done.stdout


def test_cli_digest_for_past_days_uses_submission_dates(arxiv_url: str, tmp_path: Path) -> None:
    done = paperbot(["digest", "--topic", "virtual-humans", "--date", "2024-07-05", "--days", "3", "--lang", "zh"],
                    arxiv_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2407.03204" in done.stdout and "2407.02165" in done.stdout
    assert "2407.21002" not in done.stdout  # submitted weeks later
    assert "更新" in done.stdout


def test_cli_summarize_prints_a_labelled_summary(arxiv_url: str, tmp_path: Path) -> None:
    done = paperbot(["summarize", "https://arxiv.org/pdf/2407.21002v1"], arxiv_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "XHand" in done.stdout and "https://github.com/agnJason/XHand" in done.stdout
    assert "extractive summary" in done.stdout


def test_cli_summarize_rejects_a_foreign_url(arxiv_url: str, tmp_path: Path) -> None:
    done = paperbot(["summarize", "https://example.com/abs/2407.21002"], arxiv_url, tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr


def test_run_without_tokens_starts_the_console(arxiv_url: str, tmp_path: Path) -> None:
    script = "/subscribe virtual-humans 07:00 Asia/Shanghai\n/subscriptions\ntopics\n/quit\n"
    done = paperbot(["run"], arxiv_url, tmp_path, stdin=script)
    assert done.returncode == 0, done.stderr
    assert "paperbot console" in done.stdout
    assert "Subscribed to" in done.stdout and "Asia/Shanghai" in done.stdout
    assert "virtual-humans" in done.stdout


def test_status_export_and_import_round_trip(arxiv_url: str, tmp_path: Path) -> None:
    paperbot(["console"], arxiv_url, tmp_path, stdin="/subscribe llm 09:00 Europe/Berlin\n/filter add avatar\n")
    status = paperbot(["status"], arxiv_url, tmp_path)
    assert status.returncode == 0 and "llm" in status.stdout and "Europe/Berlin" in status.stdout
    exported = paperbot(["export", str(tmp_path / "out.json")], arxiv_url, tmp_path)
    assert exported.returncode == 0
    data = json.loads((tmp_path / "out.json").read_text())
    assert data["subscriptions"][0]["topic"] == "llm" and data["filters"][0]["value"] == "avatar"

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    imported = paperbot(["import", str(tmp_path / "out.json")], arxiv_url, fresh)
    assert imported.returncode == 0 and "1 subscriptions" in imported.stdout

    data["subscriptions"][0]["timezone"] = "Mars/Olympus"
    (tmp_path / "bad.json").write_text(json.dumps(data))
    other = tmp_path / "other"
    other.mkdir()
    bad = paperbot(["import", str(tmp_path / "bad.json")], arxiv_url, other)
    assert bad.returncode == 2 and "nothing imported" in bad.stderr
    assert "Mars/Olympus" not in paperbot(["export"], arxiv_url, other).stdout
    assert json.loads(paperbot(["export"], arxiv_url, other).stdout)["filters"] == []


def test_stats_reports_model_calls_after_a_summary(arxiv_url: str, tmp_path: Path) -> None:
    from tests.fakes.gemini import FakeGemini

    with ThreadedFake(FakeGemini()) as gemini:
        keys = {"PAPERBOT_LLM_BACKEND": "gemini", "GEMINI_API_KEY": "test-key-123",
                "PAPERBOT_GEMINI_BASE_URL": gemini.url}
        done = paperbot(["summarize", "2407.03204"], arxiv_url, tmp_path, **keys)
        assert done.returncode == 0, done.stderr
        assert "Summary by gemini-2.5-flash" in done.stdout
        assert gemini.calls == 1
        again = paperbot(["summarize", "2407.03204"], arxiv_url, tmp_path, **keys)
        assert again.returncode == 0 and gemini.calls == 1  # cached
        stats = paperbot(["stats"], arxiv_url, tmp_path, **keys)
    assert stats.returncode == 0, stats.stderr
    assert "gemini-2.5-flash" in stats.stdout
    assert "test-key-123" not in done.stdout + done.stderr + stats.stdout + stats.stderr


def test_cli_like_reorders_the_next_cli_digest_on_the_same_database(arxiv_url: str, tmp_path: Path) -> None:
    def titles_order(out: str) -> list[int]:
        return [out.index(t) for t in ("WildAvatar", "XHand")]

    before = paperbot(["digest", "--topic", "virtual-humans", "--all"], arxiv_url, tmp_path)
    assert before.returncode == 0
    liked = paperbot(["like", "2407.21002"], arxiv_url, tmp_path)
    assert liked.returncode == 0 and "👍" in liked.stdout
    disliked = paperbot(["dislike", "2407.02165"], arxiv_url, tmp_path)
    assert disliked.returncode == 0
    after = paperbot(["digest", "--topic", "virtual-humans", "--all"], arxiv_url, tmp_path)
    wild, xhand = titles_order(after.stdout)
    assert xhand < wild
    prefs = paperbot(["prefs"], arxiv_url, tmp_path)
    assert prefs.returncode == 0 and "2407.21002" in prefs.stdout
    unknown = paperbot(["like", "2407.99999"], arxiv_url, tmp_path)
    assert unknown.returncode == 1 and "nothing was recorded" in unknown.stdout


def test_one_shot_command_with_a_model_key_does_not_load_the_model_sdk(arxiv_url: str, tmp_path: Path) -> None:
    """Model clients, the HTTP client, ranking and chat platforms load on first use, not to list topics."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_TOKEN", "_KEY"))}
    env.update({"PAPERBOT_DB_PATH": str(tmp_path / "cli.db"), "GEMINI_API_KEY": "test-key",
                "PAPERBOT_ARXIV_API_URL": f"{arxiv_url}/api/query", "NO_PROXY": "127.0.0.1,localhost"})
    probe = ("import sys\nfrom bot.cli import main\ncode = main(['topics'])\n"
             "heavy = ('google.genai', 'openai', 'httpx', 'httpcore', 'numpy', 'scipy', 'sklearn',\n"
             "         'telegram', 'discord')\n"
             "loaded = [m for m in heavy if m in sys.modules]\n"
             "print(loaded or 'SDK-ABSENT', code)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).resolve().parents[1], env=env,
                          capture_output=True, text=True, timeout=120)
    assert "SDK-ABSENT 0" in done.stdout, done.stdout + done.stderr


def test_leaving_the_console_is_quiet(arxiv_url: str, tmp_path: Path) -> None:
    """/quit stops the scheduler once: no traceback for a newcomer trying the bot."""
    done = paperbot(["run"], arxiv_url, tmp_path, stdin="/topics\n/quit\n")
    assert done.returncode == 0 and "Traceback" not in done.stderr + done.stdout, done.stderr
