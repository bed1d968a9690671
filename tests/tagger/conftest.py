"""The tagger's shared test material: `overfit`, a tiny tagger trained on the first 30
sentences of corpora/ner.conll until it knows them by heart (built once for the
package: tests/tagger/test_model.py, test_decode.py and test_recipe.py use it), and
`learnt(cell)`, the same for any cell."""

import functools
from pathlib import Path

import pytest
import torch

from seqcli.tagger.config import TaggerConfig
from seqcli.tagger.conll import read_conll
from seqcli.tagger.data import Batcher
from seqcli.tagger.model import Tagger
from seqcli.tagger.recipe import build_manifest

from ..conftest import one_thread_while

NER = Path(__file__).resolve().parents[2] / "corpora" / "ner.conll"
TINY = dict(
    embedding=16,
    char_embedding=8,
    char_filters=16,
    hidden=32,
    dropout=0.0,
    word_dropout=0.0,
)


def ner_doc(n: int):
    """The first n sentences of corpora/ner.conll."""
    lines = NER.read_text(encoding="utf-8").split("\n")
    ends = [i for i, line in enumerate(lines) if not line][:n]
    return read_conll(lines[: ends[-1] + 1], source="ner.conll")


@functools.cache
def learnt(cell: str):
    """(model, manifest, doc): a tiny tagger trained on 30 sentences until it knows
    them by heart."""
    with one_thread_while():
        doc = ner_doc(30)
        config = TaggerConfig(**TINY, cell=cell)
        manifest, _ = build_manifest(config, doc, "iob2", vectors=None, vector_words=0)
        torch.manual_seed(0)
        model = Tagger.from_manifest(manifest)
        encoder = Batcher.from_manifest(manifest)
        index = {t: i for i, t in enumerate(model.tags)}
        from seqcli.tagger.schemes import convert

        sentences = [s.tokens for s in doc.sentences]
        tags = [
            [index[t] for t in convert(s.labels, "iob2", "bioes")]
            for s in doc.sentences
        ]
        batch = encoder.batch(sentences, tags)
        opt = torch.optim.Adam(model.parameters(), lr=0.03)
        for _ in range(60):
            loss = model(batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval(), manifest, doc


@pytest.fixture(scope="package")
def overfit():
    return learnt("lstm")
