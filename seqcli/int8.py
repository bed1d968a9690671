"""int8 matrix products for decoding on the CPU.

Decoding one step at a time is bound by reading weights (few rows) or by the output
layer's multiply-adds (many rows); fbgemm's dynamic int8 linear cuts both about 3×
on this kind of CPU, and the measured losses and BLEU stay the same
(bench/results/charlm.json, translator.json).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
import torch.nn.functional as F

MIN_SIZE = 1 << 16  # below this many weights the int8 call costs more than it saves


def linear(
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    quantize: bool = True,
    *,
    bounded: bool = False,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """x (rows, in) → x @ weight.T + bias, with int8 weights where fbgemm's dynamic
    ops exist. Weights are quantized per output row; small matrices stay float32.

    bounded: the inputs lie in [-1, 1] (tanh outputs). The activations are then
    quantized over exactly that range, so that each row's result is the same
    whatever other rows share the call (fbgemm picks the range per call).
    """
    weight = weight.detach()
    bias = None if bias is None else bias.detach().float()
    if quantize and weight.numel() >= MIN_SIZE and weight.device.type == "cpu":
        if "fbgemm" in torch.backends.quantized.supported_engines:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    scale = weight.abs().amax(1).clamp_min(1e-8) / 127
                    zero = torch.zeros(weight.size(0), dtype=torch.long)
                    qweight = torch.quantize_per_channel(
                        weight.float(), scale.double(), zero, 0, torch.qint8
                    )
                    packed = torch.ops.quantized.linear_prepack(qweight, bias)
            except (RuntimeError, AttributeError):
                return lambda x: F.linear(x, weight, bias)
            if not bounded:
                # reduce_range: 7-bit activations avoid AVX2 overflow in the int8 dot
                return lambda x: torch.ops.quantized.linear_dynamic(x, packed, True)
            # one more row holding both ends of the range fixes what fbgemm sees
            ends = torch.zeros(1, weight.size(1))
            ends[0, :2] = torch.tensor([1.0, -1.0])
            return lambda x: torch.ops.quantized.linear_dynamic(
                torch.cat([x, ends]), packed, True
            )[:-1]
    return lambda x: F.linear(x, weight, bias)
