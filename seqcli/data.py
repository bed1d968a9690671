"""Reading user files: UTF-8 text with errors that say where the problem is."""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Iterable, Iterator

from seqcli.errors import SeqcliError


def _open(path: str):
    """A binary stream of a file, or of stdin for "-", with one-line errors."""
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        raise SeqcliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SeqcliError(f"{path}: is a directory, not a file") from None
    except OSError as e:
        raise SeqcliError(f"{path}: cannot read ({e.strerror})") from None


def read_bytes(path: str) -> bytes:
    stream = _open(path)
    try:
        return stream.read()
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def decode(raw: bytes, path: str, errors: str = "strict", offset: int = 0) -> str:
    """UTF-8 text; with errors='strict', invalid bytes are reported by offset
    (`offset` is where `raw` starts in the file)."""
    try:
        text = raw.decode("utf-8", errors=errors)
    except UnicodeDecodeError as e:
        raise SeqcliError(
            f"{path}: not valid UTF-8 at byte {offset + e.start} "
            "(fix the file or pass --encoding-errors replace)"
        ) from None
    return text.removeprefix("\ufeff") if offset == 0 else text


def read_text(path: str, errors: str = "strict") -> str:
    return decode(read_bytes(path), path, errors)


def split_lines(text: str) -> list[str]:
    r"""Lines split at "\n" only, a trailing "\r" dropped: str.splitlines would also
    split at characters inside a line (\u2028, \x0c, \x85...), and the output of
    a command would no longer line up with its input."""
    if not text:
        return []
    lines = text.removesuffix("\n").split("\n")
    return [line.removesuffix("\r") for line in lines]


def iter_lines(
    path: str, errors: str = "strict", *, pauses: bool = False
) -> Iterator[str | None]:
    r"""Lines of a UTF-8 file or stdin ("-") as they arrive, without line endings
    (for streaming: memory stays bounded by the longest line). Lines end at "\n"
    only, as in `split_lines`. No lines is no error: a filter given nothing writes
    nothing.

    pauses: from a pipe or a terminal, also None where the input pauses (nothing
    came for PAUSE seconds), so that a filter answers what it has (see `groups`).
    """
    stream = _open(path)
    offset = 0
    try:
        raws = _pausing(stream) if pauses and _may_pause(stream) else stream
        for raw in raws:
            if raw is None:
                yield None
                continue
            yield decode(raw, path, errors, offset).rstrip("\n").removesuffix("\r")
            offset += len(raw)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


PAUSE = 0.05  # seconds without input after which a filter answers what it has


def _may_pause(stream) -> bool:
    """Whether reading `stream` may wait on a writer: a pipe or a terminal (a file
    never does), where select() can tell."""
    if os.name == "nt":
        return False
    try:
        return not stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return False  # no file descriptor (tests)


def _pausing(stream) -> Iterator[bytes | None]:
    r"""Raw lines (with their "\n") of a pipe or terminal as they arrive, and None
    once each time the input pauses. Reads what is there with read1, so that no
    data waits in the stream's buffer while select() says there is none."""
    import select

    fd = stream.fileno()
    parts: list[bytes] = []  # the line read so far
    while True:
        if not select.select([fd], [], [], PAUSE)[0]:
            yield None
            select.select([fd], [], [])
        chunk = stream.read1(1 << 16)
        if not chunk:
            break
        *ends, rest = chunk.split(b"\n")
        for end in ends:
            yield b"".join(parts) + end + b"\n"
            parts = []
        if rest:
            parts.append(rest)
    if parts:
        yield b"".join(parts)


def first_lines(lines: Iterator[str | None], n: int) -> list[str | None]:
    """What a filter reads before it picks how to run: up to `n` lines, fewer when
    the input pauses after one (pauses kept, as None). The lines are given again
    by chaining this list before `lines`."""
    head: list[str | None] = []
    count = 0
    for item in lines:
        head.append(item)
        if item is None:
            if count:
                break
            continue
        count += 1
        if count == n:
            break
    return head


def count_lines(items: Iterable[str | None]) -> int:
    return sum(item is not None for item in items)


def read_lines(path: str, errors: str = "strict") -> list[str]:
    """The lines of a UTF-8 file (or stdin for '-'), without line endings (see
    `split_lines`)."""
    return split_lines(read_text(path, errors))


def groups(items: Iterable[str | None], size: int) -> Iterator[list]:
    """Lists of `size` items (the last may be shorter), as the items arrive: for
    reading, processing and writing a stream a group at a time. A None item (a
    pause of the input, see `iter_lines`) ends the group at once."""
    group: list = []
    for item in items:
        if item is not None:
            group.append(item)
            if len(group) < size:
                continue
        if group:
            yield group
            group = []
    if group:
        yield group


def length_batches(
    lengths: list[int],
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: int = 0,
    epoch: int = 0,
) -> list[list[int]]:
    """Indices grouped into batches of similar length (little padding).

    For training (`shuffle`), items are shuffled, sorted by length within pools of
    50 batches, and the batch order is shuffled; the result depends only on
    (seed, epoch), so a resumed run sees the same batches. For inference, items are
    sorted by length; callers restore the input order from the indices.
    """
    import random

    order = list(range(len(lengths)))
    if not shuffle:
        order.sort(key=lambda i: lengths[i])
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng = random.Random(seed * 1_000_003 + epoch)
    rng.shuffle(order)
    pool = 50 * batch_size
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def digest(*parts) -> str:
    """A sha256 of training data as a model reads it (tensors, or lists of ids and
    strings): a resumed run must find it unchanged."""
    import hashlib
    import json

    h = hashlib.sha256()
    for part in parts:
        if hasattr(part, "numpy"):  # a tensor
            h.update(part.numpy().tobytes())
        else:
            text = json.dumps(part, ensure_ascii=False, separators=(",", ":"))
            h.update(text.encode())
        h.update(b"\0")
    return h.hexdigest()


def held_out(n: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """(train, dev) indices of n items: a seeded random `fraction` (at least one)
    held back for dev, each part in input order; the same for the same seed."""
    import random

    order = list(range(n))
    random.Random(seed).shuffle(order)
    n_dev = max(1, int(n * fraction))
    if n_dev >= n:
        raise SeqcliError(
            f"{n} item(s) are too few to hold back a dev part; give one with --dev FILE"
        )
    return sorted(order[n_dev:]), sorted(order[:n_dev])


class RankBatches:
    """One process's training batches, epoch by epoch (see `length_batches`): under
    torchrun each rank takes every world-th batch, all ranks the same count, so that
    they step together."""

    def __init__(
        self,
        lengths: list[int],
        batch_size: int,
        *,
        seed: int,
        rank: int = 0,
        world: int = 1,
    ):
        self.lengths, self.batch_size, self.seed = lengths, batch_size, seed
        self.rank, self.world = rank, world
        self.steps = len(self.epoch(0))  # the same in every epoch

    def epoch(self, epoch: int) -> list[list[int]]:
        batches = length_batches(
            self.lengths, self.batch_size, shuffle=True, seed=self.seed, epoch=epoch
        )
        mine = batches[self.rank :: self.world] or batches[:1]
        return mine[: max(1, len(batches) // self.world)]


def pad(seqs: list[list[int]], pad_index: int):
    """(ids (batch, max_len) LongTensor padded with pad_index, lengths (batch,))."""
    import torch

    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    ids = torch.full(
        (len(seqs), max(lengths.max().item(), 1)), pad_index, dtype=torch.long
    )
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
    return ids, lengths
