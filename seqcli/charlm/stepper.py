"""Stepping a PyTorch char-LM for sampling: the stepper interface of
seqcli.charlm.decode (`prime(ids)`, `step(ids, state)`, numpy in and out).

On the CPU an LSTM steps from packed weights (seqcli.charlm.numpy_model): one stream
in numpy, several in torch with int8 matrices (fbgemm dynamic quantization) where
torch provides them, since from two rows on numpy's product loses to fbgemm. Other
cells, and other devices, step through the model's own forward over one character
(oneDNN off for a few rows, where its set-up costs more than the step).
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from seqcli import cells, int8
from seqcli.charlm import numpy_model
from seqcli.charlm.model import CharLM

TORCH_OPS = (torch.sigmoid, torch.tanh, torch.cat)


class Stepper:
    """Runs a CharLM one character at a time: prime over a text, then step."""

    def __init__(self, model: CharLM, quantize: bool = True):
        self.model = model
        self.cfg = model.cfg
        self.quantize = quantize
        self.device = next(model.parameters()).device
        self.packed = self.device.type == "cpu" and model.cfg.cell == "lstm"
        self.rows = 1
        self._lite: numpy_model.NumpyLM | None = None
        self._torch: tuple | None = None  # (table, linears) in torch

    @property
    def numpy(self) -> bool:
        """Whether the steps run in numpy (one stream of a CPU LSTM)."""
        return self.packed and self.rows == 1

    @torch.inference_mode()
    def prime(self, ids: np.ndarray):
        """Run over ids (batch, time); returns the last logits (batch, vocab) and the
        state. The steps that follow must have the same batch size."""
        self.rows = ids.shape[0]
        if self.numpy:
            return self._numpy().prime(ids)
        logits, state, _ = self.model(torch.as_tensor(ids, device=self.device))
        if self.packed:
            h, c = state
            state = [(h[i], c[i]) for i in range(self.cfg.layers)]
        return logits[:, -1].float().cpu().numpy(), state

    @torch.inference_mode()
    def step(self, ids: np.ndarray, state):
        """One step for ids (batch,); returns logits (batch, vocab) and the state."""
        if self.numpy:
            return self._numpy().step(ids, state)
        ids = torch.as_tensor(ids, device=self.device)
        if self.packed:
            table, linears = self._packed_torch()
            logits, state = numpy_model.step(
                table, linears, ids, state, TORCH_OPS, self.cfg.hidden
            )
            return logits.numpy(), state
        with cells.onednn_for(self.rows):
            logits, state, _ = self.model(ids[:, None], state)
        return logits[:, -1].float().cpu().numpy(), state

    def _weights(self) -> dict[str, np.ndarray]:
        weights = self.model.state_dict()
        return {k: v.detach().float().numpy() for k, v in weights.items()}

    def _numpy(self) -> numpy_model.NumpyLM:
        if self._lite is None:
            self._lite = numpy_model.NumpyLM(self.cfg, self._weights())
        return self._lite

    def _packed_torch(self) -> tuple:
        if self._torch is None:
            table, products = numpy_model.pack(self.cfg, self._weights())
            linear = functools.partial(int8.linear, quantize=self.quantize)
            linears = [
                linear(torch.from_numpy(w), None if b is None else torch.from_numpy(b))
                for w, b in products
            ]
            self._torch = (torch.from_numpy(table), linears)
        return self._torch
