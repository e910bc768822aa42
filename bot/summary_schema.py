"""The one schema a model fills in, and the validated result the renderers show.

The model writes only opinionated prose (summaries, takeaways, method steps...).
Facts are merged in from :class:`bot.models.Paper` by the renderers, so nothing in
these models carries a title, an author list or an arXiv link.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from bot.models import Paper

Kind = Literal["brief", "full"]


class BriefSummary(BaseModel):
    """Used in digests: a one-liner and a handful of takeaways."""

    one_line: str = Field(description="One sentence, at most about 100 characters, saying what the paper does.")
    takeaways: list[str] = Field(description="3 to 7 key takeaways, each one short sentence.")


class Conclusion(BaseModel):
    significance: str = Field(description="Why the work matters.")
    innovation: str = Field(description="What is new compared with past methods.")
    performance: str = Field(description="How well it works, with numbers from the paper when given.")
    workload: str = Field(description="Cost: data, compute, training or inference effort.")


class FullSummary(BriefSummary):
    """Used by /summarize. Carries the brief fields too, so one call serves both uses."""

    title_translated: str = Field(description="The paper title translated into the output language.")
    keywords: list[str] = Field(description="3 to 8 keywords.")
    affiliations: list[str] = Field(
        description="Author affiliations exactly as printed on the first page; empty if not visible."
    )
    background: str
    past_methods: str = Field(description="Past methods and their problems.")
    proposed_method: str
    task_and_performance: str = Field(description="The task and the performance achieved.")
    method_steps: list[str] = Field(description="The method, step by step, 3 to 8 steps.")
    conclusion: Conclusion


class AskReply(BaseModel):
    """What /ask asks a model for: an answer, where in the paper it rests, and whether the paper says at all."""

    answer: str = Field(description="The answer in plain prose, from the paper only.")
    sources: list[str] = Field(description="Sections or pages the answer rests on, such as '§3.2' or 'p. 5'.")
    paper_says: bool = Field(description="False when the paper does not address the question.")


Outcome = Literal["ok", "retried", "fallback", "cached"]


@dataclass
class SummaryResult:
    """A validated summary ready to render, with an honest label of who wrote it."""

    paper: Paper
    kind: Kind
    language: str
    content: BriefSummary  # FullSummary when kind == "full" and a model wrote it
    model: str  # "gemini-2.5-flash", "gpt-4o-mini", or "extractive"
    label: str  # shown to users: "Summary by gemini-2.5-flash" / "extractive summary (no model configured)"
    source: Literal["pdf", "abstract"] = "abstract"
    note: str | None = None  # e.g. "PDF unavailable, summarized from the abstract"
    outcome: Outcome = "ok"
    figures: list[bytes] = field(default_factory=list)  # PNG bytes, only when licence allows

    @property
    def is_fallback(self) -> bool:
        return self.model == "extractive"

    @property
    def full(self) -> FullSummary | None:
        return self.content if isinstance(self.content, FullSummary) else None


def dump_brief(result: SummaryResult) -> str:
    """The brief a digest showed, with its label, as JSON for the delivery record."""
    brief = BriefSummary(one_line=result.content.one_line, takeaways=list(result.content.takeaways))
    return json.dumps({"content": brief.model_dump(), "model": result.model, "label": result.label,
                       "source": result.source, "note": result.note}, ensure_ascii=False)


def load_brief(text: str, paper: Paper, language: str) -> SummaryResult:
    data = json.loads(text)
    return SummaryResult(paper=paper, kind="brief", language=language,
                         content=BriefSummary.model_validate(data["content"]), model=data["model"],
                         label=data["label"], source=data["source"], note=data["note"], outcome="cached")
