"""The tagger's exported emissions graph run by onnxruntime, with the CRF's Viterbi
in numpy: tagging text on the CPU without importing PyTorch, for any cell."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from seqcli.config import config_from
from seqcli.onnx import Graphs
from seqcli.tagger.config import TaggerConfig
from seqcli.tagger.data import Batcher


def viterbi(
    emissions: np.ndarray, start: np.ndarray, trans: np.ndarray, end: np.ndarray
) -> list[int]:
    """The best tag ids of one sentence's emissions (time, tags) under a CRF whose
    forbidden start, transition and end scores are -inf."""
    score = start + emissions[0]
    pointers = []
    for t in range(1, len(emissions)):
        # shape: (num_tags, num_tags): from tag i to tag j
        candidates = score[:, None] + trans
        pointers.append(candidates.argmax(axis=0))
        score = candidates.max(axis=0) + emissions[t]
    best = [int((score + end).argmax())]
    for back in reversed(pointers):
        best.append(int(back[best[-1]]))
    return best[::-1]


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
        """Best tag ids of each non-empty token list; the graph takes sentences of
        one length at a time (it does not pack padded ones)."""
        by_length = defaultdict(list)
        for i, tokens in enumerate(sentences):
            by_length[len(tokens)].append(i)
        paths: list[list[int]] = [[] for _ in sentences]
        with np.errstate(invalid="ignore"):  # -inf + -inf in unreachable tags
            for rows in by_length.values():
                batch = [sentences[i] for i in rows]
                (emissions,) = self.session.run(None, self.inputs(batcher, batch))
                for i, scores in zip(rows, emissions, strict=True):
                    paths[i] = viterbi(scores, self.start, self.trans, self.end)
        return paths

    def inputs(self, batcher: Batcher, batch: Sequence[Sequence[str]]) -> dict:
        """The graph's inputs for `batch` (token lists of one length)."""
        arrays = batcher.arrays(batch)
        return {name: arrays[name] for name in self.reads}
