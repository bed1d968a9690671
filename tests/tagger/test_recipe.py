"""seqcli.tagger.recipe: the training task's batches (reproducible per epoch, and
resumed at any step)."""

import pytest
import torch

from seqcli.tagger.data import Batcher
from seqcli.tagger.recipe import TaggerTask
from seqcli.vocab import word_key

pytestmark = pytest.mark.usefixtures("one_thread")


def test_training_batches_resume_where_they_stopped(overfit):
    _, manifest, doc = overfit
    sentences = [s.tokens for s in doc.sentences]
    task = TaggerTask(
        Batcher.from_manifest(manifest),
        sentences,
        [[0] * len(s) for s in sentences],
        ([], []),
        "iob2",
        batch_size=4,
        word_dropout=0.5,
        rare={word_key(t) for s in sentences for t in s},
        seed=3,
        device=torch.device("cpu"),
    )
    full = [b.words.tolist() for b in task.batches(2, 0)]
    assert len(full) == task.steps_per_epoch() == 8
    assert [b.words.tolist() for b in task.batches(2, 5)] == full[5:]
    assert full != [b.words.tolist() for b in task.batches(3, 0)]


def test_without_dev_a_seeded_fraction_of_the_sentences_is_held_out(overfit):
    from seqcli.store import Store
    from seqcli.tagger.recipe import Tagged, TaggerRecipe

    _, _, doc = overfit  # 30 sentences
    recipe = TaggerRecipe("-", store=Store(builtin=None), dev_fraction=0.2)
    split_dev = lambda doc, fraction, seed: recipe.split_dev(  # noqa: E731
        Tagged(doc.sentences, "iob2"), seed
    )
    train, dev = split_dev(doc, 0.2, seed=3)
    assert len(dev.sentences) == 6 and len(train.sentences) == 24
    lines = lambda d: {s.line_no for s in d.sentences}  # noqa: E731
    assert not lines(train) & lines(dev)
    assert lines(train) | lines(dev) == lines(doc)
    assert lines(split_dev(doc, 0.2, seed=3)[1]) == lines(dev)
    assert lines(split_dev(doc, 0.2, seed=4)[1]) != lines(dev)


def test_with_dev_joins_dev_sentences_in_the_same_scheme_only(overfit):
    from seqcli.errors import SeqcliError
    from seqcli.store import Store
    from seqcli.tagger.data import input_scheme
    from seqcli.tagger.recipe import Tagged, TaggerRecipe

    _, _, doc = overfit  # 30 sentences
    recipe = TaggerRecipe("-", store=Store(builtin=None), dev_fraction=0.2)
    train, dev = recipe.split_dev(Tagged(doc.sentences, input_scheme(doc)), seed=3)
    joined = recipe.join(train, dev)
    assert len(joined.sentences) == 30
    assert {s.line_no for s in joined.sentences} == {s.line_no for s in doc.sentences}
    other = "bioes" if dev.scheme != "bioes" else "iob1"
    dev = Tagged(dev.sentences, other)  # as a dev file in another scheme reads
    with pytest.raises(SeqcliError, match="give both in one scheme"):
        recipe.join(train, dev)


def test_lower_copies_add_a_lower_cased_copy_of_each_sentence_with_its_tags():
    """--lower-copies: the task reads every training sentence twice, once as
    written and once lower-cased, with the same tags; words seen once in the
    originals stay the rare ones (word dropout)."""
    from dataclasses import replace

    from seqcli.config import TrainConfig
    from seqcli.store import Store
    from seqcli.tagger.config import TaggerConfig
    from seqcli.tagger.model import Tagger
    from seqcli.tagger.recipe import Tagged, TaggerRecipe, build_manifest

    from .conftest import TINY, ner_doc

    doc = ner_doc(30)
    found = {}
    for copies in (False, True):
        config = TaggerConfig(**TINY, lower_copies=copies)
        manifest, _ = build_manifest(config, doc, "iob2", vectors=None, vector_words=0)
        recipe = TaggerRecipe("-", store=Store(builtin=None), dev_fraction=0.2)
        task = recipe.task(
            Tagger.from_manifest(manifest),
            manifest,
            Tagged(doc.sentences, "iob2"),
            Tagged(doc.sentences, "iob2"),
            settings=replace(TrainConfig(), seed=1),
            device=torch.device("cpu"),
        )
        found[copies] = task
    plain, copied = found[False], found[True]
    n = len(doc.sentences)
    assert copied.sentences[:n] == plain.sentences
    assert copied.sentences[n:] == [[t.lower() for t in s] for s in plain.sentences]
    assert copied.tag_ids == plain.tag_ids * 2
    assert copied.rare == plain.rare and copied.rare
    assert any(s != [t.lower() for t in s] for s in plain.sentences)
