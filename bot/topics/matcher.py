"""Which papers belong to a topic, in what order, and which users want which paper.

Topics are few and evaluated with their compiled regexes. Per-user filters are many
(10,000 users x 5 keywords), so :class:`FilterIndex` finds every distinct term of
every filter in one Aho-Corasick pass per paper and only then looks at the filters
that could possibly match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import chain

import ahocorasick

from bot.models import Paper, Topic
from bot.topics.expression import (
    And,
    Expression,
    ExpressionError,
    Node,
    Not,
    Or,
    Term,
    is_word_char,
    join_authors,
    join_fields,
    parse,
)

__all__ = ["FilterIndex", "UserFilters", "compiled", "rank", "score", "topic_matches"]

TITLE_WEIGHT = 10.0
HOME_CATEGORY_BONUS = 0.5  # at equal hits, a paper filed in the topic beats a cross-list


@lru_cache(maxsize=4096)
def _author_pattern(term: Term) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(term.key)}(?!\w)")


@lru_cache(maxsize=4096)
def compiled(expression: str) -> Expression:
    """Parse once per distinct string; topics and filters repeat the same few strings."""
    return parse(expression)


def _categories(paper: Paper) -> set[str]:
    cats = set(paper.categories)
    if paper.primary_category:
        cats.add(paper.primary_category)
    return cats


def score(topic: Topic, paper: Paper) -> float | None:
    """Relevance of ``paper`` to ``topic``, or None when it does not belong.

    A topic without categories is keyword-only and accepts any category. Topic
    expressions are validated when the topic is defined, so a broken one raises.
    """
    if topic.categories and not _categories(paper) & set(topic.categories):
        return None
    expr = compiled(topic.expression)
    if not expr.matches(paper.title, paper.abstract, authors=paper.authors):
        return None
    title_hits, abstract_hits = expr.hits(paper.title, paper.abstract)
    bonus = HOME_CATEGORY_BONUS if paper.primary_category in topic.categories else 0.0
    return TITLE_WEIGHT * title_hits + abstract_hits + bonus


def topic_matches(topic: Topic, paper: Paper) -> bool:
    return score(topic, paper) is not None


def _timestamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else float("-inf")


def rank(topic: Topic, papers: Iterable[Paper]) -> list[Paper]:
    """Matching papers, best first; ties go to the newer submission, then the lower id."""
    scored = [(s, p) for p in papers if (s := score(topic, p)) is not None]
    scored.sort(key=lambda sp: (-sp[0], -_timestamp(sp[1].published), -_timestamp(sp[1].updated), sp[1].id))
    return [p for _, p in scored]


@dataclass
class UserFilters:
    """One user's filters. ``includes`` are ORed; an empty list means "everything not muted"."""

    includes: list[str] = field(default_factory=list)
    mutes: list[str] = field(default_factory=list)


Evaluator = Callable[[set[int]], bool]


def _evaluator(node: Node, ids: Mapping[Term, int]) -> Evaluator:
    """Compile a node into a function of the set of term ids found in a paper."""
    if isinstance(node, Term):
        tid = ids[node]
        return lambda found: tid in found
    if isinstance(node, Not):
        inner = _evaluator(node.child, ids)
        return lambda found: not inner(found)
    if all(isinstance(c, Term) for c in node.children):
        group = frozenset(ids[c] for c in node.children)  # type: ignore[index]
        if isinstance(node, Or):
            return lambda found: not group.isdisjoint(found)
        return lambda found: group <= found
    parts = [_evaluator(c, ids) for c in node.children]
    combined = parts.pop()
    while parts:  # nested two-way closures: cheaper per call than all()/any() over a generator
        combined = _both(parts.pop(), combined) if isinstance(node, And) else _either(parts.pop(), combined)
    return combined


def _both(a: Evaluator, b: Evaluator) -> Evaluator:
    return lambda found: a(found) and b(found)


def _either(a: Evaluator, b: Evaluator) -> Evaluator:
    return lambda found: a(found) or b(found)


def _is_plain(node: Node) -> bool:
    """A term, phrase or OR of them: true exactly when one of its terms was found."""
    return isinstance(node, Term) or (isinstance(node, Or) and all(isinstance(c, Term) for c in node.children))


class FilterIndex:
    """Match many users' keyword filters against many papers without a users x papers loop.

    Identical filter strings (and strings with the same canonical form) become one
    expression. Every term of every expression goes into one Aho-Corasick automaton;
    a paper's text is scanned once and each hit is boundary-checked like the regexes
    would, giving the set of terms present. Expressions that are a term or an OR of
    terms match as soon as one of their terms is present; the rest are evaluated on
    that set, and only when one of their positive terms is present (or when, like
    ``NOT survey``, they can match with no term at all).

    Strings that fail to parse are recorded in :attr:`errors` instead of raising, so one
    stale filter cannot stop everyone's digest; a broken include matches nothing and a
    broken mute mutes nothing.
    """

    def __init__(self, filters: Mapping[str, UserFilters]) -> None:
        self.errors: dict[str, list[str]] = {}
        self._exprs: list[Expression] = []
        by_canonical: dict[str, int] = {}
        by_text: dict[str, int | str] = {}  # int: expression id, str: why it failed
        self._users: list[str] = list(filters)
        self._positions = {name: i for i, name in enumerate(self._users)}
        includes: list[set[int]] = []
        mutes: list[set[int]] = []

        def expr_id(user: str, text: str) -> int | None:
            if text not in by_text:
                try:
                    expr = compiled(text)
                except ExpressionError as exc:
                    by_text[text] = f"{text!r}: {exc.reason} at position {exc.position}"
                else:
                    by_text[text] = by_canonical.setdefault(str(expr), len(self._exprs))
                    if by_text[text] == len(self._exprs):
                        self._exprs.append(expr)
            known = by_text[text]
            if isinstance(known, str):
                self.errors.setdefault(user, []).append(known)
                return None
            return known

        for user, uf in filters.items():
            includes.append({i for t in uf.includes if (i := expr_id(user, t)) is not None})
            mutes.append({m for t in uf.mutes if (m := expr_id(user, t)) is not None})
        # Users with no includes at all get everything they have not muted.
        self._everyone = tuple(u for u, uf in enumerate(filters.values()) if not uf.includes)
        self._everyone_set = frozenset(self._everyone)
        self._build(includes, mutes)

    def _build(self, includes: list[set[int]], mutes: list[set[int]]) -> None:
        term_ids: dict[Term, int] = {}
        for expr in self._exprs:
            for term in expr.terms:
                term_ids.setdefault(term, len(term_ids))
        # Per key: (length, left_bounded, right_bounded, plural, term id); wildcard and
        # exact forms of one key share an automaton entry.
        variants: dict[str, list[tuple[int, bool, bool, bool, int]]] = {}
        # au: terms are searched in the authors, which are few and short: a regex each is enough.
        self._author_terms = [(tid, _author_pattern(term)) for term, tid in term_ids.items() if term.author]
        for term, tid in term_ids.items():
            if term.author:
                continue
            variants.setdefault(term.key, []).append(
                (len(term.key), term.left_bounded, term.right_bounded, term.plural, tid)
            )
        self._automaton: ahocorasick.Automaton | None = None
        if variants:
            automaton = ahocorasick.Automaton()
            for key, vs in variants.items():
                automaton.add_word(key, tuple(vs))
            automaton.make_automaton()
            self._automaton = automaton

        # term id -> exprs using it positively: plain ones match outright, the rest are checked
        self._plain_by_term: list[list[int]] = [[] for _ in term_ids]
        self._other_by_term: list[list[int]] = [[] for _ in term_ids]
        self._eval: list[Evaluator] = []
        self._unanchored: list[int] = []  # exprs that can match with no term found ("NOT survey")
        for eid, expr in enumerate(self._exprs):
            by_term = self._plain_by_term if _is_plain(expr.root) else self._other_by_term
            for term in expr.anchors:
                by_term[term_ids[term]].append(eid)
            evaluator = _evaluator(expr.root, term_ids)
            self._eval.append(evaluator)
            if evaluator(set()):
                self._unanchored.append(eid)

        include_users: list[list[int]] = [[] for _ in self._exprs]  # expr id -> user indices
        mute_users: list[list[int]] = [[] for _ in self._exprs]
        for user, eids in enumerate(includes):
            for eid in eids:
                include_users[eid].append(user)
        for user, eids in enumerate(mutes):
            for eid in eids:
                mute_users[eid].append(user)
        self._include_users = [tuple(us) for us in include_users]
        self._user_includes = [tuple(sorted(eids)) for eids in includes]
        self._user_mutes = [tuple(sorted(eids)) for eids in mutes]
        self._mute_users = [tuple(us) for us in mute_users]

    def __len__(self) -> int:
        return len(self._users)

    def _found_terms(self, paper: Paper) -> set[int]:
        """Ids of terms occurring in title or abstract, with the same boundary rules as the regexes."""
        found: set[int] = set()
        if self._author_terms:
            names = join_authors(paper.authors)
            found.update(tid for tid, pattern in self._author_terms if pattern.search(names))
        if self._automaton is None:
            return found
        text = join_fields(paper.title, paper.abstract)
        last = len(text) - 1
        word = is_word_char
        for end, vs in self._automaton.iter(text):
            nxt = text[end + 1] if end < last else " "
            for length, left, right, plural, tid in vs:
                if tid in found:
                    continue
                start = end - length + 1
                if left and start > 0 and word(text[start - 1]):
                    continue
                if right and word(nxt) and not (plural and nxt == "s" and (end + 1 == last or not word(text[end + 2]))):
                    continue
                found.add(tid)
        return found

    def _matched_exprs(self, paper: Paper) -> set[int]:
        found = self._found_terms(paper)
        matched: set[int] = set()
        candidates: set[int] = set(self._unanchored)
        for tid in found:
            matched.update(self._plain_by_term[tid])
            candidates.update(self._other_by_term[tid])
        evaluate = self._eval
        matched.update(e for e in candidates if evaluate[e](found))
        return matched

    def _user_indices(self, paper: Paper) -> set[int]:
        matched = self._matched_exprs(paper)
        users = set(self._everyone)
        include_users, mute_users = self._include_users, self._mute_users
        for eid in matched:
            users.update(include_users[eid])
        for eid in matched:
            if mute_users[eid]:
                users.difference_update(mute_users[eid])
        return users

    def match(self, paper: Paper) -> set[str]:
        """Users who should get ``paper``: an include matches (or they have none) and no mute does."""
        names = self._users
        return {names[u] for u in self._user_indices(paper)}

    def match_all(self, papers: Iterable[Paper]) -> UserMatches:
        """Each user's papers in input order; users who get nothing are left out.

        Every paper is matched against every distinct expression here, once. A user's
        answer (the union of their expressions' hit lists minus their mutes) is
        assembled when it is first read, so a day's matching costs the text scanned,
        and each user's digest only its own papers; no loop runs over (user, paper) pairs.
        """
        papers = list(papers)
        hits: list[list[int]] = [[] for _ in self._exprs]  # expr id -> paper indices, ascending
        for index, paper in enumerate(papers):
            for eid in self._matched_exprs(paper):
                hits[eid].append(index)
        return UserMatches(self, papers, hits)

    def _papers_of(self, user: int, papers: list[Paper], hits: list[list[int]]) -> list[Paper]:
        incs, mutes = self._user_includes[user], self._user_mutes[user]
        chosen: Iterable[int]
        if mutes or user in self._everyone_set:
            keep = set(range(len(papers))) if user in self._everyone_set else set().union(*[hits[e] for e in incs])
            keep.difference_update(*[hits[e] for e in mutes])
            chosen = sorted(keep)
        elif len(incs) == 1:
            chosen = hits[incs[0]]
        else:  # sorting concatenated sorted runs is cheap; fromkeys then drops repeats in order
            chosen = dict.fromkeys(sorted(chain.from_iterable([hits[e] for e in incs])))
        return list(map(papers.__getitem__, chosen))


class UserMatches(Mapping[str, list[Paper]]):
    """The result of :meth:`FilterIndex.match_all`: read like a dict of user -> papers."""

    def __init__(self, index: FilterIndex, papers: list[Paper], hits: list[list[int]]) -> None:
        self._index = index
        self._papers = papers
        self._hits = hits
        self._done: dict[str, list[Paper]] = {}

    def __getitem__(self, name: str) -> list[Paper]:
        if name not in self._done:
            user = self._index._positions.get(name)  # noqa: SLF001 - the index's own helper
            if user is None:
                raise KeyError(name)
            self._done[name] = self._index._papers_of(user, self._papers, self._hits)  # noqa: SLF001
        if not self._done[name]:
            raise KeyError(name)
        return self._done[name]

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._index._users if name in self)  # noqa: SLF001

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, name: object) -> bool:
        try:
            self[name]  # type: ignore[index]
        except KeyError:
            return False
        return True
