"""Scoring and training the classifier."""

import random
from dataclasses import replace

import pytest
import torch
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from seqcli.classifier.config import TRAINING, ClassifierConfig
from seqcli.classifier.data import Labelled, read_labelled
from seqcli.classifier.recipe import scores, split_dev, train
from seqcli.store import Store

from ..conftest import one_thread_while
from .conftest import REVIEWS


@pytest.mark.parametrize("seed", range(5))
def test_scores_agree_with_scikit_learn(seed):
    rng = random.Random(seed)
    labels = ["a", "b", "c", "d"]
    gold = [rng.choice(labels[:3]) for _ in range(200)]  # "d" never occurs
    pred = [g if rng.random() < 0.6 else rng.choice(labels) for g in gold]
    found = scores(gold, pred, labels)
    assert found["accuracy"] == pytest.approx(accuracy_score(gold, pred))
    assert found["macro_f1"] == pytest.approx(
        f1_score(gold, pred, labels=labels, average="macro", zero_division=0)
    )
    p, r, f, support = precision_recall_fscore_support(
        gold, pred, labels=labels, zero_division=0
    )
    for i, label in enumerate(labels):
        row = found["per_class"][label]
        assert (row["precision"], row["recall"], row["f1"]) == pytest.approx(
            (p[i], r[i], f[i])
        )
        assert row["support"] == support[i]
    matrix = confusion_matrix(gold, pred, labels=labels)
    assert [[found["confusion"][g][q] for q in labels] for g in labels] == (
        matrix.tolist()
    )


def test_the_held_out_dev_part_is_disjoint_and_the_same_for_a_seed():
    data = Labelled([f"t{i}" for i in range(50)], ["x"] * 50, list(range(1, 51)))
    train_part, dev = split_dev(data, 0.2, seed=3)
    assert len(dev.texts) == 10 and len(train_part.texts) == 40
    assert not set(dev.texts) & set(train_part.texts)
    assert set(dev.texts) | set(train_part.texts) == set(data.texts)
    assert split_dev(data, 0.2, seed=3)[1].texts == dev.texts
    assert split_dev(data, 0.2, seed=4)[1].texts != dev.texts


def test_learns_the_generated_reviews(tmp_path):
    store = Store(tmp_path, builtin=None)
    config = ClassifierConfig(embedding=24, hidden=24, dropout=0.1)
    settings = replace(TRAINING, epochs=6, lr=0.01, warmup=10)
    with one_thread_while():
        pos = train(
            str(REVIEWS), name="r", store=store, device=torch.device("cpu"),
            settings=settings, config=config,
        )  # fmt: skip
    manifest = store.manifest("r")
    assert manifest["vocabs"]["labels"]["tokens"] == ["mixed", "neg", "pos"]
    assert manifest["training"]["dev"] == "random 10% of data"
    assert pos.best >= 0.95  # held-out reviews of the same templates
    assert len(read_labelled(str(REVIEWS)).texts) == 1500
