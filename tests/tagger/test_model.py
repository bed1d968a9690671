"""seqcli.tagger.model: the tagger learns a tiny CoNLL file by heart with every cell,
and its CRF never writes a sequence its tag scheme forbids."""

import random

import pytest

from seqcli.config import CELLS
from seqcli.tagger import decode as tagging
from seqcli.tagger import entities
from seqcli.tagger.data import Batcher

from .conftest import learnt

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("cell", CELLS)
def test_overfits_a_tiny_conll_file_to_f1_1(cell):
    model, manifest, doc = learnt(cell)
    pred = tagging.tag_tokens(model, manifest, [s.tokens for s in doc.sentences])
    gold = [s.labels for s in doc.sentences]
    result = entities.score(gold, pred)
    assert result["support"] > 40
    assert result["f1"] == 1.0
    assert manifest["input_scheme"] == "iob2"
    assert all(t == "O" or t[0] in "BI" for p in pred for t in p)  # written as iob2


def test_crf_never_writes_a_forbidden_sequence(overfit):
    model, manifest, _ = overfit
    encoder = Batcher.from_manifest(manifest)
    rng = random.Random(0)
    words = encoder.words.itos[4:] + ["Zzyzx", "!", "unseen"]
    token_lists = [rng.choices(words, k=rng.randint(1, 12)) for _ in range(40)]
    from seqcli.tagger.schemes import validate

    for tags in tagging.predict(model, encoder, token_lists):
        assert validate(tags, "bioes") == []
