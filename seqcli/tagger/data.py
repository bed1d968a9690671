"""The tagger's data: CoNLL files, and what the tagger reads for each token (a word
id, a capitalisation class and the word's characters) in batches of padded
sentences.

Words are looked up by seqcli.vocab.word_key (digits as 0; with case="lower",
lower-cased); the capitalisation class then carries what lower-casing removed.
With `caseless`, a sentence in one case (typed without capitals, or shouting) is
read lower-cased, its cased words in a class of their own, CASELESS: capitals
that mean nothing there are not read as if they did, nor their absence.
A tagger with context char-LMs also reads each sentence as one line of text (its
tokens joined by spaces), and for each token where in that line its features are.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from seqcli import console
from seqcli.errors import SeqcliError
from seqcli.manifest import Manifest
from seqcli.tagger.config import TaggerConfig
from seqcli.vocab import Vocab, word_key

if TYPE_CHECKING:
    import torch

# capitalisation classes; 0 is padding
CAPS = ("<pad>", "lower", "upper", "title", "mixed", "none")
CASELESS = len(CAPS)  # a word of a sentence in one case (models with `caseless`)
MAX_WORD_CHARS = 40  # longer tokens keep their first and last 20 characters


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


def in_one_case(tokens: Sequence[str]) -> bool:
    """Whether the sentence lacks capitals or lacks small letters (its case says
    nothing about its words); the pronoun "I" is not counted, as people who type
    in lower case often write it so."""
    text = "".join(t for t in tokens if t != "I")
    return text.lower() == text or text.upper() == text


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
        forward_text, backward_text: (batch, length) character ids (in the context
            char-LM's vocabulary) of each sentence's line of text, read left to
            right and right to left, <pad> after each; None without that char-LM.
        forward_at, backward_at: (batch, time) the position in that text whose
            char-LM state is each token's context feature: the space after the
            token (forward), before it (backward).
        context: (batch, time, features) those features computed already (the
            char-LMs are fixed, so training computes them once), or None.
    """

    words: torch.Tensor
    caps: torch.Tensor
    chars: torch.Tensor
    types: torch.Tensor
    lengths: torch.Tensor
    mask: torch.Tensor
    tags: torch.Tensor | None = None
    forward_text: torch.Tensor | None = None
    forward_at: torch.Tensor | None = None
    backward_text: torch.Tensor | None = None
    backward_at: torch.Tensor | None = None
    context: torch.Tensor | None = None

    def to(self, device: torch.device) -> Batch:
        def move(name: str):
            t = getattr(self, name)
            if t is None or name == "lengths":  # lengths stay on the CPU (packing)
                return t
            return t.to(device, non_blocking=True)

        return Batch(**{f.name: move(f.name) for f in fields(self)})


class Batcher:
    """Turns token lists into Batches with a model's word and character vocabularies.

    Args:
        words: vocabulary of word keys (see `word_key`).
        chars: vocabulary of characters.
        case: "lower" or "cased", as the model was trained.
        caseless: read sentences in one case lower-cased, in the class CASELESS.
        lms: the character vocabulary of each context char-LM, by direction
            ("forward", "backward").
    """

    def __init__(
        self,
        words: Vocab,
        chars: Vocab,
        case: str,
        lms: dict[str, Vocab] | None = None,
        caseless: bool = False,
    ):
        self.words, self.chars, self.case = words, chars, case
        self.caseless = caseless
        self.lms = lms or {}
        self._char_cache: dict[str, list[int]] = {}

    @classmethod
    def from_manifest(cls, manifest: dict) -> Batcher:
        manifest = Manifest.of(manifest)
        return cls(
            manifest.vocab("words"),
            manifest.vocab("chars"),
            manifest.config["case"],
            {
                direction: Vocab.from_dict(lm["chars"])
                for direction, lm in manifest.context.items()
            },
            manifest.settings(TaggerConfig).caseless,
        )

    def char_ids(self, token: str) -> list[int]:
        ids = self._char_cache.get(token)
        if ids is None:
            ids = self.chars.encode(word_chars(token))
            if len(self._char_cache) < 200_000:  # bounded: inputs can be endless
                self._char_cache[token] = ids
        return ids

    def arrays(
        self,
        sentences: Sequence[Sequence[str]],
        tags: Sequence[Sequence[int]] | None = None,
        *,
        rare: set[str] | None = None,
        word_dropout: float = 0.0,
        rng: random.Random | None = None,
        texts: bool = True,
    ) -> dict[str, np.ndarray]:
        """Pad non-empty sentences into int64 arrays, named and shaped as the fields
        of Batch (the one input preparation of the PyTorch model, its numpy copy and
        its exported graph).

        Args:
            sentences: token lists, each with at least one token.
            tags: gold tag ids, aligned with `sentences`, or None.
            rare: word keys that read as <unk> with chance `word_dropout` (training
                on words seen once teaches the model what to do with unknown ones).
            word_dropout: that chance.
            rng: the random source for it (seeded per batch, so resuming repeats it).
            texts: whether to include the context char-LMs' texts and positions
                (training, which has their features already, leaves them out).
        """
        lengths = np.array([len(s) for s in sentences], np.int64)
        # shape: (batch, time); True on tokens, in the order of the flat lists below
        mask = np.arange(lengths.max())[None, :] < lengths[:, None]
        caseless = [self.caseless and in_one_case(s) for s in sentences]
        if any(caseless):
            sentences = [
                [t.lower() for t in s] if one else s
                for s, one in zip(sentences, caseless, strict=True)
            ]
        tokens = [t for s in sentences for t in s]
        caps = [
            CASELESS if one and c != 5 else c
            for s, one in zip(sentences, caseless, strict=True)
            for c in map(caps_class, s)
        ]
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

        def padded(values, fill: int = 0) -> np.ndarray:
            # shape: (batch, time)
            out = np.full(mask.shape, fill, np.int64)
            out[mask] = values
            return out

        char_lists = [self.char_ids(t) for t in distinct]
        char_lengths = np.array([len(c) for c in char_lists])
        # shape: (types, max_chars)
        char_mask = np.arange(char_lengths.max())[None, :] < char_lengths[:, None]
        chars = np.full(char_mask.shape, self.chars.pad_index, np.int64)
        chars[char_mask] = [c for ids in char_lists for c in ids]
        out = {
            "words": padded(ids, self.words.pad_index),
            "caps": padded(caps),
            "chars": chars,
            "types": padded(rows),
            "lengths": lengths,
            "mask": mask,
        }
        if tags is not None:
            out["tags"] = padded([t for ids in tags for t in ids])
        for direction, vocab in self.lms.items() if texts else ():
            text, at = text_positions(sentences, direction == "backward")
            out[f"{direction}_text"] = text_ids(text, vocab)
            out[f"{direction}_at"] = padded([i for pos in at for i in pos])
        return out

    def batch(
        self,
        sentences: Sequence[Sequence[str]],
        tags: Sequence[Sequence[int]] | None = None,
        **options,
    ) -> Batch:
        """`arrays` as a Batch of CPU tensors (`options`: rare, word_dropout, rng,
        texts)."""
        import torch

        arrays = self.arrays(sentences, tags, **options)
        return Batch(**{k: torch.from_numpy(v) for k, v in arrays.items()})


def text_positions(
    sentences: Sequence[Sequence[str]], backward: bool
) -> tuple[list[str], list[list[int]]]:
    """Each sentence as the line a context char-LM reads ("\\n", the tokens joined
    by spaces, "\\n"; reversed if `backward`), and the position in it of the
    separator that follows each token as read (so the state there has read the
    token)."""
    texts, positions = [], []
    for tokens in sentences:
        words = [word_chars(t) for t in tokens]
        text = "\n" + " ".join(words) + "\n"
        at, start = [], 1
        for w in words:
            # forward: the separator after the token; backward: the one before it
            at.append(start + len(w) if not backward else len(text) - start)
            start += len(w) + 1
        texts.append(text[::-1] if backward else text)
        positions.append(at)
    return texts, positions


def text_ids(texts: Sequence[str], vocab: Vocab) -> np.ndarray:
    """(batch, length) int64 character ids of `texts`, <pad> after each."""
    out = np.full((len(texts), max(map(len, texts))), vocab.pad_index, np.int64)
    for row, text in zip(out, texts, strict=True):
        row[: len(text)] = vocab.encode(text)
    return out


def read_conll(
    path: str,
    *,
    label_column: int | None = -1,
    errors: str = "strict",
    empty_ok: bool = False,
):
    """A CoNLL Document from a file (or stdin for "-"), with one-line user errors;
    no sentences is one unless `empty_ok` (a filter given nothing)."""
    from seqcli.data import read_text, split_lines
    from seqcli.tagger.conll import ConllError
    from seqcli.tagger.conll import read_conll as parse

    source = "<stdin>" if path == "-" else str(path)
    text = read_text(path, errors)
    try:
        doc = parse(split_lines(text), source=source, label_column=label_column)
    except ConllError as e:
        raise SeqcliError(str(e)) from None
    if not doc.sentences and not empty_ok:
        raise SeqcliError(f"{source}: no sentences in the input (it is empty)")
    return doc


def input_scheme(doc) -> str:
    """The document's tag scheme; warns where labels are repaired as conlleval would."""
    from seqcli.tagger.schemes import detect_scheme, validate

    scheme = detect_scheme(s.labels for s in doc.sentences)
    problems = [
        (s.line_no, p) for s in doc.sentences for p in validate(s.labels, scheme)
    ]
    if problems:
        line, first = problems[0]
        console.warn(
            f"{doc.source}: {len(problems)} label(s) do not follow {scheme} (first: "
            f"sentence at line {line}, {first}); they are read as conlleval reads them"
        )
    return scheme
