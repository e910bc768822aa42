"""One-shot CLI: the whole `paperbot topics` process with GEMINI_API_KEY set, as a user runs it.

A one-shot command should cost what it uses. Each run is a fresh interpreter
(`python -m bot.cli topics`), timed from spawn to exit, after one warm-up run (which
creates the database and, as an install would, caches the bytecode). We keep the
median of 7, wall and CPU time, and the peak RSS. A probe run lists which heavy modules
the command loaded (model SDKs, the HTTP transport, numpy/scipy/scikit-learn, chat
platforms): none are needed to list topics.

    python bench/bench_cli.py                                         # this checkout
    python bench/bench_cli.py --compare /tmp/base "9a67cb8 (before)"  # and another, in turns

Runs are stored by label in results/cli.json; RESULTS.md is rewritten from it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import write_results  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "cli.json"
HEAVY = ("google.genai", "openai", "httpx", "httpcore", "numpy", "scipy", "sklearn", "telegram", "discord")
PROBE = ("import json, sys\nfrom bot.cli import main\nmain(['topics'])\n"
         f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)")


def measure(roots: dict[str, Path], repeats: int) -> dict[str, dict[str, object]]:
    """Each checkout's runs, taken in turns so that both see the same machine load."""
    seconds: dict[str, list[float]] = {label: [] for label in roots}
    cpu: dict[str, list[float]] = {label: [] for label in roots}
    peak: dict[str, float] = {}
    loaded: dict[str, list[str]] = {}
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        # As installed: bytecode is cached (pip compiles on install; the warm-up run writes it here).
        env = {k: v for k, v in os.environ.items()
               if not k.endswith(("_TOKEN", "_KEY")) and k != "PYTHONDONTWRITEBYTECODE"}
        env["GEMINI_API_KEY"] = "bench-key"
        command = [sys.executable, "-m", "bot.cli", "topics"]
        envs = {label: {**env, "PAPERBOT_DB_PATH": str(Path(tmp) / f"{i}.db")} for i, label in enumerate(roots)}
        for label, root in roots.items():
            subprocess.run(command, cwd=root, env=envs[label], check=True, capture_output=True)  # creates the db
        for _ in range(repeats):
            for label, root in roots.items():
                loads.append(os.getloadavg()[0])
                started = time.perf_counter()
                child = subprocess.Popen(command, cwd=root, env=envs[label], stdout=subprocess.DEVNULL)
                _, status, usage = os.wait4(child.pid, 0)
                seconds[label].append(time.perf_counter() - started)
                child.returncode = os.waitstatus_to_exitcode(status)
                if child.returncode != 0:
                    raise SystemExit(f"{label}: paperbot topics exited with {child.returncode}")
                cpu[label].append(usage.ru_utime + usage.ru_stime)
                peak[label] = max(peak.get(label, 0.0), usage.ru_maxrss / 1024)
        for label, root in roots.items():
            probe = subprocess.run([sys.executable, "-c", PROBE], cwd=root, env=envs[label], check=True,
                                   capture_output=True, text=True)
            loaded[label] = json.loads(probe.stderr.strip().splitlines()[-1])
    return {label: {
        "command": "paperbot topics (python -m bot.cli topics), GEMINI_API_KEY set",
        "runs": repeats,
        "seconds": [round(s, 3) for s in seconds[label]],
        "median_s": round(statistics.median(seconds[label]), 3),
        "min_s": round(min(seconds[label]), 3),
        "max_s": round(max(seconds[label]), 3),
        # CPU time (user + system) moves less than wall time with the other work on the machine.
        "cpu_median_s": round(statistics.median(cpu[label]), 3),
        "peak_rss_mb": round(peak[label], 1),
        "heavy_modules_loaded": loaded[label],
        "load_average_1min": round(statistics.median(loads), 2),
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
    } for label in roots}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", default="this checkout", help="key to store this checkout's runs under")
    parser.add_argument("--compare", nargs=2, metavar=("ROOT", "LABEL"),
                        help="also run another checkout, in turns with this one")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    roots = {args.label: ROOT}
    if args.compare:
        roots[args.compare[1]] = Path(args.compare[0])
    results = measure(roots, args.repeats)
    runs = json.loads(RESULTS.read_text()).get("runs", {}) if RESULTS.exists() else {}
    runs.update(results)
    RESULTS.write_text(json.dumps({"benchmark": "bench/bench_cli.py", "python": platform.python_version(),
                                   "runs": runs}, indent=2) + "\n")
    write_results()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
