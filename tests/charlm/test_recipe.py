"""seqcli.charlm.recipe: lm_loss, the loss the character LM is trained and scored by."""

import math

import pytest
import torch

from seqcli.charlm.config import CharLMConfig
from seqcli.charlm.model import CharLM
from seqcli.charlm.recipe import lm_loss

from .conftest import PHRASE, encode

pytestmark = pytest.mark.usefixtures("one_thread")


def test_overfits_a_tiny_corpus_to_near_zero_loss(trained):
    assert lm_loss(trained, encode(PHRASE * 5)) < 0.05


def test_lm_loss_of_an_untrained_model_is_near_uniform():
    torch.manual_seed(0)
    model = CharLM(CharLMConfig(vocab_size=50, hidden=8, embedding=4)).eval()
    with torch.no_grad():
        for p in model.head.parameters():
            p.zero_()
    assert lm_loss(model, torch.randint(0, 50, (500,))) == pytest.approx(math.log(50))
