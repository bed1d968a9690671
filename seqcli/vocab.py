"""Tokenizers (characters; words by spaCy's rule-based tokenizers), vocabularies."""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence

from seqcli.errors import SeqcliError

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)
_DIGIT = re.compile(r"\d")


class Vocab:
    """A fixed mapping between tokens and ids; ids 0-3 are <pad> <unk> <bos> <eos>."""

    pad_index, unk_index, bos_index, eos_index = range(4)

    def __init__(self, tokens: Iterable[str]):
        self.itos: list[str] = list(SPECIALS)
        self.itos += [t for t in tokens if t not in SPECIALS]
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("vocabulary tokens must be unique")

    @classmethod
    def build(
        cls,
        sequences: Iterable[Iterable[str]],
        *,
        min_freq: int = 1,
        max_size: int | None = None,
    ) -> Vocab:
        """Most frequent tokens first (ties in first-seen order), at least `min_freq`
        occurrences, at most `max_size` tokens besides the specials."""
        counts: Counter[str] = Counter()
        for seq in sequences:
            counts.update(seq)
        tokens = [t for t, n in counts.most_common() if n >= min_freq]
        tokens = [t for t in tokens if t not in SPECIALS]
        return cls(tokens[:max_size] if max_size is not None else tokens)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.itos == other.itos

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Token ids; unknown tokens become <unk>."""
        unk = self.unk_index
        return [self.stoi.get(t, unk) for t in tokens]

    def decode(self, ids: Iterable[int], *, strip_specials: bool = True) -> list[str]:
        """Tokens for ids; by default skips <pad>/<bos> and stops at <eos>."""
        out = []
        for i in ids:
            if strip_specials and i == self.eos_index:
                break
            if strip_specials and i in (self.pad_index, self.bos_index):
                continue
            out.append(self.itos[i])
        return out

    def unknown(self, tokens: Iterable[str]) -> list[str]:
        """The distinct tokens that are not in the vocabulary, in first-seen order."""
        return list(dict.fromkeys(t for t in tokens if t not in self.stoi))

    def to_dict(self) -> dict:
        return {"specials": list(SPECIALS), "tokens": self.itos[len(SPECIALS) :]}

    @classmethod
    def from_dict(cls, data: dict) -> Vocab:
        if data.get("specials") != list(SPECIALS):
            raise ValueError(f"vocabulary has specials {data.get('specials')}")
        return cls(data["tokens"])


def word_key(token: str, case: str = "lower") -> str:
    """A word's vocabulary key: digits as 0 (so that years and amounts share rows),
    lower-cased unless case="cased"."""
    key = _DIGIT.sub("0", token)
    return key.lower() if case == "lower" else key


def chars(text: str) -> list[str]:
    """The character tokenizer."""
    return list(text)


class WordTokenizer:
    """spaCy's rule-based tokenizer for a language (spacy.blank: no model download).

    Calling it gives (token, character offset) pairs; whitespace tokens are dropped.
    The rules run without spaCy (seqcli.tokenizer) from a copy cached in the store
    (`.tokenizers/`, per spaCy version), so only the first use imports spaCy;
    languages whose tokenizer is not rule-based (e.g. Chinese) use spaCy itself.
    """

    def __init__(self, lang: str = "en"):
        self.lang = lang
        self._tokenizer = None

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            from seqcli.store import home
            from seqcli.tokenizer import RuleTokenizer, cached_rules

            rules = cached_rules(self.lang, home() / ".tokenizers", _spacy_tokenizer)
            self._tokenizer = (
                RuleTokenizer(rules)
                if rules
                else _SpacyWords(_spacy_tokenizer(self.lang))
            )
        return self._tokenizer

    def __call__(self, text: str) -> list[tuple[str, int]]:
        return [(t, i) for t, i in self.tokenizer(text) if not t.isspace()]

    def tokens(self, text: str) -> list[str]:
        return [t for t, _ in self(text)]

    def batch(self, texts: Sequence[str]) -> list[list[tuple[str, int]]]:
        return [self(text) for text in texts]


class _SpacyWords:
    """A spaCy tokenizer giving (token, offset) pairs, as RuleTokenizer does."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> list[tuple[str, int]]:
        return [(t.text, t.idx) for t in self.tokenizer(text)]


def _spacy_tokenizer(lang: str):
    spacy = _import_spacy()
    try:
        return spacy.blank(lang).tokenizer
    except (ImportError, KeyError, ValueError) as e:
        raise SeqcliError(f"no spaCy tokenizer for language {lang!r}") from e


def _import_spacy():
    """spaCy, without PyTorch: thinc imports torch when it is installed (over a
    second), though spaCy's tokenizers never use it. Where torch is loaded already,
    or spaCy is, this is a plain import."""
    if "torch" in sys.modules or "spacy" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # `import torch` inside thinc fails: no torch shims
    try:
        import spacy
    finally:
        del sys.modules["torch"]
    return spacy
