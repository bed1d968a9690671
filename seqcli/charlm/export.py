"""The char-LM as ONNX: one step for a batch of streams."""

from __future__ import annotations

import torch
from torch import nn

from seqcli.charlm.model import CharLM
from seqcli.onnx import Graph


class Step(nn.Module):
    """One character per stream: (ids, h, c) → (logits, h, c)."""

    def __init__(self, lm: CharLM):
        super().__init__()
        self.lm = lm

    def forward(self, ids: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
        out, (h, c) = self.lm.lstm(self.lm.embed(ids)[:, None], (h, c))
        return self.lm.head(out[:, 0]), h, c


def graphs(model: CharLM, manifest: dict) -> list[Graph]:
    cfg = model.cfg
    state = torch.zeros(cfg.layers, 2, cfg.hidden)
    return [
        Graph(
            "step",
            Step(model),
            {"ids": torch.tensor([1, 2]), "h": state, "c": state.clone()},
            ["logits", "h_out", "c_out"],
            {
                "ids": {0: "batch"},
                "h": {1: "batch"},
                "c": {1: "batch"},
                "logits": {0: "batch"},
                "h_out": {1: "batch"},
                "c_out": {1: "batch"},
            },
            "ids (batch,) int64 character ids; h, c (layers, batch, hidden) float32 "
            "LSTM states, zeros at the start -> logits (batch, vocab) of the next "
            "character, and the new h, c.",
        )
    ]


def runtime(model, manifest: dict) -> dict:
    return {
        "vocabulary": manifest["vocabs"]["chars"],
        "never_sample": [0, 1, 2, 3],
        "start": "the priming text's ids; without one, the id of a newline",
    }
