"""Calibrate a stored classifier on dev without retraining: fit its temperature
(seqcli.classifier.calibrate) and write it into its manifest; the weights, and so
their sha256, stay as they are.

    python scripts/calibrate.py sentiment-en \\
        --check ../shared/corpora/sst2/dev.txt --map 0=neg --map 1=pos \\
        --out bench/results/calibration.json

Dev is the file the manifest's training.dev names (for the built-in sentiment-en
IMDB dev, ../shared/corpora/imdb/dev.txt), or --dev. A built-in model is rewritten
in seqcli/defaults/NAME (run from the project's root, as scripts/build_defaults.py
is); a user's model in the store. --check FILE scores other labelled files as
well: accuracy, and the expected calibration error before and after (--map gives
their labels the model's names). --out writes one record per file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402
from seqcli import kinds  # noqa: E402
from seqcli.classifier.calibrate import (  # noqa: E402
    Scaling,
    calibration,
    dev_logits,
    eval_calibration,
)
from seqcli.classifier.config import EVAL_BATCH_SIZE  # noqa: E402
from seqcli.classifier.data import Codec, read_labelled  # noqa: E402
from seqcli.classifier.decode import probabilities  # noqa: E402
from seqcli.classifier.metrics import scores  # noqa: E402
from seqcli.store import MODEL, Store  # noqa: E402

CPU = torch.device("cpu")


def labelled(path: str, mapping: dict[str, str]) -> tuple[list[str], list[str]]:
    data = read_labelled(path)
    return data.texts, [mapping.get(label, label) for label in data.labels]


def check(model, codec: Codec, path: str, mapping: dict[str, str]) -> dict:
    """Accuracy and ECE at T = 1 and at the codec's temperature on one file."""
    texts, gold = labelled(path, mapping)
    ids = codec.ids(texts)
    found = probabilities(model, ids, EVAL_BATCH_SIZE)
    pred = [
        codec.labels[max(range(len(p)), key=p.__getitem__)] if p else codec.labels[0]
        for p in found
    ]
    lengths = [len(x) for x in ids]
    plain = eval_calibration(found, gold, pred, Scaling(), lengths)["ece"]
    after = eval_calibration(found, gold, pred, codec.scaling, lengths)["ece"]
    result = scores(gold, pred)
    return {
        "file": path,
        "texts": len(texts),
        "accuracy": result["accuracy"],
        "macro_f1": result["macro_f1"],
        "temperature": codec.temperature,
        "length_slope": codec.scaling.slope,
        "ece_before": plain,
        "ece_after": after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("name", help="a classifier of the store or a built-in")
    parser.add_argument("--dev", help="labelled dev file (default: training.dev)")
    parser.add_argument("--check", action="append", default=[], metavar="FILE")
    parser.add_argument(
        "--map", action="append", default=[], metavar="FROM=TO", help="for --check"
    )
    parser.add_argument("--out", metavar="NAME", help="bench/results/NAME.json")
    args = parser.parse_args()
    mapping = dict(m.split("=", 1) for m in args.map)
    torch.set_num_threads(2)
    store = Store()
    model, manifest = kinds.load(store, args.name, "classifier", CPU)
    dev = args.dev or manifest.get("training", {}).get("dev")
    if not dev or not Path(dev).is_file():
        sys.exit(f"error: no dev file ({dev!r}): give --dev")
    texts, gold = labelled(dev, {})
    codec = Codec.from_manifest(manifest)
    logits, targets, lengths = dev_logits(model, codec, codec.ids(texts), gold)
    entry = calibration(logits, targets, lengths) | {"dev": dev}
    manifest = {**manifest, "calibration": entry}
    if store.is_builtin(args.name):
        path = store.path(args.name) / f"{MODEL}.json"
        path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    else:
        with store.lock(args.name):
            store.write_manifest(args.name, manifest)
    print(
        f"{args.name}: temperature {entry['temperature']:.4f}, length slope "
        f"{entry.get('length_slope', 0.0):.4f}; dev ECE "
        f"{entry['ece_before']:.4f} -> {entry['ece_after']:.4f} ({dev})"
    )
    store.verify(args.name, manifest)  # the weights are the ones it names
    codec = Codec.from_manifest(manifest)
    records = []
    for path in [dev, *args.check]:
        found = check(model, codec, path, mapping if path != dev else {})
        records.append({"bench": "calibration", "model": args.name} | found)
        print(
            f"  {path}: accuracy {found['accuracy']:.4f}, ECE "
            f"{found['ece_before']:.4f} -> {found['ece_after']:.4f}"
        )
    if args.out:
        print(f"wrote {write(args.out, records)}")


if __name__ == "__main__":
    main()
