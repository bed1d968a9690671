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
):
    """Translate source id lists in batches of similar length; input order is kept.

    model: a Translator (PyTorch, any device) or the exported graphs
    (runtime.OnnxTranslator). quantize: PyTorch on the CPU decodes with an int8
    output layer (Translator.int8_output).

    Returns:
        per source, a list of `n_best` Hypothesis (one empty hypothesis for an empty
        source).
    """
    from seqcli.data import length_batches
    from seqcli.search import Hypothesis, beam_search, greedy

    results: list = [[Hypothesis([], 0.0, 0.0, [])] for _ in sources]
    todo = [i for i, s in enumerate(sources) if s]
    search = {"max_len_ratio": max_len_ratio, "length_penalty": length_penalty}
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
    tokens, ids = codec.sources(lines, first_line)
    found = translate_ids(model, ids, **search)
    return [
        [(codec.text(h, src, replace_unk), h.score) for h in hyps]
        for hyps, src in zip(found, tokens, strict=True)
    ]


def records(
    lines: Sequence[str], found: Sequence[Sequence[tuple[str, float]]]
) -> list[dict]:
    """{"source", "translations": [{"text", "score"}]} per line, as `seqcli
    translate --json` writes them."""
    return [
        {
            "source": line,
            "translations": [{"text": t, "score": round(s, 4)} for t, s in hyps],
        }
        for line, hyps in zip(lines, found, strict=True)
    ]
