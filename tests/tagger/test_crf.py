"""Tests for seqcli.tagger.crf: brute-force oracle, pytorch-crf agreement, constrained
decoding (the constraints themselves: test_schemes.py)."""

import itertools
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcli.tagger.crf import CRF
from seqcli.tagger.schemes import transition_constraints

pytestmark = pytest.mark.numeric

torch.manual_seed(1234)

BIOES_LABELS = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "E-LOC", "S-LOC"]


def make_crf(num_tags: int = 5, constraints=None, dtype=torch.float64) -> CRF:
    allowed = constraints or (None, None, None)
    crf = CRF(num_tags, *allowed).to(dtype)
    # Larger than the default init so that paths differ clearly in score.
    for p in crf.parameters():
        torch.nn.init.uniform_(p, -1.0, 1.0)
    return crf


def make_emissions(crf: CRF, batch: int = 3, seq_len: int = 4, scale=1.0):
    dtype = crf.transitions.dtype
    return (
        scale * torch.randn(batch, seq_len, crf.num_tags, dtype=dtype)
    ).requires_grad_()


def make_tags(crf: CRF, batch: int = 3, seq_len: int = 4) -> torch.Tensor:
    return torch.randint(crf.num_tags, (batch, seq_len))


def make_mask(lengths: list[int], seq_len: int) -> torch.Tensor:
    return torch.arange(seq_len) < torch.tensor(lengths).unsqueeze(1)


def random_constraints(num_tags: int) -> tuple[torch.Tensor, ...]:
    """Forbid some transitions, keep tag 0 free everywhere so a path always exists,
    and make the last tag unreachable (no start, no incoming transition)."""
    allowed = torch.rand(num_tags, num_tags) < 0.6
    allowed[:, 0] = allowed[0, :] = True
    allowed[:, -1] = False
    start = torch.rand(num_tags) < 0.6
    start[0], start[-1] = True, False
    end = torch.rand(num_tags) < 0.6
    end[0] = True
    return allowed, start, end


def path_score(crf: CRF, emissions: torch.Tensor, path: tuple[int, ...]):
    """Score of one path over one sentence's emissions (seq_len, num_tags)."""
    score = crf.start_transitions[path[0]] + crf.end_transitions[path[-1]]
    for t, tag in enumerate(path):
        score = score + emissions[t, tag]
        if t:
            score = score + crf.transitions[path[t - 1], tag]
    return score


def path_allowed(crf: CRF, path: tuple[int, ...]) -> bool:
    return (
        bool(crf.allowed_start[path[0]])
        and bool(crf.allowed_end[path[-1]])
        and all(crf.allowed[a, b] for a, b in itertools.pairwise(path))
    )


def brute_force(crf: CRF, emissions: torch.Tensor, mask: torch.Tensor):
    """Per sentence: (log Z, best path, best score, {path: score}), by enumeration."""
    results = []
    for em, on in zip(emissions, mask, strict=True):
        length = int(on.sum())
        scores = {
            path: path_score(crf, em, path)
            for path in itertools.product(range(crf.num_tags), repeat=length)
            if path_allowed(crf, path)
        }
        log_z = torch.logsumexp(torch.stack(list(scores.values())), 0)
        best = max(scores, key=lambda p: scores[p].item())
        results.append((log_z, best, scores[best], scores))
    return results


def pad(path: tuple[int, ...], seq_len: int) -> list[int]:
    return list(path) + [0] * (seq_len - len(path))


CASES = [
    pytest.param(5, 4, [4, 2, 1], id="5tags-varied-lengths"),
    pytest.param(3, 4, [4, 4], id="3tags-full"),
    pytest.param(4, 3, [3, 1, 2], id="4tags-short"),
]


@pytest.mark.parametrize("constrained", [False, True], ids=["free", "constrained"])
@pytest.mark.parametrize("num_tags,seq_len,lengths", CASES)
class TestBruteForce:
    def build(self, num_tags, seq_len, lengths, constrained):
        constraints = random_constraints(num_tags) if constrained else None
        crf = make_crf(num_tags, constraints)
        emissions = make_emissions(crf, len(lengths), seq_len)
        mask = make_mask(lengths, seq_len)
        return crf, emissions, mask, brute_force(crf, emissions, mask)

    def test_log_partition(self, num_tags, seq_len, lengths, constrained):
        crf, emissions, mask, oracle = self.build(
            num_tags, seq_len, lengths, constrained
        )
        expected = torch.stack([log_z for log_z, *_ in oracle])
        torch.testing.assert_close(crf.log_partition(emissions, mask), expected)

    def test_log_likelihood(self, num_tags, seq_len, lengths, constrained):
        crf, emissions, mask, oracle = self.build(
            num_tags, seq_len, lengths, constrained
        )
        # Score every permitted path of each sentence, one batch per sentence.
        for b, (log_z, _, _, scores) in enumerate(oracle):
            paths = list(scores)
            tags = torch.tensor([pad(p, seq_len) for p in paths])
            em = emissions[b : b + 1].expand(len(paths), -1, -1)
            on = mask[b : b + 1].expand(len(paths), -1)
            expected = torch.stack([scores[p] for p in paths]) - log_z
            torch.testing.assert_close(crf.log_likelihood(em, tags, on), expected)
            # Probabilities of all permitted paths sum to one.
            total = crf.log_likelihood(em, tags, on).exp().sum()
            torch.testing.assert_close(total, torch.ones_like(total))

    def test_decode(self, num_tags, seq_len, lengths, constrained):
        crf, emissions, mask, oracle = self.build(
            num_tags, seq_len, lengths, constrained
        )
        paths, scores = crf.decode(emissions, mask)
        assert paths.dtype == torch.long and paths.shape == (len(lengths), seq_len)
        assert paths.tolist() == [pad(best, seq_len) for _, best, _, _ in oracle]
        torch.testing.assert_close(scores, torch.stack([s for _, _, s, _ in oracle]))

    def test_numpy_viterbi_of_the_exported_graph(
        self, num_tags, seq_len, lengths, constrained
    ):
        """seqcli.tagger.runtime's batched Viterbi (onnxruntime's emissions, the
        runtime JSON's scores with -inf where forbidden) against enumeration."""
        import numpy as np

        from seqcli.tagger.runtime import crf_scores, viterbi

        crf, emissions, mask, oracle = self.build(
            num_tags, seq_len, lengths, constrained
        )
        names = ("allowed", "allowed_start", "allowed_end", "transitions")
        names += ("start_transitions", "end_transitions")
        scores = crf_scores({n: getattr(crf, n).detach().tolist() for n in names})
        with np.errstate(invalid="ignore"):
            paths = viterbi(emissions.detach().numpy(), lengths, *scores)
        assert paths == [list(best) for _, best, _, _ in oracle]

    def test_gradients(self, num_tags, seq_len, lengths, constrained):
        crf, emissions, mask, oracle = self.build(
            num_tags, seq_len, lengths, constrained
        )
        weights = torch.rand(len(lengths), dtype=emissions.dtype)
        inputs = [emissions, *crf.parameters()]
        got = torch.autograd.grad(
            (crf.log_partition(emissions, mask) * weights).sum(), inputs
        )
        expected_z = torch.stack([log_z for log_z, *_ in oracle])
        expected = torch.autograd.grad((expected_z * weights).sum(), inputs)
        for g, e in zip(got, expected, strict=True):
            torch.testing.assert_close(g, e)


def test_nll_is_mean_negative_log_likelihood():
    crf = make_crf()
    emissions, tags = make_emissions(crf), make_tags(crf)
    mask = make_mask([4, 3, 1], 4)
    expected = -crf.log_likelihood(emissions, tags, mask).mean()
    torch.testing.assert_close(crf.nll(emissions, tags, mask), expected)


class _Scored(CRF):
    # functional_call needs a forward to swap the parameters for gradcheck's.
    forward = CRF.log_likelihood


def test_gradcheck_with_constraints():
    crf = _Scored(4, *random_constraints(4)).double()
    emissions = make_emissions(crf, 3, 5)
    tags = make_tags(crf, 3, 5)
    mask = make_mask([5, 2, 4], 5)
    names = [name for name, _ in crf.named_parameters()]

    def loss(em, *params):
        swapped = dict(zip(names, params, strict=True))
        return torch.func.functional_call(crf, swapped, (em, tags, mask))

    params = [p.detach().clone().requires_grad_() for p in crf.parameters()]
    assert torch.autograd.gradcheck(loss, (emissions, *params))


def test_batched_equals_per_sentence():
    crf = make_crf(6, random_constraints(6), dtype=torch.float32)
    lengths = [7, 3, 5, 1, 7]
    emissions = make_emissions(crf, len(lengths), 7)
    tags, mask = make_tags(crf, len(lengths), 7), make_mask(lengths, 7)
    ll = crf.log_likelihood(emissions, tags, mask)
    paths, scores = crf.decode(emissions, mask)
    for b, n in enumerate(lengths):
        em, tg = emissions[b : b + 1, :n], tags[b : b + 1, :n]
        on = torch.ones(1, n, dtype=torch.bool)
        torch.testing.assert_close(crf.log_likelihood(em, tg, on), ll[b : b + 1])
        path, score = crf.decode(em, on)
        assert path[0].tolist() == paths[b, :n].tolist()
        assert paths[b, n:].eq(0).all()
        torch.testing.assert_close(score, scores[b : b + 1])


def test_padding_values_are_ignored():
    crf = make_crf()
    emissions, tags = make_emissions(crf), make_tags(crf)
    mask = make_mask([4, 2, 3], 4)
    noisy_em = emissions.detach().masked_fill(~mask.unsqueeze(2), float("-inf"))
    noisy_tags = tags.masked_fill(~mask, -100)
    noisy_em.requires_grad_()
    ll = crf.log_likelihood(noisy_em, noisy_tags, mask)
    torch.testing.assert_close(ll, crf.log_likelihood(emissions, tags, mask))
    ll.sum().backward()
    assert torch.isfinite(noisy_em.grad).all()
    assert noisy_em.grad[~mask].eq(0).all()
    assert (
        crf.decode(noisy_em, mask)[0].tolist()
        == crf.decode(emissions, mask)[0].tolist()
    )


def test_unreachable_tag_gives_finite_gradients():
    crf = make_crf(4, dtype=torch.float32)
    # Tag 3 can neither start a sentence nor be entered: it never appears.
    crf.allowed[:, 3] = False
    crf.allowed_start[3] = False
    emissions = make_emissions(crf, 2, 6)
    # A huge emission on the unreachable tag must not buy it any probability.
    emissions.data[:, :, 3] = 200.0
    tags, mask = make_tags(crf, 2, 6) % 3, make_mask([6, 4], 6)
    loss = crf.nll(emissions, tags, mask)
    loss.backward()
    assert torch.isfinite(loss)
    for t in [emissions, *crf.parameters()]:
        assert torch.isfinite(t.grad).all()
    assert emissions.grad[:, :, 3].abs().max() == 0
    assert crf.transitions.grad[:, 3].abs().max() == 0
    free = CRF(3)
    free.load_state_dict(
        {
            "transitions": crf.transitions[:3, :3],
            "start_transitions": crf.start_transitions[:3],
            "end_transitions": crf.end_transitions[:3],
            "allowed": torch.ones(3, 3, dtype=torch.bool),
            "allowed_start": torch.ones(3, dtype=torch.bool),
            "allowed_end": torch.ones(3, dtype=torch.bool),
        }
    )
    expected = free.log_partition(emissions[:, :, :3], mask)
    torch.testing.assert_close(crf.log_partition(emissions, mask), expected)
    assert crf.decode(emissions, mask)[0].max() < 3


def test_large_emissions_stay_finite_and_exact():
    # Strong emissions against a forbidden transition: exp-space underflows here.
    labels = ["O", "B-PER", "I-PER", "E-PER", "S-PER"]
    crf = make_crf(5, transition_constraints(labels, "bioes"))
    emissions = make_emissions(crf, 2, 4, scale=100.0)
    emissions.data[:, 1, 2] = 300.0  # I-PER, reachable only after B-PER
    emissions.data[:, 0, 1] = -300.0  # ... which is very unlikely at step 0
    mask = make_mask([4, 3], 4)
    oracle = brute_force(crf, emissions, mask)
    log_z = crf.log_partition(emissions, mask)
    torch.testing.assert_close(log_z, torch.stack([z for z, *_ in oracle]))
    log_z.sum().backward()
    assert all(torch.isfinite(t.grad).all() for t in [emissions, *crf.parameters()])


def test_forbidden_gold_path_is_finite_and_improbable():
    labels = ["O", "B-PER", "I-PER"]
    crf = make_crf(3, transition_constraints(labels, "iob2"), dtype=torch.float32)
    emissions = make_emissions(crf, 1, 3)
    tags = torch.tensor([[0, 2, 2]])  # O -> I-PER is forbidden in IOB2
    ll = crf.log_likelihood(emissions, tags, make_mask([3], 3))
    ll.backward()
    assert torch.isfinite(ll).all() and ll.item() < -1000
    assert torch.isfinite(emissions.grad).all()


def test_single_step_and_empty_batch():
    crf = make_crf()
    emissions, mask = make_emissions(crf, 2, 1), make_mask([1, 1], 1)
    expected = torch.logsumexp(
        crf.start_transitions + emissions[:, 0] + crf.end_transitions, dim=1
    )
    torch.testing.assert_close(crf.log_partition(emissions, mask), expected)
    paths, _ = crf.decode(emissions, mask)
    assert paths.shape == (2, 1)
    empty = make_emissions(crf, 0, 3)
    assert crf.log_partition(empty, make_mask([], 3)).shape == (0,)
    assert crf.decode(empty, make_mask([], 3))[0].shape == (0, 3)


class TestAgainstPytorchCrf:
    @staticmethod
    def pair(num_tags: int):
        import torchcrf  # pytorch-crf is in the dev extra: missing, this fails

        ours = make_crf(num_tags, dtype=torch.float32)
        theirs = torchcrf.CRF(num_tags, batch_first=True)
        theirs.load_state_dict(
            {k: v for k, v in ours.state_dict().items() if not k.startswith("allowed")}
        )
        return ours, theirs

    @pytest.mark.parametrize("num_tags", [3, 9, 17])
    def test_log_likelihood_and_gradients(self, num_tags):
        ours, theirs = self.pair(num_tags)
        lengths = [12, 5, 1, 9, 12, 7]
        emissions = make_emissions(ours, len(lengths), 12, scale=3.0)
        tags, mask = make_tags(ours, len(lengths), 12), make_mask(lengths, 12)
        got = ours.log_likelihood(emissions, tags, mask)
        expected = theirs(emissions, tags, mask, reduction="none")
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-4)
        names = ["transitions", "start_transitions", "end_transitions"]
        g1 = torch.autograd.grad(
            got.sum(), [emissions] + [getattr(ours, n) for n in names]
        )
        g2 = torch.autograd.grad(
            expected.sum(), [emissions] + [getattr(theirs, n) for n in names]
        )
        # the gradients are tag marginals, exp(alpha + beta - log Z) with log-sums of
        # magnitude about 100 here (12 steps of scale-3 emissions): float32 rounds
        # those to about 1e-5, and another summation order (another instruction
        # set: AVX2 measured 1.2e-5) moves a marginal by as much
        for a, b in zip(g1, g2, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=5e-5)

    @pytest.mark.parametrize("num_tags", [3, 9, 17])
    def test_viterbi_paths(self, num_tags):
        ours, theirs = self.pair(num_tags)
        lengths = [10, 4, 1, 10, 6]
        emissions = make_emissions(ours, len(lengths), 10)
        mask = make_mask(lengths, 10)
        paths, _ = ours.decode(emissions, mask)
        expected = theirs.decode(emissions, mask)
        assert [p[:n] for p, n in zip(paths.tolist(), lengths, strict=True)] == expected


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    lengths=st.lists(st.integers(1, 9), min_size=1, max_size=4),
    scale=st.sampled_from([0.1, 1.0, 10.0, 1000.0]),
    scheme=st.sampled_from(["iob1", "iob2", "bioes"]),
)
def test_decoded_paths_respect_constraints(seed, lengths, scale, scheme):
    labels = (
        BIOES_LABELS if scheme == "bioes" else ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    )
    allowed, start, end = transition_constraints(labels, scheme)
    gen = torch.Generator().manual_seed(seed)
    crf = CRF(len(labels), allowed, start, end)
    seq_len = max(lengths)
    emissions = scale * torch.randn(len(lengths), seq_len, len(labels), generator=gen)
    mask = make_mask(lengths, seq_len)
    paths, scores = crf.decode(emissions, mask)
    for path, n in zip(paths.tolist(), lengths, strict=True):
        path = path[:n]
        assert start[path[0]] and end[path[-1]]
        assert all(allowed[a, b] for a, b in itertools.pairwise(path))
    # The returned score is the decoded path's own score.
    gold = crf.log_likelihood(emissions, paths, mask) + crf.log_partition(
        emissions, mask
    )
    torch.testing.assert_close(scores, gold, rtol=1e-5, atol=1e-3 * scale)


class TestValidation:
    def test_wrong_number_of_tags(self):
        crf = make_crf(5)
        with pytest.raises(ValueError, match="emissions has 4 tags, expected 5"):
            crf.log_partition(torch.randn(2, 3, 4), make_mask([3, 3], 3))

    def test_first_timestep_off(self):
        crf = make_crf(5)
        mask = make_mask([3, 3], 3)
        mask[1, 0] = False
        with pytest.raises(
            ValueError, match="mask of the first timestep must all be on"
        ):
            crf.decode(make_emissions(crf, 2, 3), mask)

    def test_mask_not_left_aligned(self):
        crf = make_crf(5)
        mask = torch.tensor([[True, False, True]])
        with pytest.raises(ValueError, match="mask must be left-aligned"):
            crf.log_partition(make_emissions(crf, 1, 3), mask)

    def test_mask_shape_and_dtype(self):
        crf = make_crf(5)
        emissions = make_emissions(crf, 2, 3)
        with pytest.raises(
            ValueError, match=r"mask has shape \(2, 4\), expected \(2, 3\)"
        ):
            crf.log_partition(emissions, make_mask([4, 4], 4))
        with pytest.raises(ValueError, match="mask must be a bool tensor"):
            crf.log_partition(emissions, make_mask([3, 3], 3).long())

    def test_tags(self):
        crf = make_crf(5)
        emissions, mask = make_emissions(crf, 2, 3), make_mask([3, 2], 3)
        with pytest.raises(ValueError, match=r"tags has shape \(2, 2\)"):
            crf.nll(emissions, make_tags(crf, 2, 2), mask)
        with pytest.raises(ValueError, match="tags must be a long tensor"):
            crf.nll(emissions, make_tags(crf, 2, 3).int(), mask)
        with pytest.raises(ValueError, match=r"tags must be in \[0, 5\)"):
            crf.nll(emissions, torch.full((2, 3), 5), mask)

    def test_emissions_dims(self):
        crf = make_crf(5)
        with pytest.raises(ValueError, match="emissions must be"):
            crf.log_partition(torch.randn(3, 5), make_mask([3], 3))

    def test_constructor(self):
        with pytest.raises(ValueError, match="invalid number of tags: 0"):
            CRF(0)
        with pytest.raises(ValueError, match=r"allowed has shape \(3, 3\), expected"):
            CRF(4, allowed=torch.ones(3, 3, dtype=torch.bool))
        with pytest.raises(ValueError, match="allowed_end must be a bool tensor"):
            CRF(4, allowed_end=torch.ones(4))


def test_constraints_are_saved_with_the_model():
    crf = CRF(3, *transition_constraints(["O", "B-X", "I-X"], "iob2"))
    clone = CRF(3)
    clone.load_state_dict(crf.state_dict())
    assert not clone.allowed[0, 2] and not clone.allowed_start[2]
    assert math.isfinite(
        clone.nll(
            torch.randn(1, 2, 3), torch.zeros(1, 2).long(), make_mask([2], 2)
        ).item()
    )
