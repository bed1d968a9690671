"""The char-LM's data: text files into one stream of character ids, cut into
parallel streams (the classic char-rnn way)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqcli import console
from seqcli.errors import SeqcliError

if TYPE_CHECKING:
    import torch


def read_corpus(paths: list[str], errors: str = "strict") -> str:
    """The text of the files, one after the other."""
    from seqcli.data import read_text

    text = "".join(read_text(p, errors) for p in paths)
    if not text:
        raise SeqcliError(f"the corpus is empty ({', '.join(paths)})")
    return text


def streams(ids: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Cut a 1-D id stream into `batch_size` equal rows (the tail is dropped)."""
    length = ids.numel() // batch_size
    # shape: (batch_size, length)
    return ids[: batch_size * length].view(batch_size, length)


def fit_batch_shape(n_chars: int, batch_size: int, bptt: int) -> tuple[int, int]:
    """Shrink (batch_size, bptt) so that `n_chars` characters give one batch."""
    if n_chars < 2:
        raise SeqcliError(
            f"the corpus has {n_chars} character(s); at least 2 are needed"
        )
    b, t = batch_size, bptt
    if n_chars < b * (t + 1):
        b = max(1, min(b, (n_chars - 1) // t))
        t = min(t, n_chars // b - 1)
        console.warn(
            f"the corpus ({n_chars} characters) is shorter than one batch of "
            f"{batch_size}×{bptt + 1}; using batch size {b} and bptt {t}"
        )
    return b, t
