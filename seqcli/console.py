"""Messages and progress on stderr; stdout is kept for data."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator

from rich.console import Console

err = Console(stderr=True, highlight=False, soft_wrap=True)
quiet = False  # set by the CLI's -q


class GuardedStderr:
    """sys.stderr for a command's run: once its reader goes away (`2>&1 | head`, a
    closed terminal), messages and progress go nowhere and the run goes on as with
    -q. Progress must never end a training before it saves."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except OSError:  # EPIPE, EIO: nobody reads it
            self._gone()
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError:
            self._gone()

    def __getattr__(self, name: str):
        return getattr(self.stream, name)

    def _gone(self) -> None:
        global quiet
        quiet = True
        try:  # what is still buffered, and later writes below Python, go nowhere
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):  # no file descriptor (tests)
            pass
        self.stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


@contextlib.contextmanager
def quieted() -> Iterator[None]:
    """No info lines meanwhile (a library is quiet unless asked); warnings show."""
    global quiet
    before, quiet = quiet, True
    try:
        yield
    finally:
        quiet = before


class GuardedStdout:
    """sys.stdout for a command's run: a write that fails (a full disk, /dev/full)
    raises a SeqcliError, so that the command ends with one line, and what is still
    buffered goes nowhere. A reader that went away (BrokenPipeError) is left to the
    command line, which stops quietly."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as e:
            raise self._failed(e) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise self._failed(e) from None

    def __getattr__(self, name: str):
        return getattr(self.stream, name)

    def _failed(self, error: OSError) -> Exception:
        from seqcli.errors import SeqcliError

        try:  # the flush at exit would fail again, with a traceback
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):  # no file descriptor (tests)
            pass
        return SeqcliError(f"cannot write the output: {error.strerror or error}")


def info(message: str) -> None:
    if not quiet:
        err.print(message, markup=False)


def warn(message: str) -> None:
    # warnings show even with -q: they are about the user's data
    err.print(f"warning: {message}", markup=False, style="yellow")


class Progress:
    """A rich bar on a terminal, a plain line every `every` seconds otherwise.

    Progress is a fraction in [0, 1] so that both epoch counts and time budgets fit.
    """

    def __init__(self, description: str, every: float = 15.0):
        self.description = description
        self.every = every
        self.bar = None
        self.last_line = 0.0
        self.start = time.monotonic()

    def __enter__(self) -> Progress:
        if not quiet and sys.stderr.isatty():
            from rich.progress import (
                BarColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as Bar

            self.bar = Bar(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[status]}"),
                console=err,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.description, total=1.0, status="")
        return self

    def update(self, fraction: float, status: str = "") -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=min(fraction, 1.0), status=status)
        elif not quiet and time.monotonic() - self.last_line >= self.every:
            self.last_line = time.monotonic()
            elapsed = time.monotonic() - self.start
            err.print(
                f"{self.description} {100 * min(fraction, 1.0):5.1f}%"
                f" {elapsed:6.0f}s {status}",
                markup=False,
            )

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
