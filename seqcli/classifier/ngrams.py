"""A bag of word n-grams beside the network: NB-LR (Wang & Manning 2012), fitted
once the network is trained, its scores added to the network's logits.

On long reviews a linear model over word unigrams and bigrams is ahead of the
recurrent model, and the two make different mistakes (bench/ngram_ensemble.py).
The bag reads the network's own word ids: each distinct unigram and bigram of a
text (a bigram hashed into one of `buckets` rows) looks up a row of class scores,
and the rows are summed, inside the network, so the exported graph has it too.

Fitting it (`fit`) is logistic regression on the binary features scaled by their
naive-Bayes log-count ratios: for two classes one regression (the second class's
score against the first's 0), for more one per class against the rest. Each text
weighs its number of tokens over LONG, at most 1: short phrases (SST-2's) would
otherwise pull a bag made for reviews, and a bag tells little about a sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

PRIME = 1_000_003  # spreads a bigram's two ids over the buckets
LONG = 100  # tokens: a shorter text weighs its share of that in the fit
ALPHA = 1.0  # smoothing of the naive-Bayes counts
C = 0.25  # inverse L2 strength: NB-LR's best on IMDB dev (bench/classifier.py)


def grams(ids: torch.Tensor, mask: torch.Tensor, vocab: int, buckets: int):
    """The bag's rows of each text: its distinct unigrams (their word ids) and
    bigrams (hashed into `buckets` rows after the vocabulary's), 0 (a zero row) for
    padding and repeats.

    Args:
        ids: (batch, time) word ids; mask: (batch, time) True at real tokens.
    Returns:
        (batch, 2 * time - 1) int64 rows, sorted within each text.
    """
    pairs = vocab + (ids[:, :-1] * PRIME + ids[:, 1:]) % buckets
    rows = torch.cat([ids, pairs], 1)
    real = torch.cat([mask, mask[:, 1:]], 1)
    rows, _ = rows.masked_fill(~real, 0).sort(1)
    # a row equal to the one before it repeats it (the first never does)
    step = torch.cat([torch.ones_like(rows[:, :1]), rows[:, 1:] - rows[:, :-1]], 1)
    return rows.masked_fill(step == 0, 0)


class Bag(nn.Module):
    """Class scores of a text from its distinct word uni+bigrams (zero until fit)."""

    def __init__(self, vocab: int, buckets: int, classes: int):
        super().__init__()
        self.vocab, self.buckets = vocab, buckets
        self.rows = nn.Embedding(vocab + buckets, classes, padding_idx=0)
        self.bias = nn.Parameter(torch.zeros(classes))
        nn.init.zeros_(self.rows.weight)
        self.requires_grad_(False)  # fitted apart from the network, by `fit`

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(batch, classes) scores of (batch, time) word ids."""
        found = self.rows(grams(ids, mask, self.vocab, self.buckets)).sum(1)
        return found + self.bias


def features(bag: Bag, id_lists: Sequence[Sequence[int]], batch: int = 256):
    """The binary features of each id list as (text, row) pairs, for `fit`."""
    from seqcli.data import pad

    texts, rows = [], []
    for start in range(0, len(id_lists), batch):
        ids, lengths = pad([list(x) for x in id_lists[start : start + batch]], 0)
        mask = torch.arange(ids.size(1))[None] < lengths[:, None]
        found = grams(ids, mask, bag.vocab, bag.buckets)
        text, _ = found.nonzero(as_tuple=True)
        texts.append((text + start).numpy())
        rows.append(found[found != 0].numpy())
    return np.concatenate(texts), np.concatenate(rows)


def fit(bag: Bag, id_lists: Sequence[Sequence[int]], targets: Sequence[int]) -> dict:
    """Fit the bag on training texts (word ids) and their class ids; returns what
    the fit found, for the manifest."""
    y = np.asarray(targets)
    keep = np.asarray([len(x) > 0 for x in id_lists])
    weight = np.asarray([min(1.0, len(x) / LONG) for x in id_lists])
    text, row = features(bag, id_lists)
    classes = bag.bias.numel()
    size = bag.rows.num_embeddings
    scores = torch.zeros(size, classes)
    bias = torch.zeros(classes)
    for c in [1] if classes == 2 else range(classes):
        w, b = _nb_lr(text, row, y == c, weight * keep, size)
        scores[:, c], bias[c] = w, b
    scores[0] = 0  # the padding row
    bag.rows.weight.data.copy_(scores)
    bag.bias.data.copy_(bias)
    return {
        "buckets": bag.buckets,
        "features": int(np.unique(row).size),
        "texts": int(keep.sum()),
        "long": LONG,
        "C": C,
    }


def _nb_lr(text, row, positive, weight, size) -> tuple[torch.Tensor, float]:
    """Weights (size,) and bias of L2 logistic regression of `positive` on the
    binary features scaled by their log-count ratios r, folded: w * r. Solved over
    the rows that occur (the others' weights are 0 at the optimum)."""
    seen, column = np.unique(row, return_inverse=True)
    counts = [
        np.bincount(
            column, weights=weight[text] * (positive[text] == side), minlength=seen.size
        )
        for side in (True, False)
    ]
    p, q = (ALPHA + n for n in counts)
    r = torch.from_numpy(np.log(p / p.sum()) - np.log(q / q.sum())).float()
    at = torch.from_numpy(np.stack([text, column]))
    shape = (len(positive), seen.size)
    x = torch.sparse_coo_tensor(at, r[column], shape, check_invariants=False)
    x = x.coalesce()
    y = torch.from_numpy(positive.astype(np.float32))
    s = torch.from_numpy(weight.astype(np.float32))
    w = torch.zeros(seen.size, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    solver = torch.optim.LBFGS(
        [w, b], max_iter=500, tolerance_grad=1e-6, line_search_fn="strong_wolfe"
    )

    def loss():
        solver.zero_grad()
        z = torch.sparse.mm(x, w[:, None]).squeeze(1) + b
        fit = nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none")
        value = (s * fit).sum() + (w * w).sum() / (2 * C)
        value.backward()
        return value

    solver.step(loss)
    full = torch.zeros(size)
    full[torch.from_numpy(seen)] = w.detach() * r
    return full, float(b.detach())
