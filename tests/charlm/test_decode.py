"""seqcli.charlm.decode: filtering and sampling the next character (top-k, top-p,
temperature), generation from a trained model, and the fast stepper."""

import pytest
import torch

from seqcli.charlm.decode import Stepper, filter_logits, generate, pick
from seqcli.config import CELLS

from .conftest import PHRASE, VOCAB, encode, learnt

pytestmark = pytest.mark.usefixtures("one_thread")

# --- filtering and sampling ---

LOGITS = torch.log(torch.tensor([[0.5, 0.2, 0.15, 0.1, 0.05]]))


def kept(logits):
    return torch.isfinite(logits)[0].tolist()


def test_top_k_keeps_the_k_largest():
    assert kept(filter_logits(LOGITS, top_k=2)) == [True, True, False, False, False]
    assert kept(filter_logits(LOGITS, top_k=0)) == [True] * 5


def test_top_p_keeps_the_smallest_nucleus_reaching_p():
    # cumulative mass: 0.5, 0.7, 0.85, 0.95, 1.0
    assert kept(filter_logits(LOGITS, top_p=0.5)) == [True, False, False, False, False]
    assert kept(filter_logits(LOGITS, top_p=0.6)) == [True, True, False, False, False]
    assert kept(filter_logits(LOGITS, top_p=0.85)) == [True, True, True, False, False]
    assert kept(filter_logits(LOGITS, top_p=0.01)) == [True, False, False, False, False]
    assert kept(filter_logits(LOGITS, top_p=1.0)) == [True] * 5


def test_top_p_works_on_unsorted_rows():
    logits = LOGITS[:, [3, 0, 4, 2, 1]].repeat(2, 1)
    assert (
        torch.isfinite(filter_logits(logits, top_p=0.6)).tolist()
        == [[False, True, False, False, True]] * 2
    )


def test_temperature_zero_is_argmax():
    logits = torch.randn(8, 30)
    assert torch.equal(pick(logits, temperature=0), logits.argmax(-1))


def test_sampling_follows_the_tempered_distribution():
    g = torch.Generator().manual_seed(0)
    logits = LOGITS.repeat(20_000, 1)
    for temperature in (1.0, 0.5):
        ids = pick(logits, temperature=temperature, generator=g)
        freq = torch.bincount(ids, minlength=5).float() / len(ids)
        expected = (LOGITS[0] / temperature).softmax(-1)
        assert torch.allclose(freq, expected, atol=0.015), temperature


def test_filtered_tokens_are_never_sampled():
    g = torch.Generator().manual_seed(0)
    ids = pick(LOGITS.repeat(5000, 1), temperature=1.0, top_p=0.7, generator=g)
    assert set(ids.tolist()) == {0, 1}


# --- generating from a trained model ---


def test_greedy_generation_reproduces_the_training_string(trained):
    prime = "to be or"
    steps = generate(
        trained, encode(prime).tolist(), length=len(PHRASE) * 2, temperature=0
    )
    text = prime + "".join(VOCAB[i] for (i,) in steps)
    assert text == (PHRASE * 3)[: len(text)]


def test_top_k_1_is_greedy_at_any_temperature(trained):
    prime = encode("that").tolist()
    greedy = list(generate(trained, prime, length=40, temperature=0))
    top1 = list(generate(trained, prime, length=40, temperature=5.0, top_k=1, seed=3))
    assert top1 == greedy


def test_seed_makes_samples_repeatable_and_samples_differ(trained):
    prime = encode("t").tolist()
    a = list(generate(trained, prime, length=60, temperature=3.0, samples=4, seed=7))
    b = list(generate(trained, prime, length=60, temperature=3.0, samples=4, seed=7))
    assert a == b
    streams_ = list(zip(*a, strict=True))
    assert len(set(streams_)) > 1  # the batch holds independent samples


# --- the stepper ---


@pytest.mark.parametrize(
    "rows, quantize, tol",
    [(1, True, 1e-4), (3, False, 1e-4), (3, True, 0.15)],  # numpy, torch, int8
)
def test_stepper_matches_the_model_run_over_the_whole_sequence(
    trained, rows, quantize, tol
):
    x = encode(PHRASE[:20])[None].repeat(rows, 1)
    full, _, _ = trained(x)
    stepper = Stepper(trained, quantize=quantize)
    # two threads (not the module's one), so that the stepper's own switch to one
    # thread for numpy shows if it is not undone
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        logits, state = stepper.prime(x[:, :1])
        assert stepper.numpy == (rows == 1) and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)
    for t in range(1, 20):
        logits, state = stepper.step(x[:, t], state)
        assert torch.allclose(logits, full[:, t], atol=tol), t
        assert torch.equal(logits.argmax(-1), full[:, t].argmax(-1))


@pytest.mark.parametrize("cell", [c for c in CELLS if c != "lstm"])
@pytest.mark.parametrize("rows", [1, 3])
def test_every_cell_steps_as_its_whole_window_forward(cell, rows):
    model = learnt(cell)
    x = encode(PHRASE[:30])[None].repeat(rows, 1)
    full, _, _ = model(x)
    stepper = Stepper(model)
    logits, state = stepper.prime(x[:, :1])
    assert not stepper.numpy
    for t in range(1, 30):
        logits, state = stepper.step(x[:, t], state)
        assert torch.allclose(
            logits.log_softmax(-1), full[:, t].log_softmax(-1), atol=1e-5
        ), t


@pytest.mark.parametrize("cell", [c for c in CELLS if c != "lstm"])
def test_every_cell_learns_the_phrase_and_generates_it_greedily(cell):
    steps = generate(learnt(cell), encode("to be").tolist(), length=60, temperature=0)
    text = "to be" + "".join(VOCAB[i] for (i,) in steps)
    assert text == (PHRASE * 3)[: len(text)]
