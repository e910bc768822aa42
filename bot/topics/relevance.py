"""How relevant a paper is to one audience: keyword evidence, then what the audience taught by its taps.

An audience (a chat's subscription, or one person's digest) starts with the topic's
keyword ranking: each distinct term counted once, the longest match winning, a title
term worth ten abstract terms. That order is kept exactly while the audience has given
no feedback, so a new chat never gets a worse digest than keywords alone would give.

Each 👍/👎 trains a linear model on TF-IDF features of title and abstract (as
arxiv-sanity-lite does): the liked papers and the topic's own description and terms
are positives, the disliked papers and, lightly, the rest of the day's candidates are
negatives. The learned score then reorders the keyword matches. A model is kept as
term weights, which is what ``/prefs`` shows and what lets one model score another
day's papers in that day's vocabulary.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from bot.models import Paper, Topic
from bot.topics.matcher import compiled, score

if TYPE_CHECKING:  # numpy, scipy and scikit-learn load on first use: most commands never rank (~1 s, ~100 MB)
    import numpy as np
    from scipy import sparse

__all__ = ["Model", "Reason", "Scored", "TextSpace", "Vote", "author_key", "keyword_reason", "learn", "rank"]

KEPT_TERMS = 400  # strongest weights a model keeps: enough to rank, small enough for 10,000 audiences
PRIOR_WEIGHT = 2.0  # the topic's own words count as this many liked papers
BACKGROUND_WEIGHT = 0.1  # each unlabeled candidate is a faint negative, so likes alone can train
KEYWORD_WEIGHT = 0.3  # how much the keyword evidence still counts once an audience has taught the model
CLOSE_ENOUGH = 0.2  # cosine similarity above which "close to <liked title>" is a fair reason
PINNED = 1e6  # a followed author's paper comes first, whatever the keywords


@dataclass(frozen=True)
class Vote:
    paper: Paper
    value: int  # 1: 👍, 0: 👎


@dataclass(frozen=True)
class Reason:
    """One short reason a paper is in a digest."""

    kind: Literal["terms", "close", "author", "none"]
    detail: str = ""


@dataclass(frozen=True)
class Scored:
    paper: Paper
    score: float
    reason: Reason


def _text(paper: Paper) -> str:
    return f"{paper.title}. {paper.title}. {paper.abstract}"  # the title says what a paper is about


class TextSpace:
    """TF-IDF vectors of one set of papers (a day's candidates and the papers voted on)."""

    def __init__(self, papers: Iterable[Paper], extra_texts: Sequence[str] = ()) -> None:
        import numpy as np
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.papers = list({p.id: p for p in papers}.values())
        self._index = {p.id: i for i, p in enumerate(self.papers)}
        self.vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", ngram_range=(1, 2),
                                          min_df=1, max_df=0.5 if len(self.papers) > 20 else 1.0,
                                          dtype=np.float32)
        corpus = [_text(p) for p in self.papers] + list(extra_texts)
        if not corpus:
            corpus = [""]
        try:
            matrix = self.vectorizer.fit_transform(corpus)
        except ValueError:  # every word is a stop word, or no text at all
            self.vectorizer = TfidfVectorizer(dtype=np.float32, token_pattern=r"(?u)\b\w+\b")
            matrix = self.vectorizer.fit_transform([*corpus, "paper"])[: len(corpus)]
        self.matrix = sparse.csr_matrix(matrix[: len(self.papers)])
        self.terms = self.vectorizer.get_feature_names_out()
        self._columns = {str(term): i for i, term in enumerate(self.terms)}

    def rows(self, papers: Sequence[Paper]) -> sparse.csr_matrix:
        """Vectors of ``papers``; papers outside the space are vectorized in its vocabulary."""
        from scipy import sparse

        known = [self._index.get(p.id) for p in papers]
        if all(i is not None for i in known):
            return sparse.csr_matrix(self.matrix[known])
        return sparse.csr_matrix(self.vectorizer.transform([_text(p) for p in papers]))

    def weights(self, models: Sequence[Model]) -> sparse.csc_matrix:
        """One column of term weights per model, in this space's vocabulary (unknown terms drop out)."""
        import numpy as np
        from scipy import sparse

        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        columns = self._columns
        for j, model in enumerate(models):
            for term, weight in model.weights.items():
                i = columns.get(term)
                if i is not None:
                    rows.append(i)
                    cols.append(j)
                    vals.append(weight)
        return sparse.csc_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)),
                                 shape=(len(self.terms), len(models)))


@dataclass
class Model:
    """What one audience's votes taught: term weights (positive: wanted) and the liked papers."""

    weights: dict[str, float] = field(default_factory=dict)
    liked: tuple[Paper, ...] = ()

    def strongest(self, n: int = 5) -> tuple[list[str], list[str]]:
        """The ``n`` most wanted and most unwanted terms, for /prefs."""
        ordered = sorted(self.weights.items(), key=lambda kv: kv[1])
        positive = [t for t, w in reversed(ordered) if w > 0][:n]
        negative = [t for t, w in ordered if w < 0][:n]
        return positive, negative


def prior_text(topic: Topic) -> str:
    """The topic's own words: its description and its positive terms."""
    terms = compiled(topic.expression).positive_terms() if topic.expression else []
    return " ".join([topic.title, topic.description, *terms])


def learn(topic: Topic, votes: Sequence[Vote], space: TextSpace) -> Model | None:
    """A model from ``votes``, or None when there are none (the keyword ranking then stands).

    The space's own papers are the background: faint negatives, so an audience that only
    ever liked papers still has something to tell them apart from.
    """
    if not votes:
        return None
    import numpy as np
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    voted = [v.paper for v in votes]
    prior = space.vectorizer.transform([prior_text(topic)])
    background = space.matrix
    x = sparse.vstack([space.rows(voted), prior, background]).tocsr()
    y = np.concatenate([[v.value for v in votes], [1], np.zeros(background.shape[0])]).astype(int)
    w = np.concatenate([np.ones(len(votes)), [PRIOR_WEIGHT], np.full(background.shape[0], BACKGROUND_WEIGHT)])
    voted_ids = {p.id for p in voted}
    for i, p in enumerate(space.papers):  # a voted paper is not also background
        if p.id in voted_ids:
            w[len(votes) + 1 + i] = 0.0
    liked = tuple(v.paper for v in votes if v.value == 1)
    if not (y[w > 0] == 0).any():  # only likes and nothing else to compare with: their own strongest words
        centroid = np.asarray(space.rows(liked).mean(axis=0)).ravel()
        keep = np.argsort(-centroid)[:KEPT_TERMS]
        return Model({str(space.terms[i]): float(centroid[i]) for i in keep if centroid[i] > 0}, liked)
    classifier = LogisticRegression(C=10.0, max_iter=200, class_weight="balanced")
    classifier.fit(x, y, sample_weight=w)
    coef = classifier.coef_[0]
    keep = np.argsort(-np.abs(coef))[:KEPT_TERMS]
    weights = {str(space.terms[i]): float(coef[i]) for i in keep if coef[i] != 0}
    return Model(weights, liked)


def author_key(name: str) -> str:
    """Accent- and case-insensitive form of an author name: "Zoë  Müller" -> "zoe muller"."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return " ".join(plain.casefold().replace(".", ". ").split())


def keyword_reason(topic: Topic, paper: Paper) -> Reason:
    if not topic.expression:
        return Reason("none")
    in_title, in_abstract = compiled(topic.expression).evidence(paper.title, paper.abstract)
    labels = list(dict.fromkeys(t.label for t in (*in_title, *in_abstract)))
    return Reason("terms", ", ".join(labels[:3])) if labels else Reason("none")


def _timestamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else float("-inf")


def rank(topic: Topic, papers: Sequence[Paper], votes: Sequence[Vote] = (),
         followed: Iterable[str] = (), *, space: TextSpace | None = None,
         model: Model | None = None, dense: Mapping[str, np.ndarray] | None = None,
         matched: Sequence[Scored] | None = None) -> list[Scored]:
    """``papers`` that belong to ``topic``, best first for this audience, each with its reason.

    Without votes the order is the keyword order exactly (ties: newer, then lower id).
    A followed author's paper is pinned first even when no keyword matches it. ``dense``
    (unit embeddings by paper id) joins the TF-IDF model when it covers every paper.
    ``matched`` are papers already chosen and keyword-scored elsewhere (a person's filters);
    their scores and reasons then stand in for ``topic``'s.
    """
    given = {s.paper.id: s for s in matched} if matched is not None else None
    authors = {author_key(a) for a in followed}
    keyword: list[float] = []
    kept: list[Paper] = []
    pinned: dict[str, str] = {}
    for p in papers:
        by = next((a for a in p.authors if author_key(a) in authors), None) if authors else None
        s = score(topic, p) if given is None else given[p.id].score if p.id in given else None
        if s is None and by is None:
            continue
        kept.append(p)
        keyword.append(s or 0.0)
        if by is not None:
            pinned[p.id] = by
    if not kept:
        return []
    import numpy as np

    scores = np.asarray(keyword, dtype=np.float64)
    close: list[str | None] = [None] * len(kept)
    if votes or model is not None:
        space = space or TextSpace([*kept, *(v.paper for v in votes)])
        model = model or learn(topic, votes, space)
    if model is not None and space is not None:
        rows = space.rows(kept)
        learned = np.asarray((rows @ space.weights([model])).todense()).ravel()
        spread = learned.std() or 1.0
        scores = KEYWORD_WEIGHT * scores / (scores.max() or 1.0) + (learned - learned.mean()) / spread
        if model.liked:
            similarity = (rows @ space.rows(model.liked).T).toarray()
            best = similarity.argmax(axis=1)
            for i, j in enumerate(best):
                if similarity[i, j] >= CLOSE_ENOUGH and kept[i].id != model.liked[j].id:
                    close[i] = model.liked[j].title
    if votes and dense and all(p.id in dense for p in (*kept, *(v.paper for v in votes))):
        near = _dense_scores(kept, votes, dense)
        scores = scores + (near - near.mean()) / (near.std() or 1.0)
    result = []
    for i, p in enumerate(kept):
        if p.id in pinned:
            result.append(Scored(p, PINNED + float(scores[i]), Reason("author", pinned[p.id])))
        elif close[i] is not None:
            result.append(Scored(p, float(scores[i]), Reason("close", close[i] or "")))
        else:
            why = given[p.id].reason if given is not None and p.id in given else keyword_reason(topic, p)
            result.append(Scored(p, float(scores[i]), why))
    result.sort(key=lambda s: (-s.score, -_timestamp(s.paper.published), -_timestamp(s.paper.updated), s.paper.id))
    return result


def _dense_scores(papers: Sequence[Paper], votes: Sequence[Vote], dense: Mapping[str, np.ndarray]) -> np.ndarray:
    """Rocchio in embedding space: closeness to the liked papers minus closeness to the disliked."""
    import numpy as np

    liked = [dense[v.paper.id] for v in votes if v.value == 1]
    disliked = [dense[v.paper.id] for v in votes if v.value == 0]
    direction = (np.mean(liked, axis=0) if liked else 0.0) - (np.mean(disliked, axis=0) if disliked else 0.0)
    return np.asarray(np.stack([dense[p.id] for p in papers]) @ direction, dtype=np.float64)
