"""The translator's exported graphs (export.py) run by onnxruntime, for
seqcli.search: translating a few sentences without importing PyTorch."""

from __future__ import annotations

import numpy as np

from seqcli.onnx import Graphs
from seqcli.vocab import Vocab


def build(graphs: Graphs) -> OnnxTranslator:
    return OnnxTranslator(graphs)


class OnnxTranslator:
    """What seqcli.search needs of a translator, from its encoder and decoder-step
    graphs; the output layer runs in float32 (PyTorch on the CPU uses int8)."""

    bos_index, eos_index = Vocab.bos_index, Vocab.eos_index

    def __init__(self, graphs: Graphs):
        self.encoder = graphs.session("encoder")
        self.decoder = graphs.session("decoder_step")
        # the recurrent state's parts (h, c for an LSTM, feed with input feeding)
        self.state_names = [
            i.name for i in self.decoder.get_inputs() if i.name in ("h", "c", "feed")
        ]
        self.outputs = [
            "top_log_probs",
            "top_ids",
            *(f"{name}_out" for name in self.state_names),
            "attention",
        ]
        self.vocab_size = self.decoder.get_outputs()[0].shape[1]

    def start(self, src, src_lengths, repeat: int) -> OnnxSteps:
        """Encodes the padded sources in one call (the graph packs them by their
        lengths)."""
        src = np.asarray(src, dtype=np.int64)
        lengths = np.asarray(src_lengths, dtype=np.int64)
        outputs, keys, *parts = self.encoder.run(
            None, {"src": src, "src_lengths": lengths}
        )
        mask = np.arange(src.shape[1])[None] < lengths[:, None]
        state = dict(zip(self.state_names, parts, strict=True))
        steps = OnnxSteps(self, {"outputs": outputs, "keys": keys, "mask": mask}, state)
        if repeat > 1:
            rows = np.repeat(np.arange(len(src)), repeat)
            steps.select(rows, rows)
        return steps


class OnnxSteps:
    """Decoder rows of a batch (see seqcli.search)."""

    def __init__(self, model: OnnxTranslator, memory: dict, state: dict):
        self.model, self.memory, self.state = model, memory, state

    def step(self, prev, at_limit, top: int):
        model = self.model
        inputs = {
            "prev": prev.astype(np.int64),
            "at_limit": np.asarray(at_limit, dtype=bool),
            "k": np.array(min(top, model.vocab_size), dtype=np.int64),
        }
        best, ids, *state, attention = model.decoder.run(
            model.outputs, inputs | self.memory | self.state
        )
        self.state = dict(zip(model.state_names, state, strict=True))
        return best, ids, attention

    def select(self, rows, memory=None) -> None:
        self.state = {
            name: x[rows] if name == "feed" else x[:, rows]
            for name, x in self.state.items()
        }
        if memory is not None:
            self.memory = {name: x[memory] for name, x in self.memory.items()}
