"""BibTeX entries for a reading list, built from arXiv metadata only (CC0), never from a model.

Titles are untrusted text that BibTeX reads as LaTeX. BibTeX counts braces even after
a backslash, so a lone ``{`` cannot be written ``\\{``: braces become
``\\textbraceleft{}``/``\\textbraceright{}``, and ``% & # _ ~ ^ \\`` are escaped, so
no title can end a field early, comment out the rest of the file or break LaTeX. Math
an author wrote (``$\\mathcal{O}(n^2)$``) is kept as LaTeX when it is well formed
(paired ``$``, balanced braces, no ``%``) and uses only ordinary math commands, since
the reader's LaTeX runs it; otherwise the dollars are escaped too and it shows as typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.models import Paper

MAX_AUTHORS = 50  # a 3,000-author collaboration paper becomes "... and others"

_SPECIALS = {
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}", "%": r"\%", "&": r"\&",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "$": r"\$",
}
_SPECIAL = re.compile(r"[\\{}%&#_~^$]")
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9:._-]")


def escape_text(text: str) -> str:
    """Plain text as LaTeX that shows it as written."""
    return _SPECIAL.sub(lambda m: _SPECIALS[m.group()], text)


# The control words a title's math may keep. Math is run by the reader's LaTeX, so a
# title's "$\input{/etc/passwd}$" or "$\immediate\write18{…}$" would be too: any other
# control word (or TeX's ^^ spelling of a character, as in \^^69nput) shows the math as typed.
_GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi "
          "rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma "
          "Upsilon Phi Psi Omega")
_MATH_WORDS = frozenset((_GREEK + " mathcal mathbf mathrm mathit mathbb mathsf mathtt mathfrak mathscr boldsymbol "
                         "bm text textrm textbf textit textsc operatorname frac dfrac tfrac sqrt times cdot cdots "
                         "ldots dots le leq ge geq neq ne approx sim simeq propto infty pm mp in notin subset "
                         "subseteq supset cup cap to rightarrow leftarrow leftrightarrow Rightarrow mapsto partial "
                         "nabla sum prod int log exp sin cos tan max min arg lim hat tilde bar vec dot ddot "
                         "overline underline widehat widetilde left right big Big ell star ast circ prime mid vert "
                         "Vert langle rangle lfloor rfloor lceil rceil forall exists emptyset oplus otimes odot "
                         "perp parallel equiv ll gg quad qquad top").split())
_CONTROL_WORD = re.compile(r"\\([A-Za-z]+)")


def _math_ok(math: str) -> bool:
    """Whether ``$math$`` can be kept: braces balanced as BibTeX counts them (every one), no ``%``,
    and only the control words of ordinary math (:data:`_MATH_WORDS`)."""
    if "^^" in math or any(word not in _MATH_WORDS for word in _CONTROL_WORD.findall(math)):
        return False
    depth = 0
    for char in math:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0 and "%" not in math and not math.endswith("\\")


def escape_title(title: str) -> str:
    """A title as a BibTeX field value: text escaped, well-formed ``$math$`` kept."""
    title = " ".join(title.split())
    parts = title.split("$")
    maths = parts[1::2]
    if len(parts) % 2 == 0 or not all(m and _math_ok(m) for m in maths):
        return escape_text(title)
    return "".join(f"${p}$" if i % 2 else escape_text(p) for i, p in enumerate(parts))


def _author(name: str) -> str:
    """One author; a name containing " and " (a collaboration) is braced so it stays one name."""
    escaped = escape_text(" ".join(name.split()))
    return f"{{{escaped}}}" if re.search(r"\band\b", name, re.IGNORECASE) or "," in name else escaped


def entry_key(paper: Paper) -> str:
    return "arXiv:" + _KEY_UNSAFE.sub("_", paper.id)


def year_of(paper: Paper) -> str:
    """The v1 year; for a paper without dates, the year its id says (``2407.`` -> 2024, ``hep-th/99`` -> 1999)."""
    if paper.published is not None:
        return str(paper.published.year)
    digits = paper.id.split("/")[-1][:2]
    if not digits.isdigit():
        return ""
    return str((1900 if int(digits) > 90 else 2000) + int(digits))


def bibtex_entry(paper: Paper) -> str:
    authors = [_author(a) for a in paper.authors[:MAX_AUTHORS] if a.strip()]
    if len(paper.authors) > MAX_AUTHORS:
        authors.append("others")
    fields = [
        ("author", " and ".join(authors)),
        ("title", escape_title(paper.title)),
        ("year", year_of(paper)),
        ("eprint", paper.id),
        ("archivePrefix", "arXiv"),
        ("primaryClass", escape_text(paper.primary_category or (paper.categories[0] if paper.categories else ""))),
        ("url", paper.abs_url),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{entry_key(paper)},\n{body}\n}}"


def bibtex(papers: Iterable[Paper]) -> str:
    return "\n\n".join(bibtex_entry(p) for p in papers) + "\n"
