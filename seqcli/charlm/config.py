"""The char-LM's settings and training defaults (no torch import)."""

from __future__ import annotations

from dataclasses import dataclass

from seqcli.config import TrainConfig, setting


@dataclass
class CharLMConfig:
    vocab_size: int = 0  # set from the corpus
    embedding: int = setting(64, "Size of each character's embedding.", min=1)
    hidden: int = setting(384, "LSTM units per layer.", min=1)
    layers: int = setting(2, "Stacked LSTM layers.", min=1)
    dropout: float = setting(
        0.3,
        "Dropout between layers and before the output layer.",
        min=0,
        max=1,
        max_open=True,
    )
    batch_size: int = setting(32, "Parallel character streams in training.", min=1)
    bptt: int = setting(128, "Characters per window of truncated backprop.", min=1)


TRAINING = TrainConfig(epochs=20, lr=3e-3, warmup=50, patience=5)
