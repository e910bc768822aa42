"""Code and project links found in a paper's own abstract or comment.

The reference digests left these as "to be added" even when the abstract named a
GitHub repository; here they come from arXiv's text, never from a model.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.models import Paper

_URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]+", re.IGNORECASE)
_BARE_REPO = re.compile(r"(?<![\w/.])(?:github\.com|gitlab\.com|huggingface\.co)/[\w.-]+(?:/[\w.-]+)?", re.IGNORECASE)
_CODE_HOSTS = ("github.com", "gitlab.com", "huggingface.co", "bitbucket.org", "codeberg.org", "sr.ht", "gitee.com")
_TRAILING = ".,;:!?'\"”’)]}"


# Abstracts wrap long URLs ("https://github.com/ owner/repo") and LaTeX escapes underscores.
_WRAPPED = re.compile(r"(https?://(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co)/)\s+(?=[\w.-]+/[\w.-]+)",
                      re.IGNORECASE)


def code_links(paper: Paper) -> list[str]:
    """Repository and project-page links, code hosts first, without duplicates."""
    text = f"{paper.abstract}\n{paper.comment or ''}".replace("\\_", "_")
    text = _WRAPPED.sub(r"\1", text)
    found: list[str] = []
    for match in _URL.finditer(text):
        found.append(_clean(match.group(0)))
    for match in _BARE_REPO.finditer(text):
        url = "https://" + _clean(match.group(0))
        if not any(url.split("//", 1)[1] in f for f in found):
            found.append(url)
    unique = list(dict.fromkeys(u for u in found if u and not _is_arxiv(u)))
    return sorted(unique, key=lambda u: (not is_code_host(u), unique.index(u)))


def _clean(url: str) -> str:
    return url.rstrip(_TRAILING)


def is_code_host(url: str) -> bool:
    """True for repositories and model hubs (github.com, huggingface.co…); a github.io page is a project page."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == code or host.endswith("." + code) for code in _CODE_HOSTS)


def _is_arxiv(url: str) -> bool:
    return "arxiv.org/" in url.lower()
