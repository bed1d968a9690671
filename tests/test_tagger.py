"""The tagger's model, features and tagging functions (no CLI)."""

import gzip
import random
from pathlib import Path

import pytest
import torch

from seqcli import entities
from seqcli.conll import read_conll
from seqcli.errors import SeqcliError
from seqcli.tagger import decode as tagging
from seqcli.tagger.config import TaggerConfig
from seqcli.tagger.data import Batcher, caps_class
from seqcli.tagger.model import Tagger
from seqcli.tagger.recipe import TaggerTask, build_manifest
from seqcli.vectors import read_vectors
from seqcli.vocab import WordTokenizer, word_key

NER = Path(__file__).resolve().parents[1] / "corpora" / "ner.conll"
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


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def overfit(one_thread):
    """A tiny tagger trained on 30 sentences until it knows them by heart."""
    doc = ner_doc(30)
    config = TaggerConfig(**TINY)
    manifest, _ = build_manifest(config, doc, "iob2", vectors=None, vector_words=0)
    torch.manual_seed(0)
    model = Tagger.from_manifest(manifest)
    encoder = Batcher.from_manifest(manifest)
    index = {t: i for i, t in enumerate(model.tags)}
    from seqcli.schemes import convert

    sentences = [s.tokens for s in doc.sentences]
    tags = [
        [index[t] for t in convert(s.labels, "iob2", "bioes")] for s in doc.sentences
    ]
    batch = encoder.batch(sentences, tags)
    opt = torch.optim.Adam(model.parameters(), lr=0.03)
    for _ in range(60):
        loss = model(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval(), manifest, doc


def test_overfits_a_tiny_conll_file_to_f1_1(overfit):
    model, manifest, doc = overfit
    pred = tagging.tag_tokens(model, manifest, [s.tokens for s in doc.sentences])
    gold = [s.labels for s in doc.sentences]
    result = entities.score(gold, pred)
    assert result["support"] > 40
    assert result["f1"] == 1.0
    assert manifest["input_scheme"] == "iob2"
    assert all(t == "O" or t[0] in "BI" for p in pred for t in p)  # written as iob2


def test_prediction_order_and_batching_do_not_change_tags(overfit):
    model, manifest, doc = overfit
    tokens = [s.tokens for s in doc.sentences]
    together = tagging.tag_tokens(model, manifest, tokens, batch_size=7)
    alone = [tagging.tag_tokens(model, manifest, [t])[0] for t in tokens]
    assert together == alone
    assert tagging.tag_tokens(model, manifest, [[], tokens[0], []])[1] == alone[0]


def test_long_input_is_tagged_in_pieces(overfit):
    model, manifest, doc = overfit
    encoder = Batcher.from_manifest(manifest)
    long = [t for s in doc.sentences for t in s.tokens]  # about 300 tokens
    pieces = list(tagging.chunk_bounds(long, 40))
    assert pieces[0][0] == 0 and pieces[-1][1] == len(long)
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:], strict=False))
    assert all(0 < end - start <= 40 for start, end in pieces)
    assert all(long[end - 1] == "." for _, end in pieces[:-1])  # cut after sentences
    tags = tagging.predict(model, encoder, [long], max_tokens=40)[0]
    assert len(tags) == len(long)
    assert entities.score([sum((s.labels for s in doc.sentences), [])], [tags])[
        "f1"
    ] == pytest.approx(1.0, abs=0.02)  # re-converted from bioes, cut at sentences


def test_entity_offsets_point_into_the_original_line():
    text = "  Anna  Berg flew to Port Lorin, she said."
    tokenised = WordTokenizer("en").batch([text])
    tokens = [t for t, _ in tokenised[0]]
    assert tokens[:6] == ["Anna", "Berg", "flew", "to", "Port", "Lorin"]
    tags = ["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC"] + ["O"] * (len(tokens) - 6)
    (record,) = tagging.records([text], tokenised, [tags])
    assert record["entities"] == [
        {"start": 2, "end": 12, "label": "PER", "text": "Anna  Berg"},
        {"start": 21, "end": 31, "label": "LOC", "text": "Port Lorin"},
    ]
    for entity in record["entities"]:
        assert text[entity["start"] : entity["end"]] == entity["text"]


def test_word_features():
    assert word_key("Paris1996") == "paris0000"
    assert word_key("Paris", "cased") == "Paris"
    assert [caps_class(t) for t in ["the", "EU", "Paris", "McDonald", "1996", "é"]] == [
        1,
        2,
        3,
        4,
        5,
        1,
    ]


def test_reads_glove_and_word2vec_text_vectors(tmp_path):
    glove = tmp_path / "v.txt.gz"
    with gzip.open(glove, "wt", encoding="utf-8") as f:
        f.write("the 0.1 0.2 0.3\nparis 1 2 3\nParis 9 9 9\n1996 4 5 6\nrare 7 8 9\n")
    keys, table = read_vectors(str(glove), wanted={"rare"}, top=2)
    assert keys == ["the", "paris", "rare"]  # "Paris" gives the same key: first kept
    assert table.shape == (3, 3) and table[1].tolist() == [1, 2, 3]
    w2v = tmp_path / "v.vec"
    w2v.write_text("2 3\nthe 0.1 0.2 0.3\n1996 4 5 6\n", encoding="utf-8")
    keys, table = read_vectors(str(w2v))
    assert keys == ["the", "0000"] and table.shape == (2, 3)
    bad = tmp_path / "bad.txt"
    bad.write_text("the 0.1 0.2\nparis 1 x\n", encoding="utf-8")
    with pytest.raises(SeqcliError, match="bad.txt:2"):
        read_vectors(str(bad))


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


def test_crf_never_writes_a_forbidden_sequence(overfit):
    model, manifest, _ = overfit
    encoder = Batcher.from_manifest(manifest)
    rng = random.Random(0)
    words = encoder.words.itos[4:] + ["Zzyzx", "!", "unseen"]
    token_lists = [rng.choices(words, k=rng.randint(1, 12)) for _ in range(40)]
    from seqcli.schemes import validate

    for tags in tagging.predict(model, encoder, token_lists):
        assert validate(tags, "bioes") == []


def test_output_is_written_in_any_scheme(overfit):
    from seqcli.schemes import to_spans, validate

    model, manifest, doc = overfit
    tokens = [s.tokens for s in doc.sentences]
    by_scheme = {
        scheme: tagging.tag_tokens(model, manifest, tokens, scheme=scheme)
        for scheme in ("iob1", "iob2", "bioes")
    }
    for scheme, tags in by_scheme.items():
        assert all(validate(t, scheme) == [] for t in tags), scheme
        assert [to_spans(t) for t in tags] == [
            to_spans(s.labels) for s in doc.sentences
        ]
