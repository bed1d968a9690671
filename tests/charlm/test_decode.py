"""seqcli.charlm.decode: filtering and sampling the next character (top-k, top-p,
temperature), generation from a trained model; the steppers (torch and numpy)."""

import itertools

import numpy as np
import pytest
import torch

from seqcli.charlm.config import CharLMConfig
from seqcli.charlm.decode import beam_search, filter_logits, generate, pick
from seqcli.charlm.model import CharLM
from seqcli.charlm.numpy_model import NumpyLM
from seqcli.charlm.stepper import Stepper
from seqcli.config import CELLS

from .conftest import PHRASE, VOCAB, encode, learnt

pytestmark = pytest.mark.usefixtures("one_thread")

# --- filtering and sampling ---

LOGITS = np.log(np.array([[0.5, 0.2, 0.15, 0.1, 0.05]]))


def kept(logits):
    return np.isfinite(logits)[0].tolist()


def test_top_k_keeps_the_k_largest():
    assert kept(filter_logits(LOGITS, top_k=2)) == [True, True, False, False, False]
    assert kept(filter_logits(LOGITS, top_k=0)) == [True] * 5
    shuffled = LOGITS[:, [3, 0, 4, 2, 1]]
    assert kept(filter_logits(shuffled, top_k=3)) == [False, True, False, True, True]


def test_top_p_keeps_the_smallest_nucleus_reaching_p():
    # cumulative mass: 0.5, 0.7, 0.85, 0.95, 1.0
    assert kept(filter_logits(LOGITS, top_p=0.5)) == [True, False, False, False, False]
    assert kept(filter_logits(LOGITS, top_p=0.6)) == [True, True, False, False, False]
    assert kept(filter_logits(LOGITS, top_p=0.85)) == [True, True, True, False, False]
    assert kept(filter_logits(LOGITS, top_p=0.01)) == [True, False, False, False, False]
    assert kept(filter_logits(LOGITS, top_p=1.0)) == [True] * 5


def test_top_p_works_on_unsorted_rows():
    logits = np.repeat(LOGITS[:, [3, 0, 4, 2, 1]], 2, axis=0)
    assert (
        np.isfinite(filter_logits(logits, top_p=0.6)).tolist()
        == [[False, True, False, False, True]] * 2
    )


def test_temperature_zero_is_argmax():
    logits = np.random.default_rng(0).normal(size=(8, 30))
    rng = np.random.default_rng(1)
    assert (pick(logits, temperature=0, rng=rng) == logits.argmax(-1)).all()


def test_sampling_follows_the_tempered_distribution():
    rng = np.random.default_rng(0)
    logits = np.repeat(LOGITS, 20_000, axis=0)
    for temperature in (1.0, 0.5):
        ids = pick(logits, temperature=temperature, rng=rng)
        freq = np.bincount(ids, minlength=5) / len(ids)
        expected = torch.tensor(LOGITS[0] / temperature).softmax(-1).numpy()
        np.testing.assert_allclose(freq, expected, atol=0.015)


def test_filtered_tokens_are_never_sampled():
    rng = np.random.default_rng(0)
    logits = np.repeat(LOGITS, 5000, axis=0)
    ids = pick(logits, temperature=1.0, top_p=0.7, rng=rng)
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
    with torch.no_grad():
        full = trained(x)[0].numpy()
    stepper = Stepper(trained, quantize=quantize)
    logits, state = stepper.prime(x[:, :1].numpy())
    assert stepper.numpy == (rows == 1)
    for t in range(1, 20):
        logits, state = stepper.step(x[:, t].numpy(), state)
        np.testing.assert_allclose(logits, full[:, t], atol=tol)
        assert (logits.argmax(-1) == full[:, t].argmax(-1)).all()


def test_the_numpy_model_from_stored_weights_is_the_stepper(trained):
    weights = {
        # float16 and named as older models name them: it reads both
        k.replace("rnn.", "lstm."): v.numpy().astype(np.float16)
        for k, v in trained.state_dict().items()
    }
    lite = NumpyLM(trained.cfg, weights)
    exact = NumpyLM(trained.cfg, {k: v.astype(np.float32) for k, v in weights.items()})
    prime = encode("to be or not").tolist()
    steps = list(generate(exact, prime, length=80, temperature=1.5, seed=4))
    assert steps == list(generate(trained, prime, length=80, temperature=1.5, seed=4))
    with torch.no_grad():
        full = trained(encode(PHRASE)[None])[0][0].numpy()
    logits, state = lite.prime(encode(PHRASE[:1])[None].numpy())
    for t in range(1, 30):
        logits, state = lite.step(encode(PHRASE[t]).numpy(), state)
        np.testing.assert_allclose(logits[0], full[t], atol=5e-3)  # float16 weights
    with pytest.raises(ValueError, match="do not fit"):
        NumpyLM(trained.cfg, {k: v for k, v in weights.items() if "head" not in k})


@pytest.mark.parametrize("cell", [c for c in CELLS if c != "lstm"])
@pytest.mark.parametrize("rows", [1, 3])
def test_every_cell_steps_as_its_whole_window_forward(cell, rows):
    model = learnt(cell)
    x = encode(PHRASE[:30])[None].repeat(rows, 1)
    with torch.no_grad():
        full = model(x)[0].log_softmax(-1).numpy()
    stepper = Stepper(model)
    logits, state = stepper.prime(x[:, :1].numpy())
    assert not stepper.numpy
    for t in range(1, 30):
        logits, state = stepper.step(x[:, t].numpy(), state)
        found = torch.from_numpy(logits).log_softmax(-1).numpy()
        np.testing.assert_allclose(found, full[:, t], atol=1e-5)


@pytest.mark.parametrize("cell", [c for c in CELLS if c != "lstm"])
def test_every_cell_learns_the_phrase_and_generates_it_greedily(cell):
    steps = generate(learnt(cell), encode("to be").tolist(), length=60, temperature=0)
    text = "to be" + "".join(VOCAB[i] for (i,) in steps)
    assert text == (PHRASE * 3)[: len(text)]


# --- beam search ---


def sequence_logprob(model, prime: list[int], ids: list[int]) -> float:
    """log P(ids | prime) under the model, the whole window at once (an oracle
    independent of the stepper)."""
    x = torch.tensor([prime + ids])
    with torch.no_grad():
        logp = torch.log_softmax(model(x)[0][0].double(), -1)
    return sum(float(logp[len(prime) - 1 + t, i]) for t, i in enumerate(ids))


def test_beam_1_is_greedy(trained):
    prime = encode("that").tolist()
    greedy = [i for (i,) in generate(trained, prime, length=50, temperature=0)]
    ids, _ = beam_search(trained, prime, length=50, beam=1)
    assert ids == greedy


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_wide_beam_finds_the_likeliest_continuation_by_brute_force(seed):
    """Vocabulary 4, length 3: a beam of 16 keeps every prefix of length 2, so it
    must find the best of all 64 continuations; a beam of 2 finds one no worse than
    greedy's."""
    torch.manual_seed(seed)
    model = CharLM(CharLMConfig(vocab_size=4, embedding=4, hidden=8, layers=1)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)  # sharp, varied distributions
    prime = [1, 2]
    scored = {
        seq: sequence_logprob(model, prime, list(seq))
        for seq in itertools.product(range(4), repeat=3)
    }
    best = max(scored, key=scored.get)
    ids, mean = beam_search(model, prime, length=3, beam=16)
    assert tuple(ids) == best
    # the stepper's float32 scores against the oracle's float64 ones
    assert mean == pytest.approx(scored[best] / 3, abs=1e-4)
    greedy = tuple(i for (i,) in generate(model, prime, length=3, temperature=0))
    narrow, _ = beam_search(model, prime, length=3, beam=2)
    assert scored[tuple(narrow)] >= scored[greedy] - 1e-9


def test_the_guard_stops_repeated_ngrams(trained):
    prime = encode("to be").tolist()
    plain, _ = beam_search(trained, prime, length=120, beam=4)
    guarded, _ = beam_search(trained, prime, length=120, beam=4, no_repeat=6)

    def grams(ids, n=6):
        return [tuple(ids[i : i + n]) for i in range(len(ids) - n + 1)]

    assert len(set(grams(plain))) < len(grams(plain))  # the phrase, again and again
    context = prime + guarded
    assert len(set(grams(context))) == len(grams(context))


def test_a_stop_sequence_ends_the_beam(trained):
    prime = encode("to be or").tolist()
    ids, _ = beam_search(trained, prime, length=80, beam=3, stop="be", pieces=VOCAB)
    text = "".join(VOCAB[i] for i in ids)
    assert text.endswith("be") and text.count("be") == 1 and len(text) < 80


def test_the_sampled_beam_is_seeded_and_runs_on_every_stepper(trained):
    prime = encode("t").tolist()
    runs = [
        beam_search(
            trained, prime, length=60, beam=4, sample=True, temperature=3.0, seed=s
        )
        for s in (5, 5, 6)
    ]
    assert runs[0] == runs[1] and runs[0][0] != runs[2][0]
    weights = {k: v.numpy() for k, v in trained.state_dict().items()}
    lite = NumpyLM(trained.cfg, weights)
    assert (
        beam_search(lite, prime, length=60, beam=4)[0]
        == beam_search(trained, prime, length=60, beam=4)[0]
    )


def test_a_stop_sequence_ends_each_sample_after_it(trained):
    prime = encode("t").tolist()
    stop = encode(", ").tolist()
    steps = list(
        generate(
            trained,
            prime,
            length=300,
            temperature=1.0,
            samples=3,
            seed=2,
            stop=", ",
            pieces=VOCAB,
        )  # fmt: skip
    )
    assert len(steps) < 300  # every sample ended
    for k in range(3):
        ids = [step[k] for step in steps]
        made = [i for i in ids if i is not None]
        assert made[-2:] == stop and ids[len(made) :] == [None] * (len(ids) - len(made))
        text = "".join(VOCAB[i] for i in made)
        assert text.count(", ") == 1
