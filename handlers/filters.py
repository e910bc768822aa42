"""/filter and /mydigest: a user's own topics and mutes, delivered by direct message."""

from __future__ import annotations

from bot.commands import Command, Param, UsageError, command
from bot.core import Core
from bot.quotas import limit_message
from bot.replies import Error, Reply, Text
from bot.store.quotas import LimitReached
from bot.topics.expression import ExpressionError, parse
from handlers.args import is_time, parse_time, parse_timezone
from handlers.common import say
from handlers.subscriptions import DEFAULT_TIME
from bot.arxiv_calendar import default_weekdays

MAX_FILTER_CHARS = 300


@command(
    "filter",
    help_en="Your personal filters: add TOPIC|EXPRESSION, remove X, mute KEYWORD, list",
    help_zh="个人过滤器：add 主题或表达式 | remove | mute 关键词 | list",
    params=(
        Param("action", "add, remove, mute or list", required=True, choices=("add", "remove", "mute", "list")),
        Param("value", "topic name, keyword expression or keyword", rest=True),
    ),
)
async def filter_command(core: Core, cmd: Command) -> Reply:
    language = await core.language_for(cmd.chat)
    platform, user = cmd.chat.platform, cmd.user_id
    action = cmd.args[0].lower() if cmd.args else ""
    value = cmd.text.split(None, 1)[1].strip() if len(cmd.text.split(None, 1)) > 1 else ""
    if action == "list":
        items = await core.store.filters.list(platform, user)
        if not items:
            return Text(say(language, "You have no filters. Try /filter add llm or /filter add \"talking head\"",
                            "你还没有过滤器。试试 /filter add llm 或 /filter add \"talking head\""))
        lines = [say(language, "Your filters:", "你的过滤器：")]
        lines += [f"• {'mute' if f.kind == 'mute' else 'add'}: {f.value}" for f in items]
        return Text("\n".join(lines))
    if action not in ("add", "remove", "mute"):
        raise UsageError(say(language, "Say add, remove, mute or list.", "请写 add、remove、mute 或 list。"))
    if not value:
        raise UsageError(say(language, f"/filter {action} needs a value.", f"/filter {action} 需要一个值。"))
    if len(value) > MAX_FILTER_CHARS:
        raise UsageError(say(language, f"A filter is at most {MAX_FILTER_CHARS} characters.",
                             f"过滤器最多 {MAX_FILTER_CHARS} 个字符。"))
    if action == "remove":
        if not await core.store.filters.remove(platform, user, value):
            raise UsageError(say(language, "You have no such filter; see /filter list.", "没有这个过滤器，见 /filter list。"))
        core.filters_changed()
        return Text(say(language, f"Removed filter: {value}", f"已删除过滤器：{value}"))
    if await core.topics.get(value, None) is None:
        try:
            parse(value)
        except ExpressionError as exc:
            raise UsageError(str(exc)) from None
    kind = "mute" if action == "mute" else "include"
    try:  # the cap is checked in the insert's own transaction: concurrent adds cannot pass it
        added = await core.store.filters.add(platform, user, kind, value, limit=core.settings.max_filters_per_user)
    except LimitReached as exc:
        return Error(limit_message(language, "filters", exc))
    if not added:
        return Text(say(language, "You already have that filter.", "这个过滤器已存在。"))
    core.filters_changed()
    if kind == "mute":
        return Text(say(language, f"Muted: papers matching {value} are left out of your digest.",
                        f"已屏蔽：匹配 {value} 的论文不会出现在你的速递中。"))
    return Text(say(language, f"Added filter: {value}. Turn on your digest with /mydigest on 08:00.",
                    f"已添加过滤器：{value}。用 /mydigest on 08:00 开启个人速递。"))


@command(
    "mydigest",
    help_en="Your personal digest by direct message: on|off [HH:MM] [timezone]",
    help_zh="私信推送个人速递：on|off [时间] [时区]",
    params=(
        Param("switch", "on or off", required=True, choices=("on", "off")),
        Param("time", "local time HH:MM, default 08:00"),
        Param("timezone", "IANA time zone such as Asia/Shanghai"),
    ),
)
async def mydigest(core: Core, cmd: Command) -> Reply:
    language = await core.language_for(cmd.chat)
    if not cmd.args or cmd.args[0].lower() not in ("on", "off") or len(cmd.args) > 3:
        raise UsageError(say(language, "Say on or off, then optionally HH:MM and a time zone.",
                             "请写 on 或 off，可选时间和时区。"))
    on = cmd.args[0].lower() == "on"
    existing = await core.store.filters.get_digest(cmd.chat.platform, cmd.user_id)
    at = existing.at_time if existing else DEFAULT_TIME
    zone = existing.timezone if existing else core.settings.timezone
    rest = list(cmd.args[1:])
    if rest and (is_time(rest[0]) or ":" in rest[0]):
        at = parse_time(rest.pop(0))
    if rest:
        zone = parse_timezone(rest.pop(0))
    dm = cmd.dm_chat_id or (cmd.chat.chat_id if cmd.chat.kind == "private" else None)
    if dm is None:
        raise UsageError(say(language, "Send /mydigest to me in a direct message.", "请私聊我发送 /mydigest。"))
    await core.store.filters.set_digest(cmd.chat.platform, cmd.user_id, dm, on, at, zone, language=language,
                                        weekdays=default_weekdays(at, zone))
    await core.schedule_changed(user=(cmd.chat.platform, cmd.user_id))
    if not on:
        return Text(say(language, "Personal digest off.", "个人速递已关闭。"))
    has_filters = any(f.kind == "include" for f in await core.store.filters.list(cmd.chat.platform, cmd.user_id))
    hint = "" if has_filters else say(language, " Add topics with /filter add TOPIC.", " 请用 /filter add 主题 添加关注。")
    return Text(say(language, f"Personal digest on: weekdays at {at:%H:%M} ({zone}) by direct message.{hint}",
                    f"个人速递已开启：工作日 {at:%H:%M}（{zone}）私信推送。{hint}"))
