"""Logs are structured lines and never contain a secret, wherever it appears."""

from __future__ import annotations

import logging

from bot.logs import RedactingFormatter


def test_secrets_are_redacted_from_messages_extras_and_tracebacks() -> None:
    formatter = RedactingFormatter(["123456:SECRET-TOKEN", "AIzaKEY"])
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1,
                               "POST https://api.telegram.org/bot123456:SECRET-TOKEN/getUpdates", None, None)
    record.url = "https://x/?key=AIzaKEY"
    try:
        raise RuntimeError("failed with 123456:SECRET-TOKEN")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    assert "SECRET-TOKEN" not in line and "AIzaKEY" not in line
    assert "level=info" in line and "logger=httpx" in line and "***" in line
