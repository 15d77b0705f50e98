"""Hash many plain passwords on every core.

Hashing is deliberately slow (argon2id ~0.1 s), so an import of plain
passwords is bound by CPU: a process pool (not threads; the GIL) keeps every
core busy. Workers start through ``forkserver`` so they never inherit the
parent's database connections.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Iterator

from .. import passwords

# Below this many passwords, starting workers costs more than it saves.
POOL_THRESHOLD = 4


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class Hasher:
    """``hash_all(passwords)`` in order; the pool starts on first use."""

    def __init__(self, scheme: str, workers: int | None = None):
        self.scheme = scheme
        self.workers = workers or cores()
        self._pool: ProcessPoolExecutor | None = None

    def hash_all(self, plain: list[str]) -> list[str]:
        if len(plain) < POOL_THRESHOLD or self.workers == 1:
            return [passwords.hash_password(p, self.scheme) for p in plain]
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        # Tiny chunks keep every worker busy to the end of the batch; a hash
        # costs far more than the round trip to the worker.
        chunk = 2
        return list(self._pool.map(partial(passwords.hash_password, scheme=self.scheme), plain, chunksize=chunk))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


@contextmanager
def hasher(scheme: str, workers: int | None = None) -> Iterator[Hasher]:
    h = Hasher(scheme, workers)
    try:
        yield h
    finally:
        h.close()
