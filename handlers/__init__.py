"""Platform-neutral command handlers; importing this package registers every command."""

from handlers import (  # noqa: F401
    digest,
    filters,
    help,
    settings,
    subscriptions,
    summarize,
    topics,
)
