"""Calibration: temperature scaling against a brute-force search, the expected
calibration error on a worked example, and the temperature applied alike by every
backend while labels, accuracy and old models stay as they were."""

import math

import pytest
import torch

from seqcli.classifier import calibrate
from seqcli.classifier.calibrate import ece, fit_temperature, nll, rescale
from seqcli.classifier.config import ClassifierConfig
from seqcli.classifier.data import Codec
from seqcli.classifier.decode import classify_texts, logits, probabilities
from seqcli.classifier.model import Classifier
from seqcli.classifier.recipe import evaluate
from seqcli.store import Store
from seqcli.vocab import Vocab

pytestmark = pytest.mark.usefixtures("one_thread")

# 10 texts, 3 classes, made by hand: sure of most, wrong on 3 (rows 3, 6, 9)
LOGITS = [
    [4.0, 0.5, -1.0],
    [3.0, 2.5, 0.0],
    [-2.0, 5.0, 1.0],
    [0.2, 0.1, 3.5],  # gold 0: wrong and sure
    [1.0, 1.2, 0.9],
    [-1.0, -0.5, 2.0],
    [2.5, 0.0, 0.3],  # gold 2: wrong
    [0.0, 6.0, 0.0],
    [1.5, -1.5, 0.5],
    [0.0, 3.0, 2.9],  # gold 2: wrong by a hair
]
TARGETS = [0, 0, 1, 0, 1, 2, 2, 1, 0, 2]


def grid_search(logits, targets, points=40001):
    """The best T on an even grid of log T over calibrate's range."""
    lo, hi = math.log(calibrate.LOW), math.log(calibrate.HIGH)
    z = torch.tensor(logits, dtype=torch.float64)
    y = torch.tensor(targets)
    grid = [math.exp(lo + (hi - lo) * k / (points - 1)) for k in range(points)]
    costs = [nll(z, y, t) for t in grid]
    best = min(range(points), key=costs.__getitem__)
    return grid[best], (hi - lo) / (points - 1)


@pytest.mark.parametrize("scale", [1.0, 3.0, 0.3])
def test_the_temperature_is_the_one_a_brute_force_search_finds(scale):
    # scaled up, the same logits are over-confident (T > 1), scaled down under (T < 1)
    logits = [[scale * v for v in row] for row in LOGITS]
    found = fit_temperature(logits, TARGETS)
    expected, step = grid_search(logits, TARGETS)
    assert abs(math.log(found) - math.log(expected)) <= step
    z, y = torch.tensor(logits, dtype=torch.float64), torch.tensor(TARGETS)
    assert nll(z, y, found) <= nll(z, y, expected) + 1e-12
    assert found == pytest.approx(fit_temperature(LOGITS, TARGETS) * scale, rel=1e-4)


def test_a_dev_set_it_gets_all_right_stops_at_the_smallest_temperature():
    assert fit_temperature([[2.0, 0.0], [0.0, 1.0]], [0, 1]) == pytest.approx(
        calibrate.LOW, rel=1e-5
    )


def test_the_expected_calibration_error_of_a_worked_example():
    # top probabilities 0.95 (right), 0.95 (wrong): bin 15, accuracy 1/2
    # 0.62 (right, right, wrong): bin 10 (0.6, 0.667], accuracy 2/3
    # 0.45 (wrong): bin 7 (0.4, 0.467], accuracy 0
    probs = [
        [0.95, 0.05, 0.0],
        [0.03, 0.95, 0.02],
        [0.62, 0.38, 0.0],
        [0.2, 0.18, 0.62],
        [0.62, 0.3, 0.08],
        [0.45, 0.3, 0.25],
    ]
    right = [True, False, True, True, False, False]
    expected = 2 / 6 * 0.45 + 3 / 6 * abs(2 / 3 - 0.62) + 1 / 6 * 0.45
    assert ece(probs, right) == pytest.approx(expected, abs=1e-12)  # 0.248333
    # one bin: |accuracy - mean confidence|
    assert ece(probs, right, bins=1) == pytest.approx(
        abs(3 / 6 - (0.95 * 2 + 0.62 * 3 + 0.45) / 6), abs=1e-12
    )
    # a probability on a bin's edge belongs to the lower bin, 1.0 to the last
    assert ece([[0.6, 0.4], [1.0, 0.0]], [False, True]) == pytest.approx(0.3)
    assert ece([], []) == 0.0


def test_rescaled_probabilities_are_the_softmax_of_the_scaled_logits():
    z = torch.tensor(LOGITS, dtype=torch.float64)
    for t in (0.4, 1.0, 2.7):
        for row, p in zip(
            (z / t).softmax(1).tolist(), z.softmax(1).tolist(), strict=True
        ):
            assert rescale(p, t) == pytest.approx(row, abs=1e-12)


def tiny_model(tmp_path, temperature=None):
    """A small untrained classifier saved in a store, calibrated at `temperature`
    (None: a manifest as models had before calibration)."""
    torch.manual_seed(3)
    words = Vocab([f"w{i}" for i in range(40)])
    cfg = ClassifierConfig(
        vocab_size=len(words), num_classes=3, embedding=8, hidden=8, dropout=0.0
    )
    model = Classifier(cfg).eval()
    with torch.no_grad():  # sure of itself, as a trained network is
        model.head.weight.mul_(8)
    manifest = {
        "kind": "classifier",
        "config": vars(cfg),
        "vocabs": {"words": words.to_dict(), "labels": {"tokens": ["a", "b", "c"]}},
    }
    if temperature is not None:
        manifest["calibration"] = {"temperature": temperature}
    store = Store(tmp_path / "store", builtin=None)
    store.save("m", model.state_dict(), manifest)
    return store, model


TEXTS = [
    " ".join(f"w{(7 * i + 3 * j) % 40}" for j in range(3 + i % 5)) for i in range(30)
]


def test_a_model_without_calibration_scores_as_the_softmax_of_its_logits(tmp_path):
    store, model = tiny_model(tmp_path)
    manifest = store.manifest("m")
    codec = Codec.from_manifest(manifest)
    assert codec.temperature == 1.0
    ids = codec.ids(TEXTS)
    expected = torch.tensor(logits(model, ids)).softmax(1)
    found = torch.tensor(probabilities(model, ids, temperature=codec.temperature))
    torch.testing.assert_close(found, expected, rtol=0, atol=1e-7)
    records = classify_texts(model, codec, TEXTS)
    assert [r["score"] for r in records] == pytest.approx(
        expected.max(1).values.tolist(), abs=5e-5
    )


def test_the_temperature_changes_scores_not_labels_or_accuracy(tmp_path):
    gold = ["a", "b", "c"] * 10
    data = tmp_path / "dev.tsv"
    data.write_text("".join(f"{g}\t{t}\n" for g, t in zip(gold, TEXTS, strict=True)))
    plain_store, model = tiny_model(tmp_path / "plain")
    store, _ = tiny_model(tmp_path / "hot", temperature=2.5)
    plain, hot = plain_store.manifest("m"), store.manifest("m")
    before = evaluate(model, plain, files=[str(data)])
    after = evaluate(model, hot, files=[str(data)])
    assert "temperature" not in before
    for key in ("accuracy", "macro_f1", "per_class", "confusion"):
        assert after[key] == before[key]
    assert after["temperature"] == 2.5
    assert after["ece_uncalibrated"] == before["ece"]
    assert after["ece"] != before["ece"]
    cold = classify_texts(model, Codec.from_manifest(plain), TEXTS, top_k=3)
    warm = classify_texts(model, Codec.from_manifest(hot), TEXTS, top_k=3)
    assert [r["label"] for r in warm] == [r["label"] for r in cold]
    pairs = list(zip(warm, cold, strict=True))
    assert all(w["score"] <= c["score"] for w, c in pairs)  # T > 1: less sure
    assert any(w["score"] < c["score"] for w, c in pairs)


@pytest.mark.slow
@pytest.mark.numeric
def test_pytorch_and_the_exported_graph_apply_the_same_temperature(tmp_path):
    pytest.importorskip("onnxruntime")
    from seqcli import inference

    store, _ = tiny_model(tmp_path, temperature=2.5)
    loaded = inference.Model(store, "m", "classifier", "cpu")
    codec = Codec.from_manifest(loaded.manifest)
    ids = codec.ids(TEXTS[:8])
    assert loaded.backend(1) == loaded.backend(10**6) == "onnx"
    graph = loaded.network(1)
    torch_net = loaded._torch()
    assert hasattr(torch_net, "parameters") and not hasattr(graph, "parameters")
    on_graph = probabilities(graph, ids, temperature=codec.temperature)
    on_torch = probabilities(torch_net, ids, temperature=codec.temperature)
    # float32 networks in two runtimes: equal to 1e-5, not to the last bit
    torch.testing.assert_close(
        torch.tensor(on_graph), torch.tensor(on_torch), rtol=0, atol=1e-5
    )
    raw = torch.tensor(probabilities(torch_net, ids))
    assert (raw - torch.tensor(on_torch)).abs().max() > 1e-2  # T did something


def test_a_temperature_by_length_undoes_scores_that_grow_with_length():
    # a model as sure of a long text as its length makes it, and as often right:
    # its log-odds are 0.1 per word, right 80% of the time at any length
    g = torch.Generator().manual_seed(0)
    lengths = torch.randint(5, 400, (2000,), generator=g)
    right = torch.rand(2000, generator=g) < 0.8
    margin = 0.1 * lengths.double()
    logits = torch.stack([torch.zeros(2000, dtype=torch.float64), margin], 1)
    targets = torch.where(right, 1, 0)
    entry = calibrate.calibration(logits, targets, lengths.tolist())
    scaling = calibrate.Scaling.of(entry)
    assert entry["length_slope"] > 0.5  # T grows about as the margin does
    t = torch.tensor([scaling(n) for n in lengths.tolist()], dtype=torch.float64)
    for part in (lengths < 50, lengths > 300):  # short and long texts alike
        p = (logits[part] / t[part, None]).softmax(1)[:, 1]
        assert p.mean().item() == pytest.approx(0.8, abs=0.05)
    assert entry["nll_after"] < nll(logits, targets, fit_temperature(logits, targets))


def test_training_stores_a_temperature_fitted_on_dev(tmp_path):
    # the hook on its own, on a saved model: as `train` calls it after `fit`
    store, model = tiny_model(tmp_path)
    codec = Codec.from_manifest(store.manifest("m"))
    gold = ["a", "b", "c", "z"] * 7 + ["a", "b"]  # "z": a label it lacks, left out
    entry = calibrate.calibrate_stored(
        store, "m", codec.ids(TEXTS), gold, device=torch.device("cpu")
    )
    manifest = store.manifest("m")
    assert manifest["calibration"] == entry
    assert entry["texts"] == 23 and entry["bins"] == 15
    z, y, _ = calibrate.dev_logits(model, codec, codec.ids(TEXTS), gold)
    one = fit_temperature(z, y)
    if "length_slope" in entry:  # a T by length is kept only where it beats one T
        z64 = torch.tensor(z, dtype=torch.float64)
        assert entry["nll_after"] < nll(z64, torch.tensor(y), one)
    else:
        assert entry["temperature"] == pytest.approx(one, rel=1e-5)
    assert entry["nll_after"] <= entry["nll_before"]
    store.verify("m", manifest)  # the weights are those it had


@pytest.mark.slow
def test_the_builtin_sentiment_model_is_calibrated_on_its_dev_for_the_api():
    import seqcli
    from seqcli import kinds

    model, manifest = kinds.load(
        Store(), "sentiment-en", "classifier", torch.device("cpu")
    )
    entry = manifest["calibration"]
    assert entry["dev"] == manifest["training"]["dev"]
    assert entry["ece_after"] <= min(0.03, entry["ece_before"])
    text = "Two hours of my life I will never get back."
    ids = Codec.from_manifest(manifest).ids([text])
    z = torch.tensor(logits(model, ids)[0])
    expected = (z / calibrate.Scaling.of(entry)(len(ids[0]))).softmax(0)
    # one line: the API runs the exported graph, T applied from the manifest
    found = seqcli.load("sentiment-en", device="cpu").classify(text, top_k=2)
    scores = {x["label"]: x["score"] for x in found["labels"]}
    labels = manifest["vocabs"]["labels"]["tokens"]
    for c, label in enumerate(labels):
        assert scores[label] == pytest.approx(float(expected[c]), abs=2e-4)
