"""The BiLSTM-CRF named-entity tagger.

Each token is read as a word embedding, a capitalisation feature and a char-CNN
summary of its spelling (Ma and Hovy, 2016), and optionally how often its word is
written with a capital (seqcli.tagger.capitals); a BiLSTM (or another cell of
seqcli.cells) over the sentence gives tag scores and a linear-chain CRF
(seqcli.tagger.crf) picks the best tag sequence, with the transitions its training
scheme forbids masked out. Context char-LMs, if given, add each token's state in fixed
forward and backward character language models of the sentence's text (Akbik et al.,
2018).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from seqcli import cells
from seqcli.charlm.config import CharLMConfig
from seqcli.config import config_from
from seqcli.manifest import Manifest
from seqcli.tagger.capitals import CLASSES
from seqcli.tagger.config import TaggerConfig
from seqcli.tagger.crf import CRF
from seqcli.tagger.data import CAPS, Batch, Batcher
from seqcli.tagger.schemes import transition_constraints


class ContextLM(nn.Module):
    """A char-LM's embedding and recurrent layers, fixed: its state after each token
    of a sentence's text (seqcli.tagger.data.text_positions)."""

    def __init__(self, cfg: CharLMConfig):
        super().__init__()
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embedding)
        self.rnn = cells.stack(cfg.cell, cfg.embedding, cfg.hidden, cfg.layers)
        self.requires_grad_(False)

    def forward(self, text: torch.Tensor, at: torch.Tensor) -> torch.Tensor:
        """(batch, time, hidden) states at positions `at` (batch, time) of `text`
        (batch, length); the padding after a text is read after its positions, so
        it changes nothing."""
        # shape: (batch, length, hidden)
        out, _ = self.rnn(self.embed(text))
        return out.gather(1, at.unsqueeze(-1).expand(-1, -1, out.size(-1)))


class Tagger(nn.Module):
    """Word + capitalisation + char-CNN (+ context char-LM) features →
    bidirectional recurrent layers (LSTM by default) → linear → CRF.

    Args:
        cfg: sizes and settings; the vocabulary sizes must be set.
        tags: tag names in id order, in the scheme `cfg.scheme`.
        context: the context char-LMs' settings by direction ("forward",
            "backward"); their weights are loaded with the tagger's and not trained.
    """

    def __init__(
        self,
        cfg: TaggerConfig,
        tags: Sequence[str],
        context: dict[str, CharLMConfig] | None = None,
    ):
        super().__init__()
        if cfg.num_tags != len(tags):
            raise ValueError(f"{len(tags)} tags for num_tags={cfg.num_tags}")
        self.cfg = cfg
        self.tags = list(tags)
        # ("forward" cannot name a module of a ModuleDict)
        self.lm_directions = list(context or {})
        self.lms = nn.ModuleList(ContextLM(c) for c in (context or {}).values())
        self.words = nn.Embedding(cfg.word_vocab_size, cfg.embedding, padding_idx=0)
        bound = math.sqrt(3 / cfg.embedding)  # as Lample et al. and Ma and Hovy
        nn.init.uniform_(self.words.weight, -bound, bound)
        self.caps = None
        width = cfg.embedding + cfg.char_filters
        if cfg.case == "lower":
            rows = len(CAPS) + cfg.caseless  # CASELESS is the row after CAPS
            self.caps = nn.Embedding(rows, cfg.caps_embedding, padding_idx=0)
            width += cfg.caps_embedding
        self.capitals = None
        if cfg.capital_prior:  # each word's class (seqcli.tagger.capitals), stored
            self.register_buffer(
                "capital_class", torch.zeros(cfg.word_vocab_size, dtype=torch.uint8)
            )
            self.capitals = nn.Embedding(CLASSES, cfg.caps_embedding, padding_idx=0)
            width += cfg.caps_embedding
        width += sum(c.hidden for c in (context or {}).values())
        self.chars = nn.Embedding(
            cfg.char_vocab_size, cfg.char_embedding, padding_idx=0
        )
        self.char_cnn = nn.Conv1d(cfg.char_embedding, cfg.char_filters, 3, padding=1)
        self.rnn = cells.stack(
            cfg.cell,
            width,
            cfg.hidden,
            cfg.layers,
            bidirectional=True,
            dropout=cfg.dropout,
        )
        cells.load_renamed(self, "lstm", "rnn")
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(2 * cfg.hidden, cfg.num_tags)
        self.crf = CRF(cfg.num_tags, *transition_constraints(self.tags, cfg.scheme))

    @classmethod
    def from_manifest(cls, manifest: dict) -> Tagger:
        manifest = Manifest.of(manifest)
        return cls(
            manifest.settings(TaggerConfig),
            manifest.tokens("tags"),
            {
                direction: config_from(CharLMConfig, lm["config"])
                for direction, lm in manifest.context.items()
            },
        )

    def char_features(self, chars: torch.Tensor) -> torch.Tensor:
        """
        Args:
            chars: (types, max_chars) character ids, <pad> (0) after each word.
        Returns:
            (types, char_filters): the max over each word's positions of the CNN.
        """
        # shape: (types, char_embedding, max_chars)
        x = self.drop(self.chars(chars)).transpose(1, 2)
        # shape: (types, char_filters, max_chars)
        h = self.char_cnn(x)
        h = h.masked_fill((chars == 0).unsqueeze(1), float("-inf"))
        return h.max(dim=2).values

    @torch.no_grad()
    def context(self, texts: dict[str, torch.Tensor]) -> torch.Tensor | None:
        """(batch, time, context features): each context char-LM's states, or None
        without them.

        Args:
            texts: "forward_text", "forward_at", and the same for "backward", as
                in seqcli.tagger.data.Batch.
        """
        if not self.lms:
            return None
        return torch.cat(
            [
                lm(texts[f"{d}_text"], texts[f"{d}_at"])
                for d, lm in zip(self.lm_directions, self.lms, strict=True)
            ],
            dim=-1,
        )

    def features(
        self,
        words: torch.Tensor,
        caps: torch.Tensor,
        chars: torch.Tensor,
        types: torch.Tensor,
        context: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """(batch, time, features): each token's word, spelling, capitalisation and
        context features (see seqcli.tagger.data.Batch for the inputs)."""
        # shape: (batch, time, char_filters)
        spelling = self.char_features(chars)[types]
        parts = [self.words(words), spelling]
        if self.caps is not None:
            parts.append(self.caps(caps))
        if self.capitals is not None:
            parts.append(self.capitals(self.capital_class[words].long()))
        if context is not None:
            parts.append(context.to(spelling.dtype))
        return self.drop(torch.cat(parts, dim=-1))

    def batch_context(self, batch: Batch) -> torch.Tensor | None:
        """The batch's context features: as given, or computed."""
        if batch.context is not None or not self.lms:
            return batch.context
        return self.context(vars(batch))

    def emissions(self, batch: Batch) -> torch.Tensor:
        """
        Args:
            batch: padded sentences (see seqcli.tagger.data.Batch).
        Returns:
            (batch, time, num_tags) float32 tag scores; rows past a sentence's end
            are meaningless (the CRF masks them).
        """
        # shape: (batch, time, features)
        x = self.features(
            batch.words, batch.caps, batch.chars, batch.types, self.batch_context(batch)
        )
        # shape: (batch, time, 2 * hidden)
        out, _ = self.rnn(x, lengths=batch.lengths)
        # shape: (batch, time, num_tags)
        return self.head(self.drop(out)).float()

    def forward(self, batch: Batch) -> torch.Tensor:
        """Mean negative log-likelihood of the batch's gold tags (a scalar)."""
        return self.crf.nll(self.emissions(batch), batch.tags, batch.mask)

    def decode(self, batch: Batch) -> torch.Tensor:
        """(batch, time) best tag ids by Viterbi; 0 past each sentence's end."""
        return self.crf.decode(self.emissions(batch), batch.mask)[0]

    @torch.no_grad()
    def decode_tokens(
        self, batcher: Batcher, sentences: Sequence[Sequence[str]]
    ) -> list[list[int]]:
        """Best tag ids of each non-empty token list (see seqcli.tagger.decode)."""
        device = next(self.parameters()).device
        paths = self.decode(batcher.batch(sentences).to(device)).tolist()
        return [path[: len(s)] for path, s in zip(paths, sentences, strict=True)]
