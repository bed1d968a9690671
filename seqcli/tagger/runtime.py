"""The tagger's exported emissions graph run by onnxruntime, with the CRF's Viterbi
in numpy: tagging text on the CPU without importing PyTorch, for any cell."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from seqcli.config import config_from
from seqcli.onnx import Graphs
from seqcli.tagger.config import TaggerConfig
from seqcli.tagger.data import Batcher


def viterbi(
    emissions: np.ndarray,
    lengths: Sequence[int],
    start: np.ndarray,
    trans: np.ndarray,
    end: np.ndarray,
) -> list[list[int]]:
    """The best tag ids of each sentence of a padded batch, emissions (batch, time,
    tags), under a CRF whose forbidden start, transition and end scores are -inf.
    One loop over time for the whole batch; past its end a sentence's scores stay
    and its back pointers point to the same tag."""
    batch, time, tags = emissions.shape
    lengths = np.asarray(lengths)
    # shape: (batch, tags)
    score = start + emissions[:, 0]
    same = np.broadcast_to(np.arange(tags), (batch, tags))
    pointers = []
    for t in range(1, time):
        # shape: (batch, tags, tags): from tag i to tag j
        candidates = score[:, :, None] + trans
        best = candidates.argmax(axis=1)
        # shape: (batch, tags) the best score into each tag, read at its argmax
        into = np.take_along_axis(candidates, best[:, None], axis=1)[:, 0]
        going = (t < lengths)[:, None]
        pointers.append(np.where(going, best, same))
        score = np.where(going, into + emissions[:, t], score)
    best = [(score + end).argmax(axis=1)]
    rows = np.arange(batch)
    for back in reversed(pointers):
        best.append(back[rows, best[-1]])
    paths = np.stack(best[::-1], axis=1)
    return [paths[b, :n].tolist() for b, n in enumerate(lengths)]


def crf_scores(crf: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, transitions, end) with what the CRF forbids at -inf (not a large
    negative, so that no emission buys a forbidden step)."""
    inf = np.float32(np.inf)

    def allowed(name: str, scores: str) -> np.ndarray:
        return np.where(
            np.asarray(crf[name], bool), np.asarray(crf[scores], np.float32), -inf
        )

    return (
        allowed("allowed_start", "start_transitions"),
        allowed("allowed", "transitions"),
        allowed("allowed_end", "end_transitions"),
    )


def build(graphs: Graphs) -> OnnxTagger:
    return OnnxTagger(graphs)


class OnnxTagger:
    """`decode_tokens` and `tags` as seqcli.tagger.decode expects."""

    def __init__(self, graphs: Graphs):
        self.session = graphs.session("emissions")
        # a cased model's graph reads no capitalisation classes
        self.reads = {i.name for i in self.session.get_inputs()}
        self.cfg = config_from(TaggerConfig, graphs.meta["config"])
        self.tags = list(graphs.meta["tags"])
        self.start, self.trans, self.end = crf_scores(graphs.meta["crf"])

    def decode_tokens(
        self, batcher: Batcher, sentences: Sequence[Sequence[str]]
    ) -> list[list[int]]:
        """Best tag ids of each non-empty token list, all in one call of the graph
        (it packs the padded sentences by their lengths)."""
        (emissions,) = self.session.run(None, self.inputs(batcher, sentences))
        lengths = [len(tokens) for tokens in sentences]
        with np.errstate(invalid="ignore"):  # -inf + -inf in unreachable tags
            return viterbi(emissions, lengths, self.start, self.trans, self.end)

    def inputs(self, batcher: Batcher, batch: Sequence[Sequence[str]]) -> dict:
        """The graph's inputs for `batch` (non-empty token lists)."""
        arrays = batcher.arrays(batch)
        return {name: arrays[name] for name in self.reads}
