"""A bag of word n-grams beside the network: NB-LR (Wang & Manning 2012), fitted
once the network is trained, its scores added to the network's logits.

On long reviews a linear model over word n-grams is ahead of the recurrent model,
and the two make different mistakes (bench/ngram_ensemble.py). The bag reads the
network's own word ids (spelled where the model's are: numbers and words outside
the vocabulary told apart, seqcli.classifier.data): each distinct unigram of a text
looks up its own row of class scores, each bigram and trigram (and spelled word) a
row it is hashed into after the vocabulary's, and the rows are summed, inside the
network, so the exported graph has it too.

A row of the bag holds one n-gram of the training texts: those in fewer than
`min_texts` of them are left out, and where several hash into one row the one in
the most texts keeps it. Each row keeps a fingerprint (8 more bits of the hash) of
its n-gram, and an n-gram whose fingerprint differs reads nothing: without it every
n-gram the bag never kept would read some other n-gram's score (bench/README.md,
"Which features the bag should read"). Models from before the fingerprints
(min_texts 0) read bigrams only, unchecked, with a column of scores per class; a
checked bag of two classes keeps the second's only.

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

PRIME = 1_000_003  # spreads an n-gram's ids over the buckets
MODULUS = 2_147_483_647  # keeps a trigram's hash within int64 (a prime, 2^31 - 1)
PRINTS = 255  # fingerprints 1..255; 0 marks an empty row
LONG = 100  # tokens: a shorter text weighs its share of that in the fit
ALPHA = 1.0  # smoothing of the naive-Bayes counts
C = 0.25  # inverse L2 strength: NB-LR's best on IMDB dev (bench/classifier.py)


def grams(ids, mask, vocab: int, buckets: int, order: int = 2, checked: bool = True):
    """The bag's rows of each text and their n-grams' fingerprints: its distinct
    unigrams (their word ids, fingerprint 1; spelled ones hashed) and bigrams up to
    n-grams of `order` (hashed into `buckets` rows after the vocabulary's), 0 for
    padding and repeats.
    Unchecked (a bag without fingerprints), every fingerprint is 1: a row counts
    once however many of the text's n-grams share it.

    Args:
        ids: (batch, time) word ids; mask: (batch, time) True at real tokens.
    Returns:
        (batch, order * time - ...) int64 rows, sorted within each text, and their
        fingerprints, the same shape.
    """
    hashes, real = [ids], [mask]
    h = ids
    for n in range(1, order):
        h = (h[:, :-1] % MODULUS) * PRIME + ids[:, n:]
        hashes.append(h)
        real.append(mask[:, n:])
    # a unigram in the vocabulary has its own row; a spelled one (an id above the
    # vocabulary: seqcli.classifier.data) is hashed as the n-grams are
    spelled = ids >= vocab
    rows = torch.cat(
        [ids.where(~spelled, vocab + ids % buckets)]
        + [vocab + x % buckets for x in hashes[1:]],
        1,
    )
    if checked:
        prints = [1 + x // buckets % PRINTS for x in hashes]
        prints[0] = prints[0].where(spelled, torch.ones_like(ids))
        prints = torch.cat(prints, 1)
    else:
        prints = torch.ones_like(rows)
    # one key per (row, fingerprint): sorted, a key equal to the one before it
    # repeats it (the first never does)
    keys, _ = (rows * 256 + prints).masked_fill(~torch.cat(real, 1), 0).sort(1)
    step = torch.cat([torch.ones_like(keys[:, :1]), keys[:, 1:] - keys[:, :-1]], 1)
    keys = keys.masked_fill(step == 0, 0)
    return keys // 256, keys % 256


class Bag(nn.Module):
    """Class scores of a text from its distinct word n-grams (zero until fit)."""

    def __init__(self, vocab: int, buckets: int, classes: int, order=2, min_texts=0):
        super().__init__()
        self.vocab, self.buckets = vocab, buckets
        self.order, self.min_texts = order, min_texts
        # of two classes only the second's scores are fitted (the first's are 0):
        # a checked bag keeps that one column
        self.columns = 1 if classes == 2 and min_texts else classes
        self.rows = nn.Embedding(vocab + buckets, self.columns, padding_idx=0)
        self.bias = nn.Parameter(torch.zeros(classes))
        nn.init.zeros_(self.rows.weight)
        # without fingerprints (models from before them) a row answers every n-gram
        prints = torch.zeros(vocab + buckets, dtype=torch.uint8) if min_texts else None
        self.register_buffer("prints", prints)
        self.requires_grad_(False)  # fitted apart from the network, by `fit`

    @property
    def checked(self) -> bool:
        """Whether each row is checked by its n-gram's fingerprint."""
        return self.prints is not None

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(batch, classes) scores of (batch, time) word ids."""
        rows, prints = grams(
            ids, mask, self.vocab, self.buckets, self.order, self.checked
        )
        found = self.rows(rows)
        if self.checked:
            found = found * (self.prints[rows].long() == prints)[..., None]
        found = found.sum(1)
        if self.columns == 1:  # two classes: the first's score is 0
            found = torch.cat([torch.zeros_like(found), found], 1)
        return found + self.bias


def features(bag: Bag, id_lists: Sequence[Sequence[int]], batch: int = 256):
    """The binary features of each id list as (text, row, fingerprint) triples."""
    from seqcli.data import pad

    texts, rows, prints = [], [], []
    for start in range(0, len(id_lists), batch):
        ids, lengths = pad([list(x) for x in id_lists[start : start + batch]], 0)
        mask = torch.arange(ids.size(1))[None] < lengths[:, None]
        found, fingerprint = grams(
            ids, mask, bag.vocab, bag.buckets, bag.order, bag.checked
        )
        text, _ = found.nonzero(as_tuple=True)
        texts.append((text + start).numpy())
        rows.append(found[found != 0].numpy())
        prints.append(fingerprint[found != 0].numpy())
    return np.concatenate(texts), np.concatenate(rows), np.concatenate(prints)


def kept(row, prints, min_texts: int):
    """Which (row, fingerprint) pairs the bag keeps: those in `min_texts` texts or
    more, and of those sharing a row the one in most texts (then the lowest
    fingerprint). Returns a mask over the pairs and (rows, fingerprints) kept."""
    key = row * 256 + prints
    seen, column, texts = np.unique(key, return_inverse=True, return_counts=True)
    good = texts >= min_texts
    # sorted by row, then most texts first: a row's first kept pair owns it
    order = np.lexsort((seen % 256, -texts, seen // 256))
    order = order[good[order]]
    owners = order[np.unique(seen[order] // 256, return_index=True)[1]]
    owned = np.zeros(seen.size, dtype=bool)
    owned[owners] = True
    return owned[column], seen[owners] // 256, seen[owners] % 256


def fit(bag: Bag, id_lists: Sequence[Sequence[int]], targets: Sequence[int]) -> dict:
    """Fit the bag on training texts (word ids) and their class ids; returns what
    the fit found, for the manifest."""
    y = np.asarray(targets)
    keep = np.asarray([len(x) > 0 for x in id_lists])
    weight = np.asarray([min(1.0, len(x) / LONG) for x in id_lists])
    text, row, prints = features(bag, id_lists)
    found = {"buckets": bag.buckets, "order": bag.order}
    if bag.checked:
        mask, owned, owner_prints = kept(row, prints, bag.min_texts)
        text, row = text[mask], row[mask]
        bag.prints.zero_()
        bag.prints[torch.from_numpy(owned)] = torch.from_numpy(owner_prints).to(
            torch.uint8
        )
        found["min_texts"] = bag.min_texts
    classes = bag.bias.numel()
    size = bag.rows.num_embeddings
    scores = torch.zeros(size, classes)
    bias = torch.zeros(classes)
    for c in [1] if classes == 2 else range(classes):
        w, b = _nb_lr(text, row, y == c, weight * keep, size)
        scores[:, c], bias[c] = w, b
    scores[0] = 0  # the padding row
    bag.rows.weight.data.copy_(scores[:, classes - bag.columns :])
    bag.bias.data.copy_(bias)
    return found | {
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
