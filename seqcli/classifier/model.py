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
            logits (batch, classes) and the mean cross-entropy (None without
            targets); in training with `adversarial` set, the loss adds that of the
            embeddings moved the way that raises it most (Miyato et al. 2017).
        """
        # shape: (batch, time, embedding); ids above the vocabulary carry a word's
        # spelling for the bag (seqcli.classifier.data), the network reads its row
        embedded = self.words(ids % self.cfg.vocab_size)
        # texts of `time` tokens each without lengths (as exported)
        full = torch.full((ids.size(0),), ids.size(1)) if lengths is None else lengths
        mask = (
            torch.arange(ids.size(1), device=ids.device)[None]
            < full.to(ids.device)[:, None]
        )
        logits = self.scores(embedded, lengths, ids, mask)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits, targets, weight=class_weights)
        if self.training and self.cfg.adversarial:
            moved = embedded + self.worst_noise(loss, embedded)
            worst = self.scores(moved, lengths, ids, mask)
            loss = loss + F.cross_entropy(worst, targets, weight=class_weights)
        return logits, loss

    def scores(self, embedded, lengths, ids, mask) -> torch.Tensor:
        """(batch, classes) logits of texts from their embedded words."""
        # shape: (batch, time, 2 * hidden)
        out, _ = self.encoder(self.drop(embedded), lengths=lengths)
        logits = self.head(self.drop(self.pool(out, mask))).float()
        if self.bag is not None:
            logits = logits + self.bag(ids, mask)
        return logits

    def worst_noise(self, loss: torch.Tensor, embedded: torch.Tensor) -> torch.Tensor:
        """The change of each text's embedded words, of L2 norm `adversarial` times
        the embeddings' standard deviation, that raises the loss most to first
        order: a regulariser that keeps nearby wordings to one answer."""
        (grad,) = torch.autograd.grad(loss, embedded, retain_graph=True)
        norm = grad.flatten(1).norm(dim=1).clamp_min(1e-12)[:, None, None]
        size = self.cfg.adversarial * self.words.weight.detach().std()
        return size * grad / norm
