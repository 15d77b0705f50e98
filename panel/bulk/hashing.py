"""Hash many plain passwords on every core.

Hashing is deliberately slow (argon2id ~0.1 s), so an import of plain
passwords is bound by CPU: a process pool (not threads; the GIL) keeps every
core busy. Workers start through ``forkserver`` so they never inherit the
parent's database connections.

Workers exit with the process that started them. A forkserver worker's parent
is the forkserver, which lives as long as any worker does, so neither notices
when the importer is killed (SIGKILL, an OOM kill, gunicorn's timeout) and
four orphans would hash on forever. Each worker therefore watches its
starter through a pidfd and leaves the moment it ends.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
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


def _exit_with(starter: int) -> None:
    """Pool initializer: end this worker as soon as process ``starter`` ends."""
    try:
        handle = os.pidfd_open(starter)
    except ProcessLookupError:  # gone before we started
        os._exit(1)

    def watch() -> None:
        select.select([handle], [], [])  # readable once the process has ended
        os._exit(1)  # no cleanup to do: the hashes are the starter's, and it is gone

    threading.Thread(target=watch, name="exit-with-starter", daemon=True).start()


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
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=context, initializer=_exit_with, initargs=(os.getpid(),)
            )
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
