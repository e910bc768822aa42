"""Keyword expressions for topics and user filters.

Grammar (precedence NOT > AND > OR; adjacent operands are ANDed)::

    avatar OR "talking head" OR (gaussian AND -survey) OR nerf*

* ``AND`` / ``OR`` / ``NOT`` are recognised in any case, so a chat user typing
  ``avatar or nerf`` gets what they meant; quote a word (``"or"``) to search for it.
* ``-term`` is NOT; a hyphen *inside* a word (``3d-gs``) is part of the word.
* ``word*`` matches words starting with ``word`` (at least 2 characters before ``*``).
* Matching is case-insensitive and on word boundaries: ``gan`` does not match
  ``organ`` or ``StyleGAN``. A term or phrase ending in a letter also matches its
  plural with a trailing ``s`` (``avatar`` matches ``Avatars``), nothing fancier.
* Hyphens and whitespace are interchangeable separators: ``"talking head"`` matches
  ``talking-head`` and ``3d-gs`` matches ``3D GS``.
* CJK (and Thai) text has no spaces between words, so terms are matched as plain
  substrings there: ``虚拟人`` matches ``一种虚拟人驱动方法``, and a Latin term next to
  Han characters (``基于NeRF的``) still counts as a separate word. Normalisation pads
  runs of such characters with spaces, which keeps the boundary regexes down to a
  cheap ``\\w`` (a class listing the CJK ranges costs milliseconds per compile).
* Full-width brackets and curly quotes typed on Chinese keyboards are accepted.
* ``au:"Jianke Zhu"`` (or ``au:zhu``), as in arXiv's own search, matches the paper's
  authors instead of its text: the name's words, whole and in order, inside one author's
  name, ignoring case and accents (``au:muller`` matches Zoë Müller). Initials are not
  expanded: ``au:"j zhu"`` does not match Jianke Zhu.

Both sides are normalised the same way (NFKC, lower case, separator runs become
one space) so :class:`~bot.topics.matcher.FilterIndex` can find terms with
Aho-Corasick plus :func:`is_word_char` and agree exactly with the regexes here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = [
    "And", "Expression", "ExpressionError", "MAX_DEPTH", "MAX_LENGTH", "MAX_TERMS",
    "Node", "Not", "Or", "Term", "fold_name", "is_word_char", "join_authors", "join_fields", "normalize_text",
    "parse",
]

MAX_LENGTH = 1000
MAX_TERMS = 100
MAX_DEPTH = 20  # parentheses; keeps recursion (and regex work per paper) bounded

# Scripts written without spaces between words: no boundary checks inside them.
_NO_BOUNDARY = (
    "\u0e00-\u0e7f\u2e80-\u9fff\ua000-\ua4cf\uac00-\ud7af"
    "\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff"
)
_NO_BOUNDARY_RE = re.compile(f"[{_NO_BOUNDARY}]")
_NO_BOUNDARY_RUN = re.compile(f"[{_NO_BOUNDARY}]+")
_SEPARATORS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\-\u2010-\u2015\u2212]+")
_ASCII_SEPARATORS = str.maketrans({**{chr(c): " " for c in (*range(0x20), 0x7F)}, "-": " "})
_FIELD_SEP = " \x00 "  # never inside a key, so phrases cannot span title and abstract
_OPERATORS = ("AND", "OR", "NOT")
_TYPED = str.maketrans({"“": '"', "”": '"', "＂": '"', "（": "(", "）": ")", "－": "-"})
_word_cache: dict[str, bool] = {}


def is_word_char(ch: str) -> bool:
    """True for characters that glue words together (so a match must not touch them)."""
    known = _word_cache.get(ch)
    if known is None:
        known = (ch.isalnum() or ch == "_") and not _NO_BOUNDARY_RE.match(ch)
        _word_cache[ch] = known
    return known


def normalize_text(text: str) -> str:
    """The form every text and key is matched in; hyphens count as spaces.

    After this, a word character next to a CJK character is always a space away from
    it, so the plain ``\\w`` lookarounds in term regexes agree with :func:`is_word_char`.
    """
    if text.isascii():  # the common case, and str methods are twice as fast as the regex
        text = text.lower().translate(_ASCII_SEPARATORS)  # now " " is the only whitespace
        if "  " in text or text[:1] == " " or text[-1:] == " ":
            text = " ".join(text.split())
        return text
    text = _NO_BOUNDARY_RUN.sub(r" \g<0> ", unicodedata.normalize("NFKC", text).lower())
    return _SEPARATORS.sub(" ", text).strip()


def fold_name(name: str) -> str:
    """A name without accents, in the matching form: "Zoë Müller" -> "zoe muller"."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return normalize_text(plain.replace(".", " "))


def join_authors(authors: Sequence[str]) -> str:
    """Authors joined so that an ``au:`` term can only match inside one name."""
    return _FIELD_SEP.join(fold_name(a) for a in authors)


def join_fields(*fields: str) -> str:
    """Normalise fields and join them so that no term can match across two of them."""
    return _FIELD_SEP.join(normalize_text(f) for f in fields)


class ExpressionError(ValueError):
    """A user-fixable problem in an expression, with a caret under the culprit."""

    def __init__(self, reason: str, text: str, position: int) -> None:
        self.reason = reason
        self.text = text
        self.position = position
        super().__init__(_describe(reason, text, position))


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _describe(reason: str, text: str, pos: int) -> str:
    if not text.strip():
        return reason
    start = max(0, pos - 40)
    end = min(len(text), start + 80)
    shown = "".join(" " if c.isspace() or not c.isprintable() else c for c in text[start:end])
    lead = "…" if start else ""
    head = f"{reason} at position {pos}: "
    line = f"{head}{lead}{shown}{'…' if end < len(text) else ''}"
    return f"{line}\n{' ' * (_width(head + lead + shown[: pos - start]))}^"


@dataclass(frozen=True)
class Term:
    """A word, ``prefix*`` or quoted phrase; equal when they match the same text."""

    key: str  # normalised: what is searched for
    wildcard: bool = False
    text: str = field(default="", compare=False)  # as typed (lower case), for display
    author: bool = False  # au:"Name": searched in the authors, not in title and abstract
    left_bounded: bool = field(init=False, compare=False)
    right_bounded: bool = field(init=False, compare=False)
    plural: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        last = self.key[-1]
        set_ = object.__setattr__
        set_(self, "text", self.text or self.key)
        set_(self, "left_bounded", is_word_char(self.key[0]))
        set_(self, "right_bounded", not self.wildcard and is_word_char(last))
        set_(self, "plural", self.right_bounded and last.isalpha() and not self.author)

    @property
    def label(self) -> str:
        """Human form: ``talking head``, ``avatar*``, ``au:zhu``."""
        if self.author:
            return f"au:{self.text}"
        return f"{self.text}*" if self.wildcard else self.text

    def __str__(self) -> str:
        if self.author:
            return f'au:"{self.text}"'
        if self.wildcard:
            return f"{self.text}*"
        bare = self.text and not any(c.isspace() or c in '()"*' for c in self.text)
        if bare and not self.text.startswith("-") and self.text.upper() not in _OPERATORS:
            return self.text
        return f'"{self.text}"'


@dataclass(frozen=True)
class Not:
    child: Node

    def __str__(self) -> str:
        inner = str(self.child)
        return f"NOT ({inner})" if isinstance(self.child, (And, Or)) else f"NOT {inner}"


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return " AND ".join(f"({c})" if isinstance(c, Or) else str(c) for c in self.children)


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return " OR ".join(str(c) for c in self.children)


Node = Term | Not | And | Or


@lru_cache(maxsize=8192)
def _pattern(term: Term) -> re.Pattern[str]:
    body = re.escape(term.key)
    left = r"(?<!\w)" if term.left_bounded else ""
    if term.wildcard:
        right = r"\w*"
    elif term.right_bounded:
        right = rf"{'s?' if term.plural else ''}(?!\w)"
    else:
        right = ""
    return re.compile(left + body + right)


def _walk(node: Node, positive: bool, out: dict[Term, bool]) -> None:
    if isinstance(node, Term):
        out[node] = out.get(node, False) or positive
    elif isinstance(node, Not):
        _walk(node.child, not positive, out)
    else:
        for child in node.children:
            _walk(child, positive, out)


def evaluate(node: Node, found: Callable[[Term], bool]) -> bool:
    """Evaluate with short-circuiting; ``found`` says whether a term occurs."""
    if isinstance(node, Term):
        return found(node)
    if isinstance(node, Not):
        return not evaluate(node.child, found)
    if isinstance(node, And):
        return all(evaluate(c, found) for c in node.children)
    return any(evaluate(c, found) for c in node.children)


class Expression:
    """A parsed expression whose term regexes are compiled once, at parse time."""

    __slots__ = ("root", "terms", "anchors", "_positive", "_patterns")

    def __init__(self, root: Node) -> None:
        polarity: dict[Term, bool] = {}
        _walk(root, True, polarity)
        self.root = root
        self.terms: tuple[Term, ...] = tuple(polarity)
        self.anchors = tuple(t for t, pos in polarity.items() if pos)  # any of them can make it match
        self._positive = tuple(t for t in self.anchors if not t.author)  # the text evidence
        self._patterns = {t: _pattern(t) for t in self.terms}

    def matches(self, *fields: str, authors: Sequence[str] = ()) -> bool:
        """True if the text matches; pass title and abstract separately so phrases stay inside one.

        ``au:`` terms look only at ``authors``.
        """
        text = join_fields(*fields)
        names: str | None = None
        seen: dict[Term, bool] = {}

        def found(term: Term) -> bool:
            nonlocal names
            hit = seen.get(term)
            if hit is None:
                if term.author:
                    names = join_authors(authors) if names is None else names
                    hit = seen[term] = self._patterns[term].search(names) is not None
                else:
                    hit = seen[term] = self._patterns[term].search(text) is not None
            return hit

        return evaluate(self.root, found)

    def hits(self, title: str, abstract: str) -> tuple[int, int]:
        """Distinct positive terms found in each field: repetition in an abstract should not
        outrank a term in the title, while touching more facets of a topic should."""
        in_title, in_abstract = self.evidence(title, abstract)
        return len(in_title), len(in_abstract)

    def evidence(self, title: str, abstract: str) -> tuple[tuple[Term, ...], tuple[Term, ...]]:
        """The distinct positive terms each field shows, the longest match winning.

        "Head Avatar" is one piece of evidence, not two: a term counts only where some
        match of it is not inside a longer term's match (``avatar`` inside ``head avatar``).
        """
        return self._evidence(normalize_text(title)), self._evidence(normalize_text(abstract))

    def _evidence(self, text: str) -> tuple[Term, ...]:
        spans = {term: [m.span() for m in self._patterns[term].finditer(text)] for term in self._positive}
        found = {term: s for term, s in spans.items() if s}
        longer = [s for ss in found.values() for s in ss]

        def covered(span: tuple[int, int]) -> bool:
            start, end = span
            return any(o[0] <= start and end <= o[1] and o[1] - o[0] > end - start for o in longer)

        return tuple(term for term, ss in found.items() if not all(covered(s) for s in ss))

    def positive_terms(self) -> list[str]:
        """Terms that count as hits (not under an odd number of NOTs), e.g. ``talking head``."""
        return [t.label for t in self._positive]

    @property
    def positive(self) -> tuple[Term, ...]:
        return self._positive

    def __str__(self) -> str:
        return str(self.root)

    def __repr__(self) -> str:
        return f"Expression({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expression) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)


@dataclass(frozen=True)
class _Tok:
    kind: str  # TERM PHRASE AUTHOR LPAREN RPAREN AND OR NOT
    value: str
    pos: int


def _tokenize(src: str, original: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c.isspace():
            i += 1
        elif c in "()":
            toks.append(_Tok("LPAREN" if c == "(" else "RPAREN", c, i))
            i += 1
        elif c == '"':
            j = src.find('"', i + 1)
            if j < 0:
                raise ExpressionError("unclosed quote", original, i)
            toks.append(_Tok("PHRASE", src[i + 1 : j], i))
            i = j + 1
        elif src[i : i + 3].lower() == "au:":
            j = i + 3
            if j < n and src[j] == '"':
                end = src.find('"', j + 1)
                if end < 0:
                    raise ExpressionError("unclosed quote", original, j)
                toks.append(_Tok("AUTHOR", src[j + 1 : end], i))
                i = end + 1
            else:
                while j < n and not src[j].isspace() and src[j] not in '()"':
                    j += 1
                toks.append(_Tok("AUTHOR", src[i + 3 : j], i))
                i = j
        elif c == "-":
            if i + 1 >= n or src[i + 1].isspace() or src[i + 1] == ")":
                raise ExpressionError("missing term after '-'", original, i)
            toks.append(_Tok("NOT", "-", i))
            i += 1
        else:
            j = i
            while j < n and not src[j].isspace() and src[j] not in '()"':
                j += 1
            word = src[i:j]
            kind = word.upper() if word.upper() in _OPERATORS else "TERM"
            toks.append(_Tok(kind, word.upper() if kind != "TERM" else word, i))
            i = j
    return toks


def _make_term(tok: _Tok, original: str) -> Term:
    raw, wildcard = tok.value, False
    if tok.kind == "AUTHOR":
        key = fold_name(raw)
        if not any(c.isalpha() for c in key):
            raise ExpressionError("au: needs a name, like au:\"Jianke Zhu\"", original, tok.pos)
        return Term(key, text=" ".join(raw.split()).lower(), author=True)
    if tok.kind == "TERM" and "*" in raw:
        star = raw.index("*")
        if star != len(raw) - 1 or len(raw) < 3 or not raw[-2].isalnum():
            raise ExpressionError("misplaced wildcard '*' (use it at the end of a word)", original, tok.pos + star)
        raw, wildcard = raw[:-1], True
    key = normalize_text(raw).strip()
    if not any(c.isalnum() for c in key):
        what = "empty quotes" if tok.kind == "PHRASE" and not raw.strip() else "term without letters or digits"
        raise ExpressionError(what, original, tok.pos)
    return Term(key, wildcard, " ".join(raw.lower().split()))


def _combine(kind: type[And] | type[Or], parts: list[Node]) -> Node:
    flat: list[Node] = []
    for p in parts:
        for c in p.children if isinstance(p, kind) else (p,):
            if c not in flat:
                flat.append(c)
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


class _Parser:
    def __init__(self, toks: list[_Tok], original: str) -> None:
        self.toks, self.i, self.text, self.terms = toks, 0, original, 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        self.i += 1
        return self.toks[self.i - 1]

    def fail(self, reason: str, pos: int) -> ExpressionError:
        return ExpressionError(reason, self.text, pos)

    def parse_or(self, depth: int) -> Node:
        parts = [self.parse_and(depth, None)]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            parts.append(self.parse_and(depth, self.take()))
        return _combine(Or, parts)

    def parse_and(self, depth: int, after: _Tok | None) -> Node:
        parts = [self.parse_unary(depth, after)]
        while (tok := self.peek()) is not None and tok.kind in ("AND", "TERM", "PHRASE", "AUTHOR", "LPAREN", "NOT"):
            parts.append(self.parse_unary(depth, self.take() if tok.kind == "AND" else None))
        return _combine(And, parts)

    def parse_unary(self, depth: int, after: _Tok | None) -> Node:
        negate = False
        while (tok := self.peek()) is not None and tok.kind == "NOT":
            after, negate = self.take(), not negate
        node = self.parse_atom(depth, after)
        if not negate:
            return node
        return node.child if isinstance(node, Not) else Not(node)

    def parse_atom(self, depth: int, after: _Tok | None) -> Node:
        tok = self.peek()
        if tok is None or tok.kind in ("AND", "OR", "RPAREN"):
            if after is not None:
                raise self.fail(f"missing term after {after.value}", after.pos)
            if tok is None:
                raise self.fail("empty expression", 0)
            if tok.kind == "RPAREN":
                raise self.fail("unbalanced parenthesis", tok.pos)
            raise self.fail(f"missing term before {tok.value}", tok.pos)
        self.take()
        if tok.kind == "LPAREN":
            if depth >= MAX_DEPTH:
                raise self.fail(f"parentheses nested too deeply (at most {MAX_DEPTH})", tok.pos)
            nxt = self.peek()
            if nxt is None:
                raise self.fail("unbalanced parenthesis", tok.pos)
            if nxt.kind == "RPAREN":
                raise self.fail("empty parentheses", tok.pos)
            node = self.parse_or(depth + 1)
            if self.peek() is None:
                raise self.fail("unbalanced parenthesis", tok.pos)
            self.take()
            return node
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise self.fail(f"too many terms (at most {MAX_TERMS})", tok.pos)
        return _make_term(tok, self.text)


def parse(text: str) -> Expression:
    """Parse ``text``; every problem a user can cause raises :class:`ExpressionError`.

    The canonical form (``str()``) spells out implicit ANDs, so it can be longer than
    what was typed; it must fit the length limit too, or it would not parse back.
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression too long ({len(text)} characters, at most {MAX_LENGTH})", text, MAX_LENGTH
        )
    # 1:1 replacements only, so positions in errors point into what the user typed.
    src = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text.translate(_TYPED))
    parser = _Parser(_tokenize(src, text), text)
    if not parser.toks:
        raise ExpressionError("empty expression", text, 0)
    root = parser.parse_or(0)
    if (extra := parser.peek()) is not None:  # only a ")" can be left over
        raise ExpressionError("unbalanced parenthesis", text, extra.pos)
    if len(canonical := str(root)) > MAX_LENGTH:
        reason = f"expression too long once written out ({len(canonical)} characters, at most {MAX_LENGTH})"
        raise ExpressionError(reason, text, len(text))
    return Expression(root)
