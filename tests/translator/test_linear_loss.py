"""The fused output layer + cross-entropy against PyTorch's two-step version."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcli.translator import linear_loss
from seqcli.translator.linear_loss import linear_cross_entropy


@pytest.fixture(autouse=True, scope="module")
def small_chunks():
    """Chunks of 7 rows, so that most examples span several chunks."""
    before = linear_loss.CHUNK
    linear_loss.CHUNK = 7
    yield
    linear_loss.CHUNK = before


def both(x, w, b, y, smoothing):
    """(loss, gradients of x, w, b) from the fused and from the reference version."""
    out = []
    for loss_fn in (
        lambda: linear_cross_entropy(x, w, b, y, smoothing),
        lambda: F.cross_entropy(F.linear(x, w, b), y, label_smoothing=smoothing),
    ):
        loss = loss_fn()
        # a scale other than 1 checks that backward uses the incoming gradient
        out.append((loss.detach(), *torch.autograd.grad(2.5 * loss, (x, w, b))))
    return out


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 40),
    vocab=st.integers(2, 30),
    smoothing=st.sampled_from([0.0, 0.1, 0.35]),
    scale=st.sampled_from([0.1, 1.0, 30.0]),
    seed=st.integers(0, 10_000),
)
def test_loss_and_gradients_equal_the_two_step_version(
    rows, vocab, smoothing, scale, seed
):
    g = torch.Generator().manual_seed(seed)
    x = (
        scale * torch.randn(rows, 6, generator=g, dtype=torch.float64)
    ).requires_grad_()
    w = torch.randn(vocab, 6, generator=g, dtype=torch.float64).requires_grad_()
    b = torch.randn(vocab, generator=g, dtype=torch.float64).requires_grad_()
    y = torch.randint(0, vocab, (rows,), generator=g)
    fused, reference = both(x, w, b, y, smoothing)
    for a, r in zip(fused, reference, strict=True):
        torch.testing.assert_close(a, r)


def test_confident_wrong_predictions_give_finite_exact_losses():
    # logits of ±1000: a naive softmax overflows, log p of the gold word is -2000
    x = torch.tensor([[1000.0], [-1000.0]], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([[1.0], [-1.0]], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1, 0])
    (fused, *grads), (reference, *ref_grads) = both(x, w, b, y, 0.1)
    # -log p(gold) = 2000 and the mean -log p over both words 1000, per row
    assert fused.item() == pytest.approx(0.9 * 2000 + 0.1 * 1000, rel=1e-9)
    torch.testing.assert_close(fused, reference)
    for a, r in zip(grads, ref_grads, strict=True):
        torch.testing.assert_close(a, r)


def test_float32_at_a_translators_shape_matches_within_rounding():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 64, generator=g).requires_grad_()
    w = (0.1 * torch.randn(2000, 64, generator=g)).requires_grad_()
    b = torch.zeros(2000, requires_grad=True)
    y = torch.randint(0, 2000, (300,), generator=g)
    fused, reference = both(x, w, b, y, 0.1)
    assert fused[0].item() > 1.0  # an untrained model: a loss near log(2000)
    for a, r in zip(fused, reference, strict=True):
        torch.testing.assert_close(a, r, rtol=1e-5, atol=1e-6)


# --- sampled softmax ---


def test_sample_words_keeps_the_targets_and_draws_distinct_others():
    from seqcli.translator.linear_loss import sample_words

    g = torch.Generator().manual_seed(0)
    words, log_count = sample_words(torch.tensor([5, 2, 5]), 10, 3, g)
    assert words[:2].tolist() == [2, 5] and log_count[:2].tolist() == [0.0, 0.0]
    drawn = words[2:].tolist()
    assert len(set(drawn)) == 3 and not {2, 5} & set(drawn)
    # each drawn word stands for 8 / 3 of the 8 other words
    torch.testing.assert_close(log_count[2:], torch.full((3,), math.log(8 / 3)))
    # asking for more than there are gives every word once, standing for itself
    words, log_count = sample_words(torch.tensor([1]), 4, 9, g)
    assert sorted(words.tolist()) == [0, 1, 2, 3] and not log_count.any()


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_sampled_loss_and_gradients_follow_the_hand_written_formula(smoothing):
    """Per row: -(1 - ε) z_gold - ε mean(z over all words) + log Σ count e^z over
    the sampled words, and autograd of that formula gives the gradients."""
    from seqcli.translator.linear_loss import sample_words

    g = torch.Generator().manual_seed(3)
    x = torch.randn(11, 5, generator=g, dtype=torch.float64).requires_grad_()
    w = torch.randn(20, 5, generator=g, dtype=torch.float64).requires_grad_()
    b = torch.randn(20, generator=g, dtype=torch.float64).requires_grad_()
    y = torch.randint(0, 20, (11,), generator=g)
    torch.manual_seed(7)
    loss = linear_cross_entropy(x, w, b, y, smoothing, samples=6)
    grads = torch.autograd.grad(2.5 * loss, (x, w, b))
    torch.manual_seed(7)
    words, log_count = sample_words(y, 20, 6)
    z = F.linear(x, w, b)
    normaliser = torch.logsumexp(z[:, words] + log_count.double(), 1)
    gold = z.gather(1, y[:, None]).squeeze(1)
    expected = (normaliser - (1 - smoothing) * gold - smoothing * z.mean(1)).mean()
    torch.testing.assert_close(loss, expected)
    for a, r in zip(grads, torch.autograd.grad(2.5 * expected, (x, w, b)), strict=True):
        torch.testing.assert_close(a, r)
    # the sample is a strict part of the vocabulary here, so the loss differs from
    # the full one; with room for every word it is the full loss
    full = F.cross_entropy(F.linear(x, w, b), y, label_smoothing=smoothing)
    assert not torch.isclose(loss, full)
    torch.testing.assert_close(linear_cross_entropy(x, w, b, y, smoothing, 20), full)


def test_the_sampled_normaliser_is_unbiased():
    """exp(sampled loss - full loss) = Ẑ / Z for one row without smoothing; its
    mean over many draws is 1."""
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1, 4, generator=g, dtype=torch.float64)
    w = torch.randn(30, 4, generator=g, dtype=torch.float64)
    b = torch.randn(30, generator=g, dtype=torch.float64)
    y = torch.tensor([3])
    full = F.cross_entropy(F.linear(x, w, b), y)
    torch.manual_seed(0)
    ratios = torch.stack(
        [(linear_cross_entropy(x, w, b, y, 0.0, 5) - full).exp() for _ in range(4000)]
    )
    assert ratios.std() > 0.05  # the draws differ
    assert ratios.mean().item() == pytest.approx(1.0, abs=0.02)
