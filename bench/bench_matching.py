"""How fast per-user keyword filters match a busy day: ``python bench/bench_matching.py``.

Builds 5,000 synthetic papers from the 123 real abstracts in
``tests/fakes/data/papers.json`` (real sentences plus sentences from a word-bigram
chain over them, with field keywords mixed in) and, per scenario, 10,000 users with
5 keywords each:

* ``zipf``: keywords picked with a Zipf skew over all keywords, because a few topics
  (LLMs, diffusion) are far more popular than the rest;
* ``specific``: keywords picked uniformly among those matching at most 1% of papers.

Times the index build (cold caches) and ``match_all``, best of 3, estimates what a
per-user, per-paper loop over ``Expression.matches`` would take from a sample, prints
a table and writes ``bench/results/matching.json``. It asserts nothing about time:
numbers depend on the machine and on what else runs on it.

The source holds only ~22k words, so even a word used once there appears in ~30 of
the 5,000 papers: users get more papers each than they would on real arXiv, which
makes building every user's list (whose cost grows with the pairs) look slower, not faster.
``match_all`` matches every paper against every distinct filter; each user's list is
assembled when read, so ``match_all_plus_every_user_list_seconds`` is the cost of a day
on which all 10,000 personal digests go out at once.
"""

from __future__ import annotations

import json
import platform
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.models import Paper  # noqa: E402
from bot.topics import expression as expression_module  # noqa: E402
from bot.topics.matcher import FilterIndex, UserFilters, compiled  # noqa: E402

SEED = 20240705
N_PAPERS = 5_000
N_USERS = 10_000
KEYWORDS_PER_USER = 5
REPEATS = 3
PAPERS_JSON = ROOT / "tests" / "fakes" / "data" / "papers.json"
RESULTS = ROOT / "bench" / "results" / "matching.json"

FIELD_KEYWORDS = """
avatar|talking head|digital human|gaussian splatting|3d-gs|nerf|neural radiance field|novel view synthesis
point cloud|depth estimation|slam|pose estimation|human motion|smpl-x|hand reconstruction|face reenactment
diffusion model|latent diffusion|text-to-image|video generation|flow matching|gan|image synthesis|super-resolution
large language model|llm|chatgpt|instruction tuning|in-context learning|chain-of-thought|rlhf|tokenizer
retrieval-augmented generation|question answering|machine translation|summarization|named entity recognition
reinforcement learning|imitation learning|policy gradient|offline rl|multi-agent|reward model
robot|manipulation|grasping|locomotion|quadruped|humanoid|motion planning|autonomous driving|drone
graph neural network|transformer|attention|mixture of experts|knowledge distillation|pruning|quantization
federated learning|differential privacy|adversarial attack|robustness|out-of-distribution|uncertainty
contrastive learning|self-supervised|representation learning|few-shot|zero-shot|continual learning
object detection|semantic segmentation|tracking|optical flow|image restoration|medical imaging|remote sensing
speech recognition|text-to-speech|audio|music generation|sign language|multimodal|vision-language model
unit test|fuzzing|program repair|code generation|static analysis|formal verification|smart contract
hypothesis testing|bayesian|causal inference|time series|anomaly detection|recommender system|quantum
""".replace("\n", "|").split("|")
FIELD_KEYWORDS = [k.strip() for k in FIELD_KEYWORDS if k.strip()]
STOPWORDS = set([
    "the", "and", "for", "with", "that", "this", "from", "are", "our", "which", "their", "these", "have", "has",
    "been", "using", "based", "into", "such", "than", "more", "both", "also", "when", "where", "while", "only",
    "over", "between", "through", "other", "each", "most", "well", "they", "its", "can", "not", "but", "may", "all",
    "two", "new", "one", "use", "used", "show", "shows", "paper", "results", "approach", "method", "methods",
    "propose", "proposed", "existing", "however", "different", "study", "work", "provide", "provides", "present",
    "meets",
])
T = TypeVar("T")


def real_records() -> list[dict[str, str]]:
    return json.loads(PAPERS_JSON.read_text(encoding="utf-8"))


class Corpus:
    """Text material from the real abstracts: whole sentences, a word-bigram chain, title words.

    Reusing whole sentences alone would make every word as common as the sentence
    holding it (each of ~900 sentences would appear in ~40 papers); sentences from a
    bigram chain recombine the real vocabulary so rare words stay rare.
    """

    def __init__(self, records: list[dict[str, str]]) -> None:
        abstracts = [" ".join(r["summary"].split()) for r in records]
        self.sentences = [s for a in abstracts for s in re.split(r"(?<=[.!?])\s+", a) if len(s) > 40]
        self.title_words = [w for r in records for w in r["title"].split() if w.isalpha()]
        self.starts = [s.split()[0] for s in self.sentences]
        self.chain: dict[str, list[str]] = {}
        for sentence in self.sentences:
            words = sentence.split()
            for a, b in zip(words, words[1:], strict=False):
                self.chain.setdefault(a, []).append(b)
        # Document frequency with plurals folded, since a keyword also matches its plural.
        df = Counter(
            w for a in abstracts for w in {x.removesuffix("s") for x in re.findall(r"[a-z][a-z-]{2,}", a.lower())}
        )
        rare = sorted(w for w, n in df.items() if n == 1 and len(w) > 4 and w not in STOPWORDS and not w.endswith("-"))
        self.keywords = list(dict.fromkeys(FIELD_KEYWORDS + rare))

    def babble(self, rng: random.Random) -> str:
        words = [rng.choice(self.starts)]
        while not words[-1].endswith(".") and len(words) < 40 and words[-1] in self.chain:
            words.append(rng.choice(self.chain[words[-1]]))
        return " ".join(words).rstrip(".") + "."


def synthetic_papers(rng: random.Random, corpus: Corpus) -> list[Paper]:
    cats = ["cs.CV", "cs.CL", "cs.LG", "cs.AI", "cs.RO", "cs.GR", "cs.SE", "stat.ML", "math.ST", "quant-ph"]
    papers = []
    for i in range(N_PAPERS):
        focus = rng.sample(FIELD_KEYWORDS, 2)
        title = " ".join(rng.sample(corpus.title_words, rng.randint(3, 7)) + [f"for {focus[0]}"]).capitalize()
        body = rng.sample(corpus.sentences, 2) + [corpus.babble(rng) for _ in range(rng.randint(4, 7))]
        rng.shuffle(body)
        body.insert(
            rng.randrange(len(body)),
            f"{focus[0].capitalize()} meets {focus[1]}; see also {rng.choice(corpus.keywords)}.",
        )
        day = datetime(2024, 7, 1 + i % 28, tzinfo=UTC)
        papers.append(Paper(
            id=f"2407.{i:05d}", version=1, title=title, authors=("A. Author",), abstract=" ".join(body),
            categories=tuple(rng.sample(cats, 2)), primary_category=None, published=day, updated=day,
        ))
    return papers


def synthetic_users(rng: random.Random, keywords: list[str], weights: list[float]) -> dict[str, UserFilters]:
    """Mostly plain keyword lists; some users mute one keyword or write a boolean filter."""

    def pick(k: int) -> list[str]:
        chosen: list[str] = []
        while len(chosen) < k:
            kw = rng.choices(keywords, weights)[0]
            if kw not in chosen:
                chosen.append(kw)
        return [f'"{c}"' if " " in c else c for c in chosen]

    users = {}
    for u in range(N_USERS):
        kws = pick(KEYWORDS_PER_USER)
        roll = rng.random()
        if roll < 0.75:
            users[f"user{u}"] = UserFilters(includes=kws)
        elif roll < 0.90:
            users[f"user{u}"] = UserFilters(includes=kws[:4], mutes=kws[4:])
        else:
            users[f"user{u}"] = UserFilters(includes=kws[:2] + [f"({kws[2]} OR {kws[3]}) -survey"], mutes=kws[4:])
    return users


def document_frequency(keywords: list[str], papers: list[Paper]) -> dict[str, int]:
    quoted = {kw: f'"{kw}"' if " " in kw else kw for kw in keywords}
    hits = FilterIndex({kw: UserFilters(includes=[q]) for kw, q in quoted.items()}).match_all(papers)
    return {kw: len(hits.get(kw, [])) for kw in keywords}


def best_of(repeats: int, fn: Callable[[], T], before: Callable[[], None] = lambda: None) -> tuple[float, float, T]:
    """Best wall time (perf_counter) and best CPU time: the second shows contention on shared machines."""
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeats):
        before()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu, result  # type: ignore[return-value]


def cold_caches() -> None:
    """Index build should include parsing and regex compilation, not reuse the last run's."""
    compiled.cache_clear()
    expression_module._pattern.cache_clear()  # noqa: SLF001 - benchmark wants a cold start


def naive_estimate(rng: random.Random, users: dict[str, UserFilters], papers: list[Paper]) -> float:
    """Seconds a per-user, per-paper loop over compiled expressions would take, from a sample."""
    sample_users = rng.sample(list(users.values()), 20)
    sample_papers = rng.sample(papers, 100)
    start = time.perf_counter()
    for f in sample_users:
        inc = [compiled(t) for t in f.includes]
        mut = [compiled(t) for t in f.mutes]
        for p in sample_papers:
            if any(e.matches(p.title, p.abstract) for e in inc):
                any(e.matches(p.title, p.abstract) for e in mut)
    elapsed = time.perf_counter() - start
    return elapsed * (len(users) / len(sample_users)) * (len(papers) / len(sample_papers))


def run(name: str, users: dict[str, UserFilters], papers: list[Paper], rng: random.Random) -> dict[str, object]:
    build_s, build_cpu, index = best_of(REPEATS, lambda: FilterIndex(users), cold_caches)
    match_s, match_cpu, _ = best_of(REPEATS, lambda: index.match_all(papers))
    # Every user's list built too, as if all 10,000 personal digests went out at once.
    every_s, every_cpu, result = best_of(REPEATS, lambda: dict(index.match_all(papers)))
    pairs = sum(len(v) for v in result.values())
    return {
        "scenario": name,
        "papers": len(papers),
        "users": len(users),
        "keywords_per_user": KEYWORDS_PER_USER,
        "distinct_filter_strings": len({t for f in users.values() for t in f.includes + f.mutes}),
        "build_seconds": round(build_s, 4),
        "match_all_seconds": round(match_s, 4),
        "total_seconds": round(build_s + match_s, 4),
        "match_all_plus_every_user_list_seconds": round(every_s, 4),
        "every_user_list_cpu_seconds": round(every_cpu, 4),
        "build_cpu_seconds": round(build_cpu, 4),
        "match_all_cpu_seconds": round(match_cpu, 4),
        "naive_loop_seconds_estimated": round(naive_estimate(rng, users, papers), 1),
        "users_with_papers": len(result),
        "user_paper_pairs": pairs,
        "papers_per_user_mean": round(pairs / len(users), 1),
    }


def main() -> None:
    rng = random.Random(SEED)
    corpus = Corpus(real_records())
    keywords = corpus.keywords
    papers = synthetic_papers(rng, corpus)
    popular = keywords[:]
    rng.shuffle(popular)  # popular keywords come from both the field list and the abstracts
    df = document_frequency(keywords, papers)
    specific = [kw for kw in keywords if 0 < df[kw] <= len(papers) // 100]
    top = max(df.values()) / len(papers)
    scenarios = [
        run("zipf", synthetic_users(rng, popular, [1 / (r + 1) ** 1.1 for r in range(len(popular))]), papers, rng),
        run("specific", synthetic_users(rng, specific, [1.0] * len(specific)), papers, rng),
    ]
    report = {
        "benchmark": "bench/bench_matching.py",
        "seed": SEED,
        "repeats": REPEATS,
        "timing": (
            "best of repeats; *_seconds by time.perf_counter, *_cpu_seconds by time.process_time; one process, one core"
        ),
        "scenarios": {
            "zipf": f"5 keywords per user, Zipf-weighted over all keywords (the commonest matches {top:.0%} of papers)",
            "specific": "5 keywords per user, uniform over keywords matching at most 1% of papers",
        },
        "corpus": {
            "papers": len(papers),
            "text_megabytes": round(sum(len(p.title) + len(p.abstract) for p in papers) / 1e6, 2),
            "source_sentences": len(corpus.sentences),
            "keywords": len(keywords),
            "specific_keywords": len(specific),
        },
        "python": platform.python_version(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": scenarios,
    }
    keys = [k for k in scenarios[0] if k != "scenario"]
    width = max(map(len, keys))
    print(f"{'metric':<{width}}  " + "  ".join(f"{s['scenario']:>12}" for s in scenarios))
    print(f"{'-' * width}  " + "  ".join("-" * 12 for _ in scenarios))
    for key in keys:
        cells = [f"{s[key]:>12,}" if isinstance(s[key], int) else f"{s[key]:>12}" for s in scenarios]
        print(f"{key:<{width}}  " + "  ".join(cells))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    from bench.report import write_results

    write_results()  # RESULTS.md from the JSON just saved
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
