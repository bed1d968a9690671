"""What the tagger reads for each token: a word id, a capitalisation class and the
word's characters; batches of padded sentences; pretrained word vectors.

Words are looked up by a key with digits replaced by 0 (so that years and amounts
share rows) and, with case="lower", lower-cased; the capitalisation class then
carries what lower-casing removed.
"""

from __future__ import annotations

import gzip
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seqcli.errors import SeqcliError
from seqcli.vocab import Vocab

if TYPE_CHECKING:
    import torch

# capitalisation classes; 0 is padding
CAPS = ("<pad>", "lower", "upper", "title", "mixed", "none")
MAX_WORD_CHARS = 40  # longer tokens keep their first and last 20 characters
_DIGIT = re.compile(r"\d")


def word_key(token: str, case: str = "lower") -> str:
    """The vocabulary key of a token: digits as 0, lower-cased unless case="cased"."""
    key = _DIGIT.sub("0", token)
    return key.lower() if case == "lower" else key


def caps_class(token: str) -> int:
    """Index in CAPS of the token's capitalisation."""
    if token.lower() == token.upper():
        return 5  # no cased letters: punctuation, digits, most scripts
    if token.islower():
        return 1
    if token.isupper():
        return 2
    if token.istitle():
        return 3
    return 4


def word_chars(token: str) -> str:
    if len(token) <= MAX_WORD_CHARS:
        return token
    half = MAX_WORD_CHARS // 2
    return token[:half] + token[-half:]


@dataclass
class Batch:
    """Padded sentences, batch first; `types` maps each token to its row of `chars`.

    Attributes:
        words: (batch, time) word ids, <pad> past each sentence.
        caps: (batch, time) capitalisation classes, 0 past each sentence.
        chars: (types, max_chars) character ids of the batch's distinct tokens.
        types: (batch, time) row of `chars` for each token.
        lengths: (batch,) tokens per sentence, on the CPU (for packing).
        mask: (batch, time) bool, True on tokens.
        tags: (batch, time) gold tag ids, or None.
    """

    words: torch.Tensor
    caps: torch.Tensor
    chars: torch.Tensor
    types: torch.Tensor
    lengths: torch.Tensor
    mask: torch.Tensor
    tags: torch.Tensor | None = None

    def to(self, device: torch.device) -> Batch:
        def move(t):
            return None if t is None else t.to(device, non_blocking=True)

        return Batch(
            move(self.words),
            move(self.caps),
            move(self.chars),
            move(self.types),
            self.lengths,
            move(self.mask),
            move(self.tags),
        )


class Encoder:
    """Turns token lists into Batches with a model's word and character vocabularies.

    Args:
        words: vocabulary of word keys (see `word_key`).
        chars: vocabulary of characters.
        case: "lower" or "cased", as the model was trained.
    """

    def __init__(self, words: Vocab, chars: Vocab, case: str):
        self.words, self.chars, self.case = words, chars, case
        self._char_cache: dict[str, list[int]] = {}

    def char_ids(self, token: str) -> list[int]:
        ids = self._char_cache.get(token)
        if ids is None:
            ids = self.chars.encode(word_chars(token))
            if len(self._char_cache) < 200_000:  # bounded: inputs can be endless
                self._char_cache[token] = ids
        return ids

    def batch(
        self,
        sentences: Sequence[Sequence[str]],
        tags: Sequence[Sequence[int]] | None = None,
        *,
        rare: set[str] | None = None,
        word_dropout: float = 0.0,
        rng: random.Random | None = None,
    ) -> Batch:
        """Pad non-empty sentences into a Batch.

        Args:
            sentences: token lists, each with at least one token.
            tags: gold tag ids, aligned with `sentences`, or None.
            rare: word keys that read as <unk> with chance `word_dropout` (training
                on words seen once teaches the model what to do with unknown ones).
            word_dropout: that chance.
            rng: the random source for it (seeded per batch, so resuming repeats it).

        Returns:
            The batch, on the CPU.
        """
        import torch

        lengths = torch.tensor([len(s) for s in sentences], dtype=torch.long)
        time = int(lengths.max())
        # shape: (batch, time); True on tokens, in the order of the flat lists below
        mask = torch.arange(time)[None, :] < lengths[:, None]
        tokens = [t for s in sentences for t in s]
        keys = [word_key(t, self.case) for t in tokens]
        ids = self.words.encode(keys)
        if rare and word_dropout and rng is not None:
            unk = self.words.unk_index
            ids = [
                unk if k in rare and rng.random() < word_dropout else i
                for k, i in zip(keys, ids, strict=True)
            ]
        distinct: dict[str, int] = {}
        rows = [distinct.setdefault(t, len(distinct)) for t in tokens]
        # shape: (batch, time) each
        words = torch.full(mask.shape, self.words.pad_index, dtype=torch.long)
        words[mask] = torch.tensor(ids, dtype=torch.long)
        caps = torch.zeros(mask.shape, dtype=torch.long)
        caps[mask] = torch.tensor([caps_class(t) for t in tokens], dtype=torch.long)
        types = torch.zeros(mask.shape, dtype=torch.long)
        types[mask] = torch.tensor(rows, dtype=torch.long)
        char_lists = [self.char_ids(t) for t in distinct]
        char_lengths = torch.tensor([len(c) for c in char_lists])
        # shape: (types, max_chars)
        char_mask = (
            torch.arange(int(char_lengths.max()))[None, :] < char_lengths[:, None]
        )
        chars = torch.full(char_mask.shape, self.chars.pad_index, dtype=torch.long)
        chars[char_mask] = torch.tensor(
            [c for ids in char_lists for c in ids], dtype=torch.long
        )
        gold = None
        if tags is not None:
            gold = torch.zeros(mask.shape, dtype=torch.long)
            gold[mask] = torch.tensor(
                [t for ids in tags for t in ids], dtype=torch.long
            )
        return Batch(words, caps, chars, types, lengths, mask, gold)


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
        case: as the model's TaggerConfig.case.
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
