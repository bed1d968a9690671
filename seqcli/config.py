"""Model settings and training defaults of each kind, kept free of torch so that the
command line can show them without importing it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CharLMConfig:
    vocab_size: int = 0  # set from the corpus
    embedding: int = 64  # size of each character's embedding
    hidden: int = 512  # LSTM units per layer
    layers: int = 2  # stacked LSTM layers
    dropout: float = 0.2  # between layers and before the output layer
    batch_size: int = 64  # parallel character streams in training
    bptt: int = 128  # characters per window of truncated backpropagation


# the training loop's defaults per kind (see seqcli.train.TrainConfig)
TRAIN_DEFAULTS = {
    "charlm": {"epochs": 20, "lr": 3e-3, "warmup": 50, "patience": 5},
}
