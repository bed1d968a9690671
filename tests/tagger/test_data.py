"""seqcli.tagger.data: the word features the tagger reads (word keys, capitalisation
classes)."""

import pytest

from seqcli.tagger.data import CASELESS, Batcher, caps_class
from seqcli.vocab import Vocab, word_key

pytestmark = pytest.mark.usefixtures("one_thread")


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


def test_with_caseless_a_sentence_in_one_case_reads_lower_cased_in_its_own_class():
    """Lower- and upper-cased text read alike (words, characters, context text),
    apart from what the cased sentence reads; without `caseless` as before."""
    cased = ["John", "met", "EU", "staff", "in", "1996", "."]
    sentences = [cased, [t.lower() for t in cased], [t.upper() for t in cased]]
    words = Vocab.build([[word_key(t) for t in cased]])
    chars = Vocab.build(sentences[0] + sentences[2])  # each token's characters
    lms = {"forward": chars}
    on = Batcher(words, chars, "lower", lms, caseless=True).arrays(sentences)
    off = Batcher(words, chars, "lower", lms).arrays(sentences)
    caps = CASELESS
    assert on["caps"].tolist() == [
        [3, 1, 2, 1, 1, 5, 5],
        [caps, caps, caps, caps, caps, 5, 5],
        [caps, caps, caps, caps, caps, 5, 5],
    ]
    assert off["caps"][2].tolist() == [2, 2, 2, 2, 2, 5, 5]
    for name in ("words", "types", "forward_text"):
        assert (on[name][1] == on[name][2]).all(), name
    assert (on["words"] == off["words"]).all()  # word keys are lower-cased anyway
    assert not (off["forward_text"][1] == off["forward_text"][2]).all()
    # the lower- and upper-cased sentences' words are one set of rows
    assert on["chars"].shape[0] == len(set(cased) | set(sentences[1])) == 9


def test_a_sentence_in_lower_case_but_for_the_pronoun_i_is_in_one_case():
    from seqcli.tagger.data import in_one_case

    assert in_one_case("I think john moved to paris".split())
    assert in_one_case("I".split()) and in_one_case("I THINK SO".split())
    assert not in_one_case("I think John moved".split())
    assert not in_one_case("Indeed john moved".split())
