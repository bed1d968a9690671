"""seqcli.tagger.decode: tagging token lists (in any order, batch size and scheme),
long inputs cut into pieces, and records with entity offsets into the text."""

import pytest

from seqcli.tagger import decode as tagging
from seqcli.tagger import entities
from seqcli.tagger.data import Batcher
from seqcli.vocab import WordTokenizer

pytestmark = pytest.mark.usefixtures("one_thread")


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


def test_output_is_written_in_any_scheme(overfit):
    from seqcli.tagger.schemes import to_spans, validate

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
