"""Language models of words and subwords: units that give the text back exactly, and
a word-level and a subword-level model trained, sampled and scored in nats per
character, as the char-LM is."""

import json

import pytest

from seqcli.charlm.units import Units, build
from seqcli.subwords import CONTINUE

TEXT = (
    "ROMEO:\n  But soft, what light through yonder window breaks?\n\n"
    "JULIET:\tAy me!  'Tis but thy name that is my enemy; — Grüße 😀.\n"
)


@pytest.mark.parametrize("kind", ["char", "word", "bpe"])
def test_units_give_the_text_back_exactly(kind):
    units, vocab, _ = build(kind, [TEXT], 20)
    split = units.split(TEXT)
    assert units.join(split) == TEXT
    assert not vocab.unknown(split)
    other = "A yonder light, unseen before.\r\n"
    assert units.join(units.split(other)) == other


def test_words_outside_the_vocabulary_are_spelt_in_characters():
    units, vocab, _ = build("word", [TEXT * 3], 5)
    split = units.split("thy window of glass")
    assert "thy" not in units.words or "thy" in split
    assert split[-5:] == list("glass")  # never seen: its characters
    assert all(len(u) == 1 for u in split if u.isspace())  # whitespace per character


def test_bpe_pieces_continue_their_word():
    units, _, merges = build("bpe", [TEXT * 5], 30)
    assert len(merges) == 30
    split = units.split("yonder windows")
    assert any(u.startswith(CONTINUE) for u in split)
    assert units.join(split) == "yonder windows"


def test_a_manifest_rebuilds_the_units():
    units, vocab, merges = build("bpe", [TEXT * 5], 30)
    manifest = {
        "config": {"units": "bpe", "lang": "en"},
        "vocabs": {"chars": vocab.to_dict(), "merges": merges},
    }
    again = Units.from_manifest(manifest)
    assert again.split(TEXT) == units.split(TEXT)
    old = {"config": {}, "vocabs": {"chars": vocab.to_dict()}}  # before units
    assert Units.from_manifest(old).split("ab c") == ["a", "b", " ", "c"]


def _root():
    from pathlib import Path

    return Path(__file__).resolve().parents[2]


@pytest.mark.slow  # two small trainings
def test_word_and_subword_models_train_sample_and_score(
    runner, invoke, train_once, monkeypatch
):
    common = ["--hidden", "48", "--embedding", "24", "--batch-size", "8"]
    common += ["--bptt", "32", "--time-budget", "4", "--seed", "1", "-q"]
    story = _root() / "corpora" / "story.txt"
    for name, args in [
        ("words", ["--units", "word", "--unit-vocab", "300"]),
        ("pieces", ["--units", "bpe", "--unit-vocab", "200"]),
    ]:
        trained = train_once("train", "charlm", story, "--name", name, *common, *args)
        monkeypatch.setenv("SEQCLI_HOME", str(trained.store))
        manifest = json.loads((trained.store / name / "manifest.json").read_text())
        assert manifest["config"]["units"] == args[1]
        prime = "The fox met a blorptastic"  # a word it never saw: its characters
        out = invoke(runner, "generate", "-m", name, "--prime", prime, "-n", "40",
                     "--seed", "3", "-q")  # fmt: skip
        assert out.exit_code == 0, out.output
        assert out.stdout.startswith(prime) and len(out.stdout) > len(prime) + 40
        assert "skipping" not in out.stderr
        scored = invoke(runner, "eval", "-m", name, "--json", story)
        loss = json.loads(scored.stdout)["loss"]  # nats per character
        assert 0.3 < loss < 3.0, loss
        assert manifest["metrics"]["loss"] < 4.0
        ner = _root() / "corpora" / "ner.conll"
        tagger = invoke(runner, "train", "tagger", ner, "--name", "t", "--lm", name)
        assert tagger.exit_code == 1 and "read characters" in tagger.stderr


def test_a_backward_model_reads_characters(runner, invoke, tmp_path):
    story = _root() / "corpora" / "story.txt"
    result = invoke(runner, "train", "charlm", story, "--name", "b", "--units", "word",
                    "--direction", "backward", "--epochs", "1")  # fmt: skip
    assert result.exit_code == 2 and "backward" in result.stderr
