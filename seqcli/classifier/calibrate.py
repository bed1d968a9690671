"""Scores that mean what they say: temperature scaling fitted on dev after training
(Guo et al. 2017, "On Calibration of Modern Neural Networks"), and the expected
calibration error (ECE) that judges it.

A network trained to minimise cross-entropy ends up surer than it is right. One
scalar T > 0 divides its logits, softmax(z / T): the order of the classes, so every
label, accuracy and macro-F1, stays as it was, and T is the one that minimises the
dev negative log-likelihood. The manifest keeps it as
{"calibration": {"temperature", "ece_before", "ece_after", "bins", "dev", "texts"}};
seqcli.classifier.data.Codec reads it, so PyTorch and the exported graph divide by
the same T. A model without it gives the scores it always gave (T = 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from seqcli import console, distributed
from seqcli.errors import SeqcliError

BINS = 15  # equal-width bins of the top probability, as Guo et al. use
# T is searched in [LOW, HIGH]: far beyond what a trained classifier needs (about
# 0.5 to 5), and a dev set the model gets all right asks for T -> 0, which stops here
LOW, HIGH = 0.05, 20.0


def nll(logits, targets, temperature: float) -> float:
    """The mean negative log-likelihood of `targets` under softmax(logits / T).

    Args:
        logits: (texts, classes) float64 tensor; targets: (texts,) class ids.
    """
    import torch.nn.functional as F

    return float(F.cross_entropy(logits / temperature, targets))


def fit_temperature(logits, targets, tol: float = 1e-6) -> float:
    """The T in [LOW, HIGH] that minimises the dev NLL (`nll`).

    A golden-section search on log T: the NLL is convex in 1/T (a log-sum-exp of
    functions linear in 1/T, less one linear term), hence unimodal in log T, so the
    search finds the minimum to `tol` in log T (about 30 evaluations).

    Args:
        logits: (texts, classes) scores before softmax (anything torch.as_tensor
            takes); targets: (texts,) class ids.
    """
    import torch

    logits = torch.as_tensor(logits, dtype=torch.float64)
    targets = torch.as_tensor(targets, dtype=torch.long)
    ratio = (math.sqrt(5) - 1) / 2

    def cost(log_t: float) -> float:
        return nll(logits, targets, math.exp(log_t))

    a, b = math.log(LOW), math.log(HIGH)
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = cost(c), cost(d)
    while b - a > tol:
        if fc <= fd:  # the minimum lies in [a, d]
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = cost(c)
        else:  # in [c, b]
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = cost(d)
    return math.exp((a + b) / 2)


def ece(
    probabilities: Sequence[Sequence[float]],
    correct: Sequence[bool],
    bins: int = BINS,
) -> float:
    """The expected calibration error: the texts binned by their top probability p
    into `bins` equal-width bins ((k - 1) / bins < p <= k / bins), then the mean over
    texts of |accuracy - mean p| of their bin. 0 for no texts.

    Args:
        probabilities: each text's class probabilities; correct: whether its
            likeliest label was right.
    """
    totals = [[0, 0.0, 0] for _ in range(bins)]  # texts, summed p, right
    for probs, right in zip(probabilities, correct, strict=True):
        top = max(probs)
        k = next(k for k in range(bins) if top <= (k + 1) / bins or k == bins - 1)
        totals[k][0] += 1
        totals[k][1] += top
        totals[k][2] += bool(right)
    n = sum(t[0] for t in totals)
    return sum(abs(t[2] - t[1]) for t in totals) / n if n else 0.0


def rescale(probs: Sequence[float], temperature: float) -> list[float]:
    """softmax(z / T) from softmax(z): each probability to the power 1 / T, divided
    by their sum (the log-probabilities are the logits less a constant)."""
    raised = [p ** (1 / temperature) for p in probs]
    total = sum(raised)
    return [p / total for p in raised]


def calibration(logits, targets, bins: int = BINS) -> dict:
    """The manifest's "calibration" entry for dev `logits` and `targets`: T and the
    dev ECE before and after."""
    import torch

    logits = torch.as_tensor(logits, dtype=torch.float64)
    targets = torch.as_tensor(targets, dtype=torch.long)
    t = fit_temperature(logits, targets)
    right = (logits.argmax(1) == targets).tolist()

    def error(temp: float) -> float:
        return ece((logits / temp).softmax(1).tolist(), right, bins)

    return {
        "temperature": round(t, 6),
        "ece_before": round(error(1.0), 6),
        "ece_after": round(error(t), 6),
        "bins": bins,
        "nll_before": round(nll(logits, targets, 1.0), 6),
        "nll_after": round(nll(logits, targets, t), 6),
        "texts": len(right),
    }


def dev_logits(model, codec, ids, gold) -> tuple[list[list[float]], list[int]]:
    """(logits, class ids) of the dev texts the model can be scored on: those with
    words and a label the model has."""
    from seqcli.classifier.config import EVAL_BATCH_SIZE
    from seqcli.classifier.decode import logits

    classes = {label: c for c, label in enumerate(codec.labels)}
    keep = [i for i, x in enumerate(ids) if x and gold[i] in classes]
    found = logits(model, [ids[i] for i in keep], EVAL_BATCH_SIZE)
    return found, [classes[gold[i]] for i in keep]


def eval_calibration(found, gold, pred, temperature: float) -> dict:
    """`seqcli eval`'s calibration figures: "ece" of the scores the model gives
    (at its temperature), and for a calibrated model also "temperature" and
    "ece_uncalibrated". Texts without words (no score) are left out.

    Args:
        found: each text's probabilities at T = 1 (or None), as
            decode.probabilities gives them; gold, pred: its labels.
    """
    kept = [i for i, p in enumerate(found) if p]
    right = [gold[i] == pred[i] for i in kept]
    raw = [found[i] for i in kept]
    if temperature == 1.0:
        return {"ece": ece(raw, right)}
    scaled = [rescale(p, temperature) for p in raw]
    return {
        "ece": ece(scaled, right),
        "temperature": temperature,
        "ece_uncalibrated": ece(raw, right),
    }


def calibrate_stored(store, name: str, ids, gold, *, device) -> dict | None:
    """Fit T on dev for the model `fit` saved as `name` and write it into the
    model's manifest (weights untouched); returns the entry (None where nothing was
    saved or under torchrun off rank 0).

    Args:
        ids: the dev texts' word ids; gold: their labels.
    """
    from seqcli.classifier.data import Codec
    from seqcli.classifier.model import Classifier

    if not distributed.is_main():
        return None
    try:
        with store.lock(name):
            manifest = store.manifest(name)
            model = Classifier.from_manifest(manifest)
            store.load_weights(model, name, manifest).to(device)
            logits, targets = dev_logits(
                model, Codec.from_manifest(manifest), ids, gold
            )
            if not targets:
                return None
            dev = manifest.training.get("dev")
            entry = calibration(logits, targets) | {"dev": dev}
            store.write_manifest(name, {**manifest, "calibration": entry})
    except SeqcliError as e:  # no dev evaluation was reached, or a read-only store
        console.warn(f"not calibrated: {e}")
        return None
    console.info(
        f"calibrated on dev: temperature {entry['temperature']:.3f}, expected "
        f"calibration error {entry['ece_before']:.4f} -> {entry['ece_after']:.4f}"
    )
    return entry
