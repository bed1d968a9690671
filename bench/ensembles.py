"""Small ensembles of stored classifiers: each model of the user's store, each pair
of them (--size) and all of them, their scores before softmax averaged, on
labelled dev files; with each model's bag of n-grams (the whole model, as
`seqcli classify` runs it, uncalibrated) and with the networks alone.

    python bench/ensembles.py joint-s1 joint-s2 joint-t200-s1 \\
        --on ../shared/corpora/imdb/dev.txt /tmp/seqcli-sentiment/sst2-dev-neg-pos.txt

An ensemble is worth its cost only where its members disagree: "members disagree"
is the share of texts on which they do not all choose the same class. Inference
only. Results go to bench/results/classifier-ensembles.json (--out NAME).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402
from seqcli import kinds  # noqa: E402
from seqcli.classifier.data import Codec, read_labelled  # noqa: E402
from seqcli.classifier.decode import logits  # noqa: E402
from seqcli.store import Store  # noqa: E402


def scores(name: str, files: list[str]) -> dict:
    """{file: (gold class ids, logits with the bag, logits of the network alone)}."""
    model, manifest = kinds.load(Store(), name, "classifier", "cpu")
    model.eval()
    codec = Codec.from_manifest(manifest)
    out = {}
    for path in files:
        data = read_labelled(path)
        ids = codec.ids(data.texts)
        gold = np.array([codec.labels.index(label) for label in data.labels])
        with torch.no_grad():
            whole = np.array(logits(model, ids))
            bag, model.bag = model.bag, None
            try:
                network = np.array(logits(model, ids))
            finally:
                model.bag = bag
        out[path] = gold, whole, network
        print(f"  {name} {path}: {100 * (whole.argmax(1) == gold).mean():.2f}")
    return out


def record(members: tuple[str, ...], path: str, found: dict) -> dict:
    """The ensemble of `members` (their logits averaged) scored on one file."""
    gold = found[members[0]][path][0]
    whole = [found[m][path][1] for m in members]
    network = [found[m][path][2] for m in members]
    choices = np.stack([w.argmax(1) for w in whole])
    return {
        "bench": "classifier ensembles",
        "models": list(members),
        "dev": "/".join(Path(path).resolve().parts[-2:]),
        "texts": len(gold),
        "accuracy": float((np.mean(whole, 0).argmax(1) == gold).mean()),
        "network_accuracy": float((np.mean(network, 0).argmax(1) == gold).mean()),
        "disagree": float((choices != choices[0]).any(0).mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="+", help="classifiers of the user's store")
    parser.add_argument("--on", nargs="+", metavar="FILE", required=True)
    parser.add_argument(
        "--size", type=int, default=2, help="largest ensemble besides all the models"
    )
    parser.add_argument("--out", default="classifier-ensembles")
    args = parser.parse_args()
    torch.set_num_threads(2)
    found = {name: scores(name, args.on) for name in args.models}
    sizes = [*range(1, min(args.size, len(args.models)) + 1)]
    if len(args.models) > args.size:
        sizes.append(len(args.models))  # and all of them
    records = [
        record(members, path, found)
        for n in sizes
        for members in itertools.combinations(args.models, n)
        for path in args.on
    ]
    write(args.out, records)


if __name__ == "__main__":
    main()
