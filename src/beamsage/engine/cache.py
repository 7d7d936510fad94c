"""Per-file results cached by content hash, in the user's cache folder.

One SQLite database per version of beamsage's code
(`<cache dir>/<code hash>.sqlite3`), one row per file result. A row's key
hashes the file's root-relative path (its kind depends on it) and its bytes,
so a changed file simply misses. Each payload carries a checksum; a row that
fails it or the typed decode is a miss, never a result, and a database file
that is not a database is replaced. SQLite's locking (WAL, a busy timeout)
lets concurrent runs share the cache; a cache that cannot be opened or
written only costs speed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from functools import cache
from pathlib import Path

import msgspec
import platformdirs

from .worker import FileResult

_MAGIC = b"BSC1"
_DIGEST = 16
_DECODER = msgspec.msgpack.Decoder(FileResult)
_STALE_SECONDS = 7 * 24 * 3600
_SUFFIX = ".sqlite3"


def default_cache_dir() -> Path:
    return Path(os.environ.get("BEAMSAGE_CACHE_DIR") or platformdirs.user_cache_dir("beamsage"))


@cache
def code_version() -> str:
    """A hash of beamsage's source and grammar versions: results depend on both."""
    from importlib import metadata  # imported here: it costs start-up time on every run

    digest = hashlib.blake2b(digest_size=8)
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    for dist in ("tree-sitter", "tree-sitter-language-pack", "msgspec"):
        try:
            digest.update(metadata.version(dist).encode())
        except metadata.PackageNotFoundError:
            pass
    return digest.hexdigest()


def seal(payload: bytes) -> bytes:
    return _MAGIC + hashlib.blake2b(payload, digest_size=_DIGEST).digest() + payload


def unseal(blob: bytes) -> bytes | None:
    """The payload of a sealed blob, or None if it is damaged."""
    head = len(_MAGIC) + _DIGEST
    payload = blob[head:]
    if blob[: len(_MAGIC)] != _MAGIC or blob[len(_MAGIC) : head] != hashlib.blake2b(payload, digest_size=_DIGEST).digest():
        return None
    return payload


class Cache:
    """`Cache(None)` never hits and never writes (`--no-cache`)."""

    def __init__(self, directory: str | Path | None):
        self.path = Path(directory) / f"{code_version()}{_SUFFIX}" if directory else None
        self._db: sqlite3.Connection | None = None
        self._broken = False

    def key(self, path: str, data: bytes) -> str:
        digest = hashlib.blake2b(digest_size=20)
        digest.update(path.encode())
        digest.update(b"\0")
        digest.update(data)
        return digest.hexdigest()

    def load(self, key: str) -> FileResult | None:
        return self.load_many([key]).get(key)

    def load_many(self, keys: list[str]) -> dict[str, FileResult]:
        """The cached results among `keys`; damaged entries are left out."""
        db = self._connection()
        if db is None:
            return {}
        found: dict[str, FileResult] = {}
        try:
            for chunk in range(0, len(keys), 500):
                batch = keys[chunk : chunk + 500]
                marks = ",".join("?" * len(batch))
                for key, blob in db.execute(f"SELECT key, payload FROM entries WHERE key IN ({marks})", batch):
                    result = _decode(blob)
                    if result is not None:
                        found[key] = result
        except sqlite3.Error:
            pass
        return found

    def store(self, entries: list[tuple[str, bytes]]) -> None:
        """Store encoded results, `(key, payload)`, in one transaction."""
        db = self._connection()
        if db is None or not entries:
            return
        try:
            with db:
                db.executemany(
                    "INSERT OR REPLACE INTO entries (key, payload) VALUES (?, ?)",
                    [(key, seal(payload)) for key, payload in entries],
                )
        except sqlite3.Error:
            pass  # locked for too long, disk full, read-only: only costs speed

    def _connection(self) -> sqlite3.Connection | None:
        if self._db is not None or self._broken or self.path is None:
            return self._db
        for attempt in range(2):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=30)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, payload BLOB NOT NULL)")
                self._db = db
                return db
            except sqlite3.DatabaseError:
                # Not a database (or damaged beyond SQLite's repair): start afresh once.
                if attempt == 0 and self.path.is_file():
                    _remove(self.path)
                    continue
                break
            except (sqlite3.Error, OSError):
                break
        self._broken = True
        return None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def prune(self) -> None:
        """Remove caches of other beamsage versions unused for a week."""
        if self.path is None or not self.path.parent.is_dir():
            return
        now = time.time()
        try:
            os.utime(self.path)  # mark this version's cache as in use
        except OSError:
            pass
        for sibling in self.path.parent.glob(f"*{_SUFFIX}"):
            try:
                if sibling != self.path and now - sibling.stat().st_mtime > _STALE_SECONDS:
                    _remove(sibling)
            except OSError:
                pass


def _decode(blob) -> FileResult | None:
    payload = unseal(blob) if isinstance(blob, bytes) else None
    if payload is None:
        return None
    try:
        return _DECODER.decode(payload)
    except (msgspec.DecodeError, ValueError, TypeError):
        return None


def _remove(database: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(f"{database}{suffix}")
        except OSError:
            pass
