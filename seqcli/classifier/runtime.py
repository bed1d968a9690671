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

    def logits(self, id_lists) -> np.ndarray:
        """The class scores before softmax of non-empty id lists: (texts, classes),
        in one call of the graph (it packs the padded texts by their lengths)."""
        lengths = np.array([len(ids) for ids in id_lists], np.int64)
        ids = np.zeros((len(id_lists), lengths.max()), np.int64)  # 0 is <pad>
        for row, found in enumerate(id_lists):
            ids[row, : len(found)] = found
        (logits,) = self.session.run(None, {"ids": ids, "lengths": lengths})
        return logits
