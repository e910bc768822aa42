"""The passages of a paper that answer a question, within a model's window.

A model that cannot read PDFs gets text, and a whole paper rarely fits a small
model's window (and costs tokens on every follow-up when it does). So the pages are
cut into overlapping passages labelled with their page, scored against the question by
TF-IDF (the vectorizer ranking uses, :mod:`bot.topics.relevance`) or, when an
embedding model is configured, by cosine similarity, and the best passages are kept in
document order until the budget is used (the abstract is in the prompt anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PASSAGE_CHARS = 1500
OVERLAP_CHARS = 200
GAP = "\n[…]\n"


@dataclass(frozen=True)
class Passage:
    page: int  # 1-based
    text: str

    def labelled(self) -> str:
        return f"[p. {self.page}] {self.text}"


def passages(pages: Sequence[str], size: int = PASSAGE_CHARS, overlap: int = OVERLAP_CHARS) -> list[Passage]:
    """Each page cut at whitespace into pieces of about ``size`` characters that overlap a little."""
    out: list[Passage] = []
    step = max(1, size - overlap)
    for number, page in enumerate(pages, start=1):
        text = " ".join(page.split())
        start = 0
        while start < len(text):
            end = min(len(text), start + size)
            if end < len(text) and (cut := text.rfind(" ", start + step // 2, end)) > start:
                end = cut
            out.append(Passage(number, text[start:end].strip()))
            if end >= len(text):
                break
            start = max(start + 1, end - overlap)
    return [p for p in out if p.text]


def tfidf_scores(question: str, chosen: Sequence[Passage]) -> list[float]:
    """Cosine similarity of each passage to the question in a TF-IDF space fitted on the passages."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [p.text for p in chosen]
    for stop_words in ("english", None):  # a question of stop words only still ranks by what it has
        vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words=stop_words, ngram_range=(1, 2),
                                     token_pattern=r"(?u)\b\w+\b", dtype=np.float32)
        try:
            matrix = vectorizer.fit_transform([*texts, question])
        except ValueError:
            continue
        scores = (matrix[: len(texts)] @ matrix[len(texts)].T).toarray().ravel()
        if scores.any():
            return [float(s) for s in scores]
    return [0.0] * len(texts)


def vector_scores(question: list[float], chosen: Sequence[list[float]]) -> list[float]:
    import numpy as np  # loaded on first use, as ranking does: most commands never need it

    q = np.asarray(question, dtype=np.float32)
    q /= np.linalg.norm(q) or 1.0
    m = np.asarray(chosen, dtype=np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True).clip(min=1e-9)
    return [float(s) for s in m @ q]


def select(chosen: Sequence[Passage], scores: Sequence[float], budget_chars: int) -> str:
    """The best-scoring passages within ``budget_chars`` (the best one always), in document order."""
    if not chosen:
        return ""
    keep: set[int] = set()
    used = 0
    for index in sorted(range(len(chosen)), key=lambda i: (-scores[i], i)):
        cost = len(chosen[index].labelled()) + len(GAP)
        if keep and used + cost > budget_chars:
            continue
        keep.add(index)
        used += cost
    parts: list[str] = []
    previous = -1
    for index in sorted(keep):
        if parts:
            parts.append("\n\n" if index == previous + 1 else GAP)
        parts.append(chosen[index].labelled())
        previous = index
    return "".join(parts)
