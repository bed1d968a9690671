"""The tagger's exported graph under onnxruntime against the PyTorch tagger, and the
command's use of it on the CPU."""

import io
import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from seqcli import device, inference
from seqcli.charlm.config import CharLMConfig
from seqcli.cli import cli
from seqcli.errors import SeqcliError
from seqcli.store import Store
from seqcli.tagger import decode as tagging
from seqcli.tagger.capitals import CLASSES
from seqcli.tagger.config import TaggerConfig
from seqcli.tagger.conll import read_conll
from seqcli.tagger.data import Batcher
from seqcli.tagger.model import Tagger
from seqcli.tagger.recipe import build_manifest
from seqcli.vocab import Vocab, WordTokenizer

pytestmark = pytest.mark.numeric

ROOT = Path(__file__).resolve().parents[2]
NER = ROOT / "corpora" / "ner.conll"
TINY = {"embedding": 16, "char_embedding": 8, "char_filters": 16, "hidden": 24}


def ner_doc(n: int):
    lines = NER.read_text(encoding="utf-8").split("\n")
    ends = [i for i, line in enumerate(lines) if not line][:n]
    return read_conll(lines[: ends[-1] + 1], source="ner.conll")


def context_lms(doc, directions=("forward", "backward"), layers=1, cell="lstm"):
    """Context char-LMs for build_manifest: their manifests (the weights are the
    tagger's own, drawn with it)."""
    vocab = Vocab.build([list(" ".join(s.tokens)) for s in doc.sentences[:20]])
    return {
        d: (
            None,
            {
                "name": f"lm-{d}",
                "config": asdict(
                    CharLMConfig(
                        vocab_size=len(vocab),
                        embedding=8,
                        hidden=12,
                        layers=layers,
                        cell=cell,
                        direction=d,
                    )
                ),
                "vocabs": {"chars": vocab.to_dict()},
            },
        )
        for d in directions
    }


def stored_tagger(store: Store, name: str, *, lms=None, **settings):
    """A randomly initialised tagger saved under `name`: (model, manifest, doc);
    `lms`: context_lms settings.

    Its weights are scaled up so that its tag scores and transitions vary widely:
    the Viterbi paths are then far from all-"O" and the constraints matter.
    """
    doc = ner_doc(40)
    manifest, _ = build_manifest(
        TaggerConfig(**TINY, **settings),
        doc,
        "iob2",
        vectors=None,
        vector_words=0,
        lms=None if lms is None else context_lms(doc, **lms),
    )
    torch.manual_seed(len(settings))
    model = Tagger.from_manifest(manifest).eval()
    with torch.no_grad():
        for name_, p in model.named_parameters():
            if not name_.startswith("crf.") or "transitions" in name_:
                p.mul_(4.0)
        if model.capitals is not None:  # each word a random class of its share
            model.capital_class.random_(1, CLASSES)
    store.save(name, dict(model.state_dict()), manifest)
    return model, manifest, doc


def test_a_manifest_that_does_not_fit_the_weights_is_refused(tmp_path):
    store = Store(tmp_path, builtin=None)
    stored_tagger(store, "t")
    path = store.path("t") / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["config"]["hidden"] += 1
    path.write_text(json.dumps(manifest))
    with pytest.raises(SeqcliError, match="damaged"):
        inference.Model(store, "t", "tagger", "cpu").network(1)


def test_cpu_only_is_known_without_torch(monkeypatch):
    monkeypatch.delenv("SEQCLI_DEVICE", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    exists = set()
    monkeypatch.setattr(os.path, "exists", lambda p: p in exists)
    assert device.cpu_only() and device.cpu_only("auto") and device.cpu_only("cpu")
    assert not device.cpu_only("cuda") and not device.cpu_only("mps")
    exists.add("/dev/nvidiactl")
    assert not device.cpu_only() and device.cpu_only("cpu")
    monkeypatch.setenv("SEQCLI_DEVICE", "cpu")
    assert device.cpu_only()
    exists.clear()
    monkeypatch.setattr(sys, "platform", "darwin")  # MPS, maybe
    assert not device.cpu_only("auto")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert not device.cpu_only("cpu")


@pytest.fixture
def stored(tmp_path, monkeypatch):
    """'t' in the user's store, and its torch model."""
    monkeypatch.setenv("SEQCLI_HOME", str(tmp_path))
    return stored_tagger(Store(), "t")


def test_tag_runs_the_graph_for_every_input_size_with_pytorchs_tags(runner, stored):
    model, manifest, doc = stored
    texts = [" ".join(s.tokens) for s in doc.sentences]
    many = texts * 4  # 160 lines: the graph batches sentences of one length
    large = runner.invoke(
        cli, ["tag", "-m", "t", "--format", "jsonl"], input="\n".join(many) + "\n"
    )
    assert large.exit_code == 0, large.output
    assert "device: cpu (onnxruntime)" in large.stderr
    tags = [json.loads(line)["tags"] for line in large.stdout.splitlines()]
    expected = tagging.tag_texts(model, manifest, many, tokenizer=WordTokenizer("en"))
    assert tags == [r["tags"] for r in expected]
    # a line's tags do not depend on the lines tagged with it: each alone gives the
    # same (float32 graphs; int8 ones would quantize each call's inputs together)
    for text, found in zip(texts[:12], tags, strict=False):
        one = runner.invoke(
            cli, ["tag", "-m", "t", "--format", "jsonl"], input=text + "\n"
        )
        assert json.loads(one.stdout)["tags"] == found
    assert len({tuple(t) for t in tags}) > 15  # varied, not all "O"


def test_tagging_a_sentence_does_not_import_torch(stored):
    code = (
        "import sys; from seqcli.cli import main; sys.argv = ['seqcli', 'tag', '-m', "
        "'t', '-q']\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('torch' in sys.modules, file=sys.stderr)"
    )

    def tag_once():
        return subprocess.run(
            [sys.executable, "-c", code],
            input="Anna Berg flew to Port Lorin.\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "SEQCLI_DEVICE": "cpu"},
            timeout=60,
        )

    first = tag_once()  # exports the graph into the store: PyTorch, once
    assert first.returncode == 0, first.stderr
    done = tag_once()
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "False"
    assert done.stdout == first.stdout and len(done.stdout.splitlines()) == 1


class Unread(io.BytesIO):
    """Standard input that fails the test if anything reads it."""

    def read(self, size=-1):
        if size == 0:  # click's probe for a binary stream
            return b""
        raise AssertionError("the input was read")

    read1 = readline = read


@pytest.mark.parametrize(
    "name, message", [("nope", "no model named 'nope'"), ("t", None)]
)
def test_a_wrong_model_fails_before_the_input_is_read(runner, stored, name, message):
    if message is None:  # a model of another kind
        path = Store().path("t") / "manifest.json"
        path.write_text(
            path.read_text().replace('"kind": "tagger"', '"kind": "charlm"')
        )
        message = "is a charlm model, not a tagger model"
    result = runner.invoke(cli, ["tag", "-m", name], input=Unread())
    assert result.exit_code == 1
    assert message in result.output


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"layers": 2, "case": "cased"},
        {"cell": "gru"},
        {"cell": "mingru"},
        {"lms": {}},
        {"lms": {"cell": "gru"}},
        {"lms": {}, "caseless": True},
        {"capital_prior": True},
    ],
)
def test_onnxruntime_gives_the_torch_tagger_paths(tmp_path, settings):
    """The exported graph gives PyTorch's paths, and so does the one cached for
    `seqcli tag`; `--int8` graphs have int8 LSTMs (their quality: tests/test_onnx.py,
    on trained taggers)."""
    from seqcli import onnx
    from seqcli.tagger import runtime

    store = Store(tmp_path, builtin=None)
    model, manifest, doc = stored_tagger(store, "t", **settings)
    encoder = Batcher.from_manifest(manifest)
    sentences = [s.tokens for s in doc.sentences]
    sentences += [[t.upper() for t in s] for s in sentences[:10]]  # in one case
    assert len({len(s) for s in sentences}) < len(sentences)  # some of one length
    torch_paths = model.decode_tokens(encoder, sentences)
    assert len({tuple(p) for p in torch_paths}) > 15  # varied, not all "O"
    onnx.export("t", model, manifest, tmp_path / "float")
    exported = runtime.build(onnx.Graphs(tmp_path / "float"))
    assert exported.decode_tokens(encoder, sentences) == torch_paths
    assert exported.tags == model.tags
    graphs = inference.cached_graphs(store, "t", store.manifest("t"))
    assert not graphs.meta["int8"]
    assert runtime.build(graphs).decode_tokens(encoder, sentences) == torch_paths
    onnx.export("t", model, manifest, tmp_path / "int8", int8=True)
    ops = {node.op_type for node in graph_nodes(onnx.Graphs(tmp_path / "int8"))}
    lstm = settings.get("cell", "lstm") == "lstm" or settings.get("lms") == {}
    assert ("DynamicQuantizeLSTM" in ops) == lstm and "LSTM" not in ops


def graph_nodes(graphs, name: str = "emissions"):
    import onnx

    return onnx.load(graphs.folder / graphs.meta["graphs"][name]["file"]).graph.node


def test_other_cells_run_on_the_exported_graph(runner, stored):
    _, _, doc = stored
    texts = [" ".join(s.tokens) for s in doc.sentences]
    stored_tagger(Store(), "g", cell="gru")
    small = runner.invoke(cli, ["tag", "-m", "g"], input=texts[0] + "\n")
    assert small.exit_code == 0, small.output
    assert "device: cpu (onnxruntime)" in small.stderr


def test_a_damaged_model_is_refused_on_the_cached_graphs_path_too(runner, stored):
    """The graph cached from a sound model does not answer for a damaged one."""
    first = runner.invoke(cli, ["tag", "-m", "t"], input="Anna Berg flew.\n")
    assert first.exit_code == 0 and "onnxruntime" in first.stderr, first.output
    (weights,) = Store().path("t").glob("model*.safetensors")
    blob = bytearray(weights.read_bytes())
    blob[-1] ^= 1
    weights.write_bytes(bytes(blob))
    again = runner.invoke(cli, ["tag", "-m", "t"], input="Anna Berg flew.\n")
    assert again.exit_code == 1 and again.stdout == ""
    assert "does not match its sha256" in again.stderr


def test_a_store_it_cannot_write_runs_pytorch_without_promising_an_export(
    runner, stored, monkeypatch
):
    import os as os_

    monkeypatch.setattr(os_, "access", lambda path, mode: False)
    result = runner.invoke(cli, ["tag", "-m", "t"], input="Anna Berg flew.\n")
    assert result.exit_code == 0, result.output
    assert "exporting" not in result.stderr and "device: cpu\n" in result.stderr
    assert len(result.stdout.splitlines()) == 1
