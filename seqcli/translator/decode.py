"""Translating with a trained translator: batched greedy or beam search
(seqcli.search) over sentences of similar length, then text."""

from __future__ import annotations

from collections.abc import Sequence

from seqcli import cells
from seqcli.translator.config import BATCH_SIZE, BEAM, LENGTH_PENALTY, MAX_LEN_RATIO
from seqcli.translator.data import Codec
from seqcli.translator.model import Translator
from seqcli.vocab import Vocab


def translate_ids(
    model: Translator,
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

    quantize: on the CPU, decode with an int8 output layer (Translator.int8_output).

    Returns:
        per source, a list of `n_best` Hypothesis (one empty hypothesis for an empty
        source).
    """
    from seqcli.data import length_batches, pad
    from seqcli.search import Hypothesis, beam_search, greedy

    device = next(model.parameters()).device
    results: list = [[Hypothesis([], 0.0, 0.0, [])] for _ in sources]
    todo = [i for i, s in enumerate(sources) if s]
    search = {"max_len_ratio": max_len_ratio, "length_penalty": length_penalty}
    with model.int8_output(quantize and device.type == "cpu"):
        for batch in length_batches([len(sources[i]) for i in todo], batch_size):
            rows = [todo[j] for j in batch]
            src, lengths = pad([list(sources[i]) for i in rows], Vocab.pad_index)
            src = src.to(device)
            with cells.onednn_for(len(rows) * beam):
                if beam == 1:
                    found = [[h] for h in greedy(model, src, lengths, **search)]
                else:
                    found = beam_search(
                        model, src, lengths, beam=beam, n_best=n_best, **search
                    )
            for i, hyps in zip(rows, found, strict=True):
                results[i] = hyps
    return results


def translate_lines(
    model: Translator,
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
