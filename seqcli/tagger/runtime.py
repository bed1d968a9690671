"""The tagger's exported emissions graph run by onnxruntime, with the Viterbi of
numpy_model: tagging text on the CPU without importing PyTorch, for any cell."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from seqcli.config import config_from
from seqcli.onnx import Graphs
from seqcli.tagger.config import TaggerConfig
from seqcli.tagger.data import Batcher, caps_class
from seqcli.tagger.numpy_model import crf_scores, viterbi
from seqcli.vocab import word_key


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
                (emissions,) = self.session.run(None, self._inputs(batcher, batch))
                for i, scores in zip(rows, emissions, strict=True):
                    paths[i] = viterbi(scores, self.start, self.trans, self.end)
        return paths

    def _inputs(self, batcher: Batcher, batch: list[Sequence[str]]) -> dict:
        tokens = [t for s in batch for t in s]
        shape = (len(batch), len(batch[0]))
        distinct: dict[str, int] = {}
        types = [distinct.setdefault(t, len(distinct)) for t in tokens]
        char_lists = [batcher.char_ids(t) for t in distinct]
        chars = np.zeros((len(char_lists), max(map(len, char_lists))), np.int64)
        for row, ids in enumerate(char_lists):
            chars[row, : len(ids)] = ids
        words = batcher.words.encode(word_key(t, self.cfg.case) for t in tokens)
        inputs = {
            "words": np.array(words, np.int64).reshape(shape),
            "chars": chars,
            "types": np.array(types, np.int64).reshape(shape),
        }
        if "caps" in self.reads:
            caps = [caps_class(t) for t in tokens]
            inputs["caps"] = np.array(caps, np.int64).reshape(shape)
        return inputs
