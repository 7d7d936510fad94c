"""Per-file results cached by content hash, in the user's cache folder.

A cache entry is keyed by a hash of beamsage's own code, the file's
root-relative path (its kind depends on it) and its bytes: any change to
either gives a new key, so an entry is never stale. An entry stores a
checksum of its payload; a truncated, corrupted or half-written entry fails
the check or the typed decode and is treated as a miss, never as a result.
Entries are written to a temporary file and renamed into place, so
concurrent runs never see each other's partial writes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from functools import cache
from importlib import metadata
from pathlib import Path

import msgspec
import platformdirs

from ..util import write_atomic
from .worker import FileResult

_MAGIC = b"BSC1"
_DIGEST = 16
_DECODER = msgspec.msgpack.Decoder(FileResult)
_STALE_SECONDS = 7 * 24 * 3600


def default_cache_dir() -> Path:
    return Path(os.environ.get("BEAMSAGE_CACHE_DIR") or platformdirs.user_cache_dir("beamsage"))


@cache
def code_version() -> str:
    """A hash of beamsage's source and grammar versions: results depend on both."""
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


class Cache:
    """`Cache(None)` is a cache that never hits and never writes (`--no-cache`)."""

    def __init__(self, directory: str | Path | None):
        self.directory = Path(directory) / code_version() if directory else None

    def key(self, path: str, data: bytes) -> str:
        digest = hashlib.blake2b(digest_size=20)
        digest.update(path.encode())
        digest.update(b"\0")
        digest.update(data)
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.directory / key[:2] / key[2:]

    def load(self, key: str) -> FileResult | None:
        if self.directory is None:
            return None
        try:
            blob = self._entry(key).read_bytes()
        except OSError:
            return None
        payload = blob[len(_MAGIC) + _DIGEST :]
        if blob[: len(_MAGIC)] != _MAGIC or blob[len(_MAGIC) : len(_MAGIC) + _DIGEST] != _checksum(payload):
            return None
        try:
            return _DECODER.decode(payload)
        except (msgspec.DecodeError, ValueError, TypeError):
            return None

    def store(self, key: str, payload: bytes) -> None:
        if self.directory is None:
            return
        entry = self._entry(key)
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(entry, _MAGIC + _checksum(payload) + payload)
        except OSError:
            pass  # a read-only or full cache folder only costs speed

    def prune(self) -> None:
        """Remove caches of other beamsage versions unused for a week."""
        if self.directory is None or not self.directory.parent.is_dir():
            return
        now = time.time()
        try:
            os.utime(self.directory)  # mark this version's cache as in use
        except OSError:
            pass
        for sibling in self.directory.parent.iterdir():
            try:
                if sibling != self.directory and now - sibling.stat().st_mtime > _STALE_SECONDS:
                    shutil.rmtree(sibling, ignore_errors=True)
            except OSError:
                pass


def _checksum(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=_DIGEST).digest()
