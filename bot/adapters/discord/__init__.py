"""Discord through discord.py: the adapter with its slash commands, and embed rendering within Discord's limits."""
