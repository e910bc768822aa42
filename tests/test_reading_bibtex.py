"""/reading bibtex, parsed back with bibtexparser: every field from arXiv metadata, hostile titles included."""

from __future__ import annotations

from datetime import UTC, datetime

import bibtexparser
from bibtexparser.middlewares import LatexDecodingMiddleware

from bot.core import Core
from bot.models import ChatRef, Paper
from bot.replies import Replies, Text
from tests.conftest import ConsoleBot

GROUP = ChatRef("console", "journal-club", "group")
HOSTILE = Paper("2411.00001", 2, "Breaking {BibTeX: 100% of $x$ & #tags_ ~ ^ \\end{document} }} {",
                ("Ada Lovelace", "The ATLAS and CMS Collaboration", "O'Brien, Jr."), "abstract",
                categories=("hep-ex", "cs.LG"), primary_category="hep-ex",
                published=datetime(2024, 11, 1, tzinfo=UTC))
MATH = Paper("2411.00002", 1, "Sorting in $\\mathcal{O}(n \\log n)$ time", ("B. Knuth",), "abstract",
             primary_category="cs.DS", published=datetime(2024, 11, 2, tzinfo=UTC))
OLD = Paper("hep-th/9901001", 1, "An old id", ("E. Witten",), "abstract", primary_category="hep-th")


async def _bibtex(bot: ConsoleBot, core: Core) -> str:
    await core.store.papers.upsert([HOSTILE, MATH, OLD])
    for paper in (HOSTILE, MATH, OLD):
        assert "Saved" in (await bot.say(f"/save {paper.id}", chat=GROUP)).text
    reply = (await bot.say("/reading bibtex", chat=GROUP)).reply
    assert isinstance(reply, Replies) and all(isinstance(r, Text) for r in reply.items)
    assert all(len(r.text) <= 2000 for r in reply.items if isinstance(r, Text))
    return "\n\n".join(r.text for r in reply.items[1:] if isinstance(r, Text))


async def test_reading_bibtex_parses_back_with_every_field(bot: ConsoleBot, core: Core) -> None:
    library = bibtexparser.parse_string(await _bibtex(bot, core))
    assert library.failed_blocks == []
    entries = {e.key: {k: f.value for k, f in e.fields_dict.items()} for e in library.entries}
    assert set(entries) == {"arXiv:2411.00001", "arXiv:2411.00002", "arXiv:hep-th_9901001"}
    assert all(e.entry_type == "misc" for e in library.entries)
    hostile = entries["arXiv:2411.00001"]
    assert hostile["eprint"] == "2411.00001" and hostile["year"] == "2024"
    assert hostile["primaryClass"] == "hep-ex" and hostile["archivePrefix"] == "arXiv"
    assert hostile["url"] == "https://arxiv.org/abs/2411.00001"
    assert hostile["author"] == "Ada Lovelace and {The ATLAS and CMS Collaboration} and {O'Brien, Jr.}"
    assert set(hostile) == {"author", "title", "year", "eprint", "archivePrefix", "primaryClass", "url"}
    math = entries["arXiv:2411.00002"]
    assert math["title"] == "Sorting in $\\mathcal{O}(n \\log n)$ time", "well-formed math stays LaTeX"
    assert entries["arXiv:hep-th_9901001"]["year"] == "1999" and entries["arXiv:hep-th_9901001"]["eprint"] == \
        "hep-th/9901001"


async def test_a_hostile_title_decodes_back_to_exactly_what_arxiv_printed(bot: ConsoleBot, core: Core) -> None:
    text = await _bibtex(bot, core)
    raw = {e.key: e.fields_dict["title"].value for e in bibtexparser.parse_string(text).entries}
    title = raw["arXiv:2411.00001"]
    assert title.count("{") == title.count("}"), "braces balanced as BibTeX counts them"
    assert "%" not in title.replace("\\%", "") and "&" not in title.replace("\\&", "")
    # Braces are \\textbraceleft{} / \\textbraceright{} (a lone \\{ would still count for BibTeX), which
    # pylatexenc does not know: spell them out before decoding the rest as LaTeX.
    assert title.count("\\textbraceleft{}") == HOSTILE.title.count("{")
    assert title.count("\\textbraceright{}") == HOSTILE.title.count("}")
    spelled = text.replace("\\textbraceleft{}", "\\{").replace("\\textbraceright{}", "\\}")
    decoded = bibtexparser.parse_string(spelled, append_middleware=[LatexDecodingMiddleware()])
    titles = {e.key: e.fields_dict["title"].value for e in decoded.entries}
    assert titles["arXiv:2411.00001"].replace("ˆ", "^").split() == HOSTILE.title.split()
