"""The character LM's shared test material: the phrase it learns, its encoding, and
`trained`, a small model that knows the phrase by heart (built once for the package:
tests/charlm/test_decode.py and test_recipe.py both use it), and `learnt(cell)`, the
same for any cell."""

import functools

import pytest
import torch

from seqcli.charlm.config import CharLMConfig
from seqcli.charlm.data import streams
from seqcli.charlm.model import CharLM

from ..conftest import one_thread_while

PHRASE = "to be or not to be, that is the question. "
VOCAB = sorted(set(PHRASE))


def encode(text):
    return torch.tensor([VOCAB.index(c) for c in text])


@functools.cache
def learnt(cell: str) -> CharLM:
    """A small char-LM trained on a repeated phrase until it knows it by heart."""
    with one_thread_while():
        torch.manual_seed(0)
        model = CharLM(
            CharLMConfig(
                vocab_size=len(VOCAB),
                cell=cell,
                embedding=16,
                hidden=64,
                layers=2,
                dropout=0.0,
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


@pytest.fixture(scope="package")
def trained():
    return learnt("lstm")
