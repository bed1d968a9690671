"""The character-level recurrent language model."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seqcli import cells
from seqcli.cells import State
from seqcli.charlm.config import CharLMConfig
from seqcli.manifest import Manifest


class CharLM(nn.Module):
    """Embedding → recurrent layers with dropout → linear over characters."""

    def __init__(self, cfg: CharLMConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embedding)
        self.rnn = cells.stack(
            cfg.cell, cfg.embedding, cfg.hidden, cfg.layers, dropout=cfg.dropout
        )
        cells.load_renamed(self, "lstm", "rnn")
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(cfg.hidden, cfg.vocab_size)

    @classmethod
    def from_manifest(cls, manifest: dict) -> CharLM:
        return cls(Manifest.of(manifest).settings(CharLMConfig))

    def forward(
        self,
        ids: torch.Tensor,
        state: State | None = None,
        targets: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, State, torch.Tensor | None]:
        """
        Args:
            ids: (batch, time) character ids.
            state: the carried state (seqcli.cells), or None to start from zeros.
            targets: (batch, time) next-character ids, for the loss.
        Returns:
            logits (batch, time, vocab), the new state, and the mean cross-entropy
            in nats per character (None without targets).
        """
        # shape: (batch, time, hidden)
        out, state = self.rnn(self.embed(ids), state)
        logits = self.head(self.drop(out))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten())
        return logits, state, loss
