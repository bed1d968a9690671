"""Give a stored classifier a bag of word n-grams (seqcli.classifier.ngrams) as
`seqcli train classifier` fits it today, on its training data, without retraining:
the network's weights stay as they are, and a bag it had is replaced.

    python scripts/fit_bag.py sentiment-en --data TRAIN.txt --name sentiment-bag

The model is read from the store or the built-ins; the result is saved in the
user's store as --name, with the dev metrics measured again (dev: the manifest's
training.dev, or --dev) and its temperature fitted again on that dev. Export a
built-in from there with scripts/build_defaults.py KIND --from-store NAME.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seqcli.classifier import ngrams  # noqa: E402
from seqcli.classifier.calibrate import calibrate_stored  # noqa: E402
from seqcli.classifier.config import ClassifierConfig  # noqa: E402
from seqcli.classifier.data import Codec, read_labelled  # noqa: E402
from seqcli.classifier.model import Classifier  # noqa: E402
from seqcli.classifier.recipe import evaluate  # noqa: E402
from seqcli.manifest import Manifest  # noqa: E402
from seqcli.store import Store  # noqa: E402

CPU = torch.device("cpu")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a classifier of the store or a built-in")
    parser.add_argument("--data", required=True, help="its labelled training file")
    parser.add_argument("--dev", help="labelled dev file (default: training.dev)")
    parser.add_argument("--name", required=True, help="the new model's name")
    parser.add_argument("--buckets", type=int, default=ClassifierConfig.ngram_buckets)
    args = parser.parse_args()
    torch.set_num_threads(2)
    store = Store()
    manifest, tensors = store.load(args.model, "classifier")
    config = {
        **manifest["config"],
        "ngrams": True,
        "ngram_buckets": args.buckets,
        "ngram_order": ClassifierConfig.ngram_order,
        "ngram_min_texts": ClassifierConfig.ngram_min_texts,
        "ngram_spelled": ClassifierConfig.ngram_spelled,
    }
    manifest = Manifest({**manifest, "config": config})
    model = Classifier.from_manifest(manifest)
    network = {k: v.float() for k, v in tensors.items() if not k.startswith("bag.")}
    missing, unexpected = model.load_state_dict(network, strict=False)
    if unexpected or any(not k.startswith("bag.") for k in missing):
        sys.exit(f"error: {args.model} is not a classifier")
    codec = Codec.from_manifest(manifest)
    train = read_labelled(args.data)
    ids = codec.ids(train.texts)
    kept = [i for i, x in enumerate(ids) if x]
    targets = [codec.labels.index(train.labels[i]) for i in kept]
    found = ngrams.fit(model.bag, [ids[i] for i in kept], targets)
    dev = args.dev or manifest.training.get("dev")
    if not dev or not Path(dev).is_file():
        sys.exit(f"error: no dev file ({dev!r}): give --dev")
    found["dev_without"] = manifest.get("metrics")
    metrics = evaluate(model.eval(), manifest, files=[dev])
    metrics = {k: metrics[k] for k in ("accuracy", "macro_f1")}
    print(f"{args.name}: dev {found['dev_without']} -> {metrics}")
    keep = ("format", "weights", "name", "created", "versions", "calibration")
    manifest = {k: v for k, v in manifest.items() if k not in keep}
    state = dict(model.state_dict())
    with store.lock(args.name):
        store.save(args.name, state, {**manifest, "metrics": metrics, "ngrams": found})
    dev_data = read_labelled(dev)
    calibrate_stored(
        store, args.name, codec.ids(dev_data.texts), dev_data.labels, device=CPU
    )


if __name__ == "__main__":
    main()
