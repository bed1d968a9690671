"""The text classifier: word embeddings → bidirectional recurrent layers over the
text (LSTM by default, see seqcli.cells) → pooling over time (max, mean or
attention) → a linear layer over the classes, plus the scores of a bag of word
n-grams (seqcli.classifier.ngrams) where the model has one."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seqcli import cells
from seqcli.classifier.config import ClassifierConfig
from seqcli.classifier.ngrams import Bag
from seqcli.manifest import Manifest


class Classifier(nn.Module):
    def __init__(self, cfg: ClassifierConfig):
        super().__init__()
        self.cfg = cfg
        self.words = nn.Embedding(cfg.vocab_size, cfg.embedding, padding_idx=0)
        self.encoder = cells.stack(
            cfg.cell,
            cfg.embedding,
            cfg.hidden,
            cfg.layers,
            bidirectional=True,
            dropout=cfg.dropout,
        )
        if cfg.pooling == "attention":
            self.attention = nn.Linear(2 * cfg.hidden, 1)
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(2 * cfg.hidden, cfg.num_classes)
        self.bag = None
        if cfg.ngrams:
            self.bag = Bag(
                cfg.vocab_size,
                cfg.ngram_buckets,
                cfg.num_classes,
                cfg.ngram_order,
                cfg.ngram_min_texts,
            )

    @classmethod
    def from_manifest(cls, manifest: dict) -> Classifier:
        manifest = Manifest.of(manifest)
        manifest.check_runnable()
        return cls(manifest.settings(ClassifierConfig))

    def pool(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """
        Args:
            states: (batch, time, 2 * hidden) encoder outputs.
            mask: (batch, time) True at real tokens.
        Returns:
            (batch, 2 * hidden), padding never read.
        """
        if self.cfg.pooling == "max":
            return states.masked_fill(~mask[..., None], float("-inf")).max(1).values
        if self.cfg.pooling == "mean":
            summed = (states * mask[..., None]).sum(1)
            return summed / mask.sum(1, keepdim=True)
        # shape: (batch, time)
        scores = self.attention(states).squeeze(2).masked_fill(~mask, float("-inf"))
        return (scores.softmax(1)[..., None] * states).sum(1)

    def forward(
        self,
        ids: torch.Tensor,
        lengths: torch.Tensor | None,
        targets: torch.Tensor | None = None,
        class_weights: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """
        Args:
            ids: (batch, time) word ids (spelled: see seqcli.classifier.data),
                <pad> after each text; lengths: (batch,),
                each at least 1, on the CPU (None: every text has `time` tokens).
            targets: (batch,) class ids, for the loss.
            class_weights: (classes,) weights of each class's loss, or None.
        Returns:
            logits (batch, classes) and the mean cross-entropy (None without targets).
        """
        # shape: (batch, time, embedding); ids above the vocabulary carry a word's
        # spelling for the bag (seqcli.classifier.data), the network reads its row
        x = self.drop(self.words(ids % self.cfg.vocab_size))
        # shape: (batch, time, 2 * hidden)
        out, _ = self.encoder(x, lengths=lengths)
        if lengths is None:  # texts of `time` tokens each (as exported)
            lengths = torch.full((ids.size(0),), ids.size(1))
        mask = (
            torch.arange(ids.size(1), device=ids.device)[None]
            < lengths.to(ids.device)[:, None]
        )
        logits = self.head(self.drop(self.pool(out, mask))).float()
        if self.bag is not None:
            logits = logits + self.bag(ids, mask)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits, targets, weight=class_weights)
        return logits, loss
