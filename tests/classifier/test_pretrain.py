"""Pretraining a classifier's encoder as a word language model (--pretrain), and a
classifier started from it (--lm)."""

import json
import math

import pytest
import torch

from seqcli.classifier import pretrain
from seqcli.classifier.config import TRAINING, ClassifierConfig
from seqcli.classifier.model import Classifier
from seqcli.classifier.pretrain import Pretrainer, SampledSoftmax, chunks
from seqcli.classifier.recipe import ClassifierRecipe
from seqcli.errors import OptionError
from seqcli.recipe import initial_model
from seqcli.store import Store

from .conftest import REVIEWS

pytestmark = pytest.mark.usefixtures("one_thread")
TINY = ["--hidden", "24", "--embedding", "24", "--seed", "1"]


def test_windows_are_near_equal_pieces_of_the_text():
    assert chunks(list(range(250)), 100) == [
        list(range(0, 84)), list(range(84, 168)), list(range(168, 250))
    ]  # fmt: skip
    assert chunks([7, 8, 9], 100) == [[7, 8, 9]]
    assert chunks([7], 100) == [] and chunks([], 100) == []  # nothing to predict


def test_each_half_of_the_encoder_reads_one_way_only():
    """The forward half at t must not see words after t (it predicts t + 1), the
    backward half not words before t: otherwise the language model reads its
    answers."""
    torch.manual_seed(0)
    model = Pretrainer(ClassifierConfig(vocab_size=30, embedding=8, hidden=6)).eval()
    net = model.classifier
    ids = torch.randint(4, 30, (1, 9))
    changed = ids.clone()
    changed[0, 6] = (ids[0, 6] - 3) % 26 + 4  # another word at position 6
    with torch.no_grad():
        a, _ = net.encoder(net.words(ids), lengths=torch.tensor([9]))
        b, _ = net.encoder(net.words(changed), lengths=torch.tensor([9]))
    forward, backward = slice(0, 6), slice(6, 12)
    assert torch.equal(a[0, :6, forward], b[0, :6, forward])
    assert not torch.allclose(a[0, 6:, forward], b[0, 6:, forward])
    assert torch.equal(a[0, 7:, backward], b[0, 7:, backward])
    assert not torch.allclose(a[0, :7, backward], b[0, :7, backward])


def test_two_layers_are_refused():
    with pytest.raises(OptionError, match="--layers 1"):
        Pretrainer(ClassifierConfig(vocab_size=30, layers=2))


def test_the_sampled_softmax_learns_what_the_exact_one_scores():
    """Trained on 64 of 1,000 words drawn per step, the exact cross-entropy of the
    targets falls from about log(1000) to well under it."""
    torch.manual_seed(0)
    head = SampledSoftmax(16, 1000)
    states = torch.randn(200, 16)
    targets = torch.randint(0, 1000, (200,))
    head.eval()
    before = head(states, targets).item()
    assert before == pytest.approx(math.log(1000), abs=0.2)
    head.train()
    optimizer = torch.optim.Adam(head.parameters(), lr=0.05)
    for _ in range(150):
        optimizer.zero_grad()
        head(states, targets).backward()
        optimizer.step()
    head.eval()
    assert head(states, targets).item() < before - 3


@pytest.fixture(scope="module")
def trained_store(train_once):
    """'rev-lm' pretrained on the generated reviews' text, labels left out."""
    texts = "".join(
        line.split("\t")[1] + "\n" for line in REVIEWS.read_text().splitlines()
    )
    return train_once(
        "train", "classifier", "texts.txt", "--pretrain", "--name", "rev-lm",
        *TINY, "--epochs", "12", "--eval-every", "20", "--lr", "0.01",
        files={"texts.txt": texts},
    )  # fmt: skip


def test_pretraining_learns_the_text(trained_store):
    manifest = Store(trained_store.store).manifest("rev-lm")
    assert manifest["pretrained"]["objective"] == pretrain.OBJECTIVE
    vocab = manifest["config"]["vocab_size"]
    history = manifest["history"]
    first, best = history[0]["perplexity"], manifest["metrics"]
    # the generated reviews are templates over a few dozen words
    assert best["perplexity"] < vocab / 4 and best["perplexity"] < first
    assert best["loss"] == pytest.approx(math.log(best["perplexity"]), rel=1e-6)


def test_a_pretrained_encoder_is_not_run_as_a_classifier(home, runner, invoke):
    result = invoke(runner, "classify", "-m", "rev-lm", input="The film was good .\n")
    assert result.exit_code == 1 and result.stdout == ""
    assert "pretrained encoder" in result.stderr and "--lm rev-lm" in result.stderr
    assert result.stderr.count("\n") == 1
    # listed as what it is (the server's page offers only models whose status is ok)
    rows = invoke(runner, "models", "list", "--json").stdout.splitlines()
    row = next(r for r in map(json.loads, rows) if r["name"] == "rev-lm")
    assert (row["kind"], row["status"]) == ("classifier", "pretrained encoder")


def test_a_classifier_starts_from_the_encoder(home):
    store = Store(home)
    recipe = ClassifierRecipe(str(REVIEWS), store=store, lm="rev-lm")
    train_part, dev = recipe.split_dev(recipe.read()[0], seed=1)
    config = ClassifierConfig(hidden=64, embedding=64)  # the encoder's win
    manifest = recipe.manifest(config, train_part, dev)
    assert (config.hidden, config.embedding) == (24, 24)
    encoder = store.manifest("rev-lm")
    assert manifest["vocabs"]["words"] == encoder["vocabs"]["words"]
    assert manifest["training"]["lm"] == "rev-lm"
    model = initial_model(Classifier, manifest, seed=5)
    recipe.task(
        model, manifest, train_part, dev, settings=TRAINING,
        device=torch.device("cpu"),
    )  # fmt: skip
    lm = Pretrainer.from_manifest(encoder)
    store.load_weights(lm, "rev-lm", encoder)
    state = lm.encoder_state()
    assert {k.split(".")[0] for k in state} == {"words", "encoder"}
    for key, value in state.items():  # copied, not computed: equal exactly
        assert torch.equal(model.state_dict()[key], value), key


def test_train_with_lm_through_the_cli(home, runner, invoke):
    result = invoke(
        runner, "train", "classifier", str(REVIEWS), "--lm", "rev-lm", "--name",
        "rev", "--epochs", "2", "--lr", "0.01", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = Store(home).manifest("rev")
    assert manifest["config"]["hidden"] == 24 and manifest["metrics"]["accuracy"] > 0.9
    result = invoke(runner, "classify", "-m", "rev", input="The film was superb .\n")
    assert result.exit_code == 0 and result.stdout.strip() in ("pos", "mixed")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--lm", "rev-lm", "--vectors", str(REVIEWS)], "--lm and --vectors"),
        (["--lm", "rev-lm", "--pretrain"], "give one"),
        (["--pretrain", "--layers", "2"], "--layers 1"),
    ],
)
def test_options_that_exclude_each_other(home, runner, invoke, args, message):
    result = invoke(
        runner, "train", "classifier", str(REVIEWS), "--name", "x", *args, "-q"
    )
    assert result.exit_code in (1, 2) and message in result.stderr
    assert not Store(home).has("x")


def test_lm_must_name_a_pretrained_encoder(home, runner, invoke):
    invoke(runner, "train", "classifier", str(REVIEWS), "--name", "plain",
           *TINY, "--epochs", "1", "-q")  # fmt: skip
    result = invoke(
        runner, "train", "classifier", str(REVIEWS), "--lm", "plain", "--name", "x"
    )
    assert result.exit_code == 1 and "not a pretrained encoder" in result.stderr


def test_pretraining_resumes(home, runner, invoke):
    before = Store(home).manifest("rev-lm")["history"][-1]["step"]
    result = invoke(
        runner, "train", "classifier", str(REVIEWS), "--pretrain", "--name",
        "rev-lm", *TINY, "--epochs", "13", "--eval-every", "20", "--lr", "0.01",
        "--resume", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = Store(home).manifest("rev-lm")
    assert manifest["history"][-1]["step"] > before and manifest["pretrained"]
    assert manifest["history"][-1]["epoch"] == pytest.approx(13, abs=0.01)


def test_max_vocab_keeps_the_encoders_commonest_words(home):
    store = Store(home)
    recipe = ClassifierRecipe(str(REVIEWS), store=store, lm="rev-lm")
    train_part, dev = recipe.split_dev(recipe.read()[0], seed=1)
    manifest = recipe.manifest(ClassifierConfig(max_vocab=20), train_part, dev)
    encoder = store.manifest("rev-lm")
    kept = manifest["vocabs"]["words"]["tokens"]
    assert kept == encoder["vocabs"]["words"]["tokens"][:20]
    model = initial_model(Classifier, manifest, seed=5)
    recipe.task(
        model, manifest, train_part, dev, settings=TRAINING, device=torch.device("cpu")
    )
    lm = Pretrainer.from_manifest(encoder)
    store.load_weights(lm, "rev-lm", encoder)
    assert torch.equal(
        model.words.weight, lm.encoder_state()["words.weight"][:24]
    )  # and the specials
