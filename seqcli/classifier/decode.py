"""Classifying texts with a trained classifier (PyTorch, or its exported graph for
a few lines): batches of similar length, class probabilities, records."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from seqcli.classifier.calibrate import Scaling
from seqcli.classifier.config import BATCH_SIZE
from seqcli.classifier.data import Codec
from seqcli.vocab import Vocab

GROUP = 16  # batches of lines read, classified and written at a time


def probabilities(
    model,
    id_lists: Sequence[Sequence[int]],
    batch_size: int = BATCH_SIZE,
    temperature: float | Scaling = 1.0,
) -> list[list[float] | None]:
    """Class probabilities of each id list, softmax(logits / temperature), in input
    order (None for an empty one); temperature: the model's calibration, one T or
    a T by the text's length (see seqcli.classifier.calibrate; 1 leaves the scores
    as the network gives them).

    model: a Classifier (PyTorch) or its exported graph (runtime.OnnxClassifier)."""
    if not isinstance(temperature, Scaling):
        temperature = Scaling(temperature)
    return _scores(model, id_lists, batch_size, temperature)


def logits(
    model, id_lists: Sequence[Sequence[int]], batch_size: int = BATCH_SIZE
) -> list[list[float] | None]:
    """The class scores before softmax of each id list, as `probabilities`."""
    return _scores(model, id_lists, batch_size, None)


def _scores(model, id_lists, batch_size, temperature):
    """Probabilities at `temperature`, or logits for None, a batch of texts of
    similar length at a time. The temperature is applied here, from the manifest:
    the cached graphs are keyed by the weights, and calibrating changes only the
    manifest."""
    from seqcli.data import length_batches

    graph = not hasattr(model, "parameters")
    out: list[list[float] | None] = [None] * len(id_lists)
    todo = [i for i, ids in enumerate(id_lists) if ids]
    for batch in length_batches([len(id_lists[i]) for i in todo], batch_size):
        rows = [todo[j] for j in batch]
        texts = [list(id_lists[i]) for i in rows]
        # shape: (batch, classes)
        scores = _graph_logits(model, texts) if graph else _torch_logits(model, texts)
        if temperature is not None:
            # an uncalibrated model's scores stay exactly what they were
            if not temperature.identity:
                scores = (
                    scores / np.asarray([temperature(len(x)) for x in texts])[:, None]
                )
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
        for i, p in zip(rows, scores.tolist(), strict=True):
            out[i] = p
    return out


def _graph_logits(model, texts: list[list[int]]) -> np.ndarray:
    return model.logits(texts).astype(np.float64)


def _torch_logits(model, texts: list[list[int]]) -> np.ndarray:
    import torch

    from seqcli.data import pad

    ids, lengths = pad(texts, Vocab.pad_index)
    with torch.no_grad():
        logits, _ = model(ids.to(next(model.parameters()).device), lengths)
    return logits.double().cpu().numpy()


def records(
    codec: Codec,
    texts: Sequence[str],
    found: Sequence[list[float] | None],
    top_k: int = 1,
) -> list[dict]:
    """{"text", "label", "score", "labels": [{"label", "score"}, ...]} per text, the
    `top_k` likeliest labels best first; an empty text gives label and score None."""
    out = []
    for text, probs in zip(texts, found, strict=True):
        ranked = []
        if probs is not None:
            order = sorted(range(len(probs)), key=lambda c: -probs[c])[:top_k]
            ranked = [
                {"label": codec.labels[c], "score": round(probs[c], 4)} for c in order
            ]
        best = ranked[0] if ranked else {"label": None, "score": None}
        out.append({"text": text, **best, "labels": ranked})
    return out


def classify_texts(
    model,
    codec: Codec,
    texts: Sequence[str],
    *,
    top_k: int = 1,
    batch_size: int = BATCH_SIZE,
) -> list[dict]:
    """A record (see `records`) per text, scored at the model's calibration
    temperature (codec.scaling: by the text's length where the model has a slope)."""
    found = probabilities(model, codec.ids(texts), batch_size, codec.scaling)
    return records(codec, texts, found, top_k)


def classify_lines(
    model,
    manifest: dict,
    lines: Iterable[str | None],
    *,
    top_k: int = 1,
    batch_size: int = BATCH_SIZE,
) -> Iterator[list[dict]]:
    """Records of lines as they are read, a group of batches at a time, or what was
    read when the input pauses (a None among the lines: see
    seqcli.data.iter_lines)."""
    from seqcli.data import groups

    codec = Codec.from_manifest(manifest)
    for group in groups(lines, batch_size * GROUP):
        yield classify_texts(model, codec, group, top_k=top_k, batch_size=batch_size)
