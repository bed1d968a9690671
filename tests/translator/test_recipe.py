"""seqcli.translator.recipe: BLEU and chrF scores, the dev beam that picks the
checkpoint, and source vectors loaded into the embeddings."""

import math

import pytest
import torch

from seqcli.errors import SeqcliError
from seqcli.translator.config import TranslatorConfig
from seqcli.translator.decode import translate_ids
from seqcli.translator.model import Translator
from seqcli.translator.recipe import score
from seqcli.vocab import SPECIALS, Vocab

# tiny models run fastest on one thread without oneDNN (see test_search.py)
pytestmark = pytest.mark.usefixtures("one_thread", "no_onednn")


def test_dev_bleu_scores_the_dev_beam(monkeypatch):
    """The checkpoint is picked by BLEU of translations with the dev beam width."""
    from seqcli.translator import data, recipe

    vocab = Vocab(["a", "b", "c"])
    manifest = {
        "config": {"src_lang": "en"},
        "vocabs": {"src": vocab.to_dict(), "tgt": vocab.to_dict()},
    }
    codec = data.Codec(manifest)
    torch.manual_seed(0)
    model = Translator(
        TranslatorConfig(src_vocab_size=7, tgt_vocab_size=7, embedding=4, hidden=4)
    ).eval()
    tokens, ids = codec.sources(["a b c", "c b", "b"])
    refs = ["a b c", "c b", "b"]
    widths = []

    def spy(*args, beam, **kw):
        widths.append(beam)
        return translate_ids(*args, beam=beam, **kw)

    monkeypatch.setattr(recipe, "translate_ids", spy)
    for width in (1, 3):
        task = recipe.TranslatorTask(
            ([], []),
            (tokens, ids, refs),
            codec,
            batch_size=2,
            device=None,
            dev_beam=width,
        )
        found = translate_ids(model, ids, beam=width)
        hyps = [codec.text(h[0], t) for h, t in zip(found, tokens, strict=True)]
        assert task.evaluate(model)["chrf"] == score(hyps, refs)["chrf"]
    assert widths == [1, 3]


def test_source_vectors_fill_the_first_columns_standardised(tmp_path):
    from seqcli.translator.recipe import load_source_vectors

    # "dog" (1, 2) and "cat" (3, 6): mean (2, 4), standard deviation (1, 2)
    path = tmp_path / "vectors.txt"
    path.write_text("dog 1 2\ncat 3 6\nbird 9 9\n")
    vocab = Vocab(["Dog", "cat", "zebra"])
    cfg = TranslatorConfig(src_vocab_size=len(vocab), tgt_vocab_size=6, embedding=4)
    model = Translator(cfg)
    before = model.src_embed.weight.detach().clone()
    assert load_source_vectors(model, vocab, str(path)) == 2
    after = model.src_embed.weight.detach()
    dog, cat, zebra = vocab.encode(["Dog", "cat", "zebra"])
    assert after[dog, :2].tolist() == [-1.0, -1.0]  # looked up lower-cased
    assert after[cat, :2].tolist() == [1.0, 1.0]
    assert torch.equal(after[:, 2:], before[:, 2:])  # other columns untouched
    assert torch.equal(after[zebra], before[zebra])  # and words without a vector
    assert torch.equal(after[: len(SPECIALS)], before[: len(SPECIALS)])
    cfg = TranslatorConfig(src_vocab_size=7, tgt_vocab_size=6, embedding=1)
    small = Translator(cfg)
    with pytest.raises(SeqcliError, match="2-dimensional vectors do not fit"):
        load_source_vectors(small, vocab, str(path))


def test_bleu_matches_a_hand_computed_example():
    # 13a tokens: hypothesis 9, reference 10; n-gram matches 9/9, 7/8, 5/7, 3/6
    hyp = "A man rides a horse on the beach."
    ref = "A man rides a brown horse on the beach."
    expected = 100 * math.exp(1 - 10 / 9) * (1 * 7 / 8 * 5 / 7 * 3 / 6) ** 0.25
    metrics = score([hyp], [ref])
    assert metrics["bleu"] == pytest.approx(expected, abs=1e-6)
    assert score([ref], [ref])["bleu"] == pytest.approx(100)
    assert metrics["signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")
    assert 0 < metrics["chrf"] < 100


def test_dev_is_the_last_pairs_and_with_dev_joins_them_back(tmp_path):
    from seqcli.translator.recipe import TranslatorRecipe

    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"a{i}\tb{i}\n" for i in range(40)))
    recipe = TranslatorRecipe(pairs=str(pairs), dev_fraction=0.1)
    data, dev = recipe.read()
    assert dev is None
    train, dev = recipe.split_dev(data, seed=3)
    assert dev == (["a36", "a37", "a38", "a39"], ["b36", "b37", "b38", "b39"])
    assert recipe.join(train, dev) == data
