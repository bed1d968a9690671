import pytest
import torch

from seqcli.data import decode, length_batches, pad, read_lines
from seqcli.errors import SeqcliError


def test_length_batches_for_inference_sort_and_cover_everything():
    lengths = [5, 1, 3, 9, 2]
    batches = length_batches(lengths, 2)
    assert sorted(i for b in batches for i in b) == list(range(5))
    assert [lengths[i] for b in batches for i in b] == sorted(lengths)


def test_training_batches_are_shuffled_but_repeatable():
    lengths = list(range(1, 200))
    a = length_batches(lengths, 8, shuffle=True, seed=1, epoch=0)
    assert a == length_batches(lengths, 8, shuffle=True, seed=1, epoch=0)
    assert a != length_batches(lengths, 8, shuffle=True, seed=1, epoch=1)
    assert sorted(i for b in a for i in b) == list(range(199))


def test_pad():
    ids, lengths = pad([[1, 2, 3], [4]], pad_index=0)
    assert ids.tolist() == [[1, 2, 3], [4, 0, 0]]
    assert lengths.tolist() == [3, 1]
    assert ids.dtype == torch.long


def test_invalid_utf8_names_the_byte():
    with pytest.raises(SeqcliError, match="f.txt: not valid UTF-8 at byte 3"):
        decode(b"abc\xffdef", "f.txt")
    assert decode(b"abc\xff", "f.txt", "replace") == "abc\ufffd"


def test_read_lines_and_missing_file(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("a\n\nb\r\n")
    assert read_lines(str(path)) == ["a", "", "b"]
    with pytest.raises(SeqcliError, match="no such file"):
        read_lines(str(tmp_path / "missing.txt"))


def test_iter_lines_streams_and_names_the_byte_of_bad_utf8(tmp_path):
    from seqcli.data import iter_lines

    path = tmp_path / "x.txt"
    path.write_bytes(b"\xef\xbb\xbfone\r\ntwo\nthr\xffee\n")
    lines = iter_lines(str(path))
    assert next(lines) == "one" and next(lines) == "two"
    with pytest.raises(SeqcliError, match="not valid UTF-8 at byte 15"):
        next(lines)
    (tmp_path / "empty.txt").write_bytes(b"")
    assert list(iter_lines(str(tmp_path / "empty.txt"))) == []  # no lines, no error
