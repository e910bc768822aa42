"""``paperbot run`` as a real subprocess, for the end-to-end tests of every platform.

The bot runs in its own working directory (so no developer ``.env`` is read), with an
environment scrubbed of real tokens and keys, and its output goes to files: a pipe
nobody reads could fill up and block it.
"""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import NOW, today_listing
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.base import ThreadedFake

ROOT = Path(__file__).resolve().parent.parent
# Names a developer's shell may carry that must not leak into the bot under test.
_SCRUB = ("PAPERBOT_", "TELEGRAM_", "DISCORD_", "GEMINI_", "GOOGLE_", "OPENAI_", "HTTP_PROXY", "HTTPS_PROXY",
          "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@contextmanager
def serving_arxiv() -> Iterator[FakeArxiv]:
    """A fake arXiv announcing today's listing, served from its own thread for a bot subprocess."""
    fake = FakeArxiv()
    fake.day = today_listing()
    with ThreadedFake(fake) as running:
        yield running  # type: ignore[misc]


def pinned_clock_env(start: datetime) -> dict[str, str]:
    """Environment that starts a child's wall clock at ``start`` (libfaketime); it then runs forward.

    The bot in a subprocess reads the real clock like any deployment; libfaketime moves
    that clock from outside, so the child's "today" is the tests' :data:`NOW` on any
    date. Monotonic time is left alone: timeouts and rate limits stay real.
    """
    libraries = sorted(
        glob.glob("/usr/lib/*/faketime/libfaketime.so.1") + glob.glob("/usr/lib/faketime/libfaketime.so.1")
    )
    if not libraries:
        raise RuntimeError("libfaketime is missing: install the Debian package faketime (scripts/test does)")
    return {
        "LD_PRELOAD": libraries[0],
        "FAKETIME": "@" + start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "FAKETIME_DONT_RESET": "1",
        "TZ": "UTC",
    }


def scrubbed_env(start: datetime | None = None, **settings: str) -> dict[str, str]:
    """This process's environment without real settings or secrets, plus ``settings``.

    The child's clock starts at ``start`` (default: the tests' :data:`NOW`).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUB) and not k.startswith("FAKETIME")}
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", PYTHONPATH=str(ROOT),
               PYTHONUNBUFFERED="1")
    env.update(pinned_clock_env(start or NOW))
    env.update(settings)
    return env


class BotProcess:
    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        stamp = time.monotonic_ns()
        self.out_path, self.err_path = workdir / f"paperbot-{stamp}.out", workdir / f"paperbot-{stamp}.err"
        self._out, self._err = self.out_path.open("wb"), self.err_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=workdir, env=env,
                                     stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL)
        self.returncode: int | None = None

    @property
    def db_path(self) -> Path:
        return self.workdir / "paperbot.db"

    def logs(self) -> tuple[str, str]:
        """(stdout, stderr) so far."""
        for handle in (self._out, self._err):
            if not handle.closed:
                handle.flush()
        return (self.out_path.read_text(encoding="utf-8", errors="replace"),
                self.err_path.read_text(encoding="utf-8", errors="replace"))

    def output(self) -> str:
        return "".join(self.logs())

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None:
                raise AssertionError(f"paperbot exited ({self.proc.returncode}) waiting for {what}:\n"
                                     f"{self.output()[-3000:]}")
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"timed out waiting for {what}:\n{self.output()[-3000:]}")
            time.sleep(0.05)

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, as a service manager would; kill only if it does not exit in time."""
        if self.returncode is not None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                raise AssertionError(f"paperbot did not exit within {timeout}s of SIGTERM") from None
        self._out.close()
        self._err.close()
        self.returncode = self.proc.returncode
        return self.returncode
