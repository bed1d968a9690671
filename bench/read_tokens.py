"""How much of a long review the classifier should read when it classifies.

sentiment-en is trained on at most max_tokens (400) tokens a text (a longer text
keeps its first and last 200). Scored on IMDB dev with the same weights reading up
to N tokens instead, for N in --lengths: accuracy, and against N = the model's own
max_tokens the reviews that turn right and that turn wrong (a paired comparison;
McNemar's exact two-sided p from those two counts). Inference only.

    python bench/read_tokens.py [--lengths 400 800 1600] [--store DIR --name NAME]

Results go to bench/results/read-tokens.json (--out NAME: NAME.json). The
IMDB-only sentiment-en shipped before today's is commit 30919de's
seqcli/defaults/sentiment-en (--store a folder holding it --name its folder's name).
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402
from seqcli import kinds  # noqa: E402
from seqcli.classifier.data import Codec, read_labelled  # noqa: E402
from seqcli.classifier.metrics import predict  # noqa: E402
from seqcli.store import Store  # noqa: E402

DEV = ROOT.parent / "shared" / "corpora" / "imdb" / "dev.txt"


def mcnemar(b: int, c: int) -> float:
    """Exact two-sided p of b against c discordant pairs (binomial, p = 1/2)."""
    n = b + c
    tail = sum(math.comb(n, k) for k in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[400, 800, 1600])
    parser.add_argument("--store", help="a store folder (default: the built-ins)")
    parser.add_argument("--name", default="sentiment-en")
    parser.add_argument("--out", default="read-tokens", help="bench/results/OUT.json")
    args = parser.parse_args()
    torch.set_num_threads(2)
    store = Store(Path(args.store), builtin=None) if args.store else Store()
    model, manifest = kinds.load(store, args.name, "classifier", torch.device("cpu"))
    data = read_labelled(str(DEV))
    trained = manifest["config"]["max_tokens"]
    found = {}
    for n in sorted({trained, *args.lengths}):
        reading = copy.deepcopy(manifest)
        reading["config"]["read_tokens"] = n
        codec = Codec.from_manifest(reading)
        found[n] = predict(model, codec, codec.ids(data.texts))
    records = []
    base = [p == g for p, g in zip(found[trained], data.labels, strict=True)]
    for n, pred in found.items():
        right = [p == g for p, g in zip(pred, data.labels, strict=True)]
        gained = sum(r and not b for r, b in zip(right, base, strict=True))
        lost = sum(b and not r for r, b in zip(right, base, strict=True))
        records.append(
            {
                "bench": "classifier reading length",
                "model": args.name,
                "trained_max_tokens": trained,
                "read_tokens": n,
                "accuracy": sum(right) / len(right),
                "turned_right": gained,
                "turned_wrong": lost,
                "mcnemar_p": round(mcnemar(gained, lost), 4),
                "texts": len(right),
            }
        )
        print(records[-1], flush=True)
    print(write(args.out, records))


if __name__ == "__main__":
    main()
