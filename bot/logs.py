"""Structured logs that never contain a secret.

Every record is one line of ``key=value`` pairs (its ``extra`` fields included), and
every secret from the settings is replaced by ``***`` wherever it appears, including
inside URLs logged by libraries (the Bot API puts the token in the URL path).
Discord's interaction tokens are not settings but arrive with each interaction; at
DEBUG discord.py logs the URLs that carry them (``/interactions/<id>/<token>/callback``
and ``/webhooks/<application id>/<token>``), so those path segments are masked too.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable

# A Discord interaction or webhook token: the path segment after the numeric id.
_URL_TOKENS = re.compile(r"(/(?:interactions|webhooks)/\d+/)[^/\s?#'\"]+")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class RedactingFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        fields = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                fields[key] = value
        line = " ".join(f"{k}={_value(v)}" for k, v in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return self.redact(line)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _URL_TOKENS.sub(r"\1***", text)


def _value(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text


def setup_logging(level: str, secrets: Iterable[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; Telegram's contain the bot token.
    for noisy in ("httpx", "httpcore", "apscheduler", "discord.gateway", "discord.client", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
