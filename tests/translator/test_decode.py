"""Decoding a trained translator (seqcli.translator.decode and the searches it runs):
beam against greedy, the int8 output layer, attention as alignment."""

import random

import pytest
import torch

from seqcli import int8
from seqcli.data import pad
from seqcli.search import beam_search, greedy
from seqcli.translator.decode import translate_ids

from .conftest import SEARCH, reversal_data

# tiny models run fastest on one thread without oneDNN (see test_search.py)
pytestmark = pytest.mark.usefixtures("one_thread", "no_onednn")


@pytest.mark.slow
def test_beam_never_scores_below_greedy_under_the_model(reverser):
    # Far longer than in training, where the model is unsure. Not a law of beam
    # search (on random untrained models it fails for about 1 sentence in 150),
    # but it must hold for a trained model.
    rng = random.Random(3)
    src_seqs = [
        [rng.randrange(4, 12) for _ in range(rng.randint(12, 30))] for _ in range(60)
    ]
    src, lengths = pad(src_seqs, 0)
    by_greedy = greedy(reverser, src, lengths, max_len_ratio=1.5, length_penalty=0)
    by_beam = beam_search(
        reverser, src, lengths, beam=5, max_len_ratio=1.5, length_penalty=0
    )
    for g, (b, *_) in zip(by_greedy, by_beam, strict=True):
        assert b.log_prob >= g.log_prob - 1e-4


@pytest.mark.slow
def test_int8_output_layer_keeps_the_reversal_exact(reverser, monkeypatch):
    monkeypatch.setattr(int8, "MIN_SIZE", 0)  # quantize even this small layer
    src_seqs, expected = reversal_data(100, seed=20_000)
    for beam in (1, 3):
        found = translate_ids(reverser, src_seqs, beam=beam, quantize=True)
        assert [h[0].ids for h in found] == expected
    assert reverser._int8_out is None  # only while decoding
    with reverser.int8_output():
        first = reverser._int8_out
    with reverser.int8_output():
        assert reverser._int8_out is first  # kept while the weights stay
    with torch.no_grad():
        reverser.out_bias.add_(0.0)  # any change in place makes a new copy
    with reverser.int8_output():
        assert reverser._int8_out is not first


@pytest.mark.slow
def test_alignment_of_a_reversal_points_at_the_mirrored_source(reverser):
    src, lengths = pad([[4, 5, 6, 7, 8]], 0)
    (hyp,) = greedy(reverser, src, lengths, **SEARCH)
    assert hyp.ids == [8, 7, 6, 5, 4]
    assert hyp.alignment == [4, 3, 2, 1, 0]
