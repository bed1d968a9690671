"""The bag of n-grams beside the classifier: its features against a set-based
count, its fit against scikit-learn's logistic regression, and a training that fits
it and scores dev with it."""

import numpy as np
import pytest
import torch

from seqcli.classifier import ngrams
from seqcli.data import pad

pytestmark = pytest.mark.usefixtures("one_thread")


def batch(texts):
    ids, lengths = pad(texts, 0)
    return ids, torch.arange(ids.size(1))[None] < lengths[:, None]


def test_each_text_reads_its_distinct_unigrams_and_hashed_bigrams():
    """A bag from before fingerprints (unchecked): rows as they always were."""
    vocab, buckets = 30, 17  # few buckets: bigrams collide, as they may
    rng = np.random.default_rng(0)
    texts = [rng.integers(1, vocab, n).tolist() for n in (1, 2, 9, 40, 40)]
    texts[3] = [5, 6, 5, 6, 5, 6] * 6  # repeats
    rows, prints = ngrams.grams(*batch(texts), vocab, buckets, checked=False)
    assert set(prints.unique().tolist()) <= {0, 1}
    for row, text in zip(rows.tolist(), texts, strict=True):
        pairs = {
            vocab + (a * ngrams.PRIME + b) % buckets
            for a, b in zip(text[:-1], text[1:], strict=True)
        }
        found = [x for x in row if x]
        assert sorted(found) == sorted(set(text) | pairs)  # each once, no padding


def hashed(gram, vocab, buckets):
    """The oracle: an n-gram's (row, fingerprint) in Python's integers."""
    if len(gram) == 1 and gram[0] < vocab:
        return gram[0], 1
    h = gram[0]
    for word in gram[1:]:
        h = h % ngrams.MODULUS * ngrams.PRIME + word
    return vocab + h % buckets, 1 + h // buckets % ngrams.PRINTS


def test_each_text_reads_its_distinct_n_grams_with_their_fingerprints():
    vocab, buckets = 30, 17
    rng = np.random.default_rng(2)
    texts = [rng.integers(1, vocab, n).tolist() for n in (1, 2, 3, 9, 40)]
    texts[4] = [5, 6, 7] * 13 + [5]  # repeats
    texts[3][2:5] = [5 + vocab * 7, 5 + vocab * 9, 5 + vocab * 7]  # spelled words
    rows, prints = ngrams.grams(*batch(texts), vocab, buckets, order=3)
    for row, fingerprint, text in zip(
        rows.tolist(), prints.tolist(), texts, strict=True
    ):
        expected = {
            hashed(text[i : i + n], vocab, buckets)
            for n in (1, 2, 3)
            for i in range(len(text) - n + 1)
        }
        found = [(r, f) for r, f in zip(row, fingerprint, strict=True) if r]
        assert sorted(found) == sorted(expected)  # each once, no padding


def test_the_bag_keeps_n_grams_of_two_texts_and_each_row_to_the_commonest():
    vocab, buckets = 10, 1  # one row for every bigram and trigram: they collide
    # (3, 4) in three texts, (4, 5) in two, (5, 6) in one; unigrams 3 and 4 in three
    texts = [[3, 4], [3, 4, 5], [3, 4, 5], [5, 6]]
    bag = ngrams.Bag(vocab, buckets, 2, order=3, min_texts=2)
    ngrams.fit(bag, texts, [1, 1, 0, 0])
    pairs = {(r, f) for r, f in [hashed(g, vocab, buckets) for g in ([3, 4], [4, 5])]}
    assert len({r for r, _ in pairs}) == 1 and len(pairs) == 2  # one row, two prints
    owner = hashed([3, 4], vocab, buckets)
    assert bag.prints[vocab].item() == owner[1]
    # the unigrams in two texts or more keep their rows; 6 (one text) does not
    assert [bag.prints[w].item() for w in (3, 4, 5, 6)] == [1, 1, 1, 0]

    # two classes: one column of scores, the first class's always 0
    assert bag.rows.weight.shape == (vocab + buckets, 1)
    with torch.no_grad():
        assert bag(*batch(texts))[:, 0].abs().max() == 0

    def score(text):
        with torch.no_grad():
            return bag(*batch([text]))[0, 1].item() - bag.bias[1].item()

    # what a text reads is the sum of its kept n-grams' rows and nothing else
    assert score([3, 4]) == pytest.approx(
        (bag.rows.weight[3, 0] + bag.rows.weight[4, 0] + bag.rows.weight[vocab, 0])
        .sum()
        .item()
    )
    assert score([5, 6]) == pytest.approx(bag.rows.weight[5, 0].item())
    assert score([8, 9]) == 0  # nothing kept: the shared row's print differs


def test_the_fit_is_scikit_learns_logistic_regression_on_nb_scaled_features():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    vocab, buckets = 40, 64
    y = rng.integers(0, 2, 300)
    # words 2-9 lean positive, 10-17 negative, the rest are noise; lengths vary
    # around ngrams.LONG, so that the texts weigh differently
    texts = []
    for label in y:
        n = int(rng.integers(3, 150))
        lean = rng.integers(2, 10, n) if label else rng.integers(10, 18, n)
        noise = rng.integers(18, vocab, n)
        texts.append(np.where(rng.random(n) < 0.3, lean, noise).tolist())
    bag = ngrams.Bag(vocab, buckets, 2)
    ngrams.fit(bag, texts, y.tolist())
    # the oracle: the same binary features, the naive-Bayes ratios by hand, and
    # scikit-learn's regression (C, sample weights) on them
    text, row, _ = ngrams.features(bag, texts)
    seen = np.unique(row)  # the features that occur, Wang & Manning's dictionary
    x = np.zeros((len(texts), vocab + buckets))
    x[text, row] = 1
    x = x[:, seen]
    w = np.minimum(1.0, np.asarray([len(t) for t in texts]) / ngrams.LONG)
    p = ngrams.ALPHA + (w[:, None] * x)[y == 1].sum(0)
    q = ngrams.ALPHA + (w[:, None] * x)[y == 0].sum(0)
    r = np.log(p / p.sum()) - np.log(q / q.sum())
    model = LogisticRegression(C=ngrams.C, tol=1e-10, max_iter=10000)
    model.fit(x * r, y, sample_weight=w)
    expected = model.decision_function(x * r)
    with torch.no_grad():
        scores = bag(*batch(texts))
    assert scores[:, 0].abs().max() == 0  # the first class's score stays 0

    # the same optimum: the objective (float64) at our float32 solution is within
    # 1e-5 of scikit-learn's float64 one, and the scores (up to about 7) within 0.02
    def objective(z, weights):
        loss = np.logaddexp(0, z) - y * z
        return (w * loss).sum() + (weights**2).sum() / (2 * ngrams.C)

    ours = bag.rows.weight[seen, 1].double().numpy() / r
    theirs = objective(expected, model.coef_.ravel())
    assert objective(scores[:, 1].double().numpy(), ours) == pytest.approx(
        theirs, rel=1e-5
    )
    np.testing.assert_allclose(scores[:, 1].numpy(), expected, atol=0.02)
    assert ((scores[:, 1].numpy() > 0) == y).mean() > 0.9
