"""Decoding an encoder-decoder: batched greedy and beam search.

Ids in, ids out, in numpy, no I/O: the network runs behind a small interface, so
that the same search drives the PyTorch model (on any device) and its exported
graphs (seqcli.translator.runtime). The callers choose the settings (the
translator's defaults are in seqcli.translator.config). A model gives `bos_index`,
`eos_index` and `start(src, src_lengths, repeat) -> steps` for a padded batch, each
sentence given `repeat` rows of decoder state; the steps object has

- `step(prev, at_limit, top) -> (log_probs, ids, weights)`: for (rows,) previous
  ids, the `top` best next ids of each row with their log-probabilities, (rows, top)
  each, ids it never produces (<pad>, <bos>) left out and only <eos> allowed where
  at_limit (rows,) is set; and (rows, src_len) the attention weights over the
  source that chose them (float32, 0 at padding);
- `select(rows, memory)`: keep the state rows `rows` (in that order) and, where
  `memory` is given, the sentences' encoder rows `memory`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Hypothesis:
    """One output sentence of the search."""

    ids: list[int]  # target ids, without <eos>
    log_prob: float  # sum of the log-probabilities, <eos> included
    score: float  # log_prob / (len(ids) + 1) ** length_penalty: what beam ranks by
    alignment: list[int]  # per id, the most-attended source position
    # shape: (len(ids), src_len) per id, the attention weights over the source
    # (each row sums to 1); kept only when the search is asked for them
    attention: np.ndarray | None = None


def max_lengths(src_lengths, ratio: float, extra: int = 5) -> np.ndarray:
    """Most target tokens (<eos> included) per sentence: ratio × source length + extra.

    Args:
        src_lengths: (batch,) source lengths.
    Returns:
        (batch,) limits, each at least 1.
    """
    lengths = np.asarray(src_lengths, dtype=np.float32)
    return np.maximum(np.ceil(lengths * np.float32(ratio)), 0).astype(np.int64) + max(
        extra, 1
    )


def _normalise(log_prob: float, length: int, length_penalty: float) -> float:
    return log_prob / length**length_penalty if length_penalty else log_prob


def _keep_best(hyps: list[Hypothesis], new: Hypothesis, k: int) -> None:
    """Add `new` to the k best finished hypotheses of a sentence."""
    if len(hyps) < k:
        hyps.append(new)
        return
    worst = min(range(k), key=lambda i: hyps[i].score)
    if new.score > hyps[worst].score:
        hyps[worst] = new


def greedy(
    model,
    src,
    src_lengths,
    *,
    max_len_ratio: float,
    length_penalty: float,
    max_len_extra: int = 5,
    attention: bool = False,
) -> list[Hypothesis]:
    """The likeliest next word at each step, for a batch of sentences at once.

    Args:
        src: (batch, src_len) source ids, padded (as the model takes them).
        src_lengths: (batch,) true lengths.
        max_len_ratio, max_len_extra: see `max_lengths`.
        length_penalty: length normalisation of the reported score only.
        attention: keep each hypothesis's attention weights (Hypothesis.attention).
    Returns:
        one Hypothesis per sentence, in input order.
    """
    steps = model.start(src, src_lengths, 1)
    limit = max_lengths(src_lengths, max_len_ratio, max_len_extra)
    batch, n_steps = len(limit), int(limit.max())
    # shape: (batch, steps) each sentence's ids (<eos> at the limit at the latest)
    # and most-attended source positions
    ids = np.full((batch, n_steps), model.eos_index, dtype=np.int64)
    aligns = np.zeros((batch, n_steps), dtype=np.int64)
    lengths = np.asarray(src_lengths, dtype=np.int64)
    width = int(lengths.max())
    # shape: (batch, steps, width) the weights, when asked for
    weights = np.zeros((batch, n_steps if attention else 0, width), np.float32)
    log_prob = np.zeros(batch, dtype=np.float32)  # summed log-probabilities
    rows = np.arange(batch)  # the sentence of each row still going
    prev = np.full(batch, model.bos_index, dtype=np.int64)
    done = np.zeros(batch, dtype=bool)
    for t in range(n_steps):
        best, word, attended = steps.step(prev, t + 1 >= limit[rows], 1)
        prev = word[:, 0]
        log_prob[rows] += np.where(done, np.float32(0), best[:, 0])
        ids[rows, t] = prev  # after a row's <eos> nothing is read
        aligns[rows, t] = attended.argmax(-1)
        if attention:
            weights[rows, t] = attended[:, :width]
        done |= prev == model.eos_index
        if done.all():
            break
        if 4 * int(done.sum()) >= done.size:
            # a quarter of the rows have ended: stop computing them
            keep = np.flatnonzero(~done)
            rows, prev, done = rows[keep], prev[keep], done[keep]
            steps.select(keep, keep)
    out = []
    for row, (seq, pos) in enumerate(zip(ids.tolist(), aligns.tolist(), strict=True)):
        n = seq.index(model.eos_index)
        lp = float(log_prob[row])
        hyp = Hypothesis(seq[:n], lp, _normalise(lp, n + 1, length_penalty), pos[:n])
        if attention:
            hyp.attention = weights[row, :n, : lengths[row]]
        out.append(hyp)
    return out


def beam_search(
    model,
    src,
    src_lengths,
    *,
    beam: int,
    max_len_ratio: float,
    length_penalty: float,
    n_best: int = 1,
    max_len_extra: int = 5,
    attention: bool = False,
) -> list[list[Hypothesis]]:
    """Beam search for a batch of sentences, each with `beam` hypotheses alive.

    At each step the 2×beam best extensions of a sentence's hypotheses are taken:
    those ending in <eos> among the best `beam` are finished (the `beam` best are
    kept), the best `beam` others go on. A sentence is done when it has `beam`
    finished hypotheses and the best one going on, scored at its current length,
    does not beat the worst of them (exact when length_penalty is 0:
    log-probabilities only fall), or when it reaches its length limit (where only
    <eos> may follow). Done sentences leave the batch.

    Args:
        src: (batch, src_len) source ids, padded (as the model takes them).
        src_lengths: (batch,) true lengths.
        beam: hypotheses kept per sentence.
        n_best: hypotheses returned per sentence (at most `beam`).
        length_penalty: score = log_prob / length ** length_penalty (0: off).
        max_len_ratio, max_len_extra: see `max_lengths`.
        attention: keep each hypothesis's attention weights (Hypothesis.attention).
    Returns:
        per sentence, in input order, up to `n_best` hypotheses, best score first.
    """
    if not 1 <= n_best <= beam:
        raise ValueError(f"n_best must be between 1 and beam ({beam}), not {n_best}")
    k = beam
    steps = model.start(src, src_lengths, k)  # each sentence gets k consecutive rows
    limit = max_lengths(src_lengths, max_len_ratio, max_len_extra)
    batch = len(limit)
    # shape: (n, k) summed log-probabilities; only the first copy is alive at first
    scores = np.full((batch, k), -np.inf, dtype=np.float32)
    scores[:, 0] = 0.0
    # shape: (n, k, t) the ids and alignments of each alive hypothesis so far
    tokens = np.zeros((batch, k, 0), dtype=np.int64)
    aligns = np.zeros((batch, k, 0), dtype=np.int64)
    lengths = np.asarray(src_lengths, dtype=np.int64)
    width = int(lengths.max())
    # shape: (n, k, t, width) their attention weights, when asked for
    weights = np.zeros((batch, k, 0, width if attention else 0), np.float32)
    prev = np.full(batch * k, model.bos_index, dtype=np.int64)
    active = np.arange(batch)  # the sentence of each group of rows
    finished: list[list[Hypothesis]] = [[] for _ in range(batch)]
    t = 0
    while active.size:
        n = active.size
        at_limit = t + 1 >= limit[active]  # (n,)
        # each row's 2k best words hold every sentence's 2k best extensions
        log_probs, words, attended = steps.step(prev, np.repeat(at_limit, k), 2 * k)
        m = log_probs.shape[1]
        # shape: (n, k * m) the score of each row's best one-word extensions
        candidates = (scores[:, :, None] + log_probs.reshape(n, k, m)).reshape(n, -1)
        # shape: (n, 2k) the best, best first
        order = np.argsort(-candidates, axis=1, kind="stable")[:, : min(2 * k, k * m)]
        top = np.take_along_axis(candidates, order, 1)
        origin = order // m
        word = np.take_along_axis(words.reshape(n, -1), order, 1)
        group = np.arange(n)[:, None]
        # shape: (n, 2k, t + 1)
        paths = np.concatenate([tokens[group, origin], word[..., None]], 2)
        spots = attended.argmax(-1).reshape(n, k)[group, origin]
        path_aligns = np.concatenate([aligns[group, origin], spots[..., None]], 2)
        if attention:  # shape: (n, 2k, t + 1, width)
            rows_weights = attended[:, :width].reshape(n, k, 1, -1)[group, origin]
            path_weights = np.concatenate([weights[group, origin], rows_weights], 2)
        is_eos = word == model.eos_index
        ending = is_eos[:, :k] & np.isfinite(top[:, :k])
        for i, j in zip(*np.nonzero(ending), strict=True):
            lp = float(top[i, j])
            hyp = Hypothesis(
                paths[i, j, :-1].tolist(),
                lp,
                _normalise(lp, t + 1, length_penalty),
                path_aligns[i, j, :-1].tolist(),
            )
            if attention:
                hyp.attention = path_weights[i, j, :-1, : lengths[active[i]]]
            _keep_best(finished[active[i]], hyp, k)
        # the best k extensions that do not end the sentence go on
        # shape: (n, k) positions among the 2k candidates
        ranks = np.arange(top.shape[1])
        keep = np.argsort(np.where(is_eos, ranks + 2 * k, ranks), axis=1)[:, :k]
        scores = np.where(
            np.take_along_axis(is_eos, keep, 1),
            np.float32(-np.inf),
            np.take_along_axis(top, keep, 1),
        )
        tokens, aligns = paths[group, keep], path_aligns[group, keep]
        if attention:
            weights = path_weights[group, keep]
        prev = np.take_along_axis(word, keep, 1)
        # shape: (n, k) the row of the state each kept hypothesis extends
        rows = np.take_along_axis(origin, keep, 1) + group * k
        # done: k finished that the best going on is not expected to beat
        settled = np.array(
            [
                len(finished[b]) >= k
                and min(h.score for h in finished[b])
                >= _normalise(float(best), t + 1, length_penalty)
                for b, best in zip(active.tolist(), scores[:, 0], strict=True)
            ],
            dtype=bool,
        )
        going = ~(settled | at_limit)
        memory = None
        if not going.all():
            groups = np.flatnonzero(going)
            active, scores, tokens, aligns, weights = (
                x[groups] for x in (active, scores, tokens, aligns, weights)
            )
            prev, rows = prev[groups], rows[groups]
            memory = (groups[:, None] * k + np.arange(k)).ravel()
        prev = prev.ravel()
        steps.select(rows.ravel(), memory)
        t += 1
    return [
        sorted(hyps, key=lambda h: h.score, reverse=True)[:n_best] for hyps in finished
    ]
