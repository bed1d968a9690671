"""Decoding an encoder-decoder: batched greedy and beam search.

Tensors in, ids out, no I/O. The callers choose the settings (the translator's
defaults are in seqcli.translator.config). The model needs four things (see
seqcli.translator.model):
`encode(src, lengths) -> memory`, `init_state(memory) -> state`,
`step(prev_ids, state, memory) -> (logits, state, attention)`, and `select(index)`
on memory and state (rows picked or repeated along the batch), plus the ids
`bos_index`, `eos_index` and `banned` (ids never to produce, e.g. <pad> and <bos>).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Hypothesis:
    """One output sentence of the search."""

    ids: list[int]  # target ids, without <eos>
    log_prob: float  # sum of the log-probabilities, <eos> included
    score: float  # log_prob / (len(ids) + 1) ** length_penalty: what beam ranks by
    alignment: list[int]  # per id, the most-attended source position


def max_lengths(
    src_lengths: torch.Tensor, ratio: float, extra: int = 5
) -> torch.Tensor:
    """Most target tokens (<eos> included) per sentence: ratio × source length + extra.

    Args:
        src_lengths: (batch,) source lengths.
    Returns:
        (batch,) limits, each at least 1.
    """
    return (src_lengths.float() * ratio).ceil().long().clamp(min=0) + max(extra, 1)


def _normalise(log_prob: float, length: int, length_penalty: float) -> float:
    return log_prob / length**length_penalty if length_penalty else log_prob


def _allowed(model, log_probs: torch.Tensor, at_limit: torch.Tensor) -> torch.Tensor:
    """log_probs (rows, vocab), changed in place: banned ids removed, and only <eos>
    left at the limit."""
    if model.banned:
        log_probs[:, model.banned] = float("-inf")
    if at_limit.any():
        eos = log_probs[at_limit, model.eos_index]
        log_probs[at_limit] = float("-inf")
        log_probs[at_limit, model.eos_index] = eos
    return log_probs


def _keep_best(hyps: list[Hypothesis], new: Hypothesis, k: int) -> None:
    """Add `new` to the k best finished hypotheses of a sentence."""
    if len(hyps) < k:
        hyps.append(new)
        return
    worst = min(range(k), key=lambda i: hyps[i].score)
    if new.score > hyps[worst].score:
        hyps[worst] = new


@torch.no_grad()
def greedy(
    model,
    src: torch.Tensor,
    src_lengths: torch.Tensor,
    *,
    max_len_ratio: float,
    length_penalty: float,
    max_len_extra: int = 5,
) -> list[Hypothesis]:
    """The likeliest next word at each step, for a batch of sentences at once.

    Args:
        src: (batch, src_len) source ids, padded.
        src_lengths: (batch,) true lengths.
        max_len_ratio, max_len_extra: see `max_lengths`.
        length_penalty: length normalisation of the reported score only.
    Returns:
        one Hypothesis per sentence, in input order.
    """
    batch, device = src.size(0), src.device
    memory = model.encode(src, src_lengths)
    state = model.init_state(memory)
    limit = max_lengths(src_lengths, max_len_ratio, max_len_extra).to(device)
    steps = int(limit.max())
    # shape: (batch, steps) each sentence's ids (<eos> at the limit at the latest)
    # and most-attended source positions
    ids = torch.full((batch, steps), model.eos_index, dtype=torch.long, device=device)
    aligns = torch.zeros(batch, steps, dtype=torch.long, device=device)
    # shape: (batch,) summed log-probabilities
    log_prob = torch.zeros(batch, device=device)
    rows = torch.arange(batch, device=device)  # the sentence of each row still going
    prev = torch.full((batch,), model.bos_index, dtype=torch.long, device=device)
    done = torch.zeros(batch, dtype=torch.bool, device=device)
    for t in range(steps):
        logits, state, attention = model.step(prev, state, memory)
        logits = logits.float()
        # shape: (rows,) the softmax's log-normaliser, over every id
        norm = logits.logsumexp(-1)
        best, prev = _allowed(model, logits, t + 1 >= limit[rows]).max(-1)
        log_prob.index_add_(0, rows, (best - norm).masked_fill(done, 0.0))
        ids[rows, t] = prev  # after a row's <eos> nothing is read
        aligns[rows, t] = attention.argmax(-1)
        done |= prev == model.eos_index
        if done.all():
            break
        if 4 * int(done.sum()) >= done.numel():
            # a quarter of the rows have ended: stop computing them
            keep = (~done).nonzero().squeeze(1)
            rows, prev, done = rows[keep], prev[keep], done[keep]
            memory, state = memory.select(keep), state.select(keep)
    out = []
    for row, (seq, pos) in enumerate(zip(ids.tolist(), aligns.tolist(), strict=True)):
        n = seq.index(model.eos_index)
        lp = log_prob[row].item()
        score = _normalise(lp, n + 1, length_penalty)
        out.append(Hypothesis(seq[:n], lp, score, pos[:n]))
    return out


@torch.no_grad()
def beam_search(
    model,
    src: torch.Tensor,
    src_lengths: torch.Tensor,
    *,
    beam: int,
    max_len_ratio: float,
    length_penalty: float,
    n_best: int = 1,
    max_len_extra: int = 5,
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
        src: (batch, src_len) source ids, padded.
        src_lengths: (batch,) true lengths.
        beam: hypotheses kept per sentence.
        n_best: hypotheses returned per sentence (at most `beam`).
        length_penalty: score = log_prob / length ** length_penalty (0: off).
        max_len_ratio, max_len_extra: see `max_lengths`.
    Returns:
        per sentence, in input order, up to `n_best` hypotheses, best score first.
    """
    if not 1 <= n_best <= beam:
        raise ValueError(f"n_best must be between 1 and beam ({beam}), not {n_best}")
    k, device = beam, src.device
    batch = src.size(0)
    limit = max_lengths(src_lengths, max_len_ratio, max_len_extra).to(device)
    # each sentence gets k consecutive rows
    memory = model.encode(src, src_lengths).select(
        torch.arange(batch, device=device).repeat_interleave(k)
    )
    state = model.init_state(memory)
    # shape: (n, k) summed log-probabilities; only the first copy is alive at first
    scores = torch.full((batch, k), float("-inf"), device=device)
    scores[:, 0] = 0.0
    # shape: (n, k, t) the ids and alignments of each alive hypothesis so far
    tokens = torch.zeros(batch, k, 0, dtype=torch.long, device=device)
    aligns = torch.zeros(batch, k, 0, dtype=torch.long, device=device)
    prev = torch.full((batch * k,), model.bos_index, dtype=torch.long, device=device)
    active = torch.arange(batch, device=device)  # the sentence of each group of rows
    finished: list[list[Hypothesis]] = [[] for _ in range(batch)]
    ranks = torch.arange(2 * k, device=device)
    t = 0
    while active.numel():
        n = active.numel()
        logits, state, attention = model.step(prev, state, memory)
        at_limit = t + 1 >= limit[active]  # (n,)
        log_probs = _allowed(
            model, logits.float().log_softmax(-1), at_limit.repeat_interleave(k)
        )
        vocab = log_probs.size(-1)
        # shape: (n, k * vocab) the score of every one-word extension
        candidates = (scores.unsqueeze(2) + log_probs.view(n, k, vocab)).view(n, -1)
        # shape: (n, 2k)
        top, index = candidates.topk(min(2 * k, candidates.size(1)), dim=1)
        origin, word = index // vocab, index % vocab
        # shape: (n, 2k, t + 1)
        paths = torch.cat(
            [tokens.gather(1, origin[..., None].expand(-1, -1, t)), word[..., None]], 2
        )
        where = attention.argmax(-1).view(n, k).gather(1, origin)
        path_aligns = torch.cat(
            [aligns.gather(1, origin[..., None].expand(-1, -1, t)), where[..., None]], 2
        )
        is_eos = word == model.eos_index
        ending = is_eos[:, :k] & top[:, :k].isfinite()
        if ending.any():
            sentences = active.tolist()
            for i, j in ending.nonzero().tolist():
                lp = top[i, j].item()
                _keep_best(
                    finished[sentences[i]],
                    Hypothesis(
                        paths[i, j, :-1].tolist(),
                        lp,
                        _normalise(lp, t + 1, length_penalty),
                        path_aligns[i, j, :-1].tolist(),
                    ),
                    k,
                )
        # the best k extensions that do not end the sentence go on
        # shape: (n, k) positions among the 2k candidates
        keep = torch.where(is_eos, ranks[: top.size(1)] + 2 * k, ranks[: top.size(1)])
        keep = keep.argsort(dim=1)[:, :k]
        scores = top.gather(1, keep).masked_fill(is_eos.gather(1, keep), float("-inf"))
        tokens = paths.gather(1, keep[..., None].expand(-1, -1, t + 1))
        aligns = path_aligns.gather(1, keep[..., None].expand(-1, -1, t + 1))
        prev = word.gather(1, keep)
        # shape: (n, k) the row of the state each kept hypothesis extends
        rows = origin.gather(1, keep) + torch.arange(n, device=device)[:, None] * k
        # done: k finished that the best going on is not expected to beat
        best_going = [
            _normalise(x, t + 1, length_penalty) for x in scores[:, 0].tolist()
        ]
        settled = torch.tensor(
            [
                len(finished[b]) >= k and min(h.score for h in finished[b]) >= bound
                for b, bound in zip(active.tolist(), best_going, strict=True)
            ]
        )
        going = ~(settled.to(device) | at_limit)
        if not going.all():
            groups = going.nonzero().squeeze(1)
            active, scores, tokens, aligns = (
                x[groups] for x in (active, scores, tokens, aligns)
            )
            prev, rows = prev[groups], rows[groups]
            memory = memory.select(
                (groups[:, None] * k + torch.arange(k, device=device)).flatten()
            )
        prev = prev.flatten()
        state = state.select(rows.flatten())
        t += 1
    return [
        sorted(hyps, key=lambda h: h.score, reverse=True)[:n_best] for hyps in finished
    ]
