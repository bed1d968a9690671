"""Output layer and cross-entropy in one pass over row chunks, for CPU training.

`F.cross_entropy(F.linear(x, w, b), y)` writes the whole (rows, vocab) logits, reads
them back for log-softmax, writes log-probabilities, and in the backward pass reads
them again to rebuild the softmax: five sweeps over the step's largest tensor, each
with an exp or log per element. Here each chunk of rows goes through logits, softmax
and its gradient while it sits in cache, with one exp per element, and the gradients
of x, w and b are computed in the forward pass (the loss is a scalar, so backward
only scales them). Logits are laid out vocabulary-major, (vocab, chunk), the shape
that MKL's product computes fastest when the inner dimension is small. The
translator's training step runs about 1.3× faster with it (bench/translator.py).
"""

from __future__ import annotations

import torch
from torch import Tensor

CHUNK = 256  # rows per chunk: a 256 × 8k float32 block is 8 MB, within the L3 cache


class _LinearCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, target, label_smoothing: float):
        # d loss / d logits = softmax - (1 - ε) one-hot(target) - ε / vocab: the
        # softmax goes through the two products, the one-hot part is a row gather
        # and scatter, and the constant part a rank-one correction at the end
        rows, vocab = x.size(0), weight.size(0)
        keep = 1.0 - label_smoothing
        grad_x = torch.empty_like(x)
        grad_w = torch.zeros_like(weight)
        grad_b = torch.zeros_like(bias)
        total = x.new_zeros(())
        for start in range(0, rows, CHUNK):
            xs, ys = x[start : start + CHUNK], target[start : start + CHUNK]
            # (vocab, chunk): about 1.6× faster than (chunk, vocab) here
            z = torch.addmm(bias[:, None], weight, xs.t())
            gold = z.gather(0, ys[None]).squeeze(0)
            mean = z.mean(0)
            top = z.amax(0)
            z.sub_(top).exp_()
            norm = z.sum(0)
            z.div_(norm)  # now the softmax
            total += (top + norm.log() - keep * gold - label_smoothing * mean).sum()
            torch.mm(z.t(), weight, out=grad_x[start : start + CHUNK])
            grad_w.addmm_(z, xs)
            grad_b += z.sum(1)
        grad_x -= keep * weight[target]
        grad_w.index_add_(0, target, x, alpha=-keep)
        grad_b.index_add_(0, target, grad_b.new_full((rows,), -keep))
        spread = label_smoothing / vocab
        grad_x -= spread * weight.sum(0)
        grad_w -= spread * x.sum(0)
        grad_b -= spread * rows
        ctx.save_for_backward(grad_x / rows, grad_w / rows, grad_b / rows)
        return total / rows

    @staticmethod
    def backward(ctx, grad_loss):
        grad_x, grad_w, grad_b = ctx.saved_tensors
        return grad_x * grad_loss, grad_w * grad_loss, grad_b * grad_loss, None, None


def linear_cross_entropy(
    x: Tensor, weight: Tensor, bias: Tensor, target: Tensor, label_smoothing: float
) -> Tensor:
    """Mean cross-entropy (with label smoothing) of softmax(x wᵀ + b) against target,
    as `F.cross_entropy(F.linear(x, weight, bias), target, label_smoothing=...)`.

    Args:
        x: (rows, features); weight: (vocab, features); bias: (vocab,);
        target: (rows,) class ids.
    """
    return _LinearCrossEntropy.apply(x, weight, bias, target, label_smoothing)
