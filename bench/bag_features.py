"""Which features the classifier's bag of n-grams should read: a stored model's
network (its own bag left out) plus NB-LR fitted on each set of features, scored on
IMDB dev (and SST-2 dev for a model trained on both).

    python bench/bag_features.py                          # the built-in sentiment-en
    python bench/bag_features.py --model imdb-lm --train imdb

The fits are those of seqcli.classifier.ngrams (its `_nb_lr`: naive-Bayes log-count
ratios, then L2 logistic regression, C 0.25, each text weighing its tokens over 100,
at most 1); only the features change:

- "model ids": the bag as the classifier had it before fingerprints, the network's
  word ids (its vocabulary; other words are <unk>), unigrams and bigrams hashed into
  2^20 rows;
- the same with 2^22 rows, and with trigrams too (2^22 rows);
- "checked": the bag as the classifier has it now: uni+bi+trigrams in two training
  texts or more, each row to its commonest n-gram, a fingerprint keeping the others
  out; over the model's ids, or "spelled" ones (numbers and words outside the
  vocabulary told apart: seqcli.classifier.data);
- "word keys": the model's own tokens (its tokenizer and word keys), every word of
  the training texts, exact uni+bigrams (no hashing);
- "words": NBSVM's tokens (bench/classifier.py: lower case, words and single
  punctuation marks), exact uni+bigrams; and uni+bi+trigrams seen in at least two
  training texts, exact or hashed into 2^20 checked rows as above.

--only TEXT runs the feature sets whose names hold TEXT.

--train imdb fits on IMDB train (for a model trained on it alone); the default fits on
IMDB and SST-2 train together, as sentiment-en is trained. The network's and the
bag's logits are added with weight 1 (as in the classifier) and 1.5. Results go to
bench/results/bag-features-MODEL.json (--out NAME: NAME.json).
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.classifier import nbsvm_vectorizer  # noqa: E402
from bench.common import write  # noqa: E402
from bench.ngram_ensemble import read  # noqa: E402
from seqcli import kinds  # noqa: E402
from seqcli.classifier import ngrams  # noqa: E402
from seqcli.classifier.data import Codec  # noqa: E402
from seqcli.classifier.decode import logits  # noqa: E402
from seqcli.store import Store  # noqa: E402

MIXES = (1.0, 1.5)


def id_rows(codec: Codec, buckets: int, order: int, min_texts: int = 0, spelled=False):
    """texts → (text, row) pairs of the bag's hashed features (seqcli.classifier.
    ngrams.grams), and their size; min_texts > 0: only the pairs the bag keeps
    (n-grams in that many training texts or more, each row to its commonest), and
    an n-gram another owns the row of reads nothing, as in the classifier."""
    bag = ngrams.Bag(len(codec.words), buckets, 2, order, min_texts)
    owners = None
    codec = copy.copy(codec)
    codec.spelled = spelled

    def rows(texts):
        nonlocal owners
        text, row, prints = ngrams.features(bag, codec.ids(texts))
        if min_texts:
            if owners is None:  # the first call: the training texts
                _, kept_rows, kept_prints = ngrams.kept(row, prints, min_texts)
                owners = np.zeros(bag.rows.num_embeddings, dtype=np.int64)
                owners[kept_rows] = kept_prints
            keep = owners[row] == prints
            text, row = text[keep], row[keep]
        return text, row

    return rows, bag.rows.num_embeddings


def fingerprinted(rows, size: int, buckets: int):
    """Exact features (`exact_rows`) hashed into `buckets` rows as the classifier's
    checked bag keeps them: each row to the feature in most training texts, the
    others dropped (a fingerprint's false matches, 1 in 255, not simulated)."""
    import zlib

    owner = np.zeros(size, dtype=np.int64)
    taken = None

    def hashed(texts):
        nonlocal taken
        text, row = rows(texts)
        if taken is None:  # the first call: the training texts
            taken = set()
            counts = np.bincount(row, minlength=size)
            for feature in np.argsort(-counts, kind="stable"):
                if not counts[feature]:
                    break
                bucket = 1 + zlib.crc32(int(feature).to_bytes(8, "little")) % buckets
                if bucket not in taken:
                    taken.add(bucket)
                    owner[feature] = bucket
        keep = owner[row] > 0
        return text[keep], owner[row][keep]

    return hashed, buckets + 1


def exact_rows(vectorizer, train_texts):
    """texts → (text, row) pairs of exact n-gram features (a scikit-learn
    vectorizer), fitted on the training texts."""
    vectorizer.fit(train_texts)

    def rows(texts):
        x = vectorizer.transform(texts).tocoo()
        return x.row.astype(np.int64), x.col.astype(np.int64) + 1  # 0: none

    return rows, len(vectorizer.vocabulary_) + 1


def score(weights, bias, rows, size, texts) -> np.ndarray:
    text, row = rows(texts)
    out = np.zeros(len(texts))
    np.add.at(out, text, weights.numpy()[row])
    return out + bias


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="sentiment-en")
    parser.add_argument("--train", choices=("imdb", "imdb+sst2"), default="imdb+sst2")
    parser.add_argument(
        "--out", help="bench/results/OUT.json (default: bag-features-MODEL)"
    )
    parser.add_argument(
        "--only", help="the feature sets whose names hold this text (default: all)"
    )
    args = parser.parse_args()
    torch.set_num_threads(2)
    model, manifest = kinds.load(Store(), args.model, "classifier", "cpu")
    codec = Codec.from_manifest(manifest)
    pos = codec.labels.index("pos")
    model.bag = None  # the network alone
    corpora = ["imdb"] if args.train == "imdb" else ["imdb", "sst2"]
    parts = [read(c, "train") for c in corpora]
    texts = [t for p in parts for t in p.texts]
    y = np.asarray([label == "pos" for p in parts for label in p.labels])
    weight = np.asarray([min(1.0, len(k) / ngrams.LONG) for k in codec.keys(texts)])
    devs = {c: read(c, "dev") for c in corpora}
    network = {}
    for corpus, dev in devs.items():
        found = np.asarray(logits(model, codec.ids(dev.texts), 128))
        network[corpus] = found[:, pos] - found[:, 1 - pos]

    every = texts + [t for dev in devs.values() for t in dev.texts]
    cache = dict(zip(every, codec.keys(every), strict=True))

    def keys_analyzer(text):
        k = cache[text]
        return k + [a + " " + b for a, b in zip(k, k[1:], strict=False)]

    def keys_vectorizer():
        from sklearn.feature_extraction.text import CountVectorizer

        return CountVectorizer(analyzer=keys_analyzer, binary=True)

    features = {
        "model ids, 2^20 rows": lambda: id_rows(codec, 1 << 20, 2),
        "model ids, 2^22 rows": lambda: id_rows(codec, 1 << 22, 2),
        "model ids + trigrams, 2^22 rows": lambda: id_rows(codec, 1 << 22, 3),
        "model ids + trigrams, in 2+ texts, 2^20 rows, checked": lambda: id_rows(
            codec, 1 << 20, 3, 2
        ),
        "spelled ids + trigrams, in 2+ texts, 2^20 rows, checked": lambda: id_rows(
            codec, 1 << 20, 3, 2, spelled=True
        ),
        "word keys, exact": lambda: exact_rows(keys_vectorizer(), texts),
        "words, exact": lambda: exact_rows(nbsvm_vectorizer(), texts),
        "words + trigrams, exact, in 2+ texts": lambda: exact_rows(
            nbsvm_vectorizer().set_params(ngram_range=(1, 3), min_df=2), texts
        ),
        "words + trigrams, in 2+ texts, 2^20 rows, checked": lambda: fingerprinted(
            *exact_rows(
                nbsvm_vectorizer().set_params(ngram_range=(1, 3), min_df=2), texts
            ),
            1 << 20,
        ),
    }
    records = []
    for name, make in features.items():
        if args.only and args.only not in name:
            continue
        began = time.perf_counter()
        rows, size = make()
        text, row = rows(texts)
        weights, bias = ngrams._nb_lr(text, row, y, weight, size)
        seconds = time.perf_counter() - began
        for corpus, dev in devs.items():
            gold = np.asarray([label == "pos" for label in dev.labels])
            bag = score(weights, bias, rows, size, dev.texts)
            record = {
                "bench": "bag features",
                "model": args.model,
                "fitted_on": args.train,
                "dev": corpus,
                "features": name,
                "rows": size,
                "fit_seconds": round(seconds, 1),
                "network_accuracy": float(((network[corpus] > 0) == gold).mean()),
                "bag_accuracy": float(((bag > 0) == gold).mean()),
                **{
                    f"sum_{a:g}_accuracy": float(
                        ((network[corpus] + a * bag > 0) == gold).mean()
                    )
                    for a in MIXES
                },
            }
            records.append(record)
            print(record, flush=True)
    write(args.out or f"bag-features-{args.model}", records)


if __name__ == "__main__":
    main()
