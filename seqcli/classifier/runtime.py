"""The classifier's exported graph run by onnxruntime: a few texts classified
without importing PyTorch."""

from __future__ import annotations

import numpy as np

from seqcli.onnx import Graphs


def build(graphs: Graphs) -> OnnxClassifier:
    return OnnxClassifier(graphs)


class OnnxClassifier:
    def __init__(self, graphs: Graphs):
        self.session = graphs.session("classifier")

    def logits(self, ids) -> np.ndarray:
        """The class scores before softmax of one text's word ids: (classes,)."""
        (logits,) = self.session.run(None, {"ids": np.asarray([ids], dtype=np.int64)})
        return logits[0]

    def probabilities(self, ids, temperature: float = 1.0) -> list[float]:
        """The class probabilities of one text's word ids, softmax(logits / T).

        The graph gives the logits and T is applied here, from the manifest: the
        cached graphs are keyed by the weights, and calibrating changes only the
        manifest."""
        logits = self.logits(ids)
        if temperature != 1.0:
            logits = logits / temperature
        exp = np.exp(logits - logits.max())
        return (exp / exp.sum()).tolist()
