"""`seqcli train tagger`, `seqcli tag` and `seqcli eval` on a tagger, end to end."""

import json
from pathlib import Path

import pytest
import torch

NER = Path(__file__).resolve().parents[2] / "corpora" / "ner.conll"
TINY = [
    *("--embedding", "24", "--char-filters", "16", "--char-embedding", "12"),
    *("--hidden", "32", "--batch-size", "16", "--dropout", "0", "--word-dropout", "0"),
    *("--lr", "0.02", "--warmup", "10", "--patience", "50", "--seed", "1"),
]


def sentences(n: int) -> str:
    """The first n sentences of corpora/ner.conll, as CoNLL text."""
    blocks = NER.read_text(encoding="utf-8").split("\n\n")
    return "\n\n".join(blocks[:n]) + "\n\n"


def gold_lines(conll: str) -> list[tuple[list[str], list[str]]]:
    return [
        tuple(
            map(list, zip(*(ln.split("\t") for ln in block.split("\n")), strict=True))
        )
        for block in conll.strip().split("\n\n")
    ]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def trained_store(train_once):
    """A store holding 'ner', a small tagger trained through the CLI on 200 sentences
    of corpora/ner.conll (which it learns by heart), and that data, train.conll."""
    return train_once(
        "train", "tagger", "train.conll", "--dev", "train.conll", "--name", "ner",
        *TINY, "--epochs", "12",
        files={"train.conll": sentences(200)},
    )  # fmt: skip


@pytest.fixture
def train_conll(trained_store):
    return trained_store.root / "train.conll"


@pytest.mark.slow  # the module's trained tagger: seconds
def test_eval_json_scores_the_training_data_perfectly(
    runner, home, invoke, train_conll
):
    result = invoke(runner, "eval", "-m", "ner", "--json", str(train_conll))
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["f1"] == 1.0 and metrics["precision"] == 1.0
    assert metrics["sentences"] == 200
    assert set(metrics["per_type"]) == {"LOC", "MISC", "ORG", "PER"}
    assert metrics["per_type"]["PER"]["f1"] == 1.0
    table = invoke(runner, "eval", "-m", "ner", str(train_conll))
    assert "per_type" in table.stderr and "MISC" in table.stderr
    assert table.stdout == ""  # tables are for people: stderr


@pytest.mark.slow
def test_tags_text_from_stdin_inline_and_jsonl(runner, home, invoke):
    chosen = gold_lines(sentences(6))
    texts = [" ".join(tokens) for tokens, _ in chosen]
    stdin = texts[0] + "\n\n" + "\n".join(texts[1:]) + "\n"
    inline = invoke(runner, "tag", "-m", "ner", "-q", input=stdin)
    assert inline.exit_code == 0, inline.output
    lines = inline.stdout.split("\n")
    assert lines[1] == "" and len(lines) == len(chosen) + 2  # the empty record kept
    expected = []
    for tokens, tags in chosen:
        words = list(tokens)
        for i, tag in enumerate(tags):
            if tag.startswith("B-"):
                words[i] = f"[{tag[2:]} {words[i]}"
            if tag != "O" and (i + 1 == len(tags) or not tags[i + 1].startswith("I")):
                words[i] += "]"
        expected.append(" ".join(words))
    assert [lines[0], *lines[2:-1]] == expected

    jsonl = invoke(runner, "tag", "-m", "ner", "--format", "jsonl", input=stdin)
    records = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert records[1] == {"text": "", "tokens": [], "tags": [], "entities": []}
    for record, (tokens, tags) in zip(records[:1] + records[2:], chosen, strict=True):
        assert record["tokens"] == tokens and record["tags"] == tags
        for entity in record["entities"]:
            assert record["text"][entity["start"] : entity["end"]] == entity["text"]
    assert sum(len(r["entities"]) for r in records) > 6


@pytest.mark.slow
def test_conll_in_conll_out_keeps_every_line(runner, home, tmp_path, invoke):
    text = "-DOCSTART-\tO\n\n" + sentences(4) + "\n"  # ends with two blank lines
    path = tmp_path / "in.conll"
    path.write_text(text, encoding="utf-8")
    result = invoke(
        runner, "tag", "-m", "ner", "--input", "conll", "--format", "conll", str(path)
    )
    assert result.exit_code == 0, result.output
    lines_in = text.split("\n")[:-1]
    lines_out = result.stdout.split("\n")[:-1]
    assert len(lines_out) == len(lines_in)
    for before, after in zip(lines_in, lines_out, strict=True):
        if before.strip() and not before.startswith("-DOCSTART-"):
            token, gold = before.split("\t")
            assert after == f"{before}\t{gold}"  # learnt by heart
        else:
            assert after == before
    bioes = invoke(
        runner,
        "tag",
        "-m",
        "ner",
        "--input",
        "conll",
        "--format",
        "conll",
        "--scheme",
        "bioes",
        str(path),
    )
    assert "S-" in bioes.stdout or "E-" in bioes.stdout


def test_iob1_input_is_written_back_as_iob1(runner, tmp_path, monkeypatch, invoke):
    """A model trained on IOB1 data writes IOB1; resume continues the same run."""
    monkeypatch.setenv("SEQCLI_HOME", str(tmp_path / "store"))
    data = tmp_path / "iob1.conll"
    data.write_text(
        "Anna\tI-PER\nBerg\tI-PER\nmet\tO\nOla\tI-PER\nin\tO\nOslo\tI-LOC\n.\tO\n\n"
        "Oslo\tI-LOC\nBergen\tB-LOC\n\n",
        encoding="utf-8",
    )
    args = [
        "train",
        "tagger",
        str(data),
        "--dev",
        str(data),
        "--name",
        "t",
        *TINY,
    ]
    first = invoke(runner, *args, "--epochs", "1")
    assert first.exit_code == 0, first.output
    again = invoke(runner, *args, "--epochs", "3", "--resume")
    assert again.exit_code == 0, again.output
    assert "resuming t at epoch 2" in again.stderr
    from seqcli.store import Store

    manifest = Store().manifest("t")
    assert manifest["input_scheme"] == "iob1"
    assert manifest["training"]["steps"] == 3
    out = invoke(runner, "tag", "-m", "t", "--format", "conll", input="Oslo Bergen\n")
    tags = [line.split("\t")[1] for line in out.stdout.split("\n") if line]
    assert all(t == "O" or t.startswith("I-") or t.startswith("B-") for t in tags)


BAD_CONLL = [
    (b"a\tO\nb\tO\tX\n", "bad.conll:2: expected 2 columns, got 3"),
    (b"a\tO\nb\tPERSON\n", "bad.conll:2: bad label 'PERSON'"),
    (b"", "bad.conll: no sentences"),
    (b"\n\n-DOCSTART-\tO\n", "bad.conll: no sentences"),
    (b"a\tO\n\xc3(\tO\n", "bad.conll: not valid UTF-8 at byte 4"),
]


@pytest.mark.parametrize(("content", "message"), BAD_CONLL)
def test_malformed_training_data_is_one_line_error(
    runner, tmp_path, content, message, invoke
):
    bad = tmp_path / "bad.conll"
    bad.write_bytes(content)
    args = ["train", "tagger", "bad.conll", "--dev", "bad.conll", "--name", "x"]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        result = invoke(runner, *args)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"Error: {message}")


@pytest.mark.slow
def test_bad_input_to_tag_and_eval(runner, home, tmp_path, invoke, train_conll):
    cases = [
        (["tag", "-m", "ner"], b"ok\n\xff\n", "not valid UTF-8 at byte 3"),
        (["tag", "-m", "ner", str(tmp_path / "none.txt")], None, "no such file"),
        (["tag", "-m", "nope"], b"x\n", "no model named 'nope'"),
        (
            ["eval", "-m", "ner", "--label-column", "5", str(train_conll)],
            None,
            "label column 5 out of range for 2 columns",
        ),
    ]
    for args, stdin, message in cases:
        result = invoke(runner, *args, input=stdin)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        # the device line, and a note on the first use that exports the graph
        assert len([x for x in lines if not x.startswith("exporting")]) <= 2
    bad_size = invoke(runner, "tag", "-m", "ner", "--batch-size", "0", input="x\n")
    assert bad_size.exit_code == 2
    no_file = invoke(runner, "eval", "-m", "ner")
    assert no_file.exit_code == 2 and "give the CoNLL file(s) to score" in (
        no_file.stderr
    )


def test_unknown_label_column_in_training(runner, tmp_path, invoke):
    data = tmp_path / "d.conll"
    data.write_text("a\tX\tO\n", encoding="utf-8")
    args = ["train", "tagger", str(data), "--dev", str(data), "--name", "x"]
    result = invoke(runner, *args, "--label-column", "3")
    assert result.exit_code == 1
    assert "d.conll:1: label column 3 out of range for 3 columns" in result.stderr


def test_a_model_of_another_kind_is_refused(runner, tmp_path, invoke):
    from seqcli.store import Store

    Store().save("lm", {"w": torch.zeros(1)}, {"kind": "charlm", "config": {}})
    result = invoke(runner, "tag", "-m", "lm", input="hello\n")
    assert result.exit_code == 1
    assert "model 'lm' is a charlm model, not a tagger model" in result.stderr


SIX = {"PER": ("person", "group"), "LOC": ("location", "creative-work")}
SIX |= {"ORG": ("corporation", "corporation"), "MISC": ("product", "product")}


def six_types(conll: str) -> str:
    """corpora/ner.conll's sentences with WNUT-17's six types: PER and LOC become two
    types each, by sentence (even: the first, odd: the second)."""
    out = []
    for n, block in enumerate(conll.strip().split("\n\n")):
        lines = []
        for line in block.split("\n"):
            token, tag = line.split("\t")
            if tag != "O":
                tag = f"{tag[:2]}{SIX[tag[2:]][n % 2]}"
            lines.append(f"{token}\t{tag}")
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n\n"


@pytest.mark.slow  # a training: seconds
def test_six_types_without_dev_are_written_in_every_format(
    runner, invoke, tmp_path, monkeypatch
):
    monkeypatch.setenv("SEQCLI_HOME", str(tmp_path / "store"))
    data = tmp_path / "six.conll"
    data.write_text(six_types(sentences(200)))
    result = invoke(
        runner, "train", "tagger", data, "--name", "six", *TINY, "--epochs", "14",
        "--dev-fraction", "0.1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "180 training sentences" in result.stderr
    types = {"person", "group", "location", "creative-work", "corporation", "product"}
    metrics = json.loads(invoke(runner, "eval", "-m", "six", "--json", data).stdout)
    assert set(metrics["per_type"]) == types
    text = "".join(
        " ".join(tokens) + "\n" for tokens, _ in gold_lines(data.read_text())
    )
    inline = invoke(runner, "tag", "-m", "six", input=text).stdout
    assert {t for t in types if f"[{t} " in inline} == types
    records = [json.loads(x) for x in invoke(
        runner, "tag", "-m", "six", "--format", "jsonl", input=text
    ).stdout.splitlines()]  # fmt: skip
    assert {e["label"] for r in records for e in r["entities"]} == types
    conll = invoke(runner, "tag", "-m", "six", "--format", "conll", input=text)
    found = {line.split("\t")[1][2:] for line in conll.stdout.splitlines() if line}
    assert found - {""} == types
