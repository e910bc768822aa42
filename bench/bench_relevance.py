"""Does the learned ranking find a researcher's narrow interest inside a broad topic? Real June 2026 days.

Each persona subscribes to a broad preset topic but only wants a narrow sub-area (a hidden
predicate on title and abstract, which the ranking never sees). Every day it reads the top
10 of its digest and taps 👍 on the papers that fit and 👎 on the others; the next day's
digest is ranked with all taps so far. We report precision@10 and nDCG@10 per day against
today's keyword ranking on the same days, and the time and memory to rank 1,000 papers
for 10,000 audiences.

    .venv/bin/python bench/bench_relevance.py            # quality + scale; writes the plot and relevance.json
    # (its table for RESULTS.md is kept by hand in bench/results/relevance.md)
    .venv/bin/python bench/bench_relevance.py --quality  # quality only
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import re
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

from bench.listings import days, served_days
from bot.models import Paper
from bot.topics.matcher import rank as keyword_rank
from bot.topics.presets import preset
from bot.topics.relevance import Model, TextSpace, Vote, learn, rank

RESULTS = Path(__file__).resolve().parent / "results"
FEEDBACK_DAYS = 3


@dataclass(frozen=True)
class Persona:
    name: str
    topic: str
    interest: str  # regex on lower-cased title + abstract: what this researcher actually wants

    def wants(self, paper: Paper) -> bool:
        return re.search(self.interest, f"{paper.title} {paper.abstract}".lower()) is not None


PERSONAS = (
    Persona("LLM agents for code", "llm",
            r"\bagent(s|ic)?\b.*\b(code|coding|software|program\w*|repositor\w*|swe)\b"
            r"|\b(code|coding|software|repositor\w*|swe)\b.*\bagent(s|ic)?\b"),
    Persona("jailbreaks and safety", "llm", r"jailbreak|red[- ]team|harmful|unsafe|\bsafety\b|guardrail"),
    Persona("video generation", "diffusion",
            r"\bvideo\b.*\b(generat\w*|synthes\w*)\b|\b(generat\w*|synthes\w*)\b.*\bvideo\b"),
)


def precision(top: list[Paper], persona: Persona) -> float:
    return sum(persona.wants(p) for p in top) / 10


def ndcg(top: list[Paper], persona: Persona, relevant: int) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, p in enumerate(top) if persona.wants(p))
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, relevant)))
    return dcg / ideal if ideal else 0.0


def quality(from_files: bool = False) -> dict[str, list[dict[str, float]]]:
    """Per persona and day, the learned ranking against the keyword one on the same papers.

    The days come through the fake arXiv and the real source (RSS plus API enrichment), as
    a digest would get them; ``from_files`` reads the listing files directly instead.
    """
    listing = days() if from_files else asyncio.run(served_days())
    out: dict[str, list[dict[str, float]]] = {}
    for persona in PERSONAS:
        topic = preset(persona.topic)
        assert topic is not None
        votes: list[Vote] = []
        rows = []
        for day, papers in listing:
            baseline = keyword_rank(topic, papers)
            relevant = sum(persona.wants(p) for p in baseline)
            fresh = rank(topic, papers)  # no feedback at all: must never be worse than keywords
            learned = [s.paper for s in rank(topic, papers, votes)][:10]
            rows.append({
                "day": day.isoformat(), "matched": len(baseline), "relevant": relevant,
                "keyword_p10": precision(baseline[:10], persona),
                "fresh_p10": precision([s.paper for s in fresh][:10], persona),
                "learned_p10": precision(learned, persona),
                "keyword_ndcg": ndcg(baseline[:10], persona, relevant),
                "learned_ndcg": ndcg(learned, persona, relevant),
                "oracle_p10": min(10, relevant) / 10,
            })
            votes += [Vote(p, int(persona.wants(p))) for p in learned]  # the day's taps on its top 10
        out[persona.name] = rows
    return out


def scale(n_papers: int = 1000, n_audiences: int = 10_000) -> dict[str, float]:
    """Rank one day's 1,000 candidates for 10,000 audiences that each voted on 20 papers."""
    listing = days()
    pool = [p for _, papers in listing for p in papers]
    papers = pool[:n_papers]
    topic = preset("llm")
    assert topic is not None
    rng = random.Random(12)
    train_space = TextSpace(pool[n_papers:n_papers + 1000])
    started = time.perf_counter()
    distinct = [learn(topic, [Vote(p, rng.randint(0, 1)) for p in rng.sample(train_space.papers, 20)], train_space)
                for _ in range(50)]
    train_seconds = (time.perf_counter() - started) / 50
    models: list[Model] = [m for m in (distinct[i % 50] for i in range(n_audiences)) if m is not None]
    models = [Model(dict(m.weights), m.liked) for m in models]  # 10,000 separate objects, as in a bot
    started = time.perf_counter()
    space = TextSpace(papers)
    scores = space.matrix @ space.weights(models)
    best = scores.toarray().argsort(axis=0)[-10:]  # each audience's top 10
    seconds = time.perf_counter() - started
    assert best.shape == (10, n_audiences)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"papers": n_papers, "audiences": n_audiences, "rank_seconds": seconds, "peak_mb": peak_mb,
            "train_ms_per_audience": train_seconds * 1000}


def plot(results: dict[str, list[dict[str, float]]]) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 4), sharey=True)
    for ax, (name, rows) in zip(axes, results.items(), strict=True):
        x = [r["day"][5:] for r in rows]
        ax.plot(x, [r["learned_p10"] for r in rows], "o-", label="learned (taps from earlier days)")
        ax.plot(x, [r["keyword_p10"] for r in rows], "s--", label="keywords (today)")
        ax.plot(x, [r["oracle_p10"] for r in rows], ":", color="grey", label="best possible")
        ax.axvline(FEEDBACK_DAYS - 0.5, color="lightgrey")
        ax.set_title(name)
        ax.set_xlabel("June 2026 listing day")
        ax.tick_params(axis="x", rotation=45)
    axes[0].set_ylabel("precision@10")
    axes[0].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "relevance_precision.png"
    fig.savefig(path, dpi=110)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quality", action="store_true", help="skip the 10,000-audience timing")
    parser.add_argument("--files", action="store_true", help="read the listing files, not the fake arXiv")
    args = parser.parse_args()
    results = quality(from_files=args.files)
    print("persona | day | matched | relevant | keyword p@10 | no-feedback p@10 | learned p@10 | keyword nDCG | "
          "learned nDCG")
    for name, rows in results.items():
        for r in rows:
            print(f"{name} | {r['day']} | {r['matched']} | {r['relevant']} | {r['keyword_p10']:.1f} | "
                  f"{r['fresh_p10']:.1f} | {r['learned_p10']:.1f} | {r['keyword_ndcg']:.2f} | {r['learned_ndcg']:.2f}")
        later = rows[FEEDBACK_DAYS:]
        kw = sum(r["keyword_p10"] for r in later) / len(later)
        le = sum(r["learned_p10"] for r in later) / len(later)
        orc = sum(r["oracle_p10"] for r in later) / len(later)
        worse = sum(r["fresh_p10"] < r["keyword_p10"] for r in rows)
        ratio = le / kw if kw else float("inf")
        print(f"== {name}: days 4-10 mean p@10 keyword {kw:.2f}, learned {le:.2f} ({ratio:.1f}x),"
              f" best possible {orc:.2f}; days where no-feedback < keyword: {worse}")
    print("plot:", plot(results))
    if not args.quality:
        print(scale())


if __name__ == "__main__":
    main()
