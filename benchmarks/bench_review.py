"""Benchmark `beamsage review` on a large generated Phoenix project.

    python benchmarks/bench_review.py                 # 2,000 modules in a temp folder
    python benchmarks/bench_review.py --modules 5000
    python benchmarks/bench_review.py --project PATH  # an existing project

Prints files, lines, the tree-sitter parse time alone (one process, every
file parsed once), the cold review (empty cache) and the warm review (cache
filled by the cold one) as the user runs them (`beamsage review -f json`, a
real subprocess, start-up included), files per second and the peak resident
memory of the largest beamsage process. Targets: cold no more than 2x the
parse-alone time, warm at least 5x faster than cold.

This is a script, not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_project import generate  # noqa: E402

from beamsage.model.layout import discover, source_files  # noqa: E402
from beamsage.source.document import language_for  # noqa: E402
from beamsage.source.parse import parse  # noqa: E402


def parse_alone(root: Path, files: list[str]) -> tuple[float, int]:
    """Read and tree-sitter-parse every file once, in this process."""
    lines = 0
    start = time.perf_counter()
    for rel in files:
        data = (root / rel).read_bytes()
        lines += data.count(b"\n")
        parse(language_for(rel).value, data)
    return time.perf_counter() - start, lines


def timed_review(root: Path, cache_dir: Path) -> tuple[float, float, int]:
    """Run the CLI once; (seconds, peak RSS in MiB of the largest process, exit code)."""
    env = {**os.environ, "BEAMSAGE_CACHE_DIR": str(cache_dir)}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "beamsage", "review", str(root), "-f", "json", "-q"],
        stdout=subprocess.DEVNULL, env=env,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    # ru_maxrss is in KiB on Linux; for wait4 it covers the child and the
    # workers it reaped, as the largest single process.
    return elapsed, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", type=int, default=2000)
    parser.add_argument("--project", type=Path, help="benchmark this project instead of a generated one")
    parser.add_argument("--warm-runs", type=int, default=3, help="warm runs; the best is reported")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="beamsage-bench-") as tmp:
        root = args.project.resolve() if args.project else Path(tmp) / "bench"
        if not args.project:
            generate(root, modules=args.modules)
        files = source_files(discover(root))
        parse_seconds, lines = parse_alone(root, files)
        cache_dir = Path(tmp) / "cache"
        cold, cold_rss, code = timed_review(root, cache_dir)
        if code not in (0, 1):
            sys.exit(f"beamsage review failed with exit code {code}")
        warm_runs = [timed_review(root, cache_dir) for _ in range(args.warm_runs)]
        warm, warm_rss, _ = min(warm_runs)

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"project            {root if args.project else f'generated, {args.modules} modules'}")
    print(f"cores              {cpus}")
    print(f"files              {len(files):,}")
    print(f"lines              {lines:,}")
    print(f"parse alone        {parse_seconds:6.2f} s   ({len(files) / parse_seconds:,.0f} files/s, one process)")
    print(f"cold review        {cold:6.2f} s   ({len(files) / cold:,.0f} files/s)   peak RSS {cold_rss:,.0f} MiB")
    print(f"warm review        {warm:6.2f} s   ({len(files) / warm:,.0f} files/s)   peak RSS {warm_rss:,.0f} MiB")
    print(f"cold / parse alone {cold / parse_seconds:6.2f} x   (target <= 2)")
    print(f"cold / warm        {cold / warm:6.2f} x   (target >= 5)")


if __name__ == "__main__":
    main()
