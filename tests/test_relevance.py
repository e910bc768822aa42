"""The relevance score: keyword evidence counted once, and a ranking that learns from 👍/👎."""

from __future__ import annotations

from bot.topics.expression import parse
from bot.topics.matcher import rank as keyword_rank
from bot.topics.matcher import score
from bot.topics.presets import preset
from bot.topics.relevance import TextSpace, Vote, learn, rank, term_keys, top_for_many
from tests.test_topic_matching import make_paper, real_papers

AVATARS = preset("virtual-humans")
assert AVATARS is not None


def test_head_avatar_in_a_title_is_one_piece_of_evidence_not_two() -> None:
    expr = parse('avatar OR "head avatar"')
    assert expr.hits("Gaussian Head Avatar", "") == (1, 0)
    assert [t.label for t in expr.evidence("Gaussian Head Avatar", "")[0]] == ["head avatar"]
    # Elsewhere in the same field the shorter term is evidence of its own.
    assert expr.hits("Head avatar and full-body avatars", "") == (2, 0)


def test_a_title_with_an_overlapping_phrase_no_longer_outranks_two_distinct_facets() -> None:
    overlapping = make_paper("1", "Head Avatar")
    two_facets = make_paper("2", "Talking head avatars")
    assert score(AVATARS, overlapping) == 10.5
    assert score(AVATARS, two_facets) == 20.5


def test_with_no_feedback_the_order_is_exactly_the_keyword_order() -> None:
    papers = list(real_papers())
    assert [s.paper for s in rank(AVATARS, papers)] == keyword_rank(AVATARS, papers)


def test_each_entry_says_which_terms_matched() -> None:
    ranked = rank(AVATARS, [make_paper("1", "Gaussian head avatar", "We animate a talking head.")])
    assert ranked[0].reason.kind == "terms"
    assert ranked[0].reason.detail == "head avatar, talking head"


def test_likes_lift_papers_like_the_liked_ones_and_say_so() -> None:
    hands = [make_paper(f"h{i}", f"Hand avatar reconstruction number {i}", "hand mesh grasp fingers articulated")
             for i in range(4)]
    faces = [make_paper(f"f{i}", f"Talking head avatar {i}", "audio driven talking face lip sync speech portrait")
             for i in range(6)]
    papers = faces + hands
    before = [s.paper.id for s in rank(AVATARS, papers)]
    assert before[0].startswith("f")
    liked = make_paper("old", "Hand avatar from a single image", "hand mesh grasp fingers articulated")
    ranked = rank(AVATARS, papers, [Vote(liked, 1), Vote(faces[0], 0)])
    assert {s.paper.id for s in ranked[:4]} == {p.id for p in hands}
    assert ranked[0].reason.kind == "close" and ranked[0].reason.detail == liked.title


def test_a_followed_authors_paper_is_pinned_first_even_without_keywords() -> None:
    other = make_paper("x", "A study of soil bacteria", "no keywords here")
    other = type(other)(**{**other.__dict__, "authors": ("Zoë Müller",)})
    ranked = rank(AVATARS, [make_paper("1", "Talking head avatars"), other], followed=["zoe muller"])
    assert ranked[0].paper.id == "x" and ranked[0].reason.kind == "author"


def test_a_model_keeps_words_prefs_can_show() -> None:
    papers = list(real_papers())
    space = TextSpace(papers)
    liked = [p for p in papers if "avatar" in p.title.lower()][:2]
    model = learn(AVATARS, [Vote(p, 1) for p in liked] + [Vote(papers[-1], 0)], space)
    assert model is not None
    positive, negative = model.strongest(5)
    assert positive and negative
    assert learn(AVATARS, [], space) is None


def test_many_audiences_ranked_in_batches_get_the_order_each_model_gives_alone() -> None:
    papers = list(real_papers())
    space = TextSpace(papers)
    wants_avatars = learn(AVATARS, [Vote(p, int("avatar" in p.title.lower())) for p in papers[:6]], space)
    wants_other = learn(AVATARS, [Vote(p, int("avatar" not in p.title.lower())) for p in papers[:6]], space)
    assert wants_avatars is not None and wants_other is not None
    models = [wants_avatars, wants_other] * 3
    best = top_for_many(space, models, k=3, batch=4)  # batches of 4 and 2
    for model, row in zip(models, best, strict=True):
        alone = (space.matrix @ space.weights([model])).toarray().ravel()
        assert sorted(alone[row].tolist(), reverse=True) == alone[row].tolist()
        assert alone[row[-1]] >= sorted(alone.tolist(), reverse=True)[2]


def test_a_models_terms_are_kept_as_keys_that_are_the_same_in_every_process() -> None:
    assert term_keys(["avatar", "head avatar"]).tolist() == [6461034774858996500, 15780565984499800360]
