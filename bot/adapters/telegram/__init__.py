"""Telegram through python-telegram-bot: the adapter, its HTML rendering, rate-limited sending and lifecycle."""
