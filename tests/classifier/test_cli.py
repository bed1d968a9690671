"""`seqcli train classifier`, `seqcli classify` and `seqcli eval` end to end."""

import json

import pytest

from seqcli.store import Store

from .conftest import REVIEWS

NER = REVIEWS.parent / "ner.conll"

pytestmark = pytest.mark.usefixtures("one_thread")
TINY = ["--embedding", "24", "--hidden", "24", "--dropout", "0.1", "--lr", "0.01"]
TINY += ["--warmup", "10", "--epochs", "6", "--seed", "2"]


def fasttext(tsv: str) -> str:
    """The same lines in fastText's form."""
    lines = (line.split("\t") for line in tsv.splitlines())
    return "".join(f"__label__{label} {text}\n" for label, text in lines)


@pytest.fixture(scope="module")
def trained_store(train_once):
    """'rev', trained through the CLI on fastText-style lines of corpora/reviews.tsv
    (the first 1,200; the other 300 are its test data, test.tsv)."""
    lines = REVIEWS.read_text().splitlines(keepends=True)
    return train_once(
        "train", "classifier", "train.txt", "--name", "rev", *TINY,
        files={
            "train.txt": fasttext("".join(lines[:1200])),
            "test.tsv": "".join(lines[1200:]),
        },
    )  # fmt: skip


@pytest.fixture
def test_tsv(trained_store):
    return trained_store.root / "test.tsv"


def test_training_reports_on_stderr_only(trained_store):
    assert trained_store.result.stdout == ""
    assert "classifier rev: 1,080 training texts" in trained_store.result.stderr
    assert "calibrated on dev: temperature" in trained_store.result.stderr


def test_classify_writes_one_label_per_line_in_order(home, runner, invoke, test_tsv):
    rows = [line.split("\t") for line in test_tsv.read_text().splitlines()[:40]]
    texts = [text for _, text in rows]
    lines = texts[:20] + [""] + texts[20:]
    result = invoke(runner, "classify", "-m", "rev", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert len(out) == 41 and out[20] == ""
    predicted = out[:20] + out[21:]
    assert set(predicted) <= {"pos", "neg", "mixed"}
    right = sum(p == label for p, (label, _) in zip(predicted, rows, strict=True))
    assert right >= 36


def test_jsonl_with_top_k_gives_sorted_scores(home, runner, invoke):
    text = "What a wonderful film ! Worth every penny .\n\n"
    result = invoke(
        runner, "classify", "-m", "rev", "--format", "jsonl", "--top-k", "3",
        input=text,
    )  # fmt: skip
    first, empty = (json.loads(line) for line in result.stdout.splitlines())
    assert first["text"] == "What a wonderful film ! Worth every penny ."
    assert first["label"] == "pos" == first["labels"][0]["label"]
    scores = [x["score"] for x in first["labels"]]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    assert sum(scores) == pytest.approx(1.0, abs=1e-3)
    assert first["score"] == scores[0]
    assert empty == {"text": "", "label": None, "score": None, "labels": []}


def test_eval_json_has_per_class_scores_and_the_confusion_matrix(
    home, runner, invoke, test_tsv
):
    result = invoke(runner, "eval", "-m", "rev", "--json", test_tsv)
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["texts"] == 300 and metrics["accuracy"] >= 0.9
    assert set(metrics["per_class"]) == {"pos", "neg", "mixed"}
    confusion = metrics["confusion"]
    assert sum(sum(row.values()) for row in confusion.values()) == 300
    correct = sum(confusion[c][c] for c in confusion)
    assert correct / 300 == pytest.approx(metrics["accuracy"])
    # training fitted a temperature on dev: eval reports the error of both scores
    assert (
        metrics["temperature"]
        == Store(home).manifest("rev")["calibration"]["temperature"]
    )
    assert 0 <= metrics["ece"] <= 1 and 0 <= metrics["ece_uncalibrated"] <= 1
    table = invoke(runner, "eval", "-m", "rev", test_tsv)
    assert "macro_f1" in table.stderr and "confusion" in table.stderr
    assert "ece" in table.stderr
    assert table.stdout == ""


def test_a_line_with_two_labels_is_a_one_line_error(home, runner, invoke, tmp_path):
    bad = tmp_path / "two.txt"
    bad.write_text("__label__pos good\n__label__pos __label__neg odd\n")
    result = invoke(runner, "eval", "-m", "rev", bad)
    assert result.exit_code == 1
    assert "line 2: 2 labels (pos, neg); a classifier takes one" in result.stderr
    assert "Traceback" not in result.output


def test_eval_refuses_a_taggers_option(home, runner, invoke, test_tsv):
    result = invoke(runner, "eval", "-m", "rev", test_tsv, "--label-column", "2")
    assert result.exit_code == 2  # a bad option
    assert "--label-column does not apply to a classifier model" in result.stderr


def test_resume_and_balanced_class_weights(runner, invoke, tmp_path):
    """A run resumed for more epochs goes on from its state; --class-weights
    balanced records the setting and trains on imbalanced data."""
    lines = REVIEWS.read_text().splitlines()
    # 3 of every 4 "pos" reviews left out: pos is the rare class
    kept, seen = [], 0
    for line in lines[:600]:
        seen += line.startswith("pos")
        if not line.startswith("pos") or seen % 4 == 0:
            kept.append(line)
    data = tmp_path / "imbalanced.tsv"
    data.write_text("\n".join(kept) + "\n")
    args = ["train", "classifier", data, "--name", "w", *TINY[:-4], "--seed", "2"]
    args += ["--class-weights", "balanced", "--metric", "macro_f1"]
    first = invoke(runner, *args, "--epochs", "2")
    assert first.exit_code == 0, first.output
    from seqcli.store import Store

    meta, _ = Store().load_state("w")
    assert meta["manifest"]["config"]["class_weights"] == "balanced"
    steps = meta["position"]["global_step"]
    again = invoke(runner, *args, "--epochs", "4", "--resume")
    assert again.exit_code == 0, again.output
    assert "resuming w at epoch 3" in again.stderr
    assert Store().load_state("w")[0]["position"]["global_step"] == 2 * steps
    assert Store().manifest("w")["metrics"]["macro_f1"] > 0.6


def test_a_few_lines_run_on_the_exported_graph_as_pytorch_does(
    home, runner, invoke, test_tsv
):
    import torch

    from seqcli import kinds
    from seqcli.classifier.data import Codec
    from seqcli.classifier.decode import classify_texts
    from seqcli.store import Store

    texts = [line.split("\t")[1] for line in test_tsv.read_text().splitlines()[:12]]
    args = ("classify", "-m", "rev", "--format", "jsonl", "--top-k", "3")
    result = invoke(runner, *args, input="".join(f"{t}\n" for t in texts))
    assert result.exit_code == 0, result.output
    assert "device: cpu (onnxruntime)" in result.stderr
    found = [json.loads(line) for line in result.stdout.splitlines()]
    net, manifest = kinds.load(Store(), "rev", "classifier", torch.device("cpu"))
    expected = classify_texts(net, Codec.from_manifest(manifest), texts, top_k=3)
    for got, want in zip(found, expected, strict=True):
        assert [x["label"] for x in got["labels"]] == [
            x["label"] for x in want["labels"]
        ]
        assert [x["score"] for x in got["labels"]] == pytest.approx(
            [x["score"] for x in want["labels"]], abs=2e-4
        )
    # many lines: the graphs too, batched
    many = invoke(runner, *args, input="".join(f"{t}\n" for t in texts * 20))
    assert "device: cpu (onnxruntime)" in many.stderr
    batched = [json.loads(line) for line in many.stdout.splitlines()][:12]
    assert [r["label"] for r in batched] == [r["label"] for r in found]


def test_eval_scores_a_gold_label_the_model_lacks_as_scikit_learn_does(
    runner, invoke, tmp_path
):
    """The built-in sentiment model has no "mixed" class: those lines count in
    every metric, as in sklearn (labels: the union of gold and predicted)."""
    import seqcli

    from .test_recipe import sklearn_scores

    lines = (REVIEWS.read_text(encoding="utf-8").splitlines())[:60]
    data = tmp_path / "test.tsv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke(runner, "eval", "-m", "sentiment-en", "--json", data)
    assert result.exit_code == 0, result.output
    assert "mixed" in result.stderr  # the warning names it
    metrics = json.loads(result.stdout)
    gold = [line.split("\t")[0] for line in lines]
    model = seqcli.load("sentiment-en", device="cpu")
    pred = [r["label"] for r in model.classify([line.split("\t")[1] for line in lines])]
    assert "mixed" in gold and "mixed" not in pred
    expected = sklearn_scores(gold, pred)
    assert metrics["accuracy"] == pytest.approx(expected["accuracy"], abs=1e-9)
    assert metrics["macro_f1"] == pytest.approx(expected["macro_f1"], abs=1e-9)
    assert list(metrics["per_class"]) == list(expected["per_class"])
    assert metrics["per_class"]["mixed"]["support"] == gold.count("mixed")
    assert set(metrics["confusion"]) == set(expected["per_class"])


def test_eval_refuses_conll_data_for_a_classifier(runner, invoke):
    result = invoke(runner, "eval", "-m", "sentiment-en", NER)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1].startswith(
        f"Error: {NER} looks like CoNLL (a token and a tag per line)"
    )


def test_eval_refuses_labels_of_another_task(runner, invoke, tmp_path):
    data = tmp_path / "topics.tsv"
    data.write_text("sport\tA great match.\npolitics\tThe vote is today.\n")
    result = invoke(runner, "eval", "-m", "sentiment-en", data)
    assert result.exit_code == 1, result.output
    assert "none of its labels (politics, sport) is one the model predicts" in (
        result.stderr
    )


def test_with_dev_trains_on_dev_too_for_the_epochs_dev_chose(runner, invoke, tmp_path):
    """--with-dev NAME: the dev lines join the training data (a word only dev has
    enters the vocabulary), the run lasts the epochs NAME took to its best
    checkpoint, the last weights are kept without a dev score; resuming it keeps
    all of that."""
    from seqcli.store import Store

    lines = REVIEWS.read_text().splitlines()
    (tmp_path / "train.tsv").write_text("\n".join(lines[:400]) + "\n")
    dev = lines[400:500] + ["pos\tzyzzyva , a marvellous film"] * 2  # min_freq 2
    (tmp_path / "dev.tsv").write_text("\n".join(dev) + "\n")
    args = [
        "train",
        "classifier",
        tmp_path / "train.tsv",
        "--dev",
        tmp_path / "dev.tsv",
    ]
    args += [*TINY, "-q"]
    assert invoke(runner, *args, "--name", "chosen").exit_code == 0
    chosen = Store().manifest("chosen")
    best = chosen["training"]["steps"]
    epochs = [h["epoch"] for h in chosen["history"] if h["step"] == best][-1]

    result = invoke(runner, *args, "--name", "release", "--with-dev", "chosen")
    assert result.exit_code == 0, result.output
    release = Store().manifest("release")
    joined = release["training"]["with_dev"]
    assert joined["model"] == "chosen" and joined["epochs"] == epochs
    assert release["training"]["steps"] == joined["steps"]
    # 502 texts a pass instead of 400: more steps per epoch
    assert joined["steps"] / epochs > best / epochs
    assert "zyzzyva" in release["vocabs"]["words"]["tokens"]
    assert "zyzzyva" not in chosen["vocabs"]["words"]["tokens"]
    assert release["metrics"] == {}
    assert all("accuracy" not in h and "train_loss" in h for h in release["history"])
    shown = json.loads(invoke(runner, "models", "show", "release").stdout)
    assert "none of its own" in shown["metrics"]

    again = invoke(runner, *args, "--name", "release", "--resume")
    assert again.exit_code == 0, again.output
    assert Store().manifest("release")["training"]["steps"] == joined["steps"]
    twice = invoke(runner, *args, "--name", "release", "--resume", "--with-dev", "x")
    assert twice.exit_code == 2 and "kept from the run being resumed" in twice.stderr
    wrong = invoke(runner, *args, "--name", "r2", "--with-dev", "release")
    assert wrong.exit_code == 2 and "trained with its dev data" in wrong.stderr
