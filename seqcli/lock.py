"""An OS-level lock on a file, held by one process at a time (fcntl.flock, or
msvcrt on Windows). The kernel releases it when its process dies, however it dies,
so a killed training never leaves a model locked."""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt


class Held(Exception):
    """Another process holds the lock; `pid` is its process id as it wrote it."""

    def __init__(self, pid: str):
        super().__init__(pid)
        self.pid = pid


def _try(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


class FileLock:
    """A lock on `path` (created if needed) holding the owner's pid.

    Reentrant within a process: a second `acquire` of a lock this process holds
    only counts, so that the command line and the training loop may both take it.
    """

    _held: dict[str, list] = {}  # path → [file descriptor, depth], this process's

    def __init__(self, path: Path):
        self.path = Path(path)
        self.key = os.path.abspath(self.path)

    def acquire(self) -> None:
        """Take the lock at once, or raise Held."""
        held = self._held.get(self.key)
        if held is not None:
            held[1] += 1
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if not _try(fd):
                pid = os.read(fd, 32).decode(errors="replace").strip()
                os.close(fd)
                raise Held(pid or "?")
            # the file may have been removed (and made anew) between our open and
            # our lock: then the lock guards nothing, so take the new file's
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._held[self.key] = [fd, 1]

    def release(self) -> None:
        held = self._held[self.key]
        held[1] -= 1
        if held[1] == 0:
            del self._held[self.key]
            os.close(held[0])  # closing releases it

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
