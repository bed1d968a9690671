"""Pretrained word vectors (GloVe or word2vec text), read once for every kind."""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING

from seqcli.errors import SeqcliError
from seqcli.vocab import word_key

if TYPE_CHECKING:
    import torch


def read_vectors(
    path: str,
    *,
    case: str = "lower",
    wanted: set[str] | None = None,
    top: int = 0,
) -> tuple[list[str], torch.Tensor]:
    """Word vectors in GloVe or word2vec text format (gzip-compressed if named .gz).

    A word2vec "COUNT DIM" header line is skipped. Words are turned into keys with
    `word_key`; where two words give one key, the first (commonest) is kept.

    Args:
        path: the file.
        case: "lower" or "cased" (see seqcli.vocab.word_key).
        wanted: keep the vectors of these keys (None: of every word)...
        top: ...and of the first `top` words of the file (its commonest).

    Returns:
        keys, and their vectors as a (len(keys), dim) float tensor.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    keys: list[str] = []
    rows: list[list[float]] = []
    seen: set[str] = set()
    dim = None
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as f:
            for line_no, line in enumerate(f, start=1):
                word, _, rest = line.rstrip().partition(" ")
                if line_no == 1 and word.isdigit() and rest.isdigit():
                    continue  # word2vec header
                key = word_key(word, case)
                if key in seen or not (
                    wanted is None or line_no <= top or key in wanted
                ):
                    continue
                try:
                    row = [float(x) for x in rest.split(" ")]
                except ValueError:
                    row = []
                dim = dim or len(row)
                if not row or len(row) != dim:
                    raise SeqcliError(
                        f"{path}:{line_no}: expected a word and {dim or 'some'} "
                        "numbers separated by spaces"
                    )
                seen.add(key)
                keys.append(key)
                rows.append(row)
    except FileNotFoundError:
        raise SeqcliError(f"{path}: no such file") from None
    except (OSError, EOFError, UnicodeError) as e:
        raise SeqcliError(f"{path}: cannot read word vectors ({e})") from None
    if not keys:
        raise SeqcliError(f"{path}: no word vectors found in the file")
    import torch

    return keys, torch.tensor(rows, dtype=torch.float)


def fill_embedding(weight: torch.Tensor, vocab, found: tuple) -> int:
    """Set the rows of `weight` (an embedding over `vocab`) of the words that
    `read_vectors` found to their vectors; returns how many were set."""
    import torch

    keys, table = found
    pairs = [(vocab.stoi[k], i) for i, k in enumerate(keys) if k in vocab]
    if pairs:
        rows, picked = zip(*pairs, strict=True)
        with torch.no_grad():
            weight[list(rows)] = table[list(picked)]
    return len(pairs)
