"""Recurrent cells: one stack of layers, chosen by name, for every kind.

Every stack takes (batch, time, input) and an optional carried state, and gives
(batch, time, hidden x directions) and its new state, always a tuple of tensors of
shape (layers x directions, batch, hidden): (h, c) for the LSTM, (h,) otherwise.
Given `lengths`, the padded positions after each sequence's end are ignored, the
backward direction starts at each sequence's own end, and the final state is taken
there.

- `lstm`, `gru`, `rnn` (Elman's, tanh): PyTorch's, with its fused kernels (oneDNN on
  the CPU, cuDNN).
- `mingru` (Feng et al. 2024, "Were RNNs All We Needed?"): the gate and the candidate
  read only the layer's input, so one matrix product covers the whole window and
  only an elementwise recurrence runs through time:
      z = sigmoid(W_z x + b_z),  c = tanh(W_c x + b_c),  h_t = (1 - z) * h_{t-1} + z * c
  Stepping it (sampling, decoding) costs one small matrix product per layer.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqcli.config import CELLS

State = tuple[torch.Tensor, ...]


def stack(
    cell: str,
    input_size: int,
    hidden: int,
    layers: int = 1,
    *,
    dropout: float = 0.0,
    bidirectional: bool = False,
) -> nn.Module:
    """A stack of `layers` recurrent layers, with dropout between them."""
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r} (cells: {', '.join(CELLS)})")
    kind = {"lstm": LSTM, "gru": GRU, "mingru": MinGRU, "rnn": RNN}[cell]
    return kind(
        input_size,
        hidden,
        layers,
        batch_first=True,
        dropout=dropout if layers > 1 else 0.0,
        bidirectional=bidirectional,
    )


# from this many rows per step oneDNN's fused LSTM and GRU are faster than without
ONEDNN_ROWS = 16


@contextlib.contextmanager
def onednn_for(rows: int) -> Iterator[None]:
    """oneDNN's RNN kernels on or off for steps of `rows` rows: they win for many
    rows and lose badly for few (on a 2-core CPU a step at batch 1 is about 10×
    slower with them)."""
    # set directly: mkldnn.flags() also sets TF32 and warns about it
    before = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = rows >= ONEDNN_ROWS
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = before


def load_renamed(module: nn.Module, old: str, new: str) -> None:
    """Let `module` load weights saved when its attribute `new` was named `old`."""

    def hook(module, state_dict, prefix, *args) -> None:
        for key in [k for k in state_dict if k.startswith(prefix + old + ".")]:
            state_dict[prefix + new + key[len(prefix + old) :]] = state_dict.pop(key)

    module.register_load_state_dict_pre_hook(hook)


class _Fused:
    """lengths and tuple states for PyTorch's nn.LSTM and nn.GRU (same parameters)."""

    def forward(self, x, state: State | None = None, lengths=None):
        if state is not None and not isinstance(self, nn.LSTM):
            state = state[0]
        if lengths is None:
            out, state = super().forward(x, state)
        else:
            packed = pack_padded_sequence(
                x, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            out, state = super().forward(packed, state)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.size(1))
        return out, (state if isinstance(state, tuple) else (state,))


class LSTM(_Fused, nn.LSTM):
    cell = "lstm"
    state_names = ("h", "c")


class GRU(_Fused, nn.GRU):
    cell = "gru"
    state_names = ("h",)


class RNN(_Fused, nn.RNN):
    """Elman's recurrent layer: h_t = tanh(W x_t + U h_{t-1} + b), no gates."""

    cell = "rnn"
    state_names = ("h",)


class _Scan(torch.autograd.Function):
    """h_t = a_t * h_{t-1} + b_t over time-major (time, batch, hidden) a and b.

    A loop of one fused elementwise op per step, forward and backward, with no
    autograd graph through time.
    """

    @staticmethod
    def forward(ctx, a, b, h0):
        out = torch.empty_like(b)
        h = h0
        for t in range(a.size(0)):
            h = torch.addcmul(b[t], a[t], h, out=out[t])
        ctx.save_for_backward(a, out, h0)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out, h0 = ctx.saved_tensors
        # g_t = dL/dh_t through every later step: grad_t + a_{t+1} * g_{t+1}
        g = torch.empty_like(grad)
        g[-1] = grad[-1]
        for t in range(a.size(0) - 2, -1, -1):
            torch.addcmul(grad[t], a[t + 1], g[t + 1], out=g[t])
        before = torch.cat([h0[None], out[:-1]])
        return g * before, g, a[0] * g[0]


def scan(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor) -> torch.Tensor:
    """All h_t of h_t = a_t * h_{t-1} + b_t; a, b (time, batch, hidden), h0 (batch,
    hidden)."""
    if torch.jit.is_tracing():
        # exporting: a scripted loop stays a loop (ONNX Loop), for any length
        return _scripted_scan()(a, b, h0)
    return _Scan.apply(a.contiguous(), b.contiguous(), h0.contiguous())


@functools.cache
def _scripted_scan():
    def loop(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor) -> torch.Tensor:
        h, out = h0, []
        for t in range(a.size(0)):
            h = a[t] * h + b[t]
            out.append(h)
        return torch.stack(out)

    return torch.jit.script(loop)


def flip_within(x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """Reverse each row of x (batch, time, ...) within its length; padding stays."""
    if lengths is None:
        return x.flip(1)
    t = torch.arange(x.size(1), device=x.device)
    lengths = lengths.to(x.device)[:, None]
    # shape: (batch, time)
    index = torch.where(t < lengths, lengths - 1 - t, t)
    return x.gather(1, index.view(*index.shape, *[1] * (x.dim() - 2)).expand_as(x))


class MinGRU(nn.Module):
    """A stack of minGRU layers (see the module's docstring)."""

    cell = "mingru"
    state_names = ("h",)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        batch_first: bool = True,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ):
        super().__init__()
        assert batch_first
        self.hidden_size, self.num_layers = hidden_size, num_layers
        self.directions = 2 if bidirectional else 1
        width = hidden_size * self.directions
        # per layer one product gives (z, c) for every direction
        self.layers = nn.ModuleList(
            nn.Linear(input_size if i == 0 else width, 2 * width)
            for i in range(num_layers)
        )
        self.drop = nn.Dropout(dropout)

    def forward(self, x, state: State | None = None, lengths=None):
        batch, time = x.shape[:2]
        d, n = self.directions, self.hidden_size
        if state is None:
            h0 = x.new_zeros(self.num_layers * d, batch, n)
        else:
            h0 = state[0]
        if lengths is not None:
            # a padded step keeps the state: z = 0 there
            keep = (
                torch.arange(time, device=x.device)[None]
                < lengths.to(x.device)[:, None]
            )
        finals = []
        for i, layer in enumerate(self.layers):
            if i:
                x = self.drop(x)
            # shape: (batch, time, 2, directions, hidden)
            gates = layer(x).view(batch, time, 2, d, n)
            z, c = torch.sigmoid(gates[:, :, 0]), torch.tanh(gates[:, :, 1])
            if lengths is not None:
                z = z * keep[:, :, None, None]
            outs = []
            for direction in range(d):
                zd, cd = z[:, :, direction], c[:, :, direction]
                if direction:
                    zd, cd = flip_within(zd, lengths), flip_within(cd, lengths)
                # time-major for the scan
                h = scan(
                    (1 - zd).transpose(0, 1),
                    (zd * cd).transpose(0, 1),
                    h0[i * d + direction],
                )
                finals.append(h[-1])
                h = h.transpose(0, 1)
                outs.append(flip_within(h, lengths) if direction else h)
            x = outs[0] if d == 1 else torch.cat(outs, -1)
        return x, (torch.stack(finals),)
