"""seqcli.tagger.data: the word features the tagger reads (word keys, capitalisation
classes)."""

import pytest

from seqcli.tagger.data import caps_class
from seqcli.vocab import word_key

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
