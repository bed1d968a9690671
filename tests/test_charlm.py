import math

import pytest
import torch

from seqcli.charlm.config import CharLMConfig
from seqcli.charlm.data import fit_batch_shape, streams
from seqcli.charlm.decode import Stepper, generate
from seqcli.charlm.model import CharLM
from seqcli.charlm.recipe import lm_loss
from seqcli.errors import SeqcliError

PHRASE = "to be or not to be, that is the question. "
VOCAB = sorted(set(PHRASE))


def encode(text):
    return torch.tensor([VOCAB.index(c) for c in text])


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def trained(one_thread):
    """A small LSTM trained on a repeated phrase until it knows it by heart."""
    torch.manual_seed(0)
    model = CharLM(
        CharLMConfig(
            vocab_size=len(VOCAB), embedding=16, hidden=64, layers=2, dropout=0.0
        )
    )
    data = streams(encode(PHRASE * 40), 8)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(25):
        state = None
        for i in range(0, data.size(1) - 1, 32):
            x, y = data[:, i : i + 32], data[:, i + 1 : i + 33]
            x = x[:, : y.size(1)]
            _, state, loss = model(x, state, y)
            state = tuple(s.detach() for s in state)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


def test_overfits_a_tiny_corpus_to_near_zero_loss(trained):
    assert lm_loss(trained, encode(PHRASE * 5)) < 0.05


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


def test_lm_loss_of_an_untrained_model_is_near_uniform():
    torch.manual_seed(0)
    model = CharLM(CharLMConfig(vocab_size=50, hidden=8, embedding=4)).eval()
    with torch.no_grad():
        for p in model.head.parameters():
            p.zero_()
    assert lm_loss(model, torch.randint(0, 50, (500,))) == pytest.approx(math.log(50))


def test_batch_shape_shrinks_for_a_short_corpus():
    assert fit_batch_shape(10_000, 64, 128) == (64, 128)
    b, t = fit_batch_shape(300, 64, 128)
    assert b * (t + 1) <= 300 and b >= 1
    b, t = fit_batch_shape(50, 64, 128)
    assert (b, t) == (1, 49)
    with pytest.raises(SeqcliError, match="at least 2"):
        fit_batch_shape(1, 64, 128)
