"""Context char-LMs: a backward char-LM, where each token's features are read, and a
tagger trained with `--lm` (weights copied and kept, resume, the CLI's errors)."""

from pathlib import Path

import pytest
import torch

from seqcli import kinds
from seqcli.charlm import recipe as charlm_recipe
from seqcli.store import Store
from seqcli.tagger import decode as tagging
from seqcli.tagger.data import Batcher, text_positions
from seqcli.vocab import Vocab

from .test_cli import TINY, sentences

ROOT = Path(__file__).resolve().parents[2]
STORY = ROOT / "corpora" / "story.txt"
LM = ["--embedding", "8", "--hidden", "16", "--layers", "1", "--bptt", "32"]
LM += ["--lr", "0.02"]

pytestmark = pytest.mark.usefixtures("one_thread")


def test_each_token_reads_the_separator_after_it_in_its_direction():
    texts, at = text_positions([["Anna", "met", "Bo"], ["x" * 50]], backward=False)
    assert texts[0] == "\nAnna met Bo\n"
    assert [texts[0][i] for i in at[0]] == [" ", " ", "\n"]
    assert [texts[0][: i + 1] for i in at[0]][1] == "\nAnna met "
    assert texts[1] == "\n" + "x" * 40 + "\n" and at[1] == [41]  # cut to 40 characters
    back, at = text_positions([["Anna", "met", "Bo"]], backward=True)
    assert back[0] == "\noB tem annA\n"
    # read right to left, the state at each position has read the token and the
    # separator before it
    assert [back[0][: i + 1][::-1] for i in at[0]] == [
        "\nAnna met Bo\n",
        " met Bo\n",
        " Bo\n",
    ]


@pytest.fixture(scope="module")
def lms(tmp_path_factory, one_thread):
    """A store with a forward and a backward char-LM trained briefly on story.txt."""
    from click.testing import CliRunner

    from seqcli.cli import cli

    home = tmp_path_factory.mktemp("lms")
    runner = CliRunner(env={"SEQCLI_HOME": str(home)})
    for direction in ("forward", "backward"):
        result = runner.invoke(
            cli,
            ["train", "charlm", str(STORY), "--name", direction[:3], "-q"]
            + ["--direction", direction, "--epochs", "2", *LM],
        )
        assert result.exit_code == 0, result.output
    return home


def test_a_backward_char_lm_reads_text_right_to_left(lms):
    store = Store(lms)
    model, manifest = kinds.load(store, "bac", "charlm", torch.device("cpu"))
    assert manifest["config"]["direction"] == "backward"
    dev = STORY.read_text(encoding="utf-8")[-5000:]
    path = lms / "dev.txt"
    path.write_text(dev, encoding="utf-8")
    loss = charlm_recipe.evaluate(model, manifest, files=[str(path)])["loss"]
    vocab = Vocab.from_dict(manifest["vocabs"]["chars"])
    reversed_ids = torch.tensor(vocab.encode(list(dev[::-1])))
    assert loss == pytest.approx(charlm_recipe.lm_loss(model, reversed_ids))
    # read the other way, its statistics no longer fit the text
    forward_ids = torch.tensor(vocab.encode(list(dev)))
    assert charlm_recipe.lm_loss(model, forward_ids) > loss + 0.2


def test_generate_refuses_a_backward_char_lm(runner, invoke, lms, monkeypatch):
    monkeypatch.setenv("SEQCLI_HOME", str(lms))
    result = invoke(runner, "generate", "-m", "bac", "-n", "5")
    assert result.exit_code == 1
    assert "'bac' is a backward char-LM" in result.stderr
    assert result.stdout == ""


@pytest.fixture
def home(lms, tmp_path, monkeypatch):
    import shutil

    home = tmp_path / "home"
    shutil.copytree(lms, home)
    monkeypatch.setenv("SEQCLI_HOME", str(home))
    (tmp_path / "train.conll").write_text(sentences(30), encoding="utf-8")
    return home


def tagger_args(home: Path, name: str, *more) -> list:
    data = home.parent / "train.conll"
    return ["train", "tagger", data, "--dev", data, "--name", name, *TINY, *more]


def test_a_tagger_with_context_lms_keeps_their_weights(runner, invoke, home):
    args = tagger_args(home, "t", "--lm", "for", "--lm", "bac", "--epochs", "8")
    result = invoke(runner, *args)
    assert result.exit_code == 0, result.output
    store = Store(home)
    manifest, tensors = store.load("t")
    assert list(manifest["context"]) == ["forward", "backward"]
    assert manifest["context"]["backward"]["model"] == "bac"
    for k, name in enumerate(["for", "bac"]):
        _, lm = store.load(name)
        for key in ("embed.weight", "rnn.weight_hh_l0", "rnn.bias_ih_l0"):
            assert torch.equal(tensors[f"lms.{k}.{key}"], lm[key]), key
        assert f"lms.{k}.head.weight" not in tensors
    # it learnt its training sentences: dev (= train) F1 well above chance
    assert manifest["metrics"]["f1"] > 0.5
    text = "Anna Berg flew from Oslo to Lima on Monday .\nHe met Ola in Bergen .\n"
    small = invoke(runner, "tag", "-m", "t", "--format", "jsonl", input=text)
    assert "device: cpu (onnxruntime)" in small.stderr
    model, manifest = kinds.load(store, "t", "tagger", torch.device("cpu"))
    tokens = [line.split() for line in text.splitlines()]
    expected = tagging.tag_tokens(model, manifest, tokens)
    import json

    found = [json.loads(line)["tags"] for line in small.stdout.splitlines()]
    assert found == expected


def test_resuming_a_tagger_with_context_lms_is_exact(runner, invoke, home):
    more = ["--lm", "for", "--lm", "bac", "--schedule", "constant", "--dropout", "0.3"]
    straight = invoke(runner, *tagger_args(home, "a", *more, "--epochs", "2"))
    assert straight.exit_code == 0, straight.output
    first = invoke(runner, *tagger_args(home, "b", *more, "--epochs", "1"))
    assert first.exit_code == 0, first.output
    resumed = invoke(
        runner,
        *tagger_args(home, "b", "--schedule", "constant", "--dropout", "0.3")
        + ["--epochs", "2", "--resume"],
    )
    assert resumed.exit_code == 0, resumed.output
    store = Store(home)
    _, a = store.load_state("a")
    _, b = store.load_state("b")
    weights = [k for k in a if k.startswith("model.")]
    assert any(k.startswith("model.lms.1.") for k in weights)
    for k in weights:
        assert torch.equal(a[k], b[k]), k


@pytest.mark.parametrize(
    ("more", "message"),
    [
        (["--lm", "for", "--lm", "for"], "--lm: two forward char-LMs"),
        (["--lm", "nope"], "no model named 'nope'"),
        (["--lm", "tagged"], "'tagged' is a tagger model, not a charlm model"),
    ],
)
def test_bad_context_lms_are_one_line_errors(runner, invoke, home, more, message):
    ok = invoke(runner, *tagger_args(home, "tagged", "--epochs", "1"))
    assert ok.exit_code == 0, ok.output
    result = invoke(runner, *tagger_args(home, "t", "--epochs", "1", *more))
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.output
    assert "t" not in Store(home).names()


def test_resume_does_not_take_other_context_lms(runner, invoke, home):
    assert invoke(runner, *tagger_args(home, "t", "--epochs", "1")).exit_code == 0
    result = invoke(runner, *tagger_args(home, "t", "--resume", "--lm", "for"))
    assert result.exit_code == 1
    assert "--lm is kept from the run being resumed" in result.stderr


def test_the_batcher_reads_each_lm_in_its_own_vocabulary():
    lm = Vocab(list("an"))
    batcher = Batcher(Vocab(["anna"]), Vocab(list("Anam")), "lower", {"backward": lm})
    arrays = batcher.arrays([["Anna", "ma"], ["a"]])
    assert "forward_text" not in arrays
    pad = [lm.pad_index] * 6
    assert arrays["backward_text"].tolist() == [
        lm.encode("\nam annA\n"),
        lm.encode("\na\n") + pad,
    ]
    assert arrays["backward_at"].tolist() == [[8, 3], [2, 0]]
