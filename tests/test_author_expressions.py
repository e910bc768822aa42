"""au:"Name" in topic and filter expressions, as in arXiv's own search: the authors, not the text."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.models import Paper, Topic
from bot.topics.expression import ExpressionError, parse
from bot.topics.matcher import FilterIndex, UserFilters, score
from tests.test_topic_matching import make_paper


def by(paper: Paper, *authors: str) -> Paper:
    return replace(paper, authors=authors)


def test_au_matches_an_authors_name_not_the_text() -> None:
    expr = parse('au:"Jianke Zhu"')
    assert expr.matches("A method", "", authors=("Ada Lovelace", "Jianke Zhu"))
    assert not expr.matches("Jianke Zhu's method", "Jianke Zhu", authors=("Ada Lovelace",))


def test_au_ignores_case_and_accents_and_matches_whole_words_of_one_name() -> None:
    assert parse("au:muller").matches("", "", authors=("Zoë Müller",))
    assert parse('au:"zoe muller"').matches("", "", authors=("ZOË MÜLLER",))
    assert not parse("au:mull").matches("", "", authors=("Zoë Müller",))
    assert not parse('au:"zhu zoe"').matches("", "", authors=("Jianke Zhu", "Zoe Muller")), "never across two names"


def test_au_does_not_expand_initials() -> None:
    assert parse('au:"J. Zhu"').matches("", "", authors=("J. Zhu",))
    assert not parse('au:"J. Zhu"').matches("", "", authors=("Jianke Zhu",))
    assert parse("au:zhu").matches("", "", authors=("Jianke Zhu",))


def test_au_combines_with_keywords_and_round_trips() -> None:
    expr = parse('avatar AND au:"Jianke Zhu" OR au:zhu -survey')
    assert str(parse(str(expr))) == str(expr)
    assert 'au:"jianke zhu"' in str(expr)
    assert parse("avatar au:zhu").matches("Gaussian avatars", "", authors=("Jianke Zhu",))
    assert not parse("avatar au:zhu").matches("Gaussian avatars", "", authors=("Jun Li",))
    assert parse("avatar -au:zhu").matches("Gaussian avatars", "", authors=("Jun Li",))


@pytest.mark.parametrize("text", ["au:", 'au:""', "au:123", 'au:"unclosed'])
def test_au_without_a_name_is_a_clear_error(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse(text)


def test_a_topic_with_au_scores_and_author_terms_are_not_text_evidence() -> None:
    topic = Topic("lab", "Lab", ("cs.CV",), 'avatar OR au:"Jianke Zhu"')
    theirs = by(make_paper("1", "Robots that walk"), "Jianke Zhu")
    other = by(make_paper("2", "Robots that walk"), "Jun Zhu")
    assert score(topic, theirs) is not None and score(topic, other) is None
    named = by(make_paper("3", "Jianke Zhu reviews avatars"), "Jun Zhu")
    assert parse(topic.expression).evidence(named.title, named.abstract)[0] == (parse("avatar").terms[0],)


def test_user_filters_with_au_agree_with_the_expression() -> None:
    index = FilterIndex({"alice": UserFilters(includes=['au:"Jianke Zhu"']),
                         "bob": UserFilters(includes=["robot"], mutes=["au:zhu"])})
    theirs = by(make_paper("1", "Robots that walk"), "Jianke Zhu")
    other = by(make_paper("2", "Robots that walk"), "Jun Li")
    assert index.match(theirs) == {"alice"}
    assert index.match(other) == {"bob"}
