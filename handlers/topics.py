"""/topics and /topic: list topics, define a chat's own, remove it."""

from __future__ import annotations

from bot.commands import Context, Param, UsageError, command
from bot.i18n import t
from bot.params import short
from bot.render.paging import PageError, paginate
from bot.replies import Reply, Text
from bot.store.quotas import Caps
from bot.topics.registry import TopicRegistry

TOPICS_PER_PAGE = 15
EXPRESSION_SHOWN = 160  # characters of each expression in the list: a page stays a message or two


class TopicHandlers:
    def __init__(self, topics: TopicRegistry, caps: Caps) -> None:
        self._topics = topics
        self._caps = caps

    @command("topics", params=(Param("page", "param_page"),))
    async def topics(self, ctx: Context, page: str | None) -> Reply:
        language = ctx.language
        try:
            shown = paginate(await self._topics.visible(ctx.cmd.chat.key), page, TOPICS_PER_PAGE, language)
        except PageError as exc:
            raise UsageError(str(exc)) from None
        lines = [t(language, "topics_header")]
        for topic in shown.items:
            mark = "" if topic.builtin else t(language, "topic_own_mark")
            lines.append(f"• {topic.name} — {topic.title}{mark}\n  [{', '.join(topic.categories)}] "
                         f"{short(topic.expression, EXPRESSION_SHOWN)}")
        footer = shown.footer(language, "topics")
        return Text("\n".join(lines + ([footer] if footer else [])))

    @command("topic", admin=True, params=(
        Param("action", "param_topic_action", kind="choice", required=True, choices=("add", "remove")),
        Param("name", "param_topic_name", required=True),
        Param("definition", "param_topic_definition", kind="rest"),
    ))
    async def topic(self, ctx: Context, action: str, name: str, definition: str | None) -> Reply:
        language, chat = ctx.language, ctx.cmd.chat
        if action == "remove":
            if not await self._topics.remove(name, chat.key):
                raise UsageError(t(language, "no_own_topic", name=short(name)))
            return Text(t(language, "topic_removed", name=name))
        # The expression keeps its quotes: it comes from the raw text, not the split words.
        parts = (definition or "").split(None, 1)
        if len(parts) < 2:
            raise UsageError(t(language, "topic_needs_definition"))
        categories = [c.strip() for c in parts[0].split(",") if c.strip()]
        topic = await self._topics.define(name, categories, parts[1], owner=chat.key, created_by=ctx.cmd.user_key,
                                          caps=self._caps)
        return Text(t(language, "topic_saved", name=topic.name, categories=", ".join(topic.categories),
                      expression=topic.expression))
