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


def test_dev_is_the_end_of_the_text_and_with_dev_joins_it_back():
    from seqcli.charlm.recipe import CharLMRecipe
    from seqcli.errors import SeqcliError

    recipe = CharLMRecipe(["-"], dev_fraction=0.1)
    text = "abcdefghij" * 10
    train, dev = recipe.split_dev(text, seed=5)
    assert dev == text[90:] and train == text[:90]
    assert recipe.join(train, dev) == text
    with pytest.raises(SeqcliError, match="too small to hold back a dev part"):
        recipe.split_dev("abc", seed=5)  # one character of dev predicts nothing
