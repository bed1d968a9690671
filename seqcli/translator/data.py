"""The translator's data: parallel text, tokens that keep the text's spacing, and
the Codec between text and ids of a trained model.

Words come from spaCy's rule-based tokenizers and keep their case: sacreBLEU is
case-sensitive and German capitalises its nouns, so a lowercased model would need a
truecaser to score well. Target tokens carry where the text had no space ("##" glued
to the side without one, e.g. "man", "##'s" and "(##", "ein"), so that `detokenize`
gives back the original spacing exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from seqcli import console
from seqcli.errors import SeqcliError
from seqcli.manifest import Manifest
from seqcli.subwords import Subwords, learn
from seqcli.translator.config import MAX_SOURCE_TOKENS, TranslatorConfig
from seqcli.vocab import Vocab

if TYPE_CHECKING:
    import torch

# marks the side of a target token that had no space in the text; a "#" at a token's
# edge is then ambiguous ("Mann##." or "#Mann": the "#" may be lost or spaced)
GLUE = "##"


def glue_tokens(tokens: Sequence[tuple[str, int]]) -> list[str]:
    """Tokens with GLUE on the side where the text had no space.

    Punctuation takes the mark when it sits before a word ("(##", "ein"), otherwise
    the following token does ("Strand", "##."), so words mostly keep one form.

    Args:
        tokens: (token, character offset) pairs, as from WordTokenizer.
    Returns:
        the marked tokens.
    """
    out = [t for t, _ in tokens]
    for i in range(len(tokens) - 1):
        (a, start), (b, next_start) = tokens[i], tokens[i + 1]
        if start + len(a) == next_start:
            if b[:1].isalnum() and not a[-1:].isalnum():
                out[i] += GLUE
            else:
                out[i + 1] = GLUE + out[i + 1]
    return out


def detokenize(tokens: Sequence[str]) -> str:
    """Text from glued tokens: one space between tokens unless a GLUE says none."""
    parts: list[str] = []
    glue_next = True
    for token in tokens:
        left = token.startswith(GLUE) and len(token) > len(GLUE)
        if left:
            token = token[len(GLUE) :]
        right = token.endswith(GLUE) and len(token) > len(GLUE)
        if right:
            token = token[: -len(GLUE)]
        if not (left or glue_next):
            parts.append(" ")
        parts.append(token)
        glue_next = right
    return "".join(parts)


def read_parallel(
    src: str | None,
    tgt: str | None,
    pairs: str | None,
    errors: str = "strict",
) -> tuple[list[str], list[str]]:
    """Source and target sentences from two line-aligned files or one TSV file."""
    from seqcli.data import read_lines

    if pairs:
        sources, targets = [], []
        for n, line in enumerate(read_lines(pairs, errors), 1):
            if not line.strip():
                sources.append("")
                targets.append("")
                continue
            fields = line.split("\t")
            if len(fields) != 2:
                raise SeqcliError(
                    f"{pairs} line {n}: expected source<TAB>target, "
                    f"found {len(fields)} tab-separated field(s)"
                )
            sources.append(fields[0])
            targets.append(fields[1])
        return sources, targets
    if not (src and tgt):
        raise SeqcliError("give a source and a target file, or a pairs file")
    sources, targets = read_lines(src, errors), read_lines(tgt, errors)
    if len(sources) != len(targets):
        raise SeqcliError(
            f"{src} has {len(sources)} lines but {tgt} has {len(targets)}: "
            "line i of each must be a translation pair"
        )
    return sources, targets


def tokenize(tokenizer, lines: list[str], glued: bool) -> list[list[str]]:
    """Tokens of each line; `glued` marks where the text had no space (targets)."""
    docs = tokenizer.batch(lines)
    if glued:
        return [glue_tokens(d) for d in docs]
    return [[t for t, _ in d] for d in docs]


def vocabulary(
    sentences: list[list[str]], config: TranslatorConfig
) -> tuple[Vocab, Subwords | None]:
    """One language's vocabulary of training tokens, and its subword units if any.

    Words: the frequent ones, the rest are <unk>. With `subwords`, byte-pair pieces
    learnt from all words. With `rare_subwords`, the frequent words stay whole and the
    rarer ones are spelt in pieces learnt from them alone; a pair must occur min_freq
    times to merge, so that the pieces are frequent enough to be kept.
    """
    cut = {"min_freq": config.min_freq, "max_size": config.max_vocab}
    if config.subwords:
        subwords = Subwords.learn(sentences, config.subwords)
        return Vocab.build([subwords.split(s) for s in sentences], **cut), subwords
    whole = Vocab.build(sentences, **cut)
    if not config.rare_subwords:
        return whole, None
    rare = [w for s in sentences for w in s if w not in whole]
    merges = learn(rare, config.rare_subwords, min_count=max(2, config.min_freq))
    subwords = Subwords(merges)
    # the pieces of the rare words join the whole words (already cut to max_vocab)
    units = [subwords.split(s, whole) for s in sentences]
    return Vocab.build(units, min_freq=config.min_freq), subwords


class Codec:
    """Text ↔ ids for a trained translator: its tokenizers, subword units (if it was
    trained with them) and vocabularies."""

    def __init__(self, manifest: dict):
        from seqcli.vocab import WordTokenizer

        manifest = Manifest.of(manifest)
        cfg = manifest.config
        self.src_vocab = manifest.vocab("src")
        self.tgt_vocab = manifest.vocab("tgt")
        self.src_tokenizer = WordTokenizer(cfg["src_lang"])
        self.subwords = None
        if cfg.get("subwords") or cfg.get("rare_subwords"):
            self.subwords = {
                side: Subwords(manifest.subwords[side]) for side in ("src", "tgt")
            }
        # with rare_subwords, words of the vocabulary stay whole
        rare = cfg.get("rare_subwords")
        self.whole = {"src": self.src_vocab, "tgt": self.tgt_vocab} if rare else {}

    def units(self, side: str, tokens: list[str]) -> list[str]:
        """What the model reads or writes for tokens: subword pieces, or the tokens."""
        if not self.subwords:
            return tokens
        return self.subwords[side].split(tokens, self.whole.get(side, ()))

    def sources(
        self, lines: Sequence[str], first_line: int = 1
    ) -> tuple[list[list[str]], list[list[int]]]:
        """Source units and ids per line; too long lines are cut, with a warning."""
        tokens = [
            self.units("src", [t for t, _ in doc])
            for doc in self.src_tokenizer.batch(lines)
        ]
        for n, toks in enumerate(tokens):
            if len(toks) > MAX_SOURCE_TOKENS:
                console.warn(
                    f"line {first_line + n}: {len(toks)} tokens; only the first "
                    f"{MAX_SOURCE_TOKENS} are translated"
                )
                del toks[MAX_SOURCE_TOKENS:]
        return tokens, [[self.source_id(t) for t in toks] for toks in tokens]

    def source_id(self, unit: str) -> int:
        """A source unit's id; an unknown unit is read lower-cased if the model knows
        that form (a capitalised first word: "Beads", "Ballplayers")."""
        vocab = self.src_vocab
        return vocab.stoi.get(unit, vocab.stoi.get(unit.lower(), Vocab.unk_index))

    def text(self, hyp, source: Sequence[str], replace_unk: bool = True) -> str:
        """Detokenised text of a hypothesis.

        With replace_unk, an <unk> that attended most to a source word the model does
        not know either becomes that word (mostly names and numbers, written the same
        in both languages); an <unk> that attended to a known word or a mark is left
        out: the model knew that word and had no German for it, and copying the
        English (or the final period, where attention often rests) only adds a wrong
        word. Each source word is copied at most once: a decoder stuck on an unknown
        word repeats <unk> while it attends to it.
        """
        words = self.tgt_vocab.decode(hyp.ids)
        if replace_unk:
            copied, used = [], set()
            for w, i, pos in zip(words, hyp.ids, hyp.alignment, strict=True):
                if i != Vocab.unk_index:
                    copied.append(w)
                elif (
                    pos < len(source)
                    and pos not in used  # a run of <unk> on one word: copied once
                    and self.source_id(source[pos]) == Vocab.unk_index
                ):
                    copied.append(source[pos])
                    used.add(pos)
            words = copied
        if self.subwords:
            words = Subwords.join(words)
        return detokenize(words)


def target_in_out(tgt: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded (<bos> + ids, ids + <eos>) pairs, each (batch, max_len + 1)."""
    from seqcli.data import pad

    tgt_in, _ = pad([[Vocab.bos_index, *s] for s in tgt], Vocab.pad_index)
    tgt_out, _ = pad([[*s, Vocab.eos_index] for s in tgt], Vocab.pad_index)
    return tgt_in, tgt_out
