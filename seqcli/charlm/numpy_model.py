"""The char-LM's LSTM stepped in numpy: sampling one stream without PyTorch.

Importing PyTorch takes over a second, far longer than sampling a few hundred
characters. A step is a few small matrix products, repacked from the stored weights:
the embedding is folded into the first layer's input weights (a table lookup), each
deeper layer does one product over [input; h], and the gates are reordered so that
one sigmoid covers three of them. OpenBLAS's matrix-vector product (numpy's) is about
twice as fast here as torch's float32 one, and as fbgemm's int8 one.

`step` is written once for numpy arrays and torch tensors (the ops are passed in):
seqcli.charlm.stepper runs the same packed weights in torch for several streams.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from seqcli.charlm.config import CharLMConfig
from seqcli.manifest import Manifest

Packed = tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray | None]]]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    s = np.tanh(x * 0.5)  # 1 / (1 + exp(-x)) would warn of overflow
    s *= 0.5
    s += 0.5
    return s


# sigmoid, tanh and concatenation for numpy arrays (stepper.py has torch's)
NUMPY_OPS = (_sigmoid, np.tanh, np.concatenate)


def pack(cfg: CharLMConfig, w: dict[str, np.ndarray]) -> Packed:
    """(table, products) of an LSTM char-LM's float32 weights (state-dict names).

    table: (vocab, 4 * hidden), the first layer's input gates (with both biases) of
    each character. products: (weight, bias) per layer, the first over h alone, the
    others over [input; h], then the output layer's. Gates ordered (i, f, o, g).
    """
    n = cfg.hidden
    # PyTorch orders gates (i, f, g, o); (i, f, o, g) lets one sigmoid cover three
    order = np.r_[0 : 2 * n, 3 * n : 4 * n, 2 * n : 3 * n]
    products: list[tuple[np.ndarray, np.ndarray | None]] = []
    table = None
    for layer in range(cfg.layers):
        w_ih = w[f"rnn.weight_ih_l{layer}"][order]
        w_hh = w[f"rnn.weight_hh_l{layer}"][order]
        bias = (w[f"rnn.bias_ih_l{layer}"] + w[f"rnn.bias_hh_l{layer}"])[order]
        if layer == 0:
            # the input is one of V characters: precompute embedding @ W_ih + b
            table = w["embed.weight"] @ w_ih.T + bias
            products.append((w_hh, None))
        else:
            products.append((np.concatenate([w_ih, w_hh], axis=1), bias))
    products.append((w["head.weight"], w["head.bias"]))
    return table, products


def step(table, linears: list[Callable], ids, state: list[tuple], ops, n: int):
    """One LSTM step for ids (batch,) from the packed weights: (logits, new state).

    state: per layer (h, c), each (batch, hidden); linears: the packed products as
    functions; ops: (sigmoid, tanh, concatenate) of the array library.
    """
    sigmoid, tanh, cat = ops
    new = []
    x = None
    for layer, (h, c) in enumerate(state):
        if layer == 0:
            # shape: (batch, 4 * hidden)
            gates = table[ids] + linears[0](h)
        else:
            gates = linears[layer](cat([x, h], 1))
        ifo = sigmoid(gates[:, : 3 * n])
        c = ifo[:, n : 2 * n] * c + ifo[:, :n] * tanh(gates[:, 3 * n :])
        x = ifo[:, 2 * n :] * tanh(c)
        new.append((x, c))
    return linears[-1](x), new


def _linear(weight: np.ndarray, bias: np.ndarray | None) -> Callable:
    weight = weight.T
    if bias is None:
        return lambda x: x @ weight
    return lambda x: x @ weight + bias


class NumpyLM:
    """An LSTM char-LM in numpy, with the stepper interface seqcli.charlm.decode
    uses: `prime(ids)` and `step(ids, state)`, numpy in and out."""

    def __init__(self, cfg: CharLMConfig, weights: dict[str, np.ndarray]):
        if cfg.cell != "lstm":
            raise ValueError("the numpy char-LM is an LSTM")
        self.cfg = cfg
        # older models name their recurrent layers "lstm"
        w = {
            ("rnn." + k[5:] if k.startswith("lstm.") else k): v.astype(np.float32)
            for k, v in weights.items()
        }
        n = cfg.hidden
        expected = {"embed.weight": (cfg.vocab_size, cfg.embedding)}
        expected["head.weight"] = (cfg.vocab_size, n)
        for layer in range(cfg.layers):
            width = cfg.embedding if layer == 0 else n
            expected[f"rnn.weight_ih_l{layer}"] = (4 * n, width)
            expected[f"rnn.weight_hh_l{layer}"] = (4 * n, n)
        if any(k not in w or w[k].shape != shape for k, shape in expected.items()):
            raise ValueError("the weights do not fit the configuration")
        self.table, products = pack(cfg, w)
        self.linears = [_linear(weight, bias) for weight, bias in products]

    def prime(self, ids: np.ndarray) -> tuple[np.ndarray, list[tuple]]:
        """Step over ids (batch, time); the last logits (batch, vocab) and state."""
        zeros = np.zeros((ids.shape[0], self.cfg.hidden), dtype=np.float32)
        state = [(zeros, zeros)] * self.cfg.layers
        for t in range(ids.shape[1]):
            logits, state = self.step(ids[:, t], state)
        return logits, state

    def step(self, ids: np.ndarray, state: list[tuple]) -> tuple[np.ndarray, list]:
        return step(self.table, self.linears, ids, state, NUMPY_OPS, self.cfg.hidden)


def build(manifest: dict, weights: dict[str, np.ndarray]) -> NumpyLM:
    """The numpy char-LM of a stored model (see seqcli.kinds.load_numpy)."""
    return NumpyLM(Manifest.of(manifest).settings(CharLMConfig), weights)
