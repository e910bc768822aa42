"""Memory and start-up time with 100,000 papers and 1k, 10k and 100k subscriptions.

Start-up is what ``paperbot run`` does before serving: open and migrate the store,
build the core, and rebuild the scheduler's jobs from the subscriptions table.
Each measurement runs in a fresh child process so peak memory (ru_maxrss) is its own;
the parent times the whole child process, so "imports included" really includes them.
Subscriptions pick a random minute of the day in one of 5 zones: the worst case for
one job per distinct schedule (up to 7,200 of them).

    python bench/bench_resources.py                        # 1k, 10k and 100k (a few minutes)
    python bench/bench_resources.py --sizes 1000 10000     # quicker

Writes results/resources.json, results/resources.png and RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAPERS = 100_000
SIZES = (1_000, 10_000, 100_000)
RESULTS = ROOT / "bench" / "results" / "resources.json"
PLOT = ROOT / "bench" / "results" / "resources.png"


def build_database(path: Path, subscriptions: int) -> int:
    """Write the database; returns the number of distinct schedules."""
    from bot.store.migrations import MIGRATIONS, SCHEMA_VERSION

    rng = random.Random(7)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    for script in MIGRATIONS:
        conn.executescript(script)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    cats = ["cs.CV", "cs.GR", "cs.CL", "cs.LG", "cs.AI", "cs.RO"]
    words = [
        "avatar", "diffusion", "gaussian", "splatting", "language", "model", "robot", "policy", "human", "video",
        "neural", "field",
    ]
    now = datetime.now(UTC).isoformat()
    conn.executemany(
        "INSERT INTO papers VALUES (?, 1, ?, ?, ?, NULL, ?, ?, ?, ?, NULL, ?)",
        (
            (f"25{i // 30000:02d}.{i % 100000:05d}", " ".join(rng.choices(words, k=8)).title(),
             json.dumps([f"Author {j}" for j in range(6)]), " ".join(rng.choices(words, k=180)),
             json.dumps(rng.sample(cats, 2)), cats[i % 6], now, now, now)
            for i in range(PAPERS)
        ),
    )
    zones = ["UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]
    topics = ["virtual-humans", "llm", "diffusion", "3d-vision", "robotics"]
    conn.executemany("INSERT INTO chats (platform, chat_id, kind, created_at) VALUES ('telegram', ?, 'group', ?)",
                     ((str(-1000 - i), now) for i in range(subscriptions)))
    conn.executemany(
        """INSERT INTO subscriptions (platform, chat_id, topic, at_time, timezone, weekdays, created_at)
           VALUES ('telegram', ?, ?, ?, ?, 'mon,tue,wed,thu,fri', ?)""",
        ((str(-1000 - i), topics[i % 5], f"{rng.randrange(24):02d}:{rng.randrange(60):02d}", zones[i % 5], now)
         for i in range(subscriptions)),
    )
    conn.commit()
    [(distinct,)] = conn.execute(
        "SELECT COUNT(*) FROM (SELECT DISTINCT at_time, timezone, weekdays FROM subscriptions)")
    conn.close()
    return int(distinct)


def child(db: str) -> None:
    """Runs in a fresh process: start the core and rebuild all jobs, report time and memory."""
    from bot.config import Settings
    from bot.core import Core

    async def main() -> dict[str, float]:
        started = time.perf_counter()
        core = await Core.create(Settings(_env_file=None, db_path=db))  # type: ignore[call-arg]
        opened = time.perf_counter()
        scheduler = core.scheduler
        await scheduler.start(catch_up=False)
        jobs = len(scheduler.scheduler.get_jobs())
        ready = time.perf_counter()
        await scheduler.stop()
        await core.close()
        return {"open_core_s": round(opened - started, 3), "rebuild_jobs_s": round(ready - opened, 3),
                "startup_s": round(ready - started, 3), "jobs": jobs}

    out = asyncio.run(main())
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))


def measure(subscriptions: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "big.db"
        t0 = time.perf_counter()
        distinct = build_database(db, subscriptions)
        build_s = time.perf_counter() - t0
        size_mb = db.stat().st_size / 1e6
        runs = []
        for _ in range(3):
            started = time.perf_counter()  # the whole child: interpreter, imports, start-up, exit
            done = subprocess.run([sys.executable, __file__, "--child", str(db)], capture_output=True, text=True,
                                  check=True, cwd=ROOT)
            run = json.loads(done.stdout.strip().splitlines()[-1])
            run["process_wall_s"] = round(time.perf_counter() - started, 3)
            runs.append(run)
    best = min(runs, key=lambda r: r["startup_s"])
    print(f"{subscriptions:,} subscriptions ({distinct:,} schedules): start-up {best['startup_s']:.2f} s, "
          f"whole process {best['process_wall_s']:.2f} s, peak RSS {best['peak_rss_mb']} MB")
    return {"subscriptions": subscriptions, "distinct_schedules": distinct, "database_mb": round(size_mb, 1),
            "database_build_s": round(build_s, 1), "best_of_3": best, "runs": runs}


def plot(rows: list[dict[str, object]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    subs = [r["subscriptions"] for r in rows]
    best = [r["best_of_3"] for r in rows]
    fig, left = plt.subplots(figsize=(7, 4))
    left.plot(subs, [b["startup_s"] for b in best], "o-", color="tab:blue", label="start-up (s)")  # type: ignore[index]
    left.set_xscale("log")
    left.set_xlabel("subscriptions")
    left.set_ylabel("start-up, seconds", color="tab:blue")
    right = left.twinx()
    right.plot(subs, [b["peak_rss_mb"] for b in best], "s--", color="tab:red", label="peak RSS (MB)")  # type: ignore[index]
    right.set_ylabel("peak RSS, MB", color="tab:red")
    left.set_ylim(bottom=0)
    right.set_ylim(bottom=0)
    left.set_title("paperbot start-up (100k papers in the database)")
    fig.tight_layout()
    fig.savefig(PLOT, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="subscription counts")
    args = parser.parse_args()
    rows = [measure(n) for n in args.sizes]
    plot(rows)
    result = {
        "benchmark": "bench/bench_resources.py",
        "python": platform.python_version(),
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "papers": PAPERS,
        "plot": f"results/{PLOT.name}",
        "by_subscriptions": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    from bench.report import write_results

    write_results()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
