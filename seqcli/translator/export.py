"""The translator as ONNX: the encoder (with the decoder's initial state) and one
decoder step; greedy or beam search runs outside."""

from __future__ import annotations

import torch
from torch import nn

from seqcli.manifest import Manifest
from seqcli.onnx import Graph
from seqcli.translator.model import DecoderState, Memory, Translator
from seqcli.vocab import Vocab


class Encoder(nn.Module):
    """src (batch, src_len) of padded sources and their lengths → memory and the
    initial state."""

    def __init__(self, model: Translator):
        super().__init__()
        self.model = model

    def forward(self, src, src_lengths):
        memory = self.model.encode(src, src_lengths)
        state = self.model.init_state(memory)
        extra = () if state.feed is None else (state.feed,)
        return (memory.outputs, memory.keys, *state.layers(slice(None)), *extra)


class Step(nn.Module):
    """One decoder step for a batch of hypotheses, giving the log-probabilities and
    the search's k best choices (Translator.best_next). onnxruntime's log-softmax is
    faster than numpy's, which took about a third of a batch's time (bench/README.md,
    "Serving"), and its top-k saves copying out every row's log-probabilities: a
    beam of 5 steps in 0.5 to 0.8 ms instead of 0.9 (a batch of 32 sentences' beams,
    10.4 to 11.2 ms against 10.7 to 12.0, the output layer's product most of it)."""

    def __init__(self, model: Translator):
        super().__init__()
        self.model = model

    def forward(self, prev, at_limit, k, outputs, keys, mask, *state):
        """state: h (and c for an LSTM), then feed with input feeding."""
        first = outputs[:, 0]  # the memory's final states are not read by a step
        memory = Memory(outputs, keys, mask, first, first)
        lstm = self.model.cfg.cell == "lstm"
        feed = state[2 if lstm else 1] if self.model.cfg.input_feeding else None
        state = DecoderState(state[0], state[1] if lstm else None, feed)
        logits, state, weights = self.model.step(prev, state, memory)
        extra = () if state.feed is None else (state.feed,)
        log_probs = logits.float().log_softmax(-1)
        best, ids = self.model.best_next(log_probs, at_limit, k)
        return (log_probs, best, ids, *state.layers(slice(None)), *extra, weights)


def graphs(model: Translator, manifest: dict) -> list[Graph]:
    feeding = model.cfg.input_feeding
    names = ["h", "c"] if model.cfg.cell == "lstm" else ["h"]
    src = torch.tensor([[4, 5, 6, 7], [7, 8, 9, 10], [11, 12, 0, 0]])
    src_lengths = torch.tensor([4, 4, 2])
    with torch.no_grad():
        outputs, keys, *state = Encoder(model)(src, src_lengths)
    step_inputs = {
        "prev": torch.full((3,), Vocab.bos_index),
        "at_limit": torch.tensor([False, False, True]),
        "k": torch.tensor(2),
        "outputs": outputs,
        "keys": keys,
        "mask": torch.ones(3, 4, dtype=torch.bool),
    }
    names += ["feed"] if feeding else []
    step_inputs |= dict(zip(names, state, strict=True))
    recurrent = [n for n in names if n != "feed"]
    states = ", ".join(recurrent)
    return [
        Graph(
            "encoder",
            Encoder(model),
            {"src": src, "src_lengths": src_lengths},
            ["outputs", "keys", *(f"{n}0" for n in names)],
            {
                "src": {0: "batch", 1: "src_len"},
                "src_lengths": {0: "batch"},
                **{name: {0: "batch", 1: "src_len"} for name in ("outputs", "keys")},
                **{f"{name}0": {1: "batch"} for name in recurrent},
                **({"feed0": {0: "batch"}} if feeding else {}),
            },
            "src (batch, src_len) int64 source ids padded with 0 (<pad>), "
            "src_lengths (batch,) int64 each source's ids (at least 1) -> outputs "
            "(batch, src_len, 2*hidden), keys (batch, src_len, key) for attention, "
            f"and the decoder's initial {states} (layers, batch, hidden) as "
            + ", ".join(f"{n}0" for n in recurrent)
            + (", feed0 (batch, out)" if feeding else "")
            + ".",
        ),
        Graph(
            "decoder_step",
            Step(model),
            step_inputs,
            ["log_probs", "top_log_probs", "top_ids"]
            + [f"{n}_out" for n in names]
            + ["attention"],
            {
                "prev": {0: "rows"},
                "at_limit": {0: "rows"},
                "outputs": {0: "rows", 1: "src_len"},
                "keys": {0: "rows", 1: "src_len"},
                "mask": {0: "rows", 1: "src_len"},
                **{n: {1: "rows"} for n in recurrent},
                **{f"{n}_out": {1: "rows"} for n in recurrent},
                **({"feed": {0: "rows"}, "feed_out": {0: "rows"}} if feeding else {}),
                "log_probs": {0: "rows"},
                "top_log_probs": {0: "rows", 1: "k"},
                "top_ids": {0: "rows", 1: "k"},
                "attention": {0: "rows", 1: "src_len"},
            },
            "prev (rows,) int64 the previous target ids (<bos> first); at_limit "
            "(rows,) bool, True where only <eos> may follow; k () int64 choices a "
            f"row; {states} (and feed) the state; outputs, keys the encoder's rows "
            "for each hypothesis; mask (rows, src_len) bool, True at source tokens -> "
            "log_probs (rows, tgt_vocab) of the next id; top_log_probs, top_ids "
            "(rows, k) the k likeliest next ids, best first, never <pad> or <bos> "
            "(only <eos> where at_limit, the others at -inf); the new state; and "
            "attention (rows, src_len).",
        ),
    ]


def runtime(model, manifest: dict) -> dict:
    from seqcli.translator import config

    manifest = Manifest.of(manifest)
    runtime = {
        "vocabularies": {
            "src": manifest.vocab_dict("src"),
            "tgt": manifest.vocab_dict("tgt"),
        },
        "tokenizers": {
            "src": {"spacy_blank": manifest.config["src_lang"]},
            "tgt": {"spacy_blank": manifest.config["tgt_lang"]},
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
    if manifest.subwords:
        runtime["subwords"] = manifest.subwords
    return runtime
