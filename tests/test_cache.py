"""The per-file cache: same results warm or cold, and never a wrong one."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import msgspec

from beamsage.engine.cache import Cache

from conftest import review_project, run_cli
from projects import CONTROLLER, demo_project


def _summary(result):
    return [(f.rule, f.location.path, f.location.line, f.message, f.fingerprint) for f in result.findings]


def _many(root, n=80):
    files = {f"lib/demo_web/controllers/c{i}_controller.ex": CONTROLLER.replace("SortController", f"C{i}Controller")
             for i in range(n)}
    return demo_project(root, **files)


def test_warm_review_gives_the_cold_results_from_the_cache(tmp_path):
    project = _many(tmp_path / "p")
    cache_dir = tmp_path / "cache"
    cold = review_project(project, cache_dir=cache_dir, jobs=2)
    warm = review_project(project, cache_dir=cache_dir, jobs=2)
    assert cold.cached == 0 and warm.cached == cold.files
    assert _summary(warm) == _summary(cold)
    uncached = review_project(project)
    assert _summary(uncached) == _summary(cold)


def test_an_edited_file_is_analysed_again(tmp_path):
    project = demo_project(tmp_path / "p")
    cache_dir = tmp_path / "cache"
    review_project(project, cache_dir=cache_dir)
    controller = project / "lib/demo_web/controllers/sort_controller.ex"
    controller.write_text(controller.read_text().replace("String.to_atom(sort)", "String.to_existing_atom(sort)"))
    result = review_project(project, cache_dir=cache_dir)
    assert result.cached == result.files - 1
    assert [f.rule for f in result.findings] == ["Security.UnsafeBinaryToTerm"]


def test_corrupted_cache_entries_are_misses(tmp_path):
    project = _many(tmp_path / "p", 10)
    cache_dir = tmp_path / "cache"
    expected = _summary(review_project(project, cache_dir=cache_dir))
    (database,) = cache_dir.glob("*.sqlite3")
    with sqlite3.connect(database) as db:
        keys = [key for (key,) in db.execute("SELECT key FROM entries")]
        for i, key in enumerate(keys):
            (blob,) = db.execute("SELECT payload FROM entries WHERE key = ?", (key,)).fetchone()
            damaged = [blob[: len(blob) // 2], blob[:-1] + bytes([blob[-1] ^ 0xFF]), b"garbage", "text"][i % 4]
            db.execute("UPDATE entries SET payload = ? WHERE key = ?", (damaged, key))
    again = review_project(project, cache_dir=cache_dir)
    assert again.cached == 0
    assert _summary(again) == expected
    assert review_project(project, cache_dir=cache_dir).cached == again.files  # repaired


def test_a_cache_file_that_is_not_a_database_is_replaced(tmp_path):
    project = demo_project(tmp_path / "p")
    cache_dir = tmp_path / "cache"
    expected = _summary(review_project(project, cache_dir=cache_dir))
    (database,) = cache_dir.glob("*.sqlite3")
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.write_bytes(b"this is not a database" * 100)
    assert _summary(review_project(project, cache_dir=cache_dir)) == expected
    assert review_project(project, cache_dir=cache_dir).cached == 3


def test_entry_with_valid_checksum_but_wrong_shape_is_a_miss(tmp_path):
    cache = Cache(tmp_path)
    cache.store([("ab" * 20, msgspec.msgpack.encode({"facts": "not facts"}))])
    assert cache.load("ab" * 20) is None


def test_concurrent_runs_share_a_cache_safely(tmp_path):
    project = _many(tmp_path / "p", 120)
    cache_dir = tmp_path / "cache"
    env_cache = {"BEAMSAGE_CACHE_DIR": str(cache_dir)}
    command = [sys.executable, "-m", "beamsage", "review", str(project), "-f", "json", "-j", "2"]
    import os

    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={**os.environ, **env_cache}) for _ in range(3)]
    outputs = [p.communicate(timeout=300) for p in procs]
    docs = [json.loads(out) for out, _ in outputs]
    assert all(p.returncode == 1 for p in procs)
    assert docs[0]["findings"] == docs[1]["findings"] == docs[2]["findings"]
    warm = json.loads(run_cli("review", str(project), "-f", "json", env=env_cache).stdout)
    assert warm["findings"] == docs[0]["findings"]


def test_unwritable_cache_folder_only_costs_speed(tmp_path):
    project = demo_project(tmp_path / "p")
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("x")
    result = run_cli("review", str(project), env={"BEAMSAGE_CACHE_DIR": str(blocker)})
    assert result.returncode == 1 and "Security.UnsafeAtomConversion" in result.stdout
    assert result.stderr == ""
    assert run_cli("review", str(project), "--no-cache").stdout == result.stdout
