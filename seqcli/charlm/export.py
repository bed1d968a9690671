"""The char-LM as ONNX: one step for a batch of streams."""

from __future__ import annotations

import torch
from torch import nn

from seqcli.charlm.model import CharLM
from seqcli.manifest import Manifest
from seqcli.onnx import Graph


class Step(nn.Module):
    """One character per stream: (ids, *state) → (logits, *state)."""

    def __init__(self, lm: CharLM):
        super().__init__()
        self.lm = lm

    def forward(self, ids: torch.Tensor, *state: torch.Tensor):
        out, state = self.lm.rnn(self.lm.embed(ids)[:, None], state)
        return self.lm.head(out[:, 0]), *state


def graphs(model: CharLM, manifest: dict) -> list[Graph]:
    cfg = model.cfg
    names = model.rnn.state_names
    state = {k: torch.zeros(cfg.layers, 2, cfg.hidden) for k in names}
    dynamic = {"ids": {0: "batch"}, "logits": {0: "batch"}}
    dynamic |= {k: {1: "batch"} for k in names} | {
        f"{k}_out": {1: "batch"} for k in names
    }
    states = ", ".join(names)
    return [
        Graph(
            "step",
            Step(model),
            {"ids": torch.tensor([1, 2])} | state,
            ["logits", *(f"{k}_out" for k in names)],
            dynamic,
            f"ids (batch,) int64 character ids; {states} (layers, batch, hidden) "
            f"float32 states of the {cfg.cell} layers, zeros at the start -> logits "
            f"(batch, vocab) of the next character, and the new {states}.",
        )
    ]


def runtime(model, manifest: dict) -> dict:
    return {
        "vocabulary": Manifest.of(manifest).vocab_dict("chars"),
        "never_sample": [0, 1, 2, 3],
        "start": "the priming text's ids; without one, the id of a newline",
        # a backward model reads (and predicts) text right to left
        "direction": Manifest.of(manifest).direction,
    }
