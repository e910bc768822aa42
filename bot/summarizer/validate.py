"""Check a model's answer before anyone sees it, and say what is wrong in words.

The reference digests show what slips through when nobody checks: a summary that
turns into 3,000 characters of chatter, "待补充" left in place of links, guessed
affiliations. Every check here returns problems as short sentences, because the one
retry we allow feeds them back to the model in a stricter prompt.

Only cosmetic repairs happen silently (whitespace, bullets, surplus list items,
unverifiable affiliations); anything that changes meaning is a problem.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.models import Paper
from bot.summarizer.affiliations import verified_affiliations
from bot.summarizer.hostile import hostile_problems
from bot.summarizer.scripts import language_problems
from bot.summary_schema import BriefSummary, FullSummary, Kind

__all__ = ["Verdict", "check", "degenerate_problems", "language_problems", "placeholder_problems", "tokens",
           "validate", "verified_affiliations"]

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[A-Za-z][A-Za-z'’-]*|\d+(?:\.\d+)?")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_PUNCT_SPLIT = re.compile(r"[，。！？；：、,.!?;:()（）\[\]【】「」《》\"“”'‘’\n—–~～…·/]+")


@dataclass(frozen=True)
class Limits:
    """Hard caps: the prompt asks for less, so a model within its instructions never trips them."""

    one_line: int
    item: int  # one takeaway
    section: int  # background, past_methods, ... and each conclusion part
    step: int  # one method step
    keyword: int = 60
    affiliation: int = 200
    title: int = 200
    brief_total: int = 1600
    full_total: int = 7500
    takeaways: tuple[int, int] = (3, 7)
    steps: tuple[int, int] = (3, 8)
    keywords: tuple[int, int] = (3, 8)
    max_affiliations: int = 20


LIMITS: dict[str, Limits] = {
    "zh": Limits(one_line=100, item=200, section=600, step=300),
    "en": Limits(one_line=160, item=250, section=900, step=400, brief_total=2200, full_total=10000),
}

# Fill-ins a model writes when it has nothing: the reference digests are full of them
# ("暂未提供", "待补充"). "待定" and "暂无/暂未 …" count only where they end a phrase, so
# "待定系数" and "目前暂无大规模数据集" (a real statement about the field) pass.
_PLACEHOLDERS = re.compile(
    r"待补充|待填写|待完善|待定(?=$|[，。；、：:）)\s])|^\s*(?:未知|不详|无)\s*$"
    rf"|暂[无未](?:[{_CJK}]{{0,8}}?(?:信息|数据|资料|链接|代码|说明|公开|提供|发布|开源|给出|披露))?(?=$|[，。；、：:）)\s])"
    r"|请根据.{0,20}(?:填写|补充|填充)|(?:此处|这里)(?:填写|补充|添加)"
    r"|\bTBD\b|\bTODO\b|\bN/A\b|\bto be (?:added|filled|determined|completed)\b"
    r"|\[\s*(?:\.\.\.|…|insert[^\]]*|TBD)\s*\]|<\s*(?:\.\.\.|…|insert[^>]*)\s*>|\(\s*(?:\.\.\.|…)\s*\)"
    r"|^\s*(?:unknown|none|not available|n/?a|-+|\.\.\.|…)\s*\.?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# The model talking to the reader or about its task instead of about the paper.
_CHATTER = {
    "zh": re.compile(
        r"您|^\s*好的|我将|我会|我们直接|让我|以下是|希望.{0,12}(?:帮助|满意|要求)|感谢|谢谢"
        r"|(?<!\d)～(?!\s*\d)|哈[～~]|哈哈|[呀啦哒噢]|作为(?:一个)?(?:AI|人工智能|语言模型)"
        r"|格式要求|按照?(?:您的|上述|实际的?)(?:细节)?要求|接下来(?:我们|我)(?:展开|将|来)|(?:前文|上文)所述",
        re.MULTILINE,
    ),
    "en": re.compile(
        r"\b(?:I will|I'll|I am|I'm|I hope|[Ll]et me|[Aa]s requested|as an AI|[Ff]eel free|hope this helps)\b"
        r"|(?i:^\s*(?:okay|ok|sure|certainly|here is|here's|here are)\b)",
        re.MULTILINE,
    ),
}
# Claims about who wrote the paper or where they work: facts come from arXiv, not the model.
# "作者为" alone is not one: it usually means "the authors, for …" ("作者为每个输入视频学习…");
# it counts only before an institution, "等人", or a list of Latin names ending the clause.
# Likewise "written by" only with the paper as its subject ("text written by LLMs" is fine).
_NAMES = r"[A-Z][A-Za-z.'-]*(?:\s+[A-Z][A-Za-z.'-]*)+"
_FACT_CLAIMS = re.compile(
    r"作者(?:是|包括|分别是|分别为|来自)(?!否)|作者[:：]|作者单位|作者为[^，。；]{1,20}等人"
    r"|作者为[^，。；]{0,20}(?:大学|学院|研究院|研究所|实验室|公司)(?=的|[，。；、（(\s]|$)"
    rf"|作者为\s*{_NAMES}(?:\s*[和与、,]\s*{_NAMES})*\s*(?=[，,。；;]|等|$)"
    r"|(?:他们|团队)来自[^，。；]{0,24}(?:大学|学院|研究院|研究所|实验室|公司)"
    r"|(?i:\bthe authors? (?:are|is|include|from|work)\b|\bauthors?\s*:"
    r"|\b(?:paper|article|work|study) (?:is |was )?written by\b"
    r"|\b(?:from|at) (?:the )?(?:university|institute) of\b|\baffiliat\w*)",
    re.MULTILINE,
)


@dataclass
class Verdict:
    """The cleaned summary when it passed, and every problem found either way."""

    summary: BriefSummary | None
    problems: list[str] = field(default_factory=list)
    truncated: bool = False
    cosmetic: list[str] = field(default_factory=list)  # those of ``problems`` that alone never cost an answer

    @property
    def ok(self) -> bool:
        return self.summary is not None and not self.problems

    @property
    def usable(self) -> bool:
        """Worth showing when no better answer comes: every problem it has is cosmetic (too few items, say)."""
        return self.summary is not None and all(p in self.cosmetic for p in self.problems)


def tokens(text: str) -> list[str]:
    """Words for Latin text, single characters for CJK (Chinese has no spaces to split on)."""
    return [t.lower() for t in _TOKEN.findall(text)]


def validate(
    raw: str | None,
    *,
    kind: Kind,
    language: str,
    paper: Paper,
    first_page: str | None = None,
    truncated: bool = False,
) -> Verdict:
    """Parse, repair cosmetically and check one model answer.

    ``first_page`` is the PDF's first page text; without it (abstract-only source)
    affiliations are dropped because the model could only have guessed them.
    """
    if raw is None or not raw.strip():
        return Verdict(None, ["the response was empty"])
    text = _strip_fences(raw)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: "[[[[…" nested thousands deep
        problems = [_json_problem(exc)]
        if truncated:
            problems.append("the output was cut off before it ended: write much less")
        return Verdict(None, problems, truncated)
    if not isinstance(data, dict):
        return Verdict(None, ["the response must be one JSON object"])
    model = FullSummary if kind == "full" else BriefSummary
    try:
        summary = model.model_validate(_clean(data))
    except ValidationError as exc:
        return Verdict(None, [_schema_problem(e) for e in exc.errors()[:8]])
    except RecursionError:  # nesting json.loads accepted but _clean or pydantic cannot walk
        return Verdict(None, [_NESTED])
    repaired = _repair(summary, paper=paper, first_page=first_page)
    problems = check(repaired, language=language, paper=paper, first_page=first_page, answered=summary)
    cosmetic = _count_problems(summary, LIMITS.get(language, LIMITS["en"]), cosmetic=True)
    if truncated:
        problems.append("the output was cut off before it ended: write much less")
    return Verdict(repaired, problems, truncated, cosmetic)


def check(
    summary: BriefSummary, *, language: str, paper: Paper, first_page: str | None = None,
    answered: BriefSummary | None = None,
) -> list[str]:
    """Every content problem in an already-parsed summary.

    ``answered`` is the model's answer before :func:`_repair`: item counts are judged on
    it (duplicates repair removed are not the model's shortfall), and so are links,
    mentions, degenerate text and chatter, which count even in a field repair throws
    away (an unverifiable affiliation, a surplus item), since they say the whole answer
    is not to be trusted.
    """
    limits = LIMITS.get(language, LIMITS["en"])
    problems: list[str] = []
    fields = dict(_fields(summary))
    answered = answered or summary
    for name, value in _fields(answered):
        problems += [f"{name}: {p}" for p in hostile_problems(value)]
        problems += [f"{name}: {p}" for p in degenerate_problems(value, language)]
        problems += [f"{name}: {p}" for p in chatter_problems(value, language)]
    problems += _count_problems(answered, limits)
    problems += _length_problems(fields, limits, language)
    total = sum(len(v) for v in fields.values())
    budget = limits.full_total if isinstance(summary, FullSummary) else limits.brief_total
    if total > budget:
        problems.append(f"the whole answer is {total} characters; keep it under {budget}")
    for name, value in fields.items():
        problems += [f"{name}: {p}" for p in placeholder_problems(value)]  # keywords are shown too
        if name.startswith(("keywords", "affiliations")):
            continue
        if claim := _FACT_CLAIMS.search(value):
            problems.append(f"{name}: do not state who the authors are or where they work "
                            f"(“{claim.group(0).strip()}”); describe only the paper")
    problems += language_problems(fields, language)
    return list(dict.fromkeys(problems))


def degenerate_problems(text: str, language: str = "zh") -> list[str]:
    """Signs of a model stuck in a loop or rambling: repeats, tiny vocabulary, run-on text, sheer length."""
    problems: list[str] = []
    toks = tokens(text)
    n = len(toks)
    if n >= 40:
        head = toks[:200]
        if len(set(head)) / len(head) < 0.3:
            problems.append("the text repeats the same few words (degenerate output)")
    size = 4 if _CJK_CHAR.search(text) else 3
    if n >= 3 * size:
        grams = Counter(tuple(toks[i : i + size]) for i in range(n - size + 1))
        gram, count = grams.most_common(1)[0]
        covered = sum(c for c in grams.values() if c > 1) / max(1, n - size + 1)
        if (count >= 5 and count * size >= 0.25 * n) or (n >= 60 and covered > 0.5):
            problems.append(f"the text repeats itself (“{''.join(gram) if size == 4 else ' '.join(gram)}” ×{count})")
    longest_run = max((_run_length(part) for part in _PUNCT_SPLIT.split(text)), default=0)
    if longest_run > 120:
        problems.append(f"a run of {longest_run} characters has no punctuation (rambling)")
    limit = LIMITS.get(language, LIMITS["en"]).section
    if len(text) > 3 * limit:
        problems.append(f"the text is {len(text)} characters, far beyond any field's budget (rambling)")
    return problems


def placeholder_problems(text: str) -> list[str]:
    found = [m.group(0).strip() for m in _PLACEHOLDERS.finditer(text)]
    found = [f for f in found if f]
    return [f"contains a placeholder (“{f}”); write the content or leave the item out" for f in found[:1]]


def chatter_problems(text: str, language: str) -> list[str]:
    pattern = _CHATTER.get(language, _CHATTER["en"])
    match = pattern.search(text) or (None if language == "en" else _CHATTER["en"].search(text))
    if match:
        return [f"talks to the reader or about the task (“{match.group(0).strip()}”); write only about the paper"]
    return []


def _fields(summary: BriefSummary) -> Iterable[tuple[str, str]]:
    yield "one_line", summary.one_line
    for i, item in enumerate(summary.takeaways):
        yield f"takeaways[{i}]", item
    if isinstance(summary, FullSummary):
        yield "title_translated", summary.title_translated
        for i, item in enumerate(summary.keywords):
            yield f"keywords[{i}]", item
        for i, item in enumerate(summary.affiliations):
            yield f"affiliations[{i}]", item
        for name in ("background", "past_methods", "proposed_method", "task_and_performance"):
            yield name, getattr(summary, name)
        for i, item in enumerate(summary.method_steps):
            yield f"method_steps[{i}]", item
        for name, value in summary.conclusion.model_dump().items():
            yield f"conclusion.{name}", value


def _count_problems(summary: BriefSummary, limits: Limits, *, cosmetic: bool = False) -> list[str]:
    """Lists shorter than asked. Only an empty list is more than cosmetic: a short one still reads well."""
    problems = []
    counts = [("takeaways", summary.takeaways, limits.takeaways)]
    if isinstance(summary, FullSummary):
        counts += [
            ("method_steps", summary.method_steps, limits.steps),
            ("keywords", summary.keywords, limits.keywords),
        ]
    for name, items, (low, _high) in counts:
        given = sum(1 for item in items if item.strip())
        if given < low and not (cosmetic and given == 0):
            problems.append(f"{name}: {given} items; give at least {low}")
    return problems


def _length_problems(fields: dict[str, str], limits: Limits, language: str) -> list[str]:
    unit = "characters"
    problems = []
    for name, value in fields.items():
        base = name.split("[")[0].split(".")[0]
        cap = {
            "one_line": limits.one_line, "takeaways": limits.item, "method_steps": limits.step,
            "keywords": limits.keyword, "affiliations": limits.affiliation, "title_translated": limits.title,
        }.get(base, limits.section)
        if not value.strip():
            problems.append(f"{name}: empty")
        elif len(value) > cap:
            problems.append(f"{name}: {len(value)} {unit}, the limit is {cap}")
    return problems


def _repair(summary: BriefSummary, *, paper: Paper, first_page: str | None) -> BriefSummary:
    """Silent, meaning-preserving fixes: surplus items trimmed, duplicates and unverifiable affiliations dropped."""
    limits = LIMITS["en"]
    update: dict[str, object] = {"takeaways": _unique(summary.takeaways)[: limits.takeaways[1]]}
    if isinstance(summary, FullSummary):
        update["method_steps"] = _unique(summary.method_steps)[: limits.steps[1]]
        update["keywords"] = _unique(summary.keywords)[: limits.keywords[1]]
        update["affiliations"] = verified_affiliations(summary.affiliations, first_page)[: limits.max_affiliations]
    return summary.model_copy(update=update)


def _clean(value: object) -> object:
    """Strip whitespace, markdown emphasis and list bullets the model adds out of habit."""
    if isinstance(value, str):
        value = value.replace("**", "").replace("__", "").strip()
        return re.sub(r"^(?:[-*•·]\s+|\(?\d{1,2}\)\s*|（\d{1,2}）\s*|\d{1,2}[、）]\s*|\d{1,2}\.\s+)", "", value)
    if isinstance(value, list):
        return [c for c in (_clean(v) for v in value) if c != ""]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = _squash(item)
        if item.strip() and key not in seen:
            seen.add(key)
            out.append(item.strip())
    return out


def _squash(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _run_length(part: str) -> int:
    """Length of an unpunctuated stretch: CJK characters count one each, Latin words two."""
    return len(_CJK_CHAR.findall(part)) + 2 * len(_LATIN_WORD.findall(part))


def _strip_fences(raw: str) -> str:
    text = raw.strip()
    match = re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, re.DOTALL)
    return match.group(1) if match else text


_NESTED = "the response is nested too deeply; answer with one flat JSON object"


def _json_problem(exc: ValueError | RecursionError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"the response is not valid JSON ({exc.msg} at character {exc.pos})"
    if isinstance(exc, RecursionError):
        return _NESTED
    return f"the response is not valid JSON ({exc})"


def _schema_problem(error: ErrorDetails) -> str:
    loc = ".".join(str(p) for p in error.get("loc", ()))
    msg = str(error.get("msg", "invalid"))
    if error.get("type") == "missing":
        return f"{loc}: required field is missing"
    return f"{loc or 'response'}: {msg}"
