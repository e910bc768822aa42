"""Platform adapters, and the table that says which ones exist.

Adding a platform (Slack, Matrix) means one new module here and one row in
:data:`PLATFORMS`; the runner and the CLI read only the table.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from bot.config import Settings
from bot.ports import Adapter


@dataclass(frozen=True)
class Platform:
    name: str
    module: str  # imported only when the platform is configured: its library is heavy
    adapter_class: str
    token_setting: str  # the Settings field whose value turns the platform on
    token_env: str  # its environment variable, for error messages

    def configured(self, settings: Settings) -> bool:
        return bool(getattr(settings, self.token_setting))

    def create(self, settings: Settings) -> Adapter:
        module = importlib.import_module(self.module)
        adapter: Adapter = getattr(module, self.adapter_class)(settings)
        return adapter


PLATFORMS: tuple[Platform, ...] = (
    Platform("telegram", "bot.adapters.telegram.adapter", "TelegramAdapter", "telegram_bot_token",
             "TELEGRAM_BOT_TOKEN"),
    Platform("discord", "bot.adapters.discord.adapter", "DiscordAdapter", "discord_bot_token", "DISCORD_BOT_TOKEN"),
)


def platform(name: str) -> Platform:
    return next(p for p in PLATFORMS if p.name == name)


def configured_adapters(settings: Settings) -> list[Adapter]:
    """One adapter for every platform whose token is set."""
    return [p.create(settings) for p in PLATFORMS if p.configured(settings)]
