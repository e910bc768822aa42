"""Check a model's answer to a question about a paper before it reaches a chat.

The same checks as summaries (:mod:`bot.summarizer.validate`: degeneration,
placeholders, chatter, language, length), plus two that matter more for free-form
answers:

* **Numbers.** Every number in the answer must appear in what the model was given
  (the paper's text, its metadata, the question and the conversation so far). A number
  found nowhere was invented, and an invented "97.3 %" is worse than no answer.
* **Links, mentions and markup.** The paper is untrusted input, so its instructions can
  end up in the answer. They are a problem for the first attempt (the retry is told to
  drop them) and are cut out of whatever is shown (:func:`strip_hostile`), so no link
  the paper planted can reach a chat.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from bot.summarizer.hostile import hostile_problems, strip_hostile
from bot.summarizer.scripts import language_problems
from bot.summarizer.validate import chatter_problems, degenerate_problems, placeholder_problems
from bot.summary_schema import AskReply

ANSWER_CHARS = {"zh": 700, "en": 1400}
MAX_SOURCES = 5
SOURCE_CHARS = 80
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")


@dataclass
class AskVerdict:
    """The cleaned answer, and every problem found (``hostile`` problems alone never cost the answer)."""

    reply: AskReply | None
    problems: list[str] = field(default_factory=list)
    hostile: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.reply is not None and not self.problems

    @property
    def usable(self) -> bool:
        """Shown once stripped: the only faults were links or mentions, which are cut out."""
        return self.reply is not None and all(p in self.hostile for p in self.problems)


def check_answer(raw: str | None, *, language: str, given: str, truncated: bool = False) -> AskVerdict:
    """Parse and check one answer; ``given`` is every text the model saw, for the numbers check."""
    if raw is None or not raw.strip():
        return AskVerdict(None, ["the response was empty"])
    text = raw.strip()
    if fenced := re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, re.DOTALL):
        text = fenced.group(1)
    try:
        reply = AskReply.model_validate(json.loads(text))
    except (ValueError, RecursionError, ValidationError):
        problems = ["the response must be one JSON object with answer, sources and paper_says"]
        if truncated:
            problems.append("the output was cut off before it ended: write much less")
        return AskVerdict(None, problems)
    answer = reply.answer.replace("**", "").strip()
    sources = [s.strip() for s in reply.sources if s.strip()]
    hostile = [f"answer: {p}" for p in hostile_problems(answer)]
    hostile += [f"sources: {p}" for s in sources for p in hostile_problems(s)]
    problems = list(hostile)
    if not answer and reply.paper_says:
        problems.append("answer: empty")
    problems += [f"answer: {p}" for p in degenerate_problems(answer, language)]
    problems += [f"answer: {p}" for p in placeholder_problems(answer)]
    problems += [f"answer: {p}" for p in chatter_problems(answer, language)]
    problems += language_problems({"answer": answer}, language)
    limit = ANSWER_CHARS.get(language, ANSWER_CHARS["en"])
    if len(answer) > limit:
        problems.append(f"answer: {len(answer)} characters, the limit is {limit}")
    if invented := invented_numbers(strip_hostile(answer), given):  # a planted link's digits are not claims
        problems.append(f"answer: the numbers {', '.join(invented[:5])} are not in the paper; "
                        "use only numbers the paper gives")
    if truncated:
        problems.append("the output was cut off before it ended: write much less")
    clean = AskReply(
        answer=strip_hostile(answer),
        # cut, then strip: a cut can turn "evil.comm" (no link) into "evil.com" (a link)
        sources=[c for c in (strip_hostile(s[:SOURCE_CHARS]) for s in sources[:MAX_SOURCES]) if c],
        paper_says=reply.paper_says,
    )
    return AskVerdict(clean, list(dict.fromkeys(problems)), hostile)


def invented_numbers(answer: str, given: str) -> list[str]:
    """Numbers in ``answer`` that appear nowhere in ``given`` (1,000 and 1000, 0.50 and 0.5 match)."""
    known = {_canonical(n) for n in _NUMBER.findall(given)}
    return list(dict.fromkeys(n for n in _NUMBER.findall(answer) if _canonical(n) not in known))


def _canonical(number: str) -> str:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", number):
        number = number.replace(",", "")
    number = number.replace(",", ".")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return number.lstrip("0") or "0"
