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
from seqcli.classifier.metrics import scores
from seqcli.classifier.recipe import ClassifierRecipe, train
from seqcli.store import Store

from ..conftest import one_thread_while
from .conftest import REVIEWS


def sklearn_scores(gold, pred) -> dict:
    """What scikit-learn gives, in the shape of `scores` (labels: the sorted union of
    gold and predicted, sklearn's default)."""
    labels = sorted(set(gold) | set(pred))
    p, r, f, support = precision_recall_fscore_support(
        gold, pred, labels=labels, zero_division=0
    )
    return {
        "accuracy": accuracy_score(gold, pred),
        "macro_f1": f1_score(gold, pred, average="macro", zero_division=0),
        "per_class": {
            label: {
                "precision": p[i],
                "recall": r[i],
                "f1": f[i],
                "support": support[i],
            }
            for i, label in enumerate(labels)
        },
        "confusion": confusion_matrix(gold, pred, labels=labels).tolist(),
    }


def agree_with_sklearn(gold, pred) -> None:
    found, expected = scores(gold, pred), sklearn_scores(gold, pred)
    assert found["accuracy"] == pytest.approx(expected["accuracy"], abs=1e-12)
    assert found["macro_f1"] == pytest.approx(expected["macro_f1"], abs=1e-12)
    assert list(found["per_class"]) == list(expected["per_class"])
    for label, row in expected["per_class"].items():
        mine = found["per_class"][label]
        for key in ("precision", "recall", "f1"):
            assert mine[key] == pytest.approx(row[key], abs=1e-12), (label, key)
        assert mine["support"] == row["support"]
    labels = list(expected["per_class"])
    assert [[found["confusion"][g][q] for q in labels] for g in labels] == (
        expected["confusion"]
    )


@pytest.mark.parametrize("seed", range(5))
def test_scores_agree_with_scikit_learn(seed):
    rng = random.Random(seed)
    labels = ["a", "b", "c", "d"]
    gold = [rng.choice(labels[:3]) for _ in range(200)]  # "d" never occurs
    pred = [g if rng.random() < 0.6 else rng.choice(labels) for g in gold]
    agree_with_sklearn(gold, pred)


def test_a_gold_label_the_model_lacks_counts_in_every_metric():
    # "mixed" is never predicted: the model does not have it
    gold = ["pos"] * 5 + ["neg"] * 5 + ["mixed"] * 4
    pred = ["pos"] * 5 + ["neg"] * 3 + ["pos"] * 2 + ["pos", "neg", "pos", "neg"]
    agree_with_sklearn(gold, pred)
    found = scores(gold, pred)
    assert found["per_class"]["mixed"] == {
        "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 4
    }  # fmt: skip
    assert found["macro_f1"] < found["accuracy"]
    assert "mixed" in found["confusion"]


def test_a_class_in_neither_gold_nor_predictions_does_not_count():
    gold = ["pos", "neg", "pos", "neg"]
    agree_with_sklearn(gold, gold)
    assert scores(gold, gold)["macro_f1"] == 1.0  # not 2/3 with a third class


def test_the_held_out_dev_part_is_disjoint_and_the_same_for_a_seed():
    data = Labelled([f"t{i}" for i in range(50)], ["x"] * 50, list(range(1, 51)))
    recipe = ClassifierRecipe("-", dev_fraction=0.2)
    split_dev = lambda data, fraction, seed: recipe.split_dev(data, seed)  # noqa: E731
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
    bag = manifest["ngrams"]  # fitted once the network was, then dev scored again
    assert bag["texts"] == 1350 and bag["features"] > 100
    assert "accuracy" in bag["dev_without"] and manifest["metrics"]["accuracy"] >= 0.95
    calibration = manifest["calibration"]  # fitted on the same held-out 10%
    assert calibration["texts"] == 150 and calibration["dev"] == "random 10% of data"
    assert calibration["nll_after"] <= calibration["nll_before"]
    assert len(read_labelled(str(REVIEWS)).texts) == 1500
