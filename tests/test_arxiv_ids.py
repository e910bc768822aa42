"""What users may type to name a paper, and what must be refused without fetching anything."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.arxiv.ids import ArxivIdError, ArxivRef, is_arxiv_id, parse_arxiv_ref


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2407.03204", ArxivRef("2407.03204")),
        ("2407.03204v2", ArxivRef("2407.03204", 2)),
        ("  2407.21002  ", ArxivRef("2407.21002")),
        ("arXiv:2407.03204", ArxivRef("2407.03204")),
        ("ARXIV:2407.03204v1", ArxivRef("2407.03204", 1)),
        ("arXiv: 2407.03204", ArxivRef("2407.03204")),
        ("0704.0001", ArxivRef("0704.0001")),
        ("1412.9999v3", ArxivRef("1412.9999", 3)),
        ("hep-th/9901001", ArxivRef("hep-th/9901001")),
        ("hep-th/9901001v2", ArxivRef("hep-th/9901001", 2)),
        ("math.GT/0309136", ArxivRef("math/0309136")),
        ("arXiv:cond-mat/0702661v2", ArxivRef("cond-mat/0702661", 2)),
    ],
)
def test_bare_ids_are_accepted(text: str, expected: ArxivRef) -> None:
    assert parse_arxiv_ref(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://arxiv.org/abs/2407.03204", ArxivRef("2407.03204")),
        ("https://arxiv.org/abs/2407.03204v2", ArxivRef("2407.03204", 2)),
        ("http://arxiv.org/abs/2407.03204", ArxivRef("2407.03204")),
        ("https://www.arxiv.org/abs/2407.03204", ArxivRef("2407.03204")),
        ("https://export.arxiv.org/abs/2407.03204", ArxivRef("2407.03204")),
        ("https://arxiv.org/pdf/2407.03204", ArxivRef("2407.03204")),
        ("https://arxiv.org/pdf/2407.03204v1", ArxivRef("2407.03204", 1)),
        ("https://arxiv.org/pdf/2407.03204v1.pdf", ArxivRef("2407.03204", 1)),
        ("https://arxiv.org/pdf/2407.03204.pdf", ArxivRef("2407.03204")),
        ("https://arxiv.org/html/2407.03204v1", ArxivRef("2407.03204", 1)),
        ("https://arxiv.org/html/2407.03204v1/", ArxivRef("2407.03204", 1)),
        ("https://arxiv.org/html/2407.03204v1#S3", ArxivRef("2407.03204", 1)),
        ("https://arxiv.org/abs/2407.03204?context=cs", ArxivRef("2407.03204")),
        ("https://arxiv.org/abs/hep-th/9901001v1", ArxivRef("hep-th/9901001", 1)),
        ("https://arxiv.org/abs/math.GT/0309136", ArxivRef("math/0309136")),
        ("HTTPS://ArXiv.org/abs/2407.03204", ArxivRef("2407.03204")),
        ("arxiv.org/abs/2407.21002", ArxivRef("2407.21002")),
    ],
)
def test_arxiv_links_are_accepted(text: str, expected: ArxivRef) -> None:
    assert parse_arxiv_ref(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "https://evil.com/abs/2407.03204",
        "https://arxiv.org.evil.com/abs/2407.03204",
        "https://arxiv.org@evil.com/abs/2407.03204",
        "https://user:pw@arxiv.org/abs/2407.03204",
        "https://evil.com/?u=https://arxiv.org/abs/2407.03204",
        "https://arxiv.org:8080/abs/2407.03204",
        "https://notarxiv.org/abs/2407.03204",
        "https://rss.arxiv.org/abs/2407.03204",
        "ftp://arxiv.org/abs/2407.03204",
        "javascript:alert(1)//arxiv.org/abs/2407.03204",
        "javascript:alert('2407.03204')",
        "file:///etc/passwd",
        "https://arxiv.org\\@evil.com/abs/2407.03204",
        "https://arxiv.org/abs/2407.03204 https://evil.com",
    ],
)
def test_non_arxiv_url_rejected(text: str) -> None:
    with pytest.raises(ArxivIdError):
        parse_arxiv_ref(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "<b>2407.03204</b>",
        "2407.03204.",
        "2407.03204v0",
        "2407.3204",  # 2015 on uses five digits
        "0703.12345",  # before April 2007 there were no new-style ids
        "2413.03204",  # month 13
        "2400.03204",
        "1501.1234",  # 2015 on uses five digits
        "foo/9901001",
        "hep-th/9913001",
        "hep-th/1501001",  # old style ended in 2007
        "hep-th/990100",
        "https://arxiv.org/list/cs.CV/recent",
        "https://arxiv.org/abs/",
        "https://arxiv.org/abs/2407.03204.pdf",
        "https://arxiv.org/abs/2407.03204/extra",
        "https://arxiv.org/abs/2407%2E03204",
        "\uff12\uff14\uff10\uff17.\uff10\uff13\uff12\uff10\uff14",  # full-width digits look like ids but are not
        "\u0662\u0664\u0660\u0667.\u0660\u0663\u0662\u0660\u0664",  # so do Arabic-Indic ones
        "2407.03204\n2407.03205",
    ],
)
def test_malformed_input_rejected(text: str) -> None:
    with pytest.raises(ArxivIdError):
        parse_arxiv_ref(text)


def test_rejection_message_is_one_friendly_line() -> None:
    with pytest.raises(ArxivIdError) as info:
        parse_arxiv_ref("https://evil.com/abs/2407.03204")
    message = str(info.value)
    assert "\n" not in message and "evil.com" not in message
    assert "arxiv.org" in message and "2407.03204" in message
    assert isinstance(info.value, ValueError)


class _Watched(str):
    """A string that records every method called on it, to see how much work the parser did."""

    calls: list[str]

    def __getattribute__(self, name: str) -> object:
        if name != "calls" and callable(getattr(str, name, None)):
            object.__getattribute__(self, "calls").append(name)
        return super().__getattribute__(name)

    def __len__(self) -> int:
        self.calls.append("__len__")
        return super().__len__()

    def __contains__(self, item: object) -> bool:
        self.calls.append("__contains__")
        return super().__contains__(item)  # type: ignore[operator]


def test_huge_input_is_rejected_by_its_length_before_anything_reads_it() -> None:
    for raw in ("2" * 10_000, "https://arxiv.org/abs/" + "a/" * 5000, "arXiv:" + " " * 10_000 + "2407.03204"):
        text = _Watched(raw)
        text.calls = []
        with pytest.raises(ArxivIdError, match="too long"):
            parse_arxiv_ref(text)
        assert text.calls == ["__len__"]  # no strip, no search, no pattern: the cost does not grow with the input


def test_versioned_id_round_trips() -> None:
    ref = parse_arxiv_ref("https://arxiv.org/pdf/2407.03204v2")
    assert ref.versioned_id == str(ref) == "2407.03204v2"
    assert parse_arxiv_ref("2407.03204").versioned_id == "2407.03204"


def test_is_arxiv_id_accepts_only_canonical_bare_ids() -> None:
    assert is_arxiv_id("2407.03204")
    assert is_arxiv_id("2407.03204v2")
    assert is_arxiv_id("hep-th/9901001v1")
    assert is_arxiv_id("0704.0001")
    for text in ("arXiv:2407.03204", "https://arxiv.org/abs/2407.03204", " 2407.03204", "2407.03204V2",
                 "math.GT/0309136", "HEP-TH/9901001", "", "2407.03204,2407.21002"):
        assert not is_arxiv_id(text), text


_near_misses = st.text(alphabet="0123456789.v/:-abcdefhimnoprstxyzAGTX@#?% <>\\" + "\u0660\uff10", max_size=60)
_links = st.builds(
    lambda scheme, host, kind, tail: f"{scheme}{host}/{kind}/{tail}",
    st.sampled_from(["https://", "http://", "", "javascript:", "//"]),
    st.sampled_from(
        ["arxiv.org", "www.arxiv.org", "export.arxiv.org", "arxiv.org@evil.com", "evil.com", "arxiv.org.evil.com"]
    ),
    st.sampled_from(["abs", "pdf", "html", "list", ""]),
    _near_misses,
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=400), _near_misses, _links))
def test_parse_arxiv_ref_never_raises_anything_but_arxiv_id_error(text: str) -> None:
    try:
        ref = parse_arxiv_ref(text)
    except ArxivIdError as exc:
        assert "\n" not in str(exc)
        return
    # Whatever is accepted is canonical and safe to put in an API query or a URL path.
    assert is_arxiv_id(ref.id)
    assert ref.id.isascii() and not any(ch in ref.id for ch in "?#&%@:<> ")
    assert ref.version is None or ref.version >= 1


@given(st.sampled_from(["2407.03204", "0704.0001", "hep-th/9901001", "cond-mat/0702661"]), st.integers(1, 999))
def test_every_accepted_form_names_the_same_paper(paper_id: str, version: int) -> None:
    forms = [
        paper_id, f"{paper_id}v{version}", f"arXiv:{paper_id}", f"https://arxiv.org/abs/{paper_id}v{version}",
        f"https://export.arxiv.org/pdf/{paper_id}v{version}.pdf", f"https://www.arxiv.org/html/{paper_id}v{version}",
    ]
    assert {parse_arxiv_ref(f).id for f in forms} == {paper_id}


def test_impossible_id_is_named_in_the_message() -> None:
    with pytest.raises(ArxivIdError, match=r"2499\.99999 is not a valid arXiv id.*no month 99"):
        parse_arxiv_ref("2499.99999")
    with pytest.raises(ArxivIdError, match=r"hep-th/1501001 is not a valid arXiv id"):
        parse_arxiv_ref("arXiv:hep-th/1501001")
