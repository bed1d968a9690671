"""The translator: an LSTM encoder-decoder with attention, and its training task.

Encoder: word embeddings → bidirectional LSTM (packed). Decoder: an LSTM started from
the encoder's final states (through a linear bridge); after each step its output
attends over all encoder outputs (masked; Luong's bilinear or Bahdanau's MLP score),
and tanh(W [context; output]) is the attentional vector that predicts the next word
and, with input feeding, is fed to the next step. Without input feeding the decoder
runs over the whole target at once in training, several times faster on a CPU.

Words come from spaCy's rule-based tokenizers and keep their case: sacreBLEU is
case-sensitive and German capitalises its nouns, so a lowercased model would need a
truecaser to score well. Target tokens carry where the text had no space ("##" glued
to the side without one, e.g. "man", "##'s" and "(##", "ein"), so that `detokenize`
gives back the original spacing exactly.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seqcli import console, distributed, int8
from seqcli.config import BEAM, LENGTH_PENALTY, TranslatorConfig
from seqcli.errors import SeqcliError
from seqcli.linear_loss import linear_cross_entropy
from seqcli.subwords import Subwords, learn
from seqcli.vocab import SPECIALS, Vocab

KIND = "translator"
GLUE = "##"  # marks the side of a target token that had no space in the text
MAX_SOURCE_TOKENS = 200  # longer inputs are cut (with a warning) to bound memory
MAX_TRAIN_TOKENS = 100  # longer training pairs are left out


# --- tokens and text ---


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


# --- the model ---


@dataclass
class Memory:
    """What the decoder attends to, for a batch of sentences."""

    outputs: torch.Tensor  # (batch, src_len, 2 * hidden) encoder outputs
    keys: torch.Tensor  # (batch, src_len, key) outputs projected for the scores
    mask: torch.Tensor  # (batch, src_len) True at real tokens
    final: torch.Tensor  # (batch, 2 * hidden) top layer's last states, both directions
    final_cell: torch.Tensor  # (batch, 2 * hidden) the same for the cell states

    def select(self, index: torch.Tensor) -> Memory:
        """The rows `index` (batch,) of everything: for beams and shrinking batches."""
        return Memory(*(x.index_select(0, index) for x in asdict_shallow(self)))


@dataclass
class DecoderState:
    h: torch.Tensor  # (layers, batch, hidden)
    c: torch.Tensor  # (layers, batch, hidden)
    feed: torch.Tensor | None  # (batch, out) last attentional vector (input feeding)

    def select(self, index: torch.Tensor) -> DecoderState:
        return DecoderState(
            self.h.index_select(1, index),
            self.c.index_select(1, index),
            None if self.feed is None else self.feed.index_select(0, index),
        )


def hide_words(ids: torch.Tensor, chance: float) -> torch.Tensor:
    """ids with each real word (not <pad>) turned to <unk> with this chance: whole
    words hidden in training, so that the model learns to translate around <unk>."""
    if not chance:
        return ids
    hidden = torch.rand(ids.shape, device=ids.device) < chance
    return ids.masked_fill(hidden & (ids != Vocab.pad_index), Vocab.unk_index)


def asdict_shallow(obj) -> list[torch.Tensor]:
    return [getattr(obj, f) for f in obj.__dataclass_fields__]


class Attention(nn.Module):
    """Scores of a query against every source position, softmaxed over real tokens.

    luong: q · W k (bilinear, "general"); bahdanau: v · tanh(W q + U k) (MLP).
    """

    def __init__(self, kind: str, query: int, key: int):
        super().__init__()
        if kind not in ("luong", "bahdanau"):
            raise ValueError(f"attention must be luong or bahdanau, not {kind!r}")
        self.kind = kind
        self.key = nn.Linear(key, query, bias=False)
        if kind == "bahdanau":
            self.query = nn.Linear(query, query, bias=False)
            self.v = nn.Linear(query, 1, bias=False)

    def forward(
        self, query: torch.Tensor, memory: Memory
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """
        Args:
            query: (batch, steps, query) decoder outputs.
        Returns:
            context (batch, steps, 2 * hidden) and weights (batch, steps, src_len).
        """
        if self.kind == "luong":
            # shape: (batch, steps, src_len)
            scores = query @ memory.keys.transpose(1, 2)
        else:
            mixed = self.query(query).unsqueeze(2) + memory.keys.unsqueeze(1)
            scores = self.v(torch.tanh(mixed)).squeeze(3)
        scores = scores.masked_fill(~memory.mask.unsqueeze(1), float("-inf"))
        weights = scores.softmax(-1)
        return weights @ memory.outputs, weights


class Translator(nn.Module):
    """LSTM encoder-decoder with attention; `forward` gives the training loss."""

    pad_index, bos_index, eos_index = Vocab.pad_index, Vocab.bos_index, Vocab.eos_index
    banned = [Vocab.pad_index, Vocab.bos_index]  # never produced by the search

    def __init__(self, cfg: TranslatorConfig):
        super().__init__()
        self.cfg = cfg
        h, e = cfg.hidden, cfg.embedding
        self.out_size = e if cfg.tie_embeddings else h
        self.src_embed = nn.Embedding(cfg.src_vocab_size, e, padding_idx=0)
        self.encoder = nn.LSTM(
            e,
            h,
            cfg.encoder_layers,
            batch_first=True,
            bidirectional=True,
            dropout=cfg.dropout if cfg.encoder_layers > 1 else 0.0,
        )
        # recurrent layers in the decoder's state: the decoder's, then the context
        # layer's; each starts from the encoder's last states
        self.state_layers = cfg.decoder_layers + int(cfg.context_layer)
        self.bridge_h = nn.Linear(2 * h, self.state_layers * h)
        self.bridge_c = nn.Linear(2 * h, self.state_layers * h)
        self.tgt_embed = nn.Embedding(cfg.tgt_vocab_size, e, padding_idx=0)
        self.decoder = nn.LSTM(
            e + (self.out_size if cfg.input_feeding else 0),
            h,
            cfg.decoder_layers,
            batch_first=True,
            dropout=cfg.dropout if cfg.decoder_layers > 1 else 0.0,
        )
        self.attention = Attention(cfg.attention, h, 2 * h)
        if cfg.context_layer:
            self.context_decoder = nn.LSTM(2 * h + h, h, batch_first=True)
        deep = e if cfg.deep_output else 0
        self.combine = nn.Linear(2 * h + h + deep, self.out_size)
        self.drop = nn.Dropout(cfg.dropout)
        # tied: the output layer is the target embedding (kept one tensor, no copy)
        self.out_bias = nn.Parameter(torch.zeros(cfg.tgt_vocab_size))
        if not cfg.tie_embeddings:
            self.out = nn.Linear(self.out_size, cfg.tgt_vocab_size, bias=False)
        self._int8_out = None  # set while decoding with int8_output()
        self._int8_cache = None  # (weights' identity and version, int8 product)

    # --- encoder ---
    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> Memory:
        """
        Args:
            src: (batch, src_len) source ids, padded with <pad>.
            lengths: (batch,) true lengths, each at least 1.
        Returns:
            the Memory the decoder attends to.
        """
        if self.training:
            src = hide_words(src, self.cfg.word_dropout)
        # shape: (batch, src_len, embedding)
        embedded = self.drop(self.src_embed(src))
        packed = nn.utils.rnn.pack_padded_sequence(
            embedded, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        out, (h, c) = self.encoder(packed)
        # shape: (batch, src_len, 2 * hidden)
        out, _ = nn.utils.rnn.pad_packed_sequence(
            out, batch_first=True, total_length=src.size(1)
        )
        out = self.drop(out)
        batch = src.size(0)

        def last(states: torch.Tensor) -> torch.Tensor:
            # shape: (layers * 2, batch, hidden) -> (batch, 2 * hidden), top layer
            top = states.view(self.cfg.encoder_layers, 2, batch, -1)[-1]
            return torch.cat([top[0], top[1]], -1)

        mask = torch.arange(src.size(1), device=src.device)[None] < lengths[:, None].to(
            src.device
        )
        return Memory(out, self.attention.key(out), mask, last(h), last(c))

    def init_state(self, memory: Memory) -> DecoderState:
        layers, h = self.state_layers, self.cfg.hidden
        batch = memory.final.size(0)

        def bridge(layer: nn.Linear, final: torch.Tensor) -> torch.Tensor:
            # shape: (batch, layers * hidden) -> (layers, batch, hidden)
            x = torch.tanh(layer(final)).view(batch, layers, h)
            return x.transpose(0, 1).contiguous()

        feed = None
        if self.cfg.input_feeding:
            feed = memory.final.new_zeros(batch, self.out_size)
        return DecoderState(
            bridge(self.bridge_h, memory.final),
            bridge(self.bridge_c, memory.final_cell),
            feed,
        )

    # --- decoder ---
    def _attend(
        self,
        output: torch.Tensor,
        state: DecoderState,
        memory: Memory,
        embedded: torch.Tensor,
    ) -> tuple[torch.Tensor, DecoderState, torch.Tensor]:
        """Attentional vectors (batch, steps, out) of the decoder's outputs (batch,
        steps, hidden) for inputs `embedded` (batch, steps, embedding), the state with
        the context layer's part, and the weights (batch, steps, src)."""
        context, weights = self.attention(output, memory)
        if self.cfg.context_layer:
            top = (state.h[-1:], state.c[-1:])
            output, (h, c) = self.context_decoder(torch.cat([context, output], -1), top)
            state = DecoderState(
                torch.cat([state.h[:-1], h]), torch.cat([state.c[:-1], c]), state.feed
            )
        parts = (
            [context, output, embedded] if self.cfg.deep_output else [context, output]
        )
        attentional = torch.tanh(self.combine(torch.cat(parts, -1)))
        return attentional, state, weights

    def _recur(
        self, embedded: torch.Tensor, state: DecoderState
    ) -> tuple[torch.Tensor, DecoderState]:
        """The decoder LSTM over (batch, steps, input); the context layer's state
        is passed through."""
        n = self.cfg.decoder_layers
        out, (h, c) = self.decoder(embedded, (state.h[:n], state.c[:n]))
        if self.cfg.context_layer:
            h, c = torch.cat([h, state.h[n:]]), torch.cat([c, state.c[n:]])
        return out, DecoderState(h, c, state.feed)

    def _out_weight(self) -> torch.Tensor:
        return self.tgt_embed.weight if self.cfg.tie_embeddings else self.out.weight

    def _logits(self, attentional: torch.Tensor) -> torch.Tensor:
        if self._int8_out is not None and not self.training:
            return self._int8_out(attentional)
        return F.linear(self.drop(attentional), self._out_weight(), self.out_bias)

    @contextlib.contextmanager
    def int8_output(self, enabled: bool = True) -> Iterator[None]:
        """Decode with an int8 copy of the output layer: the step's largest product,
        about 3× faster on the CPU (see seqcli.int8). The copy is kept until the
        weights change, so translating one sentence per call stays cheap."""
        if enabled:
            weight, bias = self._out_weight(), self.out_bias
            key = (weight.data_ptr(), weight._version, bias.data_ptr(), bias._version)
            if self._int8_cache is None or self._int8_cache[0] != key:
                self._int8_cache = (key, int8.linear(weight, bias, bounded=True))
            self._int8_out = self._int8_cache[1]
        try:
            yield
        finally:
            self._int8_out = None

    def decode(
        self, tgt_in: torch.Tensor, memory: Memory
    ) -> tuple[torch.Tensor, DecoderState]:
        """Teacher-forced decoding of a whole target.

        Args:
            tgt_in: (batch, tgt_len) <bos> followed by the target ids.
        Returns:
            logits (batch, tgt_len, tgt_vocab) and the final state.
        """
        attentional, state = self._teacher_forced(tgt_in, memory)
        return self._logits(attentional), state

    def _teacher_forced(
        self, tgt_in: torch.Tensor, memory: Memory
    ) -> tuple[torch.Tensor, DecoderState]:
        """Attentional vectors (batch, tgt_len, out) of a whole target, final state."""
        state = self.init_state(memory)
        # shape: (batch, tgt_len, embedding)
        embedded = self.drop(self.tgt_embed(tgt_in))
        if not self.cfg.input_feeding:
            # shape: (batch, tgt_len, hidden)
            out, state = self._recur(embedded, state)
            attentional, state, _ = self._attend(out, state, memory, embedded)
            return attentional, state
        steps = []
        for t in range(tgt_in.size(1)):
            attentional, state, _ = self._step(embedded[:, t], state, memory)
            steps.append(attentional)
        return torch.stack(steps, 1), state

    def _step(
        self, embedded: torch.Tensor, state: DecoderState, memory: Memory
    ) -> tuple[torch.Tensor, DecoderState, torch.Tensor]:
        x = embedded if state.feed is None else torch.cat([embedded, state.feed], -1)
        # shape: (batch, 1, hidden)
        out, state = self._recur(x.unsqueeze(1), state)
        attentional, state, weights = self._attend(
            out, state, memory, embedded.unsqueeze(1)
        )
        attentional = attentional.squeeze(1)
        if self.cfg.input_feeding:
            state.feed = attentional
        return attentional, state, weights.squeeze(1)

    def step(
        self, prev: torch.Tensor, state: DecoderState, memory: Memory
    ) -> tuple[torch.Tensor, DecoderState, torch.Tensor]:
        """One decoding step.

        Args:
            prev: (batch,) the previous target ids (<bos> at first).
        Returns:
            logits (batch, tgt_vocab) of the next id, the new state, and the
            attention weights (batch, src_len).
        """
        attentional, state, weights = self._step(self.tgt_embed(prev), state, memory)
        return self._logits(attentional), state, weights

    def forward(
        self,
        src: torch.Tensor,
        src_lengths: torch.Tensor,
        tgt_in: torch.Tensor,
        tgt_out: torch.Tensor,
    ) -> torch.Tensor:
        """Mean token-level cross-entropy (with label smoothing) of the targets.

        Args:
            src: (batch, src_len) source ids; src_lengths: (batch,).
            tgt_in: (batch, tgt_len) <bos> + target ids, padded.
            tgt_out: (batch, tgt_len) target ids + <eos>, padded.
        Returns:
            the loss, a scalar tensor.
        """
        attentional, _ = self._teacher_forced(tgt_in, self.encode(src, src_lengths))
        # the output layer is the costliest product: skip it at padding
        real = tgt_out != self.pad_index
        hidden, gold = self.drop(attentional[real]), tgt_out[real]
        weight, smoothing = self._out_weight(), self.cfg.label_smoothing
        if hidden.device.type == "cpu":
            return linear_cross_entropy(
                hidden,
                weight,
                self.out_bias,
                gold,
                smoothing,
                samples=self.cfg.sampled_softmax,
            )
        # elsewhere the library's kernels, under autocast
        logits = F.linear(hidden, weight, self.out_bias).float()
        return F.cross_entropy(logits, gold, label_smoothing=smoothing)


# what models saved before a setting existed were built with
LEGACY_SETTINGS = {
    "word_dropout": 0.0,
    "context_layer": False,
    "deep_output": False,
    "sampled_softmax": 0,
}


def config_of(manifest: dict) -> TranslatorConfig:
    return TranslatorConfig(**LEGACY_SETTINGS | manifest["config"])


def from_manifest(manifest: dict) -> Translator:
    return Translator(config_of(manifest))


# --- translating ---


def target_in_out(tgt: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded (<bos> + ids, ids + <eos>) pairs, each (batch, max_len + 1)."""
    from seqcli.data import pad

    tgt_in, _ = pad([[Vocab.bos_index, *s] for s in tgt], Vocab.pad_index)
    tgt_out, _ = pad([[*s, Vocab.eos_index] for s in tgt], Vocab.pad_index)
    return tgt_in, tgt_out


def translate_ids(
    model: Translator,
    sources: Sequence[Sequence[int]],
    *,
    beam: int = BEAM,
    n_best: int = 1,
    batch_size: int = 128,
    max_len_ratio: float = 1.5,
    alpha: float = LENGTH_PENALTY,
    quantize: bool = True,
):
    """Translate source id lists in batches of similar length; input order is kept.

    quantize: on the CPU, decode with an int8 output layer (Translator.int8_output).

    Returns:
        per source, a list of `n_best` Hypothesis (one empty hypothesis for an empty
        source).
    """
    from seqcli.data import length_batches, pad
    from seqcli.search import Hypothesis, beam_search, greedy

    device = next(model.parameters()).device
    results: list = [[Hypothesis([], 0.0, 0.0, [])] for _ in sources]
    todo = [i for i, s in enumerate(sources) if s]
    search = {"max_len_ratio": max_len_ratio, "alpha": alpha}
    with model.int8_output(quantize and device.type == "cpu"):
        for batch in length_batches([len(sources[i]) for i in todo], batch_size):
            rows = [todo[j] for j in batch]
            src, lengths = pad([list(sources[i]) for i in rows], Vocab.pad_index)
            src = src.to(device)
            with _onednn(len(rows) * beam >= 16):
                if beam == 1:
                    found = [[h] for h in greedy(model, src, lengths, **search)]
                else:
                    found = beam_search(
                        model, src, lengths, beam=beam, n_best=n_best, **search
                    )
            for i, hyps in zip(rows, found, strict=True):
                results[i] = hyps
    return results


@contextlib.contextmanager
def _onednn(enabled: bool) -> Iterator[None]:
    """oneDNN's LSTM on or off: it wins for many rows per step and loses badly for
    few (see /work/shared/benchmarks.md)."""
    before = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = enabled
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = before


def score(hypotheses: Sequence[str], references: Sequence[str]) -> dict:
    """sacreBLEU's BLEU and chrF (default settings) of detokenised text."""
    from sacrebleu.metrics import BLEU, CHRF

    bleu = BLEU()
    return {
        "bleu": bleu.corpus_score(list(hypotheses), [list(references)]).score,
        "chrf": CHRF().corpus_score(list(hypotheses), [list(references)]).score,
        "signature": str(bleu.get_signature()),
    }


class Codec:
    """Text ↔ ids for a trained translator: its tokenizers, subword units (if it was
    trained with them) and vocabularies."""

    def __init__(self, manifest: dict):
        from seqcli.vocab import WordTokenizer

        cfg = manifest["config"]
        self.src_vocab = Vocab.from_dict(manifest["vocabs"]["src"])
        self.tgt_vocab = Vocab.from_dict(manifest["vocabs"]["tgt"])
        self.src_tokenizer = WordTokenizer(cfg["src_lang"])
        self.subwords = None
        if cfg.get("subwords") or cfg.get("rare_subwords"):
            self.subwords = {
                side: Subwords(manifest["subwords"][side]) for side in ("src", "tgt")
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
        word.
        """
        words = self.tgt_vocab.decode(hyp.ids)
        if replace_unk:
            copied = []
            for w, i, pos in zip(words, hyp.ids, hyp.alignment, strict=True):
                if i != Vocab.unk_index:
                    copied.append(w)
                elif (
                    pos < len(source) and self.source_id(source[pos]) == Vocab.unk_index
                ):
                    copied.append(source[pos])
            words = copied
        if self.subwords:
            words = Subwords.join(words)
        return detokenize(words)


def translate_lines(
    model: Translator,
    codec: Codec,
    lines: Sequence[str],
    *,
    first_line: int = 1,
    replace_unk: bool = True,
    **search,
) -> list[list[tuple[str, float]]]:
    """Per line, the n-best (text, score) translations, best first."""
    tokens, ids = codec.sources(lines, first_line)
    found = translate_ids(model, ids, **search)
    return [
        [(codec.text(h, src, replace_unk), h.score) for h in hyps]
        for hyps, src in zip(found, tokens, strict=True)
    ]


# --- data ---


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


class TranslatorTask:
    """Batches, loss and dev BLEU of the translator for the shared training loop."""

    metric = "bleu"
    higher_is_better = True

    def __init__(
        self,
        pairs: tuple[list[list[int]], list[list[int]]],
        dev: tuple[list[list[str]], list[list[int]], list[str]],
        codec: Codec,
        *,
        batch_size: int,
        device: torch.device,
        seed: int = 1,
        dev_beam: int = BEAM,
        dev_batch_size: int = 128,
        rank: int = 0,
        world: int = 1,
    ):
        self.src, self.tgt = pairs
        self.dev_tokens, self.dev_src, self.dev_refs = dev
        self.codec = codec
        self.batch_size, self.device, self.seed = batch_size, device, seed
        self.dev_beam, self.dev_batch_size = dev_beam, dev_batch_size
        self.rank, self.world = rank, world
        self.lengths = [max(len(s), len(t)) for s, t in zip(*pairs, strict=True)]
        self._steps = len(self._order(0))

    def _order(self, epoch: int) -> list[list[int]]:
        from seqcli.data import length_batches

        batches = length_batches(
            self.lengths, self.batch_size, shuffle=True, seed=self.seed, epoch=epoch
        )
        if self.world == 1:
            return batches
        # under torchrun each rank takes every world-th batch, all the same count
        mine = batches[self.rank :: self.world] or batches[:1]
        return mine[: max(1, len(batches) // self.world)]

    def steps_per_epoch(self) -> int:
        return self._steps

    def batches(self, epoch: int, start: int) -> Iterator[tuple[torch.Tensor, ...]]:
        from seqcli.data import pad

        for batch in self._order(epoch)[start:]:
            src, lengths = pad([self.src[i] for i in batch], Vocab.pad_index)
            tgt_in, tgt_out = target_in_out([self.tgt[i] for i in batch])
            yield tuple(x.to(self.device) for x in (src, lengths, tgt_in, tgt_out))

    def loss(self, model: Translator, batch) -> tuple[torch.Tensor, int]:
        n_tokens = int((batch[3] != Vocab.pad_index).sum())
        return model(*batch), n_tokens

    def evaluate(self, model: Translator) -> dict[str, float]:
        """Dev BLEU (sacreBLEU, detokenised) of translations with the dev beam: by
        default BEAM, what `seqcli translate` writes."""
        found = translate_ids(
            model, self.dev_src, beam=self.dev_beam, batch_size=self.dev_batch_size
        )
        hyps = [
            self.codec.text(h[0], src)
            for h, src in zip(found, self.dev_tokens, strict=True)
        ]
        metrics = score(hyps, self.dev_refs)
        return {"bleu": metrics["bleu"], "chrf": metrics["chrf"]}

    def state_tensors(self) -> dict[str, torch.Tensor]:
        return {}

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        pass


def _tokenize(tokenizer, lines: list[str], glued: bool) -> list[list[str]]:
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


def load_source_vectors(model: Translator, vocab: Vocab, path: str) -> int:
    """Start the source embeddings from pretrained word vectors (GloVe or word2vec
    text), looked up lower-cased as GloVe's words are. Each of their dimensions is
    standardised, like the N(0, 1) the embedding starts from, and fills its first
    columns; other columns and words keep their random start.

    Returns:
        how many vocabulary entries got a vector.
    """
    from seqcli.features import read_vectors

    wanted = {w.lower() for w in vocab.itos[len(SPECIALS) :]}
    keys, table = read_vectors(path, case="lower", wanted=wanted)
    if table.size(1) > model.cfg.embedding:
        raise SeqcliError(
            f"{path}: {table.size(1)}-dimensional vectors do not fit embeddings of "
            f"{model.cfg.embedding}"
        )
    std, mean = torch.std_mean(table, dim=0, correction=0)
    table = (table - mean) / std.clamp_min(1e-6)
    row = {k: i for i, k in enumerate(keys)}
    pairs = [
        (i, row[w.lower()])
        for i, w in enumerate(vocab.itos)
        if i >= len(SPECIALS) and w.lower() in row
    ]
    if pairs:
        ids, rows = zip(*pairs, strict=True)
        with torch.no_grad():
            model.src_embed.weight[list(ids), : table.size(1)] = table[list(rows)]
    return len(pairs)


def train(
    *,
    name: str,
    store,
    device: torch.device,
    settings,
    config: TranslatorConfig,
    src: str | None = None,
    tgt: str | None = None,
    pairs: str | None = None,
    dev_src: str | None = None,
    dev_tgt: str | None = None,
    dev_pairs: str | None = None,
    dev_fraction: float = 0.05,
    src_vectors: str | None = None,
    dev_beam: int = BEAM,
    resume: bool = False,
    encoding_errors: str = "strict",
):
    """Train (or resume) a translator on parallel text; keeps its best dev BLEU.

    src_vectors: word vectors to start the source embeddings from (see
    `load_source_vectors`); ignored when resuming.
    dev_beam: beam width of the dev translations (1: greedy, faster).

    Returns the training loop's final Position.
    """
    from seqcli.device import seed_everything
    from seqcli.train import fit
    from seqcli.vocab import WordTokenizer

    sources, targets = read_parallel(src, tgt, pairs, encoding_errors)
    if dev_src or dev_tgt or dev_pairs:
        dev_sources, dev_targets = read_parallel(
            dev_src, dev_tgt, dev_pairs, encoding_errors
        )
    else:
        cut = len(sources) - max(1, int(len(sources) * dev_fraction))
        sources, dev_sources = sources[:cut], sources[cut:]
        targets, dev_targets = targets[:cut], targets[cut:]
    if resume:
        manifest = store.load_state(name)[0]["manifest"]
        config = config_of(manifest)
    if config.subwords and config.rare_subwords:
        raise SeqcliError("--subwords and --rare-subwords exclude each other")
    src_tok = WordTokenizer(config.src_lang)
    tgt_tok = WordTokenizer(config.tgt_lang)
    src_tokens = _tokenize(src_tok, sources, glued=False)
    tgt_tokens = _tokenize(tgt_tok, targets, glued=True)
    kept = [
        i
        for i, (s, t) in enumerate(zip(src_tokens, tgt_tokens, strict=True))
        if s and t and len(s) <= MAX_TRAIN_TOKENS and len(t) <= MAX_TRAIN_TOKENS
    ]
    if len(kept) < len(src_tokens):
        console.warn(
            f"left out {len(src_tokens) - len(kept)} pair(s) with an empty side or "
            f"more than {MAX_TRAIN_TOKENS} tokens"
        )
    if not kept:
        raise SeqcliError("no training pairs (every pair has an empty side)")
    src_tokens = [src_tokens[i] for i in kept]
    tgt_tokens = [tgt_tokens[i] for i in kept]
    dev = [i for i, s in enumerate(dev_sources) if s.strip()]
    if not dev:
        raise SeqcliError("the dev data has no sentences")
    dev_sources = [dev_sources[i] for i in dev]
    dev_targets = [dev_targets[i] for i in dev]

    if not resume:
        src_vocab, src_subwords = vocabulary(src_tokens, config)
        tgt_vocab, tgt_subwords = vocabulary(tgt_tokens, config)
        config.src_vocab_size, config.tgt_vocab_size = len(src_vocab), len(tgt_vocab)
        manifest = {
            "kind": KIND,
            "config": asdict(config),
            "vocabs": {"src": src_vocab.to_dict(), "tgt": tgt_vocab.to_dict()},
            "training": {
                "data": [p for p in (src, tgt, pairs) if p],
                "dev": [p for p in (dev_src, dev_tgt, dev_pairs) if p]
                or f"last {dev_fraction:.0%} of the data",
            },
        }
        if src_subwords is not None and tgt_subwords is not None:
            manifest["subwords"] = {
                "src": src_subwords.to_dict(),
                "tgt": tgt_subwords.to_dict(),
            }
    codec = Codec(manifest)
    src_ids = [codec.src_vocab.encode(codec.units("src", s)) for s in src_tokens]
    tgt_ids = [codec.tgt_vocab.encode(codec.units("tgt", t)) for t in tgt_tokens]
    digest = hashlib.sha256(repr((src_ids, tgt_ids)).encode()).hexdigest()
    if resume and manifest["training"].get("sha256") != digest:
        raise SeqcliError(
            f"the training data differs from the one {name!r} was trained on; "
            "resume needs the same files"
        )
    manifest["training"]["sha256"] = digest
    manifest["training"]["dev_beam"] = dev_beam
    dev_tokens, dev_ids = codec.sources(dev_sources)

    seed_everything(settings.seed)  # the initial weights too
    model = from_manifest(manifest)
    if src_vectors and not resume:
        found = load_source_vectors(model, codec.src_vocab, src_vectors)
        manifest["training"]["src_vectors"] = str(src_vectors)
        console.info(
            f"word vectors for {found:,} of {len(codec.src_vocab):,} source units"
        )
    task = TranslatorTask(
        (src_ids, tgt_ids),
        (dev_tokens, dev_ids, dev_targets),
        codec,
        batch_size=config.batch_size,
        device=device,
        seed=settings.seed,
        dev_beam=dev_beam,
        rank=distributed.rank(),
        world=distributed.world_size(),
    )
    n_params = sum(p.numel() for p in model.parameters())
    console.info(
        f"{KIND} {name}: {len(src_ids):,} training pairs, {len(dev_ids):,} dev, "
        f"vocabulary {len(codec.src_vocab):,} {config.src_lang} / "
        f"{len(codec.tgt_vocab):,} {config.tgt_lang}, {n_params:,} parameters"
    )
    return fit(
        model,
        task,
        settings,
        store=store,
        name=name,
        manifest=manifest,
        device=device,
        resume=resume,
    )


def evaluate_command(
    model: Translator,
    manifest: dict,
    *,
    files: list[str] | None = None,
    src: str | None = None,
    tgt: str | None = None,
    pairs: str | None = None,
    encoding_errors: str = "strict",
    beam: int = BEAM,
    batch_size: int = 128,
    **_,
) -> dict:
    """`seqcli eval` for a translator: {bleu, chrf, signature, sentences} by sacreBLEU
    (default settings) on detokenised beam-search output."""
    if files and not (src or tgt or pairs) and len(files) == 1:
        pairs = files[0]
    if not (pairs or (src and tgt)):
        raise SeqcliError("give the test data: --src FILE --tgt FILE, or --pairs FILE")
    sources, refs = read_parallel(src, tgt, pairs, encoding_errors)
    if not sources:
        raise SeqcliError("the test data has no sentences")
    found = translate_lines(
        model, Codec(manifest), sources, beam=beam, batch_size=batch_size
    )
    hyps = [h[0][0] for h in found]
    return score(hyps, refs) | {"sentences": len(sources)}
