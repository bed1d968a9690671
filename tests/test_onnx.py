"""`seqcli export`: each exported graph, run by onnxruntime, gives what the PyTorch
network gives, to float tolerance, on inputs it was not traced on."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from seqcli.charlm.config import CharLMConfig
from seqcli.charlm.model import CharLM
from seqcli.classifier.config import ClassifierConfig
from seqcli.classifier.model import Classifier
from seqcli.config import CELLS
from seqcli.onnx import RUNTIME, Graphs, export
from seqcli.tagger import runtime
from seqcli.tagger.data import Batcher
from seqcli.tagger.decode import tag_tokens
from seqcli.translator.config import TranslatorConfig
from seqcli.translator.model import DecoderState, Translator
from seqcli.vocab import Vocab

from .tagger.conftest import learnt, ner_doc

ROOT = Path(__file__).resolve().parents[1]

ort = pytest.importorskip("onnxruntime")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.numeric,
    pytest.mark.usefixtures("one_thread"),
]


def session(folder, graph):
    meta = json.loads((folder / RUNTIME).read_text())
    return ort.InferenceSession(str(folder / meta["graphs"][graph]["file"])), meta


def close(found, expected, tol=1e-4):
    np.testing.assert_allclose(found, expected.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("cell", CELLS)
def test_charlm_step(tmp_path, cell):
    torch.manual_seed(0)
    vocab = Vocab(list("abcdefgh"))
    cfg = CharLMConfig(vocab_size=len(vocab), cell=cell, embedding=8, hidden=16)
    lm = CharLM(cfg).eval()
    manifest = {
        "kind": "charlm",
        "config": vars(lm.cfg),
        "vocabs": {"chars": vocab.to_dict()},
    }
    export("lm", lm, manifest, tmp_path)
    step, meta = session(tmp_path, "step")
    assert meta["vocabulary"]["tokens"] == list("abcdefgh")
    ids = torch.tensor([4, 7, 9, 5, 11])  # five streams; traced on two
    state = [torch.randn(2, 5, 16) for _ in lm.rnn.state_names]
    inputs = dict(zip(lm.rnn.state_names, (s.numpy() for s in state), strict=True))
    logits, *found = step.run(None, {"ids": ids.numpy()} | inputs)
    expected, new, _ = lm(ids[:, None], tuple(state))
    close(logits, expected[:, 0])
    for f, e in zip(found, new, strict=True):
        close(f, e)


def test_tagger_emissions_on_the_builtin_give_its_tags(tmp_path):
    from seqcli import kinds
    from seqcli.store import Store

    model, manifest = kinds.load(Store(), "conll-en", "tagger", torch.device("cpu"))
    export("conll-en", model, manifest, tmp_path)
    graphs = Graphs(tmp_path)
    tagger, meta = runtime.build(graphs), graphs.meta
    assert meta["tags"] == model.tags and meta["scheme"] == "bioes"
    batcher = Batcher.from_manifest(manifest)
    sentence = ["Angela", "Merkel", "met", "Emmanuel", "Macron", "in", "Paris", "."]
    batch = batcher.batch([sentence])
    found = tagger.session.run(None, tagger.inputs(batcher, [sentence]))[0]
    close(found, model.emissions(batch), tol=1e-4)
    # in a padded batch with a shorter sentence, each row's scores as alone
    short = ["Bo", "met", "Ann"]
    both = tagger.session.run(None, tagger.inputs(batcher, [sentence, short]))[0]
    close(both[0], model.emissions(batch)[0], tol=1e-4)
    close(both[1, :3], model.emissions(batcher.batch([short]))[0], tol=1e-4)
    # Viterbi over the exported scores with the JSON's transitions: the same tags
    crf = {k: torch.tensor(v) for k, v in meta["crf"].items()}
    from seqcli.tagger.crf import CRF

    outside = CRF(
        len(meta["tags"]), crf["allowed"], crf["allowed_start"], crf["allowed_end"]
    )
    with torch.no_grad():
        for name in ("transitions", "start_transitions", "end_transitions"):
            getattr(outside, name).copy_(crf[name])
    path = outside.decode(torch.from_numpy(found), batch.mask)[0][0].tolist()
    assert [model.tags[i] for i in path] == tag_tokens(
        model, manifest, [sentence], scheme="bioes"
    )[0]


def entity_f1(tagger, batcher, sentences) -> float:
    """Entity F1 of a tagger's paths on corpora/ner.conll sentences (IOB2 labels)."""
    from seqcli.tagger import entities
    from seqcli.tagger.schemes import convert

    paths = tagger.decode_tokens(batcher, [s.tokens for s in sentences])
    scheme = tagger.cfg.scheme
    pred = [convert([tagger.tags[i] for i in p], scheme, "iob2") for p in paths]
    return entities.score([s.labels for s in sentences], pred)["f1"]


def test_int8_lstms_keep_the_builtin_taggers_quality(tmp_path):
    from seqcli import kinds
    from seqcli.store import Store

    model, manifest = kinds.load(Store(), "conll-en", "tagger", torch.device("cpu"))
    export("conll-en", model, manifest, tmp_path, int8=True)
    graphs = Graphs(tmp_path)
    tagger, meta = runtime.build(graphs), graphs.meta
    assert meta["int8"]
    sentences = ner_doc(300).sentences
    batcher = Batcher.from_manifest(manifest)
    for sentence in sentences[:20]:
        tokens = sentence.tokens
        batch = batcher.batch([tokens])
        found = tagger.session.run(None, tagger.inputs(batcher, [tokens]))[0]
        scores = model.emissions(batch)
        # int8 weights: scores near PyTorch's, not equal to float rounding
        close(found, scores, tol=0.3)
        assert np.abs(found - scores.detach().numpy()).max() > 1e-4
    # what the user sees: entity F1 on 300 sentences (about 600 entities) it was not
    # trained on. One point is three entities' worth; the built-ins lose at most 0.5
    # on their dev sets (bench/results/int8.jsonl)
    float_f1 = entity_f1(model, batcher, sentences)
    assert float_f1 > 0.8  # a trained model, with margins
    assert abs(entity_f1(tagger, batcher, sentences) - float_f1) <= 0.01


def test_int8_lstms_keep_a_freshly_trained_taggers_quality(tmp_path):
    """A tagger trained on 30 sentences, scored on 200 others, float32 and int8."""
    model, manifest, _ = learnt("lstm")
    sentences = ner_doc(230).sentences[30:]
    export("t", model, manifest, tmp_path, int8=True)
    tagger = runtime.build(Graphs(tmp_path))
    batcher = Batcher.from_manifest(manifest)
    float_f1 = entity_f1(model, batcher, sentences)
    assert float_f1 > 0.5  # it has learnt the corpus's entities, with margins
    # about 400 entities: two points are eight of them; measured here 0.3 points
    assert abs(entity_f1(tagger, batcher, sentences) - float_f1) <= 0.02


def test_int8_lstm_weights_cannot_saturate_without_vnni(tmp_path):
    """The int8 weights use 7 bits (reduce_range), one scale per gate row: on AVX2
    (u8s8 products added in pairs into int16) 255 * 63 * 2 stays below 32767."""
    import onnx as onnx_
    from onnx import numpy_helper

    model, manifest, _ = learnt("lstm")
    export("t", model, manifest, tmp_path, int8=True)
    graph = onnx_.load(tmp_path / "emissions.onnx").graph
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    lstms = [n for n in graph.node if n.op_type == "DynamicQuantizeLSTM"]
    assert lstms
    for node in lstms:
        # inputs: X, W, R, B, sequence_lens, initial_h, initial_c, P, W_scale,
        # W_zero_point, R_scale, R_zero_point
        for w, scale in (
            (node.input[1], node.input[8]),
            (node.input[2], node.input[10]),
        ):
            q = weights[w]
            assert q.dtype == np.int8 and np.abs(q.astype(int)).max() <= 64
            assert np.abs(q.astype(int)).max() >= 60  # the 7 bits are used
            rows = q.shape[0] * q.shape[-1]  # directions x 4 gates x hidden
            assert weights[scale].size == rows


@pytest.mark.parametrize(
    "feeding, cell",
    [
        (False, "lstm"),
        (True, "lstm"),
        (True, "gru"),
        (False, "mingru"),
        (True, "mingru"),
        (True, "rnn"),
    ],
)
def test_translator_encoder_and_decoder_step(tmp_path, feeding, cell):
    torch.manual_seed(1)
    cfg = TranslatorConfig(
        src_vocab_size=20, tgt_vocab_size=15, embedding=8, hidden=12, cell=cell,
        input_feeding=feeding, dropout=0.0,
    )  # fmt: skip
    model = Translator(cfg).eval()
    vocabs = {"src": Vocab([f"s{i}" for i in range(16)]).to_dict()}
    vocabs["tgt"] = Vocab([f"t{i}" for i in range(11)]).to_dict()
    manifest = {"kind": "translator", "config": vars(cfg), "vocabs": vocabs}
    export("tr", model, manifest, tmp_path)
    encoder, meta = session(tmp_path, "encoder")
    step, _ = session(tmp_path, "decoder_step")
    assert meta["special_ids"] == {"pad": 0, "unk": 1, "bos": 2, "eos": 3}
    # a padded batch, on lengths it was not traced on: each row as encoded alone
    batch = torch.tensor([[5, 9, 13, 4, 8, 6], [7, 5, 0, 0, 0, 0]])
    found = encoder.run(None, {"src": batch.numpy(), "src_lengths": np.array([6, 2])})
    for row, n in enumerate([6, 2]):
        alone = model.encode(batch[row : row + 1, :n], torch.tensor([n]))
        close(found[0][row, :n], alone.outputs[0])
        close(found[2][:, row], model.init_state(alone).h[:, 0])
    src = torch.tensor([[5, 9, 13, 4, 8]])  # traced on length 3
    outputs, keys, *state_in = encoder.run(
        None, {"src": src.numpy(), "src_lengths": np.array([5])}
    )
    memory = model.encode(src, torch.tensor([5]))
    state = model.init_state(memory)
    (
        close(outputs, memory.outputs),
        close(keys, memory.keys),
        close(state_in[0], state.h),
    )
    names = ["h", "c"] if cell == "lstm" else ["h"]
    names += ["feed"] if feeding else []
    prev = torch.tensor([2])
    inputs = {"prev": prev.numpy(), "outputs": outputs, "keys": keys}
    inputs["mask"] = np.ones((1, 5), dtype=bool)
    inputs |= dict(zip(names, state_in, strict=True))
    expected, new, weights = model.step(
        prev, DecoderState(state.h, state.c, state.feed), memory
    )
    for at_limit, k in [(False, 4), (True, 1), (True, 3)]:
        limit = np.array([at_limit])
        found = step.run(None, inputs | {"at_limit": limit, "k": np.array(k)})
        log_probs, best, ids, h2, *rest = found
        close(log_probs, expected.log_softmax(-1)), close(h2, new.h)
        close(rest[-1], weights)
        if cell == "lstm":
            close(rest[0], new.c)
        # the k choices: PyTorch's, and the ids the search may take
        top, top_ids = model.best_next(expected.log_softmax(-1), torch.tensor(limit), k)
        close(best, top)
        assert ids[0, 0] == top_ids[0, 0] and ids.shape == (1, k)
        assert not {0, 2} & set(ids[np.isfinite(best)].tolist())
        if at_limit:  # only <eos> may follow
            assert ids[0, 0] == 3 and np.isneginf(best[0, 1:]).all()


@pytest.mark.parametrize("cell", CELLS)
def test_classifier_scores(tmp_path, cell):
    torch.manual_seed(2)
    cfg = ClassifierConfig(
        vocab_size=30, num_classes=3, embedding=8, hidden=6, dropout=0.0, cell=cell
    )
    model = Classifier(cfg).eval()
    vocabs = {"words": Vocab([f"w{i}" for i in range(26)]).to_dict()}
    vocabs["labels"] = {"tokens": ["a", "b", "c"]}
    export(
        "clf",
        model,
        {"kind": "classifier", "config": vars(cfg), "vocabs": vocabs},
        tmp_path,
    )
    scores, meta = session(tmp_path, "classifier")
    assert meta["labels"] == ["a", "b", "c"]
    # a padded batch, on lengths it was not traced on: each text as scored alone
    ids = torch.tensor([[4, 9, 17, 22, 5, 6, 7], [8, 11, 0, 0, 0, 0, 0]])
    lengths = np.array([7, 2])
    (found,) = scores.run(None, {"ids": ids.numpy(), "lengths": lengths})
    for row, n in enumerate(lengths):
        close(found[row], model(ids[row : row + 1, :n], torch.tensor([n]))[0][0])


def test_export_command_writes_the_graphs_and_the_runtime(runner, invoke, tmp_path):
    result = invoke(runner, "export", "shakespeare", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        RUNTIME,
        "step.onnx",
    ]
    assert json.loads((tmp_path / "out" / RUNTIME).read_text())["int8"] is False
    int8 = invoke(runner, "export", "conll-en", "--int8", "-o", tmp_path / "q")
    assert int8.exit_code == 0 and int8.stdout == "", int8.output
    assert json.loads((tmp_path / "q" / RUNTIME).read_text())["int8"] is True
    missing = invoke(runner, "export", "nope", "-o", tmp_path / "x")
    assert missing.exit_code == 1 and "no model named 'nope'" in missing.stderr


@pytest.mark.parametrize("cell", ["gru", "mingru", "rnn"])
def test_tagger_emissions_of_every_cell(tmp_path, cell):
    from seqcli.tagger.config import TaggerConfig
    from seqcli.tagger.model import Tagger
    from seqcli.tagger.recipe import build_manifest

    from .tagger.conftest import TINY, ner_doc

    doc = ner_doc(10)
    manifest, _ = build_manifest(
        TaggerConfig(**TINY, cell=cell), doc, "iob2", vectors=None, vector_words=0
    )
    torch.manual_seed(3)
    model = Tagger.from_manifest(manifest).eval()
    export("t", model, manifest, tmp_path)
    emissions, _ = session(tmp_path, "emissions")
    batcher = Batcher.from_manifest(manifest)
    one, two = doc.sentences[0].tokens, doc.sentences[3].tokens
    names = ("words", "caps", "chars", "types", "lengths")
    # one sentence, three of one length, three of three lengths (padded)
    for sentences in ([one], [two[:2]], [one[:4], two[:4], one[1:5]], [one, two[:2]]):
        batch = batcher.batch(sentences)
        found = emissions.run(None, {k: getattr(batch, k).numpy() for k in names})[0]
        for row, tokens in enumerate(sentences):  # as each sentence alone
            n = len(tokens)
            close(found[row, :n], model.emissions(batcher.batch([tokens]))[0])


def test_exports_in_threads_of_one_process_take_turns(tmp_path, monkeypatch):
    """torch.onnx.export keeps its state in globals: a server's first requests to
    two models, loading in two threads, broke each other's export."""
    import threading
    import time

    from seqcli import onnx

    inside, most = 0, 0

    def build(name, manifest, model, base, folder, key):
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        time.sleep(0.2)
        inside -= 1
        raise OSError("not written")  # cached() then gives None

    class Store:
        def verify(self, name, manifest):
            pass

        def cache_dir(self, name):
            return tmp_path / name

    monkeypatch.setattr(onnx, "_build", build)
    manifest = {"weights": {"sha256": "0" * 64}}
    threads = [
        threading.Thread(
            target=onnx.cached, args=(Store(), f"m{i}", manifest, lambda: None)
        )
        for i in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
