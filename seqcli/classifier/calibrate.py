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

A model whose scores grow with the length of the text (a bag of n-grams adds a
score per n-gram: seqcli.classifier.ngrams) is surer of a review than of a sentence
in a way one T cannot undo for both. Its T then depends on the text's length n (in
word ids): T(n) = T * exp(slope * (log(1 + n) - center)), T and slope fitted on dev
together ("length_slope" and "length_center" in the entry; a model without them has
slope 0). A T per text still keeps each text's label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from seqcli import console, distributed
from seqcli.errors import SeqcliError

BINS = 15  # equal-width bins of the top probability, as Guo et al. use
# T is searched in [LOW, HIGH]: far beyond what a trained classifier needs (about
# 0.5 to 5), and a dev set the model gets all right asks for T -> 0, which stops here
LOW, HIGH = 0.05, 20.0


@dataclass(frozen=True)
class Scaling:
    """What a text's logits are divided by: T(n) for a text of n word ids."""

    temperature: float = 1.0
    slope: float = 0.0
    center: float = 0.0

    @classmethod
    def of(cls, entry: dict | None) -> Scaling:
        """The scaling of a manifest's "calibration" entry (None: none)."""
        entry = entry or {}
        return cls(
            float(entry.get("temperature", 1.0)),
            float(entry.get("length_slope", 0.0)),
            float(entry.get("length_center", 0.0)),
        )

    def __call__(self, length: int) -> float:
        if not self.slope:
            return self.temperature
        return self.temperature * math.exp(
            self.slope * (math.log1p(length) - self.center)
        )

    @property
    def identity(self) -> bool:
        return self.temperature == 1.0 and not self.slope


def nll(logits, targets, temperature) -> float:
    """The mean negative log-likelihood of `targets` under softmax(logits / T).

    Args:
        logits: (texts, classes) float64 tensor; targets: (texts,) class ids;
            temperature: one T, or (texts,) a T per text.
    """
    import torch.nn.functional as F

    return float(F.cross_entropy(divide(logits, temperature), targets))


def divide(logits, temperature):
    """logits / T, for one T or (texts,) a T per text."""
    import torch

    t = torch.as_tensor(temperature, dtype=logits.dtype)
    return logits / (t[:, None] if t.dim() else t)


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


def fit_slope(logits, targets, lengths, temperature: float) -> Scaling:
    """The T(n) that minimises the dev NLL, from (temperature, slope 0), by L-BFGS
    on (log T, slope): the NLL is smooth in both."""
    import torch

    x = torch.log1p(torch.as_tensor(lengths, dtype=torch.float64))
    center = float(x.mean())
    x = x - center
    found = torch.tensor([math.log(temperature), 0.0], dtype=torch.float64)
    found.requires_grad_(True)
    solver = torch.optim.LBFGS([found], max_iter=100, line_search_fn="strong_wolfe")

    def cost():
        solver.zero_grad()
        t = torch.exp(found[0] + found[1] * x)
        value = torch.nn.functional.cross_entropy(logits / t[:, None], targets)
        value.backward()
        return value

    solver.step(cost)
    log_t, slope = found.detach().tolist()
    return Scaling(math.exp(log_t), slope, center)


def calibration(logits, targets, lengths=None, bins: int = BINS) -> dict:
    """The manifest's "calibration" entry for dev `logits` and `targets`: T (and
    with the texts' `lengths`, in word ids, its slope over them) and the dev ECE
    before and after."""
    import torch

    logits = torch.as_tensor(logits, dtype=torch.float64)
    targets = torch.as_tensor(targets, dtype=torch.long)
    scaling = Scaling(fit_temperature(logits, targets))
    if lengths is not None and len(set(lengths)) > 1:
        sloped = fit_slope(logits, targets, lengths, scaling.temperature)
        per_text = [sloped(n) for n in lengths]
        if nll(logits, targets, per_text) < nll(logits, targets, scaling.temperature):
            scaling = sloped
    ts = [scaling(n) for n in lengths] if lengths is not None else scaling.temperature
    right = (logits.argmax(1) == targets).tolist()

    def error(temp) -> float:
        return ece(divide(logits, temp).softmax(1).tolist(), right, bins)

    entry = {"temperature": round(scaling.temperature, 6)}
    if scaling.slope:
        entry |= {
            "length_slope": round(scaling.slope, 6),
            "length_center": round(scaling.center, 6),
        }
    return entry | {
        "ece_before": round(error(1.0), 6),
        "ece_after": round(error(ts), 6),
        "bins": bins,
        "nll_before": round(nll(logits, targets, 1.0), 6),
        "nll_after": round(nll(logits, targets, ts), 6),
        "texts": len(right),
    }


def dev_logits(model, codec, ids, gold) -> tuple[list[list[float]], list[int], list]:
    """(logits, class ids, lengths in word ids) of the dev texts the model can be
    scored on: those with words and a label the model has."""
    from seqcli.classifier.config import EVAL_BATCH_SIZE
    from seqcli.classifier.decode import logits

    classes = {label: c for c, label in enumerate(codec.labels)}
    keep = [i for i, x in enumerate(ids) if x and gold[i] in classes]
    found = logits(model, [ids[i] for i in keep], EVAL_BATCH_SIZE)
    return found, [classes[gold[i]] for i in keep], [len(ids[i]) for i in keep]


def eval_calibration(found, gold, pred, scaling: Scaling, lengths) -> dict:
    """`seqcli eval`'s calibration figures: "ece" of the scores the model gives
    (at its temperature), and for a calibrated model also "temperature" (and
    "length_slope") and "ece_uncalibrated". Texts without words (no score) are left
    out.

    Args:
        found: each text's probabilities at T = 1 (or None), as
            decode.probabilities gives them; gold, pred: its labels; lengths: its
            word ids.
    """
    kept = [i for i, p in enumerate(found) if p]
    right = [gold[i] == pred[i] for i in kept]
    raw = [found[i] for i in kept]
    if scaling.identity:
        return {"ece": ece(raw, right)}
    scaled = [rescale(found[i], scaling(lengths[i])) for i in kept]
    return {
        "ece": ece(scaled, right),
        "temperature": scaling.temperature,
        **({"length_slope": scaling.slope} if scaling.slope else {}),
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
            logits, targets, lengths = dev_logits(
                model, Codec.from_manifest(manifest), ids, gold
            )
            if not targets:
                return None
            dev = manifest.training.get("dev")
            entry = calibration(logits, targets, lengths) | {"dev": dev}
            store.write_manifest(name, {**manifest, "calibration": entry})
    except SeqcliError as e:  # no dev evaluation was reached, or a read-only store
        console.warn(f"not calibrated: {e}")
        return None
    console.info(
        f"calibrated on dev: temperature {entry['temperature']:.3f}, expected "
        f"calibration error {entry['ece_before']:.4f} -> {entry['ece_after']:.4f}"
    )
    return entry
