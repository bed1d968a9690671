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

    def probabilities(self, ids) -> list[float]:
        """The class probabilities of one text's word ids."""
        (logits,) = self.session.run(None, {"ids": np.asarray([ids], dtype=np.int64)})
        exp = np.exp(logits[0] - logits[0].max())
        return (exp / exp.sum()).tolist()
