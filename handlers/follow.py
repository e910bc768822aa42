"""/follow add "Name" | remove "Name" | list: authors whose new papers always lead the digest."""

from __future__ import annotations

from bot.commands import Context, Param, UsageError, command
from bot.i18n import t
from bot.replies import Reply, Text
from bot.services.follows import MAX_FOLLOWED, Follows, TooManyFollowed
from bot.topics.authors import MAX_NAME_CHARS, clean_name


class FollowHandlers:
    def __init__(self, follows: Follows) -> None:
        self._follows = follows

    @command("follow", params=(
        Param("action", "param_follow_action", kind="choice", required=True, choices=("add", "remove", "list")),
        Param("name", "param_author_name", kind="rest"),
    ))
    async def follow(self, ctx: Context, action: str, name: str | None) -> Reply:
        language, cmd = ctx.language, ctx.cmd
        if action == "list":
            names = await self._follows.names(cmd.chat)
            if not names:
                return Text(t(language, "follow_list_empty"))
            return Text("\n".join([t(language, "follow_list"), *(f"• {n}" for n in names)]))
        if cmd.chat.kind != "private" and not cmd.can_admin:
            raise UsageError(t(language, "admins_only", name="follow"))
        if not name or not name.strip():
            raise UsageError(t(language, "follow_needs_name", action=action))
        clean = clean_name(name)
        if clean is None:
            raise UsageError(t(language, "follow_bad_name", limit=MAX_NAME_CHARS))
        if action == "remove":
            if not await self._follows.remove(cmd.chat, cmd.user_id, clean):
                raise UsageError(t(language, "follow_not_followed", name=clean))
            return Text(t(language, "follow_removed", name=clean))
        try:
            result = await self._follows.add(cmd.chat, cmd.user_id, clean)
        except TooManyFollowed:
            raise UsageError(t(language, "follow_too_many", limit=MAX_FOLLOWED)) from None
        lines = [t(language, "follow_added" if result.added else "follow_already", name=clean)]
        if result.offers:
            lines.append(t(language, "follow_offers", names=", ".join(result.offers), example=result.offers[0]))
        return Text("\n".join(lines))
