"""The tagger's inference in numpy, for small inputs: no PyTorch to import.

Importing PyTorch takes over a second, longer than tagging a few sentences. This
module computes what seqcli.tagger.model.Tagger computes in eval mode (char-CNN,
word and capitalisation features, context char-LMs, BiLSTM, linear, constrained
Viterbi) one sentence at a time, from the same stored weights; tests hold the two
to the same tags. It covers the LSTM cell only: taggers with other cells run in
PyTorch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from seqcli.charlm.config import CharLMConfig
from seqcli.config import config_from
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


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow for large |x|


def _lstm(
    x: np.ndarray, w: dict, suffix: str, reverse: bool, rnn: str = "rnn"
) -> np.ndarray:
    """One direction of one nn.LSTM layer (named `rnn` in w) over x (time, input)
    → (time, hidden)."""
    w_hh = w[f"{rnn}.weight_hh_{suffix}"]
    # the input's share of the gates, for every step at once; gate order i, f, g, o
    gates_x = (
        x @ w[f"{rnn}.weight_ih_{suffix}"].T
        + w[f"{rnn}.bias_ih_{suffix}"]
        + w[f"{rnn}.bias_hh_{suffix}"]
    )
    n = w_hh.shape[1]
    h = np.zeros(n, dtype=np.float32)
    c = np.zeros(n, dtype=np.float32)
    out = np.empty((len(x), n), dtype=np.float32)
    for t in reversed(range(len(x))) if reverse else range(len(x)):
        gates = gates_x[t] + w_hh @ h
        i, f = _sigmoid(gates[:n]), _sigmoid(gates[n : 2 * n])
        c = f * c + i * np.tanh(gates[2 * n : 3 * n])
        h = _sigmoid(gates[3 * n :]) * np.tanh(c)
        out[t] = h
    return out


class NumpyTagger:
    """A stored tagger, run with numpy: `decode_tokens` as seqcli.tagger.decode
    expects."""

    def __init__(self, manifest: dict, weights: dict[str, np.ndarray]):
        self.cfg = config_from(TaggerConfig, manifest["config"])
        self.tags = list(manifest["vocabs"]["tags"]["tokens"])
        self.lms = [
            (direction, config_from(CharLMConfig, lm["config"]))
            for direction, lm in manifest.get("context", {}).items()
        ]
        # the word table stays as stored (float16, large); rows are cast when read;
        # older models name their recurrent layers "lstm"
        self.w = {
            "rnn." + k[5:] if k.startswith("lstm.") else k: (
                v
                if k == "words.weight" or v.dtype == np.bool_
                else v.astype(np.float32)
            )
            for k, v in weights.items()
        }
        self._check()
        w = self.w
        # char CNN as one product: each position reads [x(p-1); x(p); x(p+1)]
        filters, width, _ = w["char_cnn.weight"].shape
        self.cnn = w["char_cnn.weight"].transpose(0, 2, 1).reshape(filters, 3 * width)
        self.start, self.trans, self.end = crf_scores(
            {k.removeprefix("crf."): v for k, v in w.items() if k.startswith("crf.")}
        )

    def _check(self) -> None:
        cfg, w = self.cfg, self.w
        expected = {
            "words.weight": (cfg.word_vocab_size, cfg.embedding),
            "chars.weight": (cfg.char_vocab_size, cfg.char_embedding),
            "char_cnn.weight": (cfg.char_filters, cfg.char_embedding, 3),
            "head.weight": (cfg.num_tags, 2 * cfg.hidden),
            "crf.transitions": (cfg.num_tags, cfg.num_tags),
        }
        for layer in range(cfg.layers):
            expected[f"rnn.weight_hh_l{layer}"] = (4 * cfg.hidden, cfg.hidden)
        for k, (_, lm) in enumerate(self.lms):
            expected[f"lms.{k}.embed.weight"] = (lm.vocab_size, lm.embedding)
            for layer in range(lm.layers):
                expected[f"lms.{k}.rnn.weight_hh_l{layer}"] = (4 * lm.hidden, lm.hidden)
        if len(self.tags) != cfg.num_tags or any(
            k not in w or w[k].shape != shape for k, shape in expected.items()
        ):
            raise ValueError("the weights do not fit the configuration")

    def _spelling(self, chars: np.ndarray) -> np.ndarray:
        """(types, char_filters): the char-CNN summary of each row of `chars`."""
        # shape: (types, max_chars, char_embedding); the <pad> row is zero, as is
        # the convolution's padding around each row
        x = np.pad(self.w["chars.weight"][chars], ((0, 0), (1, 1), (0, 0)))
        windows = np.concatenate([x[:, :-2], x[:, 1:-1], x[:, 2:]], axis=2)
        h = windows @ self.cnn.T + self.w["char_cnn.bias"]
        h[chars == 0] = -np.inf
        return h.max(axis=1)

    def emissions(self, batcher: Batcher, tokens: Sequence[str]) -> np.ndarray:
        """(time, num_tags) tag scores of one non-empty sentence."""
        w, cfg = self.w, self.cfg
        inputs = batcher.arrays([tokens])
        parts = [
            w["words.weight"][inputs["words"][0]].astype(np.float32),
            self._spelling(inputs["chars"])[inputs["types"][0]],
        ]
        if cfg.case == "lower":
            parts.append(w["caps.weight"][inputs["caps"][0]])
        for k, (direction, lm) in enumerate(self.lms):
            # shape: (length, embedding); the text's padding is never read
            h = w[f"lms.{k}.embed.weight"][inputs[f"{direction}_text"][0]]
            for layer in range(lm.layers):
                h = _lstm(h, w, f"l{layer}", reverse=False, rnn=f"lms.{k}.rnn")
            parts.append(h[inputs[f"{direction}_at"][0]])
        x = np.concatenate(parts, axis=1)
        for layer in range(cfg.layers):
            x = np.concatenate(
                [
                    _lstm(x, w, f"l{layer}", reverse=False),
                    _lstm(x, w, f"l{layer}_reverse", reverse=True),
                ],
                axis=1,
            )
        return x @ w["head.weight"].T + w["head.bias"]

    def decode_tokens(
        self, batcher: Batcher, sentences: Sequence[Sequence[str]]
    ) -> list[list[int]]:
        """Best tag ids of each non-empty token list (see seqcli.tagger.decode)."""
        with np.errstate(invalid="ignore"):  # -inf + -inf in unreachable tags
            return [
                viterbi(self.emissions(batcher, s), self.start, self.trans, self.end)
                for s in sentences
            ]


def build(manifest: dict, weights: dict[str, np.ndarray]) -> NumpyTagger:
    """The numpy tagger of a stored model (see seqcli.kinds.load_numpy)."""
    return NumpyTagger(manifest, weights)
