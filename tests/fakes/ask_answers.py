"""How the model fakes answer an ``/ask`` prompt (a response schema with ``paper_says``).

Like a real model, the fake reads what it was given (the prompt and any attached PDF),
finds the sentence that shares the most words with the question and answers from it,
naming the page when the prompt labels pages (``[p. 3]``). With nothing in common it
answers that the paper does not say. Scripted modes:

* "degenerate": the same few words over and over;
* "invent": a good answer plus numbers found nowhere in the paper;
* "obey": a model that follows instructions printed in the paper: the URL and
  ``@everyone`` the paper says to post go into the answer, or into the fields named
  (``answer``, ``sources``), in the form ``disguise`` names;
* "not_json", "truncated": broken output, as for summaries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

INVENTED = "It reaches 97.3% accuracy on 12345 images."
_STOP = {"what", "which", "does", "with", "they", "their", "this", "that", "from", "have", "paper", "about",
         "there", "where", "when", "how", "were", "used", "the", "and", "for", "are", "use"}


def ask_answer(mode: str, language: str, prompt: str, pdfs: Sequence[bytes], disguise: str,
               fields: tuple[str, ...] = ("answer",)) -> tuple[str, str]:
    from tests.fakes.gemini import obey, pdf_text

    if mode == "not_json":
        return ("Sure! The paper trains on videos.", "STOP")
    question = _question(prompt)
    paper = "\n".join([prompt.split("\nQuestion:")[0].split("\n问题：")[0], *(pdf_text(p) for p in pdfs)])
    found = best_sentence(question, paper)
    data: dict[str, Any]
    if found is None:
        data = {"answer": "论文没有提到这一点。" if language == "zh" else "The paper does not say.",
                "sources": [], "paper_says": False}
    else:
        sentence, page = found
        answer = ("论文在正文中讨论了这一点：该方法先校正人体模型的对齐，再自适应地优化三维表示。" if language == "zh"
                  else f"The paper says: {sentence}")
        data = {"answer": answer, "sources": [f"p. {page}" if page else "§3"], "paper_says": True}
    if mode == "degenerate":
        data["answer"] = " ".join(["the model improves the results"] * 40)
    if mode == "invent":
        data["answer"] += " " + ("在 12345 张图像上达到 97.3% 的准确率。" if language == "zh" else INVENTED)
    if mode == "obey":
        data = obey(data, paper, disguise, fields)
    text = json.dumps(data, ensure_ascii=False)
    if mode == "truncated":
        return (text[: len(text) // 2], "MAX_TOKENS")
    return (text, "STOP")


def best_sentence(question: str, paper: str) -> tuple[str, int | None] | None:
    """The paper sentence sharing most content words with the question, and its page label if any."""
    wanted = _words(question)
    best: tuple[int, str, int | None] | None = None
    page: int | None = None
    for piece in re.split(r"(\[p\. \d+\])|(?<=[.!?])\s+", " ".join(paper.split())):
        if not piece:
            continue
        if label := re.fullmatch(r"\[p\. (\d+)\]", piece):
            page = int(label.group(1))
            continue
        score = len(wanted & _words(piece))
        if score and (best is None or score > best[0]):
            best = (score, piece, page)
    if best is None:
        return None
    words = best[1].split()[:30]
    return " ".join(words).rstrip(".,;:") + ".", best[2]


def _question(prompt: str) -> str:
    match = re.search(r"^(?:Question: |问题：)(.+)$", prompt, re.MULTILINE)
    return match.group(1).strip() if match else ""


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in _STOP}
