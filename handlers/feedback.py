"""/like, /dislike and /prefs: teach a chat's ranking, and see what it learned."""

from __future__ import annotations

from bot.arxiv.ids import ArxivIdError, ArxivRef, parse_arxiv_ref
from bot.commands import Context, Param, UsageError, command
from bot.i18n import t
from bot.models import Topic
from bot.pace import RateLimited
from bot.replies import Reply, Text
from bot.services.feedback import MAX_IDS, Feedback, UnknownPapers
from bot.topics.profiles import chat_audience


class FeedbackHandlers:
    def __init__(self, feedback: Feedback) -> None:
        self._feedback = feedback

    @command("like", slow=True, params=(Param("ids", "param_paper_ids", kind="rest"),))
    async def like(self, ctx: Context, ids: str | None) -> Reply:
        return await self._vote(ctx, ids, 1)

    @command("dislike", slow=True, params=(Param("ids", "param_paper_ids", kind="rest"),))
    async def dislike(self, ctx: Context, ids: str | None) -> Reply:
        return await self._vote(ctx, ids, 0)

    async def _vote(self, ctx: Context, ids: str | None, value: int) -> Reply:
        language = ctx.language
        refs = self._refs(language, ids)
        try:
            papers = await self._feedback.vote(ctx.cmd.chat, ctx.cmd.user_id, refs, value)
        except RateLimited as exc:
            raise UsageError(t(language, "feedback_rate_limited", limit=exc.limit)) from None
        except UnknownPapers as exc:
            raise UsageError(t(language, "feedback_unknown", ids=", ".join(exc.ids))) from None
        return Text(t(language, "feedback_liked" if value else "feedback_disliked", n=len(papers)))

    @staticmethod
    def _refs(language: str, ids: str | None) -> list[ArxivRef]:
        words = (ids or "").replace(",", " ").split()
        if not words:
            raise UsageError(t(language, "feedback_needs_ids"))
        if len(words) > MAX_IDS:
            raise UsageError(t(language, "feedback_too_many", limit=MAX_IDS))
        refs = []
        for word in words:
            try:
                refs.append(parse_arxiv_ref(word))
            except ArxivIdError as exc:
                raise UsageError(t(language, exc.key, **exc.values)) from None
        return refs

    @command("prefs", params=(Param("action", "param_prefs_action", kind="choice", choices=("reset",)),))
    async def prefs(self, ctx: Context, action: str | None) -> Reply:
        language, chat = ctx.language, ctx.cmd.chat
        if action == "reset":
            return Text(t(language, "prefs_reset_done", n=await self._feedback.reset(chat)))
        audience = chat_audience(chat.platform, chat.chat_id)
        profiles = self._feedback.profiles
        profile = await profiles.of(audience)
        dense = [t(language, "prefs_embeddings", model=profiles.embedding_model)] if profiles.embedding_model else []
        if not profile.votes and not profile.followed:
            return Text("\n".join([t(language, "prefs_empty"), *dense]))
        lines = [t(language, "prefs_header", n=len(profile.votes))]
        model = await profiles.model(audience, Topic("prefs", "", (), ""))  # the votes' own words, no topic prior
        if model is not None:
            positive, negative = model.strongest(6)
            if positive:
                lines.append(t(language, "prefs_positive", terms=", ".join(positive)))
            if negative:
                lines.append(t(language, "prefs_negative", terms=", ".join(negative)))
            if model.liked:
                titles = "; ".join(f"“{p.title[:70]}” ({p.id})" for p in model.liked[-3:])
                lines.append(t(language, "prefs_liked", titles=titles))
        if profile.followed:
            lines.append(t(language, "prefs_followed", names=", ".join(profile.followed)))
        return Text("\n".join([*lines, *dense]))
