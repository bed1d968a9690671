"""A classifier's labels against gold ones: the scores `seqcli eval` reports, the
check that a file is one the model could be scored on, and the labels themselves."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from seqcli.classifier.config import EVAL_BATCH_SIZE
from seqcli.classifier.data import Codec, Labelled
from seqcli.classifier.decode import probabilities
from seqcli.errors import SeqcliError

if TYPE_CHECKING:
    from seqcli.classifier.model import Classifier


def scores(gold: Sequence[str], pred: Sequence[str]) -> dict:
    """Accuracy, macro-F1 (the mean of the classes' F1), per-class precision, recall,
    F1 and support, and the confusion matrix {gold: {predicted: count}}, as
    scikit-learn defines them: the classes are those in gold or predicted (sorted),
    so a gold label the model lacks counts (F1 0) and a class in neither does not."""
    pairs = Counter(zip(gold, pred, strict=True))
    labels = sorted(set(gold) | set(pred))
    per_class = {}
    for label in labels:
        correct = pairs[label, label]
        predicted = sum(n for (_, p), n in pairs.items() if p == label)
        support = sum(n for (g, _), n in pairs.items() if g == label)
        precision = correct / predicted if predicted else 0.0
        recall = correct / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if correct else 0.0
        per_class[label] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": support,
        }
    return {
        "accuracy": sum(pairs[c, c] for c in labels) / max(1, len(gold)),
        "macro_f1": sum(c["f1"] for c in per_class.values()) / max(1, len(labels)),
        "texts": len(gold),
        "per_class": per_class,
        "confusion": {g: {p: pairs[g, p] for p in labels} for g in labels},
    }


# a CoNLL tag (IOB, BIOES) or "O": what the second column of a CoNLL file holds
_TAG = re.compile(r"O|[BIESL]-\S+")


def check_gold(path: str, data: Labelled, codec: Codec) -> None:
    """Refuses a file no line of which the model could get right: CoNLL data read as
    label<TAB>text, or labels of another task."""
    if any(label in codec.labels for label in data.labels):
        return
    tags = sum(bool(_TAG.fullmatch(text.strip())) for text in data.texts)
    if tags > len(data.texts) / 2:
        raise SeqcliError(
            f"{path} looks like CoNLL (a token and a tag per line): a classifier is "
            "scored on label<TAB>text lines"
        )
    found = ", ".join(sorted(set(data.labels))[:5])
    raise SeqcliError(
        f"{path}: none of its labels ({found}) is one the model predicts "
        f"({', '.join(codec.labels)})"
    )


def predict(model: Classifier, codec: Codec, ids: Sequence[Sequence[int]]) -> list:
    """The likeliest label of each id list (the commonest class for an empty one)."""
    return [best(codec, p) for p in probabilities(model, ids, EVAL_BATCH_SIZE)]


def best(codec: Codec, probs: list[float] | None) -> str:
    if not probs:
        return codec.labels[0]
    return codec.labels[max(range(len(probs)), key=probs.__getitem__)]
