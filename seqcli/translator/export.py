"""The translator as ONNX: the encoder (with the decoder's initial state) and one
decoder step; greedy or beam search runs outside."""

from __future__ import annotations

import torch
from torch import nn

from seqcli.onnx import Graph
from seqcli.translator.model import DecoderState, Memory, Translator
from seqcli.vocab import Vocab


class Encoder(nn.Module):
    """src (batch, src_len) of unpadded sources → memory and the initial state."""

    def __init__(self, model: Translator):
        super().__init__()
        self.model = model

    def forward(self, src):
        memory = self.model.encode(src, None)
        state = self.model.init_state(memory)
        extra = () if state.feed is None else (state.feed,)
        return (memory.outputs, memory.keys, state.h, state.c, *extra)


class Step(nn.Module):
    """One decoder step for a batch of hypotheses."""

    def __init__(self, model: Translator):
        super().__init__()
        self.model = model

    def forward(self, prev, h, c, outputs, keys, mask, *feed):
        first = outputs[:, 0]  # the memory's final states are not read by a step
        memory = Memory(outputs, keys, mask, first, first)
        state = DecoderState(h, c, feed[0] if feed else None)
        logits, state, weights = self.model.step(prev, state, memory)
        extra = () if state.feed is None else (state.feed,)
        return (logits.float(), state.h, state.c, *extra, weights)


def graphs(model: Translator, manifest: dict) -> list[Graph]:
    feeding = model.cfg.input_feeding
    src = torch.tensor([[4, 5, 6, 7], [7, 8, 9, 10], [11, 12, 13, 14]])
    with torch.no_grad():
        outputs, keys, h, c, *feed = Encoder(model)(src)
    step_inputs = {
        "prev": torch.full((3,), Vocab.bos_index),
        "h": h,
        "c": c,
        "outputs": outputs,
        "keys": keys,
        "mask": torch.ones(3, 4, dtype=torch.bool),
    }
    if feeding:
        step_inputs["feed"] = feed[0]
    state_out = ["h0", "c0"] + (["feed0"] if feeding else [])
    return [
        Graph(
            "encoder",
            Encoder(model),
            {"src": src},
            ["outputs", "keys", *state_out],
            {
                "src": {0: "batch", 1: "src_len"},
                **{name: {0: "batch", 1: "src_len"} for name in ("outputs", "keys")},
                **{name: {1: "batch"} for name in ("h0", "c0")},
                **({"feed0": {0: "batch"}} if feeding else {}),
            },
            "src (batch, src_len) int64 source ids, sources of equal length (one "
            "sentence at a time, or padded rows encoded one by one) -> outputs "
            "(batch, src_len, 2*hidden), keys (batch, src_len, key) for attention, "
            "and the decoder's initial h0, c0 (layers, batch, hidden)"
            + (", feed0 (batch, out)" if feeding else "")
            + ".",
        ),
        Graph(
            "decoder_step",
            Step(model),
            step_inputs,
            [
                "logits",
                "h_out",
                "c_out",
                *(["feed_out"] if feeding else []),
                "attention",
            ],
            {
                "prev": {0: "rows"},
                "h": {1: "rows"},
                "c": {1: "rows"},
                "outputs": {0: "rows", 1: "src_len"},
                "keys": {0: "rows", 1: "src_len"},
                "mask": {0: "rows", 1: "src_len"},
                **({"feed": {0: "rows"}, "feed_out": {0: "rows"}} if feeding else {}),
                "logits": {0: "rows"},
                "h_out": {1: "rows"},
                "c_out": {1: "rows"},
                "attention": {0: "rows", 1: "src_len"},
            },
            "prev (rows,) int64 the previous target ids (<bos> first); h, c (and "
            "feed) the state; outputs, keys the encoder's rows for each hypothesis; "
            "mask (rows, src_len) bool, True at source tokens -> logits (rows, "
            "tgt_vocab) of the next id, the new state, and attention (rows, src_len).",
        ),
    ]


def runtime(model, manifest: dict) -> dict:
    from seqcli.translator import config

    runtime = {
        "vocabularies": {
            "src": manifest["vocabs"]["src"],
            "tgt": manifest["vocabs"]["tgt"],
        },
        "tokenizers": {
            "src": {"spacy_blank": manifest["config"]["src_lang"]},
            "tgt": {"spacy_blank": manifest["config"]["tgt_lang"]},
        },
        "special_ids": {
            "pad": Vocab.pad_index,
            "unk": Vocab.unk_index,
            "bos": Vocab.bos_index,
            "eos": Vocab.eos_index,
        },
        "never_produce": [Vocab.pad_index, Vocab.bos_index],
        "glue": "a target token starting or ending with ## joins its neighbour "
        "without a space",
        "search": {
            "beam": config.BEAM,
            "length_penalty": config.LENGTH_PENALTY,
            "max_len": f"{config.MAX_LEN_RATIO} x source length + 5",
        },
    }
    if "subwords" in manifest:
        runtime["subwords"] = manifest["subwords"]
    return runtime
