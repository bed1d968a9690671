"""The classifier as ONNX: the class scores of a text."""

from __future__ import annotations

import torch
from torch import nn

from seqcli.classifier.calibrate import Scaling
from seqcli.classifier.data import SPELLINGS
from seqcli.classifier.model import Classifier
from seqcli.manifest import Manifest
from seqcli.onnx import Graph


class Scores(nn.Module):
    def __init__(self, model: Classifier):
        super().__init__()
        self.model = model

    def forward(self, ids, lengths):
        return self.model(ids, lengths)[0]


def graphs(model: Classifier, manifest: dict) -> list[Graph]:
    return [
        Graph(
            "classifier",
            Scores(model),
            {
                "ids": torch.tensor([[4, 5, 6], [7, 8, 0]]),
                "lengths": torch.tensor([3, 2]),
            },
            ["logits"],
            {
                "ids": {0: "batch", 1: "time"},
                "lengths": {0: "batch"},
                "logits": {0: "batch"},
            },
            "ids (batch, time) int64 word ids of texts padded with 0 (<pad>), lengths "
            "(batch,) int64 each text's ids (at least 1) -> logits (batch, classes); "
            "softmax gives "
            "the probabilities (a calibrated model's manifest holds "
            "calibration.temperature: softmax(logits / T), T as the runtime "
            "metadata's `scores` says).",
        )
    ]


def runtime(model, manifest: dict) -> dict:
    manifest = Manifest.of(manifest)
    cfg = manifest.config
    scaling = Scaling.of(manifest.get("calibration"))
    return {
        "vocabulary": manifest.vocab_dict("words"),
        "labels": manifest.tokens("labels"),
        "tokenizer": {"spacy_blank": cfg["lang"]},
        "word_key": "lower-cased, digits replaced by 0; <br /> read as a space",
        # the bag's words (seqcli.classifier.data): the graph reads ids % vocabulary
        "spelled": (
            f"a word whose key is not itself in the vocabulary has id + "
            f"{len(manifest.vocab('words'))} * (1 + crc32(the lower-cased word "
            f"in UTF-8) % {SPELLINGS})"
            if cfg.get("ngrams") and cfg.get("ngram_spelled")
            else None
        ),
        "max_tokens": cfg.get("read_tokens", cfg["max_tokens"]),  # read, not trained
        "long_texts": "keep their first max_tokens / 2 and last max_tokens / 2 tokens",
        # for a reader of `seqcli export`'s files; seqcli itself takes T from the
        # manifest (the cached graphs are keyed by the weights, not the manifest)
        "temperature": scaling.temperature,
        "length_slope": scaling.slope,
        "length_center": scaling.center,
        "scores": "softmax(logits / T), T = temperature * exp(length_slope * "
        "(log(1 + n) - length_center)) for a text of n ids",
    }
