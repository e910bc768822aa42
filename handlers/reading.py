"""/save, /read, /reading and /picks: a chat's shared reading list and its weekly group picks.

``/reading`` shows the unread papers (the journal club's queue) with who saved each and
when; ``/reading done`` shows the ones marked read, ``/reading clear`` drops those, and
``/reading bibtex`` exports the whole list. BibTeX is sent as plain text, one message
per few entries and never an entry cut in two, because text is what every platform
and the console show and copy alike.
"""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from bot.arxiv.ids import ArxivIdError, ArxivRef, parse_arxiv_ref
from bot.commands import Context, Param, UsageError, command
from bot.i18n import t
from bot.pace import RateLimited
from bot.render.paging import PageError, paginate
from bot.replies import Replies, Reply, Text
from bot.services.feedback import UnknownPapers
from bot.services.picks import WEEKDAY_NAMES, GroupPicks
from bot.services.reading import ReadingList
from bot.summarizer.hostile import strip_hostile

ENTRIES_PER_PAGE = 10
TITLE_CHARS = 120
BIBTEX_PER_PAGE = 25
BIBTEX_CHUNK = 1800  # under Discord's 2,000 characters, so an entry is never split across messages
DEFAULT_PICKS = ("fri", time(17, 0))


def paper_ref(language: str, text: str) -> ArxivRef:
    try:
        return parse_arxiv_ref(text)
    except ArxivIdError as exc:
        raise UsageError(t(language, exc.key, **exc.values)) from None


class ReadingHandlers:
    def __init__(self, reading: ReadingList, picks: GroupPicks) -> None:
        self._reading = reading
        self._picks = picks

    @command("save", slow=True, params=(Param("paper", "param_paper", required=True),))
    async def save(self, ctx: Context, paper: str) -> Reply:
        language, cmd = ctx.language, ctx.cmd
        ref = paper_ref(language, paper)
        try:
            found, outcome = await self._reading.save(cmd.chat, cmd.user_id, cmd.user_name, ref)
        except RateLimited as exc:
            raise UsageError(t(language, "save_rate_limited", limit=exc.limit)) from None
        except UnknownPapers:
            return Text(t(language, "no_such_paper", id=ref.id))
        return Text(t(language, f"reading_{outcome}", id=found.id, title=_clip(found.title)))

    @command("read", params=(Param("paper", "param_paper", required=True),))
    async def read(self, ctx: Context, paper: str) -> Reply:
        language, cmd = ctx.language, ctx.cmd
        ref = paper_ref(language, paper)
        marked = await self._reading.mark_read(cmd.chat, cmd.user_id, ref.id)
        key = "reading_marked" if marked else "reading_was_read" if marked is False else "reading_not_listed"
        return Text(t(language, key, id=ref.id))

    @command("reading", params=(Param("action", "param_reading_action", kind="choice",
                                      choices=("done", "bibtex", "clear")),
                                Param("page", "param_page", kind="int")))
    async def reading(self, ctx: Context, action: str | None, page: int | None) -> Reply:
        language, chat = ctx.language, ctx.cmd.chat
        if action == "clear":
            return Text(t(language, "reading_cleared", n=await self._reading.clear_read(chat)))
        if action == "bibtex":
            return await self._bibtex(ctx, page)
        done = action == "done"
        listed = await self._reading.listed(chat, done)
        if not listed:
            return Text(t(language, "reading_none_read" if done else "reading_empty"))
        try:
            shown = paginate(listed, _page(page), ENTRIES_PER_PAGE, language)
        except PageError as exc:
            raise UsageError(str(exc)) from None
        zone = ZoneInfo(ctx.chat.timezone)
        lines = [t(language, "reading_header_read" if done else "reading_header", n=len(listed))]
        start = (shown.number - 1) * ENTRIES_PER_PAGE
        for n, item in enumerate(shown.items, start + 1):
            entry, title = item.entry, item.paper.title if item.paper is not None else item.entry.paper_id
            when = (entry.done_at if done and entry.done_at else entry.saved_at).astimezone(zone).date().isoformat()
            names = [strip_hostile(name) for name in entry.savers[:3]]  # a member's name is theirs to choose
            who = ", ".join(n for n in names if n) + (f" +{len(entry.savers) - 3}" if len(entry.savers) > 3 else "")
            lines.append(f"{n}. {_clip(title)} — {entry.paper_id}")
            lines.append("   " + t(language, "reading_read_on" if done else "reading_saved_by", who=who or "?",
                                   day=when))
        footer = shown.footer(language, "reading done" if done else "reading")
        return Text("\n".join(lines + ([footer] if footer else [])))

    async def _bibtex(self, ctx: Context, page: int | None) -> Reply:
        language = ctx.language
        text, count = await self._reading.bibtex(ctx.cmd.chat)
        if not count:
            return Text(t(language, "reading_empty"))
        entries = text.strip().split("\n\n")
        try:
            shown = paginate(entries, _page(page), BIBTEX_PER_PAGE, language)
        except PageError as exc:
            raise UsageError(str(exc)) from None
        chunks: list[str] = []
        for entry in shown.items:
            if chunks and len(chunks[-1]) + len(entry) + 2 <= BIBTEX_CHUNK:
                chunks[-1] += "\n\n" + entry
            else:
                chunks.append(entry)
        footer = shown.footer(language, "reading bibtex")
        head = t(language, "reading_bibtex_header", n=count) + (f"\n{footer}" if footer else "")
        return Replies((Text(head), *(Text(c) for c in chunks)))

    @command("picks", admin=True, params=(
        Param("switch", "param_switch", kind="switch", required=True),
        Param("day", "param_picks_day", kind="choice", choices=WEEKDAY_NAMES),
        Param("time", "param_picks_time", kind="time"),
        Param("timezone", "param_zone", kind="zone"),
    ))
    async def picks(self, ctx: Context, switch: bool, day: str | None, time: time | None,
                    timezone: str | None) -> Reply:
        language, chat = ctx.language, ctx.cmd.chat
        if not switch:
            dropped = await self._picks.turn_off(chat)
            return Text(t(language, "picks_off" if dropped else "picks_were_off"))
        schedule = await self._picks.turn_on(chat, WEEKDAY_NAMES.index(day or DEFAULT_PICKS[0]),
                                             time or DEFAULT_PICKS[1], timezone or ctx.chat.timezone)
        names = t(language, "weekday_names").split(",")
        return Text(t(language, "picks_on", day=names[schedule.weekday], at=schedule.at_time,
                      zone=schedule.timezone))


def _clip(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"


def _page(page: int | None) -> str | None:
    return None if page is None else str(page)
