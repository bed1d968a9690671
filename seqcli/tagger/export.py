"""The tagger as ONNX: the emission scores of one sentence (the CRF's Viterbi runs
outside, with the transitions and constraints of the runtime JSON)."""

from __future__ import annotations

from torch import nn

from seqcli.manifest import Manifest
from seqcli.onnx import Graph
from seqcli.tagger.data import CAPS, MAX_WORD_CHARS, Batcher
from seqcli.tagger.model import Tagger

# the graph cached for `seqcli tag` stays float32: int8 LSTMs quantize their inputs
# with one range per call, so a line's tags would depend on the lines batched with
# it; they were 1.2-1.4x faster (bench/results/int8.jsonl, `seqcli export --int8`)
INT8 = False


class Emissions(nn.Module):
    """(words, caps, chars, types, lengths, and each context char-LM's text and
    positions) of padded sentences → emissions (batch, time, tags)."""

    def __init__(self, tagger: Tagger, names: list[str]):
        super().__init__()
        self.tagger, self.names = tagger, names

    def forward(self, *inputs):
        x = dict(zip(self.names, inputs, strict=True))
        features = self.tagger.features(
            x["words"], x["caps"], x["chars"], x["types"], self.tagger.context(x)
        )
        # packed by lengths: a sentence's emissions do not depend on its batch
        out, _ = self.tagger.rnn(features, lengths=x["lengths"])
        return self.tagger.head(out).float()


def graphs(model: Tagger, manifest: dict) -> list[Graph]:
    # two sentences of 5 and 3 tokens, the longest word of 9 characters
    examples = [["Anna", "flew", "to", "Reykjavik", "to"], ["Bo", "met", "her"]]
    batch = Batcher.from_manifest(manifest).batch(examples)
    names = ["words", "caps", "chars", "types", "lengths"]
    dynamic = {
        "lengths": {0: "batch"},
        "words": {0: "batch", 1: "time"},
        "caps": {0: "batch", 1: "time"},
        "chars": {0: "types", 1: "chars"},
        "types": {0: "batch", 1: "time"},
        "emissions": {0: "batch", 1: "time"},
    }
    doc = (
        "Sentences padded to `time` tokens: "
        "words (batch, time) int64 word ids (the vocabulary of word keys); caps "
        "(batch, time) int64 capitalisation classes; chars (types, chars) int64 "
        "character ids of the batch's distinct tokens, 0 after each; types "
        "(batch, time) int64 each token's row of chars; lengths (batch,) int64 "
        "each sentence's tokens (at least 1)"
    )
    for direction in model.lm_directions:
        names += [f"{direction}_text", f"{direction}_at"]
        dynamic[f"{direction}_text"] = {0: "batch", 1: "length"}
        dynamic[f"{direction}_at"] = {0: "batch", 1: "time"}
        doc += (
            f"; {direction}_text (batch, length) int64 character ids (the "
            f"{direction} char-LM's vocabulary) of each sentence's text, "
            f"{'reversed, ' if direction == 'backward' else ''}0 after each; "
            f"{direction}_at (batch, time) int64 each token's position in it"
        )
    doc += (
        " -> emissions (batch, time, tags) float32, meaningless past a sentence's "
        "end. The best tags are the Viterbi path over its emissions + transitions, "
        "forbidden transitions excluded."
    )
    return [
        Graph(
            "emissions",
            Emissions(model, names),
            {name: getattr(batch, name) for name in names},
            ["emissions"],
            dynamic,
            doc,
        )
    ]


def runtime(model: Tagger, manifest: dict) -> dict:
    manifest = Manifest.of(manifest)
    crf, caseless = model.crf, model.cfg.caseless
    return {
        # Viterbi: score(path) = start[t0] + sum emissions + transitions[ti, tj]
        # + end[tn]; a transition, start or end not allowed is never taken
        "crf": {
            name: getattr(crf, name).tolist()
            for name in (
                "transitions",
                "start_transitions",
                "end_transitions",
                "allowed",
                "allowed_start",
                "allowed_end",
            )
        },
        "vocabularies": {
            "words": manifest.vocab_dict("words"),
            "chars": manifest.vocab_dict("chars"),
        },
        "tags": manifest.tokens("tags"),
        "scheme": manifest.config["scheme"],
        "output_scheme": manifest.input_scheme,
        "tokenizer": {"spacy_blank": manifest.config["lang"]},
        "word_key": "digits replaced by 0; lower-cased unless case is 'cased'",
        "case": manifest.config["case"],
        "caps_classes": list(CAPS) + ["caseless"] * caseless,
        "caps_rule": "none: no cased letters; lower; upper; title; mixed otherwise"
        + (
            "; a sentence whose text (its tokens other than 'I') equals its lower- "
            "or its upper-cased text is read lower-cased (words, characters, context "
            "text) and its words with cased letters are caseless"
            if caseless
            else ""
        ),
        "max_word_chars": MAX_WORD_CHARS,
        "long_words": "keep their first and last max_word_chars / 2 characters",
        "context": {
            direction: {
                "chars": lm["chars"],
                "text": "\\n + the tokens (long ones cut as above) joined by spaces "
                "+ \\n" + (", reversed" if direction == "backward" else ""),
                "at": "the separator after each token"
                + (" as read right to left" if direction == "backward" else ""),
            }
            for direction, lm in manifest.context.items()
        },
    }
