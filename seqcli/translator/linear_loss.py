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

With `samples`, the softmax covers only the batch's target words and a uniform draw
of the others, weighted to stand for all of them (`sample_words`); the gold word and
label-smoothing terms stay exact. At Multi30k's 8k German words, 1,000 drawn words
and a batch's ~500 targets make the step about 1.4× faster again.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

CHUNK = 256  # rows per chunk: a 256 × 8k float32 block is 8 MB, within the L3 cache


class _LinearCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, target, label_smoothing, candidates, log_count):
        # d loss / d logits = softmax - (1 - ε) one-hot(target) - ε / vocab: the
        # softmax goes through the two products, the one-hot part is a row gather
        # and scatter, and the constant part a rank-one correction at the end
        rows, vocab = x.size(0), weight.size(0)
        keep = 1.0 - label_smoothing
        # the rows of the output layer that the softmax runs over: all, or a sample
        # whose logits carry the log of how many words each stands for
        if candidates is None:
            w, b = weight, bias
        else:
            w, b = weight[candidates], bias[candidates] + log_count
        grad_x = torch.empty_like(x)
        grad_ws = torch.zeros_like(w)
        grad_bs = torch.zeros_like(b)
        total = x.new_zeros(())
        for start in range(0, rows, CHUNK):
            xs = x[start : start + CHUNK]
            # (vocab, chunk): about 1.6× faster than (chunk, vocab) here
            z = torch.addmm(b[:, None], w, xs.t())
            top = z.amax(0)
            z.sub_(top).exp_()
            norm = z.sum(0)
            z.div_(norm)  # now the softmax
            total += (top + norm.log()).sum()
            torch.mm(z.t(), w, out=grad_x[start : start + CHUNK])
            grad_ws.addmm_(z, xs)
            grad_bs += z.sum(1)
        if candidates is None:
            grad_w, grad_b = grad_ws, grad_bs
        else:
            grad_w = torch.zeros_like(weight).index_add_(0, candidates, grad_ws)
            grad_b = torch.zeros_like(bias).index_add_(0, candidates, grad_bs)
        # the gold words' logits, and the mean logit over the whole vocabulary
        gold = torch.einsum("rf,rf->r", x, weight[target]) + bias[target]
        mean = x @ weight.mean(0) + bias.mean()
        total -= keep * gold.sum() + label_smoothing * mean.sum()
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
        return (
            grad_x * grad_loss,
            grad_w * grad_loss,
            grad_b * grad_loss,
            None,
            None,
            None,
            None,
        )


def linear_cross_entropy(
    x: Tensor,
    weight: Tensor,
    bias: Tensor,
    target: Tensor,
    label_smoothing: float,
    samples: int = 0,
) -> Tensor:
    """Mean cross-entropy (with label smoothing) of softmax(x wᵀ + b) against target,
    as `F.cross_entropy(F.linear(x, weight, bias), target, label_smoothing=...)`.

    samples: if not 0, the softmax's normaliser is estimated from the target words
    and this many other words drawn at random (see `sample_words`), so that the
    product covers only those rows of the weights.

    Args:
        x: (rows, features); weight: (vocab, features); bias: (vocab,);
        target: (rows,) class ids.
    """
    candidates = log_count = None
    if samples:
        candidates, log_count = sample_words(target, weight.size(0), samples)
        log_count = log_count.to(bias.dtype)
    return _LinearCrossEntropy.apply(
        x, weight, bias, target, label_smoothing, candidates, log_count
    )


def sample_words(
    target: Tensor, vocab: int, samples: int, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """The distinct target words, then `samples` of the other words drawn uniformly
    without replacement, each drawn word standing for (other words) / samples of
    them: Σ count × exp(logit) over these words is an unbiased estimate of the
    softmax's normaliser (sampled softmax with a uniform proposal, as in Jean et
    al. 2015, with the gold words always in).

    Returns:
        the word ids and the log of the count each stands for (0 for the targets).
    """
    gold = target.unique()
    others = torch.ones(vocab, dtype=torch.bool, device=target.device)
    others[gold] = False
    pool = others.nonzero().squeeze(1)
    drawn = pool
    if samples < pool.numel():
        order = torch.randperm(pool.numel(), generator=generator, device="cpu")
        drawn = pool[order[:samples].to(pool.device)]
    log_count = torch.zeros(gold.numel() + drawn.numel(), device=target.device)
    if drawn.numel():
        log_count[gold.numel() :] = math.log(pool.numel() / drawn.numel())
    return torch.cat([gold, drawn]), log_count
