"""Translating with a trained translator (PyTorch, or its exported graphs for a
few sentences): batched greedy or beam search (seqcli.search) over sentences of
similar length, then text."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import numpy as np

from seqcli.translator.config import BATCH_SIZE, BEAM, LENGTH_PENALTY, MAX_LEN_RATIO
from seqcli.translator.data import Codec
from seqcli.vocab import Vocab


def translate_ids(
    model,
    sources: Sequence[Sequence[int]],
    *,
    beam: int = BEAM,
    n_best: int = 1,
    batch_size: int = BATCH_SIZE,
    max_len_ratio: float = MAX_LEN_RATIO,
    length_penalty: float = LENGTH_PENALTY,
    quantize: bool = True,
    attention: bool = False,
):
    """Translate source id lists in batches of similar length; input order is kept.

    model: a Translator (PyTorch, any device) or the exported graphs
    (runtime.OnnxTranslator). quantize: PyTorch on the CPU decodes with an int8
    output layer (Translator.int8_output). attention: keep each hypothesis's
    attention weights (seqcli.search.Hypothesis.attention).

    Returns:
        per source, a list of `n_best` Hypothesis (one empty hypothesis for an empty
        source).
    """
    from seqcli.data import length_batches
    from seqcli.search import Hypothesis, beam_search, greedy

    empty = np.zeros((0, 0), np.float32) if attention else None
    results: list = [[Hypothesis([], 0.0, 0.0, [], empty)] for _ in sources]
    todo = [i for i, s in enumerate(sources) if s]
    search = {
        "max_len_ratio": max_len_ratio,
        "length_penalty": length_penalty,
        "attention": attention,
    }
    for batch in length_batches([len(sources[i]) for i in todo], batch_size):
        rows = [todo[j] for j in batch]
        seqs = [list(sources[i]) for i in rows]
        lengths = np.array([len(s) for s in seqs])
        src = np.full((len(seqs), lengths.max()), Vocab.pad_index, dtype=np.int64)
        for i, seq in enumerate(seqs):
            src[i, : len(seq)] = seq
        with _torch_settings(model, quantize, len(rows) * beam) as src_on:
            src = src_on(src)
            if beam == 1:
                found = [[h] for h in greedy(model, src, lengths, **search)]
            else:
                found = beam_search(
                    model, src, lengths, beam=beam, n_best=n_best, **search
                )
        for i, hyps in zip(rows, found, strict=True):
            results[i] = hyps
    return results


@contextlib.contextmanager
def _torch_settings(model, quantize: bool, rows: int):
    """For a PyTorch model: int8 output on the CPU, oneDNN as fits the rows, and
    sources as tensors on its device; nothing for the exported graphs."""
    if not hasattr(model, "parameters"):
        yield lambda src: src
        return
    import torch

    from seqcli import cells

    device = next(model.parameters()).device
    with model.int8_output(quantize and device.type == "cpu"), cells.onednn_for(rows):
        yield lambda src: torch.from_numpy(src).to(device)


def translate_lines(
    model,
    codec: Codec,
    lines: Sequence[str],
    *,
    first_line: int = 1,
    replace_unk: bool = True,
    **search,
) -> list[list[tuple[str, float]]]:
    """Per line, the n-best (text, score) translations, best first.

    first_line: the number of lines[0] in its file, for warnings; replace_unk: see
    Codec.text; search: as for `translate_ids`.
    """
    tokens, found = search_lines(model, codec, lines, first_line=first_line, **search)
    return texts(codec, tokens, found, replace_unk)


def search_lines(
    model, codec: Codec, lines: Sequence[str], *, first_line: int = 1, **search
):
    """(source units, n-best Hypothesis) per line: `translate_lines` before the
    hypotheses become text, for callers that want their attention too."""
    tokens, ids = codec.sources(lines, first_line)
    return tokens, translate_ids(model, ids, **search)


def texts(codec: Codec, tokens, found, replace_unk: bool = True):
    """The n-best (text, score) of each line's hypotheses (see search_lines)."""
    return [
        [(codec.text(h, src, replace_unk), h.score) for h in hyps]
        for hyps, src in zip(found, tokens, strict=True)
    ]


def attention_map(codec: Codec, source: Sequence[str], hyp) -> dict:
    """A hypothesis's attention as a record: {"source_tokens", "target_tokens",
    "weights"}, weights[i][j] the weight of source unit j when target unit i was
    written (rows sum to 1; 4 decimals). The units are what the model read and
    wrote: subword pieces where it uses them, <unk> where it had no word."""
    # shape: (len(target_tokens), len(source))
    weights = np.round(np.asarray(hyp.attention, dtype=np.float64), 4)
    return {
        "source_tokens": list(source),
        "target_tokens": codec.tgt_vocab.decode(hyp.ids),
        "weights": weights.tolist(),
    }


def records(
    lines: Sequence[str],
    found: Sequence[Sequence[tuple[str, float]]],
    attention: Sequence[dict] | None = None,
) -> list[dict]:
    """{"source", "translations": [{"text", "score"}]} per line, as `seqcli
    translate --json` writes them; with `attention` (an attention_map per line,
    of its best translation), "attention" too."""
    out = [
        {
            "source": line,
            "translations": [{"text": t, "score": round(s, 4)} for t, s in hyps],
        }
        for line, hyps in zip(lines, found, strict=True)
    ]
    if attention is not None:
        for record, weights in zip(out, attention, strict=True):
            record["attention"] = weights
    return out
