"""Does the learned ranking find a researcher's narrow interest inside a broad topic? Real June 2026 days.

Each persona subscribes to a broad preset topic but only wants a narrow sub-area (a hidden
predicate on title and abstract, which the ranking never sees). Every day it reads the top
10 of its digest and taps 👍 on the papers that fit and 👎 on the others; the next day's
digest is ranked with all taps so far. We report precision@10 and nDCG@10 per day against
today's keyword ranking on the same days, and the time and memory to train and rank
1,000 papers for 10,000 audiences.

    .venv/bin/python bench/bench_relevance.py            # quality + scale: relevance.json, the plot, RESULTS.md
    .venv/bin/python bench/bench_relevance.py --quality  # quality only (keeps the last scale figures)
    .venv/bin/python bench/bench_relevance.py --scale    # scale only (keeps the last quality figures)

The scale figures come from a child process pinned to one core that holds only what a
fan-out needs (the day's 1,000 papers, the voted papers, 10,000 models), so its peak RSS
is training's and ranking's own, not this process's ten days.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import pickle
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

from bench.listings import days, served_days
from bot.models import Paper
from bot.topics.matcher import rank as keyword_rank
from bot.topics.presets import preset
from bot.topics.relevance import (
    AUDIENCE_BATCH,
    Candidates,
    Model,
    Reason,
    Scored,
    TextSpace,
    Vote,
    learn,
    rank,
    top_for_many,
)

RESULTS = Path(__file__).resolve().parent / "results"
FEEDBACK_DAYS = 3
TRAINED_SAMPLE = 40  # audiences trained in each scale run; 10,000's training is their CPU time scaled up
OLD_PATH_SAMPLE = 5  # of those, trained the old way too (a space fitted per audience), for the comparison
VOTES_MIN, VOTES_MAX = 10, 60  # votes per audience in the scale run: a few weeks of taps on a top 10
DIGEST_SAMPLE = 300  # audiences ranked the way a digest ranks one (whole list, reasons); 10,000 is scaled up
STALL_AUDIENCES = 100  # voting chats in each fan-out whose event-loop stalls are measured


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
        model: Model | None = None  # trained at vote time, in the space of the day the taps were on
        rows = []
        for day, papers in listing:
            baseline = keyword_rank(topic, papers)
            relevant = sum(persona.wants(p) for p in baseline)
            fresh = rank(topic, papers)  # no feedback at all: must never be worse than keywords
            candidates = Candidates(topic, papers)
            learned = [s.paper for s in rank(topic, papers, votes, candidates=candidates, model=model)][:10]
            same_day = [s.paper for s in rank(topic, papers, votes, candidates=candidates)][:10]
            oracle = sorted(baseline, key=lambda p: not persona.wants(p))[:10]  # stable: keyword order within
            anywhere = sum(persona.wants(p) for p in papers if set(p.categories) & set(topic.categories))
            rows.append({
                "day": day.isoformat(), "matched": len(baseline), "relevant": relevant,
                "keyword_p10": precision(baseline[:10], persona),
                "fresh_p10": precision([s.paper for s in fresh][:10], persona),
                "learned_p10": precision(learned, persona),
                "same_day_p10": precision(same_day, persona),
                "keyword_ndcg": ndcg(baseline[:10], persona, relevant),
                "learned_ndcg": ndcg(learned, persona, relevant),
                "oracle_p10": precision(oracle, persona),
                "relevant_in_categories": anywhere,
            })
            votes += [Vote(p, int(persona.wants(p))) for p in learned]  # the day's taps on its top 10
            model = learn(topic, votes, candidates.space)  # what the bot's retraining does after the taps
        out[persona.name] = rows
    return out


def scale(n_papers: int = 1000, n_audiences: int = 10_000, runs: int = 3,
          trained: int = TRAINED_SAMPLE) -> dict[str, object]:
    """Train and rank one day's 1,000 candidates for 10,000 audiences that each voted on 10-60 papers.

    Each run is a child pinned to one core holding only what a fan-out holds: the day's
    candidates, the voted papers and the models. It works out the day once (shared by every
    audience), trains ``trained`` audiences' models on it the way a digest does (the old
    path, a fresh space per audience, for a few of them), makes 10,000 separate models of
    them, and ranks. Training 10,000 is ``trained``'s CPU time scaled up: the per-audience
    cost does not depend on how many others there are. Best time of ``runs``; peak RSS is
    the child's own, training and ranking included.
    """
    listing = days()
    pool = [p for _, papers in listing for p in papers]
    children = []
    with tempfile.TemporaryDirectory() as tmp:
        given = Path(tmp) / "scale.pickle"
        given.write_bytes(pickle.dumps((pool[:n_papers], pool[n_papers:n_papers + 3000], n_audiences, trained)))
        for _ in range(runs):
            load = os.getloadavg()[0]
            done = subprocess.run([sys.executable, __file__, "--scale-child", str(given)], check=True,
                                  capture_output=True, text=True)
            children.append({**json.loads(done.stdout), "load_before": round(load, 2)})
    best = min(children, key=lambda c: c["rank_seconds"])
    digest_ms = min(c["digest_rank_ms_per_audience"] for c in children)
    train = min(c["train_ms_per_audience"] for c in children)
    old = min(c["old_train_ms_per_audience"] for c in children)
    return {"papers": n_papers, "audiences": n_audiences, "votes_per_audience": [VOTES_MIN, VOTES_MAX],
            "rank_seconds": round(best["rank_seconds"], 2),
            "wall_seconds": round(best["wall_seconds"], 2), "audience_batch": AUDIENCE_BATCH,
            "shared_day_seconds": round(min(c["shared_day_seconds"] for c in children), 2),
            "trained_sample": trained, "train_ms_per_audience": round(train, 1),
            "old_train_ms_per_audience": round(old, 1),
            "train_seconds_all_audiences": round(train * n_audiences / 1000, 1),
            "old_train_seconds_all_audiences": round(old * n_audiences / 1000, 1),
            "peak_rss_mb": round(max(c["peak_rss_mb"] for c in children), 1),
            "digest_rank_ms_per_audience": round(digest_ms, 2),
            "digest_rank_seconds_all_audiences": round(digest_ms * n_audiences / 1000, 1),
            "loop_stalls": stalls(),
            "rss_before_ranking_mb": round(best["rss_before_ranking_mb"], 1),
            "rss_after_imports_mb": round(best["rss_after_imports_mb"], 1), "runs": children,
            "load_average_1min": [c["load_before"] for c in children]}


def scale_child(given: Path) -> None:
    """The measured child: one core; the candidates, the voted papers and the models in memory."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    imported = _peak_mb()
    papers, voted_pool, n_audiences, n_trained = pickle.loads(given.read_bytes())
    topic = preset("llm")
    assert topic is not None
    rng = random.Random(12)
    ballots = [[Vote(p, int(rng.random() < 0.4)) for p in rng.sample(voted_pool, rng.randint(VOTES_MIN, VOTES_MAX))]
               for _ in range(n_trained)]
    started = time.process_time()  # CPU time: the shared cores' load would inflate a wall-clock figure
    everyone = [Scored(p, 0.0, Reason("none")) for p in papers]  # every candidate ranked, as before: 1,000 of them
    shared = Candidates(topic, papers, everyone)
    space = shared.space
    shared_seconds = time.process_time() - started
    started = time.process_time()
    distinct = [learn(topic, votes, space) for votes in ballots]
    train_ms = (time.process_time() - started) / n_trained * 1000
    old_sample = ballots[:OLD_PATH_SAMPLE]  # the path before: a space fitted per audience, its votes included
    started = time.process_time()
    for votes in old_sample:
        learn(topic, votes, TextSpace([*papers, *(v.paper for v in votes)]))
    old_ms = (time.process_time() - started) / len(old_sample) * 1000
    kept = [m for m in distinct if m is not None]
    models = [Model(m.keys.copy(), m.values.copy(), m.liked, m.words)  # separate arrays, as in a bot
              for m in (kept[i % len(kept)] for i in range(n_audiences))]
    del distinct, kept
    before = _peak_mb()
    started, wall = time.process_time(), time.perf_counter()
    best = top_for_many(space, models, 10)
    seconds, wall = time.process_time() - started, time.perf_counter() - wall
    assert best.shape == (n_audiences, 10)
    started = time.process_time()  # what a digest does per audience: the whole ranked list, with reasons
    for i in range(DIGEST_SAMPLE):
        rank(topic, papers, ballots[i % len(ballots)], candidates=shared, model=models[i])
    digest_ms = (time.process_time() - started) / DIGEST_SAMPLE * 1000
    print(json.dumps({"rank_seconds": seconds, "wall_seconds": wall, "rss_after_imports_mb": imported,
                      "shared_day_seconds": shared_seconds, "train_ms_per_audience": train_ms,
                      "old_train_ms_per_audience": old_ms, "rss_before_ranking_mb": before,
                      "digest_rank_ms_per_audience": digest_ms, "peak_rss_mb": _peak_mb()}))


def stalls(n_audiences: int = STALL_AUDIENCES) -> dict[str, float]:
    """The event loop's longest stall while a fan-out ranks voting chats through the bot's own :class:`Profiles`.

    A watchdog coroutine asks for a 1 ms sleep again and again; how late it wakes is how long
    something else held the loop (a send, the Telegram limiter's pacing, would wait as long).
    Three fan-outs of ``n_audiences`` chats, 64 at a time as delivery runs them: models trained
    before (at vote time), models trained on demand in the worker thread, and the path before
    this change (training inside the coroutine).
    """
    return asyncio.run(_stalls(n_audiences))


async def _stalls(n_audiences: int) -> dict[str, float]:
    from bot.store import Store
    from bot.topics.profiles import Profiles

    listing = days()
    papers = listing[-1][1]
    voted_pool = [p for _, day in listing[:-1] for p in day]
    topic = preset("llm")
    assert topic is not None
    rng = random.Random(7)
    out: dict[str, float] = {"audiences": n_audiences, "papers": len(papers)}
    with tempfile.TemporaryDirectory() as tmp:
        async with await Store.open(Path(tmp) / "bench.db") as store:
            await store.papers.upsert([*papers, *voted_pool])
            audiences = [f"chat:bench:{i}" for i in range(n_audiences)]
            for audience in audiences:
                for value in (0, 1):
                    chosen = rng.sample(voted_pool, rng.randint(VOTES_MIN, VOTES_MAX) // 2)
                    await store.feedback.vote([audience], f"bench:{value}", [p.id for p in chosen], value)

            async def fan_out(profiles: Profiles, inline: bool = False) -> tuple[float, float]:
                stop = asyncio.Event()

                async def watchdog() -> float:
                    worst = 0.0
                    while not stop.is_set():
                        asked = time.perf_counter()
                        await asyncio.sleep(0.001)
                        worst = max(worst, time.perf_counter() - asked - 0.001)
                    return worst

                gate = asyncio.Semaphore(64)

                async def one(audience: str) -> None:
                    async with gate:
                        if inline:  # before: learn() ran in the coroutine, on the loop
                            profile = await profiles.of(audience)
                            candidates = await profiles.candidates(topic, papers)
                            rank(topic, papers, profile.votes, candidates=candidates,
                                 model=learn(topic, profile.votes, candidates.space))
                        else:
                            await profiles.rank(audience, topic, papers)

                watching = asyncio.create_task(watchdog())
                await asyncio.sleep(0.01)
                started = time.perf_counter()
                await asyncio.gather(*(one(a) for a in audiences))
                wall = time.perf_counter() - started
                stop.set()
                return await watching * 1000, wall

            profiles = Profiles(store.feedback, store.papers, stored=store.ranking_models)
            await profiles.candidates(topic, listing[-2][1])  # yesterday's digest: the space votes retrain in
            for audience in audiences:  # what the debounced retraining did after each chat's taps
                await profiles.trained_model(audience, topic, (await profiles.of(audience)).votes,
                                             await profiles.candidates(topic, listing[-2][1]))
            out["ready_stall_ms"], out["ready_wall_s"] = await fan_out(profiles)
            out["ready_trainings"] = profiles.trained - n_audiences
            await profiles.close()
            cold = Profiles(store.feedback, store.papers)  # no stored models: each trained on demand
            out["on_demand_stall_ms"], out["on_demand_wall_s"] = await fan_out(cold)
            out["on_demand_trainings"] = cold.trained
            await cold.close()
            before = Profiles(store.feedback, store.papers)
            out["inline_stall_ms"], out["inline_wall_s"] = await fan_out(before, inline=True)
            await before.close()
    return {k: round(v, 2) for k, v in out.items()}


def _peak_mb() -> float:
    """This process's peak RSS since exec (VmHWM): ``ru_maxrss`` would carry the parent's over from the fork."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def plot(results: dict[str, list[dict[str, float]]]) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 4), sharey=True)
    for ax, (name, rows) in zip(axes, results.items(), strict=True):
        x = [r["day"][5:] for r in rows]
        ax.plot(x, [r["learned_p10"] for r in rows], "o-", label="learned (taps from earlier days)")
        ax.plot(x, [r["keyword_p10"] for r in rows], "s--", label="keywords (today)")
        ax.plot(x, [r["oracle_p10"] for r in rows], ":", color="grey", label="perfect order of the keyword matches")
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


def summary(results: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Days 4–10 means per persona, and the ratios the goals are stated in."""
    out = {}
    for name, rows in results.items():
        later = rows[FEEDBACK_DAYS:]

        def mean(key: str, rows: list[dict[str, float]] = later) -> float:
            return sum(r[key] for r in rows) / len(rows)

        kw, le, orc = mean("keyword_p10"), mean("learned_p10"), mean("oracle_p10")
        same = mean("same_day_p10")
        out[name] = {"keyword_p10": round(kw, 3), "learned_p10": round(le, 3), "oracle_p10": round(orc, 3),
                     "same_day_p10": round(same, 3),
                     "learned_ratio": round(le / kw, 2) if kw else math.inf,
                     "oracle_ratio": round(orc / kw, 2) if kw else math.inf,
                     "of_oracle": round(le / orc, 2) if orc else 0.0,
                     "keyword_ndcg": round(mean("keyword_ndcg"), 3), "learned_ndcg": round(mean("learned_ndcg"), 3),
                     "matched_min": min(r["matched"] for r in later), "matched_max": max(r["matched"] for r in later),
                     "relevant_min": min(r["relevant"] for r in later),
                     "relevant_max": max(r["relevant"] for r in later),
                     "days_no_feedback_worse": sum(r["fresh_p10"] < r["keyword_p10"] for r in rows)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quality", action="store_true", help="skip the 10,000-audience timing")
    parser.add_argument("--files", action="store_true", help="read the listing files, not the fake arXiv")
    parser.add_argument("--scale", action="store_true", help="only the 10,000-audience timing (keeps the quality)")
    parser.add_argument("--scale-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_child:
        scale_child(args.scale_child)
        return
    path = RESULTS / "relevance.json"
    if args.scale:
        saved = json.loads(path.read_text())
        saved["scale"] = scale()
        print(saved["scale"])
        path.write_text(json.dumps(saved, indent=1) + "\n")
        from bench.report import write_results
        write_results()
        return
    results = quality(from_files=args.files)
    print("persona | day | matched | relevant | keyword p@10 | no-feedback p@10 | learned p@10 | oracle p@10 | "
          "keyword nDCG | learned nDCG")
    for name, rows in results.items():
        for r in rows:
            print(f"{name} | {r['day']} | {r['matched']} | {r['relevant']} | {r['keyword_p10']:.1f} | "
                  f"{r['fresh_p10']:.1f} | {r['learned_p10']:.1f} | {r['oracle_p10']:.1f} | "
                  f"{r['keyword_ndcg']:.2f} | {r['learned_ndcg']:.2f}")
    totals = summary(results)
    for name, t in totals.items():
        print(f"== {name}: days 4-10 p@10 keyword {t['keyword_p10']:.2f}, learned {t['learned_p10']:.2f} "
              f"({t['learned_ratio']}x), perfect order {t['oracle_p10']:.2f} ({t['oracle_ratio']}x); "
              f"days where no-feedback < keyword: {t['days_no_feedback_worse']}")
    png = plot(results)
    print("plot:", png)
    saved = json.loads(path.read_text()) if path.exists() else {}
    data = {"ran_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "python": platform.python_version(),
            "source": "listing files" if args.files else "fake arXiv through ArxivSource",
            "load_average_1min": round(os.getloadavg()[0], 2), "cores": os.cpu_count(),
            "feedback_days": FEEDBACK_DAYS, "personas": totals, "days": results,
            "plot": f"results/{png.name}", "scale": saved.get("scale")}
    if not args.quality:
        data["scale"] = scale()
        print(data["scale"])
    path.write_text(json.dumps(data, indent=1) + "\n")
    from bench.report import write_results
    write_results()


if __name__ == "__main__":
    main()
