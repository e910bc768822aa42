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
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from bot.models import Paper, Topic
from bot.topics.matcher import compiled, score

if TYPE_CHECKING:  # numpy, scipy and scikit-learn load on first use: most commands never rank (~1 s, ~100 MB)
    import numpy as np
    from scipy import sparse

__all__ = ["Candidates", "Model", "Reason", "Scored", "TextSpace", "Vote", "author_key", "keyword_reason", "learn",
           "rank", "also_relevant", "term_keys", "top_for_many"]

KEPT_TERMS = 400  # strongest weights a model keeps: enough to rank, small enough for 10,000 audiences
PRIOR_WEIGHT = 2.0  # the topic's own words count as this many liked papers
INVERSE_REGULARIZATION = 10.0  # scikit-learn's C: how closely the weights may fit the votes
BACKGROUND_WEIGHT = 0.1  # each unlabeled candidate is a faint negative, so likes alone can train
KEYWORD_WEIGHT = 0.3  # how much the keyword evidence still counts once an audience has taught the model
CLOSE_ENOUGH = 0.2  # cosine similarity above which "close to <liked title>" is a fair reason
PINNED = 1e6  # a followed author's paper comes first, whatever the keywords
SHOWN_TERMS = 10  # strongest terms of each sign a model keeps in words, for /prefs
ALSO_RELEVANT = 3  # at most this many "also relevant" papers join a digest when a chat turns them on
AUDIENCE_BATCH = 500  # audiences scored at once by top_for_many: bounds the papers × audiences block
OUTSIDE_KEPT = 20_000  # vectors of other days' voted papers a day's space keeps (about 1 kB each)


@dataclass(frozen=True)
class Vote:
    paper: Paper
    value: int  # 1: 👍, 0: 👎


@dataclass(frozen=True)
class Reason:
    """One short reason a paper is in a digest."""

    kind: Literal["terms", "close", "author", "also", "none"]
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
        self._lookup: tuple[np.ndarray, np.ndarray] | None = None
        self._outside: dict[str, sparse.csr_matrix] = {}  # vectors of voted papers from other days

    def rows(self, papers: Sequence[Paper]) -> sparse.csr_matrix:
        """Vectors of ``papers``; papers outside the space are vectorized in its vocabulary, once.

        Every audience's liked papers are looked up at every digest, and vectorizing them
        again each time was most of the cost of ranking one audience.
        """
        from scipy import sparse
        known = [self._index.get(p.id) for p in papers]
        if all(i is not None for i in known):
            if known == list(range(len(self.papers))):
                return self.matrix
            return sparse.csr_matrix(self.matrix[known])
        missing = list({p.id: p for p in papers if p.id not in self._index and p.id not in self._outside}.values())
        if missing:
            if len(self._outside) > OUTSIDE_KEPT:
                self._outside.clear()
            vectors = sparse.csr_matrix(self.vectorizer.transform([_text(p) for p in missing]))
            self._outside.update((p.id, vectors[i]) for i, p in enumerate(missing))
        return sparse.csr_matrix(sparse.vstack([self.matrix[i] if i is not None else self._outside[p.id]
                                                for i, p in zip(known, papers, strict=True)]))

    def vector(self, model: Model) -> np.ndarray:
        """The model's term weights as one dense vector over this space's vocabulary (unknown terms drop out)."""
        import numpy as np
        column = self.weights([model])
        dense = np.zeros(len(self.terms), dtype=np.float32)
        dense[column.indices] = column.data
        return dense

    def weights(self, models: Sequence[Model]) -> sparse.csc_matrix:
        """One column of term weights per model, in this space's vocabulary (unknown terms drop out)."""
        import numpy as np
        from scipy import sparse
        if self._lookup is None:  # the vocabulary's term keys, sorted, and the column each one is
            keys = term_keys(self.terms)
            order = np.argsort(keys)
            self._lookup = keys[order], order.astype(np.int32)
        known, column = self._lookup
        shape = (len(self.terms), len(models))
        if not models or not len(known):
            return sparse.csc_matrix(shape, dtype=np.float32)
        keys = np.concatenate([m.keys for m in models])
        values = np.concatenate([m.values for m in models])
        owner = np.repeat(np.arange(len(models), dtype=np.int32), [len(m.keys) for m in models])
        at = np.minimum(np.searchsorted(known, keys), len(known) - 1)
        hit = known[at] == keys
        return sparse.csc_matrix((values[hit], (column[at[hit]], owner[hit])), shape=shape, dtype=np.float32)


def term_keys(terms: Iterable[str]) -> np.ndarray:
    """64-bit keys of terms, the same in every process, so a model holds numbers, not strings.

    10,000 audiences' models of 400 terms each would hold 4 million small strings and
    floats (about 40 kB a model); two arrays hold them in under 5 kB. Two distinct terms
    sharing a key is about as likely as one in 10^9 per vocabulary.
    """
    import numpy as np
    from sklearn.utils import murmurhash3_32
    return np.fromiter(((murmurhash3_32(t, 0, True) << 32) | murmurhash3_32(t, 1, True) for t in terms),
                       dtype=np.uint64)


@dataclass(frozen=True, eq=False)
class Model:
    """What one audience's votes taught: term weights (positive: wanted) and the liked papers.

    Weights are kept as term keys and float32 values (see :func:`term_keys`); only the
    strongest few terms are also kept in words, for ``/prefs``.
    """

    keys: np.ndarray
    values: np.ndarray
    liked: tuple[Paper, ...] = ()
    words: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(cls, weights: Mapping[str, float], liked: Sequence[Paper] = ()) -> Model:
        import numpy as np
        ordered = sorted(weights.items(), key=lambda kv: kv[1])
        shown = [*(kv for kv in ordered[:SHOWN_TERMS] if kv[1] < 0),
                 *(kv for kv in ordered[-SHOWN_TERMS:] if kv[1] > 0)]
        return cls(term_keys(weights), np.fromiter(weights.values(), dtype=np.float32, count=len(weights)),
                   tuple(liked), tuple(shown))

    def strongest(self, n: int = 5) -> tuple[list[str], list[str]]:
        """The ``n`` (at most :data:`SHOWN_TERMS`) most wanted and most unwanted terms, for /prefs."""
        ordered = sorted(self.words, key=lambda kv: kv[1])
        positive = [t for t, w in reversed(ordered) if w > 0][:n]
        negative = [t for t, w in ordered if w < 0][:n]
        return positive, negative


def top_for_many(space: TextSpace, models: Sequence[Model], k: int = 10,
                 batch: int = AUDIENCE_BATCH) -> np.ndarray:
    """Each model's ``k`` best papers of ``space`` (row indices, best first), one row per model.

    Audiences are scored ``batch`` at a time, so memory is bounded by one papers × batch
    block, never the whole papers × audiences matrix (1,000 × 10,000 is 40 MB dense and
    more as sparse products and sorts).
    """
    import numpy as np
    k = min(k, space.matrix.shape[0])
    best = np.empty((len(models), k), dtype=np.int32)
    for start in range(0, len(models), batch):
        scores = (space.matrix @ space.weights(models[start:start + batch])).toarray().T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < scores.shape[1] else np.tile(
            np.arange(scores.shape[1]), (scores.shape[0], 1))
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
        best[start:start + len(scores)] = np.take_along_axis(top, order, axis=1)
    return best


def prior_text(topic: Topic) -> str:
    """The topic's own words: its description and its positive terms."""
    terms = compiled(topic.expression).positive_terms() if topic.expression else []
    return " ".join([topic.title, topic.description, *terms])


def learn(topic: Topic, votes: Sequence[Vote], space: TextSpace) -> Model | None:
    """A model from ``votes``, or None when there are none (the keyword ranking then stands).

    The space's own papers are the background: faint negatives, so an audience that only
    ever liked papers still has something to tell them apart from.
    """
    import numpy as np
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression
    if not votes:
        return None
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
        return Model.of({str(space.terms[i]): float(centroid[i]) for i in keep if centroid[i] > 0}, liked)
    classifier = LogisticRegression(C=INVERSE_REGULARIZATION, max_iter=200, class_weight="balanced")
    classifier.fit(x, y, sample_weight=w)
    coef = classifier.coef_[0]
    keep = np.argsort(-np.abs(coef))[:KEPT_TERMS]
    weights = {str(space.terms[i]): float(coef[i]) for i in keep if coef[i] != 0}
    return Model.of(weights, liked)


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


class Candidates:
    """One topic's candidates on one day, worked out once and shared by every audience that reads them.

    The keyword scores, the reasons and the TF-IDF space of the matches are the same for
    every chat subscribed to the topic; only the model differs. Computing them per chat
    (about 100 ms of matching and 60 ms of vectorizing a day) is what made a fan-out to
    10,000 voting chats cost minutes. The space holds the matches only: voted papers
    from other days are vectorized in its vocabulary (:meth:`TextSpace.rows`).
    ``matched``: keyword scores and reasons chosen elsewhere (a person's filters).
    """

    def __init__(self, topic: Topic, papers: Sequence[Paper], matched: Sequence[Scored] | None = None) -> None:
        import numpy as np
        self.topic = topic
        self.papers = list(papers)
        given = {s.paper.id: s for s in matched} if matched is not None else None
        self._given = given
        self.scores: dict[str, float] = {}
        for p in self.papers:
            s = score(topic, p) if given is None else given[p.id].score if p.id in given else None
            if s is not None:
                self.scores[p.id] = s
        self._reasons: dict[str, Reason] = {}
        self._space: TextSpace | None = None
        self.matches = [p for p in self.papers if p.id in self.scores]
        self.keyword = np.asarray([self.scores[p.id] for p in self.matches], dtype=np.float64)
        self._tiebreak: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def tiebreak(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per match: published and updated times and the id's rank, the ties' order (newer, then lower id)."""
        if self._tiebreak is None:
            self._tiebreak = _tiebreak(self.matches)
        return self._tiebreak

    @property
    def space(self) -> TextSpace:
        if self._space is None:
            self._space = TextSpace(self.matches)
        return self._space

    def reason(self, paper: Paper) -> Reason:
        if paper.id not in self._reasons:
            given = self._given
            self._reasons[paper.id] = (given[paper.id].reason if given is not None and paper.id in given
                                       else keyword_reason(self.topic, paper))
        return self._reasons[paper.id]


def _timestamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else float("-inf")


def rank(topic: Topic, papers: Sequence[Paper], votes: Sequence[Vote] = (),
         followed: Iterable[str] = (), *, candidates: Candidates | None = None,
         model: Model | None = None, dense: Mapping[str, np.ndarray] | None = None,
         matched: Sequence[Scored] | None = None) -> list[Scored]:
    """``papers`` that belong to ``topic``, best first for this audience, each with its reason.

    Without votes the order is the keyword order exactly (ties: newer, then lower id).
    A followed author's paper is pinned first even when no keyword matches it. ``dense``
    (unit embeddings by paper id) joins the TF-IDF model when it covers every paper.
    ``matched`` are papers already chosen and keyword-scored elsewhere (a person's filters);
    their scores and reasons then stand in for ``topic``'s. ``candidates`` (the same
    ``topic`` and ``papers``) and ``model`` (learnt from ``votes`` in any space) are shared
    work a caller keeps across audiences; without them they are computed here.
    """
    import numpy as np
    candidates = candidates or Candidates(topic, papers, matched)
    authors = {author_key(a) for a in followed}
    pinned: dict[str, str] = {}
    if authors:
        keyword: list[float] = []
        kept: list[Paper] = []
        for p in candidates.papers:
            by = next((a for a in p.authors if author_key(a) in authors), None)
            s = candidates.scores.get(p.id)
            if s is None and by is None:
                continue
            kept.append(p)
            keyword.append(s or 0.0)
            if by is not None:
                pinned[p.id] = by
        scores = np.asarray(keyword, dtype=np.float64)
        tiebreak = _tiebreak(kept)
    else:  # the common case: the day's matches, with arrays worked out once for every audience
        kept, scores, tiebreak = candidates.matches, candidates.keyword, candidates.tiebreak()
    if not kept:
        return []
    close: list[str | None] = [None] * len(kept)
    if votes and model is None:
        model = learn(topic, votes, candidates.space)
    if model is not None:
        space = candidates.space
        rows = space.rows(kept)
        learned = np.asarray(rows @ space.vector(model), dtype=np.float64)
        spread = learned.std() or 1.0
        scores = KEYWORD_WEIGHT * scores / (scores.max() or 1.0) + (learned - learned.mean()) / spread
        close = _closest(space, rows, kept, model.liked)
    if votes and dense and all(p.id in dense for p in (*kept, *(v.paper for v in votes))):
        near = _dense_scores(kept, votes, dense)
        scores = scores + (near - near.mean()) / (near.std() or 1.0)
    if pinned:
        scores = scores + np.asarray([PINNED if p.id in pinned else 0.0 for p in kept])
    published, updated, name = tiebreak
    result = []
    for i in np.lexsort((name, -updated, -published, -scores)):
        p = kept[i]
        if p.id in pinned:
            reason = Reason("author", pinned[p.id])
        elif close[i] is not None:
            reason = Reason("close", close[i] or "")
        else:
            reason = candidates.reason(p)
        result.append(Scored(p, float(scores[i]), reason))
    return result


def _tiebreak(papers: Sequence[Paper]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import numpy as np
    published = np.asarray([_timestamp(p.published) for p in papers], dtype=np.float64)
    updated = np.asarray([_timestamp(p.updated) for p in papers], dtype=np.float64)
    name = np.empty(len(papers), dtype=np.int64)
    name[sorted(range(len(papers)), key=lambda i: papers[i].id)] = np.arange(len(papers))
    return published, updated, name


def _closest(space: TextSpace, rows: sparse.csr_matrix, papers: Sequence[Paper],
             liked: Sequence[Paper]) -> list[str | None]:
    """For each paper, the title of the liked paper it is close to (cosine above :data:`CLOSE_ENOUGH`), if any."""
    close: list[str | None] = [None] * len(papers)
    if not liked:
        return close
    similarity = (rows @ space.rows(liked).T).toarray()
    for i, j in enumerate(similarity.argmax(axis=1)):
        if similarity[i, j] >= CLOSE_ENOUGH and papers[i].id != liked[j].id:
            close[i] = liked[j].title
    return close


def also_relevant(topic: Topic, papers: Sequence[Paper], votes: Sequence[Vote], ranked: Sequence[Scored],
                  n: int = ALSO_RELEVANT, *, candidates: Candidates | None = None,
                  model: Model | None = None) -> list[Scored]:
    """At most ``n`` papers of ``topic``'s categories that miss its keywords but the votes rank high.

    Only with evidence: without a 👍 nothing is added. A paper qualifies when the learned
    score puts it above the median of the digest's top ten and it is close to a liked paper,
    which is also the reason shown ("also relevant: close to ..."). ``candidates`` and
    ``model`` are the ones the digest was ranked with, when the caller kept them.
    """
    import numpy as np
    if n <= 0 or not ranked or not any(v.value for v in votes):
        return []
    candidates = candidates or Candidates(topic, papers)
    shown = {s.paper.id for s in ranked}
    categories = set(topic.categories)
    outside = [p for p in papers if p.id not in shown and not p.is_replacement
               and (not categories or categories & set(p.categories)) and p.id not in candidates.scores]
    if not outside:
        return []
    inside = [s.paper for s in ranked[:10]]
    space = candidates.space
    model = model or learn(topic, votes, space)
    if model is None:
        return []
    weights = space.weights([model])
    bar = float(np.median((space.rows(inside) @ weights).toarray()))
    rows = space.rows(outside)
    learned = (rows @ weights).toarray().ravel()
    close = _closest(space, rows, outside, model.liked)
    picked = [i for i in np.argsort(-learned, kind="stable") if learned[i] > bar and close[i] is not None][:n]
    return [Scored(outside[i], float(learned[i]), Reason("also", close[i] or "")) for i in picked]


def _dense_scores(papers: Sequence[Paper], votes: Sequence[Vote], dense: Mapping[str, np.ndarray]) -> np.ndarray:
    """Rocchio in embedding space: closeness to the liked papers minus closeness to the disliked."""
    import numpy as np
    liked = [dense[v.paper.id] for v in votes if v.value == 1]
    disliked = [dense[v.paper.id] for v in votes if v.value == 0]
    direction = (np.mean(liked, axis=0) if liked else 0.0) - (np.mean(disliked, axis=0) if disliked else 0.0)
    return np.asarray(np.stack([dense[p.id] for p in papers]) @ direction, dtype=np.float64)
