import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqcli.vocab import SPECIALS, Vocab, WordTokenizer, chars

token_lists = st.lists(
    st.lists(st.text(min_size=1, max_size=4), max_size=12), max_size=6
)


@given(token_lists)
def test_dict_round_trip_is_exact(seqs):
    vocab = Vocab.build(seqs)
    again = Vocab.from_dict(vocab.to_dict())
    assert again == vocab
    assert again.stoi == vocab.stoi


@given(token_lists)
def test_encode_decode_round_trip(seqs):
    vocab = Vocab.build(seqs)
    for seq in seqs:
        known = [t for t in seq if t not in SPECIALS]
        assert vocab.decode(vocab.encode(known)) == known


def test_specials_come_first_and_unknowns_map_to_unk():
    vocab = Vocab.build([["a", "b", "a"]])
    assert vocab.itos[:4] == list(SPECIALS)
    assert vocab.itos[4] == "a"  # most frequent first
    assert vocab.encode(["a", "zzz"]) == [4, vocab.unk_index]
    assert vocab.unknown(["a", "x", "y", "x"]) == ["x", "y"]


def test_min_freq_and_max_size():
    seqs = [list("aaabbc")]
    assert Vocab.build(seqs, min_freq=2).itos[4:] == ["a", "b"]
    assert Vocab.build(seqs, max_size=1).itos[4:] == ["a"]


def test_decode_stops_at_eos_and_skips_pad_bos():
    vocab = Vocab(["x", "y"])
    ids = [vocab.bos_index, 4, vocab.pad_index, 5, vocab.eos_index, 4]
    assert vocab.decode(ids) == ["x", "y"]
    assert len(vocab.decode(ids, strip_specials=False)) == 6


def test_a_special_in_the_data_is_not_duplicated():
    vocab = Vocab.build([["<unk>", "a"]])
    assert vocab.itos.count("<unk>") == 1


def test_from_dict_rejects_other_specials():
    with pytest.raises(ValueError, match="specials"):
        Vocab.from_dict({"specials": ["<s>"], "tokens": []})


def test_chars():
    assert chars("ab\n") == ["a", "b", "\n"]


def test_word_tokenizer_offsets_point_into_the_text():
    text = "John Smith flew from Paris,  to Berlin."
    pairs = WordTokenizer("en")(text)
    assert [t for t, _ in pairs] == [
        "John",
        "Smith",
        "flew",
        "from",
        "Paris",
        ",",
        "to",
        "Berlin",
        ".",
    ]
    for token, start in pairs:
        assert text[start : start + len(token)] == token


def test_word_tokenizer_batch_equals_single():
    tok = WordTokenizer("de")
    texts = ["Ein Mann reitet.", "", "Zwei Hunde."]
    assert tok.batch(texts) == [tok(t) for t in texts]


def test_unknown_language_is_a_clear_error():
    from seqcli.errors import SeqcliError

    with pytest.raises(SeqcliError, match="language 'zz-nope'"):
        WordTokenizer("zz-nope").tokens("x")
