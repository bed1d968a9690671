"""What a language model reads and writes: characters, words or subwords.

A text becomes a list of unit strings, and the units joined give the text back
exactly, for every kind of unit:

- char: each character.
- word: spaCy's tokens (seqcli.vocab.WordTokenizer, as the other kinds read words);
  a word outside the vocabulary (its `vocab_size` commonest) is spelt in characters,
  so no word is lost; whitespace is written as its characters.
- bpe: each word split into byte-pair pieces (seqcli.subwords, as the translator's
  --subwords), every piece after a word's first marked with CONTINUE.

Whitespace is always its own units (one per character), so spacing, line ends and
blank lines come back as they were, and "\\n\\n" is the same two units in any model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from seqcli.charlm.config import UNITS
from seqcli.manifest import Manifest
from seqcli.subwords import CONTINUE, Subwords
from seqcli.vocab import Vocab, WordTokenizer


class Units:
    """Splits text into a model's units and joins units back into text."""

    def __init__(
        self,
        kind: str = "char",
        *,
        lang: str = "en",
        words: set[str] | None = None,
        merges: Sequence[Sequence[str]] = (),
    ):
        if kind not in UNITS:
            raise ValueError(f"unknown units {kind!r} (units: {', '.join(UNITS)})")
        self.kind, self.lang = kind, lang
        self.words = words or set()
        self.subwords = Subwords(merges) if kind == "bpe" else None
        self._tokenizer = WordTokenizer(lang) if kind != "char" else None

    @classmethod
    def from_manifest(cls, manifest: dict) -> Units:
        """The units a stored model reads (char for models saved before units)."""
        manifest = Manifest.of(manifest)
        return cls(
            manifest.units,
            lang=manifest.config.get("lang", "en"),
            words={t for t in manifest.tokens("chars") if len(t) > 1},
            merges=manifest.merges,
        )

    def split(self, text: str) -> list[str]:
        """The units of a text."""
        if self.kind == "char":
            return list(text)
        units: list[str] = []
        for line in text.splitlines(keepends=True):
            at = 0
            for token, start in self._tokenizer(line):
                units += line[at:start]  # the whitespace before, a unit per character
                units += self._word(token)
                at = start + len(token)
            units += line[at:]
        return units

    def _word(self, token: str) -> list[str]:
        if self.subwords is not None:
            return self.subwords.word(token)
        return [token] if token in self.words else list(token)

    def piece(self, unit: str) -> str:
        """The text one unit writes."""
        if self.kind == "bpe" and unit.startswith(CONTINUE) and len(unit) > 2:
            return unit[len(CONTINUE) :]
        return unit

    def join(self, units: Iterable[str]) -> str:
        return "".join(self.piece(u) for u in units)


def build(
    kind: str, texts: Sequence[str], size: int, lang: str = "en"
) -> tuple[Units, Vocab, list[list[str]]]:
    """(units, their vocabulary, merges) learnt from the training texts: every
    character, and for word units the `size` commonest words, for bpe units `size`
    merges."""
    if kind == "char":
        units = Units("char")
        return units, Vocab.build([list(t) for t in texts]), []
    tokenizer = WordTokenizer(lang)
    counts: Counter[str] = Counter()
    for text in texts:
        for line in text.splitlines():
            counts.update(t for t, _ in tokenizer(line))
    merges: list[list[str]] = []
    if kind == "word":
        words = {w for w, _ in counts.most_common(size) if len(w) > 1}
        units = Units("word", lang=lang, words=words)
    else:
        merges = Subwords.learn([list(counts.elements())], size).to_dict()
        units = Units("bpe", lang=lang, merges=merges)
    vocab = Vocab.build([list(t) for t in texts] + [units.split(t) for t in texts])
    return units, vocab, merges
