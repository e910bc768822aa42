"""The keyword expression language used by topics and user filters."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.topics.expression import MAX_LENGTH, MAX_TERMS, ExpressionError, parse

# Texts chosen to sit right on the boundary rules.
SAMPLE_TEXTS = [
    "Expressive Gaussian Human Avatars from Monocular RGB Video",
    "WildAvatar: a dataset for avatar-based 3D-GS rendering",
    "We study the human organ and organic chemistry.",
    "StyleGAN2 and other GANs; a GAN's latent space.",
    "Talking-head synthesis with talking heads and a talking  head",
    "本文提出一种虚拟人驱动方法，基于NeRF的数字人重建。",
    "AI is said to maintain 3DGS and 3D GS scenes",
    "",
]


def test_phrase_matches_on_word_boundaries() -> None:
    expr = parse('"talking head"')
    assert expr.matches("Audio-driven talking head generation")
    assert expr.matches("Talking-Heads in the wild")  # hyphen is a separator, plural s allowed
    assert expr.matches("a talking\n  head")
    assert not expr.matches("stalking headlines")
    assert not expr.matches("talking headset")


def test_gan_does_not_match_organ() -> None:
    expr = parse("GAN")
    assert not expr.matches("an organ transplant study")
    assert not expr.matches("Organic semiconductors")
    assert not expr.matches("StyleGAN2 textures")  # a different word, on purpose
    assert expr.matches("we train a GAN")
    assert expr.matches("Online GANs for testing")
    assert expr.matches("the GAN-based generator")


def test_term_matches_simple_plural_but_not_longer_words() -> None:
    expr = parse("avatar")
    assert expr.matches("Gaussian Avatars")
    assert expr.matches("avatar's face")
    assert not expr.matches("WildAvatar dataset")
    assert not expr.matches("avatarsx")
    assert not parse("avatars").matches("one avatar")  # only the written word grows an s


def test_hyphenated_term_matches_spaced_and_hyphenated_text() -> None:
    expr = parse("3d-gs")
    assert expr.matches("3D-GS scenes") and expr.matches("3D GS scenes")
    assert not expr.matches("3DGS scenes")


def test_wildcard_matches_word_prefixes_only() -> None:
    expr = parse("avatar*")
    assert expr.matches("Avatarization of faces") and expr.matches("avatar")
    assert not expr.matches("WildAvatar")
    with pytest.raises(ExpressionError, match="wildcard"):
        parse("a*")
    with pytest.raises(ExpressionError, match="wildcard"):
        parse("av*tar")


def test_chinese_keywords_match_as_substrings() -> None:
    expr = parse("（虚拟人 OR 数字人） -元宇宙")  # full-width brackets from a Chinese keyboard
    assert str(expr) == "(虚拟人 OR 数字人) AND NOT 元宇宙"
    assert expr.matches("本文提出一种虚拟人驱动方法")
    assert expr.matches("数字人重建")
    assert not expr.matches("元宇宙中的虚拟人")
    assert parse("nerf").matches("基于NeRF的方法")  # Han characters do not glue Latin words
    assert parse("“talking head”").matches("talking heads")  # curly quotes


def test_precedence_not_over_and_over_or() -> None:
    expr = parse("a OR b AND NOT c")
    assert str(expr) == "a OR b AND NOT c"
    assert expr.matches("a c")
    assert expr.matches("b")
    assert not expr.matches("b c")
    assert str(parse("(a OR b) c")) == "(a OR b) AND c"


def test_adjacent_terms_and_minus_mean_and_not() -> None:
    expr = parse("gaussian avatar -survey")
    assert str(expr) == "gaussian AND avatar AND NOT survey"
    assert expr.matches("Gaussian head avatar")
    assert not expr.matches("A survey of Gaussian avatars")
    assert not expr.matches("Gaussian splatting")


def test_operators_are_case_insensitive_and_quotes_make_them_words() -> None:
    assert str(parse("avatar or nerf")) == "avatar OR nerf"
    assert parse('"or"').matches("this or that")


def test_unbalanced_parenthesis_error_points_at_position() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("avatar AND (head")
    err = info.value
    assert err.position == 11
    first, caret = str(err).splitlines()
    assert first == "unbalanced parenthesis at position 11: avatar AND (head"
    assert caret.index("^") == first.index("(head")
    with pytest.raises(ExpressionError, match="unbalanced parenthesis at position 6"):
        parse("avatar) OR head")


@pytest.mark.parametrize(
    ("text", "reason", "position"),
    [
        ('avatar "talking head', "unclosed quote", 7),
        ("   ", "empty expression", 0),
        ("avatar AND", "missing term after AND", 7),
        ("OR avatar", "missing term before OR", 0),
        ("avatar OR NOT", "missing term after NOT", 10),
        ("avatar - head", "missing term after '-'", 7),
        ("avatar ()", "empty parentheses", 7),
        ('""', "empty quotes", 0),
        ("avatar &&", "term without letters or digits", 7),
    ],
)
def test_syntax_errors_name_the_problem_and_position(text: str, reason: str, position: int) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert info.value.reason == reason
    assert info.value.position == position
    assert isinstance(info.value, ValueError)


def test_limits_on_length_terms_and_nesting() -> None:
    with pytest.raises(ExpressionError, match="too long"):
        parse("a" * (MAX_LENGTH + 1))
    with pytest.raises(ExpressionError, match="too many terms") as info:
        parse(" OR ".join(f"t{i}" for i in range(MAX_TERMS + 1)))
    assert info.value.position > 0
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("(" * 30 + "a" + ")" * 30)
    parse(" OR ".join(f"t{i}" for i in range(MAX_TERMS)))  # exactly at the limit is fine
    typed = " ".join(f"word{i:05d}" for i in range(MAX_TERMS))  # 999 characters of implicit ANDs
    assert len(typed) <= MAX_LENGTH
    with pytest.raises(ExpressionError, match="too long once written out"):
        parse(typed)  # "word00000 AND word00001 AND ..." would not parse back


def test_hits_count_distinct_positive_terms_per_field() -> None:
    expr = parse('avatar OR "talking head" OR NOT survey')
    assert expr.hits("Talking head avatars", "An avatar, an avatar, an avatar. A survey.") == (2, 1)
    assert expr.positive_terms() == ["avatar", "talking head"]
    assert parse("nerf* -survey").positive_terms() == ["nerf*"]


def test_phrases_do_not_span_title_and_abstract() -> None:
    expr = parse('"video nuanced"')
    assert not expr.matches("from monocular video", "Nuanced expressiveness")
    assert expr.matches("video nuanced")


LEAVES = ["gan", "avatar", '"talking head"', "3d-gs", "虚拟人", "nerf*", "ai", '"or"', "head", "organ"]


def expressions() -> st.SearchStrategy[str]:
    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        pair = st.tuples(inner, inner)
        return st.one_of(
            pair.map(lambda p: f"{p[0]} AND {p[1]}"),
            pair.map(lambda p: f"{p[0]} or {p[1]}"),
            pair.map(lambda p: f"{p[0]} {p[1]}"),
            inner.map(lambda x: f"NOT {x}"),
            inner.map(lambda x: f"-({x})"),
            inner.map(lambda x: f"({x})"),
        )

    return st.recursive(st.sampled_from(LEAVES), grow, max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(expressions())
def test_canonical_form_round_trips(text: str) -> None:
    expr = parse(text)
    again = parse(str(expr))
    assert again == expr
    assert str(again) == str(expr)
    for sample in SAMPLE_TEXTS:
        assert again.matches(sample) == expr.matches(sample)


PIECES = list('ab gan()"-*\t\n（）“”中文\x00') + ["AND", " OR ", "NOT ", "-(", "s*"]
NASTY = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=200), NASTY, st.text(min_size=990, max_size=1010)))
def test_parse_only_ever_raises_expression_error(text: str) -> None:
    try:
        expr = parse(text)
    except ExpressionError as err:
        assert 0 <= err.position <= len(text)
        assert str(err)
    else:
        expr.matches(text)
        assert parse(str(expr)) == expr
