"""seqcli as a library: `seqcli.load` and each kind's method give exactly the records
the command line writes (the golden outputs of the built-in models; scores within
the tolerance of tests/close.py)."""

import json
import os
import subprocess
import sys

import pytest

import seqcli

from .close import same
from .test_golden import CASES, GOLDEN, ROOT, english, ner_lines

pytestmark = [pytest.mark.numeric, pytest.mark.usefixtures("one_thread")]


def golden(case: str) -> list[dict]:
    return [
        json.loads(line) for line in (GOLDEN / f"{case}.out").read_text().splitlines()
    ]


def test_importing_seqcli_imports_no_torch():
    code = "import sys, seqcli; print('torch' in sys.modules, callable(seqcli.load))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_tag_gives_the_records_of_tag_jsonl():
    tagger = seqcli.load("conll-en", device="cpu")
    assert tagger.kind == "tagger" and repr(tagger) == "<seqcli tagger 'conll-en'>"
    assert CASES["tag-60-jsonl"][0] == ["tag", "--format", "jsonl"]
    lines = ner_lines(300, 60).splitlines()
    same(tagger.tag(lines), golden("tag-60-jsonl"))
    same(tagger.tag(lines[1]), golden("tag-60-jsonl")[1])


def test_translate_gives_the_records_of_translate_json():
    translator = seqcli.load("multi30k-en-de", device="cpu")
    assert CASES["translate-30-nbest-json"][0] == [
        "translate",
        "--n-best",
        "3",
        "--json",
    ]
    lines = english(400, 30).splitlines()
    same(translator.translate(lines, n_best=3), golden("translate-30-nbest-json"))


def test_generate_gives_the_records_of_generate_json():
    lm = seqcli.load("shakespeare", device="cpu")
    args = CASES["generate-samples-json"][0]
    assert args[1:] == [
        "--seed", "2", "-n", "200", "--samples", "3", "--json",
        "--top-k", "10", "--prime", "KING",
    ]  # fmt: skip
    found = lm.generate("KING", length=200, samples=3, top_k=10, seed=2)
    same(found, golden("generate-samples-json"))


def test_bad_input_raises_seqcli_error():
    with pytest.raises(seqcli.SeqcliError, match="no model named 'nope'"):
        seqcli.load("nope")
    tagger = seqcli.load("conll-en", device="cpu")
    with pytest.raises(seqcli.SeqcliError, match="a string or a list of strings"):
        tagger.tag(["fine", 3])
    translator = seqcli.load("multi30k-en-de", device="cpu")
    with pytest.raises(seqcli.SeqcliError, match="n_best must be between 1 and"):
        translator.translate("A dog.", beam=2, n_best=3)
    lm = seqcli.load("shakespeare", device="cpu")
    with pytest.raises(seqcli.SeqcliError, match="top_p"):
        lm.generate("A", length=5, top_p=0)


def test_classify_gives_the_records_of_classify_jsonl(runner, invoke):
    lines = [
        line.split("\t")[1]
        for line in (ROOT / "corpora/reviews.tsv").read_text().splitlines()[:30]
    ] + [""]
    result = invoke(
        runner,
        "classify",
        "--format",
        "jsonl",
        "--top-k",
        "2",
        input="\n".join(lines) + "\n",
    )
    assert result.exit_code == 0, result.output
    written = [json.loads(line) for line in result.stdout.splitlines()]
    classifier = seqcli.load("sentiment-en", device="cpu")
    same(classifier.classify(lines, top_k=2), written)
    same(classifier.classify(lines[0], top_k=2), written[0])
    with pytest.raises(seqcli.SeqcliError, match="top_k"):
        classifier.classify("fine", top_k=0)


def test_the_library_runs_the_commands_backend_quietly(tmp_path):
    """seqcli.load takes the command's way on the CPU: the tagger's cached graph,
    without importing PyTorch once the graph exists, and says nothing on stderr."""
    code = (
        "import sys, seqcli\n"
        "tagger = seqcli.load('conll-en', device='cpu')\n"
        "record = tagger.tag('Angela Merkel met Emmanuel Macron in Paris.')\n"
        "print([e['text'] for e in record['entities']], 'torch' in sys.modules)\n"
    )
    env = {**os.environ, "SEQCLI_HOME": str(tmp_path)}

    def run():
        return subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env
        )

    first = run()  # exports the graph into the store (PyTorch, once)
    assert first.returncode == 0, first.stderr
    second = run()
    assert second.returncode == 0 and second.stderr == ""
    assert second.stdout.strip().endswith("False")
    assert "'Angela Merkel'" in second.stdout and "'Paris'" in second.stdout


NAN, INF = float("nan"), float("inf")


@pytest.fixture(scope="module")
def models():
    return {
        kind: seqcli.load(name, device="cpu")
        for kind, name in [
            ("tagger", "conll-en"),
            ("translator", "multi30k-en-de"),
            ("charlm", "shakespeare"),
            ("classifier", "sentiment-en"),
        ]
    }


@pytest.mark.parametrize(
    ("kind", "call", "message"),
    [
        ("tagger", lambda m: m.tag(None), "not NoneType"),
        ("tagger", lambda m: m.tag(5), "not int"),
        ("tagger", lambda m: m.tag(b"bytes"), "not bytes"),
        ("tagger", lambda m: m.tag("x", scheme="bad"), "unknown scheme 'bad'"),
        ("classifier", lambda m: m.classify(None), "a string or a list"),
        ("classifier", lambda m: m.classify("x", top_k="2"), "top_k"),
        ("translator", lambda m: m.translate(None), "a string or a list"),
        ("translator", lambda m: m.translate("x", beam=0), "beam must be an integer"),
        ("translator", lambda m: m.translate("x", length_penalty=NAN), "finite"),
        ("translator", lambda m: m.translate("x", max_len_ratio=INF), "finite"),
        ("charlm", lambda m: m.generate(None), "a string or a list"),
        ("charlm", lambda m: m.generate("A", length="5"), "length must be an integer"),
        ("charlm", lambda m: m.generate("A", temperature=NAN), "temperature"),
        ("charlm", lambda m: m.generate("A", seed=-1), "seed must be"),
        ("charlm", lambda m: m.generate("A", seed=10**20), "seed must be"),
    ],
)  # fmt: skip
def test_bad_arguments_raise_seqcli_error(models, kind, call, message):
    with pytest.raises(seqcli.SeqcliError, match=message):
        call(models[kind])


def test_load_refuses_what_is_not_a_name():
    with pytest.raises(seqcli.SeqcliError, match="name must be a model name"):
        seqcli.load(None)


def test_load_takes_the_store_as_a_folder(tmp_path):
    from pathlib import Path

    for store in (str(tmp_path), Path(tmp_path)):
        assert seqcli.load("sentiment-en", device="cpu", store=store).kind == (
            "classifier"
        )
    with pytest.raises(seqcli.SeqcliError, match="no model named 'nope'"):
        seqcli.load("nope", store=tmp_path)


def test_loading_prints_nothing():
    code = "import seqcli; seqcli.load('sentiment-en', device='cpu')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr == "" and out.stdout == ""


def test_any_iterable_of_strings_is_a_list(models):
    lines = ["Anna flew to Oslo.", "Bob stayed."]
    tagger = models["tagger"]
    assert tagger.tag(x for x in lines) == tagger.tag(lines)
    assert len(tagger.tag(tuple(lines))) == 2
    classifier = models["classifier"]
    assert classifier.classify(iter(lines)) == classifier.classify(lines)


def test_generate_gives_one_record_per_prime(models):
    lm = models["charlm"]
    found = lm.generate(["A", "B"], length=5, seed=1)
    assert [r["prime"] for r in found] == ["A", "B"]
    assert all(len(r["text"]) == 5 for r in found)
    assert found[0] == lm.generate("A", length=5, seed=1)[0]
    two = lm.generate(["A", "B"], length=5, samples=2, seed=1)
    assert [(r["prime"], r["sample"]) for r in two] == [
        ("A", 1), ("A", 2), ("B", 1), ("B", 2)
    ]  # fmt: skip
