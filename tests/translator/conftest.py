"""The translator's shared test material: the reversal task and `reverser`, a small
translator trained on it (built once for the package: tests/translator/test_model.py
and test_decode.py use it), and `learn_reversal(cell)`, the same for any cell."""

import random

import pytest
import torch

from seqcli.data import pad
from seqcli.translator.config import TranslatorConfig
from seqcli.translator.data import target_in_out
from seqcli.translator.model import Translator

from ..conftest import one_thread_while

SEARCH = {"max_len_ratio": 1.5, "length_penalty": 1.0}  # search settings


def reversal_data(n, seed):
    rng = random.Random(seed)
    seqs = [[rng.randrange(4, 12) for _ in range(rng.randint(2, 6))] for _ in range(n)]
    return seqs, [s[::-1] for s in seqs]


def learn_reversal(cell: str = "lstm") -> Translator:
    """A small translator trained to reverse sequences of 2-6 symbols (~15 s: the
    tests using it are slow)."""
    with one_thread_while(onednn=False):
        torch.manual_seed(0)
        cfg = TranslatorConfig(
            src_vocab_size=12,
            tgt_vocab_size=12,
            embedding=24,
            hidden=48,
            cell=cell,
            dropout=0.0,
            label_smoothing=0.0,
        )
        model = Translator(cfg)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        for step in range(800):
            src_seqs, tgt_seqs = reversal_data(64, seed=step)
            src, lengths = pad(src_seqs, 0)
            loss = model(src, lengths, *target_in_out(tgt_seqs))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
    return model.eval()


@pytest.fixture(scope="package")
def reverser():
    """The LSTM translator of `learn_reversal`, trained once for the package."""
    return learn_reversal()
