"""seqcli.vectors: reading GloVe and word2vec text vectors."""

import gzip

import pytest

from seqcli.errors import SeqcliError
from seqcli.vectors import read_vectors

pytestmark = pytest.mark.usefixtures("one_thread")


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


def test_fill_embedding_sets_the_rows_of_known_words_only():
    import torch

    from seqcli.vectors import fill_embedding
    from seqcli.vocab import Vocab

    vocab = Vocab(["the", "cat", "sat"])
    weight = torch.zeros(len(vocab), 2)
    table = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert fill_embedding(weight, vocab, (["sat", "dog", "the"], table)) == 2
    assert weight[vocab.stoi["sat"]].tolist() == [1.0, 2.0]
    assert weight[vocab.stoi["the"]].tolist() == [5.0, 6.0]
    assert weight[vocab.stoi["cat"]].tolist() == [0.0, 0.0]
