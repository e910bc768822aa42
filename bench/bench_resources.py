"""Memory and start-up time with 100,000 papers and 10,000 subscriptions in the database.

Start-up is what ``paperbot run`` does before serving: open and migrate the store,
build the core, and rebuild every scheduler job from the subscriptions table.
Each measurement runs in a fresh child process so peak memory (ru_maxrss) is its own.

    python bench/bench_resources.py
"""

from __future__ import annotations

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
SUBSCRIPTIONS = 10_000
RESULTS = ROOT / "bench" / "results" / "resources.json"


def build_database(path: Path) -> None:
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
                     ((str(-1000 - i), now) for i in range(SUBSCRIPTIONS)))
    conn.executemany(
        """INSERT INTO subscriptions (platform, chat_id, topic, at_time, timezone, weekdays, created_at)
           VALUES ('telegram', ?, ?, ?, ?, 'mon,tue,wed,thu,fri', ?)""",
        ((str(-1000 - i), topics[i % 5], f"{rng.randrange(24):02d}:{rng.randrange(60):02d}", zones[i % 5], now)
         for i in range(SUBSCRIPTIONS)),
    )
    conn.commit()
    conn.close()


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

    t0 = time.perf_counter()
    out = asyncio.run(main())
    out["process_import_and_startup_s"] = round(time.perf_counter() - t0, 3)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "big.db"
        t0 = time.perf_counter()
        build_database(db)
        build_s = time.perf_counter() - t0
        size_mb = db.stat().st_size / 1e6
        runs = []
        for _ in range(3):
            done = subprocess.run([sys.executable, __file__, "--child", str(db)], capture_output=True, text=True,
                                  check=True, cwd=ROOT)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["startup_s"])
    result = {
        "benchmark": "bench/bench_resources.py",
        "python": platform.python_version(),
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "papers": PAPERS,
        "subscriptions": SUBSCRIPTIONS,
        "database_mb": round(size_mb, 1),
        "database_build_s": round(build_s, 1),
        "best_of_3": best,
        "runs": runs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{PAPERS:,} papers, {SUBSCRIPTIONS:,} subscriptions, database {size_mb:.0f} MB")
    print(f"start-up (open + migrate + rebuild {best['jobs']:,} jobs): {best['startup_s']:.2f} s "
          f"(process incl. imports {best['process_import_and_startup_s']:.2f} s), peak RSS {best['peak_rss_mb']} MB")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
