"""/topics and /topic: list topics, define a chat's own, remove it."""

from __future__ import annotations

from bot.commands import Command, Param, UsageError, command
from bot.core import Core
from bot.i18n import t
from bot.quotas import limit_message
from bot.render.paging import PageError, paginate
from bot.replies import Error, Reply, Text
from bot.store.quotas import Caps, LimitReached
from bot.topics.registry import TopicError, UnknownCategoryError
from handlers.args import short
from handlers.common import say


TOPICS_PER_PAGE = 15
EXPRESSION_SHOWN = 160  # characters of each expression in the list: a page stays a message or two


@command(
    "topics",
    help_en="List the topics you can subscribe to, a page at a time: /topics [page]",
    help_zh="列出可订阅的主题（分页）：/topics [页码]",
    params=(Param("page", "page number, default 1"),),
)
async def topics_command(core: Core, cmd: Command) -> Reply:
    language = await core.language_for(cmd.chat)
    try:
        page = paginate(await core.topics.list(cmd.chat.key), cmd.args[0] if cmd.args else None, TOPICS_PER_PAGE,
                        language)
    except PageError as exc:
        raise UsageError(str(exc)) from None
    lines = [say(language, "Topics:", "主题：")]
    for topic in page.items:
        mark = "" if topic.builtin else say(language, " (this chat)", "（本群自定义）")
        lines.append(f"• {topic.name} — {topic.title}{mark}\n  [{', '.join(topic.categories)}] "
                     f"{short(topic.expression, EXPRESSION_SHOWN)}")
    footer = page.footer(language, "topics")
    return Text("\n".join(lines + ([footer] if footer else [])))


@command(
    "topic",
    help_en="Define or remove this chat's own topic: add NAME CATEGORIES EXPRESSION | remove NAME",
    help_zh="定义或删除本群自定义主题：add 名称 分类 关键词表达式 | remove 名称",
    params=(
        Param("action", "add or remove", required=True, choices=("add", "remove")),
        Param("name", "topic name, e.g. my-avatars", required=True),
        Param("definition", "categories then expression, e.g. cs.CV,cs.GR avatar OR \"talking head\"", rest=True),
    ),
    admin=True,
)
async def topic_command(core: Core, cmd: Command) -> Reply:
    language = await core.language_for(cmd.chat)
    if len(cmd.args) < 2 or cmd.args[0] not in ("add", "remove"):
        raise UsageError(say(language, "Say add or remove, then the topic name.", "请写 add 或 remove，再写主题名。"))
    action, name = cmd.args[0], cmd.args[1]
    if action == "remove":
        removed = await core.topics.remove(name, cmd.chat.key)
        if not removed:
            raise UsageError(say(language, f"This chat has no topic '{name[:40]}'.", f"本群没有自定义主题 '{name[:40]}'。"))
        return Text(say(language, f"Removed topic {name}.", f"已删除主题 {name}。"))
    # The expression keeps its quotes, so take it from the raw text rather than the split args.
    rest = cmd.text.split(None, 3)
    if len(rest) < 4:
        raise UsageError(say(language, "Give categories and an expression.", "请给出分类和关键词表达式。"))
    categories = [c.strip() for c in rest[2].split(",") if c.strip()]
    try:
        topic = await core.topics.define(name, categories, rest[3], owner=cmd.chat.key, created_by=cmd.user_key,
                                         caps=Caps(core.settings.max_topics_per_chat, core.settings.max_topics_per_user))
    except UnknownCategoryError as exc:
        raise UsageError(t(language, "topic_unknown_category", category=exc.category,
                           suggestions=", ".join(exc.suggestions))) from None
    except TopicError as exc:
        raise UsageError(str(exc)) from None
    except LimitReached as exc:
        return Error(limit_message(language, "topics", exc))
    return Text(say(language, f"Topic {topic.name} saved: [{', '.join(topic.categories)}] {topic.expression}",
                    f"主题 {topic.name} 已保存：[{', '.join(topic.categories)}] {topic.expression}"))
