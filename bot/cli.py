"""The ``paperbot`` command line: run the bot, or use it once from a shell.

Settings come from the environment and ``.env`` (see ``.env.example``); a bad
setting stops here with one line naming it, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from bot.adapters import PLATFORMS, platform
from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging

if TYPE_CHECKING:
    from bot.core import Core

EPILOG = "Settings are read from the environment and .env; see .env.example. Docs: README.md"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paperbot",
        description="Daily arXiv digests and structured paper summaries for research group chats.",
        epilog=EPILOG,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="start every adapter whose token is set (the console when none is)",
                   description="Start Telegram (TELEGRAM_BOT_TOKEN) and/or Discord (DISCORD_BOT_TOKEN) and the "
                               "digest scheduler in one process. With no token, start the interactive console.")
    sub.add_parser("console", help="interactive console: run any bot command in the terminal",
                   description="A REPL where you are the only user of one chat. Type /help.")
    p = sub.add_parser("summarize", help="print the structured summary of one paper",
                       description="Summarize one paper, given an arXiv id (2407.03204, hep-th/9901001) or URL.")
    p.add_argument("paper", help="arXiv id or abs/pdf/html URL")
    p.add_argument("--lang", choices=("zh", "en"), help="output language (default: PAPERBOT_LANGUAGE)")
    p = sub.add_parser("digest", help="print a topic's digest",
                       description="Print a digest: the latest announcement day by default, or N listing days "
                                   "ending at --date (from the arXiv API).")
    p.add_argument("--topic", required=True, help="topic name (see `paperbot topics`)")
    p.add_argument("--date", type=date.fromisoformat, help="last listing day, YYYY-MM-DD")
    p.add_argument("--days", type=int, default=1, help="number of listing days (default 1)")
    p.add_argument("--lang", choices=("zh", "en"), help="output language")
    p.add_argument("--all", action="store_true", help="no per-digest maximum")
    sub.add_parser("topics", help="list topics", description="List the built-in and user-defined topics.")
    for name, verb in (("like", "rank papers like these higher"), ("dislike", "rank papers like these lower")):
        p = sub.add_parser(name, help=f"👍/👎 papers as the console chat: {verb}",
                           description=f"Vote as the local console chat and its user, like /{name}: {verb} "
                                       "in the next `paperbot digest` on the same database.")
        p.add_argument("ids", nargs="+", help="arXiv ids")
    p = sub.add_parser("prefs", help="what the console chat's ranking has learned",
                       description="Like /prefs: the strongest terms and the liked papers the ranking leans on.")
    p.add_argument("action", nargs="?", choices=("reset",), help="reset: forget every vote")
    sub.add_parser("stats", help="model calls, tokens, latency and outcomes",
                   description="Per-model summary statistics recorded for every model call.")
    sub.add_parser("status", help="per chat: subscriptions, next run, last sent, paused reason",
                   description="What the scheduler will do: one row per subscription and personal digest.")
    p = sub.add_parser("export", help="write subscriptions, topics and filters as JSON",
                       description="Export chats, subscriptions, chat topics, user filters and personal digests.")
    p.add_argument("file", nargs="?", help="output file (default: stdout)")
    p = sub.add_parser("import", help="read subscriptions, topics and filters from JSON",
                       description="Import a file written by `paperbot export`. Nothing is written unless the "
                                   "whole file is valid.")
    p.add_argument("file", help="input file")
    sub.add_parser("discord-sync", help="publish the slash commands to Discord now",
                   description="Register every command as a Discord slash command. Discord limits command "
                               "creation per day, so this is explicit (it also happens on start when the "
                               "commands changed).")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    # In a terminal (console, one-shot commands) INFO lines would drown the replies.
    serving = args.command == "run" and any(p.configured(settings) for p in PLATFORMS)
    level = settings.log_level if serving or settings.log_level != "INFO" else "WARNING"
    setup_logging(level, settings.secrets)
    command = COMMANDS[args.command]
    try:
        return asyncio.run(command(settings, args))
    except ConfigError as exc:  # e.g. a platform rejected its token at start-up
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _with_core(settings: Settings, work: Callable[[Core], Awaitable[int]]) -> int:
    from bot.core import Core

    async with await Core.create(settings) as core:
        return await work(core)


def _in_language(settings: Settings, language: str | None) -> Settings:
    """``--lang``: the one-shot command runs as if the bot's default language were this one."""
    return settings.model_copy(update={"language": language}) if language else settings


async def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.runner import run

    return await run(settings)


async def cmd_console(settings: Settings, args: argparse.Namespace) -> int:
    from bot.runner import run_console

    return await _with_core(settings, run_console)


async def _one_command(settings: Settings, line: str, language: str | None) -> int:
    """Run one bot command through the console adapter and print the reply."""
    from bot.adapters.console import CONSOLE_CHAT, ConsoleAdapter
    from bot.replies import Error, flatten

    async def work(core: Core) -> int:
        console = ConsoleAdapter(Console(stderr=False, highlight=False))
        await console.start(core.host)
        reply = await console.handle_line(line)
        assert reply is not None
        await console.send(CONSOLE_CHAT, reply)
        return 1 if any(isinstance(r, Error) for r in flatten(reply)) else 0

    return await _with_core(_in_language(settings, language), work)


async def cmd_summarize(settings: Settings, args: argparse.Namespace) -> int:
    return await _one_command(settings, f"/summarize {_quote(args.paper)}", args.lang)


async def cmd_like(settings: Settings, args: argparse.Namespace) -> int:
    return await _one_command(settings, "/like " + " ".join(_quote(i) for i in args.ids), None)


async def cmd_dislike(settings: Settings, args: argparse.Namespace) -> int:
    return await _one_command(settings, "/dislike " + " ".join(_quote(i) for i in args.ids), None)


async def cmd_prefs(settings: Settings, args: argparse.Namespace) -> int:
    return await _one_command(settings, "/prefs" + (f" {args.action}" if args.action else ""), None)


async def cmd_digest(settings: Settings, args: argparse.Namespace) -> int:
    from bot.adapters.console import CONSOLE_CHAT, ConsoleAdapter, RichProgress

    if not 1 <= args.days <= 30:
        print("--days must be between 1 and 30", file=sys.stderr)
        return 2

    async def work(core: Core) -> int:
        topic = await core.topics.get(args.topic)
        if topic is None:
            print(f"unknown topic {args.topic!r}; see `paperbot topics`", file=sys.stderr)
            return 2
        console = ConsoleAdapter(Console(highlight=False))
        language = args.lang or settings.language
        from bot.arxiv.source import ArxivError
        from bot.listings import ListingPending

        try:
            digest = await core.digests.build(topic, language, day=args.date, days=args.days,
                                              limit=settings.digest_max_papers, include_all=args.all,
                                              progress=RichProgress(Console(stderr=True)),
                                              learner=f"chat:{CONSOLE_CHAT.platform}:{CONSOLE_CHAT.chat_id}")
        except ArxivError as exc:
            print(f"arXiv is not answering: {exc}", file=sys.stderr)
            return 1
        except ListingPending as exc:
            print(f"not yet: {exc}", file=sys.stderr)
            return 1
        await console.send(CONSOLE_CHAT, digest)
        return 0

    return await _with_core(settings, work)


async def cmd_topics(settings: Settings, args: argparse.Namespace) -> int:
    return await _one_command(settings, "/topics", None)


async def cmd_stats(settings: Settings, args: argparse.Namespace) -> int:
    async def work(core: Core) -> int:
        rows = await core.store.summaries.stats()
        table = Table(title="Model calls")
        if not rows:
            Console().print("No model calls recorded yet.")
            return 0
        for column in rows[0]:
            table.add_column(str(column))
        for row in rows:
            table.add_row(*(str(v) for v in row.values()))
        Console().print(table)
        if asks := await core.store.answers.stats():  # what /ask costs per answer, cache hits included
            questions = Table(title="/ask")
            for column in asks:
                questions.add_column(column)
            questions.add_row(*(str(v) for v in asks.values()))
            Console().print(questions)
        return 0

    return await _with_core(settings, work)


async def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    async def work(core: Core) -> int:
        from bot.scheduler import Schedule

        now = core.clock()
        table = Table(title="paperbot status")
        for column in ("chat", "topic", "at", "next run (UTC)", "last sent", "paused"):
            table.add_column(column)
        for sub in await core.store.subscriptions.all():
            nxt = None if sub.paused_reason else Schedule(sub.at_time, sub.timezone, sub.weekdays).next_run(now)
            table.add_row(sub.chat.key, sub.topic, f"{sub.at_time:%H:%M} {sub.timezone}",
                          nxt.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if nxt else "-",
                          str(sub.last_sent_day or "-"), sub.paused_reason or "")
        for d in await core.store.filters.digests(enabled_only=False):
            off = d.paused_reason or not d.enabled
            nxt = None if off else Schedule(d.at_time, d.timezone, d.weekdays).next_run(now)
            table.add_row(f"{d.platform}:{d.dm_chat_id} (user {d.user_id})", "personal digest",
                          f"{d.at_time:%H:%M} {d.timezone}",
                          nxt.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if nxt else "-",
                          str(d.last_sent_day or "-"), d.paused_reason or ("" if d.enabled else "off"))
        Console(width=160).print(table)
        return 0

    return await _with_core(settings, work)


async def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    async def work(core: Core) -> int:
        from bot.transfer import export_all

        text = json.dumps(await export_all(core.store), ensure_ascii=False, indent=2)
        if args.file:
            Path(args.file).write_text(text + "\n", encoding="utf-8")
        else:
            print(text)
        return 0

    return await _with_core(settings, work)


async def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    try:
        data = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2

    async def work(core: Core) -> int:
        from bot.transfer import import_all

        try:
            counts = await import_all(core.store, data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            print(f"invalid file, nothing imported: {where}: {first['msg']}", file=sys.stderr)
            return 2
        print("imported " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        return 0

    return await _with_core(settings, work)


async def cmd_discord_sync(settings: Settings, args: argparse.Namespace) -> int:
    discord = platform("discord")
    if not discord.configured(settings):
        print(f"configuration error: {discord.token_env}: is not set", file=sys.stderr)
        return 2

    async def work(core: Core) -> int:
        from bot.adapters.discord.adapter import sync_commands

        count = await sync_commands(core.host, core.settings)
        print(f"synced {count} slash commands")
        return 0

    return await _with_core(settings, work)


def _quote(text: str) -> str:
    return '"' + text.replace('"', "") + '"' if " " in text else text


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "run": cmd_run,
    "console": cmd_console,
    "summarize": cmd_summarize,
    "digest": cmd_digest,
    "like": cmd_like,
    "dislike": cmd_dislike,
    "prefs": cmd_prefs,
    "topics": cmd_topics,
    "stats": cmd_stats,
    "status": cmd_status,
    "export": cmd_export,
    "import": cmd_import,
    "discord-sync": cmd_discord_sync,
}

if __name__ == "__main__":
    sys.exit(main())
