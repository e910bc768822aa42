"""A summary with no model at all: the abstract's own most telling sentences.

Used when no model is configured and whenever a model answer cannot be used. It
never invents a word, and in Chinese chats it still shows the English sentences:
a label says so instead of pretending to translate.
"""

from __future__ import annotations

import re
from typing import Literal

from bot.i18n import t
from bot.models import Paper
from bot.summary_schema import BriefSummary

FallbackReason = Literal["no_model", "rejected", "budget", "quota", "timeout", "rate_limited", "blocked",
                         "unavailable"]


ONE_LINE_MAX = 200
_STOP = frozenset(
    [
        "a", "an", "the", "of", "for", "and", "or", "in", "on", "to", "with", "from", "by", "via", "using", "is",
        "are", "be", "we", "our", "this", "that", "these", "those", "its", "it", "as", "at", "into", "towards",
        "toward", "based", "new", "approach", "method", "methods", "paper", "study", "learning", "model", "models",
        "network", "networks",
    ]
)
_CUES = re.compile(
    r"\b(?:we (?:propose|present|introduce|develop|show|demonstrate|find)|this paper|in this (?:work|paper)"
    r"|our (?:method|approach|model|framework|results)|outperform\w*|state-of-the-art|achiev\w*|improv\w*"
    r"|significantly|experiments? (?:show|demonstrate))\b",
    re.IGNORECASE,
)
_ABBREV = re.compile(
    r"\b(?:e\.g|i\.e|et al|etc|vs|cf|Fig|Figs|Eq|Eqs|Sec|approx|resp|w\.r\.t|No|Vol|pp|Dr|Prof|Inc|Ltd"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$",
    re.IGNORECASE,
)
_CONNECTIVE = re.compile(r"^(?:To this end|In this (?:paper|work|study)|Here|Therefore|Thus|Hence|Specifically),\s+")


def label(reason: FallbackReason, language: str) -> str:
    """The label shown above an extractive summary; the English one is a fixed, greppable phrase."""
    return t(language, "extractive_label", reason=t(language, f"fallback_{reason}"))


def extract(paper: Paper, max_takeaways: int = 5) -> BriefSummary:
    """One line plus 3–5 takeaways, all verbatim (cleaned of LaTeX) from the abstract."""
    sentences = split_sentences(clean_latex(paper.abstract))
    if not sentences:
        fallback = clean_latex(paper.title) or paper.id
        return BriefSummary(one_line=_clip(fallback, ONE_LINE_MAX), takeaways=[])
    title_words = _content_words(paper.title)
    scores = [_score(s, i, len(sentences), title_words) for i, s in enumerate(sentences)]
    lead = _lead_sentence(sentences, scores)
    rest = [i for i in range(len(sentences)) if i != lead]
    wanted = min(max_takeaways, max(3, len(rest) // 2)) if len(rest) >= 3 else len(rest)
    chosen = sorted(sorted(rest, key=lambda i: -scores[i])[:wanted])
    one_line = _CONNECTIVE.sub("", sentences[lead])
    return BriefSummary(
        one_line=_clip(one_line[:1].upper() + one_line[1:], ONE_LINE_MAX),
        takeaways=[_clip(sentences[i], 300) for i in chosen],
    )


def split_sentences(text: str) -> list[str]:
    """Sentence split that survives "e.g.", "et al.", decimals and version numbers."""
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])", " ".join(text.split()))
    sentences: list[str] = []
    for part in parts:
        if sentences and _ABBREV.search(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {part}"
        else:
            sentences.append(part)
    return [s.strip() for s in sentences if len(s.strip()) > 15]


def clean_latex(text: str) -> str:
    """arXiv abstracts are LaTeX source: turn the common commands into plain text."""
    text = re.sub(r"\\(?:url|href)\{([^}]*)\}(?:\{[^}]*\})?", r"\1", text)
    text = re.sub(r"\\(?:textbf|textit|emph|mathrm|mathbf|text|texttt)\{([^}]*)\}", r"\1", text)
    replacements = {r"\times": "×", r"\sim": "~", r"\approx": "≈", r"\%": "%", r"\&": "&", r"\leq": "≤",
                    r"\geq": "≥", r"\pm": "±", "~": " ", "``": "\"", "''": "\""}
    for old, new in replacements.items():
        text = text.replace(old, new)
    text = re.sub(r"\$([^$]*)\$", r"\1", text)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)
    text = text.replace("{", "").replace("}", "")
    return " ".join(text.split())


def _score(sentence: str, index: int, total: int, title_words: set[str]) -> float:
    words = _content_words(sentence)
    overlap = len(words & title_words) / max(1, len(title_words))
    position = 1.0 if index == 0 else 0.6 if index == total - 1 else 0.5 - 0.3 * index / max(1, total)
    cues = min(2, len(_CUES.findall(sentence))) * 0.35
    length = -0.5 if len(sentence) < 40 or len(sentence) > 400 else 0.0
    return position + 1.5 * overlap + cues + length


def _lead_sentence(sentences: list[str], scores: list[float]) -> int:
    """The sentence saying what the paper does: an early "we propose" beats a scene-setting opener."""
    for i, sentence in enumerate(sentences[:4]):
        if re.search(r"\b(?:we (?:propose|present|introduce)|this paper (?:proposes|presents|introduces))\b",
                     sentence, re.IGNORECASE):
            return i
    return max(range(min(3, len(sentences))), key=lambda i: scores[i])


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z0-9-]+", text.lower()) if w not in _STOP and len(w) > 2}


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{cut}…"
