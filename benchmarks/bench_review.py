"""Benchmark `beamsage review` on a large generated Phoenix project.

    python benchmarks/bench_review.py                 # 2,000 modules in a temp folder
    python benchmarks/bench_review.py --modules 5000
    python benchmarks/bench_review.py --project PATH  # an existing project

Prints files, lines, the tree-sitter parse time alone (one process, every
parse a review makes: each file, the HEEx of its `~H` sigils and the Elixir
inside its templates), the cold review (empty cache) and the warm review (cache
filled by a cold one) as the user runs them (`beamsage review -f json`, a
real subprocess, start-up included), files per second and the peak resident
memory of the largest beamsage process, then `beamsage map -f json` cold and
warm. Targets: cold no more than 2x the parse-alone time, warm at least 5x
faster than cold, a cold map no slower than a cold review.

Each measurement is taken `--runs` times (default 3) and the best is kept,
as timings on a shared machine are noisy. This is a script, not a test.
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
from beamsage.source.document import Document, language_for  # noqa: E402
from beamsage.source.parse import parse  # noqa: E402
from beamsage.source.trees import parse_document  # noqa: E402


def parse_alone(root: Path, files: list[str]) -> tuple[float, int]:
    """Read every file and make every tree-sitter parse a review needs of it
    (the file, the HEEx of its `~H` sigils, the Elixir inside its templates),
    once, in this process."""
    lines = 0
    start = time.perf_counter()
    for rel in files:
        data = (root / rel).read_bytes()
        lines += data.count(b"\n")
        parse_document(Document(rel, data, language_for(rel)))
    return time.perf_counter() - start, lines


def parse_files_once(root: Path, files: list[str]) -> float:
    """Parse each file once with its own grammar only (no embedded languages)."""
    start = time.perf_counter()
    for rel in files:
        parse(language_for(rel).value, (root / rel).read_bytes())
    return time.perf_counter() - start


REVIEW = ("review", "-f", "json", "-q")
MAP = ("map", "-f", "json")


def timed_run(root: Path, cache_dir: Path, command: tuple[str, ...] = REVIEW) -> tuple[float, float, int]:
    """Run the CLI once (`review`, or `map` when told); (seconds, peak RSS in MiB of the largest process,
    exit code)."""
    env = {**os.environ, "BEAMSAGE_CACHE_DIR": str(cache_dir)}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "beamsage", command[0], str(root), *command[1:]],
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
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement; the best is reported")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="beamsage-bench-") as tmp:
        root = args.project.resolve() if args.project else Path(tmp) / "bench"
        if not args.project:
            generate(root, modules=args.modules)
        files = source_files(discover(root))
        parse_seconds, lines = min(parse_alone(root, files) for _ in range(args.runs))
        once_seconds = min(parse_files_once(root, files) for _ in range(args.runs))
        colds = [timed_run(root, Path(tmp) / f"cache{run}") for run in range(args.runs)]
        if any(code not in (0, 1) for _, _, code in colds):
            sys.exit("beamsage review failed")
        cold, cold_rss, _ = min(colds)
        warm, warm_rss, _ = min(timed_run(root, Path(tmp) / "cache0") for _ in range(args.runs))
        cold_map = min(timed_run(root, Path(tmp) / f"map{run}", MAP)[0] for run in range(args.runs))
        warm_map = min(timed_run(root, Path(tmp) / "map0", MAP)[0] for _ in range(args.runs))

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"project            {root if args.project else f'generated, {args.modules} modules'}")
    print(f"cores              {cpus}")
    print(f"files              {len(files):,}")
    print(f"lines              {lines:,}")
    print(f"parse files once   {once_seconds:6.2f} s   (each file with its own grammar only, one process)")
    print(f"parse alone        {parse_seconds:6.2f} s   ({len(files) / parse_seconds:,.0f} files/s, one process)")
    print(f"cold review        {cold:6.2f} s   ({len(files) / cold:,.0f} files/s)   peak RSS {cold_rss:,.0f} MiB")
    print(f"warm review        {warm:6.2f} s   ({len(files) / warm:,.0f} files/s)   peak RSS {warm_rss:,.0f} MiB")
    print(f"cold map (json)    {cold_map:6.2f} s   (target <= cold review)")
    print(f"warm map (json)    {warm_map:6.2f} s")
    print(f"cold / parse alone {cold / parse_seconds:6.2f} x   (target <= 2)")
    print(f"cold / parse once  {cold / once_seconds:6.2f} x")
    print(f"cold / warm        {cold / warm:6.2f} x   (target >= 5)")


if __name__ == "__main__":
    main()
