"""scripts/build_defaults.py: the data the built-in sentiment-en is trained on."""

from pathlib import Path

import pytest

from scripts import build_defaults


@pytest.fixture
def joined_in(tmp_path, monkeypatch, shared_corpora):
    monkeypatch.setattr(build_defaults, "JOINED", tmp_path)
    return shared_corpora


def lines(path) -> list[str]:
    return Path(path).read_text(encoding="utf-8").splitlines()


def test_the_joined_dev_is_imdb_then_sst2_with_imdbs_label_names(joined_in):
    imdb, sst2 = (
        lines(joined_in / "imdb" / "dev.txt"),
        lines(joined_in / "sst2" / "dev.txt"),
    )
    found = lines(build_defaults.joined("dev"))
    assert len(found) == len(imdb) + len(sst2) == 2500 + 872
    assert found[: len(imdb)] == imdb
    for line, original in zip(found[len(imdb) :], sst2, strict=True):
        label, text = line.split("\t", 1)
        assert (label, text) == ({"0": "neg", "1": "pos"}[original[0]], original[2:])
    assert {line.split("\t", 1)[0] for line in found} == {"neg", "pos"}
    assert lines(build_defaults.sst2_dev()) == found[len(imdb) :]


def test_a_sample_of_sst2_is_seeded(joined_in):
    first = lines(build_defaults.joined("dev", sst2=100))
    again = lines(build_defaults.joined("dev", sst2=100))
    assert first == again and len(first) == 2500 + 100
    assert len(set(first[2500:])) == 100
    assert set(first[2500:]) <= set(lines(build_defaults.joined("dev"))[2500:])
