"""`seqcli train translator`, `seqcli translate` and `seqcli eval` end to end."""

import json
from pathlib import Path

import pytest
import torch

from seqcli.cli import cli
from seqcli.inference import GRAPH_ROWS

PHRASES = Path(__file__).resolve().parents[2] / "corpora" / "phrases.tsv"
TINY = [
    "--embedding",
    "48",
    "--hidden",
    "96",
    "--batch-size",
    "32",
    "--epochs",
    "3",
    "--lr",
    "0.01",
    "--warmup",
    "10",
]


# every test here uses a translator trained through the CLI: seconds each
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]


@pytest.fixture(scope="module")
def trained_store(train_once):
    """A store holding 'phr', a translator trained on corpora/phrases.tsv (~5 s)."""
    return train_once("train", "translator", "--pairs", PHRASES, "--name", "phr", *TINY)


def test_translates_stdin_line_by_line_keeping_empty_lines(home, runner, invoke):
    lines = [
        "A man is riding a horse on the beach.",
        "",
        "Two tired dogs are sleeping in the snow.",
        "",
    ]
    result = invoke(runner, "translate", "-m", "phr", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Ein Mann reitet ein Pferd am Strand.",
        "",
        "Zwei müde Hunde schlafen im Schnee.",
        "",
    ]
    assert "device: cpu" in result.stderr  # messages stay off stdout


def test_output_line_i_belongs_to_input_line_i(home, runner, tmp_path, invoke):
    # lengths vary, so batches are sorted by length; order must come back
    lines = [
        "Some musicians are singing on a stage.",
        "A girl is reading.",
        "",
        "The old woman is eating a yellow banana in the park.",
        "A dog is running.",
        "Three workers are pushing the car.",
    ]
    path = tmp_path / "in.txt"
    path.write_text("\n".join(lines) + "\n")
    batched = invoke(runner, "translate", "-m", "phr", "--batch-size", "2", str(path))
    single = [
        invoke(runner, "translate", "-m", "phr", input=line + "\n").stdout.rstrip("\n")
        for line in lines
    ]
    assert batched.stdout.splitlines() == single
    assert batched.stdout.splitlines()[4].startswith("Ein Hund")


def test_greedy_and_beam_agree_on_easy_sentences(home, runner, invoke):
    text = "A woman is carrying a red bag in the city.\n"
    greedy = invoke(runner, "translate", "-m", "phr", "--beam", "1", input=text)
    beam = invoke(runner, "translate", "-m", "phr", "--beam", "5", input=text)
    assert greedy.stdout == beam.stdout
    # the exact endings can vary with the float rounding of a tiny model's training
    for word in ("Eine", "Frau", "trägt", "Tasche", "in der Stadt."):
        assert word in greedy.stdout


def test_json_n_best_is_sorted(home, runner, invoke):
    result = invoke(
        runner,
        "translate",
        "-m",
        "phr",
        "--n-best",
        "3",
        "--json",
        input="A boy is dancing.\n\n",
    )
    first, empty = (json.loads(line) for line in result.stdout.splitlines())
    assert first["source"] == "A boy is dancing."
    scores = [t["score"] for t in first["translations"]]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    assert len({t["text"] for t in first["translations"]}) == 3
    assert empty == {"source": "", "translations": [{"text": "", "score": 0.0}]}


def test_n_best_text_lines_carry_line_number_and_score(home, runner, invoke):
    result = invoke(
        runner, "translate", "-m", "phr", "--n-best", "2", input="A dog is jumping.\n"
    )
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [r[0] for r in rows] == ["1", "1"]
    assert float(rows[0][1]) >= float(rows[1][1])


def test_unknown_words_do_not_crash_and_are_copied_by_default(
    home, runner, invoke, monkeypatch
):
    from seqcli.search import Hypothesis
    from seqcli.store import Store
    from seqcli.translator import decode
    from seqcli.translator.data import Codec
    from seqcli.vocab import Vocab

    text = "A zebra is riding a horse.\nZorblat is riding a horse.\n"
    kept = invoke(runner, "translate", "-m", "phr", "--keep-unk", input=text)
    copied = invoke(runner, "translate", "-m", "phr", input=text)
    assert kept.exit_code == copied.exit_code == 0
    assert len(copied.stdout.splitlines()) == 2
    assert "<unk>" not in copied.stdout
    # this model never saw <unk> in a target and writes none: the flag changes nothing
    assert kept.stdout == copied.stdout

    # So the copying is checked on a hypothesis of this model's vocabularies:
    # "<unk> <unk> reitet ein Pferd." whose first <unk> attended most to "Zorblat",
    # unknown to the model too (copied), and the second to "riding" (left out).
    codec = Codec(Store(home).manifest("phr", "translator"))
    line = "Zorblat is riding a horse."
    (source,), (ids,) = codec.sources([line])
    assert source == ["Zorblat", "is", "riding", "a", "horse", "."]
    unk = Vocab.unk_index
    assert ids[0] == unk and unk not in ids[1:]
    words = codec.tgt_vocab.encode(["reitet", "ein", "Pferd", "##."])
    assert unk not in words
    hyp = Hypothesis([unk, unk, *words], -1.0, -0.2, [0, 2, 2, 3, 4, 5])
    assert codec.text(hyp, source) == "Zorblat reitet ein Pferd."
    assert codec.text(hyp, source, replace_unk=False) == "<unk> <unk> reitet ein Pferd."

    # and through the CLI, with the search answering that hypothesis
    def search(model, sources, **settings):
        assert sources == [ids]
        return [[hyp]]

    monkeypatch.setattr(decode, "translate_ids", search)
    copied = invoke(runner, "translate", "-m", "phr", input=line + "\n")
    assert copied.stdout == "Zorblat reitet ein Pferd.\n"
    kept = invoke(runner, "translate", "-m", "phr", "--keep-unk", input=line + "\n")
    assert kept.stdout == "<unk> <unk> reitet ein Pferd.\n"


def test_eval_reports_sacrebleu_on_pairs_and_on_src_tgt(home, runner, tmp_path, invoke):
    pairs = PHRASES.read_text().splitlines()[-40:]  # the held-out dev part
    src, tgt = tmp_path / "t.en", tmp_path / "t.de"
    src.write_text("".join(p.split("\t")[0] + "\n" for p in pairs))
    tgt.write_text("".join(p.split("\t")[1] + "\n" for p in pairs))
    by_files = invoke(
        runner, "eval", "-m", "phr", "--json", "--src", str(src), "--tgt", str(tgt)
    )
    metrics = json.loads(by_files.stdout)
    assert metrics["bleu"] > 90 and metrics["chrf"] > 90
    assert metrics["signature"].startswith("nrefs:1|case:mixed")
    assert metrics["sentences"] == 40
    (tmp_path / "t.tsv").write_text("\n".join(pairs) + "\n")
    by_pairs = invoke(
        runner, "eval", "-m", "phr", "--json", "--pairs", f"{tmp_path}/t.tsv"
    )
    assert json.loads(by_pairs.stdout) == metrics


def test_line_count_mismatch_is_one_line_error(home, runner, tmp_path, invoke):
    (tmp_path / "a.en").write_text("a man\na dog\n")
    (tmp_path / "a.de").write_text("ein Mann\n")
    for args in (
        ["eval", "-m", "phr", "--src", f"{tmp_path}/a.en", "--tgt", f"{tmp_path}/a.de"],
        [
            "train",
            "translator",
            "--name",
            "x",
            "--src",
            f"{tmp_path}/a.en",
            "--tgt",
            f"{tmp_path}/a.de",
        ],
    ):
        result = invoke(runner, *args)
        assert result.exit_code == 1
        assert result.stderr.strip().splitlines()[-1] == (
            f"Error: {tmp_path}/a.en has 2 lines but {tmp_path}/a.de has 1: "
            "line i of each must be a translation pair"
        )


def test_invalid_utf8_is_one_line_error(home, runner, tmp_path, invoke):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"A man is running.\nA \xff dog.\n")
    result = invoke(runner, "translate", "-m", "phr", str(path))
    assert result.exit_code == 1
    assert "not valid UTF-8 at byte 20" in result.stderr
    assert result.stdout == ""
    replaced = invoke(
        runner, "translate", "-m", "phr", "--encoding-errors", "replace", str(path)
    )
    assert replaced.exit_code == 0 and len(replaced.stdout.splitlines()) == 2


def test_a_model_of_another_kind_is_refused(home, runner, tmp_path, invoke):
    corpus = tmp_path / "c.txt"
    corpus.write_text("abc abc abc. " * 100)
    trained = invoke(
        runner,
        "train",
        "charlm",
        str(corpus),
        "--name",
        "lm",
        "--hidden",
        "8",
        "--embedding",
        "4",
        "--layers",
        "1",
        "--batch-size",
        "2",
        "--bptt",
        "16",
        "--epochs",
        "1",
    )
    assert trained.exit_code == 0, trained.output
    result = invoke(runner, "translate", "-m", "lm", input="hello\n")
    assert result.exit_code == 1
    assert (
        "Error: model 'lm' is a charlm model, not a translator model" in result.stderr
    )


def test_missing_model_lists_the_models(home, runner, invoke):
    result = invoke(runner, "translate", "-m", "nope", input="hello\n")
    assert result.exit_code == 1
    assert "no model named 'nope'" in result.stderr
    assert "phr" in result.stderr


def test_bad_options_exit_2(home, runner, tmp_path, invoke):
    result = invoke(runner, "translate", "-m", "phr", "--beam", "2", "--n-best", "3")
    assert result.exit_code == 2 and "--n-best" in result.stderr
    result = invoke(runner, "train", "translator", "--name", "x")
    assert result.exit_code == 2 and "--src and --tgt, or --pairs" in result.stderr
    args = ["--pairs", str(PHRASES), "--name", "x", "--dev-beam", "0"]
    result = invoke(runner, "train", "translator", *args)
    assert result.exit_code == 2 and "--dev-beam" in result.stderr


def test_the_manifest_records_the_dev_beam(home):
    from seqcli.store import Store

    manifest = Store(home).manifest("phr", "translator")
    assert manifest["training"]["dev_beam"] == 5
    assert manifest["history"][-1]["bleu"] > 90  # the phrase task, beam 5


def test_very_long_input_is_cut_with_a_warning(home, runner, invoke):
    long = " ".join(["a man is running"] * 80)  # 320 tokens
    result = invoke(runner, "translate", "-m", "phr", "--beam", "2", input=long + "\n")
    assert result.exit_code == 0
    assert "line 1: 320 tokens; only the first 200 are translated" in result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_resume_continues_training(home, runner, invoke):
    result = invoke(
        runner,
        "train",
        "translator",
        "--pairs",
        str(PHRASES),
        "--name",
        "phr",
        "--epochs",
        "4",
        "--lr",
        "0.01",
        "--warmup",
        "10",
        "--resume",
    )
    assert result.exit_code == 0, result.output
    assert "resuming phr at epoch 4" in result.stderr
    assert "after 360 steps" in result.stderr


def assert_translates_two_phrases(runner, name, env):
    """Greedy output of model `name` for two phrase-grammar sentences is exact."""
    lines = [
        "A man is riding a horse on the beach.",
        "Two tired dogs are sleeping in the snow.",
    ]
    result = runner.invoke(
        cli, ["translate", "-m", name, "--beam", "1"], input="\n".join(lines), env=env
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Ein Mann reitet ein Pferd am Strand.",
        "Zwei müde Hunde schlafen im Schnee.",
    ]


def test_the_same_seed_trains_the_same_weights(tmp_path, runner):
    """--seed fixes the initial weights and the batch order: two runs agree bit for
    bit, and another seed gives another model."""
    from seqcli.store import Store

    env = {"SEQCLI_HOME": str(tmp_path), "SEQCLI_DEVICE": "cpu"}
    small = [*TINY[:6], "--epochs", "1", "--eval-every", "0"]
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        args = ["train", "translator", "--pairs", str(PHRASES), "--name", name]
        result = runner.invoke(cli, [*args, *small, "--seed", seed], env=env)
        assert result.exit_code == 0, result.output
    a, b, c = (Store(tmp_path).load(n, "translator")[1] for n in "abc")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["encoder.weight_ih_l0"], c["encoder.weight_ih_l0"])


def test_source_vectors_start_the_source_embeddings(tmp_path, runner):
    from seqcli.store import Store

    env = {"SEQCLI_HOME": str(tmp_path), "SEQCLI_DEVICE": "cpu"}
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("man 0.1 0.2 0.3\nhorse 0.3 0.1 0.2\nbeach 0.2 0.3 0.1\n")
    args = ["train", "translator", "--pairs", str(PHRASES), *TINY[:6], "--epochs", "1"]
    result = runner.invoke(
        cli,
        [*args, "--name", "vec", "--src-vectors", str(vectors)]
        + ["--word-dropout", "0.2", "--context-layer", "--deep-output"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "word vectors for 3 of" in result.stderr
    manifest = Store(tmp_path).manifest("vec", "translator")
    assert manifest["training"]["src_vectors"] == str(vectors)
    config = manifest["config"]
    assert config["word_dropout"] == 0.2
    assert config["context_layer"] and config["deep_output"]
    # vectors wider than the embedding: one line, and the saved model is kept
    vectors.write_text("man " + " ".join(["0.1"] * 60) + "\n")
    result = runner.invoke(
        cli, [*args, "--name", "vec", "--force", "--src-vectors", str(vectors)], env=env
    )
    assert result.exit_code != 0
    assert "do not fit embeddings of 48" in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.output
    assert Store(tmp_path).manifest("vec", "translator") == manifest


def test_rare_subwords_keep_frequent_words_whole(tmp_path, runner):
    """--rare-subwords: words seen at least --min-freq times stay whole, the rarer
    ones are spelt in pieces, and the phrase task is still learnt."""
    from seqcli.store import Store
    from seqcli.translator.data import Codec

    env = {"SEQCLI_HOME": str(tmp_path), "SEQCLI_DEVICE": "cpu"}
    args = ["train", "translator", "--pairs", str(PHRASES), "--name", "rare", *TINY]
    # the rarest German words are neuter adjectives ("schwarzes", 16 times)
    flags = ["--min-freq", "17", "--rare-subwords", "100"]
    result = runner.invoke(cli, [*args, *flags], env=env)
    assert result.exit_code == 0, result.output
    manifest = Store(tmp_path).manifest("rare", "translator")
    assert manifest["config"]["rare_subwords"] == 100
    assert 0 < len(manifest["subwords"]["tgt"]) <= 100
    codec = Codec(manifest)
    tokens = codec.tgt_vocab.to_dict()["tokens"]
    assert "schwarzes" not in tokens and {"Pferd", "@@es"} <= set(tokens)
    assert codec.units("tgt", ["ein", "schwarzes", "Pferd"])[0] == "ein"
    assert len(codec.units("tgt", ["ein", "schwarzes", "Pferd"])) > 3
    assert_translates_two_phrases(runner, "rare", env)
    both = ["--subwords", "50", "--rare-subwords", "50"]
    result = runner.invoke(cli, [*args, "--name", "both", *both], env=env)
    assert result.exit_code != 0
    assert "exclude each other" in result.stderr
    assert "rare" in Store(tmp_path).names() and "both" not in Store(tmp_path).names()


def test_sampled_softmax_learns_the_phrases(tmp_path, runner):
    """--sampled-softmax: trained on the batch's words plus a few drawn ones, the
    model still translates exactly with the full softmax."""
    from seqcli.store import Store

    env = {"SEQCLI_HOME": str(tmp_path), "SEQCLI_DEVICE": "cpu"}
    args = ["train", "translator", "--pairs", str(PHRASES), "--name", "smp", *TINY]
    result = runner.invoke(cli, [*args, "--sampled-softmax", "10"], env=env)
    assert result.exit_code == 0, result.output
    assert (
        Store(tmp_path).manifest("smp", "translator")["config"]["sampled_softmax"] == 10
    )
    assert_translates_two_phrases(runner, "smp", env)


def test_subword_units_learn_the_phrases_and_spell_unseen_words(tmp_path, runner):
    """With --subwords the model reads and writes byte-pair pieces: the phrase task is
    still learnt, and a word never seen whole is read as pieces, not <unk>."""
    from seqcli.store import Store
    from seqcli.translator.data import Codec

    env = {"SEQCLI_HOME": str(tmp_path), "SEQCLI_DEVICE": "cpu"}
    args = ["train", "translator", "--pairs", str(PHRASES), "--name", "bpe", *TINY]
    result = runner.invoke(cli, [*args, "--subwords", "120"], env=env)
    assert result.exit_code == 0, result.output
    manifest = Store(tmp_path).manifest("bpe", "translator")
    assert manifest["config"]["subwords"] == 120
    assert 0 < len(manifest["subwords"]["tgt"]) <= 120
    codec = Codec(manifest)
    assert any(t.startswith("@@") for t in codec.tgt_vocab.to_dict()["tokens"])
    units, ids = codec.sources(["The dogs are swimming in the lakeside."])
    assert units[0][0] == "The" and "@@" in "".join(units[0])
    assert 1 not in ids[0]  # no <unk>: "lakeside" is spelt from known pieces
    assert_translates_two_phrases(runner, "bpe", env)


# --- a few lines run on the model's exported graphs, cached in the store ---
FEW = ["A man is riding a horse on the beach.", "", "Two dogs are playing in snow."]


def pytorch_float(name, lines, **search):
    """What the PyTorch network gives with a float32 output layer (the exported
    graphs' arithmetic; PyTorch on the CPU otherwise uses int8 there)."""
    from seqcli import kinds
    from seqcli.store import Store
    from seqcli.translator.data import Codec
    from seqcli.translator.decode import translate_lines

    net, manifest = kinds.load(Store(), name, "translator", torch.device("cpu"))
    return translate_lines(net, Codec(manifest), lines, quantize=False, **search)


def translate_json(runner, invoke, *args):
    args = ("translate", "-m", "phr", "--json", *args)
    result = invoke(runner, *args, input="\n".join(FEW) + "\n")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()], result.stderr


@pytest.mark.parametrize("beam", [1, 4])
def test_a_few_lines_run_on_the_exported_graphs_as_pytorch_does(
    home, runner, invoke, beam
):
    n_best = min(beam, 2)
    found, stderr = translate_json(
        runner, invoke, "--beam", str(beam), "--n-best", str(n_best)
    )
    assert "device: cpu (onnxruntime)" in stderr
    assert "exporting 'phr' to ONNX" in stderr  # the first use builds the cache
    expected = pytorch_float("phr", FEW, beam=beam, n_best=n_best)
    for record, hyps in zip(found, expected, strict=True):
        got = [(t["text"], t["score"]) for t in record["translations"]]
        assert [t for t, _ in got] == [t for t, _ in hyps]
        assert [s for _, s in got] == pytest.approx([s for _, s in hyps], abs=2e-4)
    # the second use reads the cache: no export
    again, stderr = translate_json(
        runner, invoke, "--beam", str(beam), "--n-best", str(n_best)
    )
    assert again == found and "exporting" not in stderr


def test_the_cached_graphs_run_without_pytorch(home, runner, invoke):
    import os
    import subprocess
    import sys

    expected, _ = translate_json(runner, invoke)
    code = (
        "import sys; sys.modules['torch'] = None\nfrom seqcli.cli import main; main()\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, "translate", "-m", "phr", "--json"],
        input="\n".join(FEW) + "\n",
        capture_output=True,
        text=True,
        env={**os.environ, "SEQCLI_HOME": str(home)},
    )
    assert run.returncode == 0, run.stderr
    assert [json.loads(line) for line in run.stdout.splitlines()] == expected


def exports(home):
    return sorted(p.name for p in (home / "phr").glob("onnx-*"))


def test_a_retrained_model_is_exported_again(home, runner, invoke):
    from seqcli import kinds
    from seqcli.store import Store

    translate_json(runner, invoke)
    (old,) = exports(home)
    # "retrain": new weights under the same name
    net, manifest = kinds.load(Store(), "phr", "translator", torch.device("cpu"))
    with torch.no_grad():
        net.out_bias.add_(torch.linspace(-1, 1, net.out_bias.numel()))
    Store().save("phr", net.state_dict(), manifest)
    found, stderr = translate_json(runner, invoke)
    assert "exporting 'phr' to ONNX" in stderr
    (new,) = exports(home)
    assert new != old
    expected = pytorch_float("phr", FEW, beam=5, n_best=1)
    assert [r["translations"][0]["text"] for r in found] == [h[0][0] for h in expected]


def test_an_altered_export_is_refused_and_made_again(home, runner, invoke):
    expected, _ = translate_json(runner, invoke)
    (folder,) = (home / "phr").glob("onnx-*")
    graph = folder / "decoder_step.onnx"
    data = bytearray(graph.read_bytes())
    data[-100:] = bytes(100)  # weights changed in place
    graph.write_bytes(bytes(data))
    found, stderr = translate_json(runner, invoke)
    assert "the cached ONNX export of 'phr' was altered" in stderr
    assert found == expected
    assert "altered" not in translate_json(runner, invoke)[1]


def test_many_lines_run_on_pytorch(home, runner, invoke):
    lines = GRAPH_ROWS["translator"] + 1
    result = invoke(runner, "translate", "-m", "phr", input="A dog runs.\n" * lines)
    assert result.exit_code == 0, result.output
    assert "device: cpu\n" in result.stderr and not exports(home)


# --- the attention of the best translation ---


@pytest.mark.numeric
@pytest.mark.parametrize("beam", [1, 4])
def test_attention_on_the_graphs_is_pytorchs(home, runner, invoke, beam):
    """Tolerance: the JSON rounds weights to 4 decimals (5e-5); the two backends'
    float32 sums differ by about 1e-6; 2e-4 (tests/close.py SCORE_ATOL) covers both."""
    import numpy as np

    from seqcli import kinds
    from seqcli.store import Store
    from seqcli.translator.data import Codec
    from seqcli.translator.decode import search_lines

    found, stderr = translate_json(runner, invoke, "--attention", "--beam", str(beam))
    assert "device: cpu (onnxruntime)" in stderr
    net, manifest = kinds.load(Store(), "phr", "translator", torch.device("cpu"))
    codec = Codec(manifest)
    tokens, hyps = search_lines(
        net, codec, FEW, beam=beam, quantize=False, attention=True
    )
    for record, source, (best, *_) in zip(found, tokens, hyps, strict=True):
        attention = record["attention"]
        assert attention["source_tokens"] == source
        assert attention["target_tokens"] == codec.tgt_vocab.decode(best.ids)
        # shape: (target tokens, source tokens)
        weights = np.array(attention["weights"]).reshape(len(best.ids), len(source))
        np.testing.assert_allclose(weights.sum(1), 1.0, atol=len(source) * 5e-5)
        np.testing.assert_allclose(weights, best.attention, atol=2e-4)
    assert found[1]["attention"]["weights"] == []  # the empty line


def test_attention_on_pytorch_and_as_an_html_page(home, runner, invoke):
    from html.parser import HTMLParser

    # more than the graphs' rows: PyTorch
    lines = ["A dog runs on the beach."] * (GRAPH_ROWS["translator"] + 1)
    result = invoke(
        runner, "translate", "-m", "phr", "--attention", input="\n".join(lines)
    )
    assert result.exit_code == 0, result.output
    assert "device: cpu\n" in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    attention = records[0]["attention"]
    assert len(attention["weights"]) == len(attention["target_tokens"]) > 0
    assert all(
        len(row) == len(attention["source_tokens"]) for row in attention["weights"]
    )

    class Tables(HTMLParser):
        def __init__(self):
            super().__init__()
            self.open, self.rows, self.heads = [], [], []

        def handle_starttag(self, tag, attrs):
            if tag not in ("meta",):
                self.open.append(tag)
            if tag == "tr" and "tbody" in self.open:
                self.rows.append(0)
            if tag == "td":
                self.rows[-1] += 1

        def handle_endtag(self, tag):
            assert self.open.pop() == tag  # well nested

        def handle_data(self, data):
            if self.open[-2:] == ["tr", "th"] and "tbody" in self.open:
                self.heads.append(data)

    page = invoke(runner, "translate", "-m", "phr", "--format", "html", input=lines[0])
    assert page.exit_code == 0, page.output
    parser = Tables()
    parser.feed(page.stdout)
    parser.close()
    assert page.stdout.startswith("<!DOCTYPE html>") and parser.open == []
    assert parser.heads == attention["target_tokens"]  # a row per target token
    assert parser.rows == [len(attention["source_tokens"])] * len(parser.heads)


def test_attention_needs_a_format_that_can_hold_it(home, runner, invoke):
    result = invoke(runner, "translate", "-m", "phr", "--attention", "--format", "text")
    assert result.exit_code == 2 and "--attention" in result.output
    result = invoke(runner, "translate", "-m", "phr", "--json", "--format", "html")
    assert result.exit_code == 2
