"""Topic scoring and ranking, presets against real papers, and the per-user filter index."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Paper, Topic
from bot.topics.expression import parse
from bot.topics.matcher import FilterIndex, UserFilters, compiled, rank, score, topic_matches
from bot.topics.presets import PRESETS, preset

PAPERS_JSON = Path(__file__).parent / "fakes" / "data" / "papers.json"
REFERENCE_IDS = ["2407.03204", "2407.02165", "2407.21047", "2407.21002", "2407.19593"]


@lru_cache(maxsize=1)
def real_papers() -> tuple[Paper, ...]:
    def when(value: str) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))

    papers = []
    for rec in json.loads(PAPERS_JSON.read_text(encoding="utf-8")):
        pid, _, version = rec["id"].rpartition("v")
        papers.append(
            Paper(
                id=pid,
                version=int(version),
                title=" ".join(rec["title"].split()),
                authors=tuple(rec["authors"]),
                abstract=rec["summary"],
                comment=rec.get("comment") or None,
                categories=tuple(rec["categories"]),
                primary_category=rec["primary_category"],
                published=when(rec["published"]),
                updated=when(rec["updated"]),
            )
        )
    return tuple(papers)


def make_paper(pid: str, title: str, abstract: str = "", cats: tuple[str, ...] = ("cs.CV",), day: int = 1) -> Paper:
    published = datetime(2024, 7, 1, tzinfo=UTC) + timedelta(days=day)
    return Paper(
        id=pid, version=1, title=title, authors=("A. Author",), abstract=abstract,
        categories=cats, primary_category=cats[0], published=published, updated=published,
    )


def test_virtual_humans_preset_catches_every_reference_paper() -> None:
    topic = preset("virtual-humans")
    assert topic is not None
    by_id = {p.id: p for p in real_papers()}
    missed = [pid for pid in REFERENCE_IDS if not topic_matches(topic, by_id[pid])]
    assert missed == []
    assert {p.id for p in rank(topic, real_papers())} == set(REFERENCE_IDS)  # and nothing else


def test_virtual_humans_keywords_stay_precise_without_category_help() -> None:
    """The other 118 papers (testing, LLMs, physics, human trajectories...) must not match on words alone."""
    topic = preset("virtual-humans")
    assert topic is not None
    expr = parse(topic.expression)
    stray = [p.title for p in real_papers() if p.id not in REFERENCE_IDS and expr.matches(p.title, p.abstract)]
    assert stray == []


def test_presets_are_builtin_bilingual_and_parse() -> None:
    names = {t.name for t in PRESETS}
    assert {"virtual-humans", "llm", "diffusion", "3d-vision", "robotics"} <= names
    assert len(names) == len(PRESETS)
    for topic in PRESETS:
        assert topic.builtin and topic.owner is None
        chinese, _, english = topic.title.partition(" · ")
        assert chinese and english, topic.title
        assert topic.categories and "\n" not in topic.description
        assert parse(topic.expression).positive_terms()


@pytest.mark.parametrize(
    ("name", "title", "cats", "expected"),
    [
        ("llm", "Scaling Instruction-Tuned Large Language Models", ("cs.CL",), True),
        ("llm", "Sparse Regression for Cosmology", ("cs.LG",), False),
        ("diffusion", "Latent Diffusion Models for Text-to-Image Synthesis", ("cs.CV",), True),
        ("diffusion", "Anomalous diffusion of tracer particles in organ tissue", ("cs.LG",), False),
        ("3d-vision", "3D Gaussian Splatting for Real-Time Radiance Field Rendering", ("cs.GR",), True),
        ("3d-vision", "Image Classification with Vision Transformers", ("cs.CV",), False),
        ("robotics", "Learning Dexterous Manipulation Policies from Video", ("cs.RO",), True),
        ("robotics", "Learning Dexterous Manipulation Policies from Video", ("cs.CV",), False),
        ("virtual-humans", "Audio-Driven Talking-Head Synthesis", ("cs.CV",), True),
        ("virtual-humans", "Organ Segmentation in CT Scans", ("cs.CV",), False),
    ],
)
def test_presets_sort_typical_titles(name: str, title: str, cats: tuple[str, ...], expected: bool) -> None:
    topic = preset(name)
    assert topic is not None
    assert topic_matches(topic, make_paper("2407.00001", title, cats=cats)) is expected


def test_score_is_none_outside_topic_categories() -> None:
    topic = Topic("t", "T", ("cs.CV",), "avatar")
    assert score(topic, make_paper("1", "Avatars", cats=("cs.CL",))) is None
    assert score(topic, make_paper("2", "Robots", cats=("cs.CV",))) is None
    assert score(topic, make_paper("3", "Avatars", cats=("cs.CL", "cs.CV"))) is not None
    keyword_only = Topic("k", "K", (), "avatar")
    assert score(keyword_only, make_paper("4", "Avatars", cats=("cs.CL",))) is not None


def test_title_hits_rank_above_abstract_hits() -> None:
    topic = Topic("t", "T", ("cs.CV",), 'avatar OR "talking head"')
    in_title = make_paper("2407.00001", "Head avatars from phones", "We reconstruct faces.", day=1)
    in_abstract = make_paper(
        "2407.00002", "Neural faces", "An avatar, a talking head, an avatar and another avatar.", day=5
    )
    assert score(topic, in_title) > score(topic, in_abstract)  # type: ignore[operator]
    assert rank(topic, [in_abstract, in_title]) == [in_title, in_abstract]


def test_rank_breaks_ties_by_newer_date_then_id() -> None:
    topic = Topic("t", "T", ("cs.CV",), "avatar")
    old, new = make_paper("2407.1", "Avatar", day=1), make_paper("2407.2", "Avatar", day=3)
    twin = make_paper("2407.0", "Avatar", day=3)
    unrelated = make_paper("2407.3", "Robots", day=9)
    assert rank(topic, [old, unrelated, new, twin]) == [twin, new, old]


def test_muted_keyword_excludes_paper() -> None:
    survey = make_paper("1", "A survey of Gaussian avatars")
    method = make_paper("2", "Gaussian avatars in real time")
    index = FilterIndex({"alice": UserFilters(includes=["avatar"], mutes=["survey"]),
                         "bob": UserFilters(includes=["avatar"])})
    assert index.match(survey) == {"bob"}
    assert index.match(method) == {"alice", "bob"}
    assert index.match_all([survey, method]) == {"alice": [method], "bob": [survey, method]}


def test_user_without_includes_gets_everything_not_muted() -> None:
    index = FilterIndex({"carol": UserFilters(mutes=["survey"])})
    papers = [make_paper("1", "A survey"), make_paper("2", "A method")]
    assert index.match_all(papers) == {"carol": [papers[1]]}


def test_broken_filter_is_reported_and_matches_nothing() -> None:
    index = FilterIndex({"dave": UserFilters(includes=["avatar AND (head"], mutes=['"oops'])})
    assert "unbalanced parenthesis" in index.errors["dave"][0]
    assert "unclosed quote" in index.errors["dave"][1]
    assert index.match(make_paper("1", "Head avatar")) == set()


WORDS = [
    "gan", "GANs", "organ", "StyleGAN", "avatar", "Avatars", "WildAvatar", "avatar-based",
    "talking", "head", "heads", "talking-head", "3D", "GS", "3D-GS", "3dgs", "虚拟人", "基于NeRF的",
    "nerf", "NeRFs", "ai", "said", "AI's", "survey", "surveys", "diffusion", "model", "models",
    "s", "x", ",", ".", "(", ")", "-",
]
LEAVES = [
    "gan", "avatar", '"talking head"', "3d-gs", "3dgs", "虚拟人", "nerf*", "ai", "head", "organ",
    '"diffusion model"', "survey", "mod*", "s",
]


def filter_expressions() -> st.SearchStrategy[str]:
    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        pair = st.tuples(inner, inner)
        return st.one_of(
            pair.map(lambda p: f"{p[0]} OR {p[1]}"),
            pair.map(lambda p: f"{p[0]} AND {p[1]}"),
            inner.map(lambda x: f"NOT ({x})"),
            inner.map(lambda x: f"({x})"),
        )

    return st.recursive(st.sampled_from(LEAVES), grow, max_leaves=5)


sentences = st.lists(st.sampled_from(WORDS), max_size=14).map(" ".join)
user_filters = st.builds(
    UserFilters,
    includes=st.lists(filter_expressions(), max_size=3),
    mutes=st.lists(st.sampled_from(LEAVES), max_size=2),
)


def naive_match(filters: UserFilters, paper: Paper) -> bool:
    def hit(text: str) -> bool:
        return compiled(text).matches(paper.title, paper.abstract)

    included = not filters.includes or any(hit(t) for t in filters.includes)
    return included and not any(hit(m) for m in filters.mutes)


@settings(max_examples=200, deadline=None)
@given(
    users=st.dictionaries(st.sampled_from([f"u{i}" for i in range(12)]), user_filters, max_size=8),
    texts=st.lists(st.tuples(sentences, sentences), min_size=1, max_size=6),
)
def test_filter_index_agrees_with_naive_matching(
    users: dict[str, UserFilters], texts: list[tuple[str, str]]
) -> None:
    papers = [make_paper(str(i), title, abstract) for i, (title, abstract) in enumerate(texts)]
    index = FilterIndex(users)
    expected_all: dict[str, list[Paper]] = {}
    for paper in papers:
        expected = {u for u, f in users.items() if naive_match(f, paper)}
        assert index.match(paper) == expected, paper
        for u in sorted(expected):
            expected_all.setdefault(u, []).append(paper)
    assert index.match_all(papers) == expected_all


def test_filter_index_boundary_rules_agree_with_regexes_exhaustively() -> None:
    """Every leaf against every word and word pair: edges of the text are where checks slip."""
    users = {leaf: UserFilters(includes=[leaf]) for leaf in LEAVES}
    index = FilterIndex(users)
    texts = WORDS + [f"{a}{b}" for a in WORDS for b in WORDS] + [f"{a} {b}" for a in WORDS for b in WORDS]
    for i, text in enumerate(texts):
        for paper in (make_paper(str(i), text), make_paper(str(i), "", text)):
            expected = {leaf for leaf in LEAVES if parse(leaf).matches(paper.title, paper.abstract)}
            assert index.match(paper) == expected, text


def test_filter_index_agrees_with_naive_matching_on_real_abstracts() -> None:
    rng = random.Random(7)
    papers = list(real_papers())
    vocab = ["test*", '"language model"', "llm", "avatar", "gaussian", '"unit test"', "quantum",
             "helium", "flaky", "gan", "fuzz*", "metamorphic", "smpl-x", "nerf", '"hypothesis testing"']
    users = {
        f"u{i}": UserFilters(
            includes=[" OR ".join(rng.sample(vocab, 2)), f"{rng.choice(vocab)} -{rng.choice(vocab)}"],
            mutes=rng.sample(vocab, rng.randint(0, 1)),
        )
        for i in range(80)
    }
    index = FilterIndex(users)
    result = index.match_all(papers)
    for user, filters in users.items():
        assert result.get(user, []) == [p for p in papers if naive_match(filters, p)], user
    assert sum(map(len, result.values())) > 80  # the check above compared something


@pytest.mark.parametrize("topic", PRESETS, ids=lambda t: t.name)
def test_preset_expression_survives_filter_index(topic: Topic) -> None:
    index = FilterIndex({"u": UserFilters(includes=[topic.expression])})
    for paper in real_papers():
        assert (index.match(paper) == {"u"}) == parse(topic.expression).matches(paper.title, paper.abstract)
