"""The translator's network: a recurrent encoder-decoder with attention.

Encoder: word embeddings → bidirectional recurrent layers (LSTM by default; padding
skipped). Decoder: recurrent layers of the same cell started from the encoder's
final states (through a linear bridge); after each step its output
attends over all encoder outputs (masked; Luong's bilinear or Bahdanau's MLP score),
and tanh(W [context; output]) is the attentional vector that predicts the next word
and, with input feeding, is fed to the next step. Without input feeding the decoder
runs over the whole target at once in training, several times faster on a CPU.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

from seqcli import cells, int8
from seqcli.cells import State
from seqcli.manifest import Manifest
from seqcli.translator.config import TranslatorConfig
from seqcli.translator.linear_loss import linear_cross_entropy
from seqcli.vocab import Vocab


@dataclass
class Memory:
    """What the decoder attends to, for a batch of sentences."""

    outputs: torch.Tensor  # (batch, src_len, 2 * hidden) encoder outputs
    keys: torch.Tensor  # (batch, src_len, key) outputs projected for the scores
    mask: torch.Tensor  # (batch, src_len) True at real tokens
    final: torch.Tensor  # (batch, 2 * hidden) top layer's last states, both directions
    final_cell: torch.Tensor | None  # the same for an LSTM's cell states

    def select(self, index: torch.Tensor) -> Memory:
        """The rows `index` (batch,) of everything: for beams and shrinking batches."""
        return Memory(
            *(
                None if part is None else part.index_select(0, index)
                for part in (getattr(self, f.name) for f in fields(self))
            )
        )


@dataclass
class DecoderState:
    h: torch.Tensor  # (layers, batch, hidden)
    c: torch.Tensor | None  # (layers, batch, hidden) an LSTM's cell states
    feed: torch.Tensor | None  # (batch, out) last attentional vector (input feeding)

    def select(self, index: torch.Tensor) -> DecoderState:
        return DecoderState(
            self.h.index_select(1, index),
            None if self.c is None else self.c.index_select(1, index),
            None if self.feed is None else self.feed.index_select(0, index),
        )

    def layers(self, part: slice) -> State:
        """The recurrent state of some layers, as seqcli.cells takes it."""
        return (self.h[part],) if self.c is None else (self.h[part], self.c[part])

    def joined(self, part: State, rest: slice, first: bool) -> DecoderState:
        """This state with `part` (new states of some layers) before (first) or
        after the layers `rest` of this one."""

        def join(new: torch.Tensor, old: torch.Tensor) -> torch.Tensor:
            return torch.cat([new, old[rest]] if first else [old[rest], new])

        c = None if self.c is None else join(part[1], self.c)
        return DecoderState(join(part[0], self.h), c, self.feed)


def hide_words(ids: torch.Tensor, chance: float) -> torch.Tensor:
    """ids with each real word (not <pad>) turned to <unk> with this chance: whole
    words hidden in training, so that the model learns to translate around <unk>."""
    if not chance:
        return ids
    hidden = torch.rand(ids.shape, device=ids.device) < chance
    return ids.masked_fill(hidden & (ids != Vocab.pad_index), Vocab.unk_index)


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
    """Recurrent encoder-decoder with attention; `forward` gives the training loss."""

    pad_index, bos_index, eos_index = Vocab.pad_index, Vocab.bos_index, Vocab.eos_index
    banned = [Vocab.pad_index, Vocab.bos_index]  # never produced by the search

    def __init__(self, cfg: TranslatorConfig):
        super().__init__()
        self.cfg = cfg
        h, e = cfg.hidden, cfg.embedding
        self.out_size = e if cfg.tie_embeddings else h
        self.src_embed = nn.Embedding(cfg.src_vocab_size, e, padding_idx=0)
        self.encoder = cells.stack(
            cfg.cell,
            e,
            h,
            cfg.encoder_layers,
            bidirectional=True,
            dropout=cfg.dropout,
        )
        # recurrent layers in the decoder's state: the decoder's, then the context
        # layer's; each starts from the encoder's last states
        self.state_layers = cfg.decoder_layers + int(cfg.context_layer)
        self.bridge_h = nn.Linear(2 * h, self.state_layers * h)
        if cfg.cell == "lstm":
            self.bridge_c = nn.Linear(2 * h, self.state_layers * h)
        self.tgt_embed = nn.Embedding(cfg.tgt_vocab_size, e, padding_idx=0)
        self.decoder = cells.stack(
            cfg.cell,
            e + (self.out_size if cfg.input_feeding else 0),
            h,
            cfg.decoder_layers,
            dropout=cfg.dropout,
        )
        self.attention = Attention(cfg.attention, h, 2 * h)
        if cfg.context_layer:
            self.context_decoder = cells.stack(cfg.cell, 2 * h + h, h)
        deep = e if cfg.deep_output else 0
        self.combine = nn.Linear(2 * h + h + deep, self.out_size)
        self.drop = nn.Dropout(cfg.dropout)
        # tied: the output layer is the target embedding (kept one tensor, no copy)
        self.out_bias = nn.Parameter(torch.zeros(cfg.tgt_vocab_size))
        if not cfg.tie_embeddings:
            self.out = nn.Linear(self.out_size, cfg.tgt_vocab_size, bias=False)
        self._int8_out = None  # set while decoding with int8_output()
        self._int8_cache = None  # (weights' identity and version, int8 product)

    @classmethod
    def from_manifest(cls, manifest: dict) -> Translator:
        return cls(Manifest.of(manifest).settings(TranslatorConfig))

    # --- encoder ---
    def encode(self, src: torch.Tensor, lengths: torch.Tensor | None) -> Memory:
        """
        Args:
            src: (batch, src_len) source ids, padded with <pad>.
            lengths: (batch,) true lengths, each at least 1; None for sources of
                src_len tokens each (no padding: as exported, see export.py).
        Returns:
            the Memory the decoder attends to.
        """
        if self.training:
            src = hide_words(src, self.cfg.word_dropout)
        # shape: (batch, src_len, embedding)
        embedded = self.drop(self.src_embed(src))
        # shape: (batch, src_len, 2 * hidden)
        out, (h, *c) = self.encoder(embedded, lengths=lengths)
        if lengths is None:
            lengths = torch.full((src.size(0),), src.size(1), device=src.device)
        out = self.drop(out)
        batch = src.size(0)

        def last(states: torch.Tensor) -> torch.Tensor:
            # shape: (layers * 2, batch, hidden) -> (batch, 2 * hidden), top layer
            top = states.view(self.cfg.encoder_layers, 2, batch, -1)[-1]
            return torch.cat([top[0], top[1]], -1)

        mask = torch.arange(src.size(1), device=src.device)[None] < lengths[:, None].to(
            src.device
        )
        final_cell = last(c[0]) if c else None
        return Memory(out, self.attention.key(out), mask, last(h), final_cell)

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
        c = None
        if memory.final_cell is not None:
            c = bridge(self.bridge_c, memory.final_cell)
        return DecoderState(bridge(self.bridge_h, memory.final), c, feed)

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
            top = state.layers(slice(-1, None))
            output, top = self.context_decoder(torch.cat([context, output], -1), top)
            state = state.joined(top, slice(None, -1), first=False)
        parts = (
            [context, output, embedded] if self.cfg.deep_output else [context, output]
        )
        attentional = torch.tanh(self.combine(torch.cat(parts, -1)))
        return attentional, state, weights

    def _recur(
        self, embedded: torch.Tensor, state: DecoderState
    ) -> tuple[torch.Tensor, DecoderState]:
        """The decoder's layers over (batch, steps, input); the context layer's
        state is passed through."""
        n = self.cfg.decoder_layers
        out, part = self.decoder(embedded, state.layers(slice(None, n)))
        return out, state.joined(part, slice(n, None), first=True)

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

    def best_next(
        self, log_probs: torch.Tensor, at_limit: torch.Tensor, k
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The search's choices after a step: the k likeliest next ids of each row
        and their log-probabilities, never <pad> or <bos>, and only <eos> (the
        others at -inf) where at_limit (rows,) is set; best first. One definition for
        PyTorch and the exported step (export.py).

        Args:
            log_probs: (rows, tgt_vocab).
            k: an int, or a 0-dim int64 tensor (the exported graph's input).
        """
        ids = torch.arange(log_probs.size(-1), device=log_probs.device)
        closed = at_limit[:, None] & (ids != self.eos_index)
        for banned in self.banned:
            closed = closed | (ids == banned)
        return log_probs.masked_fill(closed, float("-inf")).topk(k, dim=-1)

    def start(self, src: torch.Tensor, src_lengths, repeat: int) -> Steps:
        """The search's view of this model for a padded batch (see seqcli.search)."""
        lengths = torch.as_tensor(src_lengths)
        memory = self.encode(src, lengths)
        if repeat > 1:
            rows = torch.arange(src.size(0), device=src.device)
            memory = memory.select(rows.repeat_interleave(repeat))
        return Steps(self, memory, self.init_state(memory))

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


class Steps:
    """Decoder rows of a batch for seqcli.search: numpy in and out, PyTorch on the
    model's device inside."""

    def __init__(self, model: Translator, memory: Memory, state: DecoderState):
        self.model, self.memory, self.state = model, memory, state
        self.device = memory.outputs.device

    @torch.no_grad()
    def step(self, prev, at_limit, top: int):
        prev = torch.from_numpy(prev).to(self.device)
        logits, self.state, attention = self.model.step(prev, self.state, self.memory)
        log_probs = logits.float().log_softmax(-1)
        at_limit = torch.from_numpy(at_limit).to(self.device)
        k = min(top, log_probs.size(-1))
        best, ids = self.model.best_next(log_probs, at_limit, k)
        weights = attention.float().cpu().numpy()
        return best.cpu().numpy(), ids.cpu().numpy(), weights

    def select(self, rows, memory=None) -> None:
        self.state = self.state.select(torch.from_numpy(rows).to(self.device))
        if memory is not None:
            self.memory = self.memory.select(torch.from_numpy(memory).to(self.device))
