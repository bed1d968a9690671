"""seqcli.tagger.capitals: each word's capitalised share in running text, counted
by hand on small texts, and the tagger that reads it (--case-text)."""

import torch

from seqcli.tagger.capitals import CLASSES, UNSEEN, capital_classes, capital_uses
from seqcli.vocab import Vocab


def test_uses_are_counted_where_a_capital_means_something():
    """Not a line's first word, nor one after a sentence's end, nor a word in
    capitals throughout; punctuation around a word is not part of it; keys are
    lower-cased, digits read as 0, as the tagger's words are."""
    lines = [
        "Yesterday John met john in Paris. Then (Paris) again!",
        "THE End of May 2020 : Smith",
        "paris",
    ]
    capital, uses = capital_uses(lines)
    # "Yesterday": a line's start; "Then": after "Paris."; "Smith": after ":";
    # "THE": capitals throughout; "paris" on the last line: its start; "0000": no letter
    assert dict(uses) == {
        "john": 2,
        "met": 1,
        "in": 1,
        "paris": 2,
        "again": 1,
        "end": 1,
        "of": 1,
        "may": 1,
    }
    assert dict(capital) == {"john": 1, "paris": 2, "end": 1, "may": 1}


def test_each_word_gets_the_class_of_its_share():
    """Three uses at least, else UNSEEN; then one class per share bound (0.05,
    0.5, 0.95); padding keeps class 0 and the specials are unseen; the words of a
    cased vocabulary take the class of their lower-cased key."""
    words = Vocab(["anna", "may", "often", "the", "rare", "absent"])
    lines = [
        "x Anna Anna Anna Anna",  # 4 of 4: 1.0
        "x May may may may",  # 1 of 4: 0.25
        "x Often Often often",  # 2 of 3: 0.67
        "x the the the the the",  # 0 of 5
        "x Rare Rare",  # 2 uses only
    ]
    classes = capital_classes(words, lines)
    by = {w: classes[words.stoi[w]] for w in words.itos[4:]}
    assert classes[words.pad_index] == 0
    assert classes[words.unk_index] == UNSEEN
    assert by == {
        "anna": 5,
        "may": 3,
        "often": 4,
        "the": 2,
        "rare": UNSEEN,
        "absent": UNSEEN,
    }
    assert max(classes) < CLASSES
    cased = Vocab(["Anna", "anna", "the"])  # a cased vocabulary: --case cased
    classes = capital_classes(cased, lines)
    assert [classes[cased.stoi[w]] for w in ("Anna", "anna", "the")] == [5, 5, 2]


def test_a_tagger_with_the_prior_reads_each_words_class(tmp_path):
    """Trained with --case-text, the tagger stores each word's class with its
    weights (the manifest says so), and changing a word's class changes its tag
    scores: the feature is read. --case-text on a resumed run is refused."""
    from click.testing import CliRunner

    from seqcli import kinds
    from seqcli.cli import cli
    from seqcli.store import Store
    from seqcli.tagger.data import Batcher

    from .conftest import NER

    text = tmp_path / "case.txt"
    text.write_text("x Tuesday and Tuesday at Port or Port by Tuesday or Port\n")
    env = {"SEQCLI_HOME": str(tmp_path / "home")}
    args = ["train", "tagger", str(NER), "--case-text", str(text), "--epochs", "1"]
    args += ["--hidden", "16", "--name", "cp", "-q", "--seed", "1"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    store = Store(tmp_path / "home", builtin=None)
    manifest = store.manifest("cp")
    assert manifest["config"]["capital_prior"] is True
    assert manifest["training"]["case_text"] == str(text)
    model, _ = kinds.load(store, "cp", "tagger", torch.device("cpu"), manifest)
    batcher = Batcher.from_manifest(manifest)
    day, port = batcher.words.stoi["tuesday"], batcher.words.stoi["port"]
    assert model.capital_class[day] == 5 and model.capital_class[port] == 5
    assert model.capital_class[batcher.words.stoi["and"]] == UNSEEN
    batch = batcher.batch([["tuesday", "at", "the", "port"]])
    with torch.no_grad():
        before = model.emissions(batch)
        model.capital_class[day] = 2
        after = model.emissions(batch)
    # the first token's scores move; float32 noise is far below 1e-3
    assert (after[0, 0] - before[0, 0]).abs().max() > 1e-3
    resumed = CliRunner().invoke(cli, [*args, "--epochs", "2", "--resume"], env=env)
    assert resumed.exit_code != 0 and "--case-text is kept" in resumed.output
