"""Linear-chain conditional random field (CRF), batched and masked.

Everything is batch first: emissions are (batch, seq_len, num_tags), tags and mask
are (batch, seq_len). The mask is a bool tensor, left-aligned (each row is some
ones then zeros), with the first column all on.

Transitions can be constrained with bool masks (see
seqcli.tagger.schemes.transition_constraints): forbidden transitions get no probability
mass, in training and in decoding.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.autograd.function import FunctionCtx, once_differentiable

__all__ = ["CRF"]

# Log-score of a forbidden transition in training: finite so that no inf - inf or
# 0 * inf turns into NaN in backward, yet exp() of it underflows to exactly zero.
NEG = -1e4


class CRF(nn.Module):
    """Linear-chain CRF over `num_tags` tags, with optional transition constraints.

    Parameters: `transitions[i, j]` scores tag i followed by tag j,
    `start_transitions[j]` scores a sentence starting with j and
    `end_transitions[i]` one ending with i.

    Args:
        num_tags: number of tags.
        allowed: bool (num_tags, num_tags), which transitions i -> j are permitted.
        allowed_start: bool (num_tags,), which tags may start a sentence.
        allowed_end: bool (num_tags,), which tags may end a sentence.
    """

    allowed: Tensor
    allowed_start: Tensor
    allowed_end: Tensor

    def __init__(
        self,
        num_tags: int,
        allowed: Tensor | None = None,
        allowed_start: Tensor | None = None,
        allowed_end: Tensor | None = None,
    ) -> None:
        super().__init__()
        if num_tags <= 0:
            raise ValueError(f"invalid number of tags: {num_tags}")
        self.num_tags = num_tags
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags))
        self.start_transitions = nn.Parameter(torch.empty(num_tags))
        self.end_transitions = nn.Parameter(torch.empty(num_tags))
        pair, single = (num_tags, num_tags), (num_tags,)
        self.register_buffer("allowed", _bool_mask(allowed, pair, "allowed"))
        self.register_buffer(
            "allowed_start", _bool_mask(allowed_start, single, "allowed_start")
        )
        self.register_buffer(
            "allowed_end", _bool_mask(allowed_end, single, "allowed_end")
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Initialise all scores uniformly in [-0.1, 0.1], as pytorch-crf does."""
        for p in (self.transitions, self.start_transitions, self.end_transitions):
            nn.init.uniform_(p, -0.1, 0.1)

    def extra_repr(self) -> str:
        return f"num_tags={self.num_tags}"

    def log_likelihood(self, emissions: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        """Log-probability of each tag sequence.

        Args:
            emissions: (batch, seq_len, num_tags) unnormalised tag scores.
            tags: (batch, seq_len) long gold tags; values past the mask are ignored.
            mask: (batch, seq_len) bool, left-aligned.

        Returns:
            (batch,) log p(tags | emissions). A gold sequence that uses a forbidden
            transition scores about -1e4 lower instead of -inf.
        """
        self._validate(emissions, mask, tags)
        return self._gold_score(emissions, tags, mask) - self._log_partition(
            emissions, mask
        )

    def log_partition(self, emissions: Tensor, mask: Tensor) -> Tensor:
        """Log of the partition function, by the forward algorithm.

        Args:
            emissions: (batch, seq_len, num_tags) unnormalised tag scores.
            mask: (batch, seq_len) bool, left-aligned.

        Returns:
            (batch,) log Z, summed over every permitted tag sequence.
        """
        self._validate(emissions, mask)
        return self._log_partition(emissions, mask)

    def nll(self, emissions: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        """Training loss: mean over the batch of the negative log-likelihood.

        Args:
            emissions: (batch, seq_len, num_tags) unnormalised tag scores.
            tags: (batch, seq_len) long gold tags.
            mask: (batch, seq_len) bool, left-aligned.

        Returns:
            Scalar tensor.
        """
        return -self.log_likelihood(emissions, tags, mask).mean()

    def decode(self, emissions: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """Best tag sequence of each sentence, by the Viterbi algorithm.

        Args:
            emissions: (batch, seq_len, num_tags) unnormalised tag scores.
            mask: (batch, seq_len) bool, left-aligned.

        Returns:
            paths: (batch, seq_len) long, 0 past each sentence's end; no path uses
                a forbidden transition as long as some permitted path exists.
            scores: (batch,) score of each best path (unnormalised).
        """
        self._validate(emissions, mask)
        batch, seq_len, num_tags = emissions.shape
        _, shortest, longest = _lengths(mask)
        # -inf (not NEG) so that no emission, however large, buys a forbidden step.
        trans = self.transitions.masked_fill(~self.allowed, float("-inf"))
        start = self.start_transitions.masked_fill(~self.allowed_start, float("-inf"))
        end = self.end_transitions.masked_fill(~self.allowed_end, float("-inf"))

        steps = emissions.unbind(1)
        # shape: (batch, num_tags)
        score = start + steps[0]
        # Padding steps point each tag to itself, so that backtracking can start
        # from the last column for every sentence.
        # shape: (batch, num_tags)
        stay = torch.arange(num_tags, device=emissions.device).expand(batch, -1)
        pointers = [stay]
        for t in range(1, longest):
            # shape: (batch, num_tags, num_tags)
            candidates = score.unsqueeze(2) + trans
            # shape: (batch, num_tags)
            best, pointer = candidates.max(dim=1)
            best = best + steps[t]
            if t >= shortest:
                on = mask[:, t].unsqueeze(1)
                best = torch.where(on, best, score)
                pointer = torch.where(on, pointer, stay)
            score = best
            pointers.append(pointer)
        # history[t, b, j]: best tag at t - 1 given tag j at t, kept on the device.
        # shape: (longest, batch, num_tags)
        history = torch.stack(pointers)

        # shape: (batch,), (batch, 1)
        best_score, tag = (score + end).max(dim=1, keepdim=True)
        best_score = best_score.squeeze(1)
        tags = [tag]
        for pointer in history[1:].flip(0).unbind(0):
            tag = pointer.gather(1, tag)
            tags.append(tag)
        # shape: (batch, seq_len)
        paths = torch.cat(tags[::-1], dim=1)
        if longest < seq_len:
            paths = nn.functional.pad(paths, (0, seq_len - longest))
        return paths.masked_fill_(~mask, 0), best_score

    def _log_partition(self, emissions: Tensor, mask: Tensor) -> Tensor:
        return _LogPartition.apply(
            emissions,
            mask,
            self.transitions,
            self.start_transitions,
            self.end_transitions,
            self.allowed,
            self.allowed_start,
            self.allowed_end,
        )

    def _gold_score(self, emissions: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        # Padding may hold any value (e.g. -100); make it a valid index.
        tags = tags.masked_fill(~mask, 0)
        trans = self.transitions.masked_fill(~self.allowed, NEG)
        start = self.start_transitions.masked_fill(~self.allowed_start, NEG)
        end = self.end_transitions.masked_fill(~self.allowed_end, NEG)
        # shape: (batch, seq_len)
        emitted = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)
        # shape: (batch, seq_len - 1)
        stepped = trans[tags[:, :-1], tags[:, 1:]]
        # shape: (batch,)
        last = tags.gather(1, mask.sum(1, keepdim=True) - 1).squeeze(1)
        return (
            start[tags[:, 0]]
            + torch.where(mask, emitted, 0).sum(1)
            + torch.where(mask[:, 1:], stepped, 0).sum(1)
            + end[last]
        )

    def _validate(
        self, emissions: Tensor, mask: Tensor, tags: Tensor | None = None
    ) -> None:
        if emissions.dim() != 3:
            raise ValueError(
                "emissions must be (batch, seq_len, num_tags), "
                f"got {emissions.dim()} dimensions"
            )
        if emissions.size(2) != self.num_tags:
            raise ValueError(
                f"emissions has {emissions.size(2)} tags, expected {self.num_tags}"
            )
        if emissions.size(1) == 0:
            raise ValueError("emissions must have at least one timestep")
        if mask.dtype != torch.bool:
            raise ValueError(f"mask must be a bool tensor, got {mask.dtype}")
        if mask.shape != emissions.shape[:2]:
            raise ValueError(
                f"mask has shape {tuple(mask.shape)}, "
                f"expected {tuple(emissions.shape[:2])}"
            )
        if tags is not None:
            if tags.dtype != torch.long:
                raise ValueError(f"tags must be a long tensor, got {tags.dtype}")
            if tags.shape != emissions.shape[:2]:
                raise ValueError(
                    f"tags has shape {tuple(tags.shape)}, "
                    f"expected {tuple(emissions.shape[:2])}"
                )
            used = tags[mask]
            if used.numel() and (used.min() < 0 or used.max() >= self.num_tags):
                raise ValueError(
                    f"tags must be in [0, {self.num_tags}), got values from "
                    f"{int(used.min())} to {int(used.max())}"
                )
        if not mask[:, 0].all():
            raise ValueError("mask of the first timestep must all be on")
        if (mask[:, 1:] & ~mask[:, :-1]).any():
            raise ValueError("mask must be left-aligned: ones then zeros in each row")


class _LogPartition(torch.autograd.Function):
    """log Z by the forward algorithm, with the gradient from forward-backward.

    The gradient of log Z is the tag marginals, so backward runs the backward
    recursion instead of letting autograd replay ~8 small ops per time step.
    """

    @staticmethod
    def forward(
        ctx: FunctionCtx,
        emissions: Tensor,
        mask: Tensor,
        transitions: Tensor,
        start_transitions: Tensor,
        end_transitions: Tensor,
        allowed: Tensor,
        allowed_start: Tensor,
        allowed_end: Tensor,
    ) -> Tensor:
        batch, seq_len, num_tags = emissions.shape
        dtype = emissions.dtype
        lengths, shortest, longest = _lengths(mask)
        # Nothing past the longest sentence matters.
        # shape: (batch, longest, num_tags)
        emissions = emissions[:, :longest]
        log_trans = transitions.to(dtype).masked_fill(~allowed, NEG)
        start = start_transitions.to(dtype).masked_fill(~allowed_start, NEG)
        end = end_transitions.to(dtype).masked_fill(~allowed_end, NEG)
        # Exp-space transitions, shifted so the largest is 1; forbidden ones are 0.
        shift = log_trans.max()
        exp_trans = (log_trans - shift).exp_().masked_fill_(~allowed, 0.0)

        # shape: (batch, num_tags)
        alpha = start + emissions[:, 0]
        alphas = [alpha]
        steps = (emissions + shift).unbind(1)
        for t in range(1, longest):
            nxt = _logmatmulexp(alpha, exp_trans, steps[t])
            if t >= shortest:
                nxt = torch.where(mask[:, t].unsqueeze(1), nxt, alpha)
            alpha = nxt
            alphas.append(alpha)
        # shape: (batch,)
        log_z = torch.logsumexp(alpha + end, dim=1)

        ctx.save_for_backward(
            emissions,
            mask,
            torch.stack(alphas, dim=1),
            log_trans,
            exp_trans,
            shift,
            end,
            log_z,
            lengths,
        )
        ctx.sizes = (seq_len, shortest, longest)
        ctx.dtypes = (transitions.dtype, start_transitions.dtype, end_transitions.dtype)
        return log_z

    @staticmethod
    @once_differentiable
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor | None, ...]:
        (emissions, mask, alphas, log_trans, exp_trans, shift, end, log_z, lengths) = (
            ctx.saved_tensors
        )
        seq_len, shortest, longest = ctx.sizes
        batch, _, num_tags = alphas.shape
        need_em, _, need_trans, need_start, need_end = ctx.needs_input_grad[:5]

        # betas[b, t, i]: log-sum of the scores after tag i at t, end included.
        # shape: (batch, num_tags)
        beta = end.expand(batch, num_tags)
        betas = [beta]
        steps = emissions.unbind(1)
        exp_trans_t = exp_trans.t()
        for t in range(longest - 1, 0, -1):
            prv = _logmatmulexp(steps[t] + beta, exp_trans_t, shift)
            if t >= shortest:
                prv = torch.where(mask[:, t].unsqueeze(1), prv, end)
            beta = prv
            betas.append(beta)
        # shape: (batch, longest, num_tags)
        betas = torch.stack(betas[::-1], dim=1)

        on = mask[:, :longest]
        # Marginals p(tag_t = j), times the incoming gradient, zero on padding.
        # shape: (batch, longest, num_tags)
        unary = (alphas + betas - log_z[:, None, None]).exp_()
        unary.mul_((grad[:, None] * on).unsqueeze(2))

        grad_em = grad_trans = grad_start = grad_end = None
        if need_em:
            # shape: (batch, seq_len, num_tags)
            grad_em = unary.new_zeros((batch, seq_len, num_tags))
            grad_em[:, :longest] = unary
        if need_start:
            # shape: (num_tags,)
            grad_start = unary[:, 0].sum(0).to(ctx.dtypes[1])
        if need_end:
            last = (lengths - 1).view(batch, 1, 1).expand(batch, 1, num_tags)
            # shape: (num_tags,)
            grad_end = unary.gather(1, last).sum(0).squeeze(0).to(ctx.dtypes[2])
        if need_trans:
            grad_trans = _pair_marginals(
                alphas, betas, emissions, log_trans, log_z, grad, on
            ).to(ctx.dtypes[0])
        return grad_em, None, grad_trans, grad_start, grad_end, None, None, None


def _logmatmulexp(scores: Tensor, exp_trans: Tensor, add: Tensor) -> Tensor:
    """log(exp(scores) @ exp_trans) + add, stable: shift each row by its max.

    A zero sum (a tag no permitted transition reaches) is floored at NEG below the
    row's scale instead of -inf, so later steps and backward stay finite.
    """
    # shape: (batch, 1)
    top = scores.amax(dim=1, keepdim=True)
    # shape: (batch, num_tags)
    out = torch.mm((scores - top).exp_(), exp_trans)
    return out.log_().clamp_min_(NEG).add_(top).add_(add)


def _pair_marginals(
    alphas: Tensor,
    betas: Tensor,
    emissions: Tensor,
    log_trans: Tensor,
    log_z: Tensor,
    grad: Tensor,
    on: Tensor,
) -> Tensor:
    """Sum over sentences and steps of grad * p(tag_{t-1} = i, tag_t = j)."""
    batch, longest, num_tags = alphas.shape
    # Padding steps are pushed to NEG so their exp() is exactly zero, whatever
    # the (unused) padding emissions hold.
    # shape: (batch, longest - 1, num_tags)
    before = torch.where(
        on[:, 1:, None], alphas[:, :-1] - log_z[:, None, None], 2 * NEG
    )
    after = torch.where(on[:, 1:, None], emissions[:, 1:] + betas[:, 1:], 2 * NEG)
    # Done in log space, one block of steps at a time: a rank-1 split in exp space
    # can overflow when the best previous and next tags may not follow each other.
    step = max(1, (1 << 22) // max(1, batch * num_tags * num_tags))
    total = log_trans.new_zeros((num_tags, num_tags))
    for lo in range(0, longest - 1, step):
        # shape: (batch, step, num_tags, num_tags)
        pair = before[:, lo : lo + step, :, None] + log_trans
        pair = pair.add_(after[:, lo : lo + step, None, :]).exp_()
        total += torch.einsum("b,btij->ij", grad, pair)
    return total


def _lengths(mask: Tensor) -> tuple[Tensor, int, int]:
    """Sentence lengths, and the shortest and longest (the recursions' bounds)."""
    # shape: (batch,)
    lengths = mask.sum(1)
    if lengths.numel() == 0:
        return lengths, mask.size(1), mask.size(1)
    low, high = torch.aminmax(lengths)
    return lengths, int(low), int(high)


def _bool_mask(value: Tensor | None, shape: tuple[int, ...], name: str) -> Tensor:
    if value is None:
        return torch.ones(shape, dtype=torch.bool)
    if value.dtype != torch.bool:
        raise ValueError(f"{name} must be a bool tensor, got {value.dtype}")
    if tuple(value.shape) != shape:
        raise ValueError(f"{name} has shape {tuple(value.shape)}, expected {shape}")
    return value.detach().clone()
