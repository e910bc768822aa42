"""The no-model summary: verbatim abstract sentences, honestly labelled."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Paper
from bot.summarizer.extractive import clean_latex, extract, label, split_sentences
from tests.summarizer_support import papers


def test_labels_are_fixed_phrases_and_chinese_says_it_is_untranslated() -> None:
    assert label("no_model", "en") == "extractive summary (no model configured)"
    assert label("rejected", "en") == "extractive summary (model output rejected)"
    assert label("budget", "en") == "extractive summary (daily model budget used up)"
    assert "未经翻译" in label("no_model", "zh") and "英文摘要原句" in label("budget", "zh")


@pytest.mark.parametrize("paper", papers(40), ids=lambda p: p.id)
def test_every_sentence_comes_from_the_abstract(paper: Paper) -> None:
    summary = extract(paper)
    plain = clean_latex(paper.abstract)
    assert summary.one_line and len(summary.one_line) <= 200
    assert len(summary.takeaways) <= 5
    for sentence in summary.takeaways:
        assert sentence.rstrip("…")[:80] in plain
    if len(split_sentences(plain)) >= 5:
        assert len(summary.takeaways) >= 3


def test_one_line_prefers_the_sentence_saying_what_the_paper_does() -> None:
    eva, wildavatar, pav = papers(3)
    assert extract(eva).one_line.startswith("We introduce EVA, a drivable human model")
    assert extract(wildavatar).one_line.startswith("We propose the WildAvatar dataset")
    assert extract(pav).one_line.startswith("We propose PAV")


def test_latex_is_turned_into_text() -> None:
    assert clean_latex(r"with $10,000+$ subjects, $10\times$ richer, see \url{https://x.io}") == \
        "with 10,000+ subjects, 10× richer, see https://x.io"


def test_abbreviations_do_not_split_sentences() -> None:
    text = "We use e.g. NeRF and 3DGS as in Smith et al. for speed. Results improve by 2.5 dB. Done here now ok."
    assert split_sentences(text) == [
        "We use e.g. NeRF and 3DGS as in Smith et al. for speed.", "Results improve by 2.5 dB.",
        "Done here now ok."]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=600), st.text(max_size=80))
def test_any_abstract_gives_a_summary(abstract: str, title: str) -> None:
    summary = extract(Paper(id="2401.00001", version=1, title=title, authors=(), abstract=abstract))
    assert isinstance(summary.one_line, str) and len(summary.takeaways) <= 5
