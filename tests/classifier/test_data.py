"""Reading labelled lines and turning texts into word ids."""

import pytest

from seqcli.classifier.data import Codec, parse_line, read_labelled, truncate
from seqcli.errors import SeqcliError
from seqcli.vocab import Vocab


def test_both_formats_parse():
    assert parse_line("pos\tA fine film.") == (["pos"], "A fine film.")
    assert parse_line("__label__pos A fine film.") == (["pos"], "A fine film.")
    assert parse_line("__label__pos __label__film  A fine film.") == (
        ["pos", "film"],
        "A fine film.",
    )
    assert parse_line("no label here") is None


def test_read_labelled_skips_blank_lines_and_keeps_line_numbers(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("pos\tgood\n\n__label__neg bad\nneg\tworse\n")
    data = read_labelled(str(path))
    assert data.texts == ["good", "bad", "worse"]
    assert data.labels == ["pos", "neg", "neg"]
    assert data.lines == [1, 3, 4]


@pytest.mark.parametrize(
    "text, message",
    [
        ("pos\tgood\n__label__a __label__b two labels\n", r"line 2: 2 labels \(a, b\)"),
        ("pos\tgood\njust text\n", "line 2: expected label<TAB>text"),
        ("\tno label\n", "line 1: the label is empty"),
        ("\n\n", "no labelled lines"),
    ],
)
def test_bad_lines_are_clear_errors(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(SeqcliError, match=message):
        read_labelled(str(path))


def test_truncate_keeps_the_start_and_the_end():
    tokens = [str(i) for i in range(10)]
    assert truncate(tokens, 20) == tokens
    assert truncate(tokens, 4) == ["0", "1", "8", "9"]
    assert truncate(tokens, 5) == ["0", "1", "7", "8", "9"]


def test_codec_reads_words_lower_cased_without_html_breaks():
    codec = Codec(Vocab(["a", "fine", "film", "0000", "!"]), ["neg", "pos"], "en", 4)
    assert codec.keys(["A <br />fine FILM<br/> in 1999!"]) == [
        ["a", "fine", "film", "in", "0000", "!"]
    ]
    (ids,) = codec.ids(["A <br />fine FILM<br/> in 1999!"])
    assert codec.words.decode(ids) == ["a", "fine", "0000", "!"]  # start and end
    assert codec.ids([""]) == [[]]


def test_classifying_reads_read_tokens_and_training_max_tokens():
    words = Vocab(list("abcdefghij"))
    codec = Codec(words, ["neg", "pos"], "en", 4, read_tokens=6)
    (read,) = codec.ids([" ".join("abcdefghij")])
    (trained,) = codec.ids([" ".join("abcdefghij")], codec.max_tokens)
    assert words.decode(read) == list("abchij")
    assert words.decode(trained) == list("abij")


def test_a_model_from_before_read_tokens_reads_as_it_was_trained():
    config = {"lang": "en", "max_tokens": 4}
    vocabs = {"words": Vocab(["a"]).to_dict(), "labels": {"tokens": ["neg", "pos"]}}
    old = Codec.from_manifest(
        {"kind": "classifier", "config": config, "vocabs": vocabs}
    )
    new = Codec.from_manifest(
        {"kind": "classifier", "config": config | {"read_tokens": 6}, "vocabs": vocabs}
    )
    assert (old.max_tokens, old.read_tokens) == (4, 4)
    assert (new.max_tokens, new.read_tokens) == (4, 6)


def test_a_spelled_codec_tells_apart_the_words_its_network_merges():
    from seqcli.classifier.data import Codec
    from seqcli.vocab import Vocab

    words = Vocab(["it", "0/00", "good", "movie"])
    plain = Codec(words, ["neg", "pos"], "en", 50)
    spelled = Codec(words, ["neg", "pos"], "en", 50, spelled=True)
    texts = ["Good movie, 8/10", "good movie , 1/10 <br />Boring", "it"]
    size = len(words)
    expected = plain.ids(texts)
    found = spelled.ids(texts)
    # the network reads the same rows (id % size) either way
    assert [[i % size for i in x] for x in found] == expected
    # words whose key is in the vocabulary as they are keep their ids
    assert [i for i in found[2]] == expected[2]
    assert found[0][:2] == expected[0][:2]
    # 8/10 and 1/10 are both 0/00 to the network, two words to the bag; so are the
    # unknown "," and "boring", and the same word is spelled the same way
    assert found[0][-1] != found[1][-2] and found[0][-1] >= size
    assert found[1][2] >= size and found[1][-1] >= size
    assert found[1][2] != found[1][-1] and found[0][2] == found[1][2]
