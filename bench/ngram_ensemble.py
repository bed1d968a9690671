"""What a bag of word n-grams beside the recurrent classifier gives: the built-in
sentiment-en's network's logits (its own bag, seqcli.classifier.ngrams, left out)
plus those of NB-LR (Wang & Manning 2012: binary word uni+bigrams scaled by their
naive-Bayes log-count ratios, then logistic regression), scored on IMDB dev and
SST-2 dev. Inference of the shipped network only; the n-gram model is fitted here.

    python bench/ngram_ensemble.py

The n-gram model is fitted on IMDB train alone, on IMDB and SST-2 train together (as
sentiment-en was trained), and on both with each SST-2 phrase weighing 0.1 (its
67,349 short phrases otherwise pull the weights of a bag made for reviews), or with
each text weighing its number of words over 100, at most 1 (the same idea without
naming the corpora). Its features are bench/classifier.py's NBSVM words, or, for
the last fit, those of the classifier's own bag (seqcli.classifier.ngrams): the
model's word ids (its 50,000-word vocabulary, texts cut as it reads them), unigrams
and bigrams hashed into 2^20 rows after the vocabulary's. C is 0.25 throughout,
NB-LR's best on IMDB dev in bench/classifier.py: nothing here is chosen on the dev
sets scored. The two models' logits are added (weight 1; 0.5 and 2 are shown too);
against sentiment-en alone, the texts that turn right and wrong (McNemar's exact p).
Results go to bench/results/ngram-ensemble.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.classifier import (  # noqa: E402
    CORPORA,
    log_count_ratio,
    nbsvm_vectorizer,
)
from bench.common import write  # noqa: E402
from bench.read_tokens import mcnemar  # noqa: E402
from seqcli import kinds  # noqa: E402
from seqcli.classifier import ngrams  # noqa: E402
from seqcli.classifier.data import Codec, Labelled, read_labelled  # noqa: E402
from seqcli.classifier.decode import logits  # noqa: E402
from seqcli.classifier.ngrams import Bag  # noqa: E402
from seqcli.store import Store  # noqa: E402

C = 0.25
SST2_WEIGHT = 0.1
LONG = 100  # words: a shorter text's weight is its share of that
BUCKETS = 1 << 20
MIXES = (0.5, 1.0, 2.0)
SST2_LABELS = {"0": "neg", "1": "pos"}


def read(corpus: str, split: str) -> Labelled:
    data = read_labelled(str(CORPORA / corpus / f"{split}.txt"))
    data.labels = [SST2_LABELS.get(label, label) for label in data.labels]
    return data


def word_features(train_texts: list[str]):
    return nbsvm_vectorizer().fit(train_texts).transform


def id_features(codec: Codec):
    """The features of the classifier's bag as it was when this bench ran
    (seqcli.classifier.ngrams: uni+bigrams, unchecked)."""
    from scipy import sparse

    bag = Bag(len(codec.words), BUCKETS, len(codec.labels))

    def transform(texts: list[str]):
        text, row, _ = ngrams.features(bag, codec.ids(texts))
        values = np.ones(len(row), np.float32)
        shape = (len(texts), bag.rows.num_embeddings)
        return sparse.csr_matrix((values, (text, row)), shape=shape)

    return transform


def nb_lr(transform, texts: list[str], y: np.ndarray, weights: np.ndarray):
    """A function of texts → NB-LR's logit of the positive class."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    x = transform(texts)
    weighted = sparse.diags(weights.astype(np.float32)) @ x
    scale = sparse.diags(log_count_ratio(weighted, y).astype(np.float32))
    model = LogisticRegression(C=C, max_iter=1000)
    model.fit((x @ scale).tocsr(), y, sample_weight=weights)
    return lambda dev: model.decision_function((transform(dev) @ scale).tocsr())


def main() -> None:
    torch.set_num_threads(2)
    model, manifest = kinds.load(Store(), "sentiment-en", "classifier", "cpu")
    model.bag = None  # the network alone: its own bag is what this measures
    codec = Codec.from_manifest(manifest)
    pos = codec.labels.index("pos")
    imdb, sst2 = read("imdb", "train"), read("sst2", "train")
    devs = {"imdb": read("imdb", "dev"), "sst2": read("sst2", "dev")}
    rnn = {}
    for corpus, dev in devs.items():
        scores = np.asarray(logits(model, codec.ids(dev.texts), 128))
        rnn[corpus] = scores[:, pos] - scores[:, 1 - pos]  # log-odds of "pos"
    joined = imdb.texts + sst2.texts
    y = np.asarray([label == "pos" for label in imdb.labels + sst2.labels], np.int64)
    n = len(imdb.texts)
    # a rule that needs no corpus names: a text of fewer than 100 words weighs less
    by_length = np.asarray([min(1.0, len(t.split()) / LONG) for t in joined])
    fits = {
        ("imdb", "words"): (joined[:n], y[:n], np.ones(n)),
        ("imdb+sst2", "words"): (joined, y, np.ones(len(y))),
        ("imdb+sst2, sst2 x0.1", "words"): (
            joined,
            y,
            np.r_[np.ones(n), np.full(len(y) - n, SST2_WEIGHT)],
        ),
        ("imdb+sst2, words/100", "words"): (joined, y, by_length),
        ("imdb+sst2, sst2 x0.1", "model ids"): (
            joined,
            y,
            np.r_[np.ones(n), np.full(len(y) - n, SST2_WEIGHT)],
        ),
    }
    records = []
    for (data, features), (texts, labels, weights) in fits.items():
        transform = word_features(texts) if features == "words" else id_features(codec)
        score = nb_lr(transform, texts, labels, weights)
        for corpus, dev in devs.items():
            gold = np.asarray([label == "pos" for label in dev.labels])
            nb = score(dev.texts)
            alone = (rnn[corpus] > 0) == gold
            mixed = {a: (rnn[corpus] + a * nb > 0) == gold for a in MIXES}
            both = mixed[1.0]
            right, wrong = int((both & ~alone).sum()), int((alone & ~both).sum())
            records.append(
                {
                    "bench": "n-gram ensemble",
                    "dev": corpus,
                    "texts": len(gold),
                    "ngram_data": data,
                    "ngram_features": features,
                    "C": C,
                    "rnn_accuracy": float(alone.mean()),
                    "ngram_accuracy": float(((nb > 0) == gold).mean()),
                    "sum_accuracy": float(both.mean()),
                    "turned_right": right,
                    "turned_wrong": wrong,
                    "mcnemar_p": round(mcnemar(right, wrong), 4),
                    **{
                        f"mix_{a:g}_accuracy": float(v.mean()) for a, v in mixed.items()
                    },
                }
            )
            print(records[-1], flush=True)
    write("ngram-ensemble", records)


if __name__ == "__main__":
    main()
