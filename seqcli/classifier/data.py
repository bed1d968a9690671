"""The classifier's data: labelled lines, and texts as word ids.

Two formats are read, by line: `label<TAB>text`, and fastText's `__label__pos some
text` (several `__label__` prefixes may start a line; a model takes one label per
text, so a line with more is an error naming it). Words are spaCy tokens looked up by
seqcli.vocab.word_key (lower-cased, digits as 0); HTML line breaks (`<br />`) read as
spaces.

A model whose bag of n-grams is "spelled" (seqcli.classifier.ngrams) tells apart
words its network reads as one: 8/10 from 1/10 (both 0/00 to the network), and
the words outside its vocabulary (all <unk>). Such a word's id carries its spelling
above the vocabulary: id + len(vocab) * (1 + crc32(word) % SPELLINGS); the network
reads id % len(vocab), the bag the whole id.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from seqcli.classifier.calibrate import Scaling
from seqcli.errors import SeqcliError
from seqcli.manifest import Manifest
from seqcli.vocab import Vocab, WordTokenizer, word_key

FASTTEXT = "__label__"
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
SPELLINGS = 1 << 24  # a word's spelling, hashed; ids stay far within int64


@dataclass
class Labelled:
    """The texts of a labelled file, their labels, and where they stand in it."""

    texts: list[str]
    labels: list[str]
    lines: list[int]  # the 1-based line number of each text


def parse_line(line: str) -> tuple[list[str], str] | None:
    """(labels, text) of a line in either format; None for a line of neither."""
    if line.startswith(FASTTEXT):
        labels, rest = [], line
        while rest.startswith(FASTTEXT):
            label, _, rest = rest[len(FASTTEXT) :].partition(" ")
            labels.append(label)
            rest = rest.lstrip(" ")
        return labels, rest
    label, tab, text = line.partition("\t")
    if not tab:
        return None
    return [label.strip()], text


def read_labelled(path: str, errors: str = "strict") -> Labelled:
    """Texts and labels of a file (or stdin for "-"); blank lines are skipped."""
    from seqcli.data import read_lines

    texts, labels, numbers = [], [], []
    for n, line in enumerate(read_lines(path, errors), 1):
        if not line.strip():
            continue
        parsed = parse_line(line)
        if parsed is None:
            raise SeqcliError(
                f"{path} line {n}: expected label<TAB>text or __label__LABEL text"
            )
        found, text = parsed
        if len(found) > 1:
            raise SeqcliError(
                f"{path} line {n}: {len(found)} labels ({', '.join(found)}); a "
                "classifier takes one label per text"
            )
        if not found[0]:
            raise SeqcliError(f"{path} line {n}: the label is empty")
        texts.append(text)
        labels.append(found[0])
        numbers.append(n)
    if not texts:
        raise SeqcliError(f"{path}: no labelled lines")
    return Labelled(texts, labels, numbers)


def truncate(tokens: list[str], max_tokens: int) -> list[str]:
    """At most max_tokens tokens: the first and last halves of a longer text."""
    if len(tokens) <= max_tokens:
        return tokens
    head = max_tokens // 2
    return tokens[:head] + tokens[len(tokens) - (max_tokens - head) :]


class Codec:
    """Texts → word ids and class ids → labels for a model: its tokenizer, word
    vocabulary, longest text and class names, and the temperature its logits are
    divided by before softmax (seqcli.classifier.calibrate: one T, or a T by the
    text's length; 1: uncalibrated)."""

    def __init__(
        self,
        words: Vocab,
        labels: list[str],
        lang: str,
        max_tokens: int,
        temperature: float | Scaling = 1.0,
        read_tokens: int | None = None,
        spelled: bool = False,
    ):
        self.words, self.labels, self.max_tokens = words, labels, max_tokens
        # max_tokens cuts the texts trained on, read_tokens those classified
        self.read_tokens = read_tokens or max_tokens
        if not isinstance(temperature, Scaling):
            temperature = Scaling(temperature)
        self.scaling = temperature  # a text's T, by its length
        self.spelled = spelled  # ids carry the spelling of words the network merges
        self.tokenizer = WordTokenizer(lang)

    @property
    def temperature(self) -> float:
        """The base T (a text's T where the model has no length slope)."""
        return self.scaling.temperature

    @classmethod
    def from_manifest(cls, manifest: dict) -> Codec:
        manifest = Manifest.of(manifest)
        cfg = manifest.config
        return cls(
            manifest.vocab("words"),
            manifest.tokens("labels"),
            cfg["lang"],
            cfg["max_tokens"],
            Scaling.of(manifest.get("calibration")),
            # a model from before read_tokens reads as it was trained
            cfg.get("read_tokens", cfg["max_tokens"]),
            bool(cfg.get("ngrams") and cfg.get("ngram_spelled")),
        )

    def words_of(self, texts: Sequence[str]) -> list[list[str]]:
        """The lower-cased words of each text, before truncation."""
        cleaned = [_BREAK.sub(" ", t) for t in texts]
        return [[t.lower() for t, _ in doc] for doc in self.tokenizer.batch(cleaned)]

    def keys(self, texts: Sequence[str]) -> list[list[str]]:
        """The word keys of each text, before truncation."""
        return [[word_key(w) for w in doc] for doc in self.words_of(texts)]

    def ids(self, texts: Sequence[str], limit: int | None = None) -> list[list[int]]:
        """Word ids of each text, truncated to `limit` tokens (default: read_tokens)
        ([] for an empty text); spelled where the model's bag is."""
        return self.from_words(self.words_of(texts), limit)

    def from_words(
        self, words: Sequence[list[str]], limit: int | None = None
    ) -> list[list[int]]:
        """`ids` of texts already split into lower-cased words (`words_of`); where
        the model is spelled, each word whose key is not itself in the vocabulary
        carries its spelling."""
        if not self.spelled:
            return self.encode([[word_key(w) for w in text] for text in words], limit)
        size, itos = len(self.words), self.words.itos
        out = []
        for text in words:
            text = truncate(text, limit or self.read_tokens)
            ids = self.words.encode(word_key(w) for w in text)
            out.append(
                [
                    i
                    if itos[i] == w
                    else i + size * (1 + zlib.crc32(w.encode()) % SPELLINGS)
                    for i, w in zip(ids, text, strict=True)
                ]
            )
        return out

    def encode(
        self, keys: Sequence[list[str]], limit: int | None = None
    ) -> list[list[int]]:
        """`ids` of texts already split into word keys."""
        limit = limit or self.read_tokens
        return [self.words.encode(truncate(k, limit)) for k in keys]
