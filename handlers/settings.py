"""/lang and /settings: per-chat language, time zone, digest size and figures."""

from __future__ import annotations

import re

from bot.arxiv_calendar import default_weekdays
from bot.commands import Command, Param, UsageError, command
from bot.core import Core
from bot.replies import Reply, Text
from handlers.args import parse_switch, parse_timezone
from handlers.common import say


@command(
    "lang",
    help_en="Set this chat's language: zh or en",
    help_zh="设置本群语言：zh 或 en",
    params=(Param("language", "zh or en", required=True, choices=("zh", "en")),),
    admin=True,
)
async def lang(core: Core, cmd: Command) -> Reply:
    language = await core.language_for(cmd.chat)
    if len(cmd.args) != 1 or cmd.args[0].lower() not in ("zh", "en"):
        raise UsageError(say(language, "Choose zh or en.", "请选择 zh 或 en。"))
    new = cmd.args[0].lower()
    await core.store.chats.update(cmd.chat, language=new)
    return Text(say(new, "Language set to English.", "语言已设置为中文。"))


@command(
    "settings",
    help_en="Show or change settings: timezone ZONE (moves subscriptions) | max N | figures on|off",
    help_zh="查看或修改设置：timezone 时区 | max 数量 | figures on|off",
    params=(
        Param("setting", "timezone, max or figures", choices=("timezone", "max", "figures")),
        Param("value", "the new value"),
    ),
    admin=True,
)
async def settings(core: Core, cmd: Command) -> Reply:
    language = await core.language_for(cmd.chat)
    if not cmd.args:
        current = await core.store.chats.settings(cmd.chat)
        return Text(say(
            language,
            f"Language: {language}\nTime zone: {await core.timezone_for(cmd.chat)}\n"
            f"Papers per digest: {await core.max_papers_for(cmd.chat)}\nFigures: {'on' if current.figures else 'off'}",
            f"语言：{language}\n时区：{await core.timezone_for(cmd.chat)}\n"
            f"每期最多论文数：{await core.max_papers_for(cmd.chat)}\n图片：{'开' if current.figures else '关'}",
        ))
    if len(cmd.args) != 2:
        raise UsageError(say(language, "Give a setting and a value.", "请给出设置名和值。"))
    key, value = cmd.args[0].lower(), cmd.args[1]
    if key == "timezone":
        zone = parse_timezone(value)
        await core.store.chats.update(cmd.chat, timezone=zone)
        moved = await core.store.subscriptions.move_to_zone(cmd.chat, zone, lambda at: default_weekdays(at, zone))
        await core.schedule_changed(chat=cmd.chat)
        return Text(say(language, f"Time zone set to {zone}; {moved} subscription(s) keep their local time there.",
                        f"时区已设为 {zone}；{moved} 个订阅按该时区的原定时间推送。"))
    if key == "max":
        if not re.fullmatch(r"[0-9]{1,3}", value) or not 1 <= int(value) <= 100:
            raise UsageError(say(language, "max takes a number from 1 to 100.", "max 需要 1 到 100 的数字。"))
        await core.store.chats.update(cmd.chat, max_papers=int(value))
        return Text(say(language, f"Digests here show at most {value} papers.", f"每期最多显示 {value} 篇。"))
    if key == "figures":
        on = parse_switch(value)
        await core.store.chats.update(cmd.chat, figures=int(on))
        return Text(say(language, f"Figures {'on' if on else 'off'} for /summarize.",
                        f"/summarize 图片已{'开启' if on else '关闭'}。"))
    raise UsageError(say(language, f"Unknown setting '{key[:30]}'.", f"未知设置 '{key[:30]}'。"))
